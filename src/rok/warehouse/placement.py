"""Organisations and where they are: one row per organisation, placed in NUTS 2021.

``build_organisations`` merges every address source of an organisation (official CORDIS
bulk first, then the 2017 H2020 table, then FP7 addresses) with what its participations
say (activity type, country), and places it, trying in order:

1. ``cordis-nuts``: the official ``nutsCode`` of the bulk files, used as is when it is a
   NUTS 2021 code (levels below it derived from the code);
2. ``postcode``: a postcode -> NUTS 3 table, when one is supplied;
3. ``geolocation``: the bulk file's coordinates, point in polygon;
4. ``gazetteer``: city + country through the GeoNames gazetteer, then point in polygon on
   the NUTS 2021 level-3 boundaries (STR-tree index); a point that falls outside its own
   country (generalised coastlines and borders) goes to the nearest level-3 region of its
   own country, and the distance is recorded;
5. ``municipality``: the city field names a municipality of the LAU table, or a NUTS 3
   region (:mod:`rok.warehouse.municipalities`);
6. ``single-region``: the country has one NUTS 2 region (CY, EE, LU, LV, MT, ...), so the
   country alone gives NUTS 2 (and NUTS 3 where there is one NUTS 3 region).

Finally, ``manual`` placements (``rok locate --set``, table ``manual_placements``, which no
rebuild touches) replace whatever the steps found. A manual placement whose region is no
NUTS 2021 region of the organisation's country stops the rebuild (and so the load it
belongs to) with an error.

Organisations that none of these places stay in the table with ``place_method`` =
``unplaced`` and the reason in ``place_detail``; they are never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from rok.errors import InputError
from rok.sources.gazetteer import Gazetteer, repair_text
from rok.sources.nutscodes import iso_to_nuts
from rok.timing import step
from rok.warehouse.municipalities import AdminNames
from rok.warehouse.store import Warehouse

__all__ = ["build_organisations", "cross_source_agreement", "NutsIndex", "PLACEMENT_VERSION"]

PLACEMENT_VERSION = 2021
Progress = Callable[[str, int, int], None]

_MERGE_SQL = """
WITH src AS (
    SELECT *, CASE WHEN source LIKE 'cordis-%-bulk' THEN 1 WHEN source = 'cordis-h2020-orgs-2017' THEN 2
                   WHEN source = 'cordis-fp7-addresses' THEN 3 ELSE 4 END AS pref
    FROM organisation_sources),
best AS (SELECT * FROM src QUALIFY row_number() OVER (PARTITION BY org_id ORDER BY pref, updated DESC NULLS LAST, source) = 1),
part AS (SELECT org_id, mode(activity_type) AS activity_type, mode(country) AS country FROM participations GROUP BY org_id),
ids AS (SELECT org_id FROM part UNION SELECT org_id FROM src)
SELECT ids.org_id, best.name, best.short_name, coalesce(best.activity_type, part.activity_type) AS activity_type,
       best.street, best.postcode, best.city, upper(coalesce(best.country, part.country)) AS country,
       best.source AS address_source
FROM ids LEFT JOIN best USING (org_id) LEFT JOIN part USING (org_id)
ORDER BY ids.org_id
"""

_CANDIDATES_SQL = """
SELECT org_id, source, city, upper(country) AS country, postcode, upper(nuts_code) AS nuts_code, lat, lon,
       CASE WHEN source LIKE 'cordis-%-bulk' THEN 1 WHEN source = 'cordis-h2020-orgs-2017' THEN 2
            WHEN source = 'cordis-fp7-addresses' THEN 3 ELSE 4 END AS pref
