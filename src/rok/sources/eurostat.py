"""Eurostat regional indicators: SDMX-CSV files and the wide edashop R&D panel.

:func:`read_eurostat` reads the three layouts Eurostat data comes in and tells them apart
by the header:

* SDMX-CSV 2.0 (dissemination API 3.0), optionally with a label column after each code
  column: ``STRUCTURE,STRUCTURE_ID,STRUCTURE_NAME,freq,Time frequency,unit,...,geo,
  Geopolitical entity (reporting),TIME_PERIOD,Time,OBS_VALUE,...,OBS_FLAG,...,CONF_STATUS``;
* SDMX-CSV 1.0 (API 2.1): ``DATAFLOW,LAST UPDATE,freq,unit,...,geo,TIME_PERIOD,OBS_VALUE,
  OBS_FLAG[,CONF_STATUS]``;
* a plain lower-case table ``freq,unit,geo,time,obs_value[,flag]`` (the dataset code
  comes from the ``dataset`` argument or the file name without ``eurostat_``).

Each observation becomes one row of ``indicators``: the indicator is the lower-case dataset
code plus every dimension other than freq, unit, geo and time (``tgs00007.sex=T.age=Y15-64``).
Only annual data is read. Aggregates such as EU27_2020 are skipped (and noted); other region
codes must be NUTS codes. :func:`read_regional_panel` turns the wide panel of Honti,
Czvetko and Abonyi (2020, repository paezha/edashop) into the same long rows.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from rok.errors import InputError
from rok.sources.batch import Batch, Reject, sha256_file
from rok.sources.table import BadValues, region_problems
from rok.sources.tabular import (
    NA_VALUES,
    Col,
    RawTable,
    _sniff_message,
    check_unique,
    convert,
    decode,
    parse_delimited,
    read_bytes,
)

__all__ = ["read_eurostat", "read_regional_panel", "dataset_code", "panel_column", "indicator_key",
           "TABLE_EQUIVALENTS"]

PANEL_SOURCE = "eurostat-panel:edashop"
_COLUMNS = ["region", "nuts_version", "indicator", "year", "value", "unit", "flag", "source"]
_STRUCTURE = {"STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "ACTION", "DATAFLOW", "LAST UPDATE"}
_DATASET = re.compile(r"^(?:[A-Za-z0-9_.@-]+:)?([A-Za-z0-9_]+)")
_PANEL_KEYWORDS = "SEX|AGE|ISCED11|DURATION|CATEGORY|NACE_R2|SECTPERF|PROF_POS"
_PANEL_UNIT = re.compile(rf"_UNIT_(.+?)(?=_(?:{_PANEL_KEYWORDS})_|$)")
_PANEL_DIM = re.compile(rf"_({_PANEL_KEYWORDS})_")
_SDMX_CODE = re.compile(r"^([a-z0-9_]+)((?:\.[a-z0-9_]+=[^.=]*)*)$")

#: Eurostat "tables of general statistics" (tgs) that are extracts of a full table: the tgs
#: code with its dimension values -> the full table with the same values (same unit, same
#: observations; Eurostat's metadata of each tgs table names its source table).
TABLE_EQUIVALENTS: dict[str, str] = {
    "tgs00042": "rd_e_gerdreg",  # GERD by NUTS 2 region (sectperf=TOTAL)
    "tgs00109": "edat_lfse_04",  # tertiary attainment, 25-64 (isced11=ED5-8, age=Y25-64)
    "tgs00007": "lfst_r_lfe2emprt",  # employment rate by NUTS 2 region
}


def dataset_code(structure_id: str) -> str:
    """``ESTAT:NAMA_10R_2GDP$DEFAULTVIEW(1.0)`` -> ``nama_10r_2gdp``."""
    found = _DATASET.match(structure_id.strip())
    return found[1].lower() if found else structure_id.strip().lower()


def panel_column(column: str) -> tuple[str, str]:
    """(indicator, unit) of a panel column: the ``_UNIT_<unit>`` part moved out, else ``NR``."""
    found = _PANEL_UNIT.search(column)
    if not found:
        return column, "NR"
    return column[: found.start()] + column[found.end() :], found[1]


def indicator_key(code: str) -> str:
    """One key for the same series, whatever file it came from: ``dataset.dim=value...``.

    SDMX codes (``tgs00042.sectperf=TOTAL``, as :func:`read_eurostat` builds them) and panel
    columns (``rd_e_gerdreg_SECTPERF_TOTAL``, as :func:`read_regional_panel` keeps them) both
    become the lower-case dataset code followed by its dimensions sorted by name, with tgs
    extracts renamed to their full table (:data:`TABLE_EQUIVALENTS`):
    ``rd_e_gerdreg.sectperf=TOTAL``. Codes of neither form are returned unchanged. The unit
    stays in its own column.
    """
    text = code.strip()
    found = _SDMX_CODE.match(text)
    if found:
        dataset = found[1]
        dims = [part.split("=", 1) for part in found[2].split(".")[1:]]
    else:
        starts = list(_PANEL_DIM.finditer(text))
        if not starts or starts[0].start() == 0:
            return text
        dataset = text[: starts[0].start()].lower()
        dims = []
        for at, match in enumerate(starts):
            end = starts[at + 1].start() if at + 1 < len(starts) else len(text)
            dims.append([match[1], text[match.end() : end]])
    dataset = TABLE_EQUIVALENTS.get(dataset, dataset)
    return ".".join([dataset, *(f"{k.lower()}={v}" for k, v in sorted(dims, key=lambda kv: kv[0].lower()))])


def _layout(header: list[str], file: str) -> tuple[str, list[str]]:
    """The shape of the file and its code columns (label columns left out)."""
    if header and header[0] == "STRUCTURE":
        if "STRUCTURE_NAME" in header:  # labelled: code, label, code, label, ...
            at = header.index("STRUCTURE_NAME") + 1
            codes = header[:at] + header[at::2]
            if not {"TIME_PERIOD", "OBS_VALUE"} <= set(codes):
                raise InputError("cannot tell code columns from label columns in this SDMX-CSV header",
                                 file=file, line=1, value=",".join(header))
            return "sdmx-csv 2.0", codes
        return "sdmx-csv 2.0", header
    if header and header[0] == "DATAFLOW":
        return "sdmx-csv 1.0", header
    if {"geo", "time", "obs_value"} <= set(header):
        return "simple", header
    wrong = _sniff_message(",".join(header), ",") if len(header) == 1 else None
    if wrong:
        raise InputError(wrong + " (SDMX-CSV is comma-separated)", file=file, line=1, column=header[0][:40],
                         value=header[0])
    raise InputError(
        "not a Eurostat layout: expected SDMX-CSV (STRUCTURE,STRUCTURE_ID,... or DATAFLOW,LAST UPDATE,...) "
        "or freq,unit,geo,time,obs_value", file=file, line=1, value=",".join(header))


def _codes(values: pd.Series) -> pd.Series:
    """Strip values to their code (``A: Annual`` -> ``A``); missing -> empty string."""
    text = values.fillna("").astype(str).str.strip()
    return text.str.split(": ", n=1).str[0]


def _dataset(frame: pd.DataFrame, column: str | None, given: str | None, path: Path, file: str) -> str:
    """The dataset code: from the file's STRUCTURE_ID / DATAFLOW, else ``given``, else the name."""
    codes = frame[column].fillna("").map(dataset_code) if column else pd.Series(dtype=object)
    names = codes.unique()
    if len(names) == 0:
        if given:
            return given.strip().lower()
        stem = path.name.removesuffix(".gz").removesuffix(".csv").removesuffix(".tsv")
        return stem.removeprefix("eurostat_").lower()
    if len(names) > 1 or not names[0]:
        at = int(frame["_line"].iat[int((codes != names[0]).to_numpy().argmax())])
        raise InputError(f"expected one dataset per file; found {', '.join(map(str, names[:5]))}",
                         file=file, line=at, column=column)
    if given and given.strip().lower() != names[0]:
        raise InputError(f"file holds dataset {names[0]!r}, not {given!r}", file=file, line=2, column=column)
    return str(names[0])


