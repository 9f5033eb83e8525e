"""Small HTML builders shared by the pages and the static reports (escaped, no inline style)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import pandas as pd

__all__ = ["Col", "table", "fmt", "link", "swatch"]

Col = tuple[str, str, Any]  # key, header, formatter (None | "n0" | "n2" | "pct" | callable(row) -> html)


def fmt(value: Any, kind: str = "n2") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "g3":
        return f"{float(value):,.3g}"
    if kind == "pct":
        return f"{float(value):.0%}"
    if kind.startswith("n"):
        try:
            return f"{float(value):,.{int(kind[1:])}f}"
        except (TypeError, ValueError):
            return escape(str(value))
    return escape(str(value))


def link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def swatch(colour: str, label: str = "") -> str:
    return (f'<svg class="sw" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill="{escape(colour)}"/>'
            f"</svg>{escape(label)}")


def table(frame: pd.DataFrame, cols: Sequence[Col], *, caption: str = "", empty: str = "Nothing to show.") -> str:
    if frame is None or len(frame) == 0:
        return f'<p class="note">{escape(empty)}</p>'
    head = "".join(f'<th scope="col"{" class=n" if isinstance(f, str) and f[:1] in "npg" else ""}>{escape(h)}</th>'
                   for _, h, f in cols)
    rows = []
    for row in frame.to_dict("records"):
        cells = []
        for key, _, f in cols:
            if callable(f):
                cells.append(f"<td>{f(row)}</td>")
            elif isinstance(f, str):
                cells.append(f"<td class=n>{fmt(row.get(key), f)}</td>")
            else:
                v = row.get(key)
                cells.append(f"<td>{'' if v is None else escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<div class="tw"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def region_link(prefix: str = "/regions/", suffix: str = "") -> Callable[[str, str], str]:
    def make(code: str, name: str) -> str:
        return link(f"{prefix}{code}{suffix}", name)
    return make
