"""The region page and the map of Europe as sections of HTML, for the server and the static
reports alike (``Links`` says where a region, a domain or a page lives)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np

from rok.analysis.quadrant import QUADRANTS
from rok.errors import RokError
from rok.web import views
from rok.web.charts import Bar, Dot, bar_chart, legend, scatter_chart
from rok.web.html import fmt, link, table
from rok.web.labels import MAP_INDICATORS, specialisation_rule, work_on_label
from rok.web.maps import NO_DATA, europe_svg, region_svg
from rok.web.state import Analyses

__all__ = ["Links", "SERVER", "STATIC", "region_sections", "map_section", "group_badge"]

GROUPS = views.GROUP_COLOURS
SEQ = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")  # ColorBrewer Blues (6)


@dataclass(frozen=True)
class Links:
    """Where things live: the server's routes, or the files of the static reports. ``inset``: the
    Europe outline drawn once (a file); ``detail``: map detail (window width / tolerance)."""

    region: Callable[[str], str]
    domain: Callable[[str], str] | None
    partners: Callable[[str], str] | None
    plans: Callable[[str], str] | None
    inset: str
    detail: int


SERVER = Links(lambda c: f"/regions/{c}", lambda d: f"/domains/{d}",
               lambda c: f"/partners?region={c}", lambda c: f"/plans?region={c}", "/assets/europe.svg", 1500)
STATIC = Links(lambda c: f"{c}.html", None, None, None, "static/europe.svg", 200)


def group_badge(group: Any) -> str:
    if not isinstance(group, str) or group not in GROUPS:
        return ""
    return f'<span class="badge b-{group}">{escape(group)}</span>'


def _names(a: Analyses) -> dict[str, str]:
    return a.cached_page(("names",), lambda: {c: a.profiles.region_name(c) for c in a.profiles.regions.index})


def _group_fill(a: Analyses) -> dict[str, str]:
    t = views.region_table(a)
    return {c: GROUPS[g] for c, g in zip(t["code"], t["group"], strict=True) if isinstance(g, str) and g in GROUPS}


def _bins(values: dict[str, float]) -> tuple[dict[str, str], dict[str, str]]:
    if not values:
        return {}, {}
    arr = np.array(list(values.values()), dtype=float)
    edges = np.unique(np.quantile(arr, np.linspace(0, 1, len(SEQ) + 1)))
    colours = {}
    for code, v in values.items():
        i = int(np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(SEQ) - 1))
        colours[code] = SEQ[i]
    keys = {f"{edges[i]:,.3g} – {edges[i + 1]:,.3g}": SEQ[i] for i in range(min(len(edges) - 1, len(SEQ)))}
    return colours, keys


def map_section(a: Analyses, indicator: str, links: Links, *, picker: bool = True) -> str:
    values, kind = views.map_values(a, indicator)
    if kind == "group":
        fill, keys = {c: GROUPS[g] for c, g in values.items() if g in GROUPS}, dict(GROUPS)
    else:
        fill, keys = _bins(values)
    keys["no data"] = NO_DATA
    names = _names(a)
    label = MAP_INDICATORS[indicator]
    svg = europe_svg(a.maps, fill, names, links={c: links.region(c) for c in a.profiles.activity.index},
                     title=f"Map of European regions: {label}")
    form = ""
    if picker:
        options = "".join(f'<option value="{k}"{" selected" if k == indicator else ""}>{escape(v)}</option>'
                          for k, v in MAP_INDICATORS.items())
        form = (f'<form class="inline" method="get" action="/"><div><label for="indicator">Show on the map</label>'
                f'<select id="indicator" name="indicator">{options}</select></div><button type="submit">Show</button>'
                "</form>")
    return form + svg + legend(keys, label) + ('<p class="note">Each region links to its profile; the regions are '
                                               "also listed in the table below.</p>")


def _reasons(a: Analyses, code: str) -> str:
    r = views.performance_reasons(a, code)
    if r.empty:
        return '<p class="note">No performance index for this region.</p>'
    bars = [Bar(f"{row['label']} ({row['year']})", float(row["score"]), "#3f7f3b" if row["score"] >= row[
        "reference_score"] else "#b03a35") for row in r.to_dict("records")]
    chart = bar_chart(bars, title="indicator scores, 0 = lowest region, 1 = highest", value_format="{:.2f}")
    cols = [("label", "indicator", None), ("value", "value", "g3"), ("year", "year", None),
            ("reference_score", "EU-27 score (0-1)", "n2"),
            ("points", "points of the index", "n1")]
    return (chart + legend({"above the EU-27 score": "#3f7f3b", "below the EU-27 score": "#b03a35"})
            + table(r, cols, caption="What makes the performance index")
            + '<p class="note">After the Regional Innovation Scoreboard: indicators capped for outliers, square-root '
              "transformed when skewed, rescaled 0-1 over the regions, averaged. The points add up to the index "
              "(EU-27 = 100).</p>")


def _quadrant(a: Analyses, code: str, links: Links) -> str:
    ok, why = a.profiles.available("quadrant")  # not advice on a taxonomy of funding instruments
    if not ok:
        return f'<p class="note">Not available: {escape(why)}</p>'
    q = views.quadrant(a, code)
    if q.empty:
        return '<p class="note">No candidate programme parts (the region is specialised in all of them).</p>'
    colours = {QUADRANTS[(True, True)]: "#1a6b3c", QUADRANTS[(False, True)]: "#8a5a00",
               QUADRANTS[(True, False)]: "#1a5a93", QUADRANTS[(False, False)]: "#6b6b6b"}
    dots = [Dot(float(r["density"]), float(r["pci"]), r["name"], colours.get(r["quadrant"], "#1a5a93"),
                links.domain(r["domain"]) if links.domain else None) for r in q.to_dict("records")]
    svg, numbers = scatter_chart(dots, title="related opportunities: relatedness and complexity",
                                 x_label="relatedness to current strengths (density, 0-100)",
                                 y_label="complexity of the programme part (PCI)",
                                 x_split=float(q["density_cut"].iloc[0]), y_split=float(q["pci_cut"].iloc[0]),
                                 corner_names=(QUADRANTS[(False, True)], QUADRANTS[(True, True)],
                                               QUADRANTS[(False, False)], QUADRANTS[(True, False)]))
    q = q.assign(no=numbers)
    numbered = q[q["no"].notna()].sort_values("no")
    cols = [("no", "no.", "n0"), ("name", "programme part", None), ("density", "density", "n1"),
            ("pci", "complexity", "n2"), ("quadrant", "quadrant", None)]
    key = table(numbered, cols, caption="Numbered points") if len(numbered) else ""
    return (svg + legend({k: v for k, v in colours.items()}) + key
            + '<p class="note">Programme parts the region is not yet specialised in (Balland et al. 2019). Top right: '
              "related and complex, the most promising next steps. Every point is named in the chart or, where the "
              "name did not fit, numbered and named in the table; hover a point for its values.</p>")


def _map(a: Analyses, code: str, links: Links, peer_codes: list[str]) -> str:
    names = _names(a)
    svg = region_svg(a.maps, code, _group_fill(a), names, links={c: links.region(c) for c in a.profiles.activity.index},
                     title=f"{names.get(code, code)} and its neighbours, by performance group", marked=peer_codes,
                     detail=links.detail, inset_href=links.inset)
    return svg + legend({**GROUPS, "no index": NO_DATA}, "Performance group") + (
        '<p class="note">Bold outline: the region. Inset: where the window lies in Europe. Dashed: structural peers '
        "in the window.</p>")


def region_sections(a: Analyses, code: str, links: Links, *, plans_html: str = "") -> tuple[str, str, list[dict[str, str]]]:
    """(title, subtitle, sections) of the region page."""
    p = a.profiles
    code = views.region_code(a, code)
    s = views.region_summary(a, code)
    name = s["name"]
    peers = views.peers(a, code)
    peer_codes = list(peers["peer"])
    region_link = lambda c: link(links.region(c), _names(a).get(c, c))  # noqa: E731
    subtitle = f"{escape(str(s.get('country') or ''))} · NUTS 2 region {escape(code)} {group_badge(s.get('group'))}"
    if s.get("index") is not None:
        subtitle += f" · performance index {s['index']:.0f} (EU-27 = 100)"
    lead = [f"{escape(name)}: "]
    if s.get("participations") is not None:
        lead.append(f"organisations of the region took part {s['participations']:,.0f} times in Horizon 2020 projects "
                    f"and received €{(s.get('ec_eur') or 0):,.1f} million from the EU.")
    spec = views.specialisation(a, region=code)
    strong = spec[spec["specialised"]]
    if len(strong):
        lead.append(f" Specialised in {len(strong)} of {p.activity.shape[1]} programme parts, most in "
                    + "; ".join(escape(n) for n in strong["domain_name"].head(3)) + ".")  # names hold commas
    caveat = s.get("placement_caveat")
    caveat_html = f'<p class="note">Placement: {escape(caveat)}.</p>' if caveat else ""
    sections = [{"html": f'<p class="lead">{"".join(lead)}</p>{caveat_html}'}]
    mass = [("EU research participations (Horizon 2020)", fmt(s.get("participations"), "n0")),
            ("EU funding received (million EUR)", fmt(s.get("ec_eur"), "n1")),
            ("Organisations taking part", fmt(s.get("organisations"), "n0"))]
    mass += [(f"  of which {k}", fmt(v, "n0")) for k, v in (s.get("organisations_by_type") or {}).items()]
    mass += [("R&D personnel (full-time equivalent)", fmt(s.get("rd_personnel_fte"), "n0")),
             ("R&D spending (million EUR)", fmt(s.get("gerd_mio_eur"), "n0"))]
    mass_html = "<div class='tw'><table><tbody>" + "".join(
        f'<tr><th scope="row">{escape(k)}</th><td class="n">{v}</td></tr>' for k, v in mass) + "</tbody></table></div>"
    sections.append({"title": "Where it stands", "id": "map", "html": f'<div class="grid"><div>{_map(a, code, links, peer_codes)}</div>'
                     f"<div><h3>Critical mass</h3>{mass_html}</div></div>"})
    sections.append({"title": "Performance and its reasons", "id": "performance", "html": _reasons(a, code)})
    bars = [Bar(r["domain_name"], float(r["rca"]), "#1a5a93" if r["specialised"] else "#8fa8c0")
            for r in spec.to_dict("records")]
    spec_html = bar_chart(bars, title="specialisation (RCA) by programme part", reference=1.0,
                          reference_label="1 = European average") + legend(
        {f"specialised ({specialisation_rule(p.selection.min_mass)})": "#1a5a93", "not specialised": "#8fa8c0"})
    st = views.stars(a, code)
    st = st.assign(stars_text=["★" * int(n) for n in st["stars"]])
    stars_html = table(st, [("name", "programme part", (lambda r: link(links.domain(r["domain"]), r["name"]))
                             if links.domain else None), ("stars_text", "stars", None), ("which", "why", None),
                            ("lq", "location quotient", "n2")], empty="No programme part earns a cluster star here.")
    sections.append({"title": "Strengths and research-driven clusters", "id": "clusters",
                     "html": f'<div class="grid"><div>{spec_html}</div><div>{stars_html}<p class="note">Cluster stars '
                     "after the European Cluster Observatory: size (top 10% of regions), specialisation (LQ ≥ 2), "
                     "focus (top 10% share of the region).</p></div></div>"})
    sections.append({"title": "Related opportunities", "id": "opportunities", "html": _quadrant(a, code, links)})
    peers_html = table(peers, [("name", "region", lambda r: region_link(r["peer"])), ("distance", "distance", "n2"),
                               ("group", "performance group", lambda r: group_badge(r["group"]) or "–")],
                       empty="No structural indicators for this region.")
    sections.append({"title": "Peer regions", "id": "peers", "html": peers_html + '<p class="note">Closest regions on '
                     "structural conditions (population, density, GDP, industry and education structure, geography), "
                     "after the S3 Regional Benchmarking Tool (Navarro et al. 2014).</p>"})
    partners = views.partners_of(a, code, 8)
    net = table(partners, [("name", "partner region", lambda r: region_link(r["partner"])),
                           ("weight", "joint work (fractional)", "n1"), ("projects", "projects", "n0")])
    integ = table(views.integration(a, code, peer_codes), [("measure", "measure", None), ("region", name, "pct"),
                                                          ("peers_mean", "peers' mean", "pct")])
    sections.append({"title": "Network and integration of research actors", "id": "network",
                     "html": f'<div class="grid"><div><h3>Main partner regions</h3>{net}</div><div><h3>Integration'
                     f"</h3>{integ}</div></div>"})
    try:  # a region with no specialisation (e.g. below the minimum mass everywhere) has no complementarity
        comp = views.complementarity(a, code, "for", 8, top_domains=2)
        comp_html = table(comp, [("name", "region", lambda r: region_link(r["partner"])), ("score", "score", "n3"),
                                 ("domains", "what it brings", None)])
        unt = views.untapped(a, code, 8)
        other = [b if a_ == code else a_ for a_, b in zip(unt["region_a"], unt["region_b"], strict=True)]
        unt = unt.assign(other=other)
        unt_html = table(unt, [("other", "region", lambda r: region_link(r["other"])), ("observed", "observed", "n1"),
                               ("expected", "expected", "n1"), ("complementarity", "complementarity", "n3")],
                         empty="No untapped pair with this region.")
    except RokError as exc:
        comp_html = unt_html = f'<p class="note">Not available: {escape(str(exc))}</p>'

    more = f' <a href="{links.partners(code)}">Search partner organisations</a>.' if links.partners else ""
    instrument = a.profiles.kind == "instrument"
    caveat = (" On this taxonomy of funding instruments relatedness is not advice (see Related opportunities): "
              "these lists point to regions worth a look, they are not recommendations." if instrument else "")
    sections.append({"title": "Complementary regions and untapped partners", "id": "complementarity",
                     "html": f'<div class="grid"><div><h3>Complementary regions</h3>{comp_html}</div><div><h3>Untapped'
                     f"</h3>{unt_html}</div></div><p class='note'>Complementary: strong where {escape(name)} is not yet "
                     "specialised but has related capabilities; 'what it brings' gives each programme part's share of "
                     "the score. Untapped: complementary pairs that work together less "
                     f"than the gravity model expects (observed vs expected joint work).{caveat}{more}</p>"})
    m = views.mentoring_of(a, code)
    role = "mentee" if (m["mentee"] == code).any() else "mentor" if len(m) else ""
    m = m.assign(other=[r["mentor"] if r["mentee"] == code else r["mentee"] for r in m.to_dict("records")])
    m_html = table(m, [("other", "mentor" if role == "mentee" else "mentee", lambda r: region_link(r["other"])),
                       ("domains_to_work_on", work_on_label(a.profiles.kind), None), ("existing_ties", "ties", None),
                       ("score", "score", "n2")], empty="Not in the default mentoring programme (it pairs emerging "
                                                        "and moderate regions with leaders and strong ones).")
    if len(m) and instrument:
        m_html += ('<p class="note">The mentor\'s strengths the mentee lacks: programme parts where the mentor is '
                   "specialised and the mentee is not, strongest first; which to work on is for the pair to choose "
                   "(relatedness is not advice on this taxonomy of funding instruments).</p>")
    if len(m) and links.domain is not None:  # the server's pages (the static ones keep the table: size)
        names = _names(a)
        lines = [(code, o, "#8a5a00" if role == "mentee" else "#1a5a93") for o in m["other"]]
        svg = region_svg(a.maps, code, {}, names, links={c: links.region(c) for c in a.profiles.activity.index},
                         title=f"{'mentors of' if role == 'mentee' else 'mentees of'} {names.get(code, code)}",
                         lines=lines, min_span=4.0, detail=links.detail // 2, inset_href=links.inset,
                         background_level=0)
        m_html = f'<div class="grid"><div>{svg}</div><div>{m_html}</div></div>'
    sections.append({"title": "Mentoring", "id": "mentoring", "html": m_html})
    if plans_html:
        sections.append({"title": "Plans", "id": "plans", "html": plans_html})
    return f"{name}: research profile", subtitle, sections
