"""Round trip on the real mirror, on SQLite and PostgreSQL: draft a joint action plan for three
regions of three countries -> store -> edit -> endorse -> track -> a new load changes an indicator
(a small Eurostat fixture ingested into a copy of the warehouse) -> progress and outlook
recomputed -> export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rok.workspace import FrozenError, Workspace
from rok.workspace.models import Indicator, Measurement, Plan
from rok.workspace.plans import (
    add_action,
    create_plan_from_draft,
    edit_indicator_target,
    edit_plan,
    endorse,
    plan_document,
)
from rok.workspace.tracking import plan_progress, track

pytestmark = pytest.mark.mirror
CONSORTIUM = ["PL21", "CZ02", "SK01"]
HEADER = ("STRUCTURE,STRUCTURE_ID,STRUCTURE_NAME,freq,Time frequency,{dims}geo,Geopolitical entity (reporting),"
          "TIME_PERIOD,Time,OBS_VALUE,Observation value,OBS_FLAG,Observation status (Flag) V2 structure,CONF_STATUS,"
          "Confidentiality status (flag)\n")
# A test fixture standing for a next Eurostat release: 2024 values for the three regions.
GERD_2024 = {"PL21": 2.9, "CZ02": 2.6, "SK01": 3.1}
GDP_2024 = {"PL21": 60000.0, "CZ02": 40000.0, "SK01": 35000.0}


def write_fixture(folder: Path) -> Path:
    folder.mkdir()
    gerd = HEADER.format(dims="sectperf,Sector of performance,unit,Unit of measure,") + "".join(
        f"dataflow,ESTAT:TGS00042(1.0),GERD by NUTS 2 region,A,Annual,TOTAL,All sectors,PC_GDP,Percentage of GDP,"
        f"{r},{r},2024,,{v},,,,,\n" for r, v in GERD_2024.items())
    gdp = HEADER.format(dims="unit,Unit of measure,") + "".join(
        f"dataflow,ESTAT:NAMA_10R_2GDP$DEFAULTVIEW(1.0),GDP by NUTS 2 region,A,Annual,MIO_EUR,Million euro,"
        f"{r},{r},2024,,{v},,,,,\n" for r, v in GDP_2024.items())
    (folder / "estat_tgs00042_next.csv").write_text(gerd, encoding="utf-8")
    (folder / "estat_nama_10r_2gdp_next.csv").write_text(gdp, encoding="utf-8")
    return folder


def test_draft_edit_endorse_load_track_export(workspace: Workspace, mirror_db: Path, tmp_path: Path) -> None:
    from rok.cooperation.agenda import draft_agenda
    from rok.report.plan_export import export_plan
    from rok.warehouse import Warehouse
    from rok.warehouse.ingest import ingest_eurostat

    before = tmp_path / "before.duckdb"
    shutil.copy(mirror_db, before)
    draft = draft_agenda(before, consortium=CONSORTIUM)
    assert draft["scope"]["regions"] == CONSORTIUM and len({r[:2] for r in CONSORTIUM}) == 3

    with workspace.session("drafter@example.org") as s:
        plan = create_plan_from_draft(s, draft, warehouse=before)
        plan_id = plan.id
        doc = plan_document(s, plan_id)
    assert doc["kind"] == "joint_action_plan" and doc["scope"]["regions"] == CONSORTIUM
    assert len(doc["priorities"]) == len(draft["priorities"]) and len(doc["actions"]) == len(draft["actions"])
    assert doc["evidence"]["load_id"] == draft["evidence"]["load_id"]

    # edit: a title, an action, targets for every result indicator (+20% in six years, +1 from 0)
    with workspace.session("editor@example.org") as s:
        plan = s.get(Plan, plan_id)
        edit_plan(s, plan_id, plan.version, title="Joint action plan PL21-CZ02-SK01, 2026-2030")
        add_action(s, plan_id, {"title": "Summer school on nuclear safety", "owner": "CZ02", "start": "2026-07-01",
                                "end": "2026-07-14", "budget": 45000, "funding_sources": ["Interreg Europe"],
                                "partners": ["PL21", "SK01"]}, s.get(Plan, plan_id).version)
        for ind in s.get(Plan, plan_id).indicators:
            if ind.type == "result" and ind.baseline_value is not None:
                base = ind.baseline_value
                edit_indicator_target(s, ind.id, ind.baseline_year + 6, base * 1.2 if base > 0 else base + 1, None)
        endorse(s, plan_id, s.get(Plan, plan_id).version, by="steering-group@example.org")
    with pytest.raises(FrozenError), workspace.session() as s:
        edit_plan(s, plan_id, None, title="too late")

    with workspace.session("tracker") as s:
        first = track(s, before)
    gerd_name = next(i["name"] for i in draft["indicators"] if i["source"].get("measure") == "gerd_pct_gdp")
    with workspace.session() as s:
        old = _status(plan_progress(s.get(Plan, plan_id)), gerd_name)
    assert first["load_id"] == draft["evidence"]["load_id"] and old["latest"]["year"] == 2023

    after = tmp_path / "after.duckdb"
    shutil.copy(before, after)
    with Warehouse(after) as wh:
        loads = ingest_eurostat(wh, write_fixture(tmp_path / "next"))
    new_load = max(r.load_id for r in loads)
    with workspace.session("tracker") as s:
        again = track(s, after)
        gerd = s.query(Indicator).filter_by(plan_id=plan_id, name=gerd_name).one()
        rows = s.query(Measurement).filter_by(indicator_id=gerd.id, year=2024).all()
        new = _status(plan_progress(s.get(Plan, plan_id)), gerd_name)
        doc = plan_document(s, plan_id)
    assert again["load_id"] == new_load and again["measurements"] >= 1
    # GDP-weighted: (2.9 * 60000 + 2.6 * 40000 + 3.1 * 35000) / 135000
    expected = (2.9 * 60000 + 2.6 * 40000 + 3.1 * 35000) / 135000
    assert [(m.value, m.load_id) for m in rows] == [(pytest.approx(expected), new_load)]
    assert new["latest"] == {"year": 2024, "value": pytest.approx(expected)}
    base, target = new["baseline"]["value"], new["target"]["value"]
    assert new["progress"] == pytest.approx((expected - base) / (target - base))
    assert new["outlook"] != "insufficient data" and new["years"] == [2020, 2024] and old["years"] == [2019, 2023]
    assert doc["status"] == "endorsed" and doc["title"].endswith("2026-2030")

    for suffix in (".md", ".html", ".json"):
        path = export_plan(doc, tmp_path / f"plan{suffix}")
        text = path.read_text(encoding="utf-8")
        assert "PL21-CZ02-SK01" in text and "Summer school on nuclear safety" in text


def _status(progress: dict, name: str) -> dict:
    every = progress["indicators"] + [i for p in progress["priorities"] for i in p["indicators"]]
    return next(i for i in every if i["name"] == name)
