"""Server-rendered pages of the analyses: the map, regions, domains, partner search, mentoring,
the network."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from rok.web import views
from rok.web.charts import Bar, bar_chart, legend
from rok.web.html import link, table
from rok.web.labels import specialisation_rule, work_on_label
from rok.web.region_page import SERVER, group_badge, map_section, region_sections

router = APIRouter(include_in_schema=False)


def render(request: Request, title: str, sections: list[dict[str, str]], subtitle: str = "",
           template: str = "page.html", status: int = 200, **extra: Any) -> Response:
    ctx = {"title": title, "subtitle": subtitle, "sections": sections, "viewer": request.state.viewer, **extra}
    return request.app.state.templates.TemplateResponse(request, template, ctx, status_code=status)


def _data(request: Request) -> Any:
    return request.app.state.data.get()


def regions_table(a: Any) -> str:
    t = views.region_table(a).sort_values("name")
    return table(t, [("name", "region", lambda r: link(f"/regions/{r['code']}", r["name"])),
                     ("country", "country", None), ("group", "group", lambda r: group_badge(r["group"]) or "–"),
                     ("index", "index", "n0"), ("participations", "participations", "n0"),
                     ("ec_eur", "EU funding (million EUR)", "n1"), ("eci", "complexity", "n2")])


@router.get("/", response_class=HTMLResponse)
def home(request: Request, indicator: str = Query("group", max_length=40)) -> Response:
    a = _data(request)
    key = ("home", indicator)
    html = a.cached_page(key, lambda: map_section(a, indicator, SERVER))
    listing = a.cached_page(("regions_table",), lambda: regions_table(a))
    return render(request, "Research profiles of Europe's regions", [
        {"html": '<p class="lead">How strong is each region in EU-funded research, where is it specialised, who '
                 "should it cooperate with, who can mentor it? Pick an indicator, then a region.</p>"},
        {"title": "Map", "html": html}, {"title": "All regions", "id": "regions", "html": listing}])


def prerender(a: Any) -> None:
    """Every region's page, made once per version in the background (the first visit is then warm)."""
    for code in a.profiles.activity.index:
        a.cached_page(("region", code), lambda code=code: region_sections(a, code, SERVER))


@router.get("/regions/{code}", response_class=HTMLResponse)
def region(request: Request, code: str) -> Response:
    a = _data(request)
    code = views.region_code(a, code)
    title, subtitle, sections = a.cached_page(("region", code), lambda: region_sections(a, code, SERVER))
    from rok.web.pages_work import plans_for_region

    def page() -> Response:
        plans = plans_for_region(request, code)
        return render(request, title, [*sections, {"title": "Plans", "id": "plans", "html": plans}], subtitle)

    if request.state.viewer.signed_in:  # the page carries the account's name, token and drafts
        return page()
    ws = request.app.state.data.workspace_version(request.app.state.workspace)
    body = a.cached_page(("region-public", code, ws), lambda: page().body)  # public: the same for everyone
    return HTMLResponse(body)


@router.get("/domains", response_class=HTMLResponse)
def domains(request: Request) -> Response:
    a = _data(request)
    cx = a.profiles.complexity_table(domains=True)
    t = a.domains().reset_index().rename(columns={"index": "code"})
    t = t.merge(cx, left_on="code", right_on="domain", how="left", suffixes=("", "_cx"))
    html = table(t, [("name", "programme part", lambda r: link(f"/domains/{r['code']}", r["name"])),
                     ("pci", "complexity (PCI)", "n2"), ("ubiquity", "regions specialised", "n0")])
    return render(request, "Domains: the parts of Horizon 2020", [{"html": html}])


