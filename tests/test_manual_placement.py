"""Unplaced organisations, manual placements across rebuilds, placed shares, and a failed
rebuild that leaves the warehouse as it was (on a copy of the real mirror's warehouse)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rok.errors import InputError
from rok.warehouse import Warehouse
from rok.warehouse.ingest import ingest_cordis, refresh
from rok.warehouse.manual_placement import placed_share, set_manual_placement, unplaced

HELMHOLTZ = "999994729"  # Helmholtz Zentrum München, city field "NEUHERBERG" (not in GeoNames 500+)
OFFICIAL = Path(__file__).parent / "fixtures" / "cordis_bulk" / "cordis-h2020projects-csv"


@pytest.fixture()
def wh(mirror_db: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "copy.duckdb"
    shutil.copy(mirror_db, path)
    with Warehouse(path) as warehouse:
        yield warehouse


def _snapshot(wh: Warehouse) -> dict[str, object]:
    return {t: wh.scalar(f"SELECT count(*) FROM {t}") for t in ("loads", "projects", "participations", "organisations")} | {
        "placed": wh.scalar("SELECT count(nuts2) FROM organisations"),
        "manual": wh.query("SELECT * FROM manual_placements ORDER BY org_id").astype(str).values.tolist()}


def test_manual_placement_survives_rebuild_and_bad_input_changes_nothing(wh):
    top = unplaced(wh, 50)
    row = top[top["org_id"] == HELMHOLTZ].iloc[0]
    assert row["participations"] == 85 and row["reason"] == "address not found in the gazetteer"
    before = _snapshot(wh)
    for code, message in (("XX999", "not a NUTS 2021 level-3 region"), ("DE21", "not a NUTS 2021 level-3 region"),
                          ("FR101", "lies in FR, organisation 999994729 in DE")):
        with pytest.raises(InputError, match=message):
            set_manual_placement(wh, HELMHOLTZ, code, "test")
    with pytest.raises(InputError, match="needs a reason"):
        set_manual_placement(wh, HELMHOLTZ, "DE21H", " ")
    with pytest.raises(InputError, match="no organisation"):
        set_manual_placement(wh, "nope", "DE21H", "test")
    assert _snapshot(wh) == before
    set_manual_placement(wh, HELMHOLTZ, "de21h", "campus Neuherberg, municipality Oberschleissheim")
    refresh(wh, indicators=False)  # a rebuild of the derived tables
    placed = wh.query("SELECT nuts3, nuts2, place_method, place_detail FROM organisations WHERE org_id = ?", [HELMHOLTZ])
    assert placed.values.tolist() == [["DE21H", "DE21", "manual", "manual: campus Neuherberg, municipality Oberschleissheim"]]
    assert HELMHOLTZ not in set(unplaced(wh)["org_id"])


def test_placed_share_of_a_region_and_its_country(wh):
    share = placed_share(wh, "DE21H")
    assert share["level"] == 3 and share["country"] == "DE" and 0 < share["share"] <= 1
    assert 0 < share["country_share"] < 1
    with pytest.raises(InputError, match="not a NUTS 2021 region"):
        placed_share(wh, "DE2Q")


def test_failed_rebuild_leaves_the_warehouse_as_before_the_load(wh):
    # a manual placement that became wrong (as if the region's code had changed) stops the rebuild
    wh.con.execute("INSERT INTO manual_placements VALUES (?, 'FR101', 'test', now())", [HELMHOLTZ])
    before = _snapshot(wh)
    with pytest.raises(InputError, match="manual placement of organisation 999994729 in FR101"):
        ingest_cordis(wh, OFFICIAL)
    assert _snapshot(wh) == before
    assert not wh.scalar("SELECT count(*) FROM projects WHERE framework = 'H2020' AND project_id = 'H2020:700101'")
