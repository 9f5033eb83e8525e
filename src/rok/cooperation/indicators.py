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
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

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

POPULATION = ("demo_r_d2jan_SEX_T_AGE_TOTAL", "NR")
GERD = ("tgs00042.sectperf=TOTAL", "PC_GDP")
GDP = ("nama_10r_2gdp", "MIO_EUR")
RESEARCH_ACTORS = ("HES", "REC")
FIRM = "PRC"


class WarehouseData:
    """The warehouse rows the measures read, loaded once and shared by many series.

    Pass a path to a DuckDB warehouse, an open ``duckdb`` connection, a
    :class:`rok.warehouse.store.Warehouse` or a :class:`rok.measures.engine.Engine`
    (anything with ``.con`` or ``.db``). The file is opened read-only and closed again.
    """

    def __init__(self, source: Any, *, min_year_share: float = 0.5) -> None:
        if not 0 <= min_year_share <= 1:
            raise InputError("min_year_share must be in [0, 1]", column="min_year_share", value=min_year_share)
        self.min_year_share = min_year_share
        con, own = _connect(source)
        try:
            self.load_id = warehouse_load_id(con)
            self.participations = con.execute(
                """SELECT p.project_id, p.org_id, coalesce(p.activity_type, 'OTH') AS activity_type,
                          p.ec_contribution AS ec, n.n, pr.start_year AS year,
                          substr(o.nuts1, 1, 2) AS nuts0, o.nuts1, o.nuts2, o.nuts3
                   FROM participations p
                   JOIN (SELECT project_id, count(*) AS n FROM participations GROUP BY 1) n USING (project_id)
                   JOIN projects pr USING (project_id)
                   LEFT JOIN organisations o USING (org_id)
                   WHERE pr.start_year IS NOT NULL"""
            ).df()
            self.project_domains = con.execute(
                "SELECT project_id, taxonomy, code, weight FROM project_domains"
            ).df()
            self.indicators = self._indicators(con)
            self.region_codes = {
                r[0] for r in con.execute("SELECT DISTINCT code FROM regions WHERE nuts_version = 2021").fetchall()
            }
        finally:
            if own:
                con.close()
        self.participations["year"] = self.participations["year"].astype("int64")
        self._index: dict[int, dict[Any, np.ndarray]] = {}
        self._years: list[int] | None = None
        self._wide: dict[tuple[str, str], pd.DataFrame] = {}
        self._weights: dict[tuple[str, str], pd.Series] = {}

    @staticmethod
    def _indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        wanted = " OR ".join("(indicator = ? AND unit = ?)" for _ in (POPULATION, GERD, GDP))
        args = [v for pair in (POPULATION, GERD, GDP) for v in pair]
        return con.execute(
            f"SELECT region, indicator, unit, year, value FROM indicators_nuts2021 "
            f"WHERE value IS NOT NULL AND ({wanted})",
            args,
        ).df()

    def check_regions(self, regions: list[str]) -> list[str]:
        """``regions`` as a list of known NUTS 2021 codes; an unknown code is an InputError."""
        if not regions:
            raise InputError("a measure needs at least one region", column="regions", value=regions)
        for code in regions:
            if code not in self.region_codes:
                raise InputError("unknown region (not a NUTS 2021 code in the warehouse)",
                                 column="region", value=code)
        return list(dict.fromkeys(regions))

    def rows(self, regions: list[str]) -> pd.DataFrame:
        """The participations placed in any of ``regions``, with a ``region`` column (the code of
        ``regions`` they lie in; a participation in two overlapping codes counts once, for the
        first)."""
        parts = []
        for code in regions:
            level = len(code) - 2
            if level not in self._index:  # one groupby per NUTS level, then every lookup is cheap
                self._index[level] = self.participations.groupby(f"nuts{level}").indices
            idx = self._index[level].get(code)
            if idx is not None:
                parts.append(self.participations.iloc[idx].assign(region=code))
        if not parts:
            return self.participations.iloc[:0].assign(region=pd.Series(dtype=object))
        out = pd.concat(parts)
        return out[~out.index.duplicated(keep="first")]

    def years(self) -> list[int]:
        """The full start years: those whose participations number at least ``min_year_share``
        of the peak year's (a programme's first and last start years hold few projects)."""
        if self._years is None:
            totals = self.participations.groupby("year").size()
            self._years = [] if totals.empty else sorted(
                int(y) for y in totals.index[totals >= totals.max() * self.min_year_share])
        return self._years

    def indicator(self, which: tuple[str, str], regions: list[str]) -> pd.DataFrame:
        """Years x regions of one Eurostat indicator (NaN where missing)."""
        if which not in self._wide:  # one pivot per indicator, then every lookup is cheap
            ind = self.indicators
            rows = ind[(ind.indicator == which[0]) & (ind.unit == which[1])]
            self._wide[which] = rows.pivot_table(index="year", columns="region", values="value", aggfunc="first")
        return self._wide[which].reindex(columns=regions)

    def domain_weights(self, taxonomy: str, code: str) -> pd.Series:
        """Project -> weight in one domain (empty when the domain is unknown)."""
        key = (taxonomy, code)
        if key not in self._weights:
            pdr = self.project_domains
            rows = pdr[(pdr.taxonomy == taxonomy) & (pdr.code == code)]
            self._weights[key] = rows.groupby("project_id")["weight"].sum()
        return self._weights[key]


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


