"""How NUTS codes changed, 1999 to 2021: ``nuts/changes/nuts_changes_1999_2021.csv.gz``.

Eurostat's NUTS history tables as packaged by rOpenGov/regions (data (c) European Union /
Eurostat). One row is one lineage of a region: its code in each version (``code_1999`` ...
``code_2021``), its names and the change noted at each version (``recoded``, ``boundary
shift``, ``discontinued; now part of NO020``, ``new; merge of ex-NO021 and NO022`` ...).
The reader keeps it in long form, one row per lineage and version with a code or a change
note: ``nuts_changes(lineage, level, version, code, name, change)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rok.errors import InputError
from rok.sources.batch import Batch, Reject, sha256_file
from rok.sources.nutscodes import is_nuts_syntax
from rok.sources.tabular import read_delimited

__all__ = ["read_nuts_changes", "VERSIONS"]

VERSIONS = (1999, 2003, 2006, 2010, 2013, 2016, 2021)
_LEVELS = {"country": 0, "nuts_level_1": 1, "nuts_level_2": 2, "nuts_level_3": 3}


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column's stripped text, None where empty or absent (``code_2021 (part)`` notes stay)."""
    if column not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    values = frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()
    return values.where(values != "", None)


def read_nuts_changes(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """The history table -> ``nuts_changes`` (long form; codes checked for NUTS syntax)."""
    file, rejects = str(path), list[Reject]()
    raw = read_delimited(path, required=["typology", *(f"code_{v}" for v in VERSIONS)],
                         skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame = raw.frame
    bad = ~frame["typology"].isin(list(_LEVELS))
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(f"unknown typology; expected one of {', '.join(_LEVELS)}", file=file,
                         line=int(row["_line"]), column="typology", value=row["typology"])
    parts = []
    for version in VERSIONS:
        given = _text(frame, f"code_{version}").str.upper()
        code = given.str.extract(r"^([A-Z0-9]+)(?: \(PART\))?$", expand=False)
        bad = given.notna() & (code.isna() | ~code.fillna("").map(is_nuts_syntax))
        if bad.any():
            row = frame[bad].iloc[0]
            raise InputError("not a NUTS code (nor 'CODE (part)')", file=file, line=int(row["_line"]),
                             column=f"code_{version}", value=row[f"code_{version}"])
        change = _text(frame, f"change_{version}")
        partial = given.str.contains("(PART)", regex=False, na=False)  # "DE4 (part)": a part of that region
        change = change.where(~partial, ("part of " + code + "; " + change.fillna("")).str.rstrip("; "))
        part = pd.DataFrame({"lineage": frame["_line"].astype(int), "level": frame["typology"].map(_LEVELS),
                             "version": version, "code": code.where(~partial, None),
                             "name": _text(frame, f"geo_name_{version}"), "change": change})
        parts.append(part[part["code"].notna() | part["change"].notna()])
    long = pd.concat(parts, ignore_index=True)
    return Batch("eurostat-nuts-changes", file, sha256_file(path), rows_read=len(frame) + len(rejects),
                 tables={"nuts_changes": long}, rejects=rejects, replace={"nuts_changes": "true"})
