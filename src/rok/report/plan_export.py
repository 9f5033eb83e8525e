"""Exports of a plan document (the draft of :func:`rok.cooperation.agenda.draft_agenda`, or a
stored plan in the same shape) to Markdown, HTML with inline SVG charts, DOCX and PDF.

All four render the same sequence of blocks (:func:`plan_blocks`: headings, paragraphs,
lists and tables), so they say the same thing; the HTML adds charts of the evidence (the
priorities' RCA against 1, the indicators' baselines and targets, Horizon Europe projects
per programme part). DOCX is written with python-docx, PDF with fpdf2 (pure Python) using
the DejaVu Sans font where the system has it, else the PDF core font with the text folded
to Latin-1.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from rok.errors import InputError
from rok.report.svg import bars

__all__ = ["FORMATS", "export_plan", "plan_blocks", "to_docx", "to_html", "to_markdown", "to_pdf"]

FORMATS = (".md", ".html", ".docx", ".pdf", ".json")
CREDIT = ("Data: CORDIS (EU research projects, Horizon 2020 and Horizon Europe) and Eurostat regional statistics, "
          "© European Union, CC BY 4.0; NUTS boundaries © EuroGeographics (GISCO). Horizon 2020 tables repackaged by "
          "zambujo/eunets and spaghetti-open-data/ODFest2017-horizon2020-network (MIT); Horizon Europe bulk files as copied "
          "in VoteVeto2/MDA_project and MichaelCarloH/Horizon-Europe-MDA; regional R&D panel by Honti, Czvetko and "
          "Abonyi (2020), paezha/edashop (CC BY 4.0).")
_SWOT = (("strength", "Strengths"), ("weakness", "Weaknesses"), ("opportunity", "Opportunities"), ("threat", "Threats"))
Block = tuple[str, Any]


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _evidence(ev: Mapping[str, Any] | None) -> str:
    return "; ".join(f"{k} {_fmt(v)}" for k, v in (ev or {}).items())


def _partner(p: Any) -> str:
    if not isinstance(p, Mapping):
        return str(p)
    where = ", ".join(str(x) for x in (p.get("region"), p.get("type")) if x)
    return f"{p.get('name') or p.get('org_id')} ({where})" if where else str(p.get("name"))


def plan_blocks(doc: Mapping[str, Any]) -> list[Block]:
    """The document as blocks: ``("h1"|"h2"|"h3"|"p", text)``, ``("ul", [text])``,
    ``("table", (header, rows))`` and ``("chart", name)`` (charts only in HTML)."""
    for key in ("title", "scope", "evidence"):
        if key not in doc:
            raise InputError("not a plan document: a key is missing", column=key)
    ev, scope = doc["evidence"] or {}, doc["scope"] or {}  # a plan written by hand may have neither
    names = scope.get("names") or {}
    out: list[Block] = [("h1", doc["title"])]
    out.append(("p", f"Scope: {scope.get('type', 'not set')} — " + ", ".join(f"{r} {names.get(r, '')}".strip()
                                                           for r in scope.get("regions", []))
                + (f"; cluster {', '.join(str(c) for c in scope['clusters'])}" if scope.get("clusters") else "")))
    out.append(("p", f"Evidence: warehouse load {ev.get('load_id')}; selection {ev.get('selection')}; "
                     f"generated {ev.get('generated_at')}." if ev else "Evidence: none recorded (written by hand)."))
    if doc.get("notes"):
        out += [("h2", "Notes"), ("ul", list(doc["notes"]))]
    out.append(("h2", "SWOT"))
    for category, heading in _SWOT:
        items = [i for i in (doc.get("swot") or []) if i["category"] == category]
        out.append(("h3", heading))
        out.append(("ul", [f"{i['text']} [{_evidence(i.get('evidence'))}]" for i in items] or ["none found in the data"]))
    out += [("h2", "Priorities"), ("chart", "rca")]
    for p in (doc.get("priorities") or []):
        out.append(("h3", p["title"]))
        out.append(("p", f"Domains: {', '.join(p['domains'])}. {p['rationale']}"))
        out.append(("p", f"Evidence: {_evidence(p.get('evidence'))}"))
    out.append(("h2", "Action plan"))
    for a in (doc.get("actions") or []):
        out.append(("h3", a["title"]))
        out.append(("p", a.get("description") or ""))
        out.append(("table", (["", ""], [
            ["Priority", _fmt(a.get("priority"))], ["Owner (proposed)", _fmt(a.get("owner"))],
            ["Period", f"{a.get('start')} to {a.get('end')}"],
            ["Budget", "to be set" if a.get("budget") is None else _fmt(a["budget"])],
            ["Funding sources", "; ".join(a.get("funding_sources") or []) or "—"],
            ["Status", _fmt(a.get("status"))],
            ["Milestones", "; ".join(f"{m['title']} ({m.get('due')})" for m in a.get("milestones") or []) or "—"],
        ])))
        if a.get("partners"):
            out.append(("ul", [_partner(p) for p in a["partners"]]))
    out += [("h2", "Indicators"), ("chart", "indicators")]
    rows = []
    for i in (doc.get("indicators") or []):
        src = i.get("source") or {}
        source = "entered by hand" if src.get("manual") else f"{src.get('measure')} {json.dumps(src.get('params') or {})}"
        base, target = i.get("baseline"), i.get("target")
        rows.append([i["name"], i["type"], i.get("unit") or "", source,
                     f"{_fmt(base['value'])} ({base['year']})" if base else "no data",
                     f"{_fmt(target['value'])} ({target['year']})" if target else "to be set", _fmt(i.get("priority"))])
    out.append(("table", (["Indicator", "Type", "Unit", "Source", "Baseline", "Target", "Priority"], rows)))
    if doc.get("risks"):
        out += [("h2", "Risks"), ("ul", [f"{r['text']} — mitigation: {r.get('mitigation')}" for r in doc["risks"]])]
    if doc.get("governance"):
        out += [("h2", "Governance"), ("ul", [f"{k.replace('_', ' ')}: {', '.join(str(x) for x in v) if isinstance(v, list) else _fmt(v)}"
                                              for k, v in doc["governance"].items()])]
    if doc.get("landscape"):
        out += [("h2", "Horizon Europe landscape (2021–2024 calls)"), ("chart", "landscape")]
        for land in doc["landscape"]:
            out.append(("h3", f"{land.get('priority')}: {land['projects']} projects ({land.get('source')})"))
            out.append(("table", (["Programme part", "Projects", *[str(y) for y in range(land['years'][0], land['years'][1] + 1)]],
                                  [[f"{h['part']} {h['title']}", str(h["projects"]), *[str(v) for v in h["by_year"].values()]]
                                   for h in land["horizon_parts"]])))
            out.append(("ul", [f"topic {t['topic']} ({t['projects']} projects){': ' + t['title'] if t.get('title') else ''}"
                               for t in land["topics"]] + [f"field {f['field']} ({f['projects']} projects)"
                                                           for f in land["fields"]]))
    out += [("h2", "Sources"), ("p", CREDIT)]
    return out


# -- Markdown ------------------------------------------------------------------------------
def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for kind, body in plan_blocks(doc):
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + body, ""]
        elif kind == "p":
            lines += [body, ""]
        elif kind == "ul":
            lines += [f"- {item}" for item in body] + [""]
        elif kind == "table":
            header, rows = body
            lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


# -- HTML ----------------------------------------------------------------------------------
def _charts(doc: Mapping[str, Any]) -> dict[str, str]:
    rca = []
    for p in (doc.get("priorities") or []):
        for key, value in (p.get("evidence") or {}).items():
            if (key == "rca" or key.endswith("_rca")) and value is not None:
                who = "" if key == "rca" else f" {key[:-4]}"
                rca.append((f"{', '.join(p['domains'])}{who}", float(value)))
    charts = {"rca": bars(rca, reference=1.0, title="RCA of the priorities (1 = European average)")}
    parts = []
    for i in (doc.get("indicators") or []):
        if i["type"] != "result" or not i.get("baseline"):
            continue
        base = i["baseline"]
        items = [(f"{h['year']}{' (baseline)' if h['year'] == base['year'] else ''}", float(h["value"]))
                 for h in i.get("history") or [] if h.get("value") is not None]
        if not any(label.endswith("(baseline)") for label, _ in items):
            items.append((f"baseline {base['year']}", float(base["value"])))
        if i.get("target"):
            items.append((f"target {i['target']['year']}", float(i["target"]["value"])))
        parts.append(f"<h4>{escape(i['name'])} ({escape(i.get('unit') or '')})</h4>"
                     + bars(items, value_format="{:,.3g}", title=i["name"], bar_height=14)
                     + ("" if i.get("target") else '<p class="note">target to be set</p>'))
    charts["indicators"] = "".join(parts)
    land = [(f"{h['part']} {h['title']}", float(h["projects"])) for x in (doc.get("landscape") or [])
            for h in x["horizon_parts"]]
    unique = list(dict.fromkeys(land))
    charts["landscape"] = bars(unique, value_format="{:,.0f}", title="Horizon Europe projects per programme part")
    return charts


def to_html(doc: Mapping[str, Any]) -> str:
    charts = _charts(doc)
    body: list[str] = []
    for kind, content in plan_blocks(doc):
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{escape(content)}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{escape(content)}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{escape(str(i))}</li>" for i in content) + "</ul>")
        elif kind == "table":
            header, rows = content
            head = "" if not any(header) else "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead>"
            cells = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table>{head}<tbody>{cells}</tbody></table>")
        elif kind == "chart":
            body.append(f'<figure class="chart" data-chart="{content}">{charts.get(content, "")}</figure>')
    style = ("body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
             "vertical-align:top;font-size:.9em}h4{margin:.6em 0 .2em;font-size:.95em}.note{color:#666}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(doc["title"])}</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")


# -- DOCX ----------------------------------------------------------------------------------
def to_docx(doc: Mapping[str, Any], path: str | Path) -> Path:
    import docx

    document = docx.Document()
    for kind, content in plan_blocks(doc):
        if kind in ("h1", "h2", "h3"):
            document.add_heading(content, level=int(kind[1]) - 1)
        elif kind == "p":
            document.add_paragraph(content)
        elif kind == "ul":
            for item in content:
                document.add_paragraph(str(item), style="List Bullet")
        elif kind == "table":
            header, rows = content
            table = document.add_table(rows=0, cols=len(header))
            table.style = "Table Grid"
            for row in ([header] if any(header) else []) + rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = str(text)
    path = Path(path)
    document.save(str(path))
    return path


# -- PDF -----------------------------------------------------------------------------------
_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf")


_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe", "ı": "i",
                                   "—": "-", "–": "-", "…": "...", "•": "-", "’": "'", "“": '"', "”": '"'})


def _latin1(text: str) -> str:
    """Text for the PDF core font: Latin-1 kept, other letters folded to their base letter."""
    return "".join(c if ord(c) < 256 else unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or "?"
                   for c in text.translate(_NO_DECOMPOSITION))


def to_pdf(doc: Mapping[str, Any], path: str | Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    font = next((f for f in _FONTS if Path(f).exists()), None)
    if font:
        pdf.add_font("body", "", font)
        bold = font.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
        pdf.add_font("body", "B", bold if Path(bold).exists() else font)
        family, clean = "body", (lambda s: s)
    else:
        family, clean = "Helvetica", _latin1
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    sizes = {"h1": 16, "h2": 13, "h3": 11}
    for kind, content in plan_blocks(doc):
        pdf.set_x(pdf.l_margin)
        if kind in sizes:
            pdf.set_font(family, "B", sizes[kind])
            pdf.multi_cell(width, sizes[kind] * 0.5, clean(content))
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font(family, "", 9)
            pdf.multi_cell(width, 4.5, clean(content))
            pdf.ln(1)
        elif kind == "ul":
            pdf.set_font(family, "", 9)
            for item in content:
                pdf.set_x(pdf.l_margin)
                pdf.multi_cell(width, 4.5, clean(f"• {item}" if font else f"- {item}"))
            pdf.ln(1)
        elif kind == "table":
            header, rows = content
            pdf.set_font(family, "", 7.5)
            with pdf.table(first_row_as_headings=any(header), text_align="LEFT", line_height=3.8) as table:
                for row in ([header] if any(header) else []) + rows:
                    cells = table.row()
                    for text in row:
                        cells.cell(clean(str(text)))
            pdf.ln(2)
    path = Path(path)
    pdf.output(str(path))
    return path


def export_plan(doc: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``doc`` to ``path`` in the format of its suffix (:data:`FORMATS`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"unknown export format; expected one of {', '.join(FORMATS)}", file=str(path),
                         value=suffix or "(none)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".md":
        path.write_text(to_markdown(doc), encoding="utf-8")
    elif suffix == ".html":
        path.write_text(to_html(doc), encoding="utf-8")
    elif suffix == ".json":
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    elif suffix == ".docx":
        to_docx(doc, path)
    else:
        to_pdf(doc, path)
    return path


def section_titles(doc: Mapping[str, Any]) -> Iterable[str]:
    """The headings of the document, in order (what every export shows)."""
    return [content for kind, content in plan_blocks(doc) if kind in ("h1", "h2", "h3")]
