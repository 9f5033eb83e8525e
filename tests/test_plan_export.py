"""Plan exports reopened and read back: Markdown text, HTML parsed, DOCX with python-docx, PDF
text extracted with pypdf."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from rok.errors import InputError
from rok.report.plan_export import export_plan, section_titles, to_html, to_markdown

PLAN: dict[str, Any] = {
    "kind": "joint_action_plan",
    "title": "Joint action plan: PL71 Łódzkie and RO32 Bucureşti-Ilfov",
    "scope": {"type": "consortium", "regions": ["PL71", "RO32"], "clusters": [],
              "names": {"PL71": "Łódzkie", "RO32": "Bucureşti-Ilfov"}},
    "evidence": {"load_id": 21, "selection": "NUTS 2, participations, fractional counting", "generated_at": "2026-01-01"},
    "swot": [
        {"category": "strength", "text": "PL71: specialised in SC2 (RCA 1.84)", "evidence": {"rca": 1.84, "stars": 2}},
        {"category": "weakness", "text": "RO32: tertiary attainment 23.9 below 34.7", "evidence": {"value": 23.9}},
        {"category": "threat", "text": "PL71: the top three take 61.2% | of participations",
         "evidence": {"top3_share": 0.612}},
    ],
    "priorities": [
        {"title": "Food security (complementary)", "domains": ["SC2"], "rationale": "PL71 specialised, RO32 not yet",
         "evidence": {"PL71_rca": 1.84, "RO32_rca": 0.42, "load_id": 21}},
        {"title": "Health (shared strength)", "domains": ["SC1"], "rationale": "both specialised",
         "evidence": {"PL71_rca": 1.21, "RO32_rca": 1.07, "load_id": 21}},
    ],
    "actions": [
        {"title": "Joint research projects in food security", "description": "Prepare joint proposals.",
         "priority": "Food security (complementary)", "owner": "Uniwersytet Łódzki (999, PL71)",
         "partners": [{"org_id": "1", "name": "Institutul Național", "type": "REC", "region": "RO32"}],
         "start": "2027-01-01", "end": "2029-12-31", "budget": None,
         "funding_sources": ["Horizon Europe HORIZON.2.6 (suggested)"], "status": "proposed",
         "milestones": [{"title": "Partners | confirmed", "due": "2027-04-01"}]},
    ],
    "indicators": [
        {"name": "FP participations in SC2", "type": "result", "unit": "participations", "direction": "increase",
         "source": {"measure": "domain_participations", "params": {"domain": "SC2"}},
         "baseline": {"year": 2020, "value": 12.5}, "target": {"year": 2030, "value": 20.0},
         "priority": "Food security (complementary)"},
        {"name": "GERD, % of GDP", "type": "result", "unit": "% of GDP", "direction": "increase",
         "source": {"measure": "gerd_pct_gdp", "params": {}}, "baseline": {"year": 2023, "value": 1.19},
         "target": None, "priority": None,
         "history": [{"year": 2021, "value": 1.1}, {"year": 2022, "value": 1.15}, {"year": 2023, "value": 1.19}]},
        {"name": "Joint proposals submitted", "type": "output", "unit": "proposals", "direction": "increase",
         "source": {"manual": True}, "baseline": {"year": 2026, "value": 0}, "target": None, "priority": None},
    ],
    "risks": [{"text": "dependence on few organisations", "mitigation": "widen the partnership", "evidence": {}}],
    "governance": {"lead": "Uniwersytet Łódzki (999, PL71)", "steering_group": ["a", "b"]},
    "landscape": [{"priority": "Food security (complementary)", "domains": ["SC2"], "projects": 721,
                   "horizon_parts": [{"part": "HORIZON.2.6", "title": "Food, Bioeconomy", "projects": 721,
                                      "by_year": {2021: 200, 2022: 250, 2023: 200, 2024: 71}}],
                   "topics": [{"topic": "HORIZON-CL6-2022-FARM2FORK-01-01", "title": "Farm", "projects": 9}],
                   "fields": [{"field": "agricultural sciences/agriculture", "projects": 300}],
                   "years": [2021, 2024], "source": "mirror files cordis/horizon", "unmapped": []}],
    "notes": ["taxonomy h2020-part classifies funding instruments"],
}
EXPECTED = ["Łódzkie", "RCA 1.84", "tertiary attainment 23.9", "Food security (complementary)",
            "Uniwersytet Łódzki", "Institutul Național (RO32, REC)", "12.5 (2020)", "20 (2030)", "to be set",
            "HORIZON-CL6-2022-FARM2FORK-01-01", "CC BY 4.0"]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.text: list[str] = []
        self.rect_titles: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.rect_titles.append(data)


def test_markdown(tmp_path: Path) -> None:
    text = export_plan(PLAN, tmp_path / "plan.md").read_text(encoding="utf-8")
    assert text == to_markdown(PLAN)
    assert text.startswith("# Joint action plan: PL71 Łódzkie")
    for heading in ("## SWOT", "### Strengths", "### Opportunities", "## Priorities", "## Action plan",
                    "## Indicators", "## Horizon Europe landscape (2021–2024 calls)"):
        assert f"\n{heading}\n" in text
    for snippet in EXPECTED:
        assert snippet in text, snippet
    assert "Partners \\| confirmed (2027-04-01)" in text  # a pipe in a cell does not break the table
    assert "| FP participations in SC2 | result | participations |" in text


def test_html_parses_with_charts(tmp_path: Path) -> None:
    html = export_plan(PLAN, tmp_path / "plan.html").read_text(encoding="utf-8")
    assert html == to_html(PLAN)
    parsed = _Collect()
    parsed.feed(html)
    text = "".join(parsed.text)
    for snippet in EXPECTED:
        assert snippet in text, snippet
    assert parsed.tags["h1"] == 1 and parsed.tags["h2"] == len([t for t in section_titles(PLAN)]) - 1 - parsed.tags["h3"]
    assert parsed.tags["svg"] == 4  # RCA bars, two indicator charts, landscape bars
    # the RCA chart: one bar per priority and region, its value in the tooltip
    assert "SC2 PL71: 1.84" in parsed.rect_titles and "SC1 RO32: 1.07" in parsed.rect_titles
    assert "target 2030: 20" in parsed.rect_titles and "baseline 2020: 12.5" in parsed.rect_titles
    assert {"2021: 1.1", "2022: 1.15", "2023 (baseline): 1.19"} <= set(parsed.rect_titles)  # the measured series
    assert "HORIZON.2.6 Food, Bioeconomy: 721" in parsed.rect_titles
    assert parsed.tags["table"] == 3


def test_docx_reads_back(tmp_path: Path) -> None:
    import docx

    document = docx.Document(str(export_plan(PLAN, tmp_path / "plan.docx")))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    text = "\n".join(paragraphs + cells)
    for snippet in EXPECTED:
        assert snippet in text, snippet
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == list(section_titles(PLAN))
    assert len(document.tables) == 3
    assert ["Indicator", "Type", "Unit", "Source", "Baseline", "Target", "Priority"] == \
        [c.text for c in document.tables[1].rows[0].cells]


def test_pdf_text_extracts(tmp_path: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(export_plan(PLAN, tmp_path / "plan.pdf")))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for snippet in ("Joint action plan", "SWOT", "RCA 1.84", "Food security (complementary)", "to be set",
                    "HORIZON.2.6", "CC BY 4.0"):
        assert snippet in text, snippet
    assert "Łódzkie" in text or "Lódzkie" in text  # DejaVu where present, else folded to Latin-1


def test_pdf_without_a_unicode_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader

    from rok.report import plan_export

    monkeypatch.setattr(plan_export, "_FONTS", ("/nonexistent/font.ttf",))
    reader = PdfReader(str(export_plan(PLAN, tmp_path / "plan.pdf")))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert "Lódzkie" in text and "Bucuresti" in text  # Ł and ş have no Latin-1 form: folded to L and s


def test_json_round_trip(tmp_path: Path) -> None:
    import json

    assert json.loads(export_plan(PLAN, tmp_path / "plan.json").read_text(encoding="utf-8"))["title"] == PLAN["title"]


def test_bad_format_and_document(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown export format"):
        export_plan(PLAN, tmp_path / "plan.txt")
    with pytest.raises(InputError, match="column 'scope'"):
        to_markdown({"title": "x"})
    assert not (tmp_path / "plan.txt").exists()


@pytest.mark.parametrize("suffix", ["md", "html", "docx", "pdf"])
def test_a_plan_written_by_hand_exports(tmp_path: Path, suffix: str) -> None:
    """A plan made by hand (no analysis behind it) has no evidence, landscape or SWOT: the
    export says so instead of failing."""
    doc = {"title": "Hand-written plan for Podkarpackie", "scope": {"type": "region", "regions": ["PL82"]},
           "evidence": None, "landscape": None, "swot": None, "priorities": None, "actions": None,
           "indicators": None, "risks": None, "governance": None}
    text = to_markdown(doc)
    assert "Evidence: none recorded (written by hand)." in text
    assert "none found in the data" in text and "## Indicators" in text
    path = export_plan(doc, tmp_path / f"plan.{suffix}")
    assert path.stat().st_size > 0
