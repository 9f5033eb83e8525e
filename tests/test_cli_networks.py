"""The network commands end to end on the real mirror, exports read back, the page in a browser."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from rok.cli.main import app
from tests.test_cli_profiles import _headless

pytestmark = pytest.mark.mirror
runner = CliRunner()


def rok(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def rows(*args: object) -> list[dict]:
    result = rok(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_region_network_covers_every_placed_region(mirror_db):
    import duckdb

    edges = rows("network", "regions", "--db", mirror_db)
    regions = {e["source"] for e in edges} | {e["target"] for e in edges}
    with duckdb.connect(str(mirror_db), read_only=True) as con:
        placed = {r[0] for r in con.execute(
            """SELECT DISTINCT o.nuts2 FROM organisations o JOIN participations p USING (org_id)
               JOIN (SELECT project_id FROM participations GROUP BY 1 HAVING count(DISTINCT org_id) > 1) USING (project_id)
               WHERE o.nuts2 IS NOT NULL""").fetchall()}
    assert placed <= regions
    loops = [e for e in edges if e["internal"]]
    assert loops and all(e["source"] == e["target"] for e in loops)


def test_gravity_distance_coefficient_has_a_standard_error(mirror_db):
    table = {r["term"]: r for r in rows("gravity", "--db", mirror_db)}
    distance = table["log_distance"]
    assert distance["coef"] < 0 and 0 < distance["se"] < abs(distance["coef"])
    pairs = rows("gravity", "--pairs", "--db", mirror_db)
    assert {"observed", "expected", "ratio"} <= set(pairs[0])


def test_communities_centrality_brokerage_integration(mirror_db):
    result = rok("communities", "--format", "json", "--db", mirror_db)
    doc = json.loads(result.stdout)
    assert 0 < doc["notes"]["modularity"] < 1 and doc["notes"]["communities"] >= 2
    central = rows("centrality", "--db", mirror_db)
    assert central[0]["strength"] >= central[-1]["strength"]
    brokers = rows("brokerage", "--db", mirror_db)
    assert all(b["representative"] == b["gatekeeper"] for b in brokers)
    integration = rows("integration", "--db", mirror_db)
    assert all(0 <= r["local_tie_share"] <= 1 for r in integration if r["local_tie_share"] is not None)
    compared = rows("integration", "DE21", "--db", mirror_db)
    assert {"indicator", "value", "peer_mean", "rank"} <= set(compared[0])


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_exports_read_back_in_networkx(mirror_db, tmp_path, suffix):
    path = tmp_path / f"net{suffix}"
    result = rok("network", "regions", "--domain", "SC1", "--export", path, "--format", "json", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    edges = json.loads(result.stdout)["rows"]
    graph = nx.read_graphml(path) if suffix == ".graphml" else nx.read_gexf(path)
    assert graph.number_of_edges() == len(edges)
    assert all("community" in data for _, data in graph.nodes(data=True))


@pytest.mark.parametrize(("args", "expected"), [
    (["network", "planets"], "unknown network"),
    (["network", "regions", "--domain", "XX"], "no domain of taxonomy h2020-part"),
    (["network", "regions", "--years", "1990-1991"], "data exist for projects starting"),
    (["network", "regions", "--measure", "funding"], "No such option"),
    (["network", "regions", "--export", "net.png"], ".graphml or .gexf"),
    (["integration", "ZZ99"], "no region with this code or name"),
    (["centrality", "--network", "cities"], "unknown network"),
])
def test_bad_input(mirror_db, args, expected):
    result = rok(*args, "--db", mirror_db)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert expected in result.output + result.stderr


def test_network_page_in_a_browser(mirror_db, tmp_path):
    page = tmp_path / "network.html"
    assert rok("network", "regions", "--html", page, "--db", mirror_db).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", "")
    dom = _headless("--dump-dom", page.as_uri(), user_dir=tmp_path / "u").stdout
    assert dom.count("<circle") > 250 and dom.count("<line") > 500


def test_organisations_are_named_with_city_and_region(mirror_db):
    edges = rows("network", "organisations", "--domain", "Secure, clean and efficient energy", "--db", mirror_db)
    first = edges[0]
    assert {"source_name", "source_city", "source_country", "source_region", "target_name"} <= set(first)
    import duckdb

    with duckdb.connect(str(mirror_db), read_only=True) as con:
        names = dict(con.execute("SELECT org_id, name FROM organisations").fetchall())
    assert all(e["source_name"] == names[e["source"]] for e in edges[:2000])  # the warehouse's name, if any
    assert sum(bool(e["source_name"]) for e in edges) > 0.5 * len(edges)
    # one domain's organisation network keeps the test short (the whole one takes ~45 s a call)
    central = rows("centrality", "--network", "organisations", "--domain", "SC3", "--db", mirror_db)
    assert central[0]["node_name"] and central[0]["node_city"]
    text = rok("centrality", "--network", "organisations", "--domain", "SC3", "--db", mirror_db).stdout
    top = central[0]
    assert top["node_name"].split()[0] in text and f"{top['node_region']} " in text  # "Name (City, CODE Region)"


def test_html_is_refused_where_no_page_exists(mirror_db, tmp_path):
    page = tmp_path / "orgs.html"
    result = rok("network", "organisations", "--domain", "SC3", "--html", page, "--db", mirror_db)
    assert result.exit_code == 1 and "--html draws the region network only" in result.stderr
    assert not page.exists()


def test_brokerage_is_read_against_its_expectation(mirror_db):
    table = rows("brokerage", "--db", mirror_db)
    for role in ("coordinator", "itinerant", "representative", "gatekeeper", "liaison"):
        assert {role, f"{role}_expected", f"{role}_ratio"} <= set(table[0])
    big = table[0]
    ratio = big["liaison"] / big["liaison_expected"]
    assert big["liaison_ratio"] == pytest.approx(ratio)
    # the expectations of one region add up to its open two-paths
    expected = sum(big[f"{r}_expected"] for r in ("coordinator", "itinerant", "representative", "gatekeeper",
                                                  "liaison"))
    assert expected == pytest.approx(big["total"])


def test_communities_are_described(mirror_db):
    doc_rows = rows("communities", "--db", mirror_db)
    assert {"community", "nodes", "participations", "top_regions", "top_domains"} <= set(doc_rows[0])
    assert all(r["top_regions"] for r in doc_rows)
    members = rows("communities", "--members", "--db", mirror_db)
    assert {"node", "node_name", "community"} <= set(members[0])
    assert sum(r["nodes"] for r in doc_rows) == len(members)
