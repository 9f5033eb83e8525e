"""Research performance index of regions, after the Regional Innovation Scoreboard (RIS 2021,
2023): indicators normalised as in the RIS over all regions and years of a window, each region
against the EU-27 aggregate (= 100) on the same indicators, the four performance groups and
their thirds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rok.analysis.indicators import (
    DEFAULT_SPEC,
    EU27,
    LONG_COLUMNS,
    WEIGHTS,
    IndicatorSpec,
    aggregate,
    check_long,
    is_region,
    keyed,
    latest_values,
    reference_countries,
    series,
    weight_at,
)
from rok.errors import InputError

__all__ = [
    "WINDOW",
    "IndicatorSpec",
    "DEFAULT_SPEC",
    "GROUPS",
    "INSUFFICIENT",
    "Scaling",
    "PerformanceResult",
    "performance_index",
    "performance_of_selection",
    "normalise",
    "fit_scaling",
    "performance_group",
    "subgroup_cuts",
    "performance_subgroup",
    "latest_values",
    "check_long",
    "LONG_COLUMNS",
    "EU27",
]

#: Years per indicator, back from its latest year (the RIS uses the latest available year of
#: each region, going back several years where a country publishes late).
WINDOW = 4

#: Performance groups, highest first, with the lower bound of the index (included, except leader's).
GROUPS = {"leader": 125.0, "strong": 100.0, "moderate": 70.0, "emerging": -math.inf}
#: The group of a region scored on fewer indicators than the minimum.
INSUFFICIENT = "insufficient data"
OUTLIER_SDS = 3.0


@dataclass(frozen=True)
class Scaling:
    """How one indicator's values become scores, fitted on all regions and years of its window.

    ``lower``/``upper``: the smallest and largest non-outlier values (outliers are set to them);
    ``sqrt``: whether the square root is taken; ``low``/``high``: the minimum and maximum after
    that (the min-max bounds); ``n_outliers``: values replaced; ``skewness`` of the treated values;
    ``dropped``: why no score can be given (then every score is NaN), else None.
    """

    lower: float
    upper: float
    sqrt: bool
    low: float
    high: float
    n_outliers: int
    skewness: float
    dropped: str | None = None

    def apply(self, values: pd.Series) -> pd.Series:
        """``(t(clip(x, lower, upper)) - low) / (high - low)``, ``t`` the square root or identity."""
        x = values.astype(float)
        if self.dropped is not None:
            return x * math.nan
        x = x.clip(lower=self.lower, upper=self.upper)
        if self.sqrt:
            x = np.sqrt(x)
        return (x - self.low) / (self.high - self.low)


def fit_scaling(values: pd.Series, transform: str = "auto", *, sds: float = OUTLIER_SDS) -> Scaling:
    """Fit the RIS normalisation on ``values`` (all regions and all years of the window).

    1. Outliers: values above ``mean + sds * sd`` (sample standard deviation) are replaced by the
       largest value not above it, values below ``mean - sds * sd`` by the smallest value not
       below it (RIS 2021 and 2023 methodology reports: mean +/- 3 sd, replaced by the highest
       and lowest non-outlier value over all regions and years).
    2. Square root when ``transform="sqrt"``, or ``"auto"`` and the sample skewness (adjusted
       Fisher-Pearson, as Excel's SKEW) of the treated values exceeds 1.
    3. Min-max bounds: the smallest and largest treated value.

    With no value, or no spread left after step 1 (e.g. all values but one outlier equal: a zero
    interquartile range), ``dropped`` says so and every score is NaN.
    """
    x = values.dropna().astype(float)
    if x.empty:
        return Scaling(math.nan, math.nan, False, math.nan, math.nan, 0, math.nan, "no data")
    mean, sd = float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0
    lo, hi = mean - sds * sd, mean + sds * sd
    inside = x[(x >= lo) & (x <= hi)]
    lower, upper = float(inside.min()), float(inside.max())
    treated = x.clip(lower=lower, upper=upper)
    n_out = int(((x < lo) | (x > hi)).sum())
    skew = float(stats.skew(treated, bias=False)) if len(treated) >= 3 and treated.nunique() > 1 else math.nan
    use_sqrt = transform == "sqrt" or (transform == "auto" and skew > 1)
    if use_sqrt:
        if (treated < 0).any():
            raise InputError(f"square root of negative values of {values.name!r}", value=float(treated.min()))
        treated = np.sqrt(treated)
    low, high = float(treated.min()), float(treated.max())
    dropped = None if high > low else "no spread: all values equal after outlier treatment"
    return Scaling(lower, upper, bool(use_sqrt), low, high, n_out, skew, dropped)


def normalise(
    values: pd.Series, transform: str = "auto", *, pooled: pd.Series | None = None, sds: float = OUTLIER_SDS
) -> tuple[pd.Series, Scaling]:
    """Scores of ``values`` with the scaling fitted on ``pooled`` (default: ``values``); see
    :func:`fit_scaling`. Returns the scores (NaN kept; all NaN when ``scaling.dropped``) and the scaling."""
    scaling = fit_scaling(values if pooled is None else pooled, transform, sds=sds)
    return scaling.apply(values), scaling


def performance_group(index: float) -> str | None:
    """Group of an index: leader > 125 >= strong >= 100 > moderate >= 70 > emerging; NaN -> None."""
    if index is None or math.isnan(index):
        return None
    for name, bound in GROUPS.items():
        if index > bound or (index == bound and name != "leader"):
            return name
    return None  # pragma: no cover - the last bound is -inf


def subgroup_cuts(index: pd.Series) -> dict[str, tuple[float, float]]:
    """Per group, the two cuts that split its range into thirds (RIS 2021 and 2023).

    The range of strong is 100-125 and of moderate 70-100; that of leader runs from 125 to the
    highest index, that of emerging from the lowest index to 70 (so that RIS 2021 published, e.g.,
    strong+ above 116.7 and moderate- from 70 to 80). Returns ``{group: (lo + range/3, lo + 2 range/3)}``.
    """
    valid = index.dropna()
    top = float(valid.max()) if len(valid) else 125.0
    bottom = float(valid.min()) if len(valid) else 70.0
    ranges = {"leader": (125.0, max(top, 125.0)), "strong": (100.0, 125.0), "moderate": (70.0, 100.0),
              "emerging": (min(bottom, 70.0), 70.0)}
    return {g: (lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3) for g, (lo, hi) in ranges.items()}


def performance_subgroup(index: float, cuts: dict[str, tuple[float, float]]) -> str | None:
    """``group+`` (top third of the group's range, from the upper cut), ``group`` (middle third) or
    ``group-`` (bottom third, below the lower cut); NaN -> None."""
    group = performance_group(index)
    if group is None:
        return None
    first, second = cuts[group]
    return f"{group}+" if index >= second else (f"{group}-" if index < first else group)


@dataclass(frozen=True)
class PerformanceResult:
    """What :func:`performance_index` returns.

    ``table``: per region ``index``, ``group``, ``subgroup``, ``composite`` (mean score),
    ``reference_composite`` (the reference's mean score on the same indicators), ``n_used``,
    ``used`` and ``missing`` (tuples of keys). ``scores``/``values``/``years``: regions x keys.
    ``contributions``: long, per region and indicator: value, year, score, reference_score,
    points (``100 * score / sum of the reference's scores``; they add up to the index) and share
    (of the region's score sum). ``indicators``: per key the window, latest year, regions,
    transform, outliers, reference value and score. ``reference_scores``: per key.
    """

    table: pd.DataFrame
    scores: pd.DataFrame
    values: pd.DataFrame
    years: pd.DataFrame
    contributions: pd.DataFrame
    indicators: pd.DataFrame
    reference: str
    reference_scores: pd.Series
    min_indicators: int
    cuts: dict[str, tuple[float, float]]
    transforms: dict[str, str] = field(default_factory=dict)
    outliers: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)


def performance_index(
    indicators: pd.DataFrame,
    *,
    spec: Sequence[IndicatorSpec] | None = None,
    year: int | None = None,
    window: int = WINDOW,
    coverage: float = 0.5,
    min_indicators: int | None = None,
    extra: pd.DataFrame | None = None,
    reference: str | Iterable[str] = "eu27",
    regions: Iterable[str] | None = None,
    sds: float = OUTLIER_SDS,
) -> PerformanceResult:
    """Research performance index after the Regional Innovation Scoreboard (RIS 2021, 2023).

    Parameters
    ----------
    indicators : long frame ``region, indicator, year, value[, unit, source]`` (e.g. the whole
        ``indicators_nuts2021``): NUTS 2 rows are the regions, NUTS 0 rows national aggregates.
    spec : the indicators (default :data:`DEFAULT_SPEC`).
    year : use values of years <= ``year`` (default: no limit).
    window : years per indicator: from its latest year ``L`` back to ``L - window + 1``
        (default :data:`WINDOW`, 4: regional R&D statistics are published with gaps of
        several years for some countries; with 3 years every French region's sector R&D
        (latest 2013 against 2016 elsewhere) falls out and France gets no group).
    coverage : ``L`` is the latest year with values for at least this share of the regions of
        the indicator's best-covered year (sparser later years are not used).
    min_indicators : a region scored on fewer indicators gets :data:`INSUFFICIENT`, no index
        (default: three quarters of the indicators scored, rounded up: 6 of 8).
    extra : caller-supplied long rows ``region, indicator, value[, year]`` (e.g. from
        :func:`rok.analysis.critical_mass.per_inhabitant`).
    reference : "eu27" (default), "all" (every country in the data), or country codes
        (iterable or comma-separated): the area whose aggregate scores 100.
    regions : regions of the table (default: every NUTS 2 region with a value); scaling always
        uses every region.
    sds : outliers lie beyond ``mean +/- sds`` standard deviations.

    Notes
    -----
    Per indicator ``i``: each region's value is its latest in the window; scores
    ``s[r,i] = scaling_i(x[r,i])`` with the scaling of :func:`fit_scaling` fitted on every value
    of every NUTS 2 region in every year of the window (RIS: over all regions and years). The
    reference value is the aggregate ``X[i] = sum(x[r,i] w[r,i]) / sum(w[r,i])`` over the reference
    countries, ``w`` the indicator's weight (the rate's denominator: GDP, population, employment;
    :data:`~rok.analysis.indicators.WEIGHTS`) in the nearest year, a country's NUTS 0 value and
    weight replacing its regions where loaded; ``S[i] = scaling_i(X[i])``.
    With ``A_r`` the indicators scored for region ``r``:
    ``index[r] = 100 * sum_{i in A_r} s[r,i] / sum_{i in A_r} S[i]`` when ``|A_r| >= min_indicators``.
    Groups (RIS 2021, 2023): leader > 125, strong 100-125, moderate 70-100 (lower bounds
    included), emerging < 70; each split into thirds of its range (:func:`subgroup_cuts`).

    Where rok differs from the RIS: missing values are not imputed; instead each region is
    compared with the reference on the indicators it has (with all indicators this is the RIS
    ratio ``RII_r / RII_EU``), and a region with too few gets no group. The reference aggregate
    is computed from the regional data, since the EU-level values are not loaded. The indicators
    are R&D and FP indicators, not the RIS's 21 innovation indicators, so the index is not the
    RIS's RII.

    References
    ----------
    Hollanders, H. & Es-Sadki, N. (2021). Regional Innovation Scoreboard 2021: Methodology
    Report. European Commission, DG GROW, Brussels. Hollanders, H. & Es-Sadki, N. (2023).
    Regional Innovation Scoreboard 2023: Methodology Report. European Commission, DG GROW.
    """
    check_long(indicators)
    spec = tuple(DEFAULT_SPEC if spec is None else spec)
    _check_args(spec, window, coverage, min_indicators)
    rows = keyed(_with_extra(indicators, extra, year))
    nuts2 = is_region(rows["region"])
    label, countries = reference_countries(reference, set(rows.loc[nuts2, "region"].str[:2]))
    parts = [_indicator(rows, item, year, window, coverage, countries, sds) for item in spec]
    table_regions = sorted(set(rows.loc[nuts2, "region"])) if regions is None else sorted(set(regions))
    values = pd.DataFrame({p["key"]: p["values"] for p in parts}, index=table_regions, columns=[p["key"] for p in parts])
    years = pd.DataFrame({p["key"]: p["years"] for p in parts}, index=table_regions, columns=values.columns)
    scores = pd.DataFrame({p["key"]: p["scores"] for p in parts}, index=table_regions, columns=values.columns)
    values.index.name = years.index.name = scores.index.name = "region"
    dropped = {p["key"]: p["dropped"] for p in parts if p["dropped"]}
    ref_scores = pd.Series({p["key"]: p["reference_score"] for p in parts}, dtype=float)
    used = [k for k in values.columns if k not in dropped]
    if not used:
        raise InputError("no indicator of the spec can be scored: " + "; ".join(f"{k}: {v}" for k, v in dropped.items()))
    minimum = math.ceil(0.75 * len(used)) if min_indicators is None else min_indicators
    table, contributions = _index(scores[used], values, years, ref_scores[used], minimum)
    cuts = subgroup_cuts(table["index"])
    table.insert(2, "subgroup", [performance_subgroup(v, cuts) for v in table["index"]])
    summary = pd.DataFrame([p["summary"] for p in parts]).set_index("indicator")
    return PerformanceResult(
        table, scores, values, years, contributions, summary, label, ref_scores, minimum, cuts,
        transforms={p["key"]: ("sqrt" if p["scaling"].sqrt else "none") for p in parts if not p["dropped"]},
        outliers={p["key"]: p["scaling"].n_outliers for p in parts if not p["dropped"]},
        dropped=dropped,
    )


def _check_args(spec: tuple[IndicatorSpec, ...], window: int, coverage: float, minimum: int | None) -> None:
    keys = [item.key for item in spec]
    if not keys or len(set(keys)) != len(keys):
        raise InputError(f"spec must list indicators with distinct keys, got {keys}")
    unknown = [item.weight for item in spec if item.weight is not None and item.weight not in WEIGHTS]
    if unknown:
        raise InputError(f"unknown weight; expected one of {', '.join(WEIGHTS)}", value=unknown[0])
    if window < 1:
        raise InputError("window must be >= 1 (years)", column="--window", value=window)
    if not 0 < coverage <= 1:
        raise InputError("coverage must be in (0, 1]", value=coverage)
    if minimum is not None and not 1 <= minimum <= len(spec):
        raise InputError(f"the minimum number of indicators must be between 1 and {len(spec)}",
                         column="--min-indicators", value=minimum)


def _with_extra(indicators: pd.DataFrame, extra: pd.DataFrame | None, year: int | None) -> pd.DataFrame:
    if extra is None:
        return indicators
    missing = [c for c in ("region", "indicator", "value") if c not in extra.columns]
    if missing:
        raise InputError(f"extra lacks columns {missing}; expected region, indicator, value[, year]")
    rows = extra.copy()
    if "year" not in rows.columns:
        rows["year"] = year if year is not None else 0
    if "source" in indicators.columns and "source" not in rows.columns:
        rows["source"] = "extra"
    return pd.concat([indicators, rows], ignore_index=True)


def _window(frame: pd.DataFrame, window: int, coverage: float) -> tuple[int, int]:
    counts = frame.groupby("year")["region"].nunique()
    latest = int(counts.index[counts >= coverage * counts.max()].max())
    return latest - window + 1, latest


def _indicator(rows: pd.DataFrame, item: IndicatorSpec, year: int | None, window: int, coverage: float,
               countries: tuple[str, ...], sds: float) -> dict[str, Any]:
    """Values, scores and reference score of one indicator (a dict of its parts)."""
    every = series(rows, item, year=year)
    regional = every[is_region(every["region"])]
    out: dict[str, Any] = {"key": item.key, "values": pd.Series(dtype=float), "years": pd.Series(dtype="Int64"),
                           "scores": pd.Series(dtype=float), "reference_score": math.nan}
    summary = {"indicator": item.key, "label": item.label, "first_year": None, "latest_year": None, "regions": 0,
               "transform": None, "outliers": 0, "reference_value": math.nan, "reference_score": math.nan,
               "reference_regions": 0, "weight": item.weight}
    if regional.empty:
        scaling = fit_scaling(pd.Series(dtype=float))
        return {**out, "scaling": scaling, "dropped": "no data", "summary": summary}
    first, latest = _window(regional, window, coverage)
    pooled = regional[regional["year"].between(first, latest)]
    pick = pooled.loc[pooled.groupby("region")["year"].idxmax()].set_index("region")
    scaling = fit_scaling(pooled["value"].rename(item.key), item.transform, sds=sds)
    national = every[(every["region"].str.len() == 2) & every["year"].between(first, latest)]
    national = national.loc[national.groupby("region")["year"].idxmax()] if len(national) else national
    ref_value, n_ref = math.nan, 0
    if item.weight is not None:
        weight = WEIGHTS[item.weight]
        ref_value, n_ref = aggregate(pick.reset_index(), national, countries,
                                     lambda at: weight_at(rows, weight, at))
    ref_score = float(scaling.apply(pd.Series([ref_value]))[0]) if not math.isnan(ref_value) else math.nan
    dropped = scaling.dropped or (None if not math.isnan(ref_score) else "no reference aggregate (no weight)")
    summary.update(first_year=first, latest_year=latest, regions=len(pick),
                   transform="sqrt" if scaling.sqrt else "none", outliers=scaling.n_outliers,
                   reference_value=ref_value, reference_score=ref_score, reference_regions=n_ref)
    return {**out, "values": pick["value"], "years": pick["year"].astype("Int64"),
            "scores": scaling.apply(pick["value"]), "reference_score": ref_score, "scaling": scaling,
            "dropped": dropped, "summary": summary}


def _index(scores: pd.DataFrame, values: pd.DataFrame, years: pd.DataFrame, ref: pd.Series,
           minimum: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    available = scores.notna()
    n_used = available.sum(axis=1)
    ref_sum = available.mul(ref, axis=1).sum(axis=1)
    score_sum = scores.sum(axis=1, min_count=1)
    enough = (n_used >= minimum) & (ref_sum > 0)
    index = (100 * score_sum / ref_sum).where(enough)
    table = pd.DataFrame(
        {
            "index": index,
            "group": [performance_group(v) if ok else INSUFFICIENT for v, ok in zip(index, enough, strict=True)],
            "composite": scores.mean(axis=1),
            "reference_composite": (ref_sum / n_used).where(n_used > 0),
            "n_used": n_used,
            "used": [tuple(scores.columns[row]) for row in available.to_numpy()],
            "missing": [tuple(scores.columns[~row]) for row in available.to_numpy()],
        },
        index=scores.index,
    )
    table.index.name = "region"
    long = scores.stack().rename("score").reset_index()
    long.columns = ["region", "indicator", "score"]
    long["value"] = [values.at[r, k] for r, k in zip(long["region"], long["indicator"], strict=True)]
    long["year"] = [years.at[r, k] for r, k in zip(long["region"], long["indicator"], strict=True)]
    long["reference_score"] = long["indicator"].map(ref)
    long["points"] = 100 * long["score"] / long["region"].map(ref_sum.where(enough))
    long["share"] = long["score"] / long["region"].map(score_sum)
    return table, long[["region", "indicator", "year", "value", "score", "reference_score", "points", "share"]]


def performance_of_selection(indicators: pd.DataFrame, actors: pd.DataFrame, regions: Iterable[str],
                             **options: Any) -> PerformanceResult:
    """:func:`performance_index` with the FP indicators of a selection: ``actors`` is the long
    actor mix (region, activity_type, participations, funding, ...) of full counting, as
    :meth:`rok.analysis.profiles.Profiles.compute` keeps it; ``options`` go to performance_index."""
    from rok.analysis.critical_mass import per_inhabitant

    totals = actors.groupby("region")[["participations", "funding"]].sum().rename(columns={"funding": "ec_eur"})
    return performance_index(indicators, extra=per_inhabitant(totals, indicators), regions=regions, **options)

