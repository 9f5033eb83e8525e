"""Partner search: organisations elsewhere to work with in a domain, each with its reasons.

:class:`PartnerIndex` is built once from

- organisation x domain activity ``v[o,d]`` (:func:`organisation_activity`, the
  measure of :mod:`rok.measures.activity` grouped by organisation instead of region),
- the organisations (name, actor type, country, region: ``Networks.org_nodes``),
- the complementarity matrix ``C[A->B]`` (:mod:`rok.cooperation.complementarity`) with
  the RCA and specialisation it came from, and
- the organisation co-participation edges (``Networks.org_edges``) for network distance.

A search for a searcher region ``s`` (or an organisation ``q``, whose region is ``s``) and
a domain ``d`` scores every organisation ``o`` active in ``d`` (``v[o,d] > 0``), of region
``r(o)``::

    activity      a[o] = #{o' active in d: v[o',d] <= v[o,d]} / #{o' active in d}   (0..1]
    complement.   c[o] = C[r(o)->s] / max_{r != s} C[r->s]                  (0..1; 0 unplaced)
    network       n[o] = prefer "new":      1 if dist(o) != 1 else 0
                         prefer "existing": 1 if dist(o) == 1, 0.5 if 2, else 0
                         prefer "any":      0
    score[o]      = w_a a[o] + w_c c[o] + w_n n[o]     (default w = 0.5, 0.3, 0.2)

``a`` is the organisation's percentile in the domain (1 for the most active, ties share
the higher value) rather than its share of the top, because organisation activity is
heavy-tailed: a few large research bodies would otherwise give everyone else ~0. ``dist(o)`` is the
network distance from the searcher: 1 for a co-participant of ``q`` (or of any
organisation of region ``s``), 2 for a co-participant of those, ``inf`` beyond (only two
hops are explored: two sparse matrix-vector products). The ranking puts the preferred
tier first: with ``prefer="new"`` organisations at distance 1 come only after all others
(so they appear only when fewer than ``k`` others are active), with ``"existing"``
those at distance 1 come first; within a tier hits are ranked by score.

Per query the work is vector operations over the organisations active in the domain
(precomputed, sorted arrays) and two sparse products (cached per searcher), so a search
takes milliseconds.
"""

from __future__ import annotations

import difflib
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd
import scipy.sparse as sp

from rok.errors import InputError
from rok.measures.engine import Engine
from rok.measures.selection import Selection, participation_rows

__all__ = ["ACTOR_TYPES", "PREFERENCES", "PartnerIndex", "organisation_activity", "organisation_activity_expr"]

ACTOR_TYPES = {"HES": "higher education", "REC": "research organisation", "PRC": "firm", "PUB": "public body",
               "OTH": "other"}
_ALIASES = {"FIRM": "PRC", "FIRMS": "PRC", "COMPANY": "PRC", "COMPANIES": "PRC", "PRIVATE": "PRC",
            "UNIVERSITY": "HES", "UNIVERSITIES": "HES", "RESEARCH": "REC", "PUBLIC": "PUB", "OTHER": "OTH"}
PREFERENCES = ("new", "existing", "any")
Preference = Literal["new", "existing", "any"]
_COLUMNS = ["org_id", "name", "type", "region", "country", "activity", "complementarity", "distance", "score",
            "reasons"]
_FAR = 99  # distance "more than two steps"


def organisation_activity_expr(engine: Engine, sel: Selection) -> ibis.Table:
    """Ibis expression of organisation x domain activity (``org_id, domain, value``), unexecuted.

    ``v[o,d] = sum_{p: o(p)=o} w[j(p),d] * unit(p)``: as the region x domain activity of
    :mod:`rok.measures.activity`, grouped by organisation; placed or not.
    """
    rows = participation_rows(engine, sel, placed_only=False)
    weights = engine.table("project_domains")
    weights = weights.filter(weights.taxonomy == sel.taxonomy).select(
        "project_id", domain=weights.code, weight=weights.weight.cast("float64"))
    rows = rows.join(weights, "project_id")
    cells = rows.group_by("org_id", "domain").aggregate(value=(rows.weight * rows.unit).sum())
    return cells.mutate(value=cells.value.cast("float64")).order_by("org_id", "domain")


