"""Region x domain activity: how much of each domain's EU research each region does.

For a participation ``p`` of organisation ``o(p)`` in project ``j(p)``, the region is
``r(p) = nuts{level}(o(p))`` and the domain weights are ``w[j,d]`` from
``project_domains`` in the chosen taxonomy (a project's weights sum to 1, so splitting
a project over domains does not inflate totals). Over the participations of the period
(``start_year(j)`` in the window) whose organisation is placed at the level:

- participations, full counting:        ``x[r,d] = sum_{p: r(p)=r} w[j(p),d]``
- participations, fractional counting:  ``x[r,d] = sum_{p: r(p)=r} w[j(p),d] / n[j(p)]``
- funding (either counting):            ``x[r,d] = sum_{p: r(p)=r} ec(p) * w[j(p),d]``

where ``n[j]`` is the number of participations of project ``j`` in the warehouse
(placed or not) and ``ec(p)`` the EC contribution in EUR (missing counts 0). Under
fractional counting a project adds at most 1 to the regions' total, less when some of
its participants are unplaced. Counting methods after Gauffriau et al. (2008); see
:mod:`rok.measures.selection`.

Participations of projects without a domain in the taxonomy, of organisations without
a region at the level, or outside the window are left out; :func:`coverage` says how
many, so that outputs can state it.
"""

from __future__ import annotations

from typing import TypedDict

import ibis
import pandas as pd

from rok.errors import InputError
from rok.measures.engine import Engine
from rok.measures.selection import Selection, participation_rows

__all__ = ["Coverage", "activity_expr", "activity", "activity_matrix", "coverage", "require_rows"]


def activity_expr(engine: Engine, sel: Selection) -> ibis.Table:
    """The Ibis expression of :func:`activity` (columns region, domain, value), unexecuted."""
    rows = participation_rows(engine, sel)
    weights = engine.table("project_domains")
    weights = weights.filter(weights.taxonomy == sel.taxonomy).select(
        "project_id", domain=weights.code, weight=weights.weight.cast("float64")
    )
    rows = rows.join(weights, "project_id")
    cells = rows.group_by("region", "domain").aggregate(value=(rows.weight * rows.unit).sum())
    return cells.mutate(value=cells.value.cast("float64")).order_by("region", "domain")


def activity(engine: Engine, sel: Selection | None = None) -> pd.DataFrame:
    """Region x domain activity ``x[r,d]`` in long form (formulas in the module docstring).

    Parameters
    ----------
    engine
        Where to run (:func:`rok.measures.open_engine`).
    sel
        What to count; default ``Selection()``: NUTS 2, participations, fractional
        counting, all years, taxonomy ``h2020-part``.

    Returns
    -------
    DataFrame with columns ``region`` (NUTS 2021 code), ``domain`` (code in the
    taxonomy) and ``value`` (float), one row per cell with at least one participation,
    sorted by region and domain. With ``measure="funding"`` a cell whose participations
    have no EC contribution (0 or unknown) has value 0: it is kept, so that a region with
    participations but no funding is visible (the analyses leave it out by name, as its
    shares are 0/0; see :class:`rok.analysis.profiles.Profiles`).

    Raises
    ------
    InputError
        When no participation falls in the selection.

    Examples
    --------
    >>> with open_engine("duckdb") as engine:  # doctest: +SKIP
    ...     activity(engine, Selection(level=2, counting="full", years=(2015, 2017)))
    """
    sel = sel or Selection()
    frame = engine.execute(activity_expr(engine, sel))
    require_rows(frame, sel)
    frame = frame.reset_index(drop=True)
    frame["value"] = frame["value"].astype("float64")
    return frame[["region", "domain", "value"]]


def activity_matrix(engine: Engine, sel: Selection | None = None) -> pd.DataFrame:
    """:func:`activity` as a regions x domains matrix (float, empty cells 0), rows and columns sorted."""
    long = activity(engine, sel)
    matrix = long.pivot(index="region", columns="domain", values="value").fillna(0.0).astype("float64")
    matrix = matrix.sort_index(axis=0).sort_index(axis=1)
    matrix.columns.name, matrix.index.name = "domain", "region"
    return matrix


class Coverage(TypedDict):
    """What :func:`coverage` returns (a plain dict)."""

    selection: str
    participations: int
    in_period: int
    placed: int
    counted: int
    value_counted: float
    value_in_period: float


def coverage(engine: Engine, sel: Selection | None = None) -> Coverage:
    """How much of the warehouse the selection keeps, for outputs to state what was left out.

    Returns
    -------
    dict with
        ``selection``: :meth:`Selection.describe`;
        ``participations``: all participations in the warehouse;
        ``in_period``: those of projects starting in the window (all without one);
        ``placed``: of those, the ones whose organisation has a region at the level
        (what :func:`rok.measures.actor_mix` counts);
        ``counted``: of those, the ones whose project has a domain in the taxonomy
        (what :func:`activity` counts);
        ``value_counted``: the sum of :func:`activity` values;
        ``value_in_period``: the same sum had every participation of the period with a
        domain been placed (for fractional counting: the number of such projects).
    """
    sel = sel or Selection()
    rows = participation_rows(engine, sel, placed_only=False)
    weights = engine.table("project_domains")
    mass = (
        weights.filter(weights.taxonomy == sel.taxonomy)
        .group_by("project_id")
        .aggregate(mass=weights.weight.cast("float64").sum())
    )
    rows = rows.left_join(mass, "project_id")
    placed = rows.region.notnull()
    domain = rows.mass.notnull()
    value = rows.mass * rows.unit
    summary = rows.aggregate(
        participations=rows.count(),
        placed=rows.count(where=placed),
        counted=rows.count(where=placed & domain),
        value_counted=value.sum(where=placed & domain),
        value_in_period=value.sum(where=domain),
    )
    everything = engine.table("participations")
    summary = summary.rename(in_period="participations").cross_join(
        everything.aggregate(participations=everything.count())
    )
    counts = engine.execute(summary).iloc[0]
    return {
        "selection": sel.describe(),
        "participations": int(counts["participations"]),
        "in_period": int(counts["in_period"]),
        "placed": int(counts["placed"]),
        "counted": int(counts["counted"]),
        "value_counted": _number(counts["value_counted"]),
        "value_in_period": _number(counts["value_in_period"]),
    }


def require_rows(frame: pd.DataFrame, sel: Selection) -> None:
    """Raise :class:`InputError` naming ``sel`` when ``frame`` is empty."""
    if frame.empty:
        raise InputError(
            f"no participations in the selection: {sel.describe()}; "
            "check the period against the projects' start years and the taxonomy name"
        )


def _number(value: object) -> float:
    """A sum over no rows is NULL: count it as 0."""
    return 0.0 if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]
