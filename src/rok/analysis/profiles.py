"""Research profiles of every region: analyses computed on demand from one selection.

:meth:`Profiles.compute` runs the measures on an engine (DuckDB or Spark) once; every
analysis is then computed the first time it is read and kept (lazy, cached), so a command
computes only what it shows. The CLI, the Python API and the HTML report read from the
result and compute nothing of their own. The steps and their references are those of the
modules called: :mod:`~rok.analysis.specialisation`, :mod:`~rok.analysis.relatedness`,
:mod:`~rok.analysis.complexity`, :mod:`~rok.analysis.concentration`,
:mod:`~rok.analysis.clusters`, :mod:`~rok.analysis.critical_mass`,
:mod:`~rok.analysis.performance`, :mod:`~rok.analysis.peers`, :mod:`~rok.analysis.quadrant`.

Failures stay local: an analysis that fails is recorded with its reason and raises again
only where it is read (:class:`AnalysisError` for rok's own errors, the original exception
otherwise); :meth:`Profiles.available` answers ``(False, reason)`` for it without raising,
so that a profile can show a gap instead of aborting.

Left out, never set to zero:

- regions (domains) whose total is 0 in the selection: with ``measure="funding"`` a region
  may have participations but no EC contribution (0 or unknown), so its RCA would be 0/0;
  they are left out of every analysis and listed in ``dropped`` with a note in ``notes``;
- for complexity, relatedness and the policy quadrant, regions and domains without any
  specialisation (RCA >= 1), listed in ``dropped`` as well.

Advice: on a taxonomy of funding instruments (``h2020-part``, the programme parts; or a
taxonomy whose ``kind`` in the ``taxonomies`` table is ``instrument``), relatedness,
density, complexity and the policy quadrant describe how regions use the programme, not
what they know; :meth:`Profiles.available` then answers ``(False, note)`` for them, so that
they are not offered as advice (the numbers stay readable for analysts).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
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
from rok.errors import InputError, RokError
from rok.measures import Engine, Selection, activity_matrix, actor_mix, coverage
from rok.measures.taxonomies import advice_note, default_selection, taxonomy_kind

__all__ = ["ADVICE", "ANALYSES", "AnalysisError", "Profiles", "RELATEDNESS_METHODS"]

RELATEDNESS_METHODS = ("proximity", "association", "cosine")
#: Every analysis a profile offers, by the name :meth:`Profiles.available` takes.
ANALYSES = ("specialisation", "relatedness", "density", "complexity", "concentration", "clusters",
            "critical_mass", "performance", "peers", "quadrant")
#: Analyses offered as advice only on a knowledge taxonomy.
ADVICE = ("relatedness", "density", "complexity", "quadrant")
_REGION_COLUMNS = ("code", "nuts_version", "level", "name", "name_latn", "country", "parent", "mount_type",
                   "urbn_type", "coast_type", "lon", "lat", "area_km2")


class AnalysisError(RokError, RuntimeError):
    """An analysis cannot be given for this selection; the message says why."""


class Profiles:
    """The region profiles of one selection; analyses computed on first read (module docstring)."""

    def __init__(self, selection: Selection, engine: str, activity: pd.DataFrame, actors: pd.DataFrame,
                 indicators: pd.DataFrame, region_table: pd.DataFrame, domain_table: pd.DataFrame,
                 coverage: Mapping[str, Any], *, kind: str = "knowledge", advice: str | None = None,
                 seconds: dict[str, float] | None = None, mass: pd.DataFrame | None = None) -> None:
        self.selection, self.engine, self.coverage = selection, engine, coverage
        self.actors = actors  # long: region, activity_type, participations, organisations, funding, share
        self.indicators, self.region_table = indicators, region_table
        self.kind = kind  # of the taxonomy: "knowledge" or "instrument"
        self.advice = advice  # why relatedness, density, complexity and the quadrant are not advice, if not
        self.seconds: dict[str, float] = dict(seconds or {})
        self.notes: list[str] = []
        self._dropped: dict[str, list[str]] = {}
        self.activity = self._nonempty(activity)  # regions x domains, every line with a positive total
        self.mass = mass  # full-count participations, for the minimum mass of a specialisation (None: activity)
        own = region_table[(region_table["nuts_version"] == 2021) & (region_table["level"] == selection.level)]
        self.regions = own.set_index("code")[["name", "name_latn", "country"]].sort_index()
        self.domains = domain_table[domain_table["taxonomy"] == selection.taxonomy].set_index("code")[["name", "parent"]]
        self._cache: dict[Any, Any] = {}
        self._errors: dict[Any, BaseException] = {}

    # -- building -------------------------------------------------------------------------
    @classmethod
    def compute(cls, engine: Engine, sel: Selection | None = None) -> Profiles:
        """Run the measures of ``sel`` on ``engine`` (default:
        :func:`rok.measures.taxonomies.default_selection`); the analyses follow on demand."""
        sel = sel or default_selection(engine)
        start = time.perf_counter()
        x = activity_matrix(engine, sel)
        counts = replace(sel, counting="full", measure="participations")
        mass = None if not sel.min_mass or counts == sel else activity_matrix(engine, counts)
        full = actor_mix(engine, replace(sel, counting="full"))
        cov = coverage(engine, sel)
        indicators = engine.execute(engine.table("indicators_nuts2021"))
        region_table = engine.execute(engine.table("regions").select(*_REGION_COLUMNS))
        domain_table = engine.execute(engine.table("domains"))
        kind = taxonomy_kind(engine, sel.taxonomy)
        note = advice_note(kind, sel.taxonomy)
        seconds = {"measures": time.perf_counter() - start}
        return cls(sel, engine.name, x, full, indicators, region_table, domain_table, cov, kind=kind,
                   advice=note, seconds=seconds, mass=mass)

    def _nonempty(self, x: pd.DataFrame) -> pd.DataFrame:
        """``x`` without regions and domains whose total is 0 (listed in ``dropped`` and ``notes``)."""
        what = "EC funding (EC contribution 0 or unknown)" if self.selection.measure == "funding" else "activity"
        keep_r, keep_d = x.sum(axis=1) > 0, x.sum(axis=0) > 0
        for axis, keep, labels in (("regions", keep_r, x.index), ("domains", keep_d, x.columns)):
            empty = sorted(str(c) for c in labels[~keep])
            if empty:
                key = f"{axis}_without_{'funding' if self.selection.measure == 'funding' else 'activity'}"
                self._dropped[key] = empty
                self.notes.append(f"{len(empty)} {axis} with participations but no {what} in the selection, left "
                                  f"out of every analysis (their shares would be 0/0): {', '.join(empty)}")
        return x.loc[keep_r, keep_d]

    # -- on demand ---------------------------------------------------------------------------
    def get(self, name: Any) -> Any:
        """The analysis ``name`` (see :data:`ANALYSES`), computed on first use and kept.

        A failure is kept too and raised again on every read: :class:`AnalysisError` (with
        the reason) for rok's own errors, the original exception for unexpected ones.
        """
        if name in self._cache:
            return self._cache[name]
        if name in self._errors:
            raise self._errors[name]
        key = name[0] if isinstance(name, tuple) else name
        start = time.perf_counter()
        try:
            value = self._builders()[key](*name[1:]) if isinstance(name, tuple) else self._builders()[key]()
        except AnalysisError as exc:
            self._errors[name] = exc
            raise
        except RokError as exc:
            failure = AnalysisError(f"{_label(key)} is not available for {self.selection.describe()}: {exc}")
            failure.__cause__ = exc
            self._errors[name] = failure
            raise failure from exc
        except Exception as exc:  # unexpected: kept for available(), raised as it is to the caller
            self._errors[name] = exc
            raise
        finally:
            self.seconds[str(key)] = self.seconds.get(str(key), 0.0) + time.perf_counter() - start
        self._cache[name] = value
        return value

    def replace_analysis(self, name: str, value: Any) -> None:
        """Use ``value`` as the analysis ``name`` (e.g. a performance index computed with other
        options than the default); analyses that were derived from it are not recomputed."""
        self._errors.pop(name, None)
        self._cache[name] = value

    def available(self, name: str) -> tuple[bool, str]:
        """``(True, "")`` when analysis ``name`` can be shown as advice, else ``(False, reason)``.

        The reason is an analysis that does not apply to the selection, one that failed (its
        error), or, for :data:`ADVICE`, a taxonomy of funding instruments.
        """
        if name not in ANALYSES:
            raise InputError(f"unknown analysis; expected one of {', '.join(ANALYSES)}", value=name)
        if name in ADVICE and self.kind == "instrument":
            return False, self.advice or str(advice_note("instrument", self.selection.taxonomy))
        if name in ("performance", "peers") and self.selection.level != 2:
            return False, f"{_label(name)}: computed for NUTS 2 regions only (the Eurostat indicators are NUTS 2)"
        try:
            self.get({"clusters": "stars", "peers": "features", "relatedness": "proximity"}.get(name, name))
        except RokError as exc:
            return False, str(exc)
        except Exception as exc:  # noqa: BLE001 - an unexpected failure becomes the stated reason
            return False, f"{_label(name)} failed: {type(exc).__name__}: {exc}"
        return True, ""

    def caveat(self, name: str) -> str | None:
        """The advice note when ``name`` is an :data:`ADVICE` analysis on an instrument taxonomy."""
        return (self.advice or str(advice_note("instrument", self.selection.taxonomy))) if name in ADVICE and self.kind == "instrument" else None

    def _builders(self) -> dict[str, Callable[..., Any]]:
        return {"rca": lambda: rca(self.activity), "specialised": self._specialised,
                "proximity": lambda: proximity(self.specialised),
                "density": lambda: relatedness_density(self.specialised, self.proximity),
                "complexity": lambda method="eigenvector", null_draws=0: complexity(
                    self.specialised, method=method, null_draws=null_draws),
                "concentration": self._concentration, "stars": lambda: cluster_stars(self.activity),
                "quadrant": lambda: policy_quadrant(self.density, self.complexity.pci, specialised=self.specialised),
                "critical_mass": self._critical_mass, "performance": self._performance, "features": self._features,
                "specialisation": self._specialisation_table, "relatedness": self._other_relatedness,
                "peers": self._all_peers}

    def _specialised(self) -> pd.DataFrame:
        m_all = specialised(self.activity, min_mass=self.selection.min_mass, mass=self.mass)
        keep_r, keep_d = m_all.sum(axis=1) > 0, m_all.sum(axis=0) > 0
        self._dropped["regions_without_specialisation"] = sorted(m_all.index[~keep_r])
        self._dropped["domains_without_specialisation"] = sorted(m_all.columns[~keep_d])
        return m_all.loc[keep_r, keep_d]

    def _concentration(self) -> pd.DataFrame:
        x = self.activity
        return pd.DataFrame({"herfindahl": herfindahl(x), "entropy": entropy(x), "hoover": hoover(x),
                             "locational_gini": locational_gini(x)})

    def _totals(self) -> pd.DataFrame:
        return self.actors.groupby("region")[["participations", "funding"]].sum().rename(columns={"funding": "ec_eur"})

    def _critical_mass(self) -> pd.DataFrame:
        by_type = self.actors.pivot_table(index="region", columns="activity_type", values="organisations", aggfunc="sum")
        return critical_mass(self._totals(), by_type.fillna(0), self.indicators)

    def _performance(self) -> PerformanceResult | None:
        if self.selection.level != 2:
            return None
        extra = per_inhabitant(self._totals(), self.indicators)
        return performance_index(self.indicators, extra=extra, regions=self.activity.index)

    def _features(self) -> pd.DataFrame | None:
        if self.selection.level != 2:
            return None
        return structural_features(self.indicators, self.region_table[self.region_table["nuts_version"] == 2021],
                                   level=2)

    # -- the analyses, by name ------------------------------------------------------------
    @property
    def rca(self) -> pd.DataFrame:
        return self.get("rca")

    @property
    def specialised(self) -> pd.DataFrame:
        """Binary M over the regions and domains with at least one specialisation."""
        return self.get("specialised")

    @property
    def proximity(self) -> pd.DataFrame:
        return self.get("proximity")

    @property
    def density(self) -> pd.DataFrame:
        return self.get("density")

    @property
    def complexity(self) -> ComplexityResult:
        return self.get("complexity")

    @property
    def concentration(self) -> pd.DataFrame:
        return self.get("concentration")

    @property
    def stars(self) -> pd.DataFrame:
        return self.get("stars")

    @property
    def quadrant(self) -> pd.DataFrame:
        return self.get("quadrant")

    @property
    def critical_mass(self) -> pd.DataFrame:
        return self.get("critical_mass")

    @property
    def performance(self) -> PerformanceResult | None:
        """The performance index (NUTS 2 only; None at other levels)."""
        return self.get("performance")

    @property
    def features(self) -> pd.DataFrame | None:
        """Structural features for peers (NUTS 2 only; None at other levels)."""
        return self.get("features")

    @property
    def dropped(self) -> dict[str, list[str]]:
        """Regions and domains left out, and of what (module docstring)."""
        if "specialised" not in self._cache and "specialised" not in self._errors:
            try:
                self.get("specialised")
            except RokError:
                pass  # the reason is raised where M is read; ``dropped`` lists what is known
        return dict(self._dropped)

    # -- reading ----------------------------------------------------------------------------
    def check_region(self, code: str) -> str:
        """``code`` upper-cased if it is a region of the selection, else a clear InputError."""
        value = code.strip().upper()
        if value in self.activity.index:
            return value
        level = self.selection.level
        if any(value in codes for key, codes in self._dropped.items() if key.startswith("regions_without_f")):
            raise InputError("this region has participations but no EC funding in the selection (EC contribution "
                             "0 or unknown), so it is left out; use --measure participations", value=code)
        near = difflib.get_close_matches(value, list(self.activity.index), n=5)
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
        if method not in RELATEDNESS_METHODS:
            raise InputError(f"unknown relatedness method; expected one of {', '.join(RELATEDNESS_METHODS)}",
                             value=method)
        if method == "proximity":
            return self.proximity
        return self.get(("relatedness", method))

    def complexity_result(self, method: str = "eigenvector", null_draws: int = 0) -> ComplexityResult:
        """ECI and PCI by the ``eigenvector`` method (kept as ``complexity``) or by ``reflections``;
        ``null_draws`` > 0 adds the NODF null-model comparison to the diagnostics."""
        if method not in ("eigenvector", "reflections"):
            raise InputError("unknown complexity method; expected eigenvector or reflections", value=method)
        if method == "eigenvector" and not null_draws:
            return self.complexity
        return self.get(("complexity", method, int(null_draws)))

    def specialisation_table(self) -> pd.DataFrame:
        """Long: region, domain, value, share (of the region), rca, specialised (computed once)."""
        return self.get("specialisation")

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

    def complexity_table(self, domains: bool = False, method: str = "eigenvector", null_draws: int = 0) -> pd.DataFrame:
        result = self.complexity_result(method, null_draws)
        if domains:
            frame = pd.DataFrame({"pci": result.pci, "ubiquity": result.ubiquity})
            frame.index.name = "domain"
            frame["name"] = [self.domain_name(d) for d in frame.index]
        else:
            frame = pd.DataFrame({"eci": result.eci, "diversity": result.diversity})
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
        features = self.features
        if features is None:
            raise InputError("peer regions are computed for NUTS 2 regions only; use --level 2",
                             value=self.selection.level)
        if region not in features.index:
            raise InputError("no structural indicators for this region", value=region)
        table = self.get(("peers", k, exclude_country))
        out = table.get(region, pd.DataFrame(columns=["peer", "distance", "rank"])).copy()
        out.insert(1, "name", [self.region_name(p) for p in out["peer"]])
        return out.join(features.reindex(out["peer"]).reset_index(drop=True))

    def _all_peers(self, k: int, exclude_country: bool) -> dict[str, pd.DataFrame]:
        """Every region's peers at once: one distance matrix."""
        table = all_peers(self.features, k=k, exclude_country=exclude_country, missing="mean")
        return {r: g.drop(columns="region").reset_index(drop=True) for r, g in table.groupby("region")}

    def _other_relatedness(self, method: str) -> pd.DataFrame:
        return association_strength(self.specialised) if method == "association" else cosine(self.specialised)


def _label(name: str) -> str:
    return {"critical_mass": "critical mass", "stars": "cluster stars", "clusters": "cluster stars", "proximity": "relatedness",
            "specialised": "specialisation", "rca": "specialisation", "quadrant": "the policy quadrant",
            "features": "peer regions", "peers": "peer regions"}.get(name, name)