def _units(frame: pd.DataFrame, counting: str) -> pd.Series:
    if counting == "fractional":
        return 1.0 / frame["n"].astype(float)
    if counting == "full":
        return pd.Series(1.0, index=frame.index)
    raise InputError("counting must be full or fractional", column="counting", value=counting)


def _population(data: WarehouseData, regions: list[str]) -> pd.Series:
    """Population summed over ``regions`` per year, only years where every region has it."""
    pop = data.indicator(POPULATION, regions)
    return pop.dropna().sum(axis=1) if not pop.empty else pd.Series(dtype=float)


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
    frame = data.rows(regions)
    counts = _units(frame, counting).groupby(frame["year"]).sum()
    pop = _population(data, regions)
    pop = pop[pop.index.isin(data.years())]
    return (counts.reindex(pop.index, fill_value=0.0) / pop * per).astype(float)


def ec_funding_per_inhabitant(data: WarehouseData, regions: list[str]) -> pd.Series:
    """EC contribution (EUR) per inhabitant.

    ``value[t] = sum_{p: r(p) in R, year(j(p)) = t} ec(p) / sum_{r in R} pop[r, t]``, a missing
    contribution counting 0; years without population are left out.
    """
    frame = data.rows(regions)
    money = frame["ec"].fillna(0.0).groupby(frame["year"]).sum()
    pop = _population(data, regions)
    pop = pop[pop.index.isin(data.years())]
    return (money.reindex(pop.index, fill_value=0.0) / pop).astype(float)


def joint_projects(data: WarehouseData, regions: list[str]) -> pd.Series:
    """Projects started in year ``t`` with participants from at least two of the regions.

    ``value[t] = |{j : year(j) = t, |{r in R : some p of j has r(p) = r}| >= 2}|``: the
    cooperation between the consortium's regions in framework-programme projects. Years
    from the first to the last start year in the warehouse; a year without any is 0.
    """
    if len(regions) < 2:
        raise InputError("joint projects need at least two regions", column="regions", value=regions)
    inside = data.rows(regions)
    spread = inside.groupby(["year", "project_id"])["region"].nunique()
    joint = (spread >= 2).groupby(level="year").sum()
    return joint.reindex(data.years(), fill_value=0).astype(float)


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
    inside = data.rows(regions)
    research = inside[inside.activity_type.isin(RESEARCH_ACTORS)]
    firms = inside[inside.activity_type == FIRM]
    if scope == "region":
        keys = research[["project_id", "region"]].drop_duplicates()
        hit = firms.merge(keys.assign(local=True), on=["project_id", "region"], how="left")
    else:
        keys = research[["project_id"]].drop_duplicates()
        hit = firms.merge(keys.assign(local=True), on=["project_id"], how="left")
    hit["local"] = hit["local"].eq(True)
    share = hit.groupby("year")["local"].mean().astype(float)
    return share[share.index.isin(data.years())]


def gerd_pct_gdp(data: WarehouseData, regions: list[str]) -> pd.Series:
    """Gross domestic expenditure on R&D, % of GDP (Eurostat tgs00042, all sectors).

    One region: the published value. Several: the GDP-weighted mean
    ``value[t] = sum_r gerd[r,t] gdp[r,t] / sum_r gdp[r,t]`` (GDP in million EUR, Eurostat
    nama_10r_2gdp), i.e. the consortium's R&D spending over its GDP; a year in which a region
    lacks either number is left out.
    """
    gerd = data.indicator(GERD, regions).dropna()
    if len(regions) == 1:
        return gerd.iloc[:, 0].astype(float) if not gerd.empty else pd.Series(dtype=float)
    gdp = data.indicator(GDP, regions).reindex(gerd.index).dropna()
    gerd = gerd.reindex(gdp.index)
    return ((gerd * gdp).sum(axis=1) / gdp.sum(axis=1)).astype(float)


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
    :func:`fp_participations_per_inhabitant`. Years from the first to the last start year in
    the warehouse; a year without any is 0.
    """
    weights = data.domain_weights(taxonomy, domain)
    if weights.empty:
        raise InputError(f"unknown domain in taxonomy {taxonomy}", column="domain", value=domain)
    frame = data.rows(regions)
    frame = frame.assign(u=_units(frame, counting))
    weight = frame["project_id"].map(weights)
    value = (frame.u * weight).dropna().groupby(frame.year).sum()
    return value.reindex(data.years(), fill_value=0.0).astype(float)


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


def warehouse_load_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest successful load of the warehouse (the id measurements record)."""
    row = con.execute("SELECT max(load_id) FROM loads WHERE status LIKE 'ok%'").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _connect(source: Any) -> tuple[duckdb.DuckDBPyConnection, bool]:
    if isinstance(source, duckdb.DuckDBPyConnection):
        return source, False
    if hasattr(source, "con") and isinstance(source.con, duckdb.DuckDBPyConnection):
        return source.con, False
    path = getattr(source, "db", source)
    if not isinstance(path, str | Path) or not Path(path).exists():
        raise InputError("warehouse not found", file=str(path))
    try:
        return duckdb.connect(str(path), read_only=True), True
    except duckdb.Error as exc:
        raise InputError(f"cannot open warehouse: {exc}", file=str(path)) from None
