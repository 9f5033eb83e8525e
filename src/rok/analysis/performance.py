"""Research performance index of regions, after the Regional Innovation Scoreboard (RIS):
indicators normalised as in the RIS, their unweighted mean per region, relative to the reference
mean x 100, and the four performance groups."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from rok.errors import InputError

__all__ = [
    "IndicatorSpec",
    "DEFAULT_SPEC",
    "GROUPS",
    "PerformanceResult",
    "performance_index",
    "normalise",
    "performance_group",
    "latest_values",
    "check_long",
]

LONG_COLUMNS = ("region", "indicator", "year", "value")

#: Performance groups, highest first, with the lower bound of the index (included, except leader's).
GROUPS = {"leader": 125.0, "strong": 100.0, "moderate": 70.0, "emerging": -math.inf}


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of the index: the sum of ``codes`` (same region, year and ``unit``).

    ``transform``: "auto" takes the square root when the skewness exceeds 1 (RIS rule),
    "sqrt" always, "none" never. ``unit=None`` accepts any unit (e.g. caller-supplied values).
    """

    key: str
    codes: tuple[str, ...]
    unit: str | None
    label: str
    transform: Literal["auto", "sqrt", "none"] = "auto"


_GERD, _PERS = "rd_e_gerdreg_SECTPERF_", "rd_p_persreg_PROF_POS_TOTAL_SEX_T_SECTPERF_"
#: The default indicators (warehouse codes of ``indicators_nuts2021``; the last two come from
#: :func:`rok.analysis.critical_mass.per_inhabitant` through ``extra``).
DEFAULT_SPEC: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("rd_business", (_GERD + "BES",), "PC_GDP", "Business R&D expenditure (% GDP)"),
    IndicatorSpec("rd_public", (_GERD + "GOV", _GERD + "HES"), "PC_GDP", "Public R&D expenditure (% GDP)"),
    IndicatorSpec("rd_personnel", (_PERS + "TOTAL",), "PC_EMP_HC", "R&D personnel (% employment, HC)"),
    IndicatorSpec("hrst", ("hrst_st_rcat_CATEGORY_HRST",), "PC_POP", "HR in science & technology (% pop.)"),
    IndicatorSpec("tertiary", ("tgs00109.isced11=ED5-8.age=Y25-64.sex=T",), "PC", "Tertiary, 25-64 (%)"),
    IndicatorSpec("hightech", ("htec_emp_reg2_NACE_R2_HTC_SEX_T",), "PC_EMP", "High-tech employment (%)"),
    IndicatorSpec("fp_participations", ("participations_per_inhabitant",), None, "FP participations / inh."),
    IndicatorSpec("fp_funding", ("ec_eur_per_inhabitant",), None, "FP EC funding per inhabitant (EUR)"),
)


@dataclass(frozen=True)
class PerformanceResult:
    """What :func:`performance_index` returns.

    ``table``: per region ``index``, ``group``, ``composite``, ``n_used``, ``used`` and ``missing``
    (tuples of indicator keys). ``scores``/``values``/``years``: regions x indicator keys, the
    normalised scores, the raw values and the year of each value. ``transforms``: per key
    "sqrt" or "none"; ``outliers``: per key, number of values replaced; ``dropped``: keys left
    out of the index and why; ``reference_mean``: the composite mean the index divides by.
    """

    table: pd.DataFrame
    scores: pd.DataFrame
    values: pd.DataFrame
    years: pd.DataFrame
    transforms: dict[str, str]
    outliers: dict[str, int]
    dropped: dict[str, str] = field(default_factory=dict)
    reference_mean: float = math.nan


def check_long(indicators: pd.DataFrame, name: str = "indicators") -> None:
    """Raise :class:`InputError` unless ``indicators`` has the long columns region, indicator, year, value."""
    if not isinstance(indicators, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(indicators).__name__}")
    missing = [c for c in LONG_COLUMNS if c not in indicators.columns]
    if missing:
        raise InputError(f"{name} lacks columns {missing}; expected long form {list(LONG_COLUMNS)} (+ unit)")


