"""The ``rok`` command line: thin wrappers over the library, errors as messages."""
