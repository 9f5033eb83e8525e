"""Postcode -> NUTS 3 tables, such as the GISCO TERCET correspondence files.

TERCET files (``pc2020_AT_NUTS-2021_v4.0.csv``: ``NUTS3;CODE`` with values in single
quotes, one file per country) and plain tables with columns ``country``, ``postcode`` and
``nuts3`` (any delimiter among ``;`` and ``,``) are both read. The country comes from a
``country`` column, else from the TERCET file name, else from the ``country`` argument.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rok.errors import InputError
from rok.sources.nutscodes import check_nuts_code, iso_to_nuts
from rok.sources.tabular import decode, parse_delimited, read_bytes

__all__ = ["read_postcodes"]

_TERCET = re.compile(r"pc\d{4}_([A-Z]{2})_", re.IGNORECASE)


def read_postcodes(path: str | Path, *, country: str | None = None) -> pd.DataFrame:
    """Read a postcode table into columns country, postcode, nuts3."""
    file = str(path)
    text = decode(read_bytes(path), file)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    raw = parse_delimited(text, file, delimiter=delimiter)
    header = {h.strip().strip("'\"").lower(): h for h in raw.header}
    code_col = header.get("code") or header.get("postcode")
    nuts_col = header.get("nuts3") or header.get("nuts_3") or header.get("nuts")
    if code_col is None or nuts_col is None:
        raise InputError("expected columns CODE (or postcode) and NUTS3", file=file, line=1, column="CODE")
    frame = pd.DataFrame({
        "postcode": raw.frame[code_col].str.strip().str.strip("'\""),
        "nuts3": raw.frame[nuts_col].str.strip().str.strip("'\"").str.upper(),
        "_line": raw.frame["_line"],
    })
    if "country" in header:
        frame["country"] = raw.frame[header["country"]].str.strip().str.upper().map(iso_to_nuts)
    else:
        match = _TERCET.search(Path(path).name)
        given = country or (match.group(1) if match else None)
        if not given:
            raise InputError("no country column, and none in the file name (pcYYYY_CC_...); pass --country",
                             file=file, line=1, column="country")
        frame["country"] = iso_to_nuts(given)
    for nuts3, country_code, line in zip(frame["nuts3"], frame["country"], frame["_line"], strict=True):
        check_nuts_code(nuts3, file=file, line=int(line), column=nuts_col)
        if not nuts3.startswith(country_code):
            raise InputError(f"NUTS 3 code outside the country {country_code}", file=file, line=int(line),
                             column=nuts_col, value=nuts3)
    return frame[["country", "postcode", "nuts3"]].drop_duplicates(["country", "postcode"])
