"""Checked reading of delimited text: encoding, delimiter, header, types, keys.

All readers of CSV-like sources go through here, so that every bad value is reported the
same way: file, line (1-based, as an editor shows it, header = line 1), column and value.
Two modes: strict (the default: the first bad value stops the load, nothing is written)
and ``skip_bad_rows`` (bad rows become :class:`~rok.sources.batch.Reject` records and the
load goes on with the rest).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rok.errors import InputError, SourceError
from rok.sources.batch import Reject
from rok.timing import step

__all__ = [
    "NA_VALUES",
    "Col",
    "RawTable",
    "read_bytes",
    "decode",
    "parse_delimited",
    "read_delimited",
    "convert",
    "check_unique",
]

#: Cell values read as missing in number and date columns (besides the empty string).
NA_VALUES = frozenset({"NA", "N/A", "NaN", "nan", "null", "NULL", "None", ":"})
_DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(1 << 24)


@dataclass(frozen=True)
class Col:
    """How to read one column: its source name, kind and whether it may be empty.

    kind is one of ``str``, ``int``, ``float``, ``date``.
    """

    source: str
    kind: str = "str"
    nullable: bool = True


@dataclass
class RawTable:
    """Untyped rows of a delimited file with the line each record starts on."""

    file: str
    header: list[str]
    frame: pd.DataFrame  # all-string columns as in the header, plus "_line"


def read_bytes(path: str | Path) -> bytes:
    """Read a file, gunzipping ``.gz``; a damaged archive is a :class:`SourceError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    if path.suffix == ".gz":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"damaged or truncated gzip file ({exc})", file=str(path)) from None
    return data


def decode(data: bytes, file: str, encoding: str = "utf-8") -> str:
    """Decode strictly; a bad byte is reported with its line, column and value."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column_chars = len(data[line_start : exc.start].decode(encoding, errors="replace")) + 1
        bad = data[exc.start : exc.end]
        raise InputError(
            f"not valid {encoding} text (byte {bad!r} at character {column_chars} of the line); "
            "convert the file to UTF-8 or give its encoding",
            file=file,
            line=line,
            column=f"char {column_chars}",
            value=bad.hex(" "),
        ) from None
    return text.removeprefix("\ufeff")


def _sniff_message(header_line: str, delimiter: str) -> str | None:
    counts = {d: header_line.count(d) for d in _DELIMITERS if d != delimiter}
    best = max(counts, key=lambda d: counts[d])
    if header_line.count(delimiter) == 0 and counts[best] > 0:
        return f"wrong delimiter: expected {delimiter!r} but the header is separated by {best!r}"
    return None


def parse_delimited(
    text: str,
    file: str,
    *,
    delimiter: str = ",",
    required: Iterable[str] = (),
    skip_bad_rows: bool = False,
    rejects: list[Reject] | None = None,
) -> RawTable:
    """Split ``text`` into a header and string records, checking shape and required columns."""
    if not text.strip():
        raise InputError("file is empty: expected a header line and data", file=file, line=1, value="")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        first_line = text.split("\n", 1)[0]
        why = _sniff_message(first_line, delimiter)
        if why:
            raise InputError(why, file=file, line=1, column=missing[0], value=first_line[:80])
        raise InputError(
            f"missing required column {missing[0]!r} (all missing: {', '.join(missing)}); "
            f"header has: {', '.join(header)}",
            file=file,
            line=1,
            column=missing[0],
        )
    width = len(header)
    records: list[list[str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    for record in reader:
        if record and len(record) != width:
            if not (len(record) > width and not any(record[width:])):
                message = f"{len(record)} fields where the header has {width}"
                column = header[len(record)] if len(record) < width else f"#{width + 1}"
                value = delimiter.join(record)[:80]
                if not skip_bad_rows:
                    raise InputError(message, file=file, line=start, column=column, value=value)
                if rejects is not None:
                    rejects.append(Reject(file, start, column, value, message))
                start = reader.line_num + 1
                continue
            record = record[:width]
        if record:
            records.append(record)
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(columns=header, dtype=object)
    frame["_line"] = np.asarray(lines, dtype=np.int64)
    return RawTable(file=file, header=header, frame=frame)


def read_delimited(
    path: str | Path,
    *,
    delimiter: str = ",",
    required: Iterable[str] = (),
    encoding: str = "utf-8",
    skip_bad_rows: bool = False,
    rejects: list[Reject] | None = None,
    display: str | None = None,
) -> RawTable:
    """Read, decode and parse one delimited file (``.gz`` allowed)."""
    file = display or str(path)
    with step("read"):
        data = read_bytes(path)
        if not data.strip():
            raise InputError("file is empty: expected a header line and data", file=file, line=1, value="")
        return parse_delimited(
            decode(data, file, encoding),
            file,
            delimiter=delimiter,
            required=required,
            skip_bad_rows=skip_bad_rows,
            rejects=rejects,
        )


_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")


def _typed(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Return (converted values, mask of values that failed to convert)."""
    text = values.astype("string[pyarrow]").str.strip()
    if kind == "str":
        # Text keeps "NA" (it is Namibia's country code); only an empty cell is missing.
        missing = text.isna() | (text == "")
        return text.astype(object).where(~missing, None), pd.Series(False, index=values.index)
    missing = text.isna() | (text == "") | text.isin(NA_VALUES)
    text = text.mask(missing)
    if kind in ("int", "float"):
        if text.str.contains(",", regex=False).any():
            comma = text.fillna("").str.match(_COMMA_DECIMAL)
            text = text.where(~comma, text.str.replace(",", ".", regex=False))
        number = pd.to_numeric(text, errors="coerce")
        bad = ~missing & number.isna()
        if kind == "int":
            bad |= ~missing & number.notna() & (number % 1 != 0)
            return number.where(~bad).astype("Int64"), bad
        return number.where(~bad).astype("Float64"), bad
    if kind == "date":
        stamp = pd.to_datetime(text, errors="coerce", format="ISO8601")
        bad = ~missing & stamp.isna()
        return stamp.dt.date.where(~bad & ~missing, None), bad
    raise ValueError(f"unknown column kind {kind!r}")


def convert(
    raw: RawTable,
    spec: Mapping[str, Col],
    *,
    skip_bad_rows: bool = False,
    rejects: list[Reject] | None = None,
) -> pd.DataFrame:
    """Type the columns of ``raw`` as ``spec`` says (target name -> :class:`Col`).

    Returns a frame with the target columns and ``_line``. A value that does not convert,
    or an empty value in a non-nullable column, stops the load (strict) or drops its row
    into ``rejects`` (``skip_bad_rows``).
    """
    with step("validate"):
        return _convert(raw, spec, skip_bad_rows=skip_bad_rows, rejects=rejects)


def _convert(
    raw: RawTable,
    spec: Mapping[str, Col],
    *,
    skip_bad_rows: bool = False,
    rejects: list[Reject] | None = None,
) -> pd.DataFrame:
    frame = raw.frame
    out = pd.DataFrame({"_line": frame["_line"].to_numpy()}, index=frame.index)
    bad_any = pd.Series(False, index=frame.index)
    problems: list[tuple[int, str, str, str]] = []
    for target, col in spec.items():
        if col.source not in frame.columns:
            raise InputError(f"missing required column {col.source!r}", file=raw.file, line=1, column=col.source)
        values, bad = _typed(frame[col.source], col.kind)
        if not col.nullable:
            bad = bad | values.isna()
        out[target] = values
        if bad.any():
            expected = {"int": "a whole number", "float": "a number", "date": "a date (YYYY-MM-DD)", "str": "a value"}[col.kind]
            for idx in np.flatnonzero(bad.to_numpy())[: 1 if not skip_bad_rows else None]:
                value = frame[col.source].iat[idx]
                problems.append((int(frame["_line"].iat[idx]), col.source, "" if value is None else str(value), f"expected {expected}"))
            bad_any |= bad
    if problems and not skip_bad_rows:
        line, column, value, reason = min(problems)
        total = int(bad_any.sum())
        more = f" ({total} rows have bad values; use --skip-bad-rows to load the others)" if total > 1 else ""
        raise InputError(reason + more, file=raw.file, line=line, column=column, value=value)
    if rejects is not None:
        rejects.extend(Reject(raw.file, line, column, value, reason) for line, column, value, reason in problems)
    return out[~bad_any.to_numpy()].reset_index(drop=True)


def check_unique(
    frame: pd.DataFrame,
    key: Sequence[str],
    file: str,
    *,
    skip_bad_rows: bool = False,
    rejects: list[Reject] | None = None,
    source_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Reject repeated primary keys (every occurrence after the first)."""
    dup = frame.duplicated(subset=list(key), keep="first")
    if not dup.any():
        return frame
    names = ", ".join(source_columns or key)
    idx = int(np.flatnonzero(dup.to_numpy())[0])
    first = frame[list(key)].iloc[idx].tolist()
    if not skip_bad_rows:
        keys = frame[list(key)].astype(str)
        first_line = int(frame.loc[(keys == keys.iloc[idx]).all(axis=1), "_line"].iloc[0])
        raise InputError(
            f"duplicate primary key ({names}) = {tuple(first)}, first seen on line {first_line} "
            f"({int(dup.sum())} duplicate rows in all)",
            file=file,
            line=int(frame["_line"].iat[idx]),
            column=(source_columns or key)[0],
            value="|".join(str(v) for v in first),
        )
    if rejects is not None:
        for i in np.flatnonzero(dup.to_numpy()):
            value = "|".join(str(v) for v in frame[list(key)].iloc[i].tolist())
            rejects.append(Reject(file, int(frame["_line"].iat[i]), (source_columns or key)[0], value, f"duplicate primary key ({names})"))
    return frame[~dup.to_numpy()].reset_index(drop=True)
