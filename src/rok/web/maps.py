"""Maps as server-side SVG: Europe as a choropleth, and a region's neighbourhood zoomed to it
with an inset of Europe that shows where the window lies.

Projection: equirectangular with x scaled by cos(52°) (true shape at Europe's mid
latitude), in units of 1/100 degree, so that paths need one decimal only. Geometries come
from the warehouse's NUTS 2021 boundaries (GISCO); each is simplified once per warehouse
version and tolerance (shapely, Douglas-Peucker, preserving topology).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import duckdb
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["MapData", "NO_DATA", "europe_svg", "region_svg", "europe_outline_svg"]

NO_DATA = "#dcdcdc"
_COS = math.cos(math.radians(52))
_EUROPE = (-25.0, 34.0, 45.0, 71.5)  # lon/lat window of continental Europe and its islands
_K = 100.0


def _xy(lon: float, lat: float) -> tuple[float, float]:
    return lon * _COS * _K, -lat * _K


def _path(geom: BaseGeometry) -> str:
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            pts = [(round(x), round(y)) for x, y in (_xy(*c) for c in ring.coords)]
            steps = [(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False)]
            body = " ".join(f"{dx},{dy}" for dx, dy in steps if dx or dy)  # relative: shorter paths
            parts.append(f"M{pts[0][0]},{pts[0][1]}l{body}z")
    return "".join(parts)


@dataclass
class MapData:
    """NUTS 2021 boundaries of one warehouse: shapes per level and their SVG paths per tolerance."""

    shapes: dict[int, dict[str, BaseGeometry]]
    _paths: dict[tuple[int, float], dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, db: str | Path, levels: Sequence[int] = (0, 2)) -> MapData:
        con = duckdb.connect(str(db), read_only=True)
        try:
            rows = con.execute("SELECT level, code, geometry FROM regions WHERE nuts_version = 2021 AND geometry "
                               "IS NOT NULL AND level IN (SELECT unnest(?)) ORDER BY code", [list(levels)]).fetchall()
        finally:
            con.close()
        shapes: dict[int, dict[str, BaseGeometry]] = {lv: {} for lv in levels}
        for level, code, blob in rows:
            shapes[int(level)][code] = shapely.from_wkb(bytes(blob))
        return cls(shapes)

    def paths(self, level: int, tolerance: float) -> dict[str, str]:
        key = (level, tolerance)
        if key not in self._paths:
            window = shapely.box(*_EUROPE)
            self._paths[key] = {c: _path(g.simplify(tolerance, preserve_topology=True))
                                for c, g in self.shapes.get(level, {}).items()
                                if window.intersects(g.representative_point())}
        return self._paths[key]

    def bounds(self, level: int, code: str) -> tuple[float, float, float, float] | None:
        geom = self.shapes.get(level, {}).get(code)
        if geom is None:
            return None
        # the mainland part: the largest polygon, so that overseas islands do not stretch the window
        parts = sorted(getattr(geom, "geoms", [geom]), key=lambda g: g.area, reverse=True)
        return tuple(parts[0].bounds)  # type: ignore[return-value]

    def centre(self, level: int, code: str) -> tuple[float, float] | None:
        geom = self.shapes.get(level, {}).get(code)
        if geom is None:
            return None
        p = geom.representative_point()
        return p.x, p.y


def _view(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0 = _xy(box[0], box[3])
    x1, y1 = _xy(box[2], box[1])
    return x0, y0, x1 - x0, y1 - y0


def _shape(code: str, d: str, colour: str, name: str, link: str | None, extra: str = "") -> str:
    label = escape(name)
    if link:  # the title names the link (tooltip and accessible name)
        return f'<a href="{escape(link)}"><title>{label}</title><path d="{d}" fill="{colour}"{extra}/></a>'
    return f'<path d="{d}" fill="{colour}"{extra}><title>{label}</title></path>'


def europe_svg(maps: MapData, fill: Mapping[str, str], names: Mapping[str, str], *, links: Mapping[str, str],
               title: str, level: int = 2, highlight: Sequence[str] = ()) -> str:
    """All regions of ``level`` over Europe, filled by ``fill``; each a link with its name."""
    x, y, w, h = _view(_EUROPE)
    out = [f'<svg viewBox="{x:.0f} {y:.0f} {w:.0f} {h:.0f}" class="map" role="group" aria-label="{escape(title)}">'
           f'<title>{escape(title)}</title><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" '
           'fill="#eef3f8"/><g stroke="#fff" stroke-width="6">']
    paths = maps.paths(level, 0.03)
    for code, d in paths.items():
        out.append(_shape(code, d, fill.get(code, NO_DATA), names.get(code, code), links.get(code)))
    out.append("</g>")
    for code in highlight:
        if code in paths:
            out.append(f'<path d="{paths[code]}" fill="none" stroke="#111" stroke-width="18"/>')
    out.append("</svg>")
    return "".join(out)


def europe_outline_svg(maps: MapData) -> str:
    """Europe's countries as one small SVG file (the inset of every zoomed map refers to it)."""
    x, y, w, h = _view(_EUROPE)
    countries = "".join(f'<path d="{d}"/>' for d in maps.paths(0, 0.15).values())
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x:.0f} {y:.0f} {w:.0f} {h:.0f}">'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" fill="#fff"/>'
            f'<g fill="#c9d3dc" stroke="#fff" stroke-width="20">{countries}</g></svg>')


