"""Plans: draft documents in and out, versions, endorsement, concurrent edits, bad input (both databases)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from rok.cooperation.indicators import WarehouseData
from rok.errors import InputError
from rok.workspace import ConflictError, FrozenError, Workspace
from rok.workspace.audit import audit_trail
from rok.workspace.models import Action, Plan
from rok.workspace.plans import (
    add_action,
    add_indicator,
    create_plan_from_draft,
    edit_action,
    edit_indicator_target,
    edit_plan,
    endorse,
    new_version,
    plan_document,
    set_status,
)

DRAFT: dict[str, Any] = {
    "kind": "joint-action-plan", "title": "AA-BB joint action plan",
    "scope": {"type": "consortium", "regions": ["AA11", "BB11"], "clusters": [], "names": {"AA11": "Region AA11"}},
    "evidence": {"load_id": 1, "selection": "NUTS 2"},
    "swot": [{"category": "strength", "text": "AA11 specialised in D1", "evidence": {"rca": 1.5}, "region": "AA11"}],
    "priorities": [{"title": "Domain one", "domains": ["D1"], "rationale": "both active",
                    "evidence": {"AA11_rca": 1.5, "load_id": 1}}],
    "actions": [{"title": "Joint workshop", "description": "two days", "priority": "Domain one", "owner": "o1",
                 "partners": [{"org_id": "o4", "name": "Organisation o4"}, {"region": "BB11"}],
                 "start": "2026-01-01", "end": "2026-12-31", "budget": 20000, "funding_sources": ["Interreg Europe"],
                 "status": "proposed", "milestones": [{"title": "agenda agreed", "due": "2026-03-01"}]}],
    "indicators": [{"name": "participations in D1", "type": "result", "unit": "participations",
                    "direction": "increase", "source": {"measure": "domain_participations", "params": {"domain": "D1"}},
                    "baseline": {"year": 2016, "value": 1.0}, "target": {"year": 2022, "value": 4.0},
                    "priority": "Domain one"},
                   {"name": "workshops", "type": "output", "unit": "workshops", "direction": "increase",
                    "source": {"manual": True}, "baseline": {"year": 2025, "value": 0}, "target": None,
                    "priority": "Domain one"}],
    "risks": [{"text": "few firms", "mitigation": "bring firms in", "evidence": {"firms": 2}}],
    "governance": {"lead": "o1", "steering_group": ["o1", "o4"]},
    "landscape": [{"call": "HORIZON-X", "domain": "D1"}],
    "notes": ["a note"],
}


def make(workspace: Workspace, wh: Path, draft: dict[str, Any] | None = None) -> int:
    with workspace.session("ana@example.org") as s:
        return create_plan_from_draft(s, copy.deepcopy(draft or DRAFT), warehouse=WarehouseData(wh)).id


def test_draft_round_trip(workspace: Workspace, tiny_warehouse: Path) -> None:
    plan_id = make(workspace, tiny_warehouse)
    with workspace.session() as s:
        doc = plan_document(s, plan_id)
    assert doc["kind"] == "joint_action_plan" and doc["status"] == "draft" and doc["plan_version"] == 1
    assert doc["scope"] == {"type": "consortium", "regions": ["AA11", "BB11"], "clusters": [],
                            "names": {"AA11": "Region AA11"}}
    for key in ("evidence", "swot", "governance", "landscape", "notes"):
        assert doc[key] == DRAFT[key], key
    assert doc["risks"] == [{**r, "likelihood": None, "impact": None, "owner": None} for r in DRAFT["risks"]]
    assert doc["priorities"][0]["evidence"] == {"AA11_rca": 1.5, "load_id": 1}
    action = doc["actions"][0]
    for key in ("title", "priority", "owner", "partners", "start", "end", "funding_sources", "status", "milestones"):
        expected = DRAFT["actions"][0][key]
        if key == "milestones":
            expected = [{**m, "done": False} for m in expected]
        assert action[key] == expected, key
    assert action["budget"] == 20000.0
    ind = doc["indicators"][0]
    assert ind["source"] == {"measure": "domain_participations", "params": {"domain": "D1"}}
    assert ind["baseline"] == {"year": 2016, "value": 1.0} and ind["target"] == {"year": 2022, "value": 4.0}
    assert ind["priority"] == "Domain one" and ind["regions"] == ["AA11", "BB11"]


def test_endorsed_version_is_frozen_and_new_versions_copy_it(workspace: Workspace, tiny_warehouse: Path) -> None:
    plan_id = make(workspace, tiny_warehouse)
    with workspace.session() as s:
        v = s.get(Plan, plan_id).version
        edit_plan(s, plan_id, v, title="AA-BB plan 2026-2030")
        endorse(s, plan_id, v + 1, by="board@example.org")
    with pytest.raises(FrozenError, match=r"plan \d+ \(version 1\) is endorsed and frozen.*new version"), \
            workspace.session() as s:
        edit_plan(s, plan_id, None, title="changed")
    with pytest.raises(FrozenError), workspace.session() as s:
        add_action(s, plan_id, {"title": "late idea"}, None)
    with pytest.raises(FrozenError), workspace.session() as s:
        edit_action(s, s.get(Plan, plan_id).actions[0].id, None, budget=1.0)
    with workspace.session() as s:  # implementation stays open: the action's status with its reason
        action = s.get(Plan, plan_id).actions[0]
        edit_action(s, action.id, action.version, status="not_carried_out", status_reason="venue unavailable")
        set_status(s, plan_id, "implementing", None)
    with workspace.session() as s:
        newer = new_version(s, plan_id)
        assert (newer.plan_version, newer.lineage_id, newer.previous_id, newer.status) == (2, plan_id, plan_id, "draft")
        edit_plan(s, newer.id, None, title="AA-BB plan, revised")
        newer_id = newer.id
    with workspace.session() as s:
        old, new = plan_document(s, plan_id), plan_document(s, newer_id)
    assert old["title"] == "AA-BB plan 2026-2030" and old["status"] == "implementing"
    assert old["endorsed_by"] == "board@example.org"
    assert new["title"] == "AA-BB plan, revised" and new["actions"][0]["status"] == "not_carried_out"
    assert new["indicators"][0]["target"] == old["indicators"][0]["target"]


def test_stale_edit_is_a_conflict_and_nothing_is_lost(workspace: Workspace, tiny_warehouse: Path) -> None:
    plan_id = make(workspace, tiny_warehouse)
    with workspace.session() as s:
        seen = s.get(Plan, plan_id).version
    with workspace.session("ana@example.org") as s:
        edit_plan(s, plan_id, seen, title="Ana's title")
    with pytest.raises(ConflictError) as info, workspace.session("ben@example.org") as s:
        edit_plan(s, plan_id, seen, title="Ben's title")
    assert f"plan {plan_id}" in str(info.value) and f"version {seen}" in str(info.value)
    assert info.value.had == seen and info.value.current == seen + 1
    # a concurrent write between reading and writing: two open sessions on the same row
    with workspace.session("ana@example.org") as first, workspace.session("ben@example.org") as second:
        a, b = first.get(Action, 1), second.get(Action, 1)
        edit_action(first, a.id, a.version, owner="o1 (Ana)")
        first.commit()
        with pytest.raises(ConflictError, match=r"action 1 .* version 1, the current version is 2"):
            edit_action(second, b.id, b.version, owner="o4 (Ben)")
    with workspace.session() as s:
        assert s.get(Plan, plan_id).title == "Ana's title" and s.get(Action, 1).owner == "o1 (Ana)"
        whom = [(e.actor, e.after.get("title")) for e in audit_trail(s, "plans", plan_id) if e.action == "update"]
    assert ("ana@example.org", "Ana's title") in whom and all(who != "ben@example.org" for who, _ in whom)


def bad(draft_change: Any) -> dict[str, Any]:
    draft = copy.deepcopy(DRAFT)
    draft_change(draft)
    return draft


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["scope"].update(regions=["AA11", "ZZ99"]), r"scope.regions', value 'ZZ99': unknown region"),
    (lambda d: d["scope"].update(type="galaxy"), r"scope.type', value 'galaxy'"),
    (lambda d: d["scope"].update(type="cluster", clusters=[99]), r"unknown cluster 99"),
    (lambda d: d.update(kind="wish_list"), r"'kind', value 'wish_list'"),
    (lambda d: d["indicators"][0]["source"].update(measure="happiness"), r"unknown indicator measure"),
    (lambda d: d["indicators"][0].update(target={"year": 2015, "value": 4.0}),
     r"indicators\[0\].target.year', value '2015': the target year must come after the baseline year 2016"),
    (lambda d: d["indicators"][0].update(target={"year": 2022, "value": 0.5}),
     r"target must be above the baseline 1 for an indicator that should increase"),
    (lambda d: d["indicators"][0].update(direction="decrease"), r"target must be below the baseline"),
    (lambda d: d["indicators"][0].update(priority="Domain nine"), r"unknown priority"),
    (lambda d: d["actions"][0].update(end="2025-01-01"), r"ends before it starts"),
    (lambda d: d["actions"][0].update(status="cancelled"), r"needs a reason"),
    (lambda d: d["actions"][0].update(partners=[{"region": "ZZ99"}]), r"value 'ZZ99': unknown region"),
    (lambda d: d["swot"][0].update(category="hope"), r"swot\[0\].category"),
])
def test_bad_drafts_store_nothing(workspace: Workspace, tiny_warehouse: Path, change: Any, message: str) -> None:
    with pytest.raises(InputError, match=message), workspace.session() as s:
        create_plan_from_draft(s, bad(change), warehouse=WarehouseData(tiny_warehouse))
    with workspace.session() as s:
        assert s.query(Plan).count() == 0 and audit_trail(s) == []


def test_bad_edits_change_nothing(workspace: Workspace, tiny_warehouse: Path) -> None:
    plan_id = make(workspace, tiny_warehouse)
    with workspace.session() as s:
        before = plan_document(s, plan_id)
        workshops = s.get(Plan, plan_id).indicators[1].id
    attempts = [
        (lambda s: edit_indicator_target(s, workshops, 2024, 3, None), "target year must come after the baseline"),
        (lambda s: edit_indicator_target(s, workshops, 2030, -1, None), "must be above the baseline"),
        (lambda s: add_indicator(s, plan_id, {"name": "x", "source": {"measure": "gerd_pct_gdp"},
                                              "regions": ["QQ11"]}, None, warehouse=tiny_warehouse),
         "unknown region"),
        (lambda s: add_indicator(s, plan_id, {"name": "x", "source": {"measure": "nope"}}, None), "unknown indicator"),
        (lambda s: edit_plan(s, 999, None, title="x"), "unknown plan 999"),
        (lambda s: edit_plan(s, plan_id, None, status="closed"), "cannot edit 'status'"),
        (lambda s: set_status(s, plan_id, "closed", None), "endorse it first"),
    ]
    for attempt, message in attempts:
        with pytest.raises(InputError, match=message), workspace.session() as s:
            attempt(s)
    with workspace.session() as s:
        assert plan_document(s, plan_id) == before
    untargeted = make(workspace, tiny_warehouse, bad(lambda d: d["indicators"][0].update(target=None)))
    with pytest.raises(InputError, match="no target yet"), workspace.session() as s:
        endorse(s, untargeted, None)  # result indicators need targets; output ones may wait
    with workspace.session() as s:
        assert s.get(Plan, untargeted).status == "draft"
