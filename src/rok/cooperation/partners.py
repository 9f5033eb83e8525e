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

Who is searched. By default the research and innovation actors: higher education (HES),
research organisations (REC) and firms (PRC) (:data:`DEFAULT_TYPES`; ``types`` to choose).
Umbrella bodies (associations, networks, federations, platforms, agencies;
:mod:`rok.cooperation.umbrella`, with the rule and its reason per organisation) come after
all others, whatever their score, unless ``umbrella=True``.

Evidence per hit: the projects the organisation has in the domain and the latest start
year among them, its city, and its existing ties (the number of organisations of the
searching region it already shares a project with).

Per query the work is vector operations over the organisations active in the domain
(precomputed, sorted arrays) and two sparse products (cached per searcher), so a search
takes milliseconds. Building the index takes seconds (profiles, organisation network,
activity); :mod:`rok.cooperation.partner_store` keeps it on disk, keyed by the warehouse's
load history, so that ``rok partners`` builds it once per warehouse state.
"""

from __future__ import annotations

import difflib
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from rok.cooperation.organisations import (
    organisation_activity,
    organisation_activity_expr,
    organisation_details,
)
from rok.cooperation.umbrella import umbrella_flags
from rok.errors import InputError

if TYPE_CHECKING:  # the measures (and ibis) are needed to build an index, not to search a stored one
    from rok.measures.engine import Engine

__all__ = ["ACTOR_TYPES", "DEFAULT_TYPES", "PREFERENCES", "PartnerIndex", "organisation_activity",
           "organisation_activity_expr", "organisation_details"]

ACTOR_TYPES = {"HES": "higher education", "REC": "research organisation", "PRC": "firm", "PUB": "public body",
               "OTH": "other"}
_ALIASES = {"FIRM": "PRC", "FIRMS": "PRC", "COMPANY": "PRC", "COMPANIES": "PRC", "PRIVATE": "PRC",
            "UNIVERSITY": "HES", "UNIVERSITIES": "HES", "RESEARCH": "REC", "PUBLIC": "PUB", "OTHER": "OTH"}
#: Actor types searched by default: the research and innovation actors.
DEFAULT_TYPES = ("HES", "REC", "PRC")
PREFERENCES = ("new", "existing", "any")
Preference = Literal["new", "existing", "any"]
_COLUMNS = ["org_id", "name", "city", "type", "region", "country", "projects", "latest", "activity",
            "complementarity", "distance", "ties", "umbrella", "score", "reasons"]
_FAR = 99  # distance "more than two steps"


@dataclass(frozen=True)
class Ties:
    """The organisation network as a compressed sparse row pattern (all values 1).

    ``ties @ x`` is the matrix-vector product: for each organisation, the sum of ``x`` over
    the organisations it is tied to. Plain numpy, so that a stored index is searched without
    loading scipy."""

    indptr: np.ndarray
    indices: np.ndarray

    @classmethod
    def from_edges(cls, src: np.ndarray, dst: np.ndarray, n: int) -> Ties:
        """Both directions of every edge, each pair once (however often listed), no self-ties."""
        import scipy.sparse as sp  # building only: a stored index is searched without scipy

        keep = src != dst
        rows = np.concatenate([src[keep], dst[keep]]).astype(np.int64)
        cols = np.concatenate([dst[keep], src[keep]]).astype(np.int64)
        matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
        matrix.sum_duplicates()
        matrix.sort_indices()
        return cls(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32))

    @property
    def nnz(self) -> int:
        return int(len(self.indices))

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        starts = self.indptr[:-1]
        out = np.zeros(len(starts), dtype=np.float64)
        filled = self.indptr[1:] > starts
        if filled.any():
            out[filled] = np.add.reduceat(np.asarray(x, dtype=np.float64)[self.indices], starts[filled])
        return out


@dataclass
class _Domain:
    orgs: np.ndarray  # organisation positions, by activity descending
    value: np.ndarray
    norm: np.ndarray  # percentile a[o] in the domain
    rank: np.ndarray  # 1-based position
    projects: np.ndarray  # distinct projects of the organisation in the domain (0 when unknown)
    latest: np.ndarray  # latest start year of those projects (0 when unknown)


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
    adjacency: Ties
    region_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # -1 unplaced
    region_codes: dict[str, int] = field(default_factory=dict)
    unit: str = "participations"
    weights: tuple[float, float, float] = (0.5, 0.3, 0.2)
    cities: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    umbrella: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # reason, "" when not
    region_names: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # what the index was built from
    _position: dict[Any, int] = field(default_factory=dict, repr=False)
    _cache: OrderedDict[Any, tuple[np.ndarray, np.ndarray]] = field(default_factory=OrderedDict, repr=False)

    # -- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, activity: pd.DataFrame, nodes: pd.DataFrame, edges: pd.DataFrame, complementarity: pd.DataFrame,
              *, rca: pd.DataFrame | None = None, specialised: pd.DataFrame | None = None,
              unit: str = "participations", weights: tuple[float, float, float] = (0.5, 0.3, 0.2),
              details: pd.DataFrame | None = None, region_names: dict[str, str] | None = None) -> PartnerIndex:
        """Build the index.

        Parameters
        ----------
        activity
            ``org_id, domain, value`` [``, projects, latest``] (:func:`organisation_activity`).
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
        details
            Per organisation ``org_id`` [``, city, projects, funded_share, median_ec``]
            (:func:`organisation_details`): the city and the umbrella rule's third test.
        region_names
            Region code -> name, for the outputs.
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
        extra = (details.drop_duplicates("org_id").set_index("org_id").reindex(ids) if details is not None
                 else pd.DataFrame(index=ids))
        cities = (extra["city"].where(extra["city"].notna(), "").astype(str).to_numpy(dtype=object)
                  if "city" in extra.columns else np.full(len(ids), "", dtype=object))
        n_domains = activity[activity["value"] > 0].groupby("org_id")["domain"].nunique()
        umbrella = umbrella_flags(pd.DataFrame({"activity_type": types, "name": names,
                                                **{c: extra[c].to_numpy() for c in ("projects", "funded_share",
                                                                                    "median_ec") if c in extra},
                                                "domains": n_domains.reindex(ids).fillna(0).to_numpy()}))
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
        cells = pd.DataFrame({"pos": pos, "domain": activity["domain"].astype(str),
                              "value": activity["value"].astype(float),
                              "projects": activity["projects"].fillna(0).astype(np.int64) if "projects" in activity
                              else 0,
                              "latest": activity["latest"].fillna(0).astype(np.int64) if "latest" in activity
                              else 0})
        for domain, part in cells.groupby("domain"):
            part = part[part["value"] > 0].groupby("pos", as_index=False).agg(
                value=("value", "sum"), projects=("projects", "sum"), latest=("latest", "max"))
            part = part.sort_values(["value", "pos"], ascending=[False, True], kind="stable")
            value = part["value"].to_numpy(dtype=float)
            if value.size == 0:
                continue
            # a[o] = share of the active organisations with activity <= v[o] (ties share it)
            norm = 1.0 - np.searchsorted(-value, -value, side="left") / len(value)
            domains[str(domain)] = _Domain(part["pos"].to_numpy(dtype=np.int64), value, norm,
                                           np.arange(1, len(value) + 1), part["projects"].to_numpy(dtype=np.int64),
                                           part["latest"].to_numpy(dtype=np.int64))
        src = ids.get_indexer(edges["source"])
        dst = ids.get_indexer(edges["target"])
        ok = (src >= 0) & (dst >= 0) & (src != dst)
        src, dst = src[ok], dst[ok]
        n = len(ids)
        adjacency = Ties.from_edges(src, dst, n)
        index = cls(ids.to_numpy(dtype=object), names, types, regions, countries, region_pos, comp, comp_regions,
                    r, m, domain_cols, domains, adjacency, unit=unit,
                    weights=tuple(float(w) for w in weights),  # type: ignore[arg-type]
                    cities=cities, umbrella=umbrella.to_numpy(dtype=object), region_names=dict(region_names or {}))
        ids_codes, uniques = pd.factorize(pd.Series(regions).replace("", None))
        index.region_ids = np.asarray(ids_codes, dtype=np.int64)
        index.region_codes = {str(code): i for i, code in enumerate(uniques)}
        for code in comp_regions:
            index.region_codes.setdefault(str(code), -1 - len(index.region_codes))  # known, no organisation
        return index

    def _index_positions(self) -> None:
        self._position = {key: i for i, key in enumerate(self.org_ids)}
        self._position.update({str(key): i for i, key in enumerate(self.org_ids)})

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
        details = organisation_details(engine, sel)
        comp = complementarity_matrix(profiles.rca, profiles.specialised, profiles.density, cap=cap)
        unit = ("EUR" if sel.measure == "funding"
                else "participations" if sel.counting == "full" else "participations (fractional)")
        names = {str(code): profiles.region_name(code) for code in profiles.activity.index}
        index = cls.build(activity, networks.org_nodes, networks.org_edges, comp, rca=profiles.rca,
                          specialised=profiles.specialised, unit=unit, weights=weights, details=details,
                          region_names=names)
        index.meta = {"selection": sel.describe(), "cap": cap}
        return index

    def check_region(self, region: str) -> str:
        """The code of a known region (upper-cased), else InputError with close matches."""
        return self._region(region)

    def region_name(self, code: str) -> str:
        """The name of a region of the index ("" when unknown)."""
        return self.region_names.get(str(code), "")

    # -- searching ------------------------------------------------------------------------
    def search(self, region: str | None = None, org: Any = None, *, domain: str,
               types: Iterable[str] | str | None = DEFAULT_TYPES, prefer: Preference = "new", k: int = 20,
               exclude_own_region: bool = True, umbrella: bool = False,
               per_region: int | None = None) -> pd.DataFrame:
        """Rank organisations active in ``domain`` for ``region`` (or organisation ``org``).

        ``types``: actor types to search (default :data:`DEFAULT_TYPES`, the research and
        innovation actors; ``None`` for all). ``umbrella``: rank umbrella bodies like the
        others; by default they come after all others (module docstring). ``per_region``: at
        most this many hits from one region (the best of each, in the same order), so that
        one strong region does not fill the list; ``None`` (default) for no limit.

        Returns
        -------
        DataFrame with columns ``org_id, name, city, type, region, country``, ``projects`` (its
        projects in the domain), ``latest`` (their latest start year), ``activity`` (``v[o,d]``),
        ``complementarity`` (``C[r(o)->s]``, NaN when unknown), ``distance`` (1, 2 or 99 for
        "more than two steps"; 0 for the searching organisations themselves), ``ties`` (how
        many of the searching organisations it already shares a project with), ``umbrella``
        (the reason it is taken for an umbrella body, "" when not), ``score`` and ``reasons``;
        at most ``k`` rows, best first.

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
        if per_region is not None and (isinstance(per_region, bool) or not isinstance(per_region, int)
                                       or per_region < 1):
            raise InputError("per_region must be a whole number of at least 1", column="per_region",
                             value=per_region)
        if region is None and org is None:
            raise InputError("partner search needs a region or an organisation")
        q = self._org(org) if org is not None else None
        code: str | None = self._region(region) if region is not None else (str(self.regions[q]) or None)
        domain, dom = self._domain(domain)
        allowed = self._types(types)
        # candidates: organisations active in the domain, filtered
        cand = dom.orgs
        keep = np.ones(len(cand), dtype=bool)
        if allowed is not None:
            keep &= np.isin(self.types[cand], allowed)
        if exclude_own_region and code:
            keep &= self.region_ids[cand] != self.region_codes.get(code, -1)
        if q is not None:
            keep &= cand != q
        at = np.flatnonzero(keep)
        cand, value, norm = cand[at], dom.value[at], dom.norm[at]
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
        all_dist, all_ties = self._distances(q, code)
        dist = all_dist[cand]
        if prefer == "new":
            net = (dist != 1).astype(float)
            tier = (dist == 1).astype(int)
        elif prefer == "existing":
            net = np.where(dist == 1, 1.0, np.where(dist == 2, 0.5, 0.0))
            tier = (dist != 1).astype(int)
        else:
            net = np.zeros(len(cand))
            tier = np.zeros(len(cand), dtype=int)
        flagged = (self.umbrella[cand] != "") if len(self.umbrella) and not umbrella else np.zeros(len(cand), bool)
        wa, wc, wn = self.weights
        score = wa * norm + wc * cnorm + (wn * net if prefer != "any" else 0.0)
        order = np.lexsort((cand, -score, tier, flagged))
        if per_region is not None:  # the n-th hit of its region, counted in rank order
            nth = pd.Series(self.region_ids[cand[order]]).groupby(self.region_ids[cand[order]]).cumcount()
            order = order[nth.to_numpy() < per_region]
        order = order[:k]
        n_active = len(dom.orgs)
        rows = []
        for i in order:
            o, j = int(cand[i]), int(at[i])
            evidence = (int(dom.projects[j]), int(dom.latest[j]), int(dom.rank[j]), n_active)
            rows.append({"org_id": self.org_ids[o], "name": self.names[o], "city": self._at(self.cities, o),
                         "type": self.types[o], "region": self.regions[o], "country": self.countries[o],
                         "projects": evidence[0] or None, "latest": evidence[1] or None,
                         "activity": float(value[i]), "complementarity": float(comp[i]), "distance": int(dist[i]),
                         "ties": int(all_ties[o]), "umbrella": self._at(self.umbrella, o), "score": float(score[i]),
                         "reasons": self._reasons(o, domain, float(value[i]), evidence, code, float(comp[i]), s,
                                                  int(dist[i]), int(all_ties[o]), q, umbrella)})
        return pd.DataFrame(rows, columns=_COLUMNS)

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _at(values: np.ndarray, o: int) -> str:
        return str(values[o]) if len(values) > o else ""

    def _distances(self, q: int | None, code: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Hops from the searcher (0 itself, 1, 2, else ``_FAR``) for every organisation, and the
        number of searching organisations each is tied to."""
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
        ties = np.zeros(n, dtype=np.int64)
        dist[start] = 0
        if start.any():
            ties = np.rint(self.adjacency @ start).astype(np.int64)
            one = (ties > 0) & (dist == _FAR)
            dist[one] = 1
            two = (self.adjacency @ one) > 0
            two &= dist == _FAR
            dist[two] = 2
        self._cache[key] = (dist, ties)
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return dist, ties

    def _reasons(self, o: int, domain: str, value: float, evidence: tuple[int, int, int, int], code: str | None,
                 comp: float, s: int, dist: int, ties: int, q: int | None, umbrella: bool) -> str:
        projects, latest, rank, n_active = evidence
        share = max(1, math.ceil(100.0 * rank / n_active))
        own = (f"{projects} project{'s' if projects != 1 else ''} in {domain}" + (f", latest starting {latest}"
                                                                                    if latest else "") + "; "
               if projects else "")
        parts = [f"{own}{value:.3g} {self.unit} in {domain} (rank {rank} of {n_active}, top {share}%)"]
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
            parts.append(f"already a partner of {who}" + (f" ({ties} of its organisations)" if q is None else ""))
        elif dist == 2:
            parts.append(f"no tie yet (2 steps away from {who})")
        elif dist == 0:
            parts.append(f"belongs to {who}")
        else:
            parts.append(f"no tie yet (more than 2 steps from {who})")
        flag = self._at(self.umbrella, o)
        if flag:
            parts.append(f"umbrella body: {flag}" + ("" if umbrella else "; ranked after the others"))
        return "; ".join(parts)

    def _org(self, org: Any) -> int:
        if not self._position:  # built on the first search by organisation
            self._index_positions()
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
        if any(str(item).strip().upper() in ("ALL", "ANY") for item in items):
            return None
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
