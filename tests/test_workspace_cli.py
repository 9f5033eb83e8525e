"""The workspace commands end to end (CliRunner) on the tiny warehouse, on SQLite and PostgreSQL:
every bad input is one line on stderr, exit status 1, and nothing stored changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rok.cli.main import app

runner = CliRunner()
WITH_DB = {("cluster", c) for c in ("propose", "import", "add", "edit", "profile")} | {
    ("plan", c) for c in ("create", "add-action", "add-indicator", "track")} | {("programme", "create"),
                                                                                 ("programme", "pair")}


class Rok:
    def __init__(self, url: str, db: Path) -> None:
        self.url, self.db = url, db

    def __call__(self, *args: object, input: str | None = None) -> Any:
        argv = [str(a) for a in args] + ["--workspace", self.url]
        if tuple(args[:2]) in WITH_DB:
            argv += ["--db", str(self.db)]
        return runner.invoke(app, argv, input=input)

    def json(self, *args: object) -> Any:
        result = self(*args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def fails(self, *args: object, message: str) -> str:
        result = self(*args)
        assert result.exit_code == 1, result.output
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.output
        return str(result.stderr)


def test_plan_lifecycle_and_bad_input(workspace_url: str, tiny_warehouse: Path, tmp_path: Path) -> None:
    rok = Rok(workspace_url, tiny_warehouse)
    plan = rok.json("plan", "create", "--kind", "joint_action_plan", "--title", "AA-BB", "--scope", "consortium",
                    "--region", "AA11", "--region", "BB11")
    pid, v = plan["id"], plan["version"]
    ind = rok.json("plan", "add-indicator", pid, "--version", v, "--name", "GERD", "--measure", "gerd_pct_gdp",
                   "--target-year", "2030", "--target-value", "2.5")
    assert ind["baseline"] == {"year": 2015, "value": 1.75} and ind["target"] == {"year": 2030, "value": 2.5}
    v += 1
    before = rok.json("plan", "show", pid)
    rok.fails("plan", "add-indicator", pid, "--version", v, "--name", "x", "--measure", "gerd_pct_gdp",
              "--region", "ZZ99", message="value 'ZZ99': unknown region")
    rok.fails("plan", "add-indicator", pid, "--version", v, "--name", "x", "--measure", "gerd_pct_gdp",
              "--target-year", "2010", "--target-value", "3", message="target year must come after the baseline year 2015")
    rok.fails("plan", "add-indicator", pid, "--version", v, "--name", "x", "--measure", "gerd_pct_gdp",
              "--target-year", "2030", "--target-value", "1", message="target must be above the baseline 1.75")
    rok.fails("plan", "add-indicator", pid, "--version", v, "--name", "x", "--measure", "gdp_happiness",
              message="unknown indicator measure")
    rok.fails("plan", "edit", pid, "--version", v, "--indicator", 99, "--target-year", "2030", "--target-value", "3",
              message="unknown indicator 99")
    rok.fails("plan", "add-action", pid, "--version", v - 1, "--title", "late",
              message=f"plan {pid} was changed by someone else: your edit is based on version {v - 1}, the current "
                      f"version is {v}")
    rok.fails("plan", "create", "--kind", "cluster_roadmap", "--title", "C", "--scope", "cluster", "--cluster", "7",
              message="unknown cluster 7")
    assert rok.json("plan", "show", pid) == before and len(rok.json("plan", "list")) == 1

    rok.json("plan", "add-action", pid, "--version", v, "--title", "Workshop", "--owner", "o1", "--partner", "BB11",
             "--partner", "org:o4", "--start", "2026-01-01", "--end", "2026-06-30", "--budget", "5000",
             "--funding", "Interreg Europe", "--milestone", "agenda@2026-02-01")
    v += 1
    endorsed = rok.json("plan", "endorse", pid, "--version", v, "--user", "board@example.org")
    assert endorsed["status"] == "endorsed" and endorsed["endorsed_by"] == "board@example.org"
    rok.fails("plan", "edit", pid, "--version", endorsed["version"], "--title", "new",
              message=f"plan {pid} (version 1) is endorsed and frozen")
    track = rok.json("plan", "track", "--all")
    assert track == {"indicators": 1, "measurements": 1, "load_id": 1}
    progress = rok.json("plan", "progress", pid)
    assert progress["indicators"][0]["progress"] == 0.0 and progress["indicators"][0]["outlook"] == "insufficient data"
    newer = rok.json("plan", "edit", pid, "--new-version")
    assert newer["plan_version"] == 2 and newer["status"] == "draft" and newer["actions"][0]["title"] == "Workshop"
    assert "progress" in rok("plan", "progress", pid).stdout


def test_clusters_users_and_programmes(workspace_url: str, tiny_warehouse: Path, tmp_path: Path) -> None:
    rok = Rok(workspace_url, tiny_warehouse)
    added = rok.json("cluster", "add", "AA cluster", "--region", "AA11", "--domain", "D1", "--member", "o1",
                     "--member", "o2")
    assert added["triple_helix"]["ok"] and added["version"] == 1
    rok.fails("cluster", "add", "Bad", "--region", "AA11", "--member", "o99", message="value 'o99': unknown organisation")
    rok.fails("cluster", "show", "Nope", message="unknown cluster")
    rok.json("cluster", "edit", added["id"], "--version", 1, "--add-member", "o3")
    rok.fails("cluster", "edit", added["id"], "--version", 1, "--name", "Z", message="the current version is 2")
    csv = tmp_path / "members.csv"
    csv.write_text("cluster,regions,domains,cluster_organisation,org_id\nB,BB11,D2,,o4\nB,,,,o404\n", encoding="utf-8")
    rok.fails("cluster", "import", csv, message=f"{csv}, line 3, column 'org_id', value 'o404': unknown organisation")
    assert [c["name"] for c in rok.json("cluster", "list")] == ["AA cluster"]
    profile = rok.json("cluster", "profile", "AA cluster")
    assert profile["participations"] == 7 and profile["members"] == 3

    made = rok("user", "add", "Ana Lima", "ana@example.org", "--role", "editor", "--password-stdin",
               input="long enough password\n")
    assert made.exit_code == 0 and "password set" in made.stdout
    rok.fails("user", "add", "Ana", "ana@example.org", message="exists already")
    assert [u["email"] for u in rok.json("user", "list")] == ["ana@example.org"]

    prog = rok.json("programme", "create", "Twin AA", "--type", "twinning", "--start", "2026-01-01",
                    "--end", "2027-12-31")
    assert prog["rules"]["mentors_per_mentee"] == 2 and prog["rules"]["widening"] is True
    rok.json("programme", "add-activity", "Twin AA", "--kind", "summer_school", "--title", "Summer school",
             "--start", "2026-07-01", "--end", "2026-07-10")
    rok.fails("programme", "add-activity", "Twin AA", "--kind", "summer_school", "--title", "x", "--start", "2030-01-01",
              message="outside the programme's dates")
    shown = rok.json("programme", "show", "Twin AA")
    assert len(shown["activities"]) == 1 and shown["progress"]["activities"]["planned"] == 1
    assert rok.json("programme", "list")[0]["name"] == "Twin AA"


def test_user_scopes(workspace_url: str, tiny_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROK_USER", raising=False)
    rok = Rok(workspace_url, tiny_warehouse)
    cluster = rok.json("cluster", "add", "AA cluster", "--region", "AA11", "--domain", "D1", "--member", "o1")
    made = rok.json("user", "add", "Eddi", "ed@example.org", "--role", "editor", "--region", "aa11", "--user", "adm")
    assert made["scope"] == {"region": ["AA11"], "cluster": [], "plan": []}
    rok.fails("user", "add", "Vera", "vera@example.org", "--region", "AA11",
              message="column '--role', value 'viewer': --region, --cluster and --plan are the scope of an editor")
    shown = rok("user", "scope", "ed@example.org", "--region", "BB11", "--region", "AA12", "--cluster", cluster["id"])
    assert shown.exit_code == 0 and f"scope region:AA12 region:BB11 cluster:{cluster['id']}" in shown.stdout
    cleared = rok.json("user", "scope", "ed@example.org", "--clear", "region")
    assert cleared["scope"] == {"region": [], "cluster": [cluster["id"]], "plan": []}
    for args, message in [(("nobody@example.org", "--region", "AA11"), "value 'nobody@example.org': no account"),
                          (("ed@example.org", "--clear", "galaxy"), "value 'galaxy': unknown scope kind; expected one"),
                          (("ed@example.org", "--cluster", "99"), "column 'cluster', value '99': unknown cluster"),
                          (("ed@example.org", "--plan", "x"), "value 'x': a plan is named by its id"),
                          (("ed@example.org", "--region", "A", "--clear", "region"), "both --clear region and"),
                          (("ed@example.org",), "nothing to change")]:
        rok.fails("user", "scope", *args, message=message)
    listed = rok.json("user", "list")
    assert [(u["email"], u["scope"]["cluster"]) for u in listed] == [("ed@example.org", [cluster["id"]])]
    table = rok("user", "list").stdout
    assert f"cluster:{cluster['id']}" in table and "scope" in table
    from rok.workspace import Workspace
    from rok.workspace.audit import audit_trail

    with Workspace(workspace_url) as ws, ws.session() as s:
        trail = audit_trail(s, "editor_scope")
    assert [(e.actor, e.entity_id.split(":")[1], e.after["refs"]) for e in trail] == [
        ("adm", "region", ["AA11"]), ("system", "region", ["AA12", "BB11"]), ("system", "cluster", [str(cluster["id"])]),
        ("system", "region", [])]


def test_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    result = runner.invoke(app, ["workspace", "upgrade", "--workspace", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["before"] is None
    again = runner.invoke(app, ["workspace", "upgrade", "--workspace", url])
    from rok.workspace import Workspace

    assert f"revision {Workspace.head()} -> {Workspace.head()}" in again.stdout


@pytest.mark.mirror
def test_on_the_mirror_draft_to_plan_and_peer_review(workspace_url: str, mirror_db: Path, tmp_path: Path) -> None:
    rok = Rok(workspace_url, mirror_db)
    draft = tmp_path / "draft.json"
    made = runner.invoke(app, ["agenda", "draft", "--consortium", "PL21,CZ02,SK01", "--out", str(draft),
                               "--db", str(mirror_db)])
    assert made.exit_code == 0, made.output
    plan = rok.json("plan", "create", "--from-draft", draft)
    assert plan["scope"]["regions"] == ["PL21", "CZ02", "SK01"] and plan["indicators"] and plan["priorities"]
    assert all(i["baseline"] for i in plan["indicators"] if i["source"].get("measure"))
    review = rok.json("programme", "create", "PL21 review", "--type", "peer_review", "--host", "PL21",
                      "--topic", "SC1")
    paired = rok.json("programme", "pair", "PL21 review", "--version", review["version"])
    peers = [p["mentor"] for p in paired["pairings"]]
    assert len(peers) == 3 and len({p[:2] for p in peers}) == 3 and not any(p.startswith("PL") for p in peers)
    rok.fails("programme", "pair", "PL21 review", "--version", review["version"],
              message="the current version is")
