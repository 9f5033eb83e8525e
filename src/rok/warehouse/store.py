"""One DuckDB file holding every table, with atomic, recorded, idempotent loads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rok.errors import RokError, SchemaError
from rok.sources.batch import Batch
from rok.timing import step
from rok.warehouse.schema import DATA_TABLES, MIGRATIONS, SCHEMA_VERSION

__all__ = ["Warehouse", "LoadResult"]


@dataclass(frozen=True)
class LoadResult:
    """What one load did (``skipped`` when the same file had already been loaded)."""

    load_id: int | None
    source: str
    file: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    skipped: bool = False


class Warehouse:
    """A DuckDB warehouse file (or ``:memory:``), migrated to the current schema on open.

    With ``read_only=True`` the file is opened read-only (DuckDB lets any number of
    read-only processes share it) and nothing is migrated: a file at another schema version
    raises :class:`SchemaError` saying what to run, and a missing file says so too.
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:":
            if read_only and not Path(self.path).is_file():
                raise SchemaError(f"no warehouse at {self.path}; run `rok ingest mirror` to build one")
            if not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise SchemaError(f"cannot open warehouse {self.path}: {exc}") from None
        self.con.execute("SET enable_progress_bar = false")
        self._depth = 0
        if not read_only:
            self.migrate()
        else:
            self.check_schema()

    def check_schema(self) -> None:
        """Raise :class:`SchemaError` unless the file is at this rok's schema version (changes nothing)."""
        current = self.schema_version()
        if current == SCHEMA_VERSION:
            return
        known = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_info'"
        ).fetchone()
        self.con.close()
        if not known or not known[0]:
            raise SchemaError(f"{self.path} is not a rok warehouse (no schema_info table); "
                              "run `rok ingest mirror` to build one")
        if current > SCHEMA_VERSION:
            raise SchemaError(f"warehouse {self.path} has schema version {current}, newer than this rok "
                              f"({SCHEMA_VERSION}); upgrade rok")
        raise SchemaError(f"warehouse {self.path} has schema version {current}, older than this rok "
                          f"({SCHEMA_VERSION}); run `rok migrate` (or any `rok ingest`) to upgrade it, "
                          "read-only commands do not change it")

    # -- schema -------------------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_info'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT value FROM schema_info WHERE key = 'version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> None:
        """Apply the migrations this file lacks, each in its own transaction."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaError(
                f"warehouse {self.path} has schema version {current}, newer than this rok "
                f"({SCHEMA_VERSION}); upgrade rok"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                for statement in MIGRATIONS[version]:
                    self.con.execute(statement)
                self.con.execute(
                    "INSERT OR REPLACE INTO schema_info VALUES ('version', ?)", [str(version + 1)]
                )

    # -- transactions and queries ------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested calls join the outermost one, which alone commits or rolls
        back (so a load and the rebuild of the derived tables can be one unit)."""
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        self.con.execute("COMMIT")

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def columns(self, table: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()]

    def counts(self) -> dict[str, int]:
        return {t: int(self.scalar(f"SELECT count(*) FROM {t}")) for t in (*DATA_TABLES, "loads", "rejects")}

    # -- loads ---------------------------------------------------------------------------
    def previous_load(self, source: str, sha256: str) -> int | None:
        """The id of a successful earlier load of the same content for ``source``."""
        return self.scalar(
            "SELECT max(load_id) FROM loads WHERE source = ? AND sha256 = ? AND status LIKE 'ok%'",
            [source, sha256],
        )

    def write(self, batch: Batch, *, force: bool = False) -> LoadResult:
        """Write ``batch`` in one transaction: all its rows and its provenance, or nothing.

        The same content loaded again for the same source is skipped (idempotent) unless
        ``force``; rows are upserted by primary key, so a forced re-load changes nothing.
        """
        previous = None if force else self.previous_load(batch.source, batch.sha256)
        if previous is not None:
            return LoadResult(previous, batch.source, batch.file, batch.rows_read, 0, 0, skipped=True)
        started = dt.datetime.now()
        with step("write"), self.transaction() as con:
            load_id = int(con.execute("SELECT nextval('load_ids')").fetchone()[0])  # type: ignore[index]
            for table, condition in batch.replace.items():
                con.execute(f"DELETE FROM {table} WHERE {condition}")
            for table, frame in batch.tables.items():
                self._insert(table, frame, load_id)
            if batch.rejects:
                rejects = pd.DataFrame(
                    [(load_id, r.file, r.line, r.column, r.value, r.reason) for r in batch.rejects],
                    columns=["load_id", "file", "line", "column", "value", "reason"],
                )
                con.register("_rejects", rejects)
                con.execute("INSERT INTO rejects SELECT * FROM _rejects")
                con.unregister("_rejects")
            rejected = batch.rows_read - batch.rows_kept
            con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    load_id, batch.source, batch.file, batch.sha256, batch.rows_read,
                    batch.rows_kept, rejected, started, dt.datetime.now(),
                    "ok" if not batch.rejects else "ok-with-rejects", "; ".join(batch.notes) or None,
                ],
            )
        return LoadResult(load_id, batch.source, batch.file, batch.rows_read, batch.rows_kept, rejected)

    def _insert(self, table: str, frame: pd.DataFrame, load_id: int | None, *, upsert: bool = True) -> None:
        known = self.columns(table)
        frame = frame[[c for c in frame.columns if c in known]]
        if "load_id" in known and load_id is not None:
            frame = frame.assign(load_id=load_id)
        if frame.empty:
            return
        names = ", ".join(f'"{c}"' for c in frame.columns)
        self.con.register("_incoming", frame)
        try:
            has_key = upsert and bool(self.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)")) and bool(self.scalar(
                "SELECT count(*) FROM duckdb_constraints() WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
                [table],
            ))
            verb = "INSERT OR REPLACE" if has_key else "INSERT"
            self.con.execute(f"{verb} INTO {table} ({names}) SELECT {names} FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    def replace_table(self, table: str, frame: pd.DataFrame) -> None:
        """Replace the whole content of a derived table, atomically."""
        with step("write"), self.transaction():
            self.con.execute(f"DELETE FROM {table}")
            self._insert(table, frame, None, upsert=False)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ensure_rok_error(exc: BaseException) -> RokError:  # pragma: no cover - helper for callers
    return exc if isinstance(exc, RokError) else RokError(str(exc))
