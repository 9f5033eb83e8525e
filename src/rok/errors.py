"""Errors raised by rok.

Every error subclasses :class:`RokError` and a built-in, so callers may catch either
(``except rok.InputError`` or ``except ValueError``). The CLI turns any ``RokError`` into a
one-paragraph message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

__all__ = ["RokError", "InputError", "SchemaError", "SourceError", "EngineError", "located"]


class RokError(Exception):
    """Base class of all errors raised on purpose by rok."""


class InputError(RokError, ValueError):
    """Bad input data or arguments: names the file, line, column and value when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.file, self.line, self.column, self.value = file, line, column, value
        super().__init__(located(message, file=file, line=line, column=column, value=value))


class SchemaError(RokError, RuntimeError):
    """The warehouse has a schema this version of rok cannot use."""


class SourceError(InputError):
    """A source file or download is unreadable as a whole (damaged archive, bad checksum)."""


class EngineError(RokError, RuntimeError):
    """A computing engine is missing or failed."""


def located(
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: str | None = None,
    value: object = None,
) -> str:
    """Prefix ``message`` with ``file, line N, column 'c', value 'v':`` as far as known."""
    parts = []
    if file is not None:
        parts.append(str(file))
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {column!r}")
    if value is not None:
        text = str(value)
        parts.append(f"value {text[:80]!r}")
    return f"{', '.join(parts)}: {message}" if parts else message
