"""Local Administrative Units (municipalities) and their NUTS 3 regions: ``lau/lau_2019_nuts_2016.csv.gz``.

Eurostat's LAU 2019 - NUTS 2016 correspondence (EU-28 plus CH, TR, IS, MK, AL, LI; not
Norway, Serbia, Montenegro) as packaged by rOpenGov/regions; data (c) European Union /
Eurostat, LAU boundaries (c) EuroGeographics. Three uses in rok: the population of each NUTS
3 region of 2016 (the sum of its municipalities, for re-allocating values between NUTS
versions), municipality names for placing organisations whose address gives the
municipality instead of a locality, and the Urban Audit (greater) city of each municipality,
which tells the cities that span several regions (:mod:`rok.warehouse.city_spread`).
France and Cyprus have no population in this table.
"""

from __future__ import annotations

from pathlib import Path

from rok.errors import InputError
from rok.sources.batch import Batch, Reject, sha256_file
from rok.sources.nutscodes import check_nuts_code, iso_to_nuts
from rok.sources.tabular import Col, check_unique, convert, read_delimited

__all__ = ["read_lau"]

_SPEC = {
    "country": Col("country", nullable=False),
    "nuts3_2016": Col("nuts3_2016", nullable=False),
    "lau_code": Col("lau_code", nullable=False),
    "name_national": Col("lau_name_national"),
    "name_latin": Col("lau_name_latin"),
    "population": Col("population", "float"),
    "area_m2": Col("total_area_m2", "float"),
    "city_name": Col("city_name"),
    "greater_city_name": Col("greater_city_name"),
}


def read_lau(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """The LAU table -> ``lau`` (country, nuts3_2016, lau_code, names, population, area, and the
    Urban Audit city and greater city the municipality belongs to, where it belongs to one)."""
    file, rejects = str(path), list[Reject]()
    raw = read_delimited(path, required=[c.source for c in _SPEC.values() if not c.nullable],
                         skip_bad_rows=skip_bad_rows, rejects=rejects)
    unparsed = len(rejects)  # malformed records, not in raw.frame
    frame = convert(raw, {k: v for k, v in _SPEC.items() if v.source in raw.header},
                    skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame["country"] = frame["country"].str.upper().map(iso_to_nuts)
    keep = []
    for line, code in zip(frame["_line"], frame["nuts3_2016"], strict=True):
        if len(check_nuts_code(code, file=file, line=int(line), column="nuts3_2016")) == 5:
            keep.append(True)
            continue
        if not skip_bad_rows:
            raise InputError("expected a NUTS 3 code (e.g. DE21H)", file=file, line=int(line), column="nuts3_2016",
                             value=code)
        rejects.append(Reject(file, int(line), "nuts3_2016", code, "expected a NUTS 3 code"))
        keep.append(False)
    frame = frame[keep].reset_index(drop=True)
    frame = check_unique(frame, ["country", "lau_code"], file, skip_bad_rows=skip_bad_rows, rejects=rejects,
                         source_columns=["country", "lau_code"])
    return Batch("eurostat-lau-2019", file, sha256_file(path), rows_read=len(raw.frame) + unparsed,
                 tables={"lau": frame.drop(columns="_line")}, rejects=rejects, replace={"lau": "true"})
