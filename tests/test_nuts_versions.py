from __future__ import annotations

import pandas as pd
import pytest

from rok.errors import InputError
from rok.sources.batch import Batch
from rok.sources.nuts import approx_area_km2, nuts_year_from_name, read_nuts
from rok.warehouse import Warehouse
from rok.warehouse.correspondence import harmonise_indicators, unmapped_codes
from tests.synthetic import NUTS_2021, feature, rectangle, square, write_geojson


def test_year_from_gisco_names():
    assert nuts_year_from_name("NUTS_RG_60M_2021_4326.geojson") == 2021
    assert nuts_year_from_name("NUTS_RG_20M_2016_4326_LEVL_3.geojson") == 2016
    assert nuts_year_from_name("NUTS_LB_2021_4326.geojson") == 2021
    assert nuts_year_from_name("regions.geojson") is None


def test_read_nuts_derives_parents_and_area(tmp_path):
    batch = read_nuts(write_geojson(tmp_path / "NUTS_RG_60M_2021_4326.geojson", NUTS_2021))
    regions = batch.tables["regions"].set_index("code")
    assert regions.loc["BE211", "parent"] == "BE21" and regions.loc["BE", "parent"] is None
    assert regions.loc["BE211", "level"] == 3 and regions.loc["BE211", "nuts_version"] == 2021
    # 1 degree x 1 degree at 50.5 N: 111.32^2 * cos(50.5 deg) = 7,884 km2
    assert regions.loc["BE100", "area_km2"] == pytest.approx(7884, rel=0.01)


def test_area_formula_by_hand():
    from shapely.geometry import box

    assert approx_area_km2(box(0, -0.5, 1, 0.5)) == pytest.approx(111.32**2, rel=1e-6)


def test_bad_geojson(tmp_path):
    path = tmp_path / "NUTS_RG_60M_2021_4326.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as info:
        read_nuts(path)
    assert info.value.line == 1
    path.write_text('{"type": "FeatureCollection", "features": [{"properties": {"NUTS_ID": "XX1"}, "geometry": null}]}')
    with pytest.raises(InputError, match="unknown NUTS code"):
        read_nuts(path)
    with pytest.raises(InputError, match="NUTS version"):
        read_nuts(write_geojson(tmp_path / "regions.geojson", NUTS_2021))


def _indicators(rows: list[tuple[str, int, float]]) -> Batch:
    frame = pd.DataFrame(rows, columns=["region", "year", "value"]).assign(
        indicator="x", unit="PC", source="test", flag=None)
    return Batch("test", "i.csv", "i", len(frame), tables={"indicators": frame})


def test_correspondence_recode_split_and_unknown(tmp_path):
    """2016: BE10 = 2021's BE100 square under an old code (recode); BE2 covered both 2021
    level-2 squares BE21 and a piece more (merge into nothing one-to-one: not mapped)."""
    wh = Warehouse()
    wh.write(read_nuts(write_geojson(tmp_path / "NUTS_RG_60M_2021_4326.geojson", NUTS_2021)))
    old = [feature("BE", rectangle(4, 50, 6, 51)), feature("BE9", square(4, 50)), feature("BE90", square(4, 50)),
           feature("BE2", square(5, 50)), feature("BE22", rectangle(4, 50, 6, 51))]
    wh.write(read_nuts(write_geojson(tmp_path / "NUTS_RG_20M_2016_4326.geojson", old)))
    wh.write(_indicators([("BE90", 2015, 1.5), ("BE22", 2015, 2.0), ("BE21", 2015, 3.0), ("BE10", 2015, 4.0),
                          ("UKI1", 2015, 5.0)]))
    harmonise_indicators(wh)
    corr = wh.query("SELECT from_code, to_code, method FROM nuts_correspondence WHERE level = 2 ORDER BY 1, 2")
    assert ("BE90", "BE10", "recode (area overlap)") in set(map(tuple, corr.values.tolist()))
    assert ("BE22", "BE10", "split (area overlap)") in set(map(tuple, corr.values.tolist()))
    mapped = wh.query("SELECT region, from_region, value, method FROM indicators_nuts2021 ORDER BY region, value")
    # BE10 has its own 2021 value (4.0), which wins over the one recoded from BE90
    assert mapped.values.tolist() == [["BE10", "BE10", 4.0, "same code"], ["BE21", "BE21", 3.0, "same code"]]
    versions = dict(wh.query("SELECT region, nuts_version FROM indicators").values.tolist())
    assert versions["BE90"] == 2016 and versions["BE10"] == 2021 and pd.isna(versions["UKI1"])
    reasons = dict(unmapped_codes(wh)[["region", "reason"]].values.tolist())
    assert reasons["UKI1"] == "code in none of the loaded NUTS versions"
    assert "split (area overlap) -> BE10" in reasons["BE22"]
    assert reasons["BE90"].endswith("where the values published under the 2021 code take precedence")


def test_recode_carries_the_value_when_there_is_no_2021_value(tmp_path):
    wh = Warehouse()
    wh.write(read_nuts(write_geojson(tmp_path / "NUTS_RG_60M_2021_4326.geojson", NUTS_2021)))
    wh.write(read_nuts(write_geojson(tmp_path / "NUTS_RG_20M_2016_4326.geojson",
                                     [feature("BE9", square(4, 50)), feature("BE90", square(4, 50))])))
    wh.write(_indicators([("BE90", 2015, 1.5)]))
    harmonise_indicators(wh)
    assert wh.query("SELECT region, from_region, from_version, value, method FROM indicators_nuts2021").values.tolist() == [
        ["BE10", "BE90", 2016, 1.5, "recode (area overlap)"]]
