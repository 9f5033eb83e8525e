"""Placing by administrative names: municipalities (LAU) and NUTS 3 region names.

Many address records give the municipality (``Bærum``, ``Järfälla``, ``Noáin``) or the
province (``Navarra``, ``Orkney``) rather than a locality, and the GeoNames gazetteer knows
localities only. Two real name tables are in the warehouse:

* ``lau``: every municipality of EU-28, CH, TR, IS, MK, AL, LI in 2019 with its national
  and Latin names and its NUTS 3 region of 2016 (mapped to 2021 through
  :func:`rok.warehouse.nuts_history.atoms_to_2021`, the part holding most of it);
  ``Herøy (Møre og Romsdal)``-style names are indexed with and without the bracket;
* ``regions``: the names of the NUTS 3 regions of 2021 (the only administrative names
  available offline for Norway, Serbia and Montenegro, which the LAU table lacks).

Names are folded like the gazetteer's (:func:`rok.sources.gazetteer.normalise`); a name
that points to two regions of one country is ambiguous and not used.
"""

from __future__ import annotations

import re

import pandas as pd

from rok.sources.gazetteer import city_candidates, normalise
from rok.warehouse.nuts_history import atoms_to_2021
from rok.warehouse.store import Warehouse

__all__ = ["AdminNames"]

_BRACKET = re.compile(r"\s*[(\[].*?[)\]]\s*")


class AdminNames:
    """(country, folded name) -> NUTS 3 code of 2021, with where the name came from."""

    def __init__(self, names: dict[tuple[str, str], tuple[str, str]]) -> None:
        self.names = names

    @classmethod
    def from_warehouse(cls, wh: Warehouse) -> AdminNames:
        found: dict[tuple[str, str], set[tuple[str, str]]] = {}

        def add(country: str, name: object, code: str, what: str) -> None:
            if not isinstance(name, str) or not name.strip():
                return
            for variant in {name, _BRACKET.sub(" ", name)}:
                key = normalise(variant)
                if len(key) >= 3:
                    found.setdefault((country, key), set()).add((code, what))

        lau = wh.query("SELECT country, nuts3_2016, name_national, name_latin FROM lau")
        if len(lau):
            to21 = atoms_to_2021(wh).sort_values("frac", ascending=False).drop_duplicates("atom")
            lau["nuts3"] = lau["nuts3_2016"].map(dict(zip(to21["atom"], to21["new3"], strict=True)))
            for country, nuts3, national, latin in lau.dropna(subset=["nuts3"])[
                    ["country", "nuts3", "name_national", "name_latin"]].itertuples(index=False):
                add(country, national, nuts3, "municipality (LAU 2019)")
                add(country, latin, nuts3, "municipality (LAU 2019)")
        regions = wh.query("SELECT code, country, name, name_latn FROM regions WHERE nuts_version = 2021 AND level = 3")
        for code, country, name, latn in regions.itertuples(index=False):
            add(country, name, code, "NUTS 3 region name")
            add(country, latn, code, "NUTS 3 region name")
        names = {}
        for key, hits in found.items():
            codes = {c for c, _ in hits}
            if len(codes) == 1:
                names[key] = (codes.pop(), sorted(w for _, w in hits)[0])
        return cls(names)

    def lookup(self, city: str | None, country: str | None) -> tuple[str, str, str] | None:
        """(NUTS 3 code, what matched, the name) for a city field, or None."""
        if not city or not country:
            return None
        for key, _how in city_candidates(city):
            hit = self.names.get((country, key))
            if hit:
                return hit[0], hit[1], key
        return None

    def place(self, candidates: pd.DataFrame) -> pd.DataFrame:
        """First hit per organisation over its address candidates (in preference order)."""
        rows = []
        for org_id, city, country, source in candidates[["org_id", "city", "country", "source"]].itertuples(index=False):
            hit = self.lookup(city, country)
            if hit:
                rows.append((org_id, hit[0], f"{hit[1]} '{city}' -> {hit[0]} ({source})"))
        return pd.DataFrame(rows, columns=["org_id", "nuts3", "detail"]).drop_duplicates("org_id")