def read_eurostat(path: str | Path, *, dataset: str | None = None, skip_bad_rows: bool = False) -> Batch:
    """Read one Eurostat file (any of the three layouts) into ``indicators`` rows."""
    file = str(path)
    data = read_bytes(path)
    if not data.strip():
        raise InputError("file is empty: expected a header line and data", file=file, line=1, value="")
    text = decode(data, file)
    header = [h.strip() for h in next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]))]
    shape, codes = _layout(header, file)
    lower = {c.lower(): c for c in codes if c not in _STRUCTURE}
    time_col = lower.get("time_period") or lower.get("time") or "TIME_PERIOD"
    value_col = lower.get("obs_value") or "OBS_VALUE"
    rejects: list[Reject] = []
    raw = parse_delimited(text, file, required=[lower.get("geo", "geo"), time_col, value_col],
                          skip_bad_rows=skip_bad_rows, rejects=rejects)
    rows_read = len(raw.frame) + len(rejects)
    frame = raw.frame
    if shape == "simple":  # any order; a flag column may be called obs_flag or flag
        lower.setdefault("obs_flag", lower.get("flag", "obs_flag"))
        dims = [c for c in codes if c.lower() not in ("time", "obs_value", "obs_flag", "flag", "conf_status")]
    else:  # SDMX: the dimensions, then the time period, the value and the attributes
        dims = [c for c in codes[: codes.index(time_col)] if c not in _STRUCTURE]
    special = {c.lower(): c for c in dims if c.lower() in ("freq", "unit", "geo")}
    if "geo" not in special:
        raise InputError("the geo column must come before the time period", file=file, line=1, column="geo")
    geo_col = special["geo"]
    dataset_col = next((c for c in ("STRUCTURE_ID", "DATAFLOW") if c in codes), None)
    name = _dataset(frame, dataset_col, dataset, Path(path), file)
    source = f"eurostat:{name}"

    bad = BadValues(file)
    region, aggregate = region_problems(_codes(frame[geo_col]), frame["_line"], geo_col, bad)
    notes = []
    if aggregate.any():
        skipped = sorted(region[aggregate].astype(str).unique())
        notes.append(f"skipped {int(aggregate.sum())} rows of aggregates that are not NUTS regions "
                     f"({', '.join(skipped[:6])}{', ...' if len(skipped) > 6 else ''})")
    keep = ~aggregate.to_numpy()
    frame, region = frame[keep], region[keep]
    missing = region.isna()
    bad.add(frame.loc[missing, "_line"], geo_col, [""] * int(missing.sum()), "missing region code")
    converted: list[Reject] = []
    typed = convert(RawTable(file, raw.header, frame), {"value": Col(value_col, "float")},
                    skip_bad_rows=True, rejects=converted)
    bad.add_rejects(converted)
    if "freq" in special:
        freq = _codes(frame[special["freq"]])
        other = (freq != "A").to_numpy()
        bad.add(frame.loc[other, "_line"], special["freq"], freq[other],
                "only annual data (freq A) is read")
    period = frame[time_col].fillna("").astype(str).str.strip()
    not_year = ~period.str.fullmatch(r"\d{4}")
    bad.add(frame.loc[not_year, "_line"], time_col, period[not_year],
            "expected an annual period YYYY (only annual data is read)")
    bad.settle(skip_bad_rows=skip_bad_rows, rejects=rejects)

    good = ~frame["_line"].isin(bad.lines).to_numpy()
    frame, region = frame[good], region[good]
    indicator = pd.Series(name, index=frame.index, dtype=object)
    for dim in dims:
        if dim.lower() not in ("freq", "unit", "geo"):
            indicator = indicator + f".{dim.lower()}=" + _codes(frame[dim])
    has_flag = lower.get("obs_flag") in frame.columns
    flag = _codes(frame[lower["obs_flag"]]) if has_flag else pd.Series("", index=frame.index)
    if "conf_status" in lower:
        conf = _codes(frame[lower["conf_status"]])
        flag = flag + conf.where(conf != "F", "").str.lower()
    out = pd.DataFrame({
        "_line": frame["_line"].to_numpy(),
        "region": region.to_numpy(),
        "nuts_version": pd.array([pd.NA] * len(frame), dtype="Int64"),
        "indicator": indicator.to_numpy(),
        "year": pd.array(period[good].astype(int).to_numpy(), dtype="Int64"),
        "value": typed.set_index("_line")["value"].reindex(frame["_line"]).to_numpy(),
        "unit": _codes(frame[special["unit"]]).replace("", "NR").to_numpy() if "unit" in special else "NR",
        "flag": flag.where(flag != "", None).to_numpy(),
        "source": source,
    })
    out["value"] = out["value"].astype("Float64")
    out = check_unique(out, ["region", "indicator", "unit", "year"], file, skip_bad_rows=skip_bad_rows,
                       rejects=rejects, source_columns=[geo_col, "indicator", special.get("unit", "unit"), time_col])
    notes.insert(0, f"layout {shape}")
    return Batch(source=source, file=file, sha256=sha256_file(path), rows_read=rows_read,
                 tables={"indicators": out[_COLUMNS]}, rejects=rejects, notes=notes)


