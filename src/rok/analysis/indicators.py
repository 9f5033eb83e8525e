"""Indicators of the research performance index: what each one is, from which Eurostat series,
and its values per region and year.

Series are matched by :func:`rok.sources.eurostat.indicator_key`, so that a value read from the
wide 2008-2019 panel (``rd_e_gerdreg_SECTPERF_BES``) and one read from a fetched SDMX-CSV table
(``rd_e_gerdreg.sectperf=BES``, or the extract ``tgs00042.sectperf=TOTAL``) are the same
series; where both hold a value for the same region and year, the fetched table wins (it is
the newer release). Each indicator names a *weight*: the quantity its rate is a share of (GDP
for R&D expenditure, employment, population), which turns regional rates into the reference
aggregate ``sum(rate x weight) / sum(weight)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from rok.errors import InputError
from rok.sources.eurostat import PANEL_SOURCE, indicator_key

__all__ = [
    "LONG_COLUMNS",
    "EU27",
    "IndicatorSpec",
    "Weight",
    "DEFAULT_SPEC",
    "WEIGHTS",
    "check_long",
    "latest_values",
    "keyed",
    "series",
    "weight_at",
    "is_region",
    "reference_countries",
    "aggregate",
]

LONG_COLUMNS = ("region", "indicator", "year", "value")

#: The member states of the European Union since 2020 (Eurostat country codes: EL for Greece).
EU27 = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT",
        "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")

Terms = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator: the sum of ``codes`` (same region, year and ``unit``).

    ``fallback``: a signed sum of codes used for a region-year where ``codes`` are incomplete
    (negative results count as 0). ``transform``: "auto" takes the square root when the skewness
    exceeds 1 (RIS rule), "sqrt" always, "none" never. ``unit=None`` accepts any unit.
    ``weight``: key of :data:`WEIGHTS`, the denominator of the rate (for the reference aggregate).
    """

    key: str
    codes: tuple[str, ...]
    unit: str | None
    label: str
    transform: Literal["auto", "sqrt", "none"] = "auto"
    fallback: Terms = ()
    weight: str | None = None


@dataclass(frozen=True)
class Weight:
    """An absolute quantity per region and year: the sum of ``codes`` in ``unit``, times
    ``rate`` / 100 when a rate (code, unit) is given."""

    key: str
    label: str
    codes: tuple[str, ...]
    unit: str | None
    rate: tuple[str, str] | None = None


_GERD = "rd_e_gerdreg.sectperf="
_POPULATION = "demo_r_d2jan.age=TOTAL.sex=T"
#: Denominators of the rates. Population 25-64 and employment are not in the data: total
#: population and population x employment rate (15-64) stand in for them (proportional to
#: them where the age structure is alike).
WEIGHTS: dict[str, Weight] = {
    "gdp": Weight("gdp", "GDP (million EUR)", ("nama_10r_2gdp",), "MIO_EUR"),
    "population": Weight("population", "population", (_POPULATION,), "NR"),
    "employment": Weight("employment", "population x employment rate 15-64", (_POPULATION,), "NR",
                         rate=("lfst_r_lfe2emprt.age=Y15-64.sex=T", "PC")),
}

#: The default indicators, by :func:`~rok.sources.eurostat.indicator_key` (the last two come from
#: :func:`rok.analysis.critical_mass.per_inhabitant` through ``extra``).
DEFAULT_SPEC: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("rd_business", (_GERD + "BES",), "PC_GDP", "Business R&D expenditure (% GDP)", weight="gdp"),
    IndicatorSpec("rd_public", (_GERD + "GOV", _GERD + "HES"), "PC_GDP", "Public R&D expenditure (% GDP)",
                  fallback=((_GERD + "TOTAL", 1.0), (_GERD + "BES", -1.0)), weight="gdp"),
    IndicatorSpec("rd_personnel", ("rd_p_persreg.prof_pos=TOTAL.sectperf=TOTAL.sex=T",), "PC_EMP_HC",
                  "R&D personnel (% employment, HC)", weight="employment"),
    IndicatorSpec("hrst", ("hrst_st_rcat.category=HRST",), "PC_POP", "HR in science & technology (% pop.)",
                  weight="population"),
    IndicatorSpec("tertiary", ("edat_lfse_04.age=Y25-64.isced11=ED5-8.sex=T",), "PC", "Tertiary, 25-64 (%)",
                  weight="population"),
    IndicatorSpec("hightech", ("htec_emp_reg2.nace_r2=HTC.sex=T",), "PC_EMP", "High-tech employment (%)",
                  weight="employment"),
    IndicatorSpec("fp_participations", ("participations_per_inhabitant",), None, "FP participations / inh.",
                  weight="population"),
    IndicatorSpec("fp_funding", ("ec_eur_per_inhabitant",), None, "FP EC funding per inhabitant (EUR)",
                  weight="population"),
)


