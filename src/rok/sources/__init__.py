"""Readers for the data rok ingests.

Each reader validates its input and returns a :class:`~rok.sources.batch.Batch` of typed
rows for the warehouse; readers never write. Loading (atomic, recorded) is the job of
:mod:`rok.warehouse`.
"""
