"""The mentoring programme as a self-contained HTML page: pairs on a map, reasons per pair."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from rok.report.profile import _page, _table, load_shapes
from rok.report.svg import _BBOX, _COS, _project, map_paths

__all__ = ["mentoring_svg", "mentoring_page"]


def mentoring_svg(pairs: pd.DataFrame, positions: pd.DataFrame, background: dict[str, str], *, width: int = 900) -> str:
    """Lines from each mentor (dark) to its mentee (orange) at the regions' centres."""
    scale = width / ((_BBOX[2] - _BBOX[0]) * _COS)
    height = (_BBOX[3] - _BBOX[1]) * scale
    pos = {r: _project(lon, lat, scale) for r, lon, lat in positions[["region", "lon", "lat"]].itertuples(index=False)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" role="img" '
           f'aria-label="mentoring pairs" class="mentoring"><rect width="{width}" height="{height:.0f}" fill="#f4f8fb"/>']
    out += [f'<path d="{d}" fill="#e9edf1" stroke="#fff" stroke-width="0.4"/>' for d in background.values()]
    for row in pairs.itertuples(index=False):
        if row.mentee not in pos or row.mentor not in pos:
            continue
        (x1, y1), (x2, y2) = pos[row.mentor], pos[row.mentee]
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#3b6ea5" stroke-width="1.2" '
                   f'stroke-opacity="0.55"><title>{escape(row.mentor)} mentors {escape(row.mentee)}: '
                   f"{escape(str(row.domains_to_work_on))}</title></line>")
    for codes, colour, label in ((set(pairs["mentor"]), "#1a6b3c", "mentor"), (set(pairs["mentee"]), "#e67e22", "mentee")):
        for code in sorted(codes):
            if code in pos:
                x, y = pos[code]
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="#fff" stroke-width="0.8">'
                           f"<title>{escape(code)} ({label})</title></circle>")
    out.append("</svg>")
    return "".join(out)


def mentoring_page(pairs: pd.DataFrame, positions: pd.DataFrame, db: str | Path, level: int, settings: str) -> str:
    """The HTML page of a mentoring assignment (``pairs`` from
    :func:`rok.cooperation.mentoring.mentoring_programme`)."""
    svg = mentoring_svg(pairs, positions, map_paths(load_shapes(db, level), width=900))
    shown = pairs[["mentee", "mentee_name", "mentee_group", "mentee_index", "mentor", "mentor_name", "mentor_group",
                   "mentor_index", "score", "domains_to_work_on", "mentor_strengths", "existing_ties"]]
    body = (f"<section><p class='lead'>{len(pairs)} mentee regions, each paired with a mentor region "
            f"({pairs['mentor'].nunique()} mentors). {escape(settings)}</p>{svg}"
            "<p class='note'>Green: mentors; orange: mentees; a line per pair. Hover a line for the domains the "
            "pair would work on.</p></section><section><h2>Pairs and their reasons</h2>"
            f"{_table(shown, numeric=('score', 'mentee_index', 'mentor_index'), digits=3)}</section>"
            "<section><h2>How the pairs are made</h2><p>"
            "Eligibility: a mentor's research performance group (after the Regional Innovation Scoreboard: leader, "
            "strong, moderate, emerging; the + and − subgroups count as their group) is strictly above its "
            "mentee's; regions whose group cannot be computed (insufficient data) take no part. "
            "A score per pair: 0.5 × complementarity (the mentor strong where the mentee is not yet specialised "
            "but has related capabilities; Balland et al. 2019 relatedness density), 0.3 × structural similarity "
            "(after the S3 Regional Benchmarking Tool, Navarro et al. 2014), 0.2 × shared domains (Jaccard). The "
            "assignment maximises the total score under the mentors' capacity and the trans-national rule, "
            "solved exactly as a transportation problem (HiGHS).</p></section>")
    return _page("Mentoring programme: who mentors whom, on what, and why", escape(settings), body)
