"""Region profiles as self-contained HTML pages (inline CSS and SVG, no network).

A page says, in words and pictures, where a region stands (performance group, critical
mass), where it is strong (specialisation, cluster stars), what is related to its strengths
(relatedness density, the policy quadrant) and who resembles it (structural peers). All
numbers come from :class:`rok.analysis.profiles.Profiles`; this module only lays them out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from rok.analysis.performance import INSUFFICIENT
from rok.analysis.profiles import Profiles
from rok.analysis.quadrant import QUADRANTS
from rok.report.svg import GROUP_COLOURS, Point, bars, europe_map, legend, map_paths, scatter

__all__ = ["load_shapes", "region_page", "index_page", "write_profiles"]

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fff}
header{background:#17324d;color:#fff;padding:18px 28px}header h1{margin:0;font-size:26px}
header p{margin:4px 0 0;color:#cfe0f1}main{max-width:1180px;margin:0 auto;padding:10px 28px 40px}
section{margin:26px 0}h2{font-size:19px;border-bottom:2px solid #e3e8ee;padding-bottom:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:22px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
td.n,th.n{text-align:right}.legend{font-size:12px;margin:4px 0}.key{margin-right:12px}
.key i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
.lead{font-size:16px;max-width:900px}.note{color:#666;font-size:12px}a{color:#1d5c96}
.stars{color:#d4a017;letter-spacing:1px}footer{color:#666;font-size:12px;border-top:1px solid #ddd;padding-top:8px}
"""
_CREDIT = ("Data: CORDIS (EU research projects, © European Union, CC BY 4.0; H2020 tables repackaged by "
           "zambujo/eunets and ODFest2017, MIT), Eurostat regional statistics (© European Union, CC BY 4.0; "
           "regional R&amp;D panel by Honti, Czvetko &amp; Abonyi 2020, CC BY 4.0), GISCO NUTS 2021 boundaries "
           "(© EuroGeographics), GeoNames gazetteer (CC BY 4.0).")


