"""Shared fixtures: the real data mirror (skipped with a message where absent) and a
session-wide cache directory, so tests never write into the user's home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("rok-cache")
    old = os.environ.get("ROK_CACHE")
    os.environ["ROK_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("ROK_CACHE", None)
    else:
        os.environ["ROK_CACHE"] = old


@pytest.fixture(scope="session")
def mirror() -> Path:
    candidates = [os.environ.get("ROK_MIRROR"), str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data")]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate).resolve()
    pytest.skip("the data mirror is absent: set ROK_MIRROR or put shared/data beside the repository")


@pytest.fixture(scope="session")
def mirror_db(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file with the whole mirror loaded (built once per test session)."""
    from rok.warehouse import Warehouse
    from rok.warehouse.ingest import ingest_mirror

    path = tmp_path_factory.mktemp("mirror-warehouse") / "rok.duckdb"
    with Warehouse(path) as wh:
        report = ingest_mirror(wh, mirror)
    assert report.missing == []
    return path


@pytest.fixture(scope="session")
def mirror_matrix(mirror_db: Path):  # type: ignore[no-untyped-def]
    """The mirror's NUTS 2 x programme-part activity (fractional counting), as the profiles use it."""
    from rok.measures import Selection, activity_matrix, open_engine

    with open_engine("duckdb", mirror_db) as engine:
        return activity_matrix(engine, Selection(level=2, counting="fractional"))
