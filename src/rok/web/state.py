"""The data a running server reads: one private read-only snapshot of the warehouse per version,
and every analysis computed once per version.

The server never keeps the live warehouse open. When the file changes (another inode after a
build beside it and an atomic rename, or a new mtime/size after an in-place load that has been
quiet for ``settle`` seconds), the new file is opened read-only (a DuckDB shared lock, which a
writer cannot hold at the same time, so the copy is never half-written), copied into a private
snapshot and closed at once; analyses then run on the snapshot while the previous version keeps
serving. A failed open (a load is running) keeps the current version and retries later.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rok.errors import InputError

__all__ = ["Analyses", "DataState"]

log = logging.getLogger("rok.web")


@dataclass
class Analyses:
    """Everything computed once for one warehouse version (lazy, thread-safe per item)."""

    path: Path  # the private snapshot
    key: str  # version key: file identity + load history
    loads: int
    load_id: int = 0  # the latest load
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    pages: OrderedDict[Any, Any] = field(default_factory=OrderedDict, repr=False)

    def _get(self, name: str, make: Any) -> Any:
        if name in self._memo:
            return self._memo[name]
        with self._lock:
            if name not in self._memo:
                started = time.perf_counter()
                self._memo[name] = make()
                log.info("computed %s in %.1f s", name, time.perf_counter() - started)
            return self._memo[name]

    @property
    def profiles(self) -> Any:
        def make() -> Any:
            from rok.analysis.profiles import Profiles
            from rok.measures import Selection, open_engine

            with open_engine("duckdb", self.path) as engine:
                return Profiles.compute(engine, Selection(level=2))
        return self._get("profiles", make)

    @property
    def networks(self) -> Any:
        def make() -> Any:
            from rok.analysis.network_profiles import Networks
            from rok.measures import open_engine

            with open_engine("duckdb", self.path) as engine:
                return Networks.compute(engine, self.profiles.selection, organisations=False)
        return self._get("networks", make)

    @property
    def partner_index(self) -> Any:
        def make() -> Any:
            from types import SimpleNamespace

            from rok.cooperation.partners import PartnerIndex
            from rok.measures import open_engine
            from rok.measures.networks import org_edges, org_nodes

            p = self.profiles
            with open_engine("duckdb", self.path) as engine:
                graph = SimpleNamespace(org_nodes=org_nodes(engine, p.selection), org_edges=org_edges(engine, p.selection))
                return PartnerIndex.from_profiles(engine, p, graph)
        return self._get("partners", make)

    @property
    def complementarity_sym(self) -> pd.DataFrame:
        def make() -> Any:
            from rok.cooperation.complementarity import complementarity_matrix, mutual

            p = self.profiles
            return mutual(complementarity_matrix(p.rca, p.specialised, p.density))
        return self._get("complementarity", make)

    @property
    def mentoring(self) -> pd.DataFrame:
        def make() -> Any:
            from rok.cooperation.mentoring import mentoring_programme

            ties = self.networks.region_edges
            return mentoring_programme(self.profiles, ties=ties[~ties["internal"]])
        return self._get("mentoring", make)

    @property
    def maps(self) -> Any:
        def make() -> Any:
            from rok.web.maps import MapData

            return MapData.load(self.path)
        return self._get("maps", make)

    def untapped(self, region: str | None, k: int) -> pd.DataFrame:
        from rok.cooperation.complementarity import untapped

        p, n = self.profiles, self.networks
        if n.gravity is None:
            raise InputError("the gravity model could not be estimated for this warehouse")
        expected = n.gravity.expected
        if region is not None:  # the same answer from the pairs that involve the region (found once)
            code = region.strip().upper()
            expected = self.expected_by_region.get(code, expected.iloc[:0])
        return untapped(self.complementarity_sym, expected, k=k, region=region, rca=p.rca,
                        M=p.specialised, density=p.density)

    @property
    def expected_by_region(self) -> dict[str, pd.DataFrame]:
        """The gravity fit's pairs grouped by each of their two regions: ``untapped`` for one region
        reads only these (its quantile threshold comes from the complementarity matrix, not from
        the pairs, so the result is the same as over all 51,040 pairs)."""
        def make() -> dict[str, pd.DataFrame]:
            e = self.networks.gravity.expected
            groups: dict[str, list[pd.DataFrame]] = {}
            for column in ("source", "target"):
                for code, part in e.groupby(column, sort=False):
                    groups.setdefault(str(code), []).append(part)
            return {code: pd.concat(parts) if len(parts) > 1 else parts[0] for code, parts in groups.items()}
        return self._get("expected_by_region", make)

    @property
    def city_placements(self) -> pd.DataFrame:
        """Participations placed by the name of a city that spans several NUTS 2 regions
        (:func:`rok.warehouse.city_spread.city_placements`)."""
        def make() -> pd.DataFrame:
            from rok.warehouse import Warehouse
            from rok.warehouse.city_spread import city_placements

            with Warehouse(self.path, read_only=True) as wh:
                return city_placements(wh)
        return self._get("city_placements", make)

    def domains(self) -> pd.DataFrame:
        p = self.profiles
        return p.domains.loc[[d for d in p.activity.columns if d in p.domains.index]]

    def cached_page(self, key: Any, make: Any, limit: int = 4096) -> Any:
        """A rendered fragment, made once per version (LRU of ``limit`` entries)."""
        if key in self.pages:
            self.pages.move_to_end(key)
            return self.pages[key]
        value = make()
        self.pages[key] = value
        while len(self.pages) > limit:
            self.pages.popitem(last=False)
        return value

    def warm(self) -> None:
        """Compute what every page needs (called in the background at start)."""
        for name in ("profiles", "networks", "maps", "complementarity_sym", "mentoring", "partner_index"):
            getattr(self, name)


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_dev, st.st_mtime_ns, st.st_size


class DataState:
    """The current :class:`Analyses` of the warehouse at ``db``, swapped when the file changes."""

    def __init__(self, db: str | Path, *, check_every: float = 1.0, settle: float = 2.0) -> None:
        self.db = Path(db)
        if not self.db.is_file():
            raise InputError("warehouse file not found; run `rok ingest mirror` first", file=str(self.db))
        self.check_every, self.settle = check_every, settle
        self._dir = Path(tempfile.mkdtemp(prefix="rok-serve-"))
        self._lock = threading.Lock()
        self._checked = 0.0
        self._seen: tuple[int, int, int, int] | None = None
        self._candidate: tuple[int, int, int, int] | None = None
        self._candidate_at = 0.0
        self.swaps = 0
        self.prerender: Any = None  # called with a version's analyses once they are computed
        self._ws, self._ws_at = "0", 0.0
        self.current: Analyses = self._snapshot(force=True)  # type: ignore[assignment]

    def _snapshot(self, force: bool = False) -> Analyses | None:
        ident = _identity(self.db)
        try:
            con = duckdb.connect(str(self.db), read_only=True)
        except duckdb.Error as exc:  # a load holds the file: keep serving the current version
            if force:
                raise InputError(f"the warehouse cannot be opened: {exc}", file=str(self.db)) from None
            log.info("warehouse busy, keeping the current version: %s", exc)
            return None
        try:
            loads = con.execute("SELECT count(*), coalesce(max(load_id), 0), coalesce(max(finished)::VARCHAR, '') "
                                "FROM loads").fetchone()
            history = "|".join(str(v) for v in loads)  # type: ignore[union-attr]
            target = self._dir / f"{ident[0]}-{ident[2]}.duckdb"
            shutil.copyfile(self.db, target)
            wal = Path(str(self.db) + ".wal")
            if wal.exists():
                shutil.copyfile(wal, str(target) + ".wal")
        finally:
            con.close()
        key = hashlib.sha256(f"{ident}|{history}".encode()).hexdigest()[:16]
        self._seen = ident
        return Analyses(target, key, int(loads[0]), int(loads[1]))  # type: ignore[index]

    def get(self) -> Analyses:
        """The current version; at most every ``check_every`` s, look for a new file. A new file
        that has stayed unchanged for ``settle`` s is snapshotted and analysed in the background;
        it replaces the current version once its analyses are ready."""
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return self.current
        with self._lock:
            self._checked = now
            try:
                ident = _identity(self.db)
            except FileNotFoundError:  # between an unlink and a rename: keep serving
                return self.current
            if ident == self._seen:
                return self.current
            if ident != self._candidate:
                self._candidate, self._candidate_at = ident, now
            if now - self._candidate_at < self.settle:
                return self.current
            fresh = self._snapshot()
            if fresh is not None:
                threading.Thread(target=self._swap, args=(fresh,), daemon=True).start()
            return self.current

    def _swap(self, fresh: Analyses) -> None:
        try:
            fresh.warm()
            if self.prerender is not None:
                self.prerender(fresh)
        except Exception:  # noqa: BLE001 - logged; the old version keeps serving
            log.exception("computing the analyses of the new warehouse failed; keeping the previous version")
            return
        old, self.current = self.current, fresh
        self.swaps += 1
        time.sleep(30)  # requests that started on the old version finish first
        for path in (old.path, Path(str(old.path) + ".wal")):
            path.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def workspace_version(self, workspace: Any, ttl: float = 1.0) -> str:
        """The latest audit entry of the workspace (every change writes one), read at most every
        ``ttl`` seconds: an ETag may lag a change made outside this server by that much."""
        from sqlalchemy import func, select

        from rok.workspace.models import AuditEntry

        now = time.monotonic()
        if now - self._ws_at > ttl:
            with workspace.session() as session:
                self._ws = str(session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))))
            self._ws_at = now
        return self._ws

    def workspace_changed(self) -> None:
        """Forget the cached workspace version (after a change through the web)."""
        self._ws_at = 0.0
