"""Unplaced organisations, manual placements, and how much of a region is placed.

``rok locate --unplaced`` lists what the automatic steps could not place, by weight;
``rok locate --set ORG NUTS3 --why TEXT`` records a placement by hand in
``manual_placements``: a table that rebuilds read and never write, so the placement
survives every re-ingest (:func:`rok.warehouse.placement.build_organisations` applies it
last, as ``place_method = 'manual'``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from rok.errors import InputError
from rok.warehouse.placement import PLACEMENT_VERSION
from rok.warehouse.store import Warehouse

__all__ = ["unplaced", "set_manual_placement", "placed_share", "country_placed_shares"]


def unplaced(wh: Warehouse, top: int | None = None) -> pd.DataFrame:
    """Unplaced organisations by participations and EC contribution, with the reason."""
    limit = f"LIMIT {int(top)}" if top else ""
    return wh.query(
        f"""SELECT o.org_id, o.name, o.city, o.country, count(p.org_id) AS participations,
                   sum(p.ec_contribution) AS ec_contribution, o.place_detail AS reason
            FROM organisations o LEFT JOIN participations p USING (org_id)
            WHERE o.nuts2 IS NULL
            GROUP BY ALL ORDER BY participations DESC, ec_contribution DESC NULLS LAST, o.org_id {limit}"""
    )


def set_manual_placement(wh: Warehouse, org_id: str, nuts3: str, why: str) -> dict[str, Any]:
    """Place ``org_id`` in NUTS 3 region ``nuts3`` (2021) by hand, for the reason ``why``.

    Checked first, nothing stored otherwise: the organisation is known, the code is a NUTS
    2021 level-3 region, it lies in the organisation's country, and a reason is given.
    """
    code = nuts3.strip().upper()
    if not why or not why.strip():
        raise InputError("a manual placement needs a reason (--why)", column="why", value=why)
    org = wh.query("SELECT org_id, name, country FROM organisations WHERE org_id = ?", [org_id])
    if org.empty:
        raise InputError("no organisation with this id in the warehouse", column="org_id", value=org_id)
    region = wh.query("SELECT code, level, country, name_latn FROM regions WHERE code = ? AND nuts_version = ?",
                      [code, PLACEMENT_VERSION])
    if region.empty or int(region["level"].iat[0]) != 3:
        raise InputError(f"not a NUTS {PLACEMENT_VERSION} level-3 region", column="nuts3", value=nuts3)
    country = org["country"].iat[0]
    if region["country"].iat[0] != country:
        raise InputError(f"{code} ({region['name_latn'].iat[0]}) lies in {region['country'].iat[0]}, "
                         f"organisation {org_id} in {country}", column="nuts3", value=nuts3)
    with wh.transaction() as con:
        con.execute("INSERT OR REPLACE INTO manual_placements VALUES (?, ?, ?, ?)",
                    [org_id, code, why.strip(), dt.datetime.now()])
        con.execute("""UPDATE organisations SET nuts3 = ?, nuts2 = ?, nuts1 = ?, nuts_version = ?,
                       place_method = 'manual', place_detail = ? WHERE org_id = ?""",
                    [code, code[:4], code[:3], PLACEMENT_VERSION, f"manual: {why.strip()}", org_id])
    return {"org_id": org_id, "name": org["name"].iat[0], "nuts3": code, "region": region["name_latn"].iat[0]}


def country_placed_shares(wh: Warehouse) -> pd.DataFrame:
    """Per country (of the participation): share of participations placed at NUTS 2."""
    return wh.query(
        """SELECT p.country, count(*) AS participations, count(o.nuts2) AS placed,
                  count(o.nuts2) / count(*) AS share
           FROM participations p LEFT JOIN organisations o USING (org_id)
           GROUP BY 1 ORDER BY 1"""
    )


def placed_share(wh: Warehouse, region: str) -> dict[str, Any]:
    """How completely a region's participations are placed, beside its country's share.

    For a region of level ``L`` with parent ``P`` (level ``L-1``; the country for level 1):
    ``share`` = participations placed in the region at level ``L`` / participations placed
    in ``P`` at level ``L-1`` attributable to the region, i.e. ``n(R) / (n(R) + u(P) *
    n(R) / n_L(P))``, where ``u(P)`` counts the participations placed in ``P`` but not
    down to level ``L`` (official codes of a coarser level) and, for NUTS 1 and 2, the
    country's unplaced participations. Below the country's ``country_share`` (placed at
    NUTS 2 over all participations of the country) the region's counts are likelier to be
    understated than its country's.
    """
    code = region.strip().upper()
    level = len(code) - 2
    if level not in (1, 2, 3) or not wh.scalar("SELECT count(*) FROM regions WHERE code = ? AND nuts_version = ?",
                                               [code, PLACEMENT_VERSION]):
        raise InputError(f"not a NUTS {PLACEMENT_VERSION} region of level 1-3", column="region", value=region)
    country, parent = code[:2], code[:-1]
    rows = wh.query(
        """SELECT o.nuts1, o.nuts2, o.nuts3 FROM participations p LEFT JOIN organisations o USING (org_id)
           WHERE p.country = ? OR o.nuts1 LIKE ? || '%'""", [country, country])
    col = f"nuts{level}"
    in_parent = rows[rows[f"nuts{level - 1}"] == parent] if level > 1 else rows
    n_region = int((rows[col] == code).sum())
    n_level = int(in_parent[col].notna().sum())
    missing = int(in_parent[col].isna().sum())
    attributed = missing * n_region / n_level if n_level else 0.0
    shares = country_placed_shares(wh).set_index("country")["share"]
    return {
        "region": code, "level": level, "participations_placed": n_region,
        "share": round(n_region / (n_region + attributed), 4) if n_region else None,
        "country": country, "country_share": round(float(shares[country]), 4) if country in shares else None,
    }
