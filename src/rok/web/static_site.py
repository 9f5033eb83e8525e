"""The static reports (``rok profile --all --out DIR``): the web platform's own templates written
to files for offline use. Shared assets are written once (``static/rok.css``, the Europe outline
``static/europe.svg`` that every zoomed map's inset refers to); the full map of Europe is drawn on
the index page only, each region page has its neighbourhood."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from rok.web.html import link, table
from rok.web.maps import europe_outline_svg
from rok.web.region_page import STATIC, group_badge, map_section, region_sections
from rok.web.state import Analyses
from rok.web.views import region_table

__all__ = ["write_site"]

HERE = Path(__file__).parent


def write_site(db: str | Path, out: str | Path, regions: Iterable[str] | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> list[Path]:
    """Write ``index.html``, ``network.html``, one ``<CODE>.html`` per region and ``static/`` into
    ``out`` (read-only on the warehouse ``db``); return the pages written, index first.
    ``progress(step, done, total)`` is told of every page."""
    out = Path(out)
    (out / "static").mkdir(parents=True, exist_ok=True)
    if progress:
        progress("computing profiles", 0, 0)
    a = Analyses(Path(db), "static", 0)
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape())
    page = env.get_template("page.html")

    def render(title: str, sections: list[dict[str, str]], subtitle: str = "") -> str:
        return page.render(title=title, subtitle=subtitle, sections=sections, static=True, root="", viewer=None)

    shutil.copyfile(HERE / "static" / "rok.css", out / "static" / "rok.css")
    (out / "static" / "europe.svg").write_text(europe_outline_svg(a.maps), encoding="utf-8")
    written = []
    codes = list(regions or a.profiles.activity.index)
    for number, code in enumerate(codes):
        if progress:
            progress("writing region pages", number, len(codes))
        title, subtitle, sections = region_sections(a, code, STATIC)
        path = out / f"{code}.html"
        path.write_text(render(title, sections, subtitle), encoding="utf-8")
        written.append(path)
    t = region_table(a).sort_values("name")
    listing = table(t, [("name", "region", lambda r: link(f"{r['code']}.html", r["name"])),
                        ("country", "country", None), ("group", "group", lambda r: group_badge(r["group"]) or "–"),
                        ("index", "index", "n0"), ("participations", "participations", "n0"),
                        ("ec_eur", "EU funding (million EUR)", "n1"), ("eci", "complexity", "n2")])
    index = out / "index.html"
    index.write_text(render("Research profiles of Europe's regions", [
        {"html": '<p class="lead">Research profiles of European regions from Horizon 2020 participations and '
                 'Eurostat regional statistics. Click a region. Also: <a href="network.html">the collaboration '
                 "network</a>.</p>"},
        {"title": "Research performance groups", "html": map_section(a, "group", STATIC, picker=False)},
        {"title": "All regions", "html": listing}]), encoding="utf-8")
    from rok.web.pages import network_html

    (out / "network.html").write_text(render("Collaboration network of regions", [
        {"html": network_html(a, lambda c: f"{c}.html")}]), encoding="utf-8")
    return [index, *written]