def organisation_activity(engine: Engine, sel: Selection | None = None) -> pd.DataFrame:
    """Organisation x domain activity: DataFrame ``org_id, domain, value`` (non-empty cells)."""
    sel = sel or Selection()
    frame = engine.execute(organisation_activity_expr(engine, sel))
    frame = frame[frame["value"] > 0]
    return frame[["org_id", "domain", "value"]].reset_index(drop=True)


@dataclass
class _Domain:
    orgs: np.ndarray  # organisation positions, by activity descending
    value: np.ndarray
    norm: np.ndarray  # percentile a[o] in the domain
    rank: np.ndarray  # 1-based position


@dataclass
class PartnerIndex:
    """Precomputed arrays for :meth:`search` (build with :meth:`build` or :meth:`from_profiles`)."""

    org_ids: np.ndarray
    names: np.ndarray
    types: np.ndarray  # actor type codes (str)
    regions: np.ndarray  # region code or "" when unplaced
    countries: np.ndarray
    region_pos: np.ndarray  # position in complementarity index, -1 if none
    comp: np.ndarray  # regions x regions, C[A->B], NaN diagonal
    comp_regions: pd.Index
    rca: np.ndarray  # regions x domains (complementarity grid; NaN where unknown)
    specialised: np.ndarray  # regions x domains, bool
    domain_cols: dict[str, int]  # domain -> column of rca/specialised
    domains: dict[str, _Domain]
    adjacency: sp.csr_matrix
    region_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # -1 unplaced
    region_codes: dict[str, int] = field(default_factory=dict)
    unit: str = "participations"
    weights: tuple[float, float, float] = (0.5, 0.3, 0.2)
    _position: dict[Any, int] = field(default_factory=dict, repr=False)
    _cache: OrderedDict[Any, np.ndarray] = field(default_factory=OrderedDict, repr=False)

    # -- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, activity: pd.DataFrame, nodes: pd.DataFrame, edges: pd.DataFrame, complementarity: pd.DataFrame,
              *, rca: pd.DataFrame | None = None, specialised: pd.DataFrame | None = None,
              unit: str = "participations", weights: tuple[float, float, float] = (0.5, 0.3, 0.2)) -> PartnerIndex:
        """Build the index.

        Parameters
        ----------
        activity
            ``org_id, domain, value`` (:func:`organisation_activity`).
        nodes
            ``org_id, name, activity_type, country, region`` (``Networks.org_nodes``);
            organisations of ``activity`` missing here are kept without name or region.
        edges
            ``source, target`` (``Networks.org_edges``; other columns ignored).
        complementarity
            ``C[A->B]`` regions x regions (:func:`~rok.cooperation.complementarity.complementarity_matrix`).
        rca, specialised
            Regions x domains, for the reasons (optional).
        unit
            What the activity counts, for the reasons.
        """
        if len(weights) != 3 or any(not math.isfinite(w) or w < 0 for w in weights):
            raise InputError("weights must be three non-negative numbers (activity, complementarity, network)",
                             value=weights)
        nodes = nodes.drop_duplicates("org_id")
        ids = pd.Index(pd.unique(pd.concat([nodes["org_id"], activity["org_id"]], ignore_index=True)))
        info = nodes.set_index("org_id").reindex(ids)

        def text(column: str) -> np.ndarray:
            if column not in info.columns:
                return np.full(len(ids), "", dtype=object)
            return info[column].where(info[column].notna(), "").astype(str).to_numpy(dtype=object)

        names, types, regions, countries = text("name"), text("activity_type"), text("region"), text("country")
        comp_regions = pd.Index(complementarity.index)
        comp = complementarity.reindex(columns=comp_regions).to_numpy(dtype=float)
        region_pos = comp_regions.get_indexer(regions).astype(np.int64)
        domain_cols: dict[str, int] = {}
        r = np.full((len(comp_regions), 0), np.nan)
        m = np.zeros((len(comp_regions), 0), dtype=bool)
        if rca is not None:
            cols = list(rca.columns)
            domain_cols = {str(d): i for i, d in enumerate(cols)}
            r = rca.reindex(index=comp_regions).to_numpy(dtype=float)
            if specialised is not None:
                m = specialised.reindex(index=comp_regions, columns=cols).fillna(0).to_numpy(dtype=float) > 0
            else:
                m = np.nan_to_num(r) >= 1.0
        pos = ids.get_indexer(activity["org_id"])
        domains: dict[str, _Domain] = {}
        for domain, part in pd.DataFrame({"pos": pos, "domain": activity["domain"].astype(str),
                                          "value": activity["value"].astype(float)}).groupby("domain"):
            part = part[part["value"] > 0].groupby("pos", as_index=False)["value"].sum()
            part = part.sort_values(["value", "pos"], ascending=[False, True], kind="stable")
            value = part["value"].to_numpy(dtype=float)
            if value.size == 0:
                continue
            # a[o] = share of the active organisations with activity <= v[o] (ties share it)
            norm = 1.0 - np.searchsorted(-value, -value, side="left") / len(value)
            domains[str(domain)] = _Domain(part["pos"].to_numpy(dtype=np.int64), value, norm,
                                           np.arange(1, len(value) + 1))
        src = ids.get_indexer(edges["source"])
        dst = ids.get_indexer(edges["target"])
        ok = (src >= 0) & (dst >= 0) & (src != dst)
        src, dst = src[ok], dst[ok]
        n = len(ids)
        adjacency = sp.csr_matrix((np.ones(2 * len(src), dtype=np.float32),
                                   (np.concatenate([src, dst]), np.concatenate([dst, src]))), shape=(n, n))
        adjacency.sum_duplicates()
        index = cls(ids.to_numpy(dtype=object), names, types, regions, countries, region_pos, comp, comp_regions,
                    r, m, domain_cols, domains, adjacency, unit, tuple(float(w) for w in weights))  # type: ignore[arg-type]
        ids_codes, uniques = pd.factorize(pd.Series(regions).replace("", None))
        index.region_ids = np.asarray(ids_codes, dtype=np.int64)
        index.region_codes = {str(code): i for i, code in enumerate(uniques)}
        for code in comp_regions:
            index.region_codes.setdefault(str(code), -1 - len(index.region_codes))  # known, no organisation
        index._position = {key: i for i, key in enumerate(ids)}
        index._position.update({str(key): i for i, key in enumerate(ids)})
        return index

    @classmethod
    def from_profiles(cls, engine: Engine, profiles: Any, networks: Any, *, cap: float = 2.0,
                      weights: tuple[float, float, float] = (0.5, 0.3, 0.2)) -> PartnerIndex:
        """Build from :class:`~rok.analysis.profiles.Profiles` and :class:`~rok.analysis.network_profiles.Networks`
        (computed with ``organisations=True``) of the same selection."""
        from rok.cooperation.complementarity import complementarity_matrix

        if networks.org_nodes is None or networks.org_edges is None:
            raise InputError("partner search needs the organisation network (Networks.compute(organisations=True))")
        sel = profiles.selection
        activity = organisation_activity(engine, sel)
        comp = complementarity_matrix(profiles.rca, profiles.specialised, profiles.density, cap=cap)
        unit = ("EUR" if sel.measure == "funding"
                else "participations" if sel.counting == "full" else "participations (fractional)")
        return cls.build(activity, networks.org_nodes, networks.org_edges, comp, rca=profiles.rca,
                         specialised=profiles.specialised, unit=unit, weights=weights)

    # -- searching ------------------------------------------------------------------------
    def search(self, region: str | None = None, org: Any = None, *, domain: str,
               types: Iterable[str] | str | None = None, prefer: Preference = "new", k: int = 20,
               exclude_own_region: bool = True) -> pd.DataFrame:
        """Rank organisations active in ``domain`` for ``region`` (or organisation ``org``).

        Returns
        -------
        DataFrame with columns ``org_id, name, type, region, country, activity`` (``v[o,d]``),
        ``complementarity`` (``C[r(o)->s]``, NaN when unknown), ``distance`` (1, 2 or 99
        for "more than two steps"; 0 for the searching organisations themselves),
        ``score`` and ``reasons``; at most ``k`` rows, best first.

        Raises
        ------
        InputError
            Unknown region, organisation, domain, actor type or preference; neither
            region nor organisation given.
        """
        if prefer not in PREFERENCES:
            raise InputError(f"prefer must be one of {', '.join(PREFERENCES)}", column="prefer", value=prefer)
        if not isinstance(k, int) or k < 1:
            raise InputError("k must be a whole number of at least 1", column="k", value=k)
        if region is None and org is None:
            raise InputError("partner search needs a region or an organisation")
        q = self._org(org) if org is not None else None
        code: str | None = self._region(region) if region is not None else (str(self.regions[q]) or None)
        domain, dom = self._domain(domain)
        allowed = self._types(types)
        # candidates: organisations active in the domain, filtered
        cand, value, norm, rank = dom.orgs, dom.value, dom.norm, dom.rank
        keep = np.ones(len(cand), dtype=bool)
        if allowed is not None:
            keep &= np.isin(self.types[cand], allowed)
        if exclude_own_region and code:
            keep &= self.region_ids[cand] != self.region_codes.get(code, -1)
        if q is not None:
            keep &= cand != q
        cand, value, norm, rank = cand[keep], value[keep], norm[keep], rank[keep]
        # complementarity of the candidate's region for the searcher's region
        s = int(self.comp_regions.get_loc(code)) if code and code in self.comp_regions else -1
        comp = np.full(len(cand), np.nan)
        cnorm = np.zeros(len(cand))
        if s >= 0:
            column = self.comp[:, s]
            top = np.nanmax(column) if np.isfinite(column).any() else 0.0
            rp = self.region_pos[cand]
            placed = rp >= 0
            comp[placed] = column[rp[placed]]
            if top > 0:
                cnorm = np.nan_to_num(comp / top)
        # network distance
        dist = self._distances(q, code)[cand]
        if prefer == "new":
            net = (dist != 1).astype(float)
            tier = (dist == 1).astype(int)
        elif prefer == "existing":
            net = np.where(dist == 1, 1.0, np.where(dist == 2, 0.5, 0.0))
            tier = (dist != 1).astype(int)
        else:
            net = np.zeros(len(cand))
            tier = np.zeros(len(cand), dtype=int)
        wa, wc, wn = self.weights
        score = wa * norm + wc * cnorm + (wn * net if prefer != "any" else 0.0)
        order = np.lexsort((cand, -score, tier))[:k]
        n_active = len(dom.orgs)
        rows = []
        for i in order:
            o = int(cand[i])
            rows.append({"org_id": self.org_ids[o], "name": self.names[o], "type": self.types[o],
                         "region": self.regions[o], "country": self.countries[o], "activity": float(value[i]),
                         "complementarity": float(comp[i]), "distance": int(dist[i]), "score": float(score[i]),
                         "reasons": self._reasons(o, domain, float(value[i]), int(rank[i]), n_active, code,
                                                  float(comp[i]), s, int(dist[i]), q)})
        return pd.DataFrame(rows, columns=_COLUMNS)

    # -- helpers --------------------------------------------------------------------------
    def _distances(self, q: int | None, code: str | None) -> np.ndarray:
        """Hops from the searcher (0 itself, 1, 2, else ``_FAR``) for every organisation."""
        key = ("org", q) if q is not None else ("region", code)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        n = len(self.org_ids)
        start = np.zeros(n, dtype=bool)
        if q is not None:
            start[q] = True
        elif code and self.region_codes.get(code, -1) >= 0:
            start = self.region_ids == self.region_codes[code]
        dist = np.full(n, _FAR, dtype=np.int64)
        dist[start] = 0
        if start.any():
            one = (self.adjacency @ start.astype(np.float32)) > 0
            one &= dist == _FAR
            dist[one] = 1
            two = (self.adjacency @ one.astype(np.float32)) > 0
            two &= dist == _FAR
            dist[two] = 2
        self._cache[key] = dist
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return dist

    def _reasons(self, o: int, domain: str, value: float, rank: int, n_active: int, code: str | None,
                 comp: float, s: int, dist: int, q: int | None) -> str:
        share = max(1, math.ceil(100.0 * rank / n_active))
        parts = [f"{value:.3g} {self.unit} in {domain} (rank {rank} of {n_active}, top {share}%)"]
        region = self.regions[o]
        p = self.region_pos[o]
        col = self.domain_cols.get(domain)
        if region and p >= 0 and s >= 0 and col is not None:
            rca = self.rca[p, col]
            if self.specialised[p, col] and not self.specialised[s, col]:
                parts.append(f"its region {region} is strong in {domain} (RCA {rca:.2f}) where {code} is not yet")
            elif self.specialised[p, col]:
                parts.append(f"its region {region} is specialised in {domain} (RCA {rca:.2f}) as {code} is")
            else:
                parts.append(f"its region {region} is not specialised in {domain} (RCA {rca:.2f})")
        if region and s >= 0 and math.isfinite(comp):
            parts.append(f"complementarity of {region} for {code} {comp:.3f}")
        elif not region:
            parts.append("region unknown")
        who = "the organisation" if q is not None else code
        if dist == 1:
            parts.append(f"already a partner of {who}")
        elif dist == 2:
            parts.append(f"no tie yet (2 steps away from {who})")
        elif dist == 0:
            parts.append(f"belongs to {who}")
        else:
            parts.append(f"no tie yet (more than 2 steps from {who})")
        return "; ".join(parts)

    def _org(self, org: Any) -> int:
        pos = self._position.get(org)
        if pos is None:
            pos = self._position.get(str(org).strip())
        if pos is None:
            raise InputError("unknown organisation (no participation in the selection)", column="org", value=org)
        return pos

    def _region(self, region: str) -> str:
        code = str(region).strip().upper()
        if code not in self.region_codes:
            near = difflib.get_close_matches(code, sorted(self.region_codes), n=5)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise InputError(f"unknown region for partner search{hint}", column="region", value=region)
        return code

    def _domain(self, domain: str) -> tuple[str, _Domain]:
        hit = self.domains.get(str(domain))
        if hit is None:
            lookup = {d.upper(): d for d in self.domains}
            name = lookup.get(str(domain).strip().upper())
            if name is not None:
                return name, self.domains[name]
            near = difflib.get_close_matches(str(domain), sorted(self.domains), n=5)
            hint = f"did you mean {', '.join(near)}?" if near else f"known: {', '.join(sorted(self.domains))}"
            raise InputError(f"unknown domain (no organisation active in it); {hint}", column="domain", value=domain)
        return str(domain), hit

    def _types(self, types: Iterable[str] | str | None) -> np.ndarray | None:
        if types is None:
            return None
        items: Sequence[str] = [types] if isinstance(types, str) else list(types)
        out = []
        for item in items:
            key = str(item).strip().upper()
            key = _ALIASES.get(key, key)
            if key not in ACTOR_TYPES:
                known = ", ".join(f"{c} ({n})" for c, n in ACTOR_TYPES.items())
                raise InputError(f"unknown actor type; expected one of {known}", column="types", value=item)
            out.append(key)
        if not out:
            raise InputError("types must name at least one actor type (or be None for all)", column="types",
                             value=types)
        return np.array(out, dtype=object)