def read_regional_panel(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """Read the wide NUTS 2 x year panel into long ``indicators`` rows (one per filled cell)."""
    file = str(path)
    data = read_bytes(path)
    if not data.strip():
        raise InputError("file is empty: expected a header line and data", file=file, line=1, value="")
    rejects: list[Reject] = []
    raw = parse_delimited(decode(data, file), file, required=["NUTS_ID", "YEAR"],
                          skip_bad_rows=skip_bad_rows, rejects=rejects)
    rows_read = len(raw.frame) + len(rejects)
    frame = raw.frame
    bad = BadValues(file)
    region, aggregate = region_problems(frame["NUTS_ID"], frame["_line"], "NUTS_ID", bad)
    notes = [f"skipped {int(aggregate.sum())} rows of aggregates that are not NUTS regions "
             f"({', '.join(sorted(region[aggregate].astype(str).unique()))})"] if aggregate.any() else []
    missing = region.isna() & ~aggregate
    bad.add(frame.loc[missing, "_line"], "NUTS_ID", [""] * int(missing.sum()), "missing region code")
    year = pd.to_numeric(frame["YEAR"].str.strip(), errors="coerce")
    wrong = (year.isna() | (year % 1 != 0) | (year < 1900) | (year > 2100)) & ~aggregate
    bad.add(frame.loc[wrong, "_line"], "YEAR", frame.loc[wrong, "YEAR"], "expected a year such as 2008 or 2008.0")
    keep = (~aggregate & ~missing & ~wrong).to_numpy()
    bad_rows = set(bad.lines)
    wide = pd.DataFrame({"_line": frame["_line"], "region": region, "year": year}).join(
        frame.drop(columns=["NUTS_ID", "YEAR", "_line"]))[keep]
    wide = wide[~wide["_line"].isin(bad_rows).to_numpy()]
    value_columns = [c for c in raw.header if c not in ("NUTS_ID", "YEAR")]
    long = wide.melt(id_vars=["_line", "region", "year"], value_vars=value_columns, var_name="column", value_name="text")
    long = long[(long["text"] != "").to_numpy()]  # most cells are empty: drop them before any work
    text = long["text"].str.strip()
    filled = ~text.isin(NA_VALUES) & (text != "")
    long, text = long[filled.to_numpy()], text[filled]
    value = pd.to_numeric(text, errors="coerce")
    wrong_value = value.isna().to_numpy()
    bad.add(long.loc[wrong_value, "_line"], long.loc[wrong_value, "column"], long.loc[wrong_value, "text"],
            "expected a number")
    bad.settle(skip_bad_rows=skip_bad_rows, rejects=rejects)
    long, value = long[~wrong_value], value[~wrong_value]  # a bad cell drops that cell only
    parts = {c: panel_column(c) for c in value_columns}
    out = pd.DataFrame({
        "_line": long["_line"].to_numpy(),
        "region": long["region"].to_numpy(),
        "nuts_version": pd.array([pd.NA] * len(long), dtype="Int64"),
        "indicator": long["column"].map({c: p[0] for c, p in parts.items()}).to_numpy(),
        "year": pd.array(long["year"].astype("int64").to_numpy(), dtype="Int64"),
        "value": pd.array(value.to_numpy(), dtype="Float64"),
        "unit": long["column"].map({c: p[1] for c, p in parts.items()}).to_numpy(),
        "flag": None,
        "source": PANEL_SOURCE,
    })
    out = check_unique(out, ["region", "indicator", "unit", "year"], file, skip_bad_rows=skip_bad_rows,
                       rejects=rejects, source_columns=["NUTS_ID", "column", "column", "YEAR"])
    return Batch(source=PANEL_SOURCE, file=file, sha256=sha256_file(path), rows_read=rows_read,
                 tables={"indicators": out[_COLUMNS].reset_index(drop=True)}, rejects=rejects, notes=notes)
