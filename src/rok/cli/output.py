"""Printing tables for the CLI: text that fits the terminal, typed CSV, or JSON with a schema.

Text. Numbers are rounded for reading (thousands separated, never in exponent form), codes are
shown with their names, and the columns are laid out to fit the console width (``$COLUMNS``,
80 when the output is not a terminal): every column at its natural width when they fit, else
text columns wrapped at word boundaries while numbers and codes stay whole; when even that
cannot fit, each row becomes a record (one ``field  value`` line per column).

CSV and JSON carry the values themselves: numbers as numbers (no thousands separators, no
exponent strings in CSV), missing values empty (CSV) or ``null`` (JSON). JSON is one object
``{"schema", "schema_version", "title", "columns", "types", "rows", "notes"}`` documented in
docs/output.md; CSV is the bare table with a header, its notes on stderr as ``# key: value``.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rok.errors import InputError

__all__ = ["FORMATS", "SCHEMA_VERSION", "emit", "check_format", "format_cell", "render", "typed", "with_names"]

FORMATS = ("text", "csv", "json")
SCHEMA_VERSION = 1
REGION_COLUMNS = ("region", "peer", "partner", "mentee", "mentor", "region_a", "region_b", "partner_region",
                  "top_region", "country_region")
DOMAIN_COLUMNS = ("domain", "domain_i", "domain_j", "top_domain")
_GAP = 3  # characters between two columns of a text table (padding + separator)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"unknown format; expected one of {', '.join(FORMATS)}", value=fmt)
    return fmt


def format_cell(value: Any) -> str:
    """A value as text: numbers rounded for reading (never an exponent), missing values empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if v == int(v) and abs(v) < 1000:
            return str(int(v))
        if abs(v) < 0.0001:
            return "<0.0001" if v > 0 else ">-0.0001"
        return str(np.format_float_positional(v, precision=4, unique=True, fractional=False, trim="-"))
    if isinstance(value, (list, tuple, np.ndarray)):
        return " ".join(map(str, value))
    return str(value)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with object columns that hold only numbers (or nothing) made numeric."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype != object:
            continue
        values = series.dropna()
        if len(values) and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                               for v in values):
            out[column] = pd.to_numeric(series)
    return out


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "string"


def with_names(frame: pd.DataFrame, names: Any) -> pd.DataFrame:
    """Add ``<column>_name`` after each region or domain code column that has no name beside it.

    ``names`` has ``region_name(code)`` and ``domain_name(code)`` (a :class:`rok.cli.resolve.Lookup`).
    """
    if names is None:
        return frame
    out = frame.copy()
    columns = list(out.columns)
    for column in columns:
        kind = "region" if column in REGION_COLUMNS else "domain" if column in DOMAIN_COLUMNS else None
        if kind is None or f"{column}_name" in out.columns:
            continue
        position = list(out.columns).index(column)
        following = list(out.columns)[position + 1] if position + 1 < len(out.columns) else None
        if following == "name" or (following or "").endswith("_name") or (position == 0 and "name" in out.columns):
            continue
        lookup = names.region_name if kind == "region" else names.domain_name
        cache: dict[Any, str] = {}
        labels = [cache.setdefault(code, lookup(str(code))) if isinstance(code, str) else None for code in out[column]]
        if any(labels):
            out.insert(position + 1, f"{column}_name", labels)
    return out


def _csv(frame: pd.DataFrame) -> None:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = [("" if (v is None or (isinstance(v, float) and math.isnan(v)))
                            else str(np.format_float_positional(v, unique=True, trim="-"))) for v in out[column]]
    out.to_csv(sys.stdout, index=False)


def emit(frame: pd.DataFrame, fmt: str, *, title: str = "", notes: dict[str, Any] | None = None,
         console: Console | None = None, limit: int | None = None, schema: str = "table",
         names: Any = None, prefer: tuple[str, ...] = ()) -> None:
    """Print ``frame`` as a text table (at most ``limit`` rows), CSV or JSON.

    ``schema`` names the layout of the rows (``rok.<schema>``, see docs/output.md); ``names``
    (a lookup with ``region_name``/``domain_name``) adds the names of region and domain codes
    to the text (CSV and JSON keep the codes, stable columns);
    ``prefer`` lists the columns a text table keeps first when not all fit.
    """
    check_format(fmt)
    frame = frame.reset_index(drop=True)
    frame = typed(with_names(frame, names) if fmt == "text" else frame)  # CSV and JSON keep their columns
    if fmt == "csv":
        for key, value in (notes or {}).items():
            sys.stderr.write(f"# {key}: {value}\n")
        _csv(frame)
        return
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15))
        doc = {"schema": f"rok.{schema}", "schema_version": SCHEMA_VERSION, "title": title,
               "columns": list(map(str, frame.columns)), "types": {str(c): _kind(frame[c]) for c in frame.columns},
               "rows": records, "notes": _plain(notes or {})}
        sys.stdout.write(json.dumps(doc, indent=1, default=str, ensure_ascii=False) + "\n")
        return
    console = console or Console()
    render(frame, console, title=title, limit=limit)
    for key, value in (notes or {}).items():
        console.print(f"[dim]{escape(str(key))}: {escape(format_cell(value))}[/]", highlight=False)


