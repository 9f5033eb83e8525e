"""Actor mix per region: who does a region's EU research (HES, REC, PRC, PUB, OTH).

CORDIS types every participation by the organisation's activity: higher or secondary
education (HES), research organisation (REC), private for-profit company (PRC), public
body (PUB) and other (OTH). A participation without a type counts as OTH. For region
``r`` and type ``a`` over the participations of the selection placed at its level:

- ``participations[r,a] = sum_{p: r(p)=r, a(p)=a} u(p)`` with ``u(p) = 1`` under full
  counting and ``1 / n[j(p)]`` under fractional counting (as in
  :mod:`rok.measures.activity`; a funding selection counts participations by its
  ``counting`` too),
- ``organisations[r,a]``: distinct organisations,
- ``funding[r,a] = sum ec(p)`` (EC contribution, EUR, missing counts 0),
- ``share[r,a] = participations[r,a] / sum_a participations[r,a]``.

The mix ignores the taxonomy: participations in projects without a domain count too.
"""

from __future__ import annotations

from dataclasses import replace

import ibis
import pandas as pd

from rok.measures.activity import require_rows
from rok.measures.engine import Engine
from rok.measures.selection import Selection, participation_rows

__all__ = ["ACTOR_TYPES", "actor_mix_expr", "actor_mix"]

#: CORDIS activity types, in the order of the DESIGN (research actors first).
ACTOR_TYPES = ("HES", "REC", "PRC", "PUB", "OTH")


def actor_mix_expr(engine: Engine, sel: Selection) -> ibis.Table:
    """The Ibis expression of :func:`actor_mix`, unexecuted."""
    counting = replace(sel, measure="participations")
    rows = participation_rows(engine, counting)
    rows = rows.mutate(activity_type=rows.activity_type.fill_null("OTH"))
    mix = rows.group_by("region", "activity_type").aggregate(
        participations=rows.unit.sum().cast("float64"),
        organisations=rows.org_id.nunique().cast("int64"),
        funding=rows.ec.fill_null(0.0).sum().cast("float64"),
    )
    region_total = mix.participations.sum().over(ibis.window(group_by=mix.region))
    return mix.mutate(share=(mix.participations / region_total).cast("float64")).order_by(
        "region", "activity_type"
    )


def actor_mix(engine: Engine, sel: Selection | None = None) -> pd.DataFrame:
    """Actor mix per region of ``sel`` (level, years, counting; formulas in the module docstring).

    Returns
    -------
    DataFrame with columns ``region``, ``activity_type``, ``participations`` (float:
    full or fractional count), ``organisations`` (int), ``funding`` (EUR) and ``share``
    (of the region's participations; sums to 1 per region), sorted by region and type.
    Types absent from a region have no row.

    Raises
    ------
    InputError
        When no participation falls in the selection.
    """
    sel = sel or Selection()
    frame = engine.execute(actor_mix_expr(engine, sel))
    require_rows(frame, sel)
    frame = frame.reset_index(drop=True)
    columns = ["region", "activity_type", "participations", "organisations", "funding", "share"]
    return frame[columns].astype(
        {"participations": "float64", "organisations": "int64", "funding": "float64"}
    )
