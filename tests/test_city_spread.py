"""Cities spanning several NUTS 2 regions: hand-computed on a tiny warehouse, and the real mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rok.cli.main import app
from rok.warehouse import Warehouse
from rok.warehouse.city_spread import city_note, city_placed, city_placements, spread_cities


def _tiny() -> Warehouse:
    """Bigtown's boroughs lie in ZZ11 and ZZ12; Smallville is itself a municipality (of ZZ11) though its
    greater city reaches ZZ13; Onetown lies in ZZ13 alone."""
    wh = Warehouse()
    codes = ["ZZ111", "ZZ121", "ZZ131"]
    for version in (2016, 2021):
        for code in codes:
            wh.con.execute("INSERT INTO regions (code, nuts_version, level, country) VALUES (?, ?, 3, 'ZZ')",
                           [code, version])
    lau = [("ZZ111", "1", "North Borough", "Bigtown (greater city)"), ("ZZ121", "2", "South Borough", "Bigtown"),
           ("ZZ111", "3", "Smallville", "Smallville"), ("ZZ131", "4", "Hamlet", "Smallville"),
           ("ZZ131", "5", "Onetown", "Onetown")]
    for nuts3, lau_code, name, greater in lau:
        wh.con.execute("INSERT INTO lau (country, nuts3_2016, lau_code, name_national, greater_city_name) "
                       "VALUES ('ZZ', ?, ?, ?, ?)", [nuts3, lau_code, name, greater])
    # (org, city, place_method, nuts2, participations)
    orgs = [("o1", "Bigtown", "gazetteer", "ZZ11", 3), ("o2", " BIGTOWN ", "municipality", "ZZ11", 1),
            ("o3", "Bigtown", "postcode", "ZZ12", 2), ("o4", "bigtown", "gazetteer", "ZZ12", 1),
            ("o5", "Smallville", "gazetteer", "ZZ11", 4), ("o6", "Bigtown", "gazetteer", None, 5)]
    for org, city, method, nuts2, n in orgs:
        wh.con.execute("INSERT INTO organisations (org_id, city, country, place_method, nuts2) "
                       "VALUES (?, ?, 'ZZ', ?, ?)", [org, city, method, nuts2])
        for i in range(n):
            wh.con.execute("INSERT INTO participations (project_id, org_id, role, country) VALUES (?, ?, 'p', 'ZZ')",
                           [f"p{i}", org])
    return wh


def test_spread_cities_hand_computed():
    with _tiny() as wh:
        spread = spread_cities(wh)
    # Smallville is a municipality's name (an address there lies in it); Onetown spans one region
    assert spread[["country", "city", "name"]].values.tolist() == [["ZZ", "BIGTOWN", "Bigtown"]]
    assert spread["regions"].tolist() == [["ZZ11", "ZZ12"]]


def test_city_placed_and_notes_hand_computed():
    with _tiny() as wh:
        table = city_placements(wh)
        zz11, zz12, zz13 = (city_placed(wh, r) for r in ("ZZ11", "zz12", "ZZ13"))
    # gazetteer or municipality, placed: ZZ11 = o1 (3) + o2 (1) = 4; ZZ12 = o4 (1); o3 by postcode, o6 unplaced
    assert table["region"].tolist() == ["ZZ11", "ZZ12"] and table["city_total"].tolist() == [5, 5]
    assert zz11["participations"].tolist() == [4] and zz12["participations"].tolist() == [1]
    assert zz11["main_region"].tolist() == ["ZZ11"] and zz13.empty
    note11 = city_note(zz11, "ZZ11")
    assert note11 is not None and note11.startswith(
        "4 of ZZ11's participations come from organisations placed by the city name 'Bigtown' alone, which spans "
        "ZZ11, ZZ12: their split among these regions is unknown")
    assert "at NUTS 1, ZZ1, with `--level 1`" in note11
    note12 = city_note(zz12, "ZZ12")
    assert note12 is not None and "(5 participations, 1 of them in ZZ12) are counted mostly in ZZ11" in note12
    assert "ZZ12's counts are likely understated" in note12
    assert city_note(zz13, "ZZ13") is None


def test_warehouse_without_city_columns_has_no_spread_cities():
    with Warehouse() as wh:
        wh.con.execute("ALTER TABLE lau DROP COLUMN greater_city_name")
        assert spread_cities(wh).empty and city_placements(wh).empty


def test_reader_keeps_city_names(tmp_path: Path):
    from rok.sources.lau import read_lau

    path = tmp_path / "lau.csv"
    path.write_text("country,nuts3_2016,lau_code,lau_name_national,lau_name_latin,population,total_area_m2,"
                    "city_name,greater_city_name\n"
                    "UK,UKI31,E09000001,,,7000,2900000,City of London,London\n"
                    "DE,DE212,09162000,München,,1500000,310000000,München,\n", encoding="utf-8")
    frame = read_lau(path).tables["lau"]
    assert frame["city_name"].tolist() == ["City of London", "München"]
    assert frame["greater_city_name"].tolist()[0] == "London" and pd.isna(frame["greater_city_name"].tolist()[1])
    with Warehouse() as wh:
        wh.write(read_lau(path))
        assert wh.scalar("SELECT greater_city_name FROM lau WHERE lau_code = 'E09000001'") == "London"


@pytest.fixture(scope="module")
def mirror_wh(mirror_db: Path):  # type: ignore[no-untyped-def]
    with Warehouse(mirror_db, read_only=True) as wh:
        yield wh


@pytest.mark.mirror
def test_mirror_london_spans_five_regions_and_is_placed_in_uki3(mirror_wh):  # type: ignore[no-untyped-def]
    spread = spread_cities(mirror_wh).set_index(["country", "city"])
    assert spread.loc[("UK", "LONDON"), "regions"] == ["UKI3", "UKI4", "UKI5", "UKI6", "UKI7"]
    assert ("CH", "BASEL") not in spread.index  # Basel is a municipality (of CH03)
    uki3 = city_placed(mirror_wh, "UKI3")
    assert uki3["main_region"].tolist() == ["UKI3"] and uki3["participations"].iloc[0] > 2500
    uki4 = city_note(city_placed(mirror_wh, "UKI4"), "UKI4")
    assert uki4 is not None and "are all counted in UKI3" in uki4 and "UKI4's counts are likely understated" in uki4
    assert city_note(city_placed(mirror_wh, "DE21"), "DE21") is None


@pytest.mark.mirror
def test_mirror_profile_notes_and_warns(mirror_db: Path):
    runner = CliRunner()
    for code, text in (("UKI3", "of UKI3's participations come from organisations placed by the city name 'London'"),
                       ("UKI4", "UKI4's counts are likely understated")):
        result = runner.invoke(app, ["profile", code, "--format", "json", "--db", str(mirror_db)])
        assert result.exit_code == 0, result.output
        assert text in json.loads(result.stdout)["notes"]["city_placement"]
        assert text in " ".join(result.stderr.split())
    result = runner.invoke(app, ["profile", "DE21", "--format", "json", "--db", str(mirror_db)])
    assert "city_placement" not in json.loads(result.stdout)["notes"]
