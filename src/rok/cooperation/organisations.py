"""Organisation-level measures for partner search: activity per domain and participation details.

As the region x domain activity of :mod:`rok.measures.activity`, grouped by organisation
instead of region (placed or not), plus what partner search shows as evidence and what the
umbrella rule (:mod:`rok.cooperation.umbrella`) reads. The measures are imported where used,
so that searching a stored partner index does not load the query engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import ibis

    from rok.measures.engine import Engine
    from rok.measures.selection import Selection

__all__ = ["organisation_activity_expr", "organisation_activity", "organisation_details"]


def organisation_activity_expr(engine: Engine, sel: Selection) -> ibis.Table:
    """Ibis expression of organisation x domain activity, unexecuted.

    Columns ``org_id, domain, value, projects, latest``: ``v[o,d] = sum_{p: o(p)=o} w[j(p),d]
    * unit(p)`` as the region x domain activity of :mod:`rok.measures.activity`, grouped by
    organisation (placed or not); ``projects`` the distinct projects of ``o`` in ``d``;
    ``latest`` their latest start year.
    """
    from rok.measures.selection import participation_rows

    rows = participation_rows(engine, sel, placed_only=False)
    weights = engine.table("project_domains")
    weights = weights.filter(weights.taxonomy == sel.taxonomy).select(
        "project_id", domain=weights.code, weight=weights.weight.cast("float64"))
    projects = engine.table("projects").select("project_id", "start_year")
    rows = rows.join(weights, "project_id").left_join(projects, "project_id")
    cells = rows.group_by("org_id", "domain").aggregate(value=(rows.weight * rows.unit).sum(),
                                                        projects=rows.project_id.nunique(),
                                                        latest=rows.start_year.max())
    return cells.mutate(value=cells.value.cast("float64")).order_by("org_id", "domain")


def organisation_activity(engine: Engine, sel: Selection | None = None) -> pd.DataFrame:
    """Organisation x domain activity: DataFrame ``org_id, domain, value, projects, latest``
    (non-empty cells; :func:`organisation_activity_expr`)."""
    from rok.measures.selection import Selection

    sel = sel or Selection()
    frame = engine.execute(organisation_activity_expr(engine, sel))
    frame = frame[frame["value"] > 0]
    return frame[["org_id", "domain", "value", "projects", "latest"]].reset_index(drop=True)


def organisation_details(engine: Engine, sel: Selection) -> pd.DataFrame:
    """Per organisation of the selection: ``org_id, city, projects`` (distinct), ``funded_share``
    (share of its participations with an EC contribution > 0) and ``median_ec`` (median EC
    contribution of the funded ones), for the evidence and :func:`~rok.cooperation.umbrella.umbrella_flags`."""
    from rok.measures.selection import participation_rows

    rows = participation_rows(engine, sel, placed_only=False)
    funded = rows.ec > 0
    per = rows.group_by("org_id").aggregate(
        projects=rows.project_id.nunique(), funded_share=funded.cast("float64").mean(),
        median_ec=rows.ec.median(where=funded))
    orgs = engine.table("organisations").select("org_id", "city")
    frame = engine.execute(per.left_join(orgs, "org_id").select("org_id", "city", "projects", "funded_share",
                                                                "median_ec"))
    return frame.reset_index(drop=True)
