"""The cluster registry on the tiny warehouse: add, edit, triple helix, CSV import, proposals, profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from rok.errors import InputError
from rok.workspace import ConflictError, Workspace
from rok.workspace.clusters import (
    add_cluster,
    cluster_profile,
    cluster_summary,
    edit_cluster,
    import_clusters_csv,
    list_clusters,
    propose_clusters,
    store_proposal,
    triple_helix,
)
from rok.workspace.models import Cluster


def test_add_and_triple_helix(workspace: Workspace, tiny_warehouse: Path) -> None:
    with workspace.session() as s:
        mixed = add_cluster(s, tiny_warehouse, name="AA research", regions=["aa11"], domains=["D1", "h2020-part:D2"],
                            members=["o1", "o2"], organisation_id="o1")
        firms = add_cluster(s, tiny_warehouse, name="Firms only", regions=["AA11", "AA12"], members=["o2", "o3"])
        assert triple_helix(mixed) == {"types": ["HES", "PRC"], "counts": {"HES": 1, "PRC": 1},
                                       "helices": ["industry", "research"], "ok": True, "complete": False}
        assert triple_helix(firms)["ok"] is False
        summary = cluster_summary(mixed)
    assert summary["regions"] == ["AA11"] and summary["domains"] == ["h2020-part:D1", "h2020-part:D2"]
    assert [m["actor_type"] for m in summary["members"]] == ["HES", "PRC"]


def test_profile_from_members_participations(workspace: Workspace, tiny_warehouse: Path) -> None:
    with workspace.session() as s:
        cluster = add_cluster(s, tiny_warehouse, name="AA11", regions=["AA11"], members=["o1", "o2"])
        profile = cluster_profile(cluster, tiny_warehouse)
    # o1 in P1, P4, P6 and o2 in P1, P3: 5 participations in 4 projects; EC 100 + 40 + 1 + 50 + 10
    assert (profile["participations"], profile["projects"], profile["funding"]) == (5, 4, 201.0)
    assert profile["years"] == {2015: 2, 2016: 2, 2018: 1}
    # D1: P1 twice, P4, P6 (weight 1); D2: P3
    assert profile["domains"] == {"h2020-part:D1": 4.0, "h2020-part:D2": 1.0}
    # partners: o4 (BB11) in P1 and P6, o5 (BB11) in P3, o3 (AA12) in P4; o6 is unplaced
    assert profile["partner_regions"] == {"BB11": 3, "AA12": 1}


def test_edit_conflict_and_bad_members(workspace: Workspace, tiny_warehouse: Path) -> None:
    with workspace.session() as s:
        cid = add_cluster(s, tiny_warehouse, name="C", regions=["AA11"], members=["o1"]).id
    with workspace.session() as s:
        edit_cluster(s, tiny_warehouse, cid, 1, add_members=["o2"], remove_members=["o1"])
    with pytest.raises(ConflictError, match="cluster 1 .* version 1, the current version is 2"), \
            workspace.session() as s:
        edit_cluster(s, tiny_warehouse, cid, 1, name="D")
    with pytest.raises(InputError, match="column 'add', value 'o99': unknown organisation id"), \
            workspace.session() as s:
        edit_cluster(s, tiny_warehouse, cid, 2, add_members=["o3", "o99"])
    with pytest.raises(InputError, match="unknown region"), workspace.session() as s:
        edit_cluster(s, tiny_warehouse, cid, 2, regions=["ZZ99"])
    with workspace.session() as s:
        cluster = s.get(Cluster, cid)
        assert [m.org_id for m in cluster.members] == ["o2"] and cluster.name == "C" and cluster.version == 2


def test_csv_import(workspace: Workspace, tiny_warehouse: Path, tmp_path: Path) -> None:
    good = tmp_path / "clusters.csv"
    good.write_text("cluster,regions,domains,cluster_organisation,org_id\n"
                    "Alpha,AA11;AA12,h2020-part:D1,o1,o1\n"
                    "Alpha,,,,o3\n"
                    "Beta,BB11,D2,,o4\n"
                    "Beta,,,,o5\n", encoding="utf-8")
    with workspace.session() as s:
        made = import_clusters_csv(s, tiny_warehouse, good)
        assert [(c.name, c.regions, [m.org_id for m in c.members]) for c in made] == [
            ("Alpha", ["AA11", "AA12"], ["o1", "o3"]), ("Beta", ["BB11"], ["o4", "o5"])]
        assert made[0].organisation_id == "o1" and made[0].origin == "imported"


@pytest.mark.parametrize(("rows", "message"), [
    ("Alpha,AA11,D1,,o1\nAlpha,,,,o77\n", r"clusters.csv, line 4, column 'org_id', value 'o77': unknown organisation"),
    ("Alpha,AA11,D1,o88,o1\n", r"line 3, column 'cluster_organisation', value 'o88'"),
    ("Alpha,AA11;XX99,D1,,o1\n", r"line 3, column 'regions', value 'XX99'"),
    ("Alpha,,D1,,o1\n", r"the cluster has no region"),
    (",AA11,D1,,o1\n", r"line 3, column 'cluster'"),
])
def test_csv_import_errors_store_nothing(workspace: Workspace, tiny_warehouse: Path, tmp_path: Path, rows: str,
                                         message: str) -> None:
    bad = tmp_path / "clusters.csv"
    bad.write_text("cluster,regions,domains,cluster_organisation,org_id\nGood,BB11,D2,,o4\n" + rows, encoding="utf-8")
    with pytest.raises(InputError, match=message), workspace.session() as s:
        import_clusters_csv(s, tiny_warehouse, bad)
    with workspace.session() as s:
        assert list_clusters(s) == []


def test_proposals_from_cluster_stars(workspace: Workspace, tiny_warehouse: Path) -> None:
    proposals = propose_clusters(tiny_warehouse, min_stars=2)
    assert proposals, "the tiny warehouse has cells with two stars"
    import duckdb

    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        for p in proposals:
            region, domain = p["regions"][0], p["domains"][0].split(":")[1]
            active = {r[0] for r in con.execute(
                "SELECT DISTINCT org_id FROM participations JOIN project_domains USING (project_id) "
                "JOIN organisations USING (org_id) WHERE nuts2 = ? AND code = ?", [region, domain]).fetchall()}
            assert set(p["members"]) == active and p["evidence"]["stars"] >= 2 and p["evidence"]["load_id"] == 1
    with workspace.session() as s:
        stored = store_proposal(s, tiny_warehouse, proposals[0])
        assert stored.origin == "proposed" and stored.evidence["stars"] >= 2
    with pytest.raises(InputError, match="unknown region"):
        propose_clusters(tiny_warehouse, region="ZZ99")
