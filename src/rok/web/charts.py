"""Server-side SVG charts for the pages: bars with legible labels, a scatter whose labels never
overlap (greedy placement; a label that finds no free place becomes a number, listed in the
table under the chart), and legends. Every function returns markup; no script is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Bar", "Dot", "wrap", "bar_chart", "scatter_chart", "legend", "place_labels"]

_FONT_W = 6.2  # average glyph width at 11 px, for label boxes


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = "#2b6c9e"
    note: str = ""


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    colour: str = "#2b6c9e"
    href: str | None = None


def legend(items: Mapping[str, str], title: str = "") -> str:
    """An HTML legend (label -> colour) that screen readers read as a list."""
    head = f'<span class="legend-title">{escape(title)}</span>' if title else ""
    keys = "".join(f'<li><svg class="sw" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" '
                   f'fill="{escape(c)}" stroke="#555" stroke-width="0.5"/></svg>{escape(label)}</li>'
                   for label, c in items.items())
    return f'<div class="legend">{head}<ul>{keys}</ul></div>'


def wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, broken at spaces."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines or [""]


def bar_chart(bars: Sequence[Bar], *, title: str, value_format: str = "{:.2f}", reference: float | None = None,
              reference_label: str = "", width: int = 480) -> str:
    """Horizontal bars; each label on its own line(s) above its bar, wrapped, so names stay whole."""
    if not bars:
        return '<p class="note">No data.</p>'
    top = max([b.value for b in bars] + [reference or 0.0]) or 1.0
    left, right, line_h = 8, 60, 17
    plot = width - left - right
    chars = int((width - left) / 7.4)
    labels = [wrap(b.label, chars) for b in bars]
    height = sum(len(ls) * line_h + 24 for ls in labels) + (22 if reference is not None else 6)
    out = [f'<svg viewBox="0 0 {width} {height}" class="chart" role="img" aria-label="{escape(title)}">'
           f"<title>{escape(title)}</title>"]
    texts, rects, values = [], [], []
    y = 4
    for b, lines in zip(bars, labels, strict=True):
        length = max(b.value, 0.0) / top * plot
        texts += [f'<text x="{left}" y="{y + 13 + i * line_h}">{escape(t)}</text>' for i, t in enumerate(lines)]
        y += len(lines) * line_h
        rects.append(f'<rect x="{left}" y="{y + 2}" width="{length:.0f}" height="14" fill="{b.colour}"/>')
        values.append(f'<text x="{left + length + 4:.0f}" y="{y + 14}">{value_format.format(b.value)}</text>')
        y += 24
    out += [f'<g class="blbl">{"".join(texts)}</g>', *rects, f'<g class="bval">{"".join(values)}</g>']
    if reference is not None:
        x = left + reference / top * plot
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 16}" stroke="#333" stroke-dasharray="4 3"/>'
                   f'<text x="{x:.1f}" y="{height - 4}" class="bval" text-anchor="{"start" if x < width * 0.6 else "end"}">'
                   f"{escape(reference_label or format(reference, 'g'))}</text>")
    out.append("</svg>")
    return "".join(out)


Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(points: Sequence[tuple[float, float]], texts: Sequence[str], *, bounds: Box,
                 font_w: float = _FONT_W, font_h: float = 12.0, r: float = 5.0) -> list[tuple[float, float, str] | None]:
    """Greedy label placement: for each point (in order) the first of eight positions around it
    whose box overlaps no placed label, no point and stays inside ``bounds``; None if none fits.
    Returns (x, y, text-anchor) per point, y being the text baseline."""
    dots = [(x - r, y - r, x + r, y + r) for x, y in points]
    placed: list[Box] = []
    out: list[tuple[float, float, str] | None] = []
    for (x, y), text in zip(points, texts, strict=True):
        w = len(text) * font_w
        found = None
        for dx, dy, anchor in ((r + 2, 4, "start"), (-r - 2, 4, "end"), (0, -r - 3, "middle"), (0, r + 12, "middle"),
                               (r + 1, -r - 1, "start"), (-r - 1, -r - 1, "end"), (r + 1, r + 10, "start"),
                               (-r - 1, r + 10, "end")):
            bx = x + dx - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
            box = (bx, y + dy - font_h + 2, bx + w, y + dy + 2)
            if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] or box[3] > bounds[3]:
                continue
            if any(_overlaps(box, o) for o in placed) or any(_overlaps(box, d) for d in dots):
                continue
            found = (x + dx, y + dy, anchor)
            placed.append(box)
            break
        out.append(found)
    return out


def scatter_chart(dots: Sequence[Dot], *, title: str, x_label: str, y_label: str, x_split: float | None = None,
                  y_split: float | None = None, corner_names: Sequence[str] = (), width: int = 620,
                  height: int = 440) -> tuple[str, list[int | None]]:
    """A scatter with quadrant lines; returns the SVG and, per dot, the number shown instead of
    its label when the label found no free place (None: the label is drawn)."""
    if not dots:
        return '<p class="note">No data.</p>', []
    left, right, top, bottom = 56, 14, 26, 44
    xs = [d.x for d in dots] + ([x_split] if x_split is not None else [])
    ys = [d.y for d in dots] + ([y_split] if y_split is not None else [])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    x0, x1 = (x0 - 1, x1 + 1) if x0 == x1 else (x0 - 0.06 * (x1 - x0), x1 + 0.06 * (x1 - x0))
    y0, y1 = (y0 - 1, y1 + 1) if y0 == y1 else (y0 - 0.08 * (y1 - y0), y1 + 0.08 * (y1 - y0))

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def sy(v: float) -> float:
        return top + (y1 - v) / (y1 - y0) * (height - top - bottom)

    role = "group" if any(d.href for d in dots) else "img"  # links inside: not an image for assistive technology
    out = [f'<svg viewBox="0 0 {width} {height}" class="chart" role="{role}" aria-label="{escape(title)}">'
           f"<title>{escape(title)}</title>"
           f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
           'fill="#fbfbfb" stroke="#8a8a8a"/>']
    if x_split is not None:
        out.append(f'<line x1="{sx(x_split):.1f}" x2="{sx(x_split):.1f}" y1="{top}" y2="{height - bottom}" '
                   'stroke="#777" stroke-dasharray="4 3"/>')
    if y_split is not None:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(y_split):.1f}" y2="{sy(y_split):.1f}" '
                   'stroke="#777" stroke-dasharray="4 3"/>')
    corners = [(left + 4, top - 8, "start"), (width - right - 4, top - 8, "end"),
               (left + 4, height - bottom + 14, "start"), (width - right - 4, height - bottom + 14, "end")]
    for (x, y, anchor), name in zip(corners, corner_names, strict=False):
        out.append(f'<text x="{x}" y="{y}" class="corner" text-anchor="{anchor}">{escape(name)}</text>')
    pts = [(sx(d.x), sy(d.y)) for d in dots]
    spots = place_labels(pts, [d.label for d in dots], bounds=(left, top, width - right, height - bottom))
    numbers: list[int | None] = []
    n = 0
    for d, (x, y), spot in zip(dots, pts, spots, strict=True):
        circle = (f'<circle cx="{x:.0f}" cy="{y:.0f}" r="5" fill="{d.colour}" stroke="#fff">'
                  f"<title>{escape(d.label)}: ({d.x:.2f}, {d.y:.2f})</title></circle>")
        out.append(f'<a href="{escape(d.href)}">{circle}</a>' if d.href else circle)
        if spot is not None:
            out.append(f'<text x="{spot[0]:.0f}" y="{spot[1]:.0f}" text-anchor="{spot[2]}" class="lbl">'
                       f"{escape(d.label)}</text>")
            numbers.append(None)
        else:
            n += 1
            numbers.append(n)
    # numbers for the dots without a label: placed like labels, around what is already drawn
    missing = [(pts[i], str(numbers[i])) for i in range(len(dots)) if numbers[i] is not None]
    if missing:
        more = place_labels([p for p, _ in missing], [t for _, t in missing], bounds=(0, 0, width, height))
        for ((x, y), text), spot in zip(missing, more, strict=True):
            sx_, sy_, anchor = spot if spot is not None else (x + 7, y + 4, "start")
            out.append(f'<text x="{sx_:.1f}" y="{sy_:.1f}" text-anchor="{anchor}" class="num">{text}</text>')
    out.append(f'<text x="{(left + width - right) / 2:.0f}" y="{height - 8}" class="axis" text-anchor="middle">'
               f"{escape(x_label)}</text>")
    mid = (top + height - bottom) / 2
    out.append(f'<text x="16" y="{mid:.0f}" class="axis" text-anchor="middle" transform="rotate(-90 16 {mid:.0f})">'
               f"{escape(y_label)}</text></svg>")
    return "".join(out), numbers
