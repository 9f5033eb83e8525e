"""The cooperation commands end to end on the real mirror."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from rok.cli.main import app
from tests.test_cli_profiles import _headless

pytestmark = pytest.mark.mirror
runner = CliRunner()


def rok(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):  # type: ignore[no-untyped-def]
    """The partner index is stored in a cache of this test module, not the user's."""
    monkeypatch.setenv("ROK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def test_mentoring_assigns_every_mentee_across_borders(mirror_db, tmp_path):
    page = tmp_path / "mentoring.html"
    result = rok("mentoring", "--format", "json", "--html", page, "--db", mirror_db)
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)["rows"]
    mentees = [p["mentee"] for p in pairs]
    assert len(mentees) == len(set(mentees)) > 100
    assert all(p["mentee"][:2] != p["mentor"][:2] for p in pairs)
    assert all(p["domains_to_work_on"] for p in pairs)
    order = ("leader", "strong", "moderate", "emerging")
    for p in pairs:  # both sides' standing shown, the mentor's main group above the mentee's
        assert p["mentor_index"] > 0 and p["mentee_index"] > 0
        assert order.index(p["mentor_group"].rstrip("+-")) < order.index(p["mentee_group"].rstrip("+-"))
        assert p["standing"].startswith(f"mentor {p['mentor_group']} (index ")
    assert "strictly above" in json.loads(result.stdout)["notes"]["eligibility"]
    assert "mentee_group" in page.read_text(encoding="utf-8")
    dom = _headless("--dump-dom", page.as_uri(), user_dir=tmp_path / "u").stdout
    assert dom.count("<line") == len(pairs)


def test_explicit_lists_and_capacity(mirror_db, tmp_path):
    (tmp_path / "mentees.txt").write_text("# a real programme\nRO11\nBG31\nPL84\nHR03\n", encoding="utf-8")
    (tmp_path / "mentors.csv").write_text("region,note\nDE21,\nFR10,\nNL33,\n", encoding="utf-8")
    (tmp_path / "exclude.csv").write_text("mentee,mentor\nRO11,DE21\n", encoding="utf-8")
    result = rok("mentoring", "--mentees", tmp_path / "mentees.txt", "--mentors", tmp_path / "mentors.csv",
                 "--capacity", "2", "--exclude", tmp_path / "exclude.csv", "--format", "json", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)["rows"]
    assert sorted(p["mentee"] for p in pairs) == ["BG31", "HR03", "PL84", "RO11"]
    load = {}
    for p in pairs:
        load[p["mentor"]] = load.get(p["mentor"], 0) + 1
    assert max(load.values()) <= 2
    assert ("RO11", "DE21") not in {(p["mentee"], p["mentor"]) for p in pairs}


@pytest.mark.parametrize(("mentees", "mentors", "extra", "expected"), [
    ("RO11\nBG31\nPL84\n", "", [], "empty"),
    ("RO11\nDE21\n", "DE21\nFR10\n", [], "DE21"),
    ("RO11\nBG31\nPL84\n", "DE21\n", ["--capacity", "1"], "cannot be placed"),
    ("RO11\nQQ99\n", "DE21\n", [], "QQ99"),
    ("DE80\n", "DE11\n", [], "no allowed mentor"),  # a moderate region, a leader of its own country
    ("DE11\n", "DE80\n", [], "no mentor is in a higher performance group than mentee DE11"),
])
def test_mentoring_bad_input(mirror_db, tmp_path, mentees, mentors, extra, expected):
    (tmp_path / "a.txt").write_text(mentees, encoding="utf-8")
    (tmp_path / "b.txt").write_text(mentors, encoding="utf-8")
    result = rok("mentoring", "--mentees", tmp_path / "a.txt", "--mentors", tmp_path / "b.txt", *extra,
                 "--db", mirror_db)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert expected in result.stderr


def test_complementarity_untapped_partners(mirror_db):
    def rows(*args: object) -> list[dict]:
        result = rok(*args, "--format", "json", "--db", mirror_db)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["rows"]

    comp = rows("complementarity", "DE21", "--direction", "mutual", "--k", "5")
    assert len(comp) == 5 and comp[0]["score"] >= comp[-1]["score"] and "DE21" not in {c["partner"] for c in comp}
    gaps = rows("untapped", "--region", "DE21", "--k", "10")
    assert gaps and all(g["observed"] < g["expected"] and g["region_a"] == "DE21" for g in gaps)
    assert all(g["expected"] >= 1 and g["name_a"] == "Oberbayern" and g["name_b"] for g in gaps)
    assert [g["score"] for g in gaps] == sorted((g["score"] for g in gaps), reverse=True)
    assert all(abs(g["score"] - g["complementarity"] * (g["expected"] - g["observed"]) / g["expected"] ** 0.5)
               < 1e-9 for g in gaps)
    hits = rows("partners", "DE21", "--domain", "SC1", "--type", "PRC", "--type", "REC", "--k", "15")
    assert len(hits) == 15
    assert all(h["type"] in ("PRC", "REC") and h["region"] != "DE21" and h["reasons"] for h in hits)


def test_partners_defaults_and_stored_index(mirror_db, tmp_path, monkeypatch):
    monkeypatch.setenv("ROK_CACHE", str(tmp_path))

    def search(*extra: object) -> dict:
        result = rok("partners", "DE21", "--domain", "SC1", *extra, "--format", "json", "--db", mirror_db)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    cold = search()
    warm = search()
    assert cold["notes"]["index"].startswith("built for loads up to #")
    assert warm["notes"]["index"].startswith("stored for loads up to #")
    assert cold["rows"] == warm["rows"] and len(list(tmp_path.glob("partners/partners-*.npz"))) == 1
    hits = warm["rows"]
    assert len(hits) == 20 and {h["type"] for h in hits} <= {"HES", "REC", "PRC"}
    assert all(h["city"] and h["projects"] >= 1 and h["latest"] >= 2014 and h["umbrella"] == "" for h in hits)
    everyone = search("--type", "all", "--umbrella", "--k", "300")["rows"]
    assert {h["type"] for h in everyone} - {"HES", "REC", "PRC"}  # other types are searched when asked
    spread = search("--per-region", "2")["rows"]
    counts = pd.Series([h["region"] for h in spread]).value_counts()
    assert len(spread) == 20 and counts.max() <= 2


@pytest.mark.parametrize(("args", "expected"), [
    (["complementarity", "ZZ11"], "unknown region"),
    (["complementarity", "DE21", "--direction", "up"], "unknown direction"),
    (["partners", "DE21", "--domain", "XX"], "unknown domain"),
    (["partners", "DE21", "--domain", "SC1", "--type", "robots"], "unknown actor type"),
    (["partners", "QQ11", "--domain", "SC1"], "unknown region"),
    (["partners", "DE21", "--domain", "SC1", "--per-region", "0"], "--per-region"),
    (["untapped", "--region", "XX00"], "unknown region"),
])
def test_search_bad_input(mirror_db, args, expected):
    result = rok(*args, "--db", mirror_db)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert expected in result.stderr
