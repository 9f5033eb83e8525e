"""Cities that span several NUTS 2 regions, and the participations placed by their name alone.

An organisation whose address gives only a city (``London``) is placed through the GeoNames
gazetteer or the LAU municipality names (:mod:`rok.warehouse.placement`, steps ``gazetteer``
and ``municipality``) at one point of that city, hence in one region. Where the city spans
several NUTS 2 regions (London's five, UKI3-UKI7), all its organisations land in the region
of that point: that region's counts hold participations of its neighbours, whose counts are
understated. The split among the regions is not observable from a city name; a postcode
table (GISCO TERCET) or street-level geocoding would give it. rok states the caveat instead
of inventing a split.

Which cities span several regions comes from Eurostat's Urban Audit, as given in the LAU
2019 table (``lau.greater_city_name``): the NUTS 3 regions of 2016 of a greater city's
municipalities, mapped to 2021 like the municipality names
(:func:`rok.warehouse.nuts_history.atoms_to_2021`, the part holding most of each region).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from rok.warehouse.nuts_history import atoms_to_2021
from rok.warehouse.store import Warehouse

__all__ = ["spread_cities", "city_placements", "city_placed", "city_note"]

#: Placement steps that place by the city name alone.
NAME_METHODS = ("gazetteer", "municipality")

_SUFFIX = re.compile(r"\s*(\(greater city\)|greater city)\s*$", re.IGNORECASE)


def _city_key(name: str) -> str:
    return _SUFFIX.sub("", str(name)).strip()


def spread_cities(wh: Warehouse) -> pd.DataFrame:
    """Greater cities whose municipalities lie in more than one NUTS 2 region (2021).

    Per Urban Audit greater city (``lau.greater_city_name``, the suffix ``(greater city)``
    dropped) of country ``k``: ``regions`` = the sorted set of ``nuts3_2021[:4]`` over its
    municipalities, kept where it has more than one element and the name is not itself a
    municipality of ``k`` (``Basel``, ``Rushmoor``: an address there lies in that municipality,
    whose region the gazetteer finds; ``London`` is no municipality, its boroughs are).
    Columns: ``country``, ``city`` (the name upper-cased, the key matched against an
    organisation's trimmed, upper-cased ``city``), ``name`` (as Eurostat spells it),
    ``regions`` (list of NUTS 2 codes).
    """
    columns = ["country", "city", "name", "regions"]
    if "greater_city_name" not in wh.columns("lau"):
        return pd.DataFrame(columns=columns)
    lau = wh.query("SELECT country, nuts3_2016, greater_city_name AS name FROM lau WHERE greater_city_name IS NOT NULL")
    if lau.empty:
        return pd.DataFrame(columns=columns)
    to21 = atoms_to_2021(wh).sort_values("frac", ascending=False).drop_duplicates("atom")
    lau["nuts2"] = lau["nuts3_2016"].map(dict(zip(to21["atom"], to21["new3"], strict=True))).str[:4]
    lau = lau.dropna(subset=["nuts2"])
    lau["name"] = lau["name"].map(_city_key)
    lau["city"] = lau["name"].str.upper()
    grouped = lau.groupby(["country", "city"]).agg(name=("name", "first"),
                                                    regions=("nuts2", lambda s: sorted(set(s)))).reset_index()
    municipalities = wh.query("""SELECT DISTINCT country, upper(trim(n)) AS city
                                 FROM (SELECT country, name_national AS n FROM lau UNION ALL
                                       SELECT country, name_latin FROM lau) WHERE n IS NOT NULL""")
    known = set(zip(municipalities["country"], municipalities["city"], strict=True))
    keep = [len(r) > 1 and (k, c) not in known
            for k, c, r in zip(grouped["country"], grouped["city"], grouped["regions"], strict=True)]
    return grouped[keep].reset_index(drop=True)[columns]


def city_placements(wh: Warehouse) -> pd.DataFrame:
    """Per city of :func:`spread_cities` and region it spans: participations placed by its name.

    For city ``c`` (country ``k``) and region ``r`` among its regions: ``participations`` =
    count of rows of ``participations`` whose organisation has ``country = k``,
    ``upper(trim(city)) = c``, ``place_method`` in (gazetteer, municipality) and ``nuts2 = r``;
    ``city_total`` = the same count over all regions; ``main_region`` = the region holding
    most of them. No reference: a plain count. Cities with no such participation are left out.
    Columns: ``region``, ``country``, ``city``, ``name``, ``regions``, ``participations``,
    ``city_total``, ``main_region``.
    """
    columns = ["region", "country", "city", "name", "regions", "participations", "city_total", "main_region"]
    cities = spread_cities(wh)
    if cities.empty:
        return pd.DataFrame(columns=columns)
    methods = ", ".join(f"'{m}'" for m in NAME_METHODS)
    counts = wh.query(
        f"""SELECT o.country, upper(trim(o.city)) AS city, o.nuts2, count(*) AS n
            FROM participations p JOIN organisations o USING (org_id)
            WHERE o.place_method IN ({methods}) AND o.nuts2 IS NOT NULL AND o.city IS NOT NULL
            GROUP BY ALL""")
    counts = counts.merge(cities[["country", "city"]], on=["country", "city"])
    rows: list[dict[str, Any]] = []
    for c in cities.itertuples(index=False):
        own = counts[(counts["country"] == c.country) & (counts["city"] == c.city)]
        by_region = dict(zip(own["nuts2"], own["n"].astype(int), strict=True))
        total = sum(by_region.values())
        if not total:
            continue
        main = sorted(by_region, key=lambda r: (-by_region[r], r))[0]
        rows += [{"region": r, "country": c.country, "city": c.city, "name": c.name, "regions": list(c.regions),
                  "participations": by_region.get(r, 0), "city_total": total, "main_region": main}
                 for r in c.regions]
    return pd.DataFrame(rows, columns=columns)


def city_placed(wh: Warehouse, region: str) -> pd.DataFrame:
    """The rows of :func:`city_placements` for NUTS 2 region ``region`` (empty for other levels)."""
    code = region.strip().upper()
    table = city_placements(wh)
    return table[table["region"] == code].reset_index(drop=True)


def city_note(placed: pd.DataFrame, region: str) -> str | None:
    """The placement caveat of ``region`` from its rows of :func:`city_placements`, or None.

    The region holding most of a city's name-placed participations is told how many of its
    own come from the city name alone; the city's other regions are told that the city's
    organisations are counted there, so their own counts are likely understated.
    """
    code = region.strip().upper()
    notes = []
    for c in placed[placed["region"] == code].itertuples(index=False):
        span = ", ".join(c.regions)
        parents = {r[:3] for r in c.regions}
        compare = (f"; compare {c.name} as a whole at NUTS 1, {parents.pop()}, with `--level 1`"
                   if len(parents) == 1 else "")
        place = f"a postcode table such as GISCO TERCET would place them{compare}"
        if c.main_region == code:
            notes.append(f"{c.participations:,} of {code}'s participations come from organisations placed by the "
                         f"city name '{c.name}' alone, which spans {span}: their split among these regions is "
                         f"unknown ({place})")
        else:
            here = f", {c.participations:,} of them in {code}" if c.participations else ""
            notes.append(f"organisations placed by the city name '{c.name}' alone ({c.city_total:,} participations"
                         f"{here}) are {'counted mostly' if c.participations else 'all counted'} in {c.main_region}, though '{c.name}' spans {span}: their split "
                         f"among these regions is unknown, so {code}'s counts are likely understated ({place})")
    return "; ".join(notes) or None