@router.get("/domains/{code}", response_class=HTMLResponse)
def domain(request: Request, code: str) -> Response:
    a = _data(request)
    d = views.check_domain(a, code)
    t = views.domain_regions(a, d)
    # the chart ranks the specialised regions only: an RCA of 9 on a tenth of a participation says
    # nothing, which is why a specialisation needs the minimum mass as well as RCA >= 1
    top = t[t["specialised"]].sort_values(["rca", "region"], ascending=[False, True]).head(15)
    floor = a.profiles.selection.min_mass
    chart = bar_chart([Bar(r["region_name"], float(r["rca"])) for r in top.to_dict("records")],
                      title=f"the most specialised regions in {a.profiles.domain_name(d)}", reference=1.0,
                      reference_label="1 = European average")
    chart += (f'<p class="note">Regions specialised in the programme part ({specialisation_rule(floor)}): '
              f"{int(t['specialised'].sum())} regions."
              + (" Higher RCAs on fewer participations are left out: on a handful of projects a share says little."
                 if floor else "") + "</p>")
    largest = t.sort_values(["value", "region"], ascending=[False, True]).head(60)
    largest = largest.assign(spec=["yes" if v else "no" for v in largest["specialised"]])
    html = table(largest, [("region_name", "region", lambda r: link(f"/regions/{r['region']}", r["region_name"])),
                           ("value", "participations (fractional)", "n1"), ("share", "share of the region", "pct"),
                           ("rca", "specialisation (RCA)", "n2"), ("spec", "specialised", None)])
    return render(request, a.profiles.domain_name(d), [{"title": "Most specialised regions", "html": chart},
                                                        {"title": "The most active regions", "html": html}],
                  subtitle=escape(d))


@router.get("/partners", response_class=HTMLResponse)
def partners(request: Request, region: str = Query("", max_length=10), domain: str = Query("", max_length=60),
             type: list[str] = Query([]), prefer: str = Query("new", max_length=10),
             per_region: str = Query("3", max_length=3)) -> Response:
    a = _data(request)
    names = sorted((a.profiles.region_name(c), c) for c in a.profiles.activity.index)
    ropts = "".join(f'<option value="{c}"{" selected" if c == region.upper() else ""}>{escape(n)} ({c})</option>'
                    for n, c in names)
    dopts = "".join(f'<option value="{c}"{" selected" if c == domain else ""}>{escape(n)}</option>'
                    for c, n in a.domains()["name"].items())
    from rok.web.labels import ACTOR_LABELS

    checks = "".join(f'<label><input type="checkbox" name="type" value="{k}"{" checked" if k in type else ""}> '
                     f"{escape(v)}</label>" for k, v in ACTOR_LABELS.items())
    popts = "".join(f'<option value="{k}"{" selected" if k == prefer else ""}>{v}</option>' for k, v in
                    (("new", "new partners (no tie yet)"), ("existing", "existing partners"), ("any", "any")))
    cap = int(per_region) if per_region.isdigit() and 0 < int(per_region) <= 25 else None  # "any": no limit
    copts = "".join(f'<option value="{v}"{" selected" if v == (str(cap) if cap else "any") else ""}>{v}</option>'
                    for v in ("1", "2", "3", "5", "any"))
    form = (f'<form class="stack" method="get" action="/partners"><div><label for="region">Your region</label>'
            f'<select id="region" name="region"><option value="">choose…</option>{ropts}</select></div>'
            f'<div><label for="domain">Domain</label><select id="domain" name="domain">{dopts}</select></div>'
            f'<fieldset><legend>Kinds of organisation (none: all)</legend>{checks}</fieldset>'
            f'<div><label for="prefer">Prefer</label><select id="prefer" name="prefer">{popts}</select></div>'
            f'<div><label for="per_region">At most per region</label><select id="per_region" name="per_region">'
            f"{copts}</select></div>"
            '<div><button type="submit">Search</button></div></form>')
    sections = [{"html": form}]
    if region and domain:
        code = views.region_code(a, region)
        hits = a.partner_index.search(region=code, domain=views.check_domain(a, domain), types=type or None,
                                      prefer=prefer if prefer in ("new", "existing", "any") else "new", k=25,
                                      per_region=cap)
        hits = hits.assign(region_name=[a.profiles.region_name(r) for r in hits["region"]],
                           kind=[ACTOR_LABELS.get(t, t) for t in hits["type"]])
        html = table(hits, [("name", "organisation", None), ("kind", "kind", None),
                            ("region_name", "region", lambda r: link(f"/regions/{r['region']}", r["region_name"])),
                            ("score", "score", "n2"), ("reasons", "why", None)], empty="No organisation found.")
        sections.append({"title": f"Partners for {a.profiles.region_name(code)}", "id": "results", "html": html})
    return render(request, "Partner search", sections)