def check_long(indicators: pd.DataFrame, name: str = "indicators") -> None:
    """Raise :class:`InputError` unless ``indicators`` has the long columns region, indicator, year, value."""
    if not isinstance(indicators, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(indicators).__name__}")
    missing = [c for c in LONG_COLUMNS if c not in indicators.columns]
    if missing:
        raise InputError(f"{name} lacks columns {missing}; expected long form {list(LONG_COLUMNS)} (+ unit)")


def is_region(codes: pd.Series) -> pd.Series:
    """True for NUTS 2 codes (four characters, not an extra-regio ``..ZZ`` code)."""
    text = codes.astype(str)
    return (text.str.len() == 4) & ~text.str.endswith("ZZ")


def latest_values(
    indicators: pd.DataFrame, item: IndicatorSpec, *, year: int | None = None, window: int | None = None
) -> pd.DataFrame:
    """Per region, the latest value of ``item`` (sum of its codes, matched literally) with year <= ``year``.

    A region-year counts only when every code of ``item`` is present. With ``window``, a
    region's value may be at most ``window`` years older than the indicator's latest year.
    Returns a frame indexed by region with columns ``value`` and ``year``.
    """
    rows = indicators[indicators["indicator"].isin(item.codes)]
    if item.unit is not None and "unit" in rows.columns:
        rows = rows[rows["unit"] == item.unit]
    if year is not None:
        rows = rows[rows["year"] <= year]
    if rows.empty:
        return _none()
    _no_duplicates(rows, ["region", "indicator", "year"])
    wide = rows.pivot(index=["region", "year"], columns="indicator", values="value")
    wide = wide.reindex(columns=list(item.codes)).dropna()
    sums = wide.sum(axis=1).rename("value").reset_index()
    if sums.empty:
        return _none()
    if window is not None:
        sums = sums[sums["year"] >= sums["year"].max() - window]
    pick = sums.loc[sums.groupby("region")["year"].idxmax()]
    return pick.set_index("region")[["value", "year"]]


def _none() -> pd.DataFrame:
    return pd.DataFrame({"value": pd.Series(dtype=float), "year": pd.Series(dtype="Int64")})


def _no_duplicates(rows: pd.DataFrame, columns: list[str]) -> None:
    dup = rows.duplicated(columns)
    if dup.any():
        bad = rows[dup].iloc[0]
        where = f"region {bad['region']!r}, indicator {bad['indicator']!r}, year {bad['year']}"
        raise InputError(f"duplicate rows for {where}", column="indicator", value=bad["indicator"])


def keyed(indicators: pd.DataFrame) -> pd.DataFrame:
    """``indicators`` with a column ``key`` (:func:`~rok.sources.eurostat.indicator_key`), one row
    per region, key, unit and year: a fetched table's value before the panel's."""
    codes = indicators["indicator"].astype(str)
    out = indicators.assign(key=codes.map({c: indicator_key(c) for c in codes.unique()}))
    if "unit" not in out.columns:
        out["unit"] = ""
    out["unit"] = out["unit"].fillna("")
    if "source" in out.columns:
        _no_duplicates(out, ["region", "indicator", "unit", "year", "source"])
        rank = (out["source"] == PANEL_SOURCE).astype(int)
        out = out.assign(_rank=rank).sort_values(["_rank", "source"], kind="stable").drop(columns="_rank")
    else:
        _no_duplicates(out, ["region", "indicator", "unit", "year"])
    out = out.dropna(subset=["value"])
    return out.drop_duplicates(["region", "key", "unit", "year"], keep="first")


def _terms(rows: pd.DataFrame, terms: Terms, unit: str | None, year: int | None) -> pd.Series:
    """Signed sum of ``terms`` per (region, year) where every term has a value."""
    codes = [code for code, _ in terms]
    part = rows[rows["key"].isin(codes)]
    if unit is not None:
        part = part[part["unit"] == unit]
    if year is not None:
        part = part[part["year"] <= year]
    if part.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["region", "year"]))
    wide = part.pivot_table(index=["region", "year"], columns="key", values="value", aggfunc="first")
    wide = wide.reindex(columns=codes).astype(float).dropna()
    return sum((wide[code] * sign for code, sign in terms), start=pd.Series(0.0, index=wide.index))


