"""The profile commands end to end on the real mirror, and the HTML pages in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rok.cli.main import app

pytestmark = pytest.mark.mirror
runner = CliRunner()


def rok(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


def clean_failure(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize("command", [
    ["specialisation"], ["relatedness"], ["relatedness", "--method", "association"], ["density"],
    ["complexity"], ["complexity", "--domains"], ["complexity", "--method", "reflections"], ["performance"],
    ["clusters"], ["peers", "DE21"],
])
def test_every_command_gives_machine_readable_json(mirror_db, command):
    result = rok(*command, "--format", "json", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rows"] and set(doc["columns"]) == set(doc["rows"][0])
    assert "fractional counting" in doc["notes"]["selection"] or command[0] == "peers"


def test_csv_has_stable_columns(mirror_db):
    result = rok("specialisation", "--region", "DE21", "--format", "csv", "--level", "2", "--counting", "full",
                 "--db", mirror_db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "region,domain,value,share,rca,specialised"
    assert all(line.startswith("DE21,") for line in lines[1:])
    assert "# selection: NUTS 2, participations, full counting" in result.stderr


def test_complexity_methods_agree(mirror_db):
    eig = json.loads(rok("complexity", "--format", "json", "--db", mirror_db).stdout)["rows"]
    ref = json.loads(rok("complexity", "--method", "reflections", "--format", "json", "--db", mirror_db).stdout)["rows"]
    by_region = {r["region"]: r["eci"] for r in ref}
    assert all(abs(r["eci"] - by_region[r["region"]]) < 1e-6 for r in eig)


def test_performance_groups_and_peers(mirror_db):
    rows = json.loads(rok("performance", "--format", "json", "--db", mirror_db).stdout)["rows"]
    groups = {r["region"]: r["group"] for r in rows}
    assert {"leader", "strong", "moderate", "emerging"} <= set(groups.values())
    assert groups["DE21"] in ("leader", "strong") and groups["SE11"] in ("leader", "strong")
    peers = json.loads(rok("peers", "DE21", "--exclude-country", "--format", "json", "--db", mirror_db).stdout)["rows"]
    assert len(peers) == 10 and not any(p["peer"].startswith("DE") for p in peers)


@pytest.mark.parametrize(("args", "expected"), [
    (["specialisation", "--region", "XX99"], "unknown region"),
    (["peers", "ZZ12"], "unknown region"),
    (["profile", "QQ11"], "unknown region"),
    (["specialisation", "--years", "1990-1991"], "no participations in the selection"),
    (["specialisation", "--years", "soon"], "expected --years FROM-TO"),
    (["specialisation", "--level", "4"], "NUTS level must be one of 1, 2, 3"),
    (["specialisation", "--measure", "patents"], "measure must be one of participations, funding"),
    (["specialisation", "--counting", "half"], "counting must be one of"),
    (["specialisation", "--engine", "oracle"], "duckdb"),
    (["specialisation", "--format", "xml"], "unknown format"),
    (["relatedness", "--method", "jaccard"], "unknown relatedness method"),
    (["performance", "--level", "3"], "NUTS 2 regions only"),
    (["profile"], "give a region code"),
])
def test_bad_input_is_a_message_not_a_traceback(mirror_db, args, expected):
    message = clean_failure(rok(*args, "--db", mirror_db))
    assert expected in message


def test_missing_warehouse(tmp_path):
    message = clean_failure(rok("specialisation", "--db", tmp_path / "none.duckdb"))
    assert "rok ingest mirror" in message


def test_profile_text_and_html(mirror_db, tmp_path):
    result = rok("profile", "DE21", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    assert "Oberbayern" in result.stdout and "peer regions" in result.stdout
    page = tmp_path / "de21.html"
    assert rok("profile", "de21", "--html", page, "--db", mirror_db).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "Oberbayern" in html
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<script" not in html and "<link" not in html


@pytest.fixture(scope="module")
def site(mirror_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = rok("profile", "--all", "--out", out, "--db", mirror_db)
    assert result.exit_code == 0, result.output
    return out


def test_all_profiles_and_index(site):
    pages = sorted(p.name for p in site.glob("*.html"))
    assert "index.html" in pages and len(pages) > 300
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index.count('href="') > 300  # every region linked from the map and the table
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    assert size < 10 * 2**20, f"the static site is {size / 2**20:.1f} MiB"  # shared assets once, not per page
    assert sorted(p.name for p in site.iterdir() if p.is_dir()) == ["static"]
    assert 'href="static/rok.css"' in index


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")


def _headless(*args: str, user_dir: Path) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={user_dir}"]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=120)


def test_profile_renders_in_a_real_browser(site, tmp_path):
    dom = _headless("--dump-dom", (site / "DE21.html").as_uri(), user_dir=tmp_path / "a").stdout
    assert "Oberbayern: research profile" in dom
    assert dom.count("<path") > 30           # the map of the region's neighbourhood (all of Europe: index page)
    assert dom.count("<rect") > 17           # the specialisation bars
    # the policy quadrant is not offered on the programme parts (funding instruments): a stated gap
    assert "Not available: " in dom and "(h2020-part) classify funding instruments" in dom
    shot = tmp_path / "de21.png"
    _headless("--window-size=1280,2000", f"--screenshot={shot}", (site / "DE21.html").as_uri(), user_dir=tmp_path / "b")
    assert shot.exists() and shot.stat().st_size > 50_000  # a page with pictures, not a blank one
    index_dom = _headless("--dump-dom", (site / "index.html").as_uri(), user_dir=tmp_path / "c").stdout
    assert index_dom.count('href="') > 300


def test_complexity_states_its_diagnostics_and_the_taxonomy_gate(mirror_db):
    doc = json.loads(rok("complexity", "--format", "json", "--db", mirror_db).stdout)
    notes = doc["notes"]
    assert "taxonomy h2020-part (default fallback" in notes["selection"]
    assert "specialised with >= 5 participations" in notes["selection"]
    assert notes["taxonomy kind"] == "instrument" and "not offered as advice" in notes["not advice"]
    assert 0 <= notes["nodf (0-100)"] <= 100 and -1 <= notes["spearman eci~diversity"] <= 1
    assert notes["eigenvalue 2"] > notes["eigenvalue 3"] and notes["meaningful"] is False
    assert "Spearman" in notes["warnings"]
    theme = rok("complexity", "--taxonomy", "h2020-theme", "--min-mass", "0", "--format", "csv", "--db", mirror_db)
    assert theme.exit_code == 0, theme.output
    assert "# taxonomy kind: instrument" in theme.stderr and "# nodf (0-100): " in theme.stderr
    assert "only 9 domains" in theme.stderr


def test_profile_gates_advice_on_an_instrument_taxonomy(mirror_db):
    result = rok("profile", "DE21", "--format", "csv", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    assert "related opportunities,not available," in result.stdout
    assert "high risk" not in result.stdout and "low risk" not in result.stdout
# -- failures stay local; unexpected errors are one line and a log file ---------------------------


def _one_line_with_log(result) -> Path:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unexpected"), result.stderr
    log = Path(re.search(r"traceback in (\S+)\)$", lines[0]).group(1))  # type: ignore[union-attr]
    assert log.is_file() and "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
    return log


def test_a_failing_analysis_fails_only_where_it_is_needed(mirror_db, monkeypatch, tmp_path):
    import numpy as np

    import rok.analysis.profiles as profiles

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(profiles, "complexity", singular)
    monkeypatch.setattr(profiles, "cluster_stars", lambda x: pd_frame_error())
    log = _one_line_with_log(rok("complexity", "--db", mirror_db))
    assert "LinAlgError: Singular matrix" in log.read_text(encoding="utf-8")
    assert "command: " in log.read_text(encoding="utf-8")
    _one_line_with_log(rok("clusters", "--db", mirror_db))
    for command in (["specialisation"], ["performance"], ["peers", "DE21"]):
        assert rok(*command, "--format", "json", "--db", mirror_db).exit_code == 0
    result = rok("profile", "DE21", "--format", "json", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    rows = {(r["section"], r["item"]): r["detail"] if r["value"] is None else r["value"] for r in json.loads(result.stdout)["rows"]}
    assert rows[("cluster stars", "not available")] == "cluster stars failed: KeyError: 'stars'"
    assert ("specialisation (RCA)", "SC1") in rows and any(section == "peer regions" for section, _ in rows)
    page = tmp_path / "de21.html"
    assert rok("profile", "DE21", "--html", page, "--db", mirror_db).exit_code == 0
    assert "Not available: cluster stars failed: KeyError" in page.read_text(encoding="utf-8")
    # on a knowledge taxonomy the complexity gap is its failure, and the quadrant's (it needs the PCI)
    monkeypatch.setattr(profiles, "taxonomy_kind", lambda engine, taxonomy: "knowledge")
    rows = {(r["section"], r["item"]): r["detail"] if r["value"] is None else r["value"] for r in json.loads(
        rok("profile", "DE21", "--format", "json", "--db", mirror_db).stdout)["rows"]}
    assert rows[("complexity", "not available")] == "complexity failed: LinAlgError: Singular matrix"
    assert "Singular matrix" in rows[("related opportunities", "not available")]


def pd_frame_error():  # type: ignore[no-untyped-def]
    """A pandas error as an analysis would raise it: a missing column."""
    import pandas as pd

    return pd.DataFrame({"x": [1]})["stars"]


def test_a_rok_error_in_an_analysis_is_a_clear_message_and_a_gap(mirror_db, monkeypatch, tmp_path):
    import rok.analysis.profiles as profiles
    from rok.errors import InputError

    def no_indicators(*args, **kwargs):
        raise InputError("no indicator has values for 2 regions or more")

    monkeypatch.setattr(profiles, "performance_index", no_indicators)
    message = clean_failure(rok("performance", "--db", mirror_db))
    assert message.startswith("error: performance is not available for NUTS 2, participations")
    assert "no indicator has values" in message
    rows = json.loads(rok("profile", "DE21", "--format", "json", "--db", mirror_db).stdout)["rows"]
    gap = [r for r in rows if r["section"] == "performance"]
    assert len(gap) == 1 and gap[0]["item"] == "not available" and "no indicator has values" in gap[0]["detail"]
    page = tmp_path / "de21.html"
    assert rok("profile", "DE21", "--html", page, "--db", mirror_db).exit_code == 0
    assert "Performance index not available: performance is not available" in page.read_text(encoding="utf-8")


def test_instrument_taxonomy_is_not_advice(mirror_db):
    rows = json.loads(rok("profile", "DE21", "--format", "json", "--db", mirror_db).stdout)["rows"]
    gaps = {r["section"]: r["detail"] for r in rows if r["item"] == "not available"}
    assert set(gaps) == {"complexity", "related opportunities"}
    assert all("(h2020-part) classify funding instruments" in v for v in gaps.values())
    doc = json.loads(rok("density", "--format", "json", "--db", mirror_db).stdout)
    assert doc["rows"] and "not offered as advice" in doc["notes"]["not advice"]


def test_unexpected_error_outside_analyses(monkeypatch, tmp_path):
    import rok.cli.analysis as analysis

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(analysis, "compute", broken)
    log = _one_line_with_log(rok("specialisation", "--db", tmp_path / "x.duckdb"))
    assert log.parent.name == "logs" and "ZeroDivisionError" in log.read_text(encoding="utf-8")


def test_profile_states_the_placed_share_and_warns_below_the_average(mirror_db):
    low = rok("profile", "NO08", "--format", "json", "--db", mirror_db)
    assert low.exit_code == 0, low.output
    note = json.loads(low.stdout)["notes"]["placement"]
    assert "of NO's participations are placed in a region" in note and "more than the average" in note
    assert "warning: NO08's counts are likelier to be understated" in " ".join(low.stderr.split())
    high = rok("profile", "DE21", "--format", "json", "--db", mirror_db)
    assert "placement" in json.loads(high.stdout)["notes"] and "warning" not in high.stderr