@router.get("/mentoring", response_class=HTMLResponse)
def mentoring(request: Request) -> Response:
    a = _data(request)
    m = views.mentoring_of(a)
    html = table(m, [("mentee_name", "mentee", lambda r: link(f"/regions/{r['mentee']}", r["mentee_name"])),
                     ("mentor_name", "mentor", lambda r: link(f"/regions/{r['mentor']}", r["mentor_name"])),
                     ("domains_to_work_on", work_on_label(a.profiles.kind), None), ("existing_ties", "ties", None),
                     ("score", "score", "n2")])
    from rok.web.pages_work import programmes_html

    def picture() -> str:
        from rok.web.maps import europe_pairs_svg

        names = {c: a.profiles.region_name(c) for c in a.profiles.regions.index}
        svg, outside = europe_pairs_svg(a.maps, list(zip(m["mentor"], m["mentee"], strict=True)), names,
                                        title="mentoring pairs over Europe")
        note = (f'<p class="note">Outside the map (outermost regions): {escape("; ".join(outside))}.</p>'
                if outside else "")
        return svg + legend({"mentor": "#1a5a93", "mentee": "#b0612a"}) + (
            '<p class="note">Lines join each mentor to its mentee; hover for names; every pair is in the table '
            "below.</p>") + note
    return render(request, "Mentoring", [
        {"html": '<p class="lead">Regions of the emerging and moderate groups paired with leaders and strong regions '
                 "of other countries: an optimal assignment on complementarity, structural similarity and shared "
                 "domains. "
                 + ("Each pair lists the programme parts where the mentor is specialised and the mentee is not; "
                    "which to work on is for the pair to choose (relatedness is not advice on this taxonomy of "
                    "funding instruments)." if a.profiles.kind == "instrument" else "Each pair says what to work on.")
                 + "</p>"},
        {"title": "Programmes", "html": programmes_html(request)},
        {"title": "The default assignment", "html": a.cached_page(("mentoring-map",), picture) + html}])


@router.get("/assets/europe.svg")
def europe_outline(request: Request) -> Response:
    from rok.web.maps import europe_outline_svg

    a = _data(request)
    tag = f'"{a.key}-europe"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    svg = a.cached_page(("europe.svg",), lambda: europe_outline_svg(a.maps))
    return Response(svg, media_type="image/svg+xml", headers={"ETag": tag, "Cache-Control": "max-age=3600"})


def network_html(a: Any, region_href: Any = lambda c: f"/regions/{c}") -> str:
    import pandas as pd

    from rok.report.network import PALETTE, network_svg
    from rok.report.svg import map_paths

    n = a.networks
    members = views.communities(a)
    strength = n.region_centrality.set_index("node")["strength"].to_dict()
    names = {c: a.profiles.region_name(c) for c in members}
    svg = network_svg(n.positions, n.region_edges[~n.region_edges["internal"]], membership=members,
                      strength=strength, names=names, background=map_paths(a.maps.shapes[2], width=900, tolerance=0.06), top_edges=600)
    svg = svg.replace('width="900" role="img"', 'role="img"', 1)
    sizes: dict[int, list[str]] = {}
    for r, c in members.items():
        sizes.setdefault(c, []).append(r)
    keys = {}
    for c in sorted(sizes):
        big = sorted(sizes[c], key=lambda r: -strength.get(r, 0.0))[:2]
        colour = PALETTE[c] if 0 <= c < len(PALETTE) else "#999999"
        keys[f"community {c}: {len(sizes[c])} region{'' if len(sizes[c]) == 1 else 's'}, e.g. " + ", ".join(names[r] for r in big)] = colour
    t = pd.DataFrame([{"code": r, "name": names[r], "community": c, "strength": strength.get(r)}
                      for r, c in members.items()]).sort_values(["community", "strength"], ascending=[True, False])
    listing = table(t, [("name", "region", lambda r: link(region_href(r["code"]), r["name"])),
                        ("community", "community", None), ("strength", "strength of ties", "n1")])
    return (svg + legend(keys, "Communities (Leiden) of the co-participation network")
            + '<p class="note">Lines: the 600 strongest ties between regions (width by weight); circles: regions, '
              "sized by the strength of their ties, coloured by community. Hover for names.</p>"
            + f"<h2>Regions by community</h2>{listing}")


@router.get("/network", response_class=HTMLResponse)
def network(request: Request) -> Response:
    a = _data(request)
    html = a.cached_page(("network",), lambda: network_html(a))
    return render(request, "Collaboration network of regions", [{"html": html}])
