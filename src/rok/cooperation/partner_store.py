"""The partner index on disk, keyed by the state of the warehouse it was built from.

Building a :class:`~rok.cooperation.partners.PartnerIndex` takes the region profiles, the
organisation network and the organisation activity: seconds. A search on it takes
milliseconds. :func:`load_or_build` keeps the built index in the cache directory
(``$ROK_CACHE/partners``, :func:`rok.config.cache_dir`) as one ``.npz`` file (numpy arrays
only, read without pickle), named by a key of

- the warehouse's load history (table ``loads``): the largest load id and a SHA-256 over
  every load's id, file checksum and status, so that any new, repeated or failed load
  changes the key;
- a fingerprint of the organisations table (count and an order-independent hash of id,
  NUTS 2 code, name, type and city), because ``rok locate`` re-places organisations without
  a load;
- the selection (level, measure, counting, years, taxonomy), the weights, the strength cap
  and the file format version.

When the warehouse changes the key changes, the next search builds and stores a new index,
and the oldest files beyond :data:`KEEP` are removed. Files are written to a temporary name
and renamed, so that a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rok.cooperation.partners import PartnerIndex, Ties, _Domain
from rok.errors import InputError

__all__ = ["FORMAT", "KEEP", "warehouse_state", "index_key", "save_index", "load_index", "load_or_build"]

#: Version of the file layout (part of the key).
FORMAT = 2
#: How many index files the cache keeps (the most recently used).
KEEP = 8
_TEXT = ("org_ids", "names", "types", "regions", "countries", "cities", "umbrella")


def warehouse_state(db: str | Path) -> dict[str, Any]:
    """``max_load_id``, ``loads`` (count), ``loads_sha256`` and ``organisations`` (count:hash) of ``db``."""
    import duckdb

    path = Path(db)
    if not path.exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT load_id, sha256, coalesce(status, '') FROM loads ORDER BY load_id").fetchall()
        count, digest = con.execute(  # type: ignore[misc]  # an aggregate always returns one row
            "SELECT count(*), coalesce(bit_xor(hash(org_id, coalesce(nuts2, ''), coalesce(name, ''), "
            "coalesce(activity_type, ''), coalesce(city, ''))), 0) FROM organisations").fetchone()
    history = hashlib.sha256("\n".join(f"{i}:{sha}:{status}" for i, sha, status in rows).encode()).hexdigest()
    return {"max_load_id": max((r[0] for r in rows), default=0), "loads": len(rows), "loads_sha256": history,
            "organisations": f"{count}:{digest}"}


def index_key(state: dict[str, Any], selection: dict[str, Any], **settings: Any) -> str:
    """SHA-256 (first 24 hex digits) of the warehouse state, the selection and the settings."""
    text = json.dumps({"format": FORMAT, "state": state, "selection": selection, "settings": settings},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _pack(values: Any) -> np.ndarray:
    text = "\x00".join("" if v is None else str(v) for v in values)
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _unpack(blob: np.ndarray, n: int) -> np.ndarray:
    if n == 0:
        return np.zeros(0, dtype=object)
    out = np.empty(n, dtype=object)
    out[:] = bytes(blob).decode("utf-8").split("\x00")
    return out


def save_index(index: PartnerIndex, path: str | Path) -> None:
    """Write ``index`` to ``path`` (``.npz``), atomically."""
    doms = list(index.domains)
    parts = [index.domains[d] for d in doms]
    sizes = np.array([len(p.orgs) for p in parts], dtype=np.int64)
    adj = index.adjacency
    arrays: dict[str, np.ndarray] = {f"t_{name}": _pack(getattr(index, name)) for name in _TEXT}
    meta = {"n": len(index.org_ids), "n_umbrella": len(index.umbrella), "n_cities": len(index.cities),
            "unit": index.unit, "weights": list(index.weights), "meta": index.meta, "domains": doms,
            "domain_cols": list(index.domain_cols), "comp_regions": [str(r) for r in index.comp_regions],
            "region_codes": index.region_codes, "region_names": index.region_names}
    arrays.update(
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        region_pos=index.region_pos, comp=index.comp, rca=index.rca, specialised=index.specialised,
        region_ids=index.region_ids, sizes=sizes,
        d_orgs=_cat([p.orgs for p in parts], np.int64), d_value=_cat([p.value for p in parts], np.float64),
        d_norm=_cat([p.norm for p in parts], np.float64), d_rank=_cat([p.rank for p in parts], np.int64),
        d_projects=_cat([p.projects for p in parts], np.int64), d_latest=_cat([p.latest for p in parts], np.int64),
        a_indptr=adj.indptr, a_indices=adj.indices)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partners-", suffix=".npz", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cat(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(chunks).astype(dtype) if chunks else np.zeros(0, dtype=dtype)


def load_index(path: str | Path) -> PartnerIndex:
    """Read an index written by :func:`save_index` (no pickle)."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        n = int(meta["n"])
        text = {name: _unpack(z[f"t_{name}"], n) for name in _TEXT if name not in ("umbrella", "cities")}
        text["umbrella"] = _unpack(z["t_umbrella"], int(meta["n_umbrella"]))
        text["cities"] = _unpack(z["t_cities"], int(meta["n_cities"]))
        ends = np.concatenate([[0], np.cumsum(z["sizes"])])
        columns = {c: z[f"d_{c}"] for c in ("orgs", "value", "norm", "rank", "projects", "latest")}
        domains = {d: _Domain(*(columns[c][ends[i]:ends[i + 1]] for c in ("orgs", "value", "norm", "rank",
                                                                            "projects", "latest")))
                   for i, d in enumerate(meta["domains"])}
        adjacency = Ties(z["a_indptr"], z["a_indices"])
        import pandas as pd

        index = PartnerIndex(text["org_ids"], text["names"], text["types"], text["regions"], text["countries"],
                             z["region_pos"], z["comp"], pd.Index(meta["comp_regions"]), z["rca"], z["specialised"],
                             {d: i for i, d in enumerate(meta["domain_cols"])}, domains, adjacency,
                             region_ids=z["region_ids"], region_codes=meta["region_codes"], unit=meta["unit"],
                             weights=tuple(meta["weights"]), cities=text["cities"], umbrella=text["umbrella"],
                             region_names=meta["region_names"], meta=meta["meta"])
    return index


def load_or_build(db: str | Path, selection: dict[str, Any], build: Callable[[], PartnerIndex], *,
                  cache: str | Path | None = None, **settings: Any) -> tuple[PartnerIndex, dict[str, Any]]:
    """The stored index for the warehouse's current state, else ``build()`` and store it.

    Returns the index and a description: ``status`` ("stored" or "built"), ``file``, and
    the warehouse state of the key (:func:`warehouse_state`).
    """
    from rok.config import cache_dir

    state = warehouse_state(db)
    folder = Path(cache) if cache is not None else cache_dir() / "partners"
    path = folder / f"partners-{index_key(state, selection, **settings)}.npz"
    if path.exists():
        try:
            index = load_index(path)
            os.utime(path)
            return index, {"status": "stored", "file": str(path), **state}
        except (OSError, ValueError, KeyError) as exc:  # an unreadable file is rebuilt, not trusted
            path.unlink(missing_ok=True)
            reason = f"rebuilt (the stored file could not be read: {exc})"
        else:  # pragma: no cover - the return above
            reason = ""
    else:
        reason = "built"
    index = build()
    save_index(index, path)
    _prune(folder)
    return index, {"status": reason, "file": str(path), **state}


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("partners-*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
