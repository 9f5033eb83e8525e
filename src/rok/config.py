"""Settings read from the environment: where the mirror, the warehouse and the cache are."""

from __future__ import annotations

import os
from pathlib import Path

from rok.errors import InputError

__all__ = ["mirror_dir", "db_path", "cache_dir"]


def mirror_dir(explicit: str | Path | None = None) -> Path:
    """The offline data mirror: ``explicit``, else ``$ROK_MIRROR``, else ``../shared/data``."""
    candidates: list[Path] = []
    if explicit:
        candidates = [Path(explicit)]
    elif os.environ.get("ROK_MIRROR"):
        candidates = [Path(os.environ["ROK_MIRROR"])]
    else:
        candidates = [Path.cwd() / ".." / "shared" / "data", Path(__file__).resolve().parents[3] / ".." / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    raise InputError(
        "data mirror not found; set ROK_MIRROR or pass --mirror DIR",
        file=str(candidates[0]),
    )


def db_path(explicit: str | Path | None = None) -> Path:
    """The warehouse file: ``explicit`` (``--db``), else ``$ROK_DB``, else ``./rok.duckdb``."""
    return Path(explicit or os.environ.get("ROK_DB") or "rok.duckdb")


def cache_dir() -> Path:
    """Download and index cache: ``$ROK_CACHE``, else ``$XDG_CACHE_HOME/rok``, else ``~/.cache/rok``."""
    if os.environ.get("ROK_CACHE"):
        return Path(os.environ["ROK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rok"
