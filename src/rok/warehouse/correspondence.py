"""NUTS versions: a correspondence derived from the boundary files, and indicators in NUTS 2021.

Indicators arrive in the codes of the NUTS version their table used (2013, 2016, 2021 or
2024). rok analyses everything in NUTS 2021, and maps deliberately:

* a code that exists in NUTS 2021 is taken as the 2021 region of that code (``same code``);
* a code of another version with boundaries in the warehouse (2016, 2024) is compared with
  the 2021 regions of its level by area overlap. When the old region and one 2021 region
  cover each other to at least 90% (``share_of_from`` and ``share_of_to``: the two files are
  generalised at different scales, so identical regions never overlap exactly), the value
  is carried over as ``recode (area overlap)``. Splits and merges are recorded in
  ``nuts_correspondence`` but their values are not carried over: an indicator's value for a
  region that was split or merged cannot be re-allocated without knowing whether it is a
  count or a rate;
* codes of 2016, 2013 and 2010 are mapped through the NUTS history table and the LAU
  populations (:mod:`rok.warehouse.nuts_history`, ``nuts_code_history``): recodes carry
  the value, splits and merges re-allocate it by population share
  (:mod:`rok.warehouse.reallocation`); this takes precedence over the area overlap;
* any other code (e.g. the ``ZZ`` extra-regio codes, or a region the history cannot
  follow) stays unmapped, and :func:`unmapped_codes` reports it.

:func:`map_old_code` tells what an old code a user typed stands for in NUTS 2021.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely

from rok.sources.gazetteer import Gazetteer
from rok.warehouse.nuts_history import build_code_history
from rok.warehouse.reallocation import reallocate
from rok.warehouse.store import Warehouse

__all__ = ["build_correspondence", "harmonise_indicators", "unmapped_codes", "map_old_code", "MATCH_SHARE"]

MATCH_SHARE = 0.9
TARGET = 2021


def _regions(wh: Warehouse, version: int) -> pd.DataFrame:
    frame = wh.query(
        "SELECT code, level, geometry FROM regions WHERE nuts_version = ? AND geometry IS NOT NULL ORDER BY code",
        [version],
    )
    frame["geom"] = shapely.from_wkb(frame["geometry"].map(bytes).to_numpy()) if len(frame) else []
    frame["geom"] = shapely.make_valid(frame["geom"].to_numpy()) if len(frame) else frame["geom"]
    return frame.drop(columns="geometry")


def build_correspondence(wh: Warehouse) -> pd.DataFrame:
    """Area overlaps between every region of another version and the 2021 regions of its level."""
    target = _regions(wh, TARGET)
    versions = [int(v) for v in wh.query("SELECT DISTINCT nuts_version FROM regions WHERE nuts_version <> ?", [TARGET])["nuts_version"]]
    rows = []
    for version in sorted(versions):
        source = _regions(wh, version)
        for level in sorted(set(source["level"])):
            old = source[source["level"] == level].reset_index(drop=True)
            new = target[target["level"] == level].reset_index(drop=True)
            if old.empty or new.empty:
                continue
            tree = shapely.STRtree(new["geom"].to_numpy())
            i_old, i_new = tree.query(old["geom"].to_numpy(), predicate="intersects")
            inter = shapely.area(shapely.intersection(old["geom"].to_numpy()[i_old], new["geom"].to_numpy()[i_new]))
            share_from = inter / shapely.area(old["geom"].to_numpy()[i_old])
            share_to = inter / shapely.area(new["geom"].to_numpy()[i_new])
            keep = share_from >= 0.01
            for a, b, sf, st in zip(i_old[keep], i_new[keep], share_from[keep], share_to[keep], strict=True):
                rows.append((old["code"][a], version, new["code"][b], TARGET, int(level), float(sf), float(st)))
    frame = pd.DataFrame(rows, columns=["from_code", "from_version", "to_code", "to_version", "level",
                                        "share_of_from", "share_of_to"])
    one_to_one = (frame["share_of_from"] >= MATCH_SHARE) & (frame["share_of_to"] >= MATCH_SHARE)
    frame["method"] = np.where(
        one_to_one, np.where(frame["from_code"] == frame["to_code"], "same region", "recode (area overlap)"),
        np.where(frame["share_of_to"] >= MATCH_SHARE, "split (area overlap)",
                 np.where(frame["share_of_from"] >= MATCH_SHARE, "merge (area overlap)", "partial overlap")),
    )
    wh.replace_table("nuts_correspondence", frame)
    return frame


_HARMONISE_SQL = f"""
WITH ind AS (SELECT * FROM indicators),
codes21 AS (SELECT code FROM regions WHERE nuts_version = {TARGET}),
direct AS (
    SELECT i.region, i.indicator, i.year, i.value, i.unit, i.flag, i.source, i.region AS from_region,
           {TARGET} AS from_version, 'same code' AS method
    FROM ind i JOIN codes21 c ON c.code = i.region),
