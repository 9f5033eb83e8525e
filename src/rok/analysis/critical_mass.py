"""Critical mass of a region's research system: how much research happens there, in absolute terms.

Framework-programme participations and EC funding, organisations by type of actor, R&D
personnel and R&D expenditure, each with the year it refers to.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from rok.analysis.performance import LONG_COLUMNS, IndicatorSpec, check_long, latest_values
from rok.errors import InputError

__all__ = [
    "ACTOR_TYPES",
    "RD_PERSONNEL_FTE",
    "GERD_PC_GDP",
    "GERD_PC_GDP_PANEL",
    "GDP_MIO_EUR",
    "critical_mass",
    "per_inhabitant",
    "POPULATION",
]

#: CORDIS activity types: higher education, research organisations, private for-profit,
#: public bodies, other.
ACTOR_TYPES = ("HES", "REC", "PRC", "PUB", "OTH")
#: R&D personnel, all sectors, full-time equivalents (Eurostat rd_p_persreg).
RD_PERSONNEL_FTE = IndicatorSpec(
    "rd_personnel_fte", ("rd_p_persreg_PROF_POS_TOTAL_SEX_T_SECTPERF_TOTAL",), "FTE", "R&D personnel (FTE)"
)
#: Gross domestic expenditure on R&D, all sectors, % of GDP (Eurostat tgs00042).
GERD_PC_GDP = IndicatorSpec("gerd_pc_gdp", ("tgs00042.sectperf=TOTAL",), "PC_GDP", "GERD (% GDP)")
#: Regional GDP at current market prices, million EUR (Eurostat nama_10r_2gdp).
GDP_MIO_EUR = IndicatorSpec("gdp_mio_eur", ("nama_10r_2gdp",), "MIO_EUR", "GDP (million EUR)")
#: Fallback for GERD % of GDP: the regional R&D panel (Eurostat rd_e_gerdreg, 2008-2016).
GERD_PC_GDP_PANEL = IndicatorSpec("gerd_pc_gdp", ("rd_e_gerdreg_SECTPERF_TOTAL",), "PC_GDP", "GERD (% GDP)")
GERD_SOURCES = (GERD_PC_GDP, GERD_PC_GDP_PANEL)
#: Population on 1 January, all ages (Eurostat demo_r_d2jan): indicator code and unit.
POPULATION = ("demo_r_d2jan_SEX_T_AGE_TOTAL", "NR")


def critical_mass(
    participations: pd.DataFrame,
    actor_mix: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    year: int | None = None,
    regions: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Critical mass per region.

    Parameters
    ----------
    participations : indexed by region, columns ``participations`` (count) and ``ec_eur``
        (EC contribution, EUR), e.g. framework-programme participations by the region of the
        participating organisation (full counting).
    actor_mix : indexed by region, one column per activity type in :data:`ACTOR_TYPES`
        (number of distinct organisations; absent types count 0).
    indicators : long frame ``region, indicator, year, value, unit`` (warehouse
        ``indicators_nuts2021``).
    year : use indicator values of years <= ``year`` (default: the latest available).
    regions : the rows of the result (default: regions in ``participations`` or ``actor_mix``).

    Returns
    -------
    DataFrame indexed by region: ``participations``, ``ec_eur``, one column per actor type,
    ``organisations`` (their sum), ``rd_personnel_fte`` and ``rd_personnel_year``,
    ``gerd_mio_eur``, ``gerd_year`` and ``gerd_indicator`` (the GERD code used). Counts of regions absent from the CORDIS inputs are 0;
    indicator values a region lacks are NaN (with a missing year).

    Notes
    -----
    ``rd_personnel_fte`` is the latest value <= ``year`` of
    ``rd_p_persreg_PROF_POS_TOTAL_SEX_T_SECTPERF_TOTAL`` (unit ``FTE``). R&D expenditure is
    ``gerd_mio_eur = GERD[% GDP] / 100 * GDP[million EUR]`` with ``tgs00042.sectperf=TOTAL``
    (``PC_GDP``) and ``nama_10r_2gdp`` (``MIO_EUR``) of the same year: the latest year <=
    ``year`` in which both exist for the region. Where ``rd_e_gerdreg_SECTPERF_TOTAL``
    (``PC_GDP``, regional R&D panel) gives a later common year with GDP, it is used instead
    (at equal years ``tgs00042`` wins). Missing (NaN) values never count as available.

    References
    ----------
    Eurostat (2024). Regional science and technology statistics (reg_sct): rd_p_persreg,
    tgs00042; regional economic accounts: nama_10r_2gdp. Luxembourg: Eurostat.
    European Commission, CORDIS: EU research projects under Horizon 2020 (2014-2020).
    """
    check_long(indicators)
    counts = _counts(participations, actor_mix)
    rows = counts.index if regions is None else pd.Index(list(regions), name="region")
    out = counts.reindex(rows).fillna(0.0)
    personnel = latest_values(indicators, RD_PERSONNEL_FTE, year=year)
    out["rd_personnel_fte"] = personnel["value"].reindex(rows)
    out["rd_personnel_year"] = personnel["year"].reindex(rows).astype("Int64")
    gerd = _gerd(indicators, year)
    out["gerd_mio_eur"] = gerd["value"].reindex(rows)
    out["gerd_year"] = gerd["year"].reindex(rows).astype("Int64")
    out["gerd_indicator"] = gerd["indicator"].reindex(rows)
    out.index.name = "region"
    return out


