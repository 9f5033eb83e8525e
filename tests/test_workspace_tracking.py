"""Progress, outlook and aggregation, hand-computed; tracking from the tiny warehouse (both databases)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from rok.cooperation.indicators import WarehouseData
from rok.errors import InputError
from rok.workspace import Workspace
from rok.workspace.models import Indicator, Measurement, Plan
from rok.workspace.plans import create_plan_from_draft, plan_document
from rok.workspace.tracking import aggregate, outlook, plan_progress, progress_value, record, track


def test_progress_value() -> None:
    assert progress_value(10.0, 20.0, 15.0) == 0.5
    assert progress_value(10.0, 20.0, 25.0) == 1.5  # passed the target: not clipped
    assert progress_value(10.0, 20.0, 8.0) == -0.2  # moved the wrong way
    assert progress_value(5.0, 1.0, 2.0) == 0.75  # an indicator that should decrease: (2-5)/(1-5)
    assert progress_value(None, 20.0, 15.0) is None and progress_value(1.0, 1.0, 2.0) is None


def test_outlook_on_track() -> None:
    # v = 10 + 2 (year - 2016) on 2016..2019; projected at 2025: 28; target 28 -> shortfall 0
    points = {2016: 10.0, 2017: 12.0, 2018: 14.0, 2019: 16.0}
    out = outlook(points, baseline=10.0, target=28.0, target_year=2025)
    assert out["outlook"] == "on track" and out["projected"] == pytest.approx(28.0) and out["points"] == 4
    assert out["shortfall"] == pytest.approx(0.0, abs=1e-9) and out["slope"] == pytest.approx(2.0)


def test_outlook_slightly_off_and_off_track() -> None:
    points = {2016: 10.0, 2017: 12.0, 2018: 14.0, 2019: 16.0}  # projected 28 at 2025
    # target 30: shortfall (30 - 28) / (30 - 10) = 10%
    out = outlook(points, baseline=10.0, target=30.0, target_year=2025)
    assert out["outlook"] == "slightly off" and out["shortfall"] == pytest.approx(0.10)
    # target 29.5: (29.5 - 28) / 19.5 = 7.7% -> slightly off; 28.9: 0.9/18.9 = 4.8% -> on track
    assert outlook(points, baseline=10.0, target=29.5, target_year=2025)["outlook"] == "slightly off"
    assert outlook(points, baseline=10.0, target=28.9, target_year=2025)["outlook"] == "on track"
    # target 40: (40 - 28) / 30 = 40% short but rising -> off track
    out = outlook(points, baseline=10.0, target=40.0, target_year=2025)
    assert out["outlook"] == "off track" and out["shortfall"] == pytest.approx(0.4)


def test_outlook_wrong_direction_and_decreasing_indicators() -> None:
    falling = {2016: 16.0, 2017: 14.0, 2018: 12.0, 2019: 10.0}
    assert outlook(falling, baseline=16.0, target=20.0, target_year=2025)["outlook"] == "wrong direction"
    # the same fall is on track for an indicator that should decrease: projected 16 - 2 * 9 = -2 <= 0
    assert outlook(falling, baseline=16.0, target=0.0, target_year=2025)["outlook"] == "on track"
    flat = {2016: 10.0, 2017: 10.0, 2018: 10.0, 2019: 10.0}
    assert outlook(flat, baseline=10.0, target=12.0, target_year=2025)["outlook"] == "wrong direction"


def test_outlook_uses_the_last_five_years_and_needs_four_points() -> None:
    # 2010 and 2011 fall outside 2015-2019 and would turn the trend around
    points = {2010: 100.0, 2011: 90.0, 2016: 10.0, 2017: 12.0, 2018: 14.0, 2019: 16.0}
    out = outlook(points, baseline=10.0, target=28.0, target_year=2025)
    assert out["outlook"] == "on track" and out["years"] == [2016, 2019]
    few = outlook({2017: 1.0, 2018: 2.0, 2019: 3.0}, baseline=1.0, target=5.0, target_year=2025)
    assert few["outlook"] == "insufficient data" and few["points"] == 3 and "at least 4" in few["note"]
    gappy = outlook({2013: 1.0, 2015: 2.0, 2017: 3.0, 2019: 4.0}, baseline=1.0, target=5.0, target_year=2025)
    assert gappy["outlook"] == "insufficient data" and gappy["points"] == 3  # 2015..2019 holds 3
    assert outlook({}, baseline=1.0, target=None, target_year=None)["outlook"] == "no target"


def test_aggregate_ignores_missing_values() -> None:
    assert aggregate([0.5, None, 1.0, float("nan")]) == 0.75
    assert aggregate([None, None]) is None and aggregate([]) is None


DRAFT = {
    "kind": "joint-action-plan", "title": "AA-BB joint action plan",
    "scope": {"type": "consortium", "regions": ["AA11", "BB11"], "clusters": []},
    "evidence": {"load_id": 1},
    "priorities": [{"title": "Domain one", "domains": ["D1"], "rationale": "both active", "evidence": {"load_id": 1}},
                   {"title": "Domain two", "domains": ["D2"], "rationale": "related", "evidence": {"load_id": 1}}],
    "indicators": [
        {"name": "participations in D1", "type": "result", "unit": "participations", "direction": "increase",
         "source": {"measure": "domain_participations", "params": {"domain": "D1"}},
         "baseline": {"year": 2015, "value": 2.0}, "target": {"year": 2020, "value": 6.0}, "priority": "Domain one"},
        {"name": "workshops", "type": "output", "unit": "workshops", "direction": "increase",
         "source": {"manual": True}, "baseline": {"year": 2015, "value": 0}, "target": {"year": 2019, "value": 4},
         "priority": "Domain one"},
        {"name": "participations in D2", "type": "result", "unit": "participations", "direction": "increase",
         "source": {"measure": "domain_participations", "params": {"domain": "D2"}},
         "baseline": {"year": 2015, "value": 1.0}, "target": {"year": 2020, "value": 3.0}, "priority": "Domain two"},
        {"name": "GERD", "type": "result", "unit": "% of GDP", "direction": "increase",
         "source": {"measure": "gerd_pct_gdp", "params": {}}, "baseline": None, "target": None, "priority": None},
    ],
}


def test_tracking_and_aggregation(workspace: Workspace, tiny_warehouse: Path) -> None:
    data = WarehouseData(tiny_warehouse, min_year_share=0.0)
    with workspace.session() as s:
        plan_id = create_plan_from_draft(s, DRAFT, warehouse=data).id
    with workspace.session() as s:
        assert track(s, data) == {"indicators": 3, "measurements": 4 + 4 + 1, "load_id": 1}
        assert track(s, data)["measurements"] == 0  # nothing new: nothing appended
        ind = s.query(Indicator).filter_by(name="workshops").one()
        for year, value in [(2016, 1), (2017, 2)]:
            record(s, ind, year, value)
    with workspace.session() as s:
        progress = plan_progress(s.get(Plan, plan_id))
    # D1 of AA11 + BB11 (full): 2015: o1, o2, o4 -> 3; 2016: 1 (o1 in P4); 2017: 0; 2018: 2 (o1, o4 in P6)
    d1 = progress["priorities"][0]["indicators"][0]
    assert d1["latest"] == {"year": 2018, "value": 2.0} and d1["progress"] == pytest.approx(0.0)
    workshops = progress["priorities"][0]["indicators"][1]
    assert workshops["progress"] == pytest.approx(0.5)  # (2 - 0) / (4 - 0)
    assert workshops["outlook"] == "insufficient data"  # two points
    # priority one: mean(0.0, 0.5); D2 of AA11 + BB11: 2015: 0.5 (o4 in P2); 2016: 1 (o5); 2017: 2; 2018: 0
    assert progress["priorities"][0]["progress"] == pytest.approx(0.25)
    d2 = progress["priorities"][1]["indicators"][0]
    assert d2["latest"]["value"] == 0.0 and d2["progress"] == pytest.approx(-0.5)  # (0 - 1) / (3 - 1)
    assert d2["outlook"] in ("wrong direction", "off track")
    gerd = progress["indicators"][0]
    assert gerd["baseline"] == {"year": 2015, "value": 1.75} and gerd["progress"] is None
    # the plan: mean of the priorities (0.25, -0.5); the GERD indicator has no target: left out, not 0
    assert progress["progress"] == pytest.approx(-0.125)


def test_new_load_appends_measurements_with_its_load_id(workspace: Workspace, tiny_warehouse: Path,
                                                        tmp_path: Path) -> None:
    with workspace.session() as s:
        plan_id = create_plan_from_draft(s, DRAFT, warehouse=WarehouseData(tiny_warehouse, min_year_share=0)).id
        track(s, WarehouseData(tiny_warehouse, min_year_share=0))
    copy = tmp_path / "later.duckdb"
    shutil.copy(tiny_warehouse, copy)
    with duckdb.connect(str(copy)) as con:  # a later load revises AA11's GERD and GDP for 2015
        con.execute("INSERT INTO loads (load_id, source, file, sha256, status) VALUES (2, 'rev', 'rev', 'y', 'ok')")
        con.execute("UPDATE indicators_nuts2021 SET value = 3.0 WHERE region = 'AA11' AND indicator LIKE 'tgs%'")
    with workspace.session() as s:
        assert track(s, WarehouseData(copy, min_year_share=0))["measurements"] == 1
        gerd = s.query(Indicator).filter_by(name="GERD").one()
        rows = s.query(Measurement).filter_by(indicator_id=gerd.id).order_by(Measurement.id).all()
        # (3.0 * 300 + 1.0 * 100) / 400 = 2.5, appended with load 2; the first value stays
        assert [(m.year, m.value, m.load_id) for m in rows] == [(2015, 1.75, 1), (2015, 2.5, 2)]
        doc = plan_document(s, plan_id)
    assert doc["indicators"][3]["measurements"] == [{"year": 2015, "value": 2.5}]
    assert doc["indicators"][3]["load_id"] == 2


def test_manual_values_only_for_manual_indicators(workspace: Workspace, tiny_warehouse: Path) -> None:
    with workspace.session() as s:
        create_plan_from_draft(s, DRAFT, warehouse=WarehouseData(tiny_warehouse, min_year_share=0))
    with pytest.raises(InputError, match="computed from the warehouse"), workspace.session() as s:
        record(s, s.query(Indicator).filter_by(name="GERD").one(), 2016, 2.0)
    with workspace.session() as s:
        assert s.query(Measurement).count() == 0