def load_shapes(db: str | Path, level: int) -> dict[str, BaseGeometry]:
    """NUTS 2021 polygons of one level from the warehouse, for the maps."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT code, geometry FROM regions WHERE nuts_version = 2021 AND level = ? "
                           "AND geometry IS NOT NULL ORDER BY code", [level]).fetchall()
    finally:
        con.close()
    return {code: shapely.from_wkb(bytes(blob)) for code, blob in rows}


def _fmt(value: object, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (int, float, np.floating)):
        return f"{value:,.{digits}f}"
    return escape(str(value))


def _year(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else str(int(value))  # type: ignore[call-overload]


def _page(title: str, subtitle: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head>'
            f"<body><header><h1>{escape(title)}</h1><p>{subtitle}</p></header><main>{body}"
            f"<footer>{_CREDIT} Made with rok.</footer></main></body></html>")


def _group(p: Profiles, code: str) -> tuple[str | None, float]:
    if not p.available("performance")[0] or p.performance is None or code not in p.performance.table.index:
        return None, math.nan
    row = p.performance.table.loc[code]
    return (row["group"] if row["group"] in GROUP_COLOURS else None), float(row["index"])


def _table(frame: pd.DataFrame, numeric: tuple[str, ...] = (), digits: int = 2) -> str:
    head = "".join(f'<th class="{"n" if c in numeric else ""}">{escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in numeric:
                cells.append(f'<td class="n">{_fmt(value, digits)}</td>')
            else:
                cells.append(f"<td>{value if str(value).startswith('<a ') else escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _summary(p: Profiles, code: str, peers: pd.DataFrame) -> str:
    name = escape(p.region_name(code))
    group, index = _group(p, code)
    mass = p.critical_mass.loc[code] if p.available("critical_mass")[0] and code in p.critical_mass.index else None
    spec = p.specialisation_table()
    own = spec[spec["region"] == code].sort_values("rca", ascending=False)
    strong = own[own["specialised"]]
    parts = []
    if group:
        sub = p.performance.table.loc[code, "subgroup"] if p.performance is not None else group
        parts.append(f"{name} is a research <b>{escape(str(sub))}</b> (performance index {index:.0f}; 100 = the "
                     f"{escape(p.performance.reference if p.performance is not None else '')} aggregate).")
    if mass is not None:
        parts.append(f"In Horizon 2020 its organisations took part {mass['participations']:,.0f} times and received "
                     f"€{mass['ec_eur'] / 1e6:,.1f} million from the EU, through {mass['organisations']:,.0f} organisations.")
    if len(strong):
        names = ", ".join(f"{escape(p.domain_name(d))} (RCA {r:.2f})" for d, r in list(zip(strong["domain"], strong["rca"], strict=True))[:4])
        parts.append(f"It is specialised in {len(strong)} of {p.activity.shape[1]} programme parts, most in {names}.")
    quad = (p.quadrant[(p.quadrant["region"] == code) & (p.quadrant["quadrant"] == QUADRANTS[(True, True)])]
            if p.available("quadrant")[0] else pd.DataFrame(columns=["domain"]))
    if len(quad):
        parts.append("Related opportunities of high complexity where it is not yet specialised: "
                     + ", ".join(escape(p.domain_name(d)) for d in quad["domain"].head(3)) + ".")
    if len(peers):
        parts.append("Structurally similar regions to learn from: "
                     + ", ".join(f"{escape(p.region_name(r))} ({r})" for r in peers["peer"].head(3)) + ".")
    return '<p class="lead">' + " ".join(parts) + "</p>"


def region_page(p: Profiles, code: str, shapes: Mapping[str, BaseGeometry] | Mapping[str, str],
                networks: Any = None) -> str:
    """The HTML profile of region ``code`` (with its collaboration when ``networks`` is given:
    a :class:`rok.analysis.network_profiles.Networks` of the same selection)."""
    code = p.check_region(code)
    name = p.region_name(code)
    peers = (p.peers_of(code, k=8) if p.available("peers")[0] and p.features is not None and code in p.features.index
             else pd.DataFrame(columns=["peer"]))
    group, index = _group(p, code)
    colours = {}
    if p.available("performance")[0] and p.performance is not None:
        colours = {r: GROUP_COLOURS.get(g, "#e4e4e4") for r, g in p.performance.table["group"].items() if isinstance(g, str)}
    badge = f' <span class="badge" style="background:{GROUP_COLOURS[group]}">{group}</span>' if group else ""
    sections = [f"<section>{_summary(p, code, peers)}</section>"]
    the_map = europe_map(shapes, colours, names={c: p.region_name(c) for c in shapes}, highlight=[code, *peers["peer"].head(8)],
                         title=f"{name} on the map of Europe", links={c: f"{c}.html" for c in p.activity.index})
    sections.append(f'<section class="grid"><div><h2>Where it stands</h2>{the_map}'
                    f'{legend({**{g: c for g, c in GROUP_COLOURS.items()}, "no index": "#e4e4e4"})}'
                    f'<p class="note">Thick outlines: {escape(name)} and its structural peers. Click a region for its profile.</p></div>'
                    f"<div><h2>Critical mass</h2>{_mass_table(p, code)}{_performance_bars(p, code)}</div></section>")
    spec = p.specialisation_table()
    own = spec[spec["region"] == code].sort_values("rca", ascending=False)
    rca_bars = bars([(p.domain_name(d), float(r)) for d, r in zip(own["domain"], own["rca"], strict=True)],
                    reference=1.0, highlight_above=1.0, title="specialisation by programme part")
    sections.append(f'<section class="grid"><div><h2>Strengths: specialisation</h2>{rca_bars}'
                    '<p class="note">Relative specialisation (RCA, Balassa 1965): the share of the programme part in the '
                    "region's activity divided by its share in Europe's; red bars: RCA ≥ 1.</p></div>"
                    f"<div><h2>Research-driven clusters</h2>{_stars(p, code)}</div></section>")
    sections.append(f'<section class="grid"><div><h2>Related opportunities</h2>{_quadrant(p, code)}</div>'
                    f"<div><h2>Who takes part</h2>{_actors(p, code)}</div></section>")
    if networks is not None:
        sections.append(f"<section class='grid'>{_collaboration(p, networks, code, peers)}</section>")
    sections.append(f"<section><h2>Peer regions</h2>{_peers(p, peers)}</section>")
    sections.append(f"<section><h2>How these numbers are made</h2>{_method(p)}</section>")
    subtitle = f"{escape(code)} · {escape(str(p.regions['country'].get(code, code[:2])))}{badge}"
    if not math.isnan(index):
        subtitle += f" · performance index {index:.0f}"
    return _page(f"{name}: research profile", subtitle, "".join(sections))


def _collaboration(p: Profiles, n: Any, code: str, peers: pd.DataFrame) -> str:
    edges = n.region_edges
    own = edges[((edges["source"] == code) | (edges["target"] == code)) & ~edges["internal"]]
    partner = own["target"].where(own["source"] == code, own["source"])
    top = own.assign(partner=partner).nlargest(12, "weight")
    partners = bars([(f"{r} {p.region_name(r)}", float(w)) for r, w in zip(top["partner"], top["weight"], strict=True)],
                    value_format="{:,.1f}", colour="#2a7f9e", title="main partner regions")
    left = (f"<div><h2>Collaboration: main partner regions</h2>{partners}<p class='note'>Co-participation in "
            "Horizon 2020 projects, fractional weights (Newman 2001).</p></div>")
    if code not in n.integration.index:
        return left
    labels = {"firm_local_research_share": "firms' participations with a local university or research organisation",
              "firm_research_share": "firms' participations with any university or research organisation",
              "local_tie_share": "share of ties inside the region", "share_HES": "participations by universities",
              "share_PRC": "participations by firms"}
    ids = [r for r in peers.get("peer", pd.Series(dtype=str)) if r in n.integration.index]
    rows = []
    for column, label in labels.items():
        value = n.integration.loc[code, column]
        mean = n.integration.loc[ids, column].mean() if ids else float("nan")
        rows.append({"indicator": label, "region": value, "peers' mean": mean})
    table = _table(pd.DataFrame(rows), numeric=("region", "peers' mean"), digits=3)
    right = (f"<div><h2>Integration of research actors</h2>{table}<p class='note'>How universities, research "
             "organisations, firms and public bodies of the region work together, against its structural peers. "
             "Definitions: rok.analysis.integration.</p></div>")
    return left + right


def _mass_table(p: Profiles, code: str) -> str:
    if not (ok := p.available("critical_mass"))[0]:
        return f'<p class="note">Not available: {escape(ok[1])}</p>'
    if code not in p.critical_mass.index:
        return '<p class="note">no data</p>'
    m = p.critical_mass.loc[code]
    rows = [("H2020 participations (full counting)", _fmt(m["participations"])),
            ("EC contribution (million EUR)", _fmt(m["ec_eur"] / 1e6, 1)),
            ("organisations taking part", _fmt(m["organisations"]))]
    rows += [(f"  of which {t}", _fmt(m.get(t, 0))) for t in ("HES", "REC", "PRC", "PUB", "OTH")]
    rows.append((f"R&amp;D personnel (FTE, {_year(m['rd_personnel_year'])})", _fmt(m["rd_personnel_fte"])))
    rows.append((f"R&amp;D expenditure (million EUR, {_year(m['gerd_year'])})", _fmt(m["gerd_mio_eur"], 0)))
    body = "".join(f'<tr><td>{label}</td><td class="n">{value}</td></tr>' for label, value in rows)
    return f"<table>{body}</table>"


def _performance_bars(p: Profiles, code: str) -> str:
    if not (ok := p.available("performance"))[0]:
        return f'<p class="note">Performance index not available: {escape(ok[1])}</p>' if p.selection.level == 2 else ""
    if p.performance is None or code not in p.performance.scores.index:
        return ""
    scores = p.performance.scores.loc[code].dropna()
    missing = p.performance.table.loc[code, "missing"]
    own = p.performance.contributions.set_index(["region", "indicator"])["share"]
    items = [(f"{k.replace('_', ' ')} ({own.get((code, k), 0.0):.0%} of the index)", float(v)) for k, v in scores.items()]
    note = f"Not available for this region: {escape(', '.join(missing))}." if len(missing) else ""
    if p.performance.table.loc[code, "group"] == INSUFFICIENT:
        note += f" Fewer than {p.performance.min_indicators} indicators: no index (insufficient data)."
    return ("<h3>Performance indicators (0 = lowest, 1 = highest region)</h3>"
            + bars(items, value_format="{:.2f}", colour="#63a35c", title="normalised indicator scores")
            + f'<p class="note">Research performance index after the Regional Innovation Scoreboard: '
              f"indicators capped for outliers, square-root transformed when skewed, rescaled 0-1, averaged. {note}</p>")


def _stars(p: Profiles, code: str) -> str:
    if not (ok := p.available("clusters"))[0]:
        return f'<p class="note">Not available: {escape(ok[1])}</p>'
    own = p.stars[(p.stars["region"] == code) & (p.stars["stars"] > 0)]
    if own.empty:
        return '<p class="note">No programme part earns a cluster star here.</p>'
    frame = pd.DataFrame({
        "programme part": [p.domain_name(d) for d in own["domain"]],
        "stars": ['<span class="stars">' + "★" * int(s) + "</span>" for s in own["stars"]],
        "which": own["which"].to_numpy(),
        "LQ": own["lq"].to_numpy(),
    })
    html = _table(frame, numeric=("LQ",)).replace("&lt;span class=&quot;stars&quot;&gt;", '<span class="stars">')
    html = html.replace("&lt;/span&gt;", "</span>")
    return html + ('<p class="note">After the European Cluster Observatory: a star each for size (top 10% of '
                   "regions in the part), specialisation (LQ ≥ 2) and focus (top 10% share of the region).</p>")


def _quadrant(p: Profiles, code: str) -> str:
    if not (ok := p.available("quadrant"))[0]:
        return f'<p class="note">Not available: {escape(ok[1])}</p>'
    own = p.quadrant[p.quadrant["region"] == code]
    if own.empty:
        return '<p class="note">No candidate programme parts (the region is specialised in all of them).</p>'
    colours = {QUADRANTS[(True, True)]: "#1a6b3c", QUADRANTS[(False, True)]: "#f2b447",
               QUADRANTS[(True, False)]: "#3b6ea5", QUADRANTS[(False, False)]: "#999999"}
    points = [Point(float(x), float(y), p.domain_name(d)[:22], colours.get(q, "#3b6ea5"))
              for d, x, y, q in zip(own["domain"], own["density"], own["pci"], own["quadrant"], strict=True)]
    picture = scatter(points, x_label="relatedness density (0-100)", y_label="complexity of the programme part (PCI)",
                      x_split=float(own["density_cut"].iloc[0]), y_split=float(own["pci_cut"].iloc[0]),
                      quadrant_names=(QUADRANTS[(False, True)], QUADRANTS[(True, True)],
                                      QUADRANTS[(False, False)], QUADRANTS[(True, False)]),
                      title="policy quadrant")
    return (picture + '<p class="note">Programme parts the region is not yet specialised in: how related they are '
            "to its current strengths (x) and how complex (y), after Balland et al. (2019). Top right: related and "
            "complex, the most promising next steps.</p>")


def _actors(p: Profiles, code: str) -> str:
    own = p.actors[p.actors["region"] == code]
    labels = {"HES": "universities (HES)", "REC": "research organisations (REC)", "PRC": "firms (PRC)",
              "PUB": "public bodies (PUB)", "OTH": "other (OTH)"}
    items = [(labels.get(t, t), float(s) * 100) for t, s in zip(own["activity_type"], own["share"], strict=True)]
    return bars(items, value_format="{:.0f}%", colour="#8e6bb5", title="actor mix") + (
        '<p class="note">Share of the region\'s H2020 participations by type of organisation.</p>')


def _peers(p: Profiles, peers: pd.DataFrame) -> str:
    if peers.empty:
        return '<p class="note">No structural indicators for this region.</p>'
    frame = pd.DataFrame({
        "rank": peers["rank"].to_numpy(),
        "region": [f'<a href="{r}.html">{escape(r)}</a>' for r in peers["peer"]],
        "name": peers["name"].to_numpy(),
        "distance": peers["distance"].to_numpy(),
        "group": [(_group(p, r)[0] or "n/a") for r in peers["peer"]],
    })
    return _table(frame, numeric=("distance",)) + (
        '<p class="note">Closest regions on standardised structural indicators (population, density, GDP per '
        "inhabitant, manufacturing and education structure, urban/mountain/coastal shares), after the S3 Regional "
        "Benchmarking Tool (Navarro et al. 2014): regions facing similar conditions, whatever their performance.</p>")


def _method(p: Profiles) -> str:
    cov = p.coverage
    return (f"<p>Selection: {escape(p.selection.describe())} (engine {escape(p.engine)}). "
            f"{cov.get('counted', 0):,} of {cov.get('participations', 0):,} H2020 participations are counted: "
            "those whose organisation could be placed in a NUTS 2021 region and whose project has a programme part. "
            "Fractional counting spreads each project's weight 1 over its participants. Knowledge complexity "
            "(Hidalgo &amp; Hausmann 2009) on 17 programme parts is coarse: read it as a ranking, not a precise "
            "measure. Formulas and references: the docstrings of rok.analysis and the methods page of the "
            "user guide.</p>")


def index_page(p: Profiles, shapes: Mapping[str, BaseGeometry] | Mapping[str, str]) -> str:
    """A map of all regions by performance group, and a table linking to every profile."""
    colours = {}
    if p.available("performance")[0] and p.performance is not None:
        colours = {r: GROUP_COLOURS.get(g, "#e4e4e4") for r, g in p.performance.table["group"].items() if isinstance(g, str)}
    the_map = europe_map(shapes, colours, names={c: p.region_name(c) for c in shapes},
                         links={c: f"{c}.html" for c in p.activity.index}, width=900, title="research performance groups")
    rows = []
    eci = p.complexity.eci if p.available("complexity")[0] else pd.Series(dtype=float)
    masses = p.critical_mass if p.available("critical_mass")[0] else pd.DataFrame()
    for code in p.activity.index:
        group, index = _group(p, code)
        mass = masses.loc[code] if code in masses.index else None
        rows.append({"region": f'<a href="{code}.html">{escape(code)}</a>', "name": p.region_name(code),
                     "group": group or "n/a", "index": index,
                     "participations": mass["participations"] if mass is not None else math.nan,
                     "EC million EUR": (mass["ec_eur"] / 1e6) if mass is not None else math.nan,
                     "ECI": eci.get(code, math.nan)})
    table = _table(pd.DataFrame(rows), numeric=("index", "participations", "EC million EUR", "ECI"), digits=1)
    body = (f"<section><p class='lead'>Research profiles of {len(p.activity.index)} NUTS {p.selection.level} regions "
            "from Horizon 2020 participations and Eurostat regional statistics. Colours: performance groups after "
            f"the Regional Innovation Scoreboard. Click a region.</p>{the_map}"
            f"{legend({**GROUP_COLOURS, 'no index': '#e4e4e4'})}</section><section><h2>All regions</h2>{table}</section>"
            f"<section><h2>How these numbers are made</h2>{_method(p)}</section>")
    return _page("Regions of Knowledge: research profiles of European regions", escape(p.selection.describe()), body)


def write_profiles(p: Profiles, db: str | Path, out: str | Path, regions: list[str] | None = None,
                   networks: Any = None, progress: Any = None) -> list[Path]:
    """Write ``index.html`` and one ``<CODE>.html`` per region into ``out``; return the paths.

    ``progress(step, done, total)`` is called after each page when given."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shapes = load_shapes(db, p.selection.level)
    small, large = map_paths(shapes), map_paths(shapes, width=900)
    written = []
    codes = regions or list(p.activity.index)
    for code in codes:
        path = out / f"{code}.html"
        path.write_text(region_page(p, code, small, networks), encoding="utf-8")
        written.append(path)
        if progress is not None:
            progress("writing region pages", len(written), len(codes))
    index = out / "index.html"
    index.write_text(index_page(p, large), encoding="utf-8")
    return [index, *written]