def _inset(maps: MapData, box: tuple[float, float, float, float], at: tuple[float, float], width: float,
           href: str | None = None) -> str:
    """A small Europe (countries) with the map window drawn on it, placed at ``at`` (map units);
    with ``href`` the countries come from that file (:func:`europe_outline_svg`), drawn once."""
    ex, ey, ew, eh = _view(_EUROPE)
    k = width / ew
    bx, by, bw, bh = _view(box)
    rect = (f'<rect x="{bx:.0f}" y="{by:.0f}" width="{max(bw, 60):.0f}" height="{max(bh, 60):.0f}" fill="none" '
            f'stroke="#c0392b" stroke-width="{3 / k:.0f}"/>')
    if href:
        countries = (f'<image href="{escape(href)}" x="{ex:.0f}" y="{ey:.0f}" width="{ew:.0f}" height="{eh:.0f}"/>')
    else:
        countries = (f'<g fill="#c9d3dc" stroke="#fff" stroke-width="{0.5 / k:.0f}">'
                     + "".join(f'<path d="{d}"/>' for d in maps.paths(0, 0.15).values()) + "</g>")
    return (f'<g transform="translate({at[0]:.0f} {at[1]:.0f}) scale({k:.5f}) translate({-ex:.0f} {-ey:.0f})" '
            f'aria-hidden="true"><rect x="{ex:.0f}" y="{ey:.0f}" width="{ew:.0f}" height="{eh:.0f}" fill="#fff" '
            f'stroke="#666" stroke-width="{1.5 / k:.0f}"/>{countries}{rect}</g>')