def series(rows: pd.DataFrame, item: IndicatorSpec, *, year: int | None = None) -> pd.DataFrame:
    """All values of ``item`` in ``rows`` (from :func:`keyed`): columns region, year, value."""
    codes = tuple(indicator_key(c) for c in item.codes)
    value = _terms(rows, tuple((c, 1.0) for c in codes), item.unit, year)
    if item.fallback:
        other = _terms(rows, tuple((indicator_key(c), s) for c, s in item.fallback), item.unit, year).clip(lower=0)
        value = value.combine_first(other)
    out = value.rename("value").reset_index()
    out["year"] = out["year"].astype("int64")
    return out


def weight_at(rows: pd.DataFrame, weight: Weight, at: pd.DataFrame) -> pd.Series:
    """``weight`` for each (region, year) of ``at``, from the nearest year with a value; NaN where
    the region has none. Indexed like ``at``."""
    base = _nearest(rows, weight.codes, weight.unit, at)
    if weight.rate is not None:
        base = base * _nearest(rows, (weight.rate[0],), weight.rate[1], at) / 100
    return base


def _nearest(rows: pd.DataFrame, codes: tuple[str, ...], unit: str | None, at: pd.DataFrame) -> pd.Series:
    values = _terms(rows, tuple((indicator_key(c), 1.0) for c in codes), unit, None).rename("w").reset_index()
    if values.empty or at.empty:
        return pd.Series(float("nan"), index=at.index)
    values["year"] = values["year"].astype("int64")
    left = at[["region", "year"]].assign(year=at["year"].astype("int64"), _at=range(len(at)))
    merged = pd.merge_asof(left.sort_values("year"), values.sort_values("year"), on="year", by="region",
                           direction="nearest")
    merged = merged.sort_values("_at")
    return pd.Series(merged["w"].to_numpy(dtype=float), index=at.index)


# -- the reference area: EU-27 by default, as the RIS compares regions with the EU -------------
def reference_countries(reference: str | Iterable[str], known: set[str]) -> tuple[str, tuple[str, ...]]:
    """(label, country codes) of ``reference``: "eu27", "all" (every code in ``known``), or
    country codes (comma-separated text or an iterable), each one of ``known`` or of the EU-27."""
    if isinstance(reference, str):
        text = reference.strip()
        if text.lower() == "eu27":
            return "EU-27 (2020)", EU27
        if text.lower() == "all":
            return "all countries in the data", tuple(sorted(known))
        codes = [c.strip().upper() for c in text.split(",")]
    else:
        codes = [str(c).strip().upper() for c in reference]
    codes = [c for c in codes if c]
    if not codes:
        raise InputError("empty reference; expected eu27, all or country codes such as DE,FR", column="--reference",
                         value=str(reference))
    allowed = set(known) | set(EU27)
    for code in codes:
        if code not in allowed:
            raise InputError(f"unknown country {code!r} in the reference; expected eu27, all or comma-separated "
                             f"country codes among {', '.join(sorted(allowed))}", column="--reference", value=code)
    unique = tuple(sorted(set(codes)))
    return ", ".join(unique), unique


def aggregate(
    regional: pd.DataFrame,
    national: pd.DataFrame,
    countries: tuple[str, ...],
    weigh: Callable[[pd.DataFrame], pd.Series],
) -> tuple[float, int]:
    """``sum(value * weight) / sum(weight)`` over the reference area, and the number of regions
    and national rows that went into it.

    ``regional`` and ``national`` are rows region, year, value (one per region: its value in the
    window); ``weigh`` gives the weight of each (region, year). A country of ``countries`` with a
    national value and weight counts by them; the others by their regions that have both.
    """
    national = national[national["region"].isin(countries)].copy()
    national["w"] = weigh(national) if len(national) else pd.Series(dtype=float)
    national = national.dropna(subset=["value", "w"])
    own = regional[regional["region"].str[:2].isin(countries) & ~regional["region"].str[:2].isin(national["region"])]
    own = own.assign(w=weigh(own) if len(own) else pd.Series(dtype=float)).dropna(subset=["value", "w"])
    parts = pd.concat([own, national], ignore_index=True)
    parts = parts[parts["w"] > 0]
    total = float(parts["w"].sum())
    if not total > 0:
        return math.nan, 0
    return float((parts["value"] * parts["w"]).sum() / total), len(parts)
