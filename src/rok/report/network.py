"""The collaboration network of regions as a self-contained HTML page (inline SVG, offline).

Regions sit at their NUTS 2021 label points over the map of Europe; the strongest ties are
drawn as lines whose width and opacity grow with their weight; nodes are coloured by
Leiden community and sized by strength. All numbers come from the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

import pandas as pd

from rok.report.svg import _BBOX, _COS, _project

__all__ = ["PALETTE", "network_svg", "network_page", "region_network_page"]

#: Community colours (Okabe-Ito and Tableau-like, readable on white); communities beyond
#: the palette are grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
           "#8c564b", "#17becf", "#bcbd22", "#7f7f7f")


def network_svg(
    positions: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    membership: Mapping[str, int] | None = None,
    strength: Mapping[str, float] | None = None,
    names: Mapping[str, str] | None = None,
    background: Mapping[str, str] | None = None,
    top_edges: int = 1500,
    width: int = 900,
    highlight: str | None = None,
) -> str:
    """SVG of a region network: ``positions`` (region, lon, lat), ``edges`` (source, target,
    weight, no self-loops), ``background`` region path data from :func:`rok.report.svg.map_paths`."""
    scale = width / ((_BBOX[2] - _BBOX[0]) * _COS)
    height = (_BBOX[3] - _BBOX[1]) * scale
    pos = {r: _project(lon, lat, scale) for r, lon, lat in positions[["region", "lon", "lat"]].itertuples(index=False)
           if _BBOX[0] <= lon <= _BBOX[2] and _BBOX[1] <= lat <= _BBOX[3]}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" role="img" '
           f'aria-label="collaboration network of regions" class="network"><rect width="{width}" '
           f'height="{height:.0f}" fill="#f4f8fb"/>']
    for d in (background or {}).values():
        out.append(f'<path d="{d}" fill="#e9edf1" stroke="#ffffff" stroke-width="0.4"/>')
    shown = edges[edges["source"].isin(pos.keys()) & edges["target"].isin(pos.keys())]
    if highlight:
        shown = shown[(shown["source"] == highlight) | (shown["target"] == highlight)]
    shown = shown.nlargest(top_edges, "weight")
    top = float(shown["weight"].max()) if len(shown) else 1.0
    for s, t, w in shown[["source", "target", "weight"]].itertuples(index=False):
        (x1, y1), (x2, y2) = pos[s], pos[t]
        share = math.sqrt(w / top)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#4a5a6a" '
                   f'stroke-width="{0.3 + 2.5 * share:.2f}" stroke-opacity="{0.08 + 0.5 * share:.2f}">'
                   f"<title>{escape(s)} – {escape(t)}: {w:,.1f}</title></line>")
    biggest = max((strength or {}).values(), default=1.0) or 1.0
    for code, (x, y) in sorted(pos.items(), key=lambda item: (strength or {}).get(item[0], 0.0)):
        group = (membership or {}).get(code)
        colour = PALETTE[group] if group is not None and 0 <= group < len(PALETTE) else "#999999"
        radius = 2 + 8 * math.sqrt((strength or {}).get(code, 0.0) / biggest)
        label = escape(f"{code} {(names or {}).get(code, '')}".strip())
        ring = ' stroke="#111" stroke-width="2"' if code == highlight else ' stroke="#fff" stroke-width="0.6"'
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}"{ring}>'
                   f"<title>{label}; community {group}</title></circle>")
    out.append("</svg>")
    return "".join(out)


def network_page(title: str, subtitle: str, svg: str, tables: str, notes: str) -> str:
    """A whole HTML page around a network picture (same look as the region profiles)."""
    from rok.report.profile import _page

    body = (f"<section>{svg}<p class='note'>Lines: the strongest ties between regions (width and opacity by "
            "weight); circles: regions at their NUTS label points, coloured by community, sized by strength.</p>"
            f"</section>{tables}<section><h2>How these numbers are made</h2>{notes}</section>")
    return _page(title, subtitle, body)


def region_network_page(n: Any, db: str | Any, *, highlight: str | None = None) -> str:
    """The HTML page of the region network of :class:`rok.analysis.network_profiles.Networks` ``n``."""
    from rok.report.profile import _table, load_shapes
    from rok.report.svg import map_paths

    external = n.region_edges[~n.region_edges["internal"]]
    membership = n.region_communities.membership.to_dict()
    strength = n.region_centrality.set_index("node")["strength"].to_dict()
    names = n.positions.set_index("region")["name"].to_dict()
    svg = network_svg(n.positions, external, membership=membership, strength=strength, names=names,
                      background=map_paths(load_shapes(db, n.selection.level), width=900), highlight=highlight)
    top = n.region_centrality.sort_values("strength", ascending=False).head(25).copy()
    top.insert(1, "name", [names.get(c, "") for c in top["node"]])
    top["community"] = [membership.get(c) for c in top["node"]]
    sizes = n.region_communities.membership.value_counts().sort_index()
    groups = pd.DataFrame({"community": sizes.index, "regions": sizes.to_numpy(),
                           "members (by strength)": [", ".join(sorted((c for c, g in membership.items() if g == k),
                                                                      key=lambda c: -strength.get(c, 0))[:12])
                                                     for k in sizes.index]})
    tables = (f"<section class='grid'><div><h2>Most central regions</h2>"
              f"{_table(top, numeric=('degree', 'strength', 'betweenness', 'eigenvector'))}</div>"
              f"<div><h2>Leiden communities</h2><p>{len(sizes)} communities, modularity "
              f"{n.region_communities.modularity:.3f} at resolution {n.region_communities.resolution:g}.</p>"
              f"{_table(groups, numeric=('regions',))}</div></section>")
    if n.gravity is not None:
        coef = n.gravity.table.copy()
        tables += (f"<section><h2>Gravity model of collaboration (PPML)</h2>{_table(coef, numeric=tuple(coef.columns[1:]), digits=4)}"
                   f"<p class='note'>{escape(n.gravity.formula)}; {escape(n.gravity.sample())}; standard errors "
                   f"{n.gravity.cov_type} (HC1 beside them), pseudo R² {n.gravity.r2_corr:.3f}; Santos Silva &amp; Tenreyro "
                   "(2006), Scherngell &amp; Barber (2009).</p></section>")
    notes = (f"<p>Selection: {escape(n.selection.describe())}"
             + (f", domain {escape(n.domain)}" if n.domain else "")
             + ". Two regions are tied when organisations placed in them take part in the same Horizon 2020 "
             "project; with fractional counting each organisation's unit weight in a project is spread over its "
             "n − 1 partners (Newman 2001). Communities: Leiden algorithm (Traag, Waltman &amp; van Eck 2019).</p>")
    return network_page("Collaboration network of European regions", escape(n.selection.describe()), svg, tables, notes)
