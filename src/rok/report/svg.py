"""Inline SVG pictures with no dependency and no network: a map of Europe's regions,
horizontal bars, a scatter with quadrant lines. Every function returns an ``<svg>`` string.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["Point", "europe_map", "map_paths", "bars", "scatter", "GROUP_COLOURS", "legend"]

#: Performance groups, RIS colours (dark to light).
GROUP_COLOURS = {"leader": "#1a6b3c", "strong": "#63a35c", "moderate": "#f2b447", "emerging": "#d9534f"}
_NO_DATA = "#e4e4e4"
_BBOX = (-25.0, 34.0, 45.0, 71.5)  # lon/lat window of continental Europe and its islands
_COS = math.cos(math.radians(52))


def _project(lon: float, lat: float, scale: float) -> tuple[float, float]:
    return (lon - _BBOX[0]) * _COS * scale, (_BBOX[3] - lat) * scale


def _path(geom: BaseGeometry, scale: float) -> str:
    parts = []
    polygons = getattr(geom, "geoms", [geom])
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = [_project(x, y, scale) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in coords) + "Z")
    return "".join(parts)


def map_paths(shapes: Mapping[str, BaseGeometry], *, width: int = 560, tolerance: float = 0.02) -> dict[str, str]:
    """SVG path data of each region inside the map window (simplified), to reuse across maps."""
    scale = width / ((_BBOX[2] - _BBOX[0]) * _COS)
    window = shapely.box(*_BBOX)
    return {code: _path(geom.simplify(tolerance), scale) for code, geom in shapes.items()
            if geom is not None and window.intersects(geom.representative_point())}


def europe_map(
    shapes: Mapping[str, BaseGeometry] | Mapping[str, str],
    fill: Mapping[str, str],
    *,
    names: Mapping[str, str] | None = None,
    highlight: Sequence[str] = (),
    width: int = 560,
    title: str = "",
    links: Mapping[str, str] | None = None,
) -> str:
    """A map of the regions in ``shapes`` (lon/lat), filled by ``fill`` (code -> colour).

    Regions outside the window of continental Europe (the outermost regions) are left
    out. ``highlight`` regions get a thick outline; ``links`` make regions clickable.
    """
    scale = width / ((_BBOX[2] - _BBOX[0]) * _COS)
    height = (_BBOX[3] - _BBOX[1]) * scale
    paths = shapes if all(isinstance(v, str) for v in shapes.values()) else map_paths(shapes, width=width)  # type: ignore[arg-type]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" '
           f'role="img" aria-label="{escape(title or "map of European regions")}" class="map">',
           f'<rect width="{width}" height="{height:.0f}" fill="#f4f8fb"/>']
    for code, d in paths.items():
        label = escape(f"{code} {names.get(code, '') if names else ''}".strip())
        shape = (f'<path d="{d}" fill="{fill.get(code, _NO_DATA)}" '
                 f'stroke="#ffffff" stroke-width="0.4"><title>{label}</title></path>')
        if links and code in links:
            shape = f'<a href="{escape(links[code])}">{shape}</a>'
        out.append(shape)
    for code in highlight:
        if code in paths:
            out.append(f'<path d="{paths[code]}" fill="none" stroke="#111" stroke-width="2"/>')
    out.append("</svg>")
    return "".join(out)


def legend(items: Mapping[str, str]) -> str:
    """A small HTML legend: label -> colour."""
    cells = "".join(f'<span class="key"><i style="background:{c}"></i>{escape(label)}</span>' for label, c in items.items())
    return f'<div class="legend">{cells}</div>'


def bars(
    items: Sequence[tuple[str, float]],
    *,
    reference: float | None = None,
    width: int = 560,
    bar_height: int = 18,
    value_format: str = "{:.2f}",
    colour: str = "#3b6ea5",
    highlight_above: float | None = None,
    title: str = "",
) -> str:
    """Horizontal bars, one per (label, value), with an optional reference line (e.g. RCA = 1)."""
    if not items:
        return '<p class="empty">no data</p>'
    label_w, pad = 250, 50
    top = max(max(v for _, v in items), reference or 0) or 1.0
    plot = width - label_w - pad
    height = len(items) * (bar_height + 4) + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img" '
           f'aria-label="{escape(title)}" class="bars">']
    for i, (label, value) in enumerate(items):
        y = 4 + i * (bar_height + 4)
        length = max(value, 0) / top * plot
        fill = "#c0392b" if highlight_above is not None and value >= highlight_above else colour
        out.append(f'<text x="{label_w - 6}" y="{y + bar_height * 0.75:.1f}" text-anchor="end" font-size="12">'
                   f"{escape(label if len(label) <= 34 else label[:33] + '…')}</text>")
        out.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{fill}">'
                   f"<title>{escape(label)}: {value_format.format(value)}</title></rect>")
        out.append(f'<text x="{label_w + length + 4:.1f}" y="{y + bar_height * 0.75:.1f}" font-size="11">'
                   f"{value_format.format(value)}</text>")
    if reference is not None:
        x = label_w + reference / top * plot
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 20}" stroke="#333" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">{reference:g}</text>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    colour: str = "#3b6ea5"
    size: float = 5.0


def scatter(
    points: Sequence[Point],
    *,
    x_label: str,
    y_label: str,
    x_split: float | None = None,
    y_split: float | None = None,
    quadrant_names: Sequence[str] = (),
    width: int = 560,
    height: int = 420,
    title: str = "",
) -> str:
    """A labelled scatter; ``x_split``/``y_split`` draw quadrant lines, ``quadrant_names`` label
    them (top-left, top-right, bottom-left, bottom-right)."""
    if not points:
        return '<p class="empty">no data</p>'
    left, right, top_m, bottom = 50, 20, 20, 40
    xs = [p.x for p in points] + ([x_split] if x_split is not None else [])
    ys = [p.y for p in points] + ([y_split] if y_split is not None else [])
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    x0, x1 = (x0 - 1, x1 + 1) if x0 == x1 else (x0 - 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0))
    y0, y1 = (y0 - 1, y1 + 1) if y0 == y1 else (y0 - 0.08 * (y1 - y0), y1 + 0.08 * (y1 - y0))

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def sy(v: float) -> float:
        return top_m + (y1 - v) / (y1 - y0) * (height - top_m - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" role="img" '
           f'aria-label="{escape(title)}" class="scatter">',
           f'<rect x="{left}" y="{top_m}" width="{width - left - right}" height="{height - top_m - bottom}" '
           'fill="#fbfbfb" stroke="#999"/>']
    if x_split is not None:
        out.append(f'<line x1="{sx(x_split):.1f}" x2="{sx(x_split):.1f}" y1="{top_m}" y2="{height - bottom}" '
                   'stroke="#888" stroke-dasharray="4 3"/>')
    if y_split is not None:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(y_split):.1f}" y2="{sy(y_split):.1f}" '
                   'stroke="#888" stroke-dasharray="4 3"/>')
    corners = [(left + 6, top_m + 14, "start"), (width - right - 6, top_m + 14, "end"),
               (left + 6, height - bottom - 6, "start"), (width - right - 6, height - bottom - 6, "end")]
    for (x, y, anchor), name in zip(corners, quadrant_names, strict=False):
        out.append(f'<text x="{x}" y="{y}" font-size="11" fill="#666" text-anchor="{anchor}">{escape(name)}</text>')
    for p in points:
        out.append(f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="{p.size:.1f}" fill="{p.colour}" '
                   f'fill-opacity="0.8"><title>{escape(p.label)}: ({p.x:.2f}, {p.y:.2f})</title></circle>')
        out.append(f'<text x="{sx(p.x) + p.size + 2:.1f}" y="{sy(p.y) + 4:.1f}" font-size="10">'
                   f"{escape(p.label[:24])}</text>")
    out.append(f'<text x="{(left + width - right) / 2:.0f}" y="{height - 8}" font-size="12" text-anchor="middle">'
               f"{escape(x_label)}</text>")
    out.append(f'<text x="14" y="{(top_m + height - bottom) / 2:.0f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {(top_m + height - bottom) / 2:.0f})">{escape(y_label)}</text>')
    out.append("</svg>")
    return "".join(out)