FROM organisation_sources ORDER BY org_id, pref, updated DESC NULLS LAST, source
"""


@dataclass
class NutsIndex:
    """NUTS 2021 regions for placement: level-3 polygons in an STR-tree, codes per level."""

    codes: np.ndarray  # level-3 codes, aligned with polygons
    countries: np.ndarray
    polygons: np.ndarray
    tree: shapely.STRtree
    known: set[str]  # every 2021 code, all levels
    single_nuts2: dict[str, str]
    single_nuts3: dict[str, str]

    @classmethod
    def from_warehouse(cls, wh: Warehouse) -> NutsIndex:
        regions = wh.query(
            "SELECT code, level, country, geometry FROM regions WHERE nuts_version = ?", [PLACEMENT_VERSION]
        )
        if regions.empty:
            raise InputError(
                f"no NUTS {PLACEMENT_VERSION} regions in the warehouse; run `rok ingest nuts` "
                "(or `rok ingest mirror`) first"
            )
        level3 = regions[(regions["level"] == 3) & regions["geometry"].notna()]
        polygons = shapely.from_wkb(level3["geometry"].map(bytes).to_numpy())
        by_level = regions.groupby(["country", "level"])["code"].agg(list)
        single2 = {c: codes[0] for (c, lvl), codes in by_level.items() if lvl == 2 and len(codes) == 1}
        single3 = {c: codes[0] for (c, lvl), codes in by_level.items() if lvl == 3 and len(codes) == 1}
        return cls(level3["code"].to_numpy(), level3["country"].to_numpy(), polygons, shapely.STRtree(polygons),
                   set(regions["code"]), single2, single3)

    def locate(self, lon: np.ndarray, lat: np.ndarray, country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Level-3 code per point (inside a polygon of its own country, else the nearest such
        polygon) and the distance in km to it (0 inside)."""
        points = shapely.points(lon, lat)
        result = np.full(len(points), None, dtype=object)
        distance = np.zeros(len(points))
        hit_point, hit_poly = self.tree.query(points, predicate="intersects")
        same = self.countries[hit_poly] == country[hit_point]
        result[hit_point[same]] = self.codes[hit_poly[same]]
        for i in np.flatnonzero(pd.isna(result)):
            mask = self.countries == country[i]
            if not mask.any():
                continue
            candidates = self.polygons[mask]
            gaps = shapely.distance(candidates, points[i])
            best = int(np.argmin(gaps))
            result[i] = self.codes[mask][best]
            distance[i] = float(gaps[best]) * 111.32 * np.cos(np.radians(lat[i]))
        return result, distance


def _from_code(code: str, known: set[str]) -> tuple[str | None, str | None, str | None]:
    nuts3 = code[:5] if len(code) >= 5 and code[:5] in known else None
    nuts2 = code[:4] if len(code) >= 4 and code[:4] in known else None
    nuts1 = code[:3] if len(code) >= 3 and code[:3] in known else None
    return nuts3, nuts2, nuts1


def _geocode(candidates: pd.DataFrame, gazetteer: Gazetteer, progress: Progress | None) -> pd.DataFrame:
    """First gazetteer hit per organisation over its address candidates (in preference order)."""
    pairs = candidates.dropna(subset=["city", "country"])[["city", "country"]].drop_duplicates()
    found: dict[tuple[str, str], object] = {}
    total = len(pairs)
    for n, (city, country) in enumerate(pairs.itertuples(index=False), start=1):
        found[(city, country)] = gazetteer.lookup(city, country)
        if progress and (n % 500 == 0 or n == total):
            progress("geocode", n, total)
    keys = list(zip(candidates["city"], candidates["country"], strict=True))
    places = [found.get(k) for k in keys]
    hits = candidates.assign(place=places)
    hits = hits[hits["place"].notna()].drop_duplicates("org_id")  # candidates come in preference order
    return pd.DataFrame({
        "org_id": hits["org_id"].to_numpy(),
        "lon": [p.lon for p in hits["place"]],
        "lat": [p.lat for p in hits["place"]],
        "country": hits["country"].to_numpy(),
        "detail": [f"{p.match} '{c}' -> {p.name} ({s})" for p, c, s in zip(hits["place"], hits["city"], hits["source"], strict=True)],
    })