recode AS (
    SELECT DISTINCT ON (i.region, i.indicator, i.unit, i.year, i.source)
           k.to_code AS region, i.indicator, i.year, i.value, i.unit, i.flag, i.source, i.region AS from_region,
           k.from_version, k.method
    FROM ind i JOIN nuts_correspondence k ON k.from_code = i.region AND k.method = 'recode (area overlap)'
    WHERE i.region NOT IN (SELECT code FROM codes21)
    ORDER BY i.region, i.indicator, i.unit, i.year, i.source, k.from_version)
SELECT * FROM direct
UNION ALL
SELECT r.* FROM recode r
WHERE NOT EXISTS (SELECT 1 FROM direct d WHERE d.region = r.region AND d.indicator = r.indicator
                  AND d.unit = r.unit AND d.year = r.year AND d.source = r.source)
"""


def harmonise_indicators(wh: Warehouse, gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    """Rebuild ``nuts_correspondence`` and ``indicators_nuts2021``; set ``indicators.nuts_version``.

    ``indicators.nuts_version`` becomes the newest of 2021, 2016, 2024 whose boundaries have
    the code (2021 first, since it is the target), NULL when none has it. A value published
    under a 2021 code wins over a value recoded from an older code for the same cell.
    """
    build_correspondence(wh)
    with wh.transaction() as con:
        con.execute(
            """UPDATE indicators SET nuts_version = (
                   SELECT CASE WHEN bool_or(r.nuts_version = 2021) THEN 2021 ELSE max(r.nuts_version) END
                   FROM regions r WHERE r.code = indicators.region)"""
        )
    frame = wh.query(_HARMONISE_SQL)
    _, parts = build_code_history(wh, gazetteer)
    moved = reallocate(wh, parts)
    cell = ["region", "indicator", "unit", "year", "source"]
    direct = frame[frame["method"] == "same code"]
    moved = moved.merge(direct[cell], on=cell, how="left", indicator=True)
    moved = moved[moved["_merge"] == "left_only"].drop(columns="_merge")
    overlap = frame[frame["method"] != "same code"].merge(moved[cell], on=cell, how="left", indicator=True)
    overlap = overlap[overlap["_merge"] == "left_only"].drop(columns="_merge")
    pieces = [f for f in (direct, moved.astype({"year": direct["year"].dtype}), overlap) if len(f)]
    frame = pd.concat(pieces, ignore_index=True) if pieces else direct
    wh.replace_table("indicators_nuts2021", frame)
    return frame


def unmapped_codes(wh: Warehouse) -> pd.DataFrame:
    """Indicator region codes with no value in ``indicators_nuts2021``, with the reason."""
    return wh.query(
        """
        SELECT i.region, any_value(i.nuts_version) AS nuts_version, count(*) AS rows,
               CASE WHEN any_value(i.nuts_version) IS NULL THEN 'code in none of the loaded NUTS versions'
                    WHEN bool_or(h.old_code IS NOT NULL)
                    THEN 'NUTS history: ' || string_agg(DISTINCT h.kind || ' -> ' || h.new_code, '; ')
                         || ' (the old regions with values do not cover the 2021 region in these rows)'
                    WHEN bool_or(k.method = 'recode (area overlap)')
                    THEN 'recode (area overlap) -> ' || any_value(k.to_code) FILTER (WHERE k.method = 'recode (area overlap)')
                         || ', where the values published under the 2021 code take precedence'
                    ELSE coalesce(string_agg(DISTINCT k.method || ' -> ' || k.to_code, '; '), 'no overlapping 2021 region')
               END AS reason
        FROM indicators i
        LEFT JOIN nuts_correspondence k ON k.from_code = i.region
        LEFT JOIN nuts_code_history h ON h.old_code = i.region
        WHERE i.region NOT IN (SELECT unnest(string_split(from_region, '+')) FROM indicators_nuts2021)
        GROUP BY i.region ORDER BY rows DESC, i.region
        """
    )


def map_old_code(con_or_warehouse: Warehouse | duckdb.DuckDBPyConnection, code: str) -> list[dict[str, Any]]:
    """What an old NUTS code stands for in NUTS 2021: one dict per 2021 region, largest share first.

    Keys: ``old_code``, ``old_version``, ``new_code``, ``new_version``, ``name`` (of the 2021
    region), ``kind`` (recode, split, merge, boundary change), ``share`` (population share:
    of the old region in the new one for a split or boundary change, of the new region
    coming from the old one for a merge; 1 for a recode) and ``method``. Empty for a code
    that is not in ``nuts_code_history`` (a current 2021 code, or an unknown one). Where the
    code was used in several versions, the newest version's mapping comes first.
    """
    con = con_or_warehouse.con if isinstance(con_or_warehouse, Warehouse) else con_or_warehouse
    rows = con.execute(
        """SELECT h.old_code, h.old_version, h.new_code, h.new_version, any_value(r.name_latn) AS name,
                  h.kind, h.share, h.method
           FROM nuts_code_history h
           LEFT JOIN regions r ON r.code = h.new_code AND r.nuts_version = h.new_version
           WHERE h.old_code = upper(trim(?))
           GROUP BY ALL ORDER BY h.old_version DESC, h.share DESC, h.new_code""",
        [code],
    ).fetchall()
    keys = ["old_code", "old_version", "new_code", "new_version", "name", "kind", "share", "method"]
    return [dict(zip(keys, row, strict=True)) for row in rows]
