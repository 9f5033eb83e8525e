"""Indicators, targets and measurements; progress and outlook; aggregation to priorities and plans.

Monitoring after the S3 monitoring guidance (Gianelle & Kleibrink 2015): result indicators
per priority with a baseline and a target, output indicators per action (baseline 0). An
indicator's source is a measure of :mod:`rok.cooperation.indicators` (recomputed from the
warehouse after each load by :func:`track`, every value stored with the load id it came
from) or manual entry (:func:`record`). Measurements are append-only: a recomputation that
finds a new or changed value appends a row; the current value of a year is its latest row.

Progress of an indicator with baseline ``b`` and target ``T`` at its latest value ``v``:
``progress = (v - b) / (T - b)`` (0 at the baseline, 1 at the target; not clipped: above 1
the target is passed, below 0 it moved the wrong way).

Outlook: the points of the last five years with a value (years ``y_max - 4 .. y_max``),
at least 4 of them, fitted by ordinary least squares ``v = a + s * year``; the projection
``p = a + s * T_year`` gives the shortfall ``gap = (T - p) / (T - b)`` (share of the planned
change still missing at the target year):

- ``on track``: ``gap < 5%`` (also when the projection passes the target),
- ``slightly off``: ``5% <= gap <= 20%`` and moving the right way (``s * (T - b) > 0``),
- ``off track``: ``gap > 20%`` but moving the right way,
- ``wrong direction``: short by 5% or more and not moving the right way (``s * (T - b) <= 0``),
- ``insufficient data``: fewer than 4 points (the outlook says how many there are),
- ``no target``: the indicator has no target yet.

Aggregation: a priority's progress is the mean of its indicators' progress, a plan's the
mean of its priorities' and of its plan-level indicators' (those without a priority); an
indicator, priority or plan without a value is left out of the mean, never counted as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rok.errors import InputError
from rok.workspace.checks import check_regions, one_of
from rok.workspace.models import (
    DIRECTIONS,
    INDICATOR_TYPES,
    Indicator,
    Measurement,
    Plan,
    TargetMilestone,
    utcnow,
)

__all__ = ["indicator_from_spec", "check_target", "track", "track_indicator", "record", "current_values",
           "progress_value", "outlook", "indicator_status", "aggregate", "OUTLOOK_WINDOW", "OUTLOOK_MIN_POINTS"]

OUTLOOK_WINDOW = 5
OUTLOOK_MIN_POINTS = 4
ON_TRACK, SLIGHTLY_OFF = 0.05, 0.20


# -- definition --------------------------------------------------------------------------
def indicator_from_spec(spec: dict[str, Any], *, regions: list[str], known: set[str] | None,
                        data: Any = None, priority_id: int | None = None, where: str = "indicator") -> Indicator:
    """An Indicator from a draft-shaped spec (``name, type, unit, direction, source, baseline,
    target, milestones``); checks the measure, the regions, the baseline and the target.
    A measure indicator without a baseline takes the latest value of ``data`` (a warehouse)."""
    from rok.cooperation.indicators import MEASURES, measure_series

    name = str(spec.get("name") or "").strip()
    if not name:
        raise InputError("an indicator needs a name", column=f"{where}.name", value=spec.get("name"))
    source = spec.get("source") or {"manual": True}
    measure, params = None, None
    if not source.get("manual"):
        measure = source.get("measure")
        if measure not in MEASURES:
            raise InputError(f"unknown indicator measure; expected one of {', '.join(MEASURES)}",
                             column=f"{where}.source.measure", value=measure)
        params = dict(source.get("params") or {})
    default = MEASURES[measure] if measure else None
    ind_regions = check_regions(spec.get("regions") or regions, known, column=f"{where}.regions")
    ind = Indicator(
        name=name,
        type=one_of(spec.get("type") or (default.type if default else "output"), INDICATOR_TYPES, f"{where}.type"),
        unit=spec.get("unit") or (default.unit if default else None),
        direction=one_of(spec.get("direction") or (default.direction if default else "increase"), DIRECTIONS,
                         f"{where}.direction"),
        measure=measure, params=params, regions=ind_regions, priority_id=priority_id,
    )
    baseline = spec.get("baseline")
    if baseline is None and measure and data is not None:
        series = measure_series(data, measure, ind_regions, **params)  # type: ignore[arg-type]
        if not series.empty:
            baseline = {"year": int(series.index[-1]), "value": float(series.iloc[-1])}
    elif measure and data is not None:
        measure_series(data, measure, ind_regions, **(params or {}))  # checks the parameters and regions
    if baseline is not None:
        ind.baseline_year = _year(baseline.get("year"), f"{where}.baseline.year")
        ind.baseline_value = _number(baseline.get("value"), f"{where}.baseline.value")
    target = spec.get("target")
    if target is not None:
        set_target(ind, target.get("year"), target.get("value"), spec.get("milestones") or target.get("milestones"),
                   where=where)
    return ind


def set_target(ind: Indicator, year: Any, value: Any, milestones: Iterable[Any] | None = None,
               where: str = "indicator") -> None:
    """Set the target (and its milestones) after :func:`check_target`."""
    ty, tv = _year(year, f"{where}.target.year"), _number(value, f"{where}.target.value")
    check_target(ind, ty, tv, where)
    ind.target_year, ind.target_value = ty, tv
    ind.milestones = []
    for i, m in enumerate(milestones or []):
        my, mv = _year(m.get("year"), f"{where}.milestones[{i}].year"), _number(m.get("value"),
                                                                                  f"{where}.milestones[{i}].value")
        if ind.baseline_year is not None and not ind.baseline_year <= my <= ty:
            raise InputError(f"milestone year outside baseline {ind.baseline_year} .. target {ty}",
                             column=f"{where}.milestones[{i}].year", value=my)
        ind.milestones.append(TargetMilestone(year=my, value=mv))


def check_target(ind: Indicator, year: int, value: float, where: str = "indicator") -> None:
    """InputError for a target year before the baseline or a target in the wrong direction."""
    if ind.baseline_year is None or ind.baseline_value is None:
        raise InputError("a target needs a baseline first", column=f"{where}.target", value=value)
    if year <= ind.baseline_year:
        raise InputError(f"the target year must come after the baseline year {ind.baseline_year}",
                         column=f"{where}.target.year", value=year)
    wrong = value < ind.baseline_value if ind.direction == "increase" else value > ind.baseline_value
    if wrong or value == ind.baseline_value:
        word = "above" if ind.direction == "increase" else "below"
        raise InputError(f"the target must be {word} the baseline {ind.baseline_value:g} for an indicator that "
                         f"should {ind.direction}", column=f"{where}.target.value", value=value)


def _year(value: Any, column: str) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InputError("not a year", column=column, value=value) from None
    if not 1900 <= year <= 2200 or year != value and str(year) != str(value).strip():
        raise InputError("not a year", column=column, value=value)
    return year


def _number(value: Any, column: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError("not a number", column=column, value=value) from None
    if not math.isfinite(out):
        raise InputError("not a finite number", column=column, value=value)
    return out


# -- measurements ------------------------------------------------------------------------
def current_values(ind: Indicator) -> dict[int, float]:
    """Year -> the latest measurement of that year."""
    out: dict[int, float] = {}
    for m in sorted(ind.measurements, key=lambda m: m.id or 0):
        out[m.year] = m.value
    return dict(sorted(out.items()))


def track_indicator(session: Session, ind: Indicator, data: Any, actor: str | None = None) -> int:
    """Recompute a measure indicator from the warehouse data; append new or changed values.
    Returns the number of measurements appended (0 for manual indicators)."""
    from rok.cooperation.indicators import measure_series

    if not ind.measure:
        return 0
    series = measure_series(data, ind.measure, list(ind.regions or []), **(ind.params or {}))
    have = current_values(ind)
    rows = [Measurement(indicator_id=ind.id, year=int(y), value=float(v), load_id=series.attrs.get("load_id"),
                        origin="measure", recorded_at=utcnow(), recorded_by=actor)
            for y, v in series.items() if have.get(int(y)) is None or not math.isclose(have[int(y)], float(v),
                                                                                       rel_tol=1e-12, abs_tol=0.0)]
    ind.measurements.extend(rows)
    ind.checked_load_id = series.attrs.get("load_id")
    return len(rows)


def track(session: Session, data: Any, plan_ids: Iterable[int] | None = None, actor: str | None = None) -> dict[str, int]:
    """Recompute every measure indicator of the given plans (all plans and programmes when None)."""
    from rok.cooperation.indicators import WarehouseData

    data = data if isinstance(data, WarehouseData) else WarehouseData(data)
    query = select(Indicator).where(Indicator.measure.is_not(None)).options(selectinload(Indicator.measurements))
    if plan_ids is not None:
        query = query.where(Indicator.plan_id.in_(list(plan_ids)))
    indicators = list(session.scalars(query))
    appended = sum(track_indicator(session, ind, data, actor) for ind in indicators)
    session.flush()
    return {"indicators": len(indicators), "measurements": appended, "load_id": data.load_id or 0}


def record(session: Session, ind: Indicator, year: Any, value: Any, actor: str | None = None) -> Measurement:
    """A manual measurement (indicators whose source is manual entry)."""
    if ind.measure:
        raise InputError(f"indicator {ind.id} is computed from the warehouse ({ind.measure}); run the tracking "
                         "instead of entering values", column="indicator", value=ind.id)
    m = Measurement(year=_year(year, "year"), value=_number(value, "value"), origin="manual",
                    recorded_at=utcnow(), recorded_by=actor)
    ind.measurements.append(m)
    session.flush()
    return m


# -- progress and outlook ----------------------------------------------------------------
def progress_value(baseline: float | None, target: float | None, value: float | None) -> float | None:
    """``(value - baseline) / (target - baseline)``; None when any is missing or target = baseline."""
    if baseline is None or target is None or value is None or target == baseline:
        return None
    return (value - baseline) / (target - baseline)


def outlook(points: dict[int, float], baseline: float | None, target: float | None,
            target_year: int | None) -> dict[str, Any]:
    """The outlook of the module docstring from year -> value points."""
    if target is None or target_year is None or baseline is None:
        return {"outlook": "no target", "points": len(points)}
    if not points:
        return {"outlook": "insufficient data", "points": 0,
                "note": f"no measurement yet; the outlook needs at least {OUTLOOK_MIN_POINTS} points"}
    last = max(points)
    window = {y: v for y, v in points.items() if y > last - OUTLOOK_WINDOW}
    if len(window) < OUTLOOK_MIN_POINTS:
        return {"outlook": "insufficient data", "points": len(window),
                "note": f"{len(window)} yearly value(s) in {last - OUTLOOK_WINDOW + 1}-{last}; the outlook needs "
                        f"at least {OUTLOOK_MIN_POINTS}"}
    x = np.array(sorted(window), dtype=float)
    y = np.array([window[int(k)] for k in x], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    projected = float(intercept + slope * target_year)
    gap = (target - projected) / (target - baseline)
    if abs(slope) <= 1e-9 * max(1.0, float(np.abs(y).max())):
        slope = 0.0  # a flat series (rounding in the fit) does not move
    right_way = slope * (target - baseline) > 0
    if gap < ON_TRACK:
        verdict = "on track"
    elif not right_way:
        verdict = "wrong direction"
    elif gap <= SLIGHTLY_OFF:
        verdict = "slightly off"
    else:
        verdict = "off track"
    return {"outlook": verdict, "points": len(window), "slope": float(slope), "projected": projected,
            "shortfall": float(gap), "years": [int(x[0]), int(x[-1])]}


def indicator_status(ind: Indicator) -> dict[str, Any]:
    """Latest value, progress and outlook of one indicator."""
    values = current_values(ind)
    latest_year = max(values) if values else None
    value = values[latest_year] if latest_year is not None else None
    out = {"id": ind.id, "name": ind.name, "type": ind.type, "unit": ind.unit, "direction": ind.direction,
           "baseline": None if ind.baseline_year is None else {"year": ind.baseline_year, "value": ind.baseline_value},
           "target": None if ind.target_year is None else {"year": ind.target_year, "value": ind.target_value},
           "latest": None if value is None else {"year": latest_year, "value": value},
           "progress": progress_value(ind.baseline_value, ind.target_value, value),
           "load_id": ind.checked_load_id}
    out.update(outlook(values, ind.baseline_value, ind.target_value, ind.target_year))
    return out


def aggregate(values: Iterable[float | None]) -> float | None:
    """Mean of the values present (None and NaN are left out); None when none is present."""
    present = [v for v in values if v is not None and not math.isnan(v)]
    return sum(present) / len(present) if present else None


def plan_progress(plan: Plan) -> dict[str, Any]:
    """Progress of a plan: indicators, their priorities, and the plan (see the module docstring)."""
    statuses = {ind.id: indicator_status(ind) for ind in plan.indicators}
    priorities: list[dict[str, Any]] = []
    for pr in plan.priorities:
        children = [statuses[i.id] for i in plan.indicators if i.priority_id == pr.id]
        priorities.append({"id": pr.id, "title": pr.title, "progress": aggregate(c["progress"] for c in children),
                           "indicators": children})
    loose = [statuses[i.id] for i in plan.indicators if i.priority_id is None]
    overall = aggregate([p["progress"] for p in priorities] + [c["progress"] for c in loose])
    return {"plan": plan.id, "title": plan.title, "status": plan.status, "plan_version": plan.plan_version,
            "progress": overall, "priorities": priorities, "indicators": loose}