def latest_values(
    indicators: pd.DataFrame, item: IndicatorSpec, *, year: int | None = None, window: int | None = None
) -> pd.DataFrame:
    """Per region, the latest value of ``item`` (sum of its codes) with year <= ``year``.

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
    dup = rows.duplicated(["region", "indicator", "year"])
    if dup.any():
        bad = rows[dup].iloc[0]
        where = f"region {bad['region']!r}, indicator {bad['indicator']!r}, year {bad['year']}"
        raise InputError(f"duplicate rows for {where}", column="indicator", value=bad["indicator"])
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


def normalise(values: pd.Series, transform: str = "auto") -> tuple[pd.Series, bool, int]:
    """Normalise one indicator over the regions given, as the RIS does.

    1. Outliers (Tukey fences): values above ``Q3 + 1.5 IQR`` are replaced by the largest value
       not above it, values below ``Q1 - 1.5 IQR`` by the smallest value not below it
       (quartiles by linear interpolation, numpy's default).
    2. Square root when ``transform="sqrt"``, or ``"auto"`` and the sample skewness (adjusted
       Fisher-Pearson, as Excel's SKEW) of the capped values exceeds 1.
    3. Min-max: ``(x - min) / (max - min)``.

    Returns the scores (NaN kept), whether the square root was taken, and the number of
    outliers replaced. References: see :func:`performance_index`.
    """
    x = values.dropna().astype(float)
    q1, q3 = np.percentile(x, [25, 75])
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    inside = x[(x >= lo) & (x <= hi)]
    capped = x.clip(lower=inside.min(), upper=inside.max())
    n_out = int(((x < lo) | (x > hi)).sum())
    skew = float(stats.skew(capped, bias=False)) if len(capped) >= 3 else math.nan
    use_sqrt = transform == "sqrt" or (transform == "auto" and skew > 1)
    if use_sqrt:
        if (capped < 0).any():
            raise InputError(f"square root of negative values of {values.name!r}", value=float(capped.min()))
        capped = np.sqrt(capped)
    span = capped.max() - capped.min()
    return ((capped - capped.min()) / span).reindex(values.index), use_sqrt, n_out


def performance_group(index: float) -> str | None:
    """Group of an index: leader > 125 >= strong >= 100 > moderate >= 70 > emerging; NaN -> None."""
    if index is None or math.isnan(index):
        return None
    for name, bound in GROUPS.items():
        if index > bound or (index == bound and name != "leader"):
            return name
    return None  # pragma: no cover - the last bound is -inf


def performance_index(
    indicators: pd.DataFrame,
    *,
    spec: Sequence[IndicatorSpec] | None = None,
    year: int | None = None,
    window: int | None = 2,
    min_share: float = 0.5,
    extra: pd.DataFrame | None = None,
    reference: Iterable[str] | None = None,
) -> PerformanceResult:
    """Research performance index after the Regional Innovation Scoreboard (RIS 2021).

    Parameters
    ----------
    indicators : long frame ``region, indicator, year, value[, unit]`` (e.g. ``indicators_nuts2021``
        restricted to the regions to compare: they are the set over which indicators are
        normalised).
    spec : the indicators (default :data:`DEFAULT_SPEC`).
    year : use values of years <= ``year`` (default: no limit).
    window : a region's value may be at most ``window`` years older than the indicator's
        latest year (``None``: any age).
    min_share : a region gets an index only with scores for at least this share of the indicators.
    extra : caller-supplied long rows ``region, indicator, value[, year]`` (e.g. from
        :func:`rok.analysis.critical_mass.per_inhabitant`), read like ``indicators`` (rows
        without a year count as current).
    reference : regions whose mean composite is 100 (default: all regions with a composite).

    Returns
    -------
    PerformanceResult

    Notes
    -----
    For region ``r`` with normalised scores ``s[r,i]`` on its available indicators ``A_r``:
    ``composite[r] = mean_{i in A_r} s[r,i]`` if ``|A_r| >= min_share * n``, and
    ``index[r] = 100 * composite[r] / mean_{q in reference} composite[q]``. Normalisation: see
    :func:`normalise`. Indicators with no data, or fewer than two distinct values, are left out
    (``dropped``) and ``n`` counts the others. As in the RIS, each indicator uses its own latest
    year. Unlike the RIS, missing values are not imputed, and the reference is the mean of
    regional composites, not an EU-level score.
    Groups (RIS 2021 thresholds): leader > 125, strong 100-125, moderate 70-100 (lower bounds
    included), emerging < 70.

    References
    ----------
    Hollanders, H. & Es-Sadki, N. (2021). Regional Innovation Scoreboard 2021: Methodology
    Report. European Commission, Directorate-General for Internal Market, Industry,
    Entrepreneurship and SMEs, Brussels.
    """
    check_long(indicators)
    spec = tuple(DEFAULT_SPEC if spec is None else spec)
    _check_args(spec, min_share, window)
    rows = _with_extra(indicators, extra, year)
    picked = {item.key: latest_values(rows, item, year=year, window=window) for item in spec}
    values = pd.DataFrame({key: frame["value"] for key, frame in picked.items()}, columns=list(picked))
    years = pd.DataFrame({key: frame["year"] for key, frame in picked.items()}, columns=values.columns)
    scores, transforms, outliers, dropped = _score_all(values, spec)
    used = [key for key in values.columns if key not in dropped]
    table, mean = _composite(scores[used], min_share, reference)
    return PerformanceResult(table, scores, values, years, transforms, outliers, dropped, mean)


def _check_args(spec: tuple[IndicatorSpec, ...], min_share: float, window: int | None) -> None:
    keys = [item.key for item in spec]
    if not keys or len(set(keys)) != len(keys):
        raise InputError(f"spec must list indicators with distinct keys, got {keys}")
    if not 0 < min_share <= 1:
        raise InputError("min_share must be in (0, 1]", value=min_share)
    if window is not None and window < 0:
        raise InputError("window must be >= 0 (years)", value=window)


def _with_extra(indicators: pd.DataFrame, extra: pd.DataFrame | None, year: int | None) -> pd.DataFrame:
    if extra is None:
        return indicators
    missing = [c for c in ("region", "indicator", "value") if c not in extra.columns]
    if missing:
        raise InputError(f"extra lacks columns {missing}; expected region, indicator, value[, year]")
    rows = extra.copy()
    if "year" not in rows.columns:
        rows["year"] = year if year is not None else 0
    return pd.concat([indicators, rows], ignore_index=True)


def _score_all(
    values: pd.DataFrame, spec: tuple[IndicatorSpec, ...]
) -> tuple[pd.DataFrame, dict[str, str], dict[str, int], dict[str, str]]:
    scores = pd.DataFrame(index=values.index, columns=values.columns, dtype=float)
    transforms: dict[str, str] = {}
    outliers: dict[str, int] = {}
    dropped: dict[str, str] = {}
    for item in spec:
        column = values[item.key]
        if column.nunique() < 2:
            dropped[item.key] = "no data" if column.count() == 0 else "fewer than two distinct values"
            continue
        scores[item.key], use_sqrt, outliers[item.key] = normalise(column.rename(item.key), item.transform)
        transforms[item.key] = "sqrt" if use_sqrt else "none"
    return scores, transforms, outliers, dropped


def _composite(
    scores: pd.DataFrame, min_share: float, reference: Iterable[str] | None
) -> tuple[pd.DataFrame, float]:
    n = scores.shape[1]
    if n == 0:
        raise InputError("no indicator of the spec has data for two or more distinct values")
    available = scores.notna()
    enough = available.sum(axis=1) >= min_share * n
    composite = scores.mean(axis=1).where(enough)
    ref = composite if reference is None else composite.reindex(list(reference))
    mean = ref.mean()
    if not mean > 0:
        raise InputError("no reference region has a composite score (check reference and min_share)")
    index = 100 * composite / mean
    table = pd.DataFrame(
        {
            "index": index,
            "group": [performance_group(v) for v in index],
            "composite": composite,
            "n_used": available.sum(axis=1),
            "used": [tuple(scores.columns[row]) for row in available.to_numpy()],
            "missing": [tuple(scores.columns[~row]) for row in available.to_numpy()],
        },
        index=scores.index,
    )
    table.index.name = "region"
    return table, float(mean)
