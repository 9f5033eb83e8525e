"""The measure catalog: indicators a plan can track, computed from the warehouse per year.

A plan's indicator names a measure of this catalog (``MEASURES``) and its parameters; its
baseline and every later measurement are :func:`measure_series` on the warehouse of the
day, so that nothing is typed twice. Each measure is a yearly series over a set of regions
(a region, or a consortium of regions summed together), indexed by year.

Regions are NUTS 2021 codes of any level (``DE``, ``DE2``, ``DE21``, ``DE212``); an
organisation belongs to a region when its NUTS code at that level is the code (country:
the first two letters). A project belongs to the year it started (``projects.start_year``),
as in :mod:`rok.measures.selection`. Population, GDP and GERD are read from the
``indicators_nuts2021`` table (Eurostat ``demo_r_d2jan``, ``nama_10r_2gdp``, ``tgs00042``);
a year without them has no value (the series skips it: nothing is interpolated). Participation measures cover the full start
years of the warehouse: those whose participations number at least half of the peak year's
(``WarehouseData(min_year_share=0.5)``), since a programme's first and last start years hold
only the few projects that started early or late; other years have no value (not 0).

Every series carries ``attrs``: ``measure``, ``regions``, ``params``, ``unit`` and
``load_id`` (the newest warehouse load it was computed from).

Counting (Gauffriau et al. 2008): ``full`` gives each participation weight 1, ``fractional``
weight ``1 / n_j`` (``n_j`` all participations of project ``j``); default full, as
monitoring counts what a region took part in.

References
----------
Gianelle, C., Kleibrink, A. (2015). Monitoring mechanisms for smart specialisation
strategies. S3 Policy Brief 13/2015, JRC-IPTS: result indicators per priority (baseline,
target), output indicators per measure.
Foray, D. et al. (2012). Guide to research and innovation strategies for smart
specialisation (RIS3), step 6: monitoring and evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rok.cooperation.indicator_data import (
    FIRM,
    GDP,
    GERD,
    POPULATION,
    RESEARCH_ACTORS,
    WarehouseData,
    warehouse_load_id,
)
from rok.errors import InputError

__all__ = [
    "MEASURES",
    "Measure",
    "WarehouseData",
    "measure_series",
    "warehouse_load_id",
    "POPULATION",
    "GERD",
    "GDP",
]


@dataclass(frozen=True)
class Measure:
    """One entry of the catalog: what it measures, its unit and the function computing it."""

    key: str
    name: str
    unit: str
    type: str  # the usual indicator type: "output" or "result"
    direction: str  # the desirable direction: "increase" or "decrease"
    compute: Callable[..., pd.Series]
    params: Mapping[str, Any] = field(default_factory=dict)  # parameter -> default
    min_regions: int = 1

    @property
    def formula(self) -> str:
        return (self.compute.__doc__ or "").strip()


def _counting(counting: str) -> str:
    if counting not in ("full", "fractional"):
        raise InputError("counting must be full or fractional", column="counting", value=counting)
    return counting


def _population(data: WarehouseData, regions: list[str]) -> pd.Series:
    """Population summed over ``regions`` per full start year where every region has it."""
    years, values = data.indicator_values(POPULATION, regions)
    keep = ~np.isnan(values).any(axis=0) & np.isin(years, data.years())
    return pd.Series(values[:, keep].sum(axis=0), index=years[keep])


def fp_participations_per_inhabitant(
    data: WarehouseData, regions: list[str], *, per: int = 1_000_000, counting: str = "full"
) -> pd.Series:
    """FP participations per ``per`` inhabitants (default per million).

    ``value[t] = per * sum_{p: r(p) in R, year(j(p)) = t} u(p) / sum_{r in R} pop[r, t]``,
    ``u(p) = 1`` (full) or ``1 / n_j`` (fractional), ``pop`` the population on 1 January
    (Eurostat demo_r_d2jan); years where a region lacks population are left out.
    """
    if per not in (1_000, 1_000_000):
        raise InputError("per must be 1000 or 1000000", column="per", value=per)
    counts = data.summed(regions, _counting(counting))
    pop = _population(data, regions)
    return (counts.reindex(pop.index, fill_value=0.0) / pop * per).astype(float)


def ec_funding_per_inhabitant(data: WarehouseData, regions: list[str]) -> pd.Series:
    """EC contribution (EUR) per inhabitant.

    ``value[t] = sum_{p: r(p) in R, year(j(p)) = t} ec(p) / sum_{r in R} pop[r, t]``, a missing
    contribution counting 0; years without population are left out.
    """
    money = data.summed(regions, "ec")
    pop = _population(data, regions)
    return (money.reindex(pop.index, fill_value=0.0) / pop).astype(float)


def joint_projects(data: WarehouseData, regions: list[str]) -> pd.Series:
    """Projects started in year ``t`` with participants from at least two of the regions.

    ``value[t] = |{j : year(j) = t, |{r in R : some p of j has r(p) = r}| >= 2}|``: the
    cooperation between the consortium's regions in framework-programme projects, over the
    full start years (a year without any is 0).
    """
    if len(regions) < 2:
        raise InputError("joint projects need at least two regions", column="regions", value=regions)
    joint = data.joint_counts(regions)
    return joint[joint.index.isin(data.years())]


def firm_local_research_share(data: WarehouseData, regions: list[str], *, scope: str = "region") -> pd.Series:
    """Share of firms' participations with a research partner of their own region.

    For the firms' participations ``F_t`` (activity type PRC) placed in ``R`` in projects
    started in ``t``: ``value[t] = |{p in F_t : L(p)}| / |F_t|`` (full counting), where
    ``L(p)`` holds when another participation of the same project is a research actor (HES or
    REC) in the firm's own region (``scope="region"``, as
    :func:`rok.analysis.integration.integration_indicators` ``firm_local_research_share``) or in
    any region of ``R`` (``scope="consortium"``). Years without firm participations are left out.
    """
    if scope not in ("region", "consortium"):
        raise InputError("scope must be region or consortium", column="scope", value=scope)
    if scope == "region":
        share = data.summed(regions, "firms_local") / data.summed(regions, "firms").replace(0.0, np.nan)
        return share[share.index.isin(data.years())].dropna()
    inside = data.rows(regions)
    research = set(inside.loc[inside.activity_type.isin(RESEARCH_ACTORS), "project_id"])
    firms = inside[inside.activity_type == FIRM]
    share = firms["project_id"].isin(research).groupby(firms["year"]).mean().astype(float)
    return share[share.index.isin(data.years())]


def gerd_pct_gdp(data: WarehouseData, regions: list[str]) -> pd.Series:
    """Gross domestic expenditure on R&D, % of GDP (Eurostat tgs00042, all sectors).

    One region: the published value. Several: the GDP-weighted mean
    ``value[t] = sum_r gerd[r,t] gdp[r,t] / sum_r gdp[r,t]`` (GDP in million EUR, Eurostat
    nama_10r_2gdp), i.e. the consortium's R&D spending over its GDP; a year in which a region
    lacks either number is left out.
    """
    years, gerd = data.indicator_values(GERD, regions)
    if len(regions) == 1:
        keep = ~np.isnan(gerd[0])
        return pd.Series(gerd[0, keep], index=years[keep])
    gdp_years, gdp = data.indicator_values(GDP, regions)
    at = pd.Index(gdp_years).get_indexer(years)
    gdp = np.where(at >= 0, gdp[:, at], np.nan) if len(gdp_years) else np.full_like(gerd, np.nan)
    keep = ~(np.isnan(gerd).any(axis=0) | np.isnan(gdp).any(axis=0))
    value = (gerd[:, keep] * gdp[:, keep]).sum(axis=0) / gdp[:, keep].sum(axis=0)
    return pd.Series(value, index=years[keep])


def domain_participations(
    data: WarehouseData,
    regions: list[str],
    *,
    domain: str = "",
    taxonomy: str = "h2020-part",
    counting: str = "full",
) -> pd.Series:
    """Participations of the regions in projects of one domain.

    ``value[t] = sum_{p: r(p) in R, year(j(p)) = t} u(p) w(j(p), d)``, ``w`` the project's
    weight in domain ``d`` of the taxonomy (``project_domains.weight``), ``u`` as in
    :func:`fp_participations_per_inhabitant`, over the full start years (a year without any
    is 0).
    """
    if data.domain_weights(taxonomy, domain).empty:
        raise InputError(f"unknown domain in taxonomy {taxonomy}", column="domain", value=domain)
    value = data.domain_summed(regions, taxonomy, domain, _counting(counting))
    return value[value.index.isin(data.years())]


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("fp_participations_per_inhabitant", "FP participations per million inhabitants",
                "participations per million inhabitants", "result", "increase",
                fp_participations_per_inhabitant, {"per": 1_000_000, "counting": "full"}),
        Measure("ec_funding_per_inhabitant", "EC funding per inhabitant", "EUR per inhabitant",
                "result", "increase", ec_funding_per_inhabitant),
        Measure("joint_projects", "Joint FP projects between the regions", "projects", "output",
                "increase", joint_projects, min_regions=2),
        Measure("firm_local_research_share", "Firms' participations with a local research partner",
                "share", "result", "increase", firm_local_research_share, {"scope": "region"}),
        Measure("gerd_pct_gdp", "GERD, % of GDP", "% of GDP", "result", "increase", gerd_pct_gdp),
        Measure("domain_participations", "FP participations in a domain", "participations", "output",
                "increase", domain_participations,
                {"domain": None, "taxonomy": "h2020-part", "counting": "full"}),
    )
}


def measure_series(warehouse: Any, key: str, regions: list[str], **params: Any) -> pd.Series:
    """The yearly series of measure ``key`` over ``regions`` (formulas: each measure's docstring).

    Parameters
    ----------
    warehouse : a warehouse path, DuckDB connection, Warehouse, Engine, or a
        :class:`WarehouseData` already loaded (reuse it to compute many series quickly).
    key : a key of :data:`MEASURES`.
    regions : NUTS 2021 codes; several are summed as one consortium.
    params : the measure's parameters (see ``MEASURES[key].params``).

    Returns
    -------
    Series indexed by year (int) with float values, years without data left out; ``attrs``
    hold ``measure``, ``regions``, ``params``, ``unit`` and ``load_id``.

    Raises
    ------
    InputError : unknown measure, region, domain or parameter.
    """
    measure = MEASURES.get(key)
    if measure is None:
        raise InputError(f"unknown measure; expected one of {', '.join(MEASURES)}", column="measure", value=key)
    unknown = set(params) - set(measure.params)
    if unknown:
        raise InputError(f"measure {key} has no parameter {sorted(unknown)[0]!r}; it takes "
                         f"{', '.join(measure.params) or 'none'}", column="params", value=sorted(unknown)[0])
    full = {**measure.params, **params}
    if key == "domain_participations" and not full.get("domain"):
        raise InputError("domain_participations needs a domain", column="domain", value=full.get("domain"))
    data = warehouse if isinstance(warehouse, WarehouseData) else WarehouseData(warehouse)
    regions = data.check_regions(list(regions))
    if len(regions) < measure.min_regions:
        raise InputError(f"measure {key} needs at least {measure.min_regions} regions",
                         column="regions", value=",".join(regions))
    series = measure.compute(data, regions, **full).dropna().sort_index()
    series.index = series.index.astype(int)
    series.index.name = "year"
    series.name = key
    series.attrs = {"measure": key, "regions": regions, "params": full, "unit": measure.unit,
                    "load_id": data.load_id}
    return series
