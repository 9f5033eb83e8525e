"""What the warehouse holds: row counts, recent loads, placement coverage, indicator mapping."""

from __future__ import annotations

from typing import Any

from rok.warehouse.correspondence import unmapped_codes
from rok.warehouse.placement import PLACEMENT_VERSION
from rok.warehouse.project_identity import overlaps
from rok.warehouse.schema import SCHEMA_VERSION
from rok.warehouse.store import Warehouse

__all__ = ["status", "placement_coverage"]

# Participations in countries with NUTS 2021 regions, joined to their organisation's placement.
_PLACED = f"""
WITH nuts_countries AS (SELECT DISTINCT country FROM regions WHERE nuts_version = {PLACEMENT_VERSION}),
p AS (
    SELECT p.country, p.ec_contribution, o.org_id, o.nuts2, o.place_method
    FROM participations p JOIN organisations o USING (org_id)
    WHERE p.country IN (SELECT country FROM nuts_countries))
"""


def _share(part: float | None, whole: float | None) -> float | None:
    return round(float(part or 0) / float(whole), 4) if whole else None


def placement_coverage(wh: Warehouse) -> dict[str, Any]:
    """Shares of organisations, participations and EC contribution placed at NUTS level 2.

    Counted over participations in countries that have NUTS 2021 regions (by the
    participation's country), and over the organisations that take part in them.
    """
    total = wh.con.execute(
        _PLACED + """SELECT count(*), count(nuts2), sum(ec_contribution),
                            sum(CASE WHEN nuts2 IS NOT NULL THEN ec_contribution END),
                            count(DISTINCT org_id), count(DISTINCT CASE WHEN nuts2 IS NOT NULL THEN org_id END)
                     FROM p"""
    ).fetchone()
    assert total is not None
    n, placed, ec, ec_placed, orgs, orgs_placed = total
    by_method = wh.query(
        _PLACED + """SELECT place_method AS method, count(DISTINCT org_id) AS organisations,
                            count(*) AS participations, sum(ec_contribution) AS ec_contribution
                     FROM p GROUP BY 1 ORDER BY participations DESC"""
    )
    by_country = wh.query(
        _PLACED + """SELECT country, count(*) AS participations, count(nuts2) AS placed,
                            round(count(nuts2) / count(*), 4) AS share_participations,
                            round(sum(CASE WHEN nuts2 IS NOT NULL THEN ec_contribution END) / sum(ec_contribution), 4)
                              AS share_ec_contribution
                     FROM p GROUP BY 1 ORDER BY participations DESC"""
    )
    inside = wh.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE substr(nuts2, 1, 2) = country) FROM organisations WHERE nuts2 IS NOT NULL"
    ).fetchone()
    assert inside is not None
    return {
        "nuts_version": PLACEMENT_VERSION,
        "level": 2,
        "scope": "participations in countries with NUTS regions, and their organisations",
        "organisations": {"total": orgs, "placed": orgs_placed, "share": _share(orgs_placed, orgs)},
        "participations": {"total": n, "placed": placed, "share": _share(placed, n)},
        "ec_contribution": {"total": ec, "placed": ec_placed, "share": _share(ec_placed, ec)},
        "placed_inside_own_country": {"placed": inside[0], "inside": inside[1], "share": _share(inside[1], inside[0])},
        "by_method": by_method.to_dict(orient="records"),
        "by_country": by_country.to_dict(orient="records"),
    }


def status(wh: Warehouse, *, last_loads: int = 25) -> dict[str, Any]:
    """Everything ``rok status`` prints, as plain data (JSON-ready)."""
    loads = wh.query(
        f"""SELECT load_id, source, file, rows_read, rows_kept, rows_rejected, status,
                   strftime(finished, '%Y-%m-%d %H:%M:%S') AS finished, notes
            FROM loads ORDER BY load_id DESC LIMIT {int(last_loads)}"""
    )
    rejects = wh.query(
        """SELECT r.load_id, l.file, r.line, r."column", r.value, r.reason FROM rejects r
           JOIN loads l USING (load_id) ORDER BY r.load_id, r.line LIMIT 50"""
    )
    indicators = {
        "rows": wh.scalar("SELECT count(*) FROM indicators"),
        "rows_nuts2021_by_method": wh.query(
            "SELECT method, count(*) AS rows FROM indicators_nuts2021 GROUP BY 1 ORDER BY 2 DESC"
        ).to_dict(orient="records"),
        "unmapped_codes": unmapped_codes(wh).to_dict(orient="records"),
        "nuts_code_history_by_kind": wh.query(
            """SELECT old_version, kind, count(DISTINCT old_code) AS codes FROM nuts_code_history
               GROUP BY ALL ORDER BY old_version DESC, kind"""
        ).to_dict(orient="records"),
    }
    has_orgs = bool(wh.scalar("SELECT count(*) FROM organisations"))
    return {
        "warehouse": wh.path,
        "schema_version": SCHEMA_VERSION,
        "tables": wh.counts(),
        "loads": loads.to_dict(orient="records"),
        "rejects": rejects.to_dict(orient="records"),
        "projects": overlaps(wh),
        "placement": placement_coverage(wh) if has_orgs else None,
        "indicators": indicators,
    }
