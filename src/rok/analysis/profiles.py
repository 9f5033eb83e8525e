"""Research profiles of every region: all analyses, computed once from one selection.

:meth:`Profiles.compute` runs the measures on an engine (DuckDB or Spark) and every
analysis on the reduced matrices; the CLI, the Python API and the HTML report read from
the result and compute nothing of their own. The steps and their references are those of
the modules called: :mod:`~rok.analysis.specialisation`, :mod:`~rok.analysis.relatedness`,
:mod:`~rok.analysis.complexity`, :mod:`~rok.analysis.concentration`,
:mod:`~rok.analysis.clusters`, :mod:`~rok.analysis.critical_mass`,
:mod:`~rok.analysis.performance`, :mod:`~rok.analysis.peers`, :mod:`~rok.analysis.quadrant`.

Complexity, relatedness and the policy quadrant need regions and domains with at least one
specialisation (RCA >= 1); the others are dropped from those three (and listed in
``dropped``), never silently set to zero.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from rok.analysis.clusters import cluster_stars
from rok.analysis.complexity import ComplexityResult, complexity
from rok.analysis.concentration import entropy, herfindahl, hoover, locational_gini
from rok.analysis.critical_mass import critical_mass, per_inhabitant
from rok.analysis.peers import all_peers, structural_features
from rok.analysis.performance import PerformanceResult, performance_index
from rok.analysis.quadrant import policy_quadrant
from rok.analysis.relatedness import association_strength, cosine, proximity, relatedness_density
from rok.analysis.specialisation import rca, specialised
from rok.errors import InputError
from rok.measures import Engine, Selection, activity_matrix, actor_mix, coverage
from rok.measures.taxonomies import advice_note, default_selection, taxonomy_kind

__all__ = ["Profiles", "RELATEDNESS_METHODS"]

RELATEDNESS_METHODS = ("proximity", "association", "cosine")
_REGION_COLUMNS = ("code", "nuts_version", "level", "name", "name_latn", "country", "parent", "mount_type",
                   "urbn_type", "coast_type", "lon", "lat", "area_km2")


@dataclass
class Profiles:
    """Everything the region profiles show, for one selection (see the module docstring)."""

    selection: Selection
    engine: str
    activity: pd.DataFrame  # regions x domains
    rca: pd.DataFrame
    specialised: pd.DataFrame  # binary M (regions and domains with a specialisation)
    proximity: pd.DataFrame  # domains x domains (phi)
    density: pd.DataFrame  # regions x domains, 0..100
    complexity: ComplexityResult
    concentration: pd.DataFrame  # per domain: herfindahl, entropy, hoover, locational_gini
    stars: pd.DataFrame  # long: region, domain, ..., stars
    actors: pd.DataFrame  # long: region, activity_type, participations, organisations, funding, share
    critical_mass: pd.DataFrame  # per region
    performance: PerformanceResult | None  # NUTS 2 only (the indicators are NUTS 2)
    features: pd.DataFrame | None  # structural features for peers (NUTS 2 only)
    quadrant: pd.DataFrame  # long: region, domain, density, pci, quadrant
    regions: pd.DataFrame  # code -> name, country (NUTS 2021, the selection's level)
    domains: pd.DataFrame  # code -> name, parent
    coverage: Mapping[str, Any]
    dropped: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    kind: str = "instrument"  # of the taxonomy: "knowledge" or "instrument" (rok.measures.taxonomies)
    advice: str | None = None  # why relatedness, complexity and the quadrant are not advice, if they are not

    # -- building -------------------------------------------------------------------------
    @classmethod
    def compute(cls, engine: Engine, sel: Selection | None = None) -> Profiles:
        """Run the measures on ``engine`` and every analysis for all regions of ``sel``
        (default: :func:`rok.measures.taxonomies.default_selection`)."""
        sel = sel or default_selection(engine)
        seconds: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[name] = seconds.get(name, 0.0) + now - clock
            clock = now

        x = activity_matrix(engine, sel)
        counts = replace(sel, counting="full", measure="participations")
        mass = None if not sel.min_mass or counts == sel else activity_matrix(engine, counts)
        full = actor_mix(engine, replace(sel, counting="full"))
        cov = coverage(engine, sel)
        indicators = engine.execute(engine.table("indicators_nuts2021"))
        region_table = engine.execute(engine.table("regions").select(*_REGION_COLUMNS))
        domain_table = engine.execute(engine.table("domains"))
        lap("measures")
        profiles = cls._analyse(sel, engine.name, x, full, indicators, region_table, domain_table, cov, seconds, lap,
                                mass=mass)
        profiles.kind = taxonomy_kind(engine, sel.taxonomy)
        profiles.advice = advice_note(profiles.kind, sel.taxonomy)
        return profiles

    @classmethod
    def _analyse(cls, sel: Selection, engine: str, x: pd.DataFrame, full: pd.DataFrame, indicators: pd.DataFrame,
                 region_table: pd.DataFrame, domain_table: pd.DataFrame, cov: Mapping[str, Any],
                 seconds: dict[str, float], lap: Any, *, mass: pd.DataFrame | None = None) -> Profiles:
        r = rca(x)
        m_all = specialised(x, min_mass=sel.min_mass, mass=mass)
        keep_r = m_all.sum(axis=1) > 0
        keep_d = m_all.sum(axis=0) > 0
        m = m_all.loc[keep_r, keep_d]
        dropped = {"regions_without_specialisation": sorted(m_all.index[~keep_r]),
                   "domains_without_specialisation": sorted(m_all.columns[~keep_d])}
        phi = proximity(m)
        density = relatedness_density(m, phi)
        cx = complexity(m)
        lap("specialisation, relatedness, complexity")
        conc = pd.DataFrame({"herfindahl": herfindahl(x), "entropy": entropy(x), "hoover": hoover(x),
                             "locational_gini": locational_gini(x)})
        stars = cluster_stars(x)
        quadrant = policy_quadrant(density, cx.pci, specialised=m)
        lap("concentration, clusters, quadrant")
        totals = full.groupby("region")[["participations", "funding"]].sum().rename(columns={"funding": "ec_eur"})
        by_type = full.pivot_table(index="region", columns="activity_type", values="organisations", aggfunc="sum")
        mass = critical_mass(totals, by_type.fillna(0), indicators)
        performance = features = None
        if sel.level == 2:
            extra = per_inhabitant(totals, indicators)
            performance = performance_index(indicators, extra=extra, regions=x.index)
            features = structural_features(indicators, region_table[region_table["nuts_version"] == 2021], level=2)
        lap("critical mass, performance, peers")
        own = region_table[(region_table["nuts_version"] == 2021) & (region_table["level"] == sel.level)]
        regions = own.set_index("code")[["name", "name_latn", "country"]].sort_index()
        domains = domain_table[domain_table["taxonomy"] == sel.taxonomy].set_index("code")[["name", "parent"]]
        return cls(sel, engine, x, r, m, phi, density, cx, conc, stars, full, mass, performance, features,
                   quadrant, regions, domains, cov, dropped, seconds)

    # -- reading ----------------------------------------------------------------------------
    def check_region(self, code: str) -> str:
        """``code`` upper-cased if it is a region of the selection, else a clear InputError."""
        value = code.strip().upper()
        if value in self.activity.index:
            return value
        near = difflib.get_close_matches(value, list(self.activity.index), n=5)
        level = self.selection.level
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        known = value in self.regions.index
        why = ("it has no placed participation in the selection" if known
               else f"it is not a NUTS {level} 2021 code")
        raise InputError(f"unknown region for this selection: {why}{hint} "
                         f"(see `rok specialisation --level {level} --format csv` for the codes)", value=code)

    def region_name(self, code: str) -> str:
        return str(self.regions["name_latn"].get(code) or self.regions["name"].get(code) or code)

    def domain_name(self, code: str) -> str:
        return str(self.domains["name"].get(code) or code)

    def relatedness(self, method: str = "proximity") -> pd.DataFrame:
        """Domain x domain relatedness by ``proximity`` (phi), ``association`` strength or ``cosine``."""
        if method == "proximity":
            return self.proximity
        if method == "association":
            return association_strength(self.specialised)
        if method == "cosine":
            return cosine(self.specialised)
        raise InputError(f"unknown relatedness method; expected one of {', '.join(RELATEDNESS_METHODS)}",
                         value=method)

    def specialisation_table(self) -> pd.DataFrame:
        """Long: region, domain, value, share (of the region), rca, specialised (computed once)."""
        if "specialisation" not in self._memo:
            self._memo["specialisation"] = self._specialisation_table()
        return self._memo["specialisation"]

    def _specialisation_table(self) -> pd.DataFrame:
        long = self.activity.stack().rename("value").reset_index()
        share = self.activity.div(self.activity.sum(axis=1), axis=0).stack().rename("share").reset_index()
        out = long.merge(share, on=["region", "domain"]).merge(
            self.rca.stack().rename("rca").reset_index(), on=["region", "domain"])
        ones = self.specialised.stack().rename("m").reset_index()  # RCA >= 1 and the minimum mass
        out = out.merge(ones, on=["region", "domain"], how="left")
        out["specialised"] = out.pop("m").fillna(0).astype(bool)
        return out[out["value"] > 0].reset_index(drop=True)

    def density_table(self) -> pd.DataFrame:
        """Long: region, domain, density (0..100), specialised."""
        long = self.density.stack().rename("density").reset_index()
        long["specialised"] = self.specialised.stack().to_numpy() == 1
        return long

    def complexity_table(self, domains: bool = False) -> pd.DataFrame:
        if domains:
            frame = pd.DataFrame({"pci": self.complexity.pci, "ubiquity": self.complexity.ubiquity})
            frame.index.name = "domain"
            frame["name"] = [self.domain_name(d) for d in frame.index]
        else:
            frame = pd.DataFrame({"eci": self.complexity.eci, "diversity": self.complexity.diversity})
            frame.index.name = "region"
            frame["name"] = [self.region_name(r) for r in frame.index]
        return frame.sort_values(frame.columns[0], ascending=False).reset_index()

    def performance_table(self) -> pd.DataFrame:
        if self.performance is None:
            raise InputError("the performance index is computed for NUTS 2 regions only (the Eurostat "
                             "indicators are NUTS 2); use --level 2", value=self.selection.level)
        table = self.performance.table.copy()
        table["name"] = [self.region_name(r) for r in table.index]
        for column in ("used", "missing"):
            table[column] = table[column].map(lambda keys: " ".join(keys))
        return table.reset_index()

    def peers_of(self, code: str, *, k: int = 10, exclude_country: bool = False) -> pd.DataFrame:
        region = self.check_region(code)
        if self.features is None:
            raise InputError("peer regions are computed for NUTS 2 regions only; use --level 2",
                             value=self.selection.level)
        if region not in self.features.index:
            raise InputError("no structural indicators for this region", value=region)
        key = ("peers", k, exclude_country)
        if key not in self._memo:  # every region's peers at once: one distance matrix
            table = all_peers(self.features, k=k, exclude_country=exclude_country, missing="mean")
            self._memo[key] = {r: g.drop(columns="region").reset_index(drop=True) for r, g in table.groupby("region")}
        out = self._memo[key].get(region, pd.DataFrame(columns=["peer", "distance", "rank"])).copy()
        out.insert(1, "name", [self.region_name(p) for p in out["peer"]])
        return out.join(self.features.reindex(out["peer"]).reset_index(drop=True))
