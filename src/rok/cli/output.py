"""Printing tables for the CLI: text (Rich), CSV or JSON, with stable column names."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rok.errors import InputError

__all__ = ["FORMATS", "emit", "check_format", "format_cell"]

FORMATS = ("text", "csv", "json")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"unknown format; expected one of {', '.join(FORMATS)}", value=fmt)
    return fmt


def format_cell(value: Any) -> str:
    """A value as text: numbers rounded for reading, missing values empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return str(value)


def emit(frame: pd.DataFrame, fmt: str, *, title: str = "", notes: dict[str, Any] | None = None,
         console: Console | None = None, limit: int | None = None) -> None:
    """Print ``frame``: a Rich table (``text``, at most ``limit`` rows), CSV or JSON.

    JSON is ``{"columns": [...], "rows": [{...}], "notes": {...}}``; CSV is the bare table
    with a header (notes go to stderr as ``# key: value`` lines, so the CSV stays clean).
    """
    check_format(fmt)
    if fmt == "csv":
        for key, value in (notes or {}).items():
            sys.stderr.write(f"# {key}: {value}\n")
        frame.to_csv(sys.stdout, index=False)
        return
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        sys.stdout.write(json.dumps({"columns": list(map(str, frame.columns)), "rows": records,
                                     "notes": notes or {}}, indent=1, default=str) + "\n")
        return
    console = console or Console()
    table = Table(title=escape(title) if title else None)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
        table.add_column(escape(str(column)), justify="right" if numeric else "left")
    shown = frame if limit is None else frame.head(limit)
    for row in shown.itertuples(index=False):
        table.add_row(*(escape(format_cell(v)) for v in row))
    console.print(table)
    if limit is not None and len(frame) > limit:
        console.print(f"({len(frame) - limit:,} more rows: use --format csv or json for all)")
    for key, value in (notes or {}).items():
        console.print(f"[dim]{escape(str(key))}: {escape(str(value))}[/]", highlight=False)