def region_svg(maps: MapData, code: str, fill: Mapping[str, str], names: Mapping[str, str], *,
               links: Mapping[str, str], title: str, level: int = 2, marked: Sequence[str] = (),
               lines: Sequence[tuple[str, str, str]] = (), min_span: float = 6.0, detail: int = 1500,
               inset_href: str | None = None, background_level: int | None = None) -> str:
    """The neighbourhood of ``code``: a window of at least ``min_span`` degrees around its mainland
    part, neighbours filled by ``fill`` and named on hover, ``code`` outlined and named, ``marked``
    regions outlined, ``lines`` (from, to, colour) between region centres, an inset of Europe."""
    b = maps.bounds(level, code)
    if b is None:
        return '<p class="note">No boundary for this region in the warehouse.</p>'
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    half_w = max(b[2] - b[0], min_span) / 2 * 1.25
    half_h = max(b[3] - b[1], min_span * 0.62) / 2 * 1.25
    for a, bb, _ in lines:  # widen the window to hold every line end
        for end in (a, bb):
            c = maps.centre(level, end)
            if c is not None:
                half_w = max(half_w, abs(c[0] - cx) * 1.1 + 0.5)
                half_h = max(half_h, abs(c[1] - cy) * 1.1 + 0.5)
    box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    x, y, w, h = _view(box)
    tolerance = round(max(0.002, (box[2] - box[0]) / detail), 3)
    window = shapely.box(*box)
    out = [f'<svg viewBox="{x:.0f} {y:.0f} {w:.0f} {h:.0f}" class="map" role="group" aria-label="{escape(title)}">'
           f'<title>{escape(title)}</title><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" '
           f'fill="#eef3f8"/><g stroke="#fff" stroke-width="{w / 400:.1f}">']
    paths = maps.paths(level, tolerance)
    shapes = maps.shapes[level]
    if background_level is None:
        shown = [c for c in paths if shapes[c].intersects(window)]
        for c in shown:
            out.append(_shape(c, paths[c], fill.get(c, NO_DATA), names.get(c, c), links.get(c)))
    else:  # a light background (e.g. countries) for maps about lines between places
        shown = [code]
        back = maps.paths(background_level, max(tolerance, 0.08))
        out += [f'<path d="{d}" fill="#e3e8ee"/>' for c, d in back.items()
                if maps.shapes[background_level][c].intersects(window)]
    out.append("</g>")
    stroke = w / 250
    for c in marked:
        if c in paths and c in shown:
            out.append(f'<path d="{paths[c]}" fill="none" stroke="#333" stroke-width="{stroke:.1f}" '
                       f'stroke-dasharray="{stroke * 2:.0f} {stroke:.0f}"/>')
    out.append(f'<path d="{paths.get(code, "")}" fill="none" stroke="#111" stroke-width="{stroke * 1.8:.1f}"/>')
    font = w / 45
    for a, bb, colour in lines:
        pa, pb = maps.centre(level, a), maps.centre(level, bb)
        if pa is None or pb is None:
            continue
        (x1, y1), (x2, y2) = _xy(*pa), _xy(*pb)
        out.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{colour}" '
                   f'stroke-width="{stroke * 1.2:.1f}"><title>{escape(names.get(a, a))} – '
                   f"{escape(names.get(bb, bb))}</title></line>")
        out.append(f'<circle cx="{x2:.0f}" cy="{y2:.0f}" r="{stroke * 2.5:.0f}" fill="{colour}"/>'
                   f'<text x="{x2 + stroke * 3:.0f}" y="{y2 + font / 3:.0f}" font-size="{font * 0.8:.0f}" '
                   f'class="maplbl">{escape(names.get(bb, bb))}</text>')
    c = maps.centre(level, code)
    if c is not None:
        px, py = _xy(*c)
        out.append(f'<text x="{px:.0f}" y="{py:.0f}" font-size="{font:.0f}" text-anchor="middle" class="maplbl">'
                   f"{escape(names.get(code, code))}</text>")
    out.append(_inset(maps, box, (x + w * 0.74, y + h * 0.015), w * 0.25, inset_href))
    out.append("</svg>")
    return "".join(out)


def europe_pairs_svg(maps: MapData, pairs: Sequence[tuple[str, str]], names: Mapping[str, str], *, title: str,
                     colours: tuple[str, str] = ("#1a5a93", "#b0612a"), level: int = 2) -> tuple[str, list[str]]:
    """Lines between region centres over Europe's countries (e.g. mentor -> mentee); ends outside the
    window of continental Europe are left out and returned, to be listed beside the map."""
    x, y, w, h = _view(_EUROPE)
    window = shapely.box(*_EUROPE)
    out = [f'<svg viewBox="{x:.0f} {y:.0f} {w:.0f} {h:.0f}" class="map" role="img" aria-label="{escape(title)}">'
           f'<title>{escape(title)}</title><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" '
           'fill="#eef3f8"/><g fill="#dfe5eb" stroke="#fff" stroke-width="8">']
    out += [f'<path d="{d}"/>' for d in maps.paths(0, 0.08).values()]
    out.append("</g>")
    left_out: list[str] = []
    ends: dict[str, int] = {}
    for a, b in pairs:
        pa, pb = maps.centre(level, a), maps.centre(level, b)
        if pa is None or pb is None or not window.contains(shapely.Point(pa)) or not window.contains(shapely.Point(pb)):
            left_out.append(f"{names.get(a, a)} – {names.get(b, b)}")
            continue
        (x1, y1), (x2, y2) = _xy(*pa), _xy(*pb)
        out.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#55606b" '
                   f'stroke-width="9" stroke-opacity="0.5"><title>{escape(names.get(a, a))} – '
                   f"{escape(names.get(b, b))}</title></line>")
        ends[a] = 0  # the first of a pair (mentor)
        ends.setdefault(b, 1)
    for code, role in ends.items():
        c = maps.centre(level, code)
        if c is not None:
            cx, cy = _xy(*c)
            out.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="26" fill="{colours[role]}" stroke="#fff" '
                       f'stroke-width="6"><title>{escape(names.get(code, code))}</title></circle>')
    out.append("</svg>")
    return "".join(out), left_out