def _plain(value: Any) -> Any:
    """Notes made JSON-safe with numbers kept as numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# -- text layout -------------------------------------------------------------------------------------


def _merge_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Join each code column with the name column after it (``<col>_name``, or ``name`` after a
    region or domain column) into one ``CODE Name`` column."""
    out = frame.copy()
    for column in list(out.columns):
        if column not in out.columns:  # a name already joined to its code
            continue
        candidates = [f"{column}_name"]
        if column in REGION_COLUMNS or column in DOMAIN_COLUMNS or column in ("node", "code", "item"):
            candidates.append("name")
        for name in candidates:
            cols = list(out.columns)
            first = cols.index(column) == 0 and name == "name"  # the table's key and its name
            if name in cols and (cols.index(name) == cols.index(column) + 1 or first):
                out[column] = [_joined(format_cell(c), format_cell(n))
                               for c, n in zip(out[column], out[name], strict=True)]
                out = out.drop(columns=[name])
                break
    return out


_PLAIN = ("year", "version", "level", "rank", "id", "load", "line", "community", "stars")


def _cell(value: Any, column: str) -> str:
    """A cell as text: shares as percentages, years, ranks and ids without separators."""
    words = column.lower().replace("_", " ").split()
    if (words and "share" in (words[0], words[-1]) and isinstance(value, (float, np.floating))
            and not math.isnan(value)):
        share = float(value)
        return f"{share:.1%}" if abs(share) >= 0.001 or share == 0 else ("<0.1%" if share > 0 else ">-0.1%")
    if any(w in _PLAIN for w in words) and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return format_cell(value)


def _joined(code: str, name: str) -> str:
    return code if not name or name == code else f"{code} {name}"


def _header(column: Any) -> str:
    return str(column).replace("_", " ")


def render(frame: pd.DataFrame, console: Console, *, title: str = "", limit: int | None = None,
           hint: str = "see --format csv or json") -> None:
    """Print ``frame`` as a table that fits ``console.width``, or as records when none can.

    Columns that do not fit are left out from the right and named on a last line with ``hint``."""
    shown = _merge_names(frame if limit is None else frame.head(limit))
    width = console.width
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])
               for c in shown.columns]
    cells = [[_cell(v, str(c)) for v in shown[c]] for c in shown.columns]
    headers = [_header(c) for c in shown.columns]
    need, least = [], []
    for header, column, is_number in zip(headers, cells, numeric, strict=True):
        longest = max((len(v) for v in column), default=0)
        word = max((len(w) for w in header.split()), default=1)
        need.append(max(longest, len(header)))
        whole = max((len(w) for v in column for w in v.split()), default=0)
        least.append(max(word, longest if is_number or longest <= 8 else min(max(whole, 10), 18)))
    keep = _fitting(need, least, width)
    hidden = [h for i, h in enumerate(headers) if i not in keep]
    if title:
        console.print(f"[bold]{escape(title)}[/]", highlight=False)
    if len(hidden) > len(headers) // 2:
        _records(headers, cells, console)
        _more(frame, limit, console, hint)
        return
    headers, cells = [headers[i] for i in keep], [cells[i] for i in keep]
    numeric, need, least = [numeric[i] for i in keep], [need[i] for i in keep], [least[i] for i in keep]
    gaps = _GAP * max(len(headers) - 1, 0)
    if sum(need) + gaps <= width:
        widths = need
    else:
        spare = width - gaps - sum(least)
        want = [n - m for n, m in zip(need, least, strict=True)]
        total = sum(want) or 1
        widths = [m + int(spare * w / total) for m, w in zip(least, want, strict=True)]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False, header_style="bold")
    for header, w, is_number in zip(headers, widths, numeric, strict=True):
        table.add_column(escape(header), width=w, justify="right" if is_number else "left", overflow="fold")
    for row in zip(*cells, strict=True):
        table.add_row(*(escape(v) for v in row))
    if not len(shown):
        console.print("(no rows)")
    else:
        console.print(table)
    _more(frame, limit, console, hint)
    if hidden:
        console.print(f"(not shown at this width: {', '.join(hidden)}; {hint})", highlight=False)


def _fitting(need: list[int], least: list[int], width: int) -> list[int]:
    """Indices of the columns that fit ``width``: all, else the first ones whose least widths fit."""
    keep = list(range(len(need)))
    while len(keep) > 1 and sum(least[i] for i in keep) + _GAP * (len(keep) - 1) > width:
        keep.pop()
    return keep


def _records(headers: list[str], cells: list[list[str]], console: Console) -> None:
    """One block per row: the first field as a heading, then ``field  value`` lines, wrapped."""
    key_width = min(max((len(h) for h in headers[1:]), default=1), 24)
    for i, heading in enumerate(cells[0] if cells else []):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(width=key_width, overflow="fold", style="dim")
        grid.add_column(overflow="fold", max_width=max(console.width - key_width - 4, 20))
        for header, column in zip(headers[1:], cells[1:], strict=True):
            if column[i] != "":
                grid.add_row(escape(header), escape(column[i]))
        console.print(f"[bold]{escape(headers[0])}: {escape(heading)}[/]", highlight=False)
        console.print(grid)


def _more(frame: pd.DataFrame, limit: int | None, console: Console, hint: str) -> None:
    if limit is not None and len(frame) > limit:
        console.print(f"({len(frame) - limit:,} more rows; {hint} for all)", highlight=False)