def build_organisations(
    wh: Warehouse,
    *,
    gazetteer: Gazetteer | None = None,
    postcodes: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Rebuild ``organisations`` from the address sources and participations, placed in NUTS 2021.

    ``postcodes`` has columns country, postcode, nuts3 (see :func:`rok.sources.postcodes.read_postcodes`).
    Returns the table written (one atomic replace).
    """
    nuts = NutsIndex.from_warehouse(wh)
    orgs = wh.query(_MERGE_SQL)
    # names keep the source's spelling in organisation_sources; here mojibake is repaired (J√∂ckel -> Jöckel)
    for column in ("name", "short_name", "city"):
        orgs[column] = [repair_text(v) if isinstance(v, str) and not v.isascii() else v for v in orgs[column]]
    orgs["country"] = orgs["country"].map(lambda c: iso_to_nuts(c) if isinstance(c, str) else c)
    cand = wh.query(_CANDIDATES_SQL)
    cand["country"] = cand["country"].map(lambda c: iso_to_nuts(c) if isinstance(c, str) else c)
    for column in ("nuts3", "nuts2", "nuts1", "nuts_code", "place_method", "place_detail"):
        orgs[column] = None
    orgs["lat"] = np.nan
    orgs["lon"] = np.nan
    orgs = orgs.set_index("org_id")
    todo = pd.Series(True, index=orgs.index)

    def assign(ids: pd.Index, method: str, detail: pd.Series | str, codes: list[tuple]) -> None:
        orgs.loc[ids, ["nuts3", "nuts2", "nuts1"]] = codes
        orgs.loc[ids, "place_method"] = method
        orgs.loc[ids, "place_detail"] = detail
        todo.loc[ids] = False

    # 1. official nutsCode
    official = cand.dropna(subset=["nuts_code"]).drop_duplicates("org_id")
    orgs.loc[official["org_id"], "nuts_code"] = official["nuts_code"].to_numpy()
    codes = [_from_code(c, nuts.known) for c in official["nuts_code"]]
    ok = np.array([c[1] is not None for c in codes], dtype=bool)
    if ok.any():
        assign(pd.Index(official["org_id"][ok]), "cordis-nuts", "nutsCode " + official["nuts_code"][ok].astype(str),
               [c for c, k in zip(codes, ok, strict=True) if k])
    # 2. postcode table
    if postcodes is not None and len(postcodes):
        pc = cand[cand["org_id"].isin(todo[todo].index)].dropna(subset=["postcode", "country"]).copy()
        pc["postcode_key"] = pc["postcode"].str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
        table = postcodes.assign(postcode_key=postcodes["postcode"].str.upper().str.replace(r"[^0-9A-Z]", "", regex=True))
        hit = pc.merge(table[["country", "postcode_key", "nuts3"]], on=["country", "postcode_key"]).drop_duplicates("org_id")
        hit = hit[hit["nuts3"].isin(nuts.known)]
        if len(hit):
            assign(pd.Index(hit["org_id"]), "postcode", "postcode " + hit["postcode"] + " (" + hit["source"] + ")",
                   [_from_code(c, nuts.known) for c in hit["nuts3"]])
    # 3. coordinates given by the source, 4. gazetteer
    given = cand[cand["org_id"].isin(todo[todo].index)].dropna(subset=["lat", "lon"]).drop_duplicates("org_id")
    given = given.assign(detail="geolocation (" + given["source"] + ")")[["org_id", "lon", "lat", "country", "detail"]]
    rest = cand[cand["org_id"].isin(todo[todo].index) & ~cand["org_id"].isin(given["org_id"])]
    with step("geocode"):
        geo = _geocode(rest, gazetteer or Gazetteer.load(), progress)
    for method, points in (("geolocation", given), ("gazetteer", geo)):
        points = points[points["country"].isin(set(nuts.countries))]
        if points.empty:
            continue
        with step("geocode"):
            code, km = nuts.locate(points["lon"].to_numpy(float), points["lat"].to_numpy(float),
                                   points["country"].to_numpy())
        detail = points["detail"].to_numpy(object)
        detail = np.where(km > 0, detail + np.char.add(np.char.add("; nearest region ", np.round(km, 1).astype(str)), " km"), detail)
        ids = pd.Index(points["org_id"])
        orgs.loc[ids, "lon"] = points["lon"].to_numpy()
        orgs.loc[ids, "lat"] = points["lat"].to_numpy()
        assign(ids, method, pd.Series(detail, index=ids), [(c, c[:4], c[:3]) for c in code])
    # 5. municipality and NUTS 3 region names
    names = cand[cand["org_id"].isin(todo[todo].index)].dropna(subset=["city", "country"])
    if len(names):
        with step("geocode"):
            hits = AdminNames.from_warehouse(wh).place(names)
        hits = hits[hits["nuts3"].isin(nuts.known)]
        if len(hits):
            assign(pd.Index(hits["org_id"]), "municipality", pd.Series(hits["detail"].to_numpy(), index=hits["org_id"]),
                   [_from_code(c, nuts.known) for c in hits["nuts3"]])
    # 6. single-region countries
    single = todo & orgs["country"].isin(nuts.single_nuts2.keys())
    if single.any():
        ids = single[single].index
        countries = orgs.loc[ids, "country"]
        assign(ids, "single-region", "country " + countries + " has one NUTS 2 region",
               [(nuts.single_nuts3.get(c), nuts.single_nuts2[c], nuts.single_nuts2[c][:3]) for c in countries])
    # unplaced, with the reason
    rest_ids = todo[todo].index
    has_address = set(cand["org_id"])
    in_nuts = orgs.loc[rest_ids, "country"].isin(set(nuts.countries))
    reason = np.where(~in_nuts, "country without NUTS regions",
                      np.where(rest_ids.isin(list(has_address)), "address not found in the gazetteer", "no address"))
    orgs.loc[rest_ids, "place_method"] = "unplaced"
    orgs.loc[rest_ids, "place_detail"] = reason
    _apply_manual(wh, orgs, nuts)
    orgs["nuts_version"] = PLACEMENT_VERSION
    orgs.loc[orgs["nuts2"].isna(), "nuts_version"] = None
    out = orgs.reset_index()
    wh.replace_table("organisations", out)
    return out


def _apply_manual(wh: Warehouse, orgs: pd.DataFrame, nuts: NutsIndex) -> None:
    manual = wh.query("SELECT org_id, nuts3, why FROM manual_placements ORDER BY org_id")
    for org_id, code, why in manual.itertuples(index=False):
        if org_id not in orgs.index:
            continue  # an organisation no source names any more: its placement waits in the table
        country = orgs.at[org_id, "country"]
        if code not in nuts.known or code[:2] != country:
            raise InputError(f"manual placement of organisation {org_id} in {code} is not a NUTS {PLACEMENT_VERSION} "
                             f"region of its country {country}; correct it with `rok locate --set`",
                             column="nuts3", value=code)
        orgs.loc[org_id, ["nuts3", "nuts2", "nuts1"]] = _from_code(code, nuts.known)
        orgs.loc[org_id, ["place_method", "place_detail"]] = ["manual", f"manual: {why}"]


def cross_source_agreement(wh: Warehouse, gazetteer: Gazetteer | None = None) -> dict[str, object]:
    """Accuracy check: organisations with addresses in two sources, placed from each alone.

    For every organisation with both a 2017 H2020 address and an FP7 address in the same
    country, each city is geocoded and located independently; the share whose two NUTS 2
    regions agree bounds the placement error from below (a disagreement is either a
    geocoding error or a real move between the two snapshots).
    """
    gazetteer = gazetteer or Gazetteer.load()
    nuts = NutsIndex.from_warehouse(wh)
    pairs = wh.query(
        """SELECT a.org_id, a.city AS city_a, b.city AS city_b, upper(a.country) AS country
           FROM organisation_sources a JOIN organisation_sources b USING (org_id)
           WHERE a.source = 'cordis-h2020-orgs-2017' AND b.source = 'cordis-fp7-addresses'
             AND upper(a.country) = upper(b.country) ORDER BY a.org_id"""
    )
    pairs["country"] = pairs["country"].map(iso_to_nuts)
    pairs = pairs[pairs["country"].isin(set(nuts.countries))]
    places_a = [gazetteer.lookup(c, k) for c, k in zip(pairs["city_a"], pairs["country"], strict=True)]
    places_b = [gazetteer.lookup(c, k) for c, k in zip(pairs["city_b"], pairs["country"], strict=True)]
    keep = np.array([a is not None and b is not None for a, b in zip(places_a, places_b, strict=True)], dtype=bool)
    both = pairs[keep]
    a = [p for p, k in zip(places_a, keep, strict=True) if k]
    b = [p for p, k in zip(places_b, keep, strict=True) if k]
    country = both["country"].to_numpy()
    region_a, _ = nuts.locate(np.array([p.lon for p in a]), np.array([p.lat for p in a]), country)  # type: ignore[union-attr]
    region_b, _ = nuts.locate(np.array([p.lon for p in b]), np.array([p.lat for p in b]), country)  # type: ignore[union-attr]
    nuts2_a = np.array([r[:4] for r in region_a])
    nuts2_b = np.array([r[:4] for r in region_b])
    agree = nuts2_a == nuts2_b
    differ = both.assign(nuts2_a=nuts2_a, nuts2_b=nuts2_b)[~agree]
    return {
        "organisations_with_two_addresses": len(pairs),
        "placed_from_both": int(keep.sum()),
        "same_nuts2": int(agree.sum()),
        "agreement": round(float(agree.mean()), 4) if len(agree) else None,
        "examples_of_disagreement": differ.head(20).to_dict(orient="records"),
    }