def _counts(participations: pd.DataFrame, actor_mix: pd.DataFrame) -> pd.DataFrame:
    needed = [c for c in ("participations", "ec_eur") if c not in participations.columns]
    if needed:
        raise InputError(
            f"participations lacks columns {needed}; expected participations, ec_eur indexed by region"
        )
    unknown = [c for c in actor_mix.columns if c not in ACTOR_TYPES]
    if unknown:
        raise InputError(f"actor_mix has unknown activity types {unknown}; expected {list(ACTOR_TYPES)}")
    for name, frame in (("participations", participations), ("actor_mix", actor_mix)):
        if frame.index.has_duplicates:
            raise InputError(f"{name} has duplicate regions", value=frame.index[frame.index.duplicated()][0])
    mix = actor_mix.reindex(columns=list(ACTOR_TYPES))
    counts = participations[["participations", "ec_eur"]].join(mix, how="outer")
    counts = counts.fillna(0.0)
    counts["organisations"] = counts[list(ACTOR_TYPES)].sum(axis=1)
    return counts


def _gerd(indicators: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """GERD in million EUR in the latest year with both GERD % GDP and GDP (first source wins ties)."""
    if "unit" not in indicators.columns:
        raise InputError("indicators lacks column 'unit' (needed to tell GERD % GDP from GDP million EUR)")
    gdp = _series(indicators, GDP_MIO_EUR, year).rename("gdp")
    found = []
    for rank, source in enumerate(GERD_SOURCES):
        both = pd.concat([_series(indicators, source, year).rename("pc"), gdp], axis=1, join="inner").dropna()
        both["value"] = both["pc"] / 100.0 * both["gdp"]
        found.append(both.reset_index().assign(rank=rank, indicator=source.codes[0]))
    rows = pd.concat(found, ignore_index=True).sort_values(
        ["region", "year", "rank"], ascending=[True, False, True]
    )
    pick = rows.drop_duplicates("region").set_index("region")
    return pick[["value", "year", "indicator"]].astype({"value": np.float64})


def _series(indicators: pd.DataFrame, item: IndicatorSpec, year: int | None) -> pd.Series:
    part = indicators[(indicators["indicator"] == item.codes[0]) & (indicators["unit"] == item.unit)]
    if year is not None:
        part = part[part["year"] <= year]
    if part.duplicated(["region", "year"]).any():
        bad = part[part.duplicated(["region", "year"])].iloc[0]
        raise InputError(
            f"duplicate rows for region {bad['region']!r}, year {bad['year']}", value=item.codes[0]
        )
    return part.set_index(["region", "year"])["value"].astype(float)


def per_inhabitant(
    totals: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    year: int | None = None,
    population: tuple[str, str] = POPULATION,
) -> pd.DataFrame:
    """Totals per region divided by population (latest ``demo_r_d2jan`` value <= ``year``).

    ``totals`` is indexed by region with numeric columns (e.g. ``participations``,
    ``ec_eur``). Returns long rows region, indicator = ``<column>_per_inhabitant``, value,
    year (the population year), ready for ``performance_index(extra=...)``.
    """
    check_long(indicators)
    pop = latest_values(
        indicators, IndicatorSpec("population", (population[0],), population[1], "population"), year=year
    )
    pop = pop[pop["value"] > 0]
    joined = totals.join(pop, how="inner")
    parts = [
        pd.DataFrame(
            {
                "region": joined.index,
                "indicator": f"{column}_per_inhabitant",
                "value": joined[column] / joined["value"],
                "year": joined["year"],
            }
        )
        for column in totals.columns
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*LONG_COLUMNS])
