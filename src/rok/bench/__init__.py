"""Benchmarks: commands that print tables of time and memory, side by side with peers."""

from pathlib import Path


def mirror_warehouse(db: str | None, tmp: str | Path, name: str = "rok.duckdb") -> str:
    """``db`` as given, or a warehouse built from the whole mirror in the folder ``tmp``."""
    if db is not None:
        return db
    from rok.config import mirror_dir
    from rok.warehouse import Warehouse
    from rok.warehouse.ingest import ingest_mirror

    path = str(Path(tmp) / name)
    with Warehouse(path) as wh:
        ingest_mirror(wh, mirror_dir())
    return path
