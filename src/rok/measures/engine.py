"""Engines the measures run on: DuckDB by default, Spark (local mode) on request.

The measures are written once as Ibis expressions over the warehouse tables; an
:class:`Engine` is the only place that knows which backend runs them (after splink's
small database-API class). An engine hands out tables (:meth:`Engine.table`), runs an
expression (:meth:`Engine.execute`) and releases what it holds (:meth:`Engine.close`).

- ``duckdb``: the warehouse file itself, opened read-only through Ibis.
- ``spark``: the tables the measures need are exported once from the warehouse to
  Parquet (cached under ``cache_dir()/spark/<key>``, the key made of the file's path,
  modification time and size), read by a local SparkSession and registered as temporary
  views. pyspark is the optional extra ``rok[spark]`` and is imported only here, only
  when asked for. One Spark context serves the whole process; each engine gets its own
  session on it (``newSession``) so that two warehouses never share a temporary view.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import ibis
import pandas as pd
from ibis.common.exceptions import TableNotFound

from rok.config import cache_dir, db_path
from rok.errors import EngineError, InputError

__all__ = ["ENGINES", "MEASURE_TABLES", "Engine", "DuckDBEngine", "SparkEngine", "open_engine"]

#: Engine names accepted by :func:`open_engine`.
ENGINES = ("duckdb", "spark")

#: Warehouse tables the measures read (exported to Parquet for Spark).
MEASURE_TABLES = ("participations", "organisations", "projects", "project_domains", "domains",
                  "regions", "indicators_nuts2021")


class Engine(ABC):
    """Where measures run: hands out Ibis tables and executes expressions to pandas."""

    name: str = ""

    def __init__(self, db: Path) -> None:
        self.db = db

    @abstractmethod
    def table(self, name: str) -> ibis.Table:
        """The warehouse table ``name`` as an Ibis table on this engine."""

    @abstractmethod
    def execute(self, expr: ibis.Table) -> pd.DataFrame:
        """Run ``expr`` and return its rows; engine failures raise :class:`EngineError`."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection (idempotent)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} on {self.db}>"


class DuckDBEngine(Engine):
    """The warehouse file opened read-only by Ibis' DuckDB backend."""

    name = "duckdb"

    def __init__(self, db: Path) -> None:
        super().__init__(db)
        try:
            self.con: Any = ibis.duckdb.connect(str(db), read_only=True)
            self.con.raw_sql("SET enable_progress_bar = false")
            limit = os.environ.get("ROK_DUCKDB_MEMORY")  # e.g. "2GB": DuckDB spills to disk beyond it
            if limit:
                self.con.raw_sql(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            raise EngineError(f"cannot open warehouse {db} with DuckDB: {exc}") from exc

    def table(self, name: str) -> ibis.Table:
        try:
            with _quiet():
                return self.con.table(name)
        except TableNotFound:
            raise InputError(
                f"not a rok warehouse (no table {name}); run `rok ingest mirror`", file=str(self.db)
            ) from None

    def execute(self, expr: ibis.Table) -> pd.DataFrame:
        try:
            with _quiet():
                return self.con.execute(expr)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed on {self.db}: {exc}") from exc

    def close(self) -> None:
        self.con.disconnect()


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the deprecation of ``fetch_arrow_table`` (DuckDB 1.5), which ibis 12 still calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "fetch_arrow_table", DeprecationWarning)
        yield


class SparkEngine(Engine):
    """A local Spark session over Parquet copies of the measure tables."""

    name = "spark"

    def __init__(self, db: Path) -> None:
        super().__init__(db)
        try:
            from py4j.protocol import Py4JError
            from pyspark.errors import PySparkException
        except ImportError:
            raise EngineError("the Spark engine needs the optional extra: pip install 'rok[spark]'") from None
        self._errors: tuple[type[BaseException], ...] = (PySparkException, Py4JError)
        folder = export_parquet(db)
        self.session = _spark_context_session().newSession()
        for table in MEASURE_TABLES:
            self.session.read.parquet(str(folder / f"{table}.parquet")).createOrReplaceTempView(table)
        self.con: Any = ibis.pyspark.connect(self.session)

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def execute(self, expr: ibis.Table) -> pd.DataFrame:
        try:
            return self.con.execute(expr)
        except self._errors as exc:
            raise EngineError(f"Spark failed on {self.db}: {exc}") from exc

    def close(self) -> None:
        for table in MEASURE_TABLES:
            self.session.catalog.dropTempView(table)


def open_engine(name: str = "duckdb", db: str | Path | None = None) -> Engine:
    """Open engine ``name`` (``duckdb`` or ``spark``) on warehouse ``db`` (default :func:`db_path`)."""
    if name not in ENGINES:
        raise InputError(f"unknown engine; expected one of {', '.join(ENGINES)}", column="engine", value=name)
    path = db_path(db)
    if not path.is_file():
        raise InputError("warehouse file not found; run `rok ingest mirror` first", file=str(path))
    from rok.warehouse.store import Warehouse

    Warehouse(path, read_only=True).close()  # the schema version, checked read-only
    return DuckDBEngine(path) if name == "duckdb" else SparkEngine(path)


def export_parquet(db: Path) -> Path:
    """Parquet copies of :data:`MEASURE_TABLES` of warehouse ``db``, made once per file version.

    BLOB columns (geometries) are left out. The copy is written to a temporary folder and
    renamed into place, so a half-written cache is never reused.
    """
    stat = db.stat()
    # the table list is part of the key: a rok that exports more tables never reuses a smaller copy
    tables = ",".join(MEASURE_TABLES)
    key = hashlib.sha256(f"{db.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{tables}".encode()).hexdigest()[:16]
    folder = cache_dir() / "spark" / key
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder.parent))
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            for table in MEASURE_TABLES:
                columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[1] != "BLOB"]
                select = ", ".join(f'"{c}"' for c in columns)
                target = str(scratch / f"{table}.parquet").replace("'", "''")
                con.execute(f"COPY (SELECT {select} FROM {table}) TO '{target}' (FORMAT parquet)")
        os.replace(scratch, folder)
    except OSError:
        if not folder.is_dir():  # not made meanwhile by another process either
            raise
    except duckdb.Error as exc:
        raise EngineError(f"cannot export warehouse {db} to Parquet for Spark: {exc}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _spark_context_session() -> Any:
    """The process-wide local SparkSession (created on first use, then reused)."""
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: no network lookup, no warning
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("rok")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    except (PySparkException, OSError) as exc:  # Java missing, or the JVM failed to start
        raise EngineError(f"cannot start a local Spark session (is Java 17 installed?): {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session
