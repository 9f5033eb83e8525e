"""The unit a reader hands to the warehouse: typed rows for one or more tables of one file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["Batch", "Reject", "sha256_file", "sha256_bytes"]


@dataclass(frozen=True)
class Reject:
    """A row left out of a load, and why (kept in the ``rejects`` table)."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class Batch:
    """Typed rows read from one source file, ready for one atomic load.

    ``tables`` maps a warehouse table to the rows for it (columns named as in the table).
    ``replace`` maps a table to a SQL condition: rows matching it are deleted before the
    insert, inside the same transaction (used when a source owns a slice of a table, e.g.
    the ``h2020-part`` taxonomy); other tables are upserted by primary key.
    """

    source: str
    file: str
    sha256: str
    rows_read: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    replace: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_kept(self) -> int:
        return self.rows_read - len({(r.file, r.line) for r in self.rejects if r.line is not None})


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
