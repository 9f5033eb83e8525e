from __future__ import annotations

import pandas as pd
import pytest

from rok.errors import InputError
from rok.sources.batch import Batch
from rok.sources.gazetteer import Gazetteer
from rok.sources.nuts import read_nuts
from rok.warehouse import Warehouse
from rok.warehouse.placement import build_organisations
from tests.synthetic import NUTS_2021, write_geojson

GAZETTEER = Gazetteer({
    "BE": {"BRUSSEL": (50.5, 4.5, 1_000_000, "Brussel"), "COASTVILLE": (50.5, 3.9, 5_000, "Coastville")},
    "LU": {"GRENZORT": (50.2, 5.8, 800, "Grenzort")},
})


@pytest.fixture()
def warehouse(tmp_path) -> Warehouse:
    wh = Warehouse()
    wh.write(read_nuts(write_geojson(tmp_path / "NUTS_RG_60M_2021_4326.geojson", NUTS_2021)))
    sources = pd.DataFrame([
        # org_id, source, city, country, postcode, nuts_code, lat, lon
        ("o1", "cordis-h2020-bulk", "Anywhere", "BE", None, "BE211", None, None),
        ("o2", "cordis-h2020-orgs-2017", "BRUSSEL CEDEX 5", "BE", None, None, None, None),
        ("o3", "cordis-h2020-orgs-2017", "Coastville", "BE", None, None, None, None),
        ("o5", "cordis-h2020-orgs-2017", "Nowhere", "BE", None, None, None, None),
        ("o8", "cordis-fp7-addresses", "Nowhere", "BE", "1000", None, None, None),
        ("o9", "cordis-h2020-bulk", None, "BE", None, None, 50.5, 5.5),
        ("o10", "cordis-h2020-orgs-2017", "Grenzort", "LU", None, None, None, None),
        # o11: the preferred source's city is unknown, the FP7 address has a known one
        ("o11", "cordis-h2020-orgs-2017", "Nowhere", "BE", None, None, None, None),
        ("o11", "cordis-fp7-addresses", "Brussel", "BE", None, None, None, None),
    ], columns=["org_id", "source", "city", "country", "postcode", "nuts_code", "lat", "lon"])
    participations = pd.DataFrame({
        "project_id": ["p"] * 12,
        "org_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9", "o10", "o11", "o2"],
        "role": ["participant"] * 11 + ["coordinator"],
        "activity_type": ["HES"] * 12,
        "country": ["BE", "BE", "BE", "LU", "BE", "BE", "US", "BE", "BE", "LU", "BE", "BE"],
    })
    wh.write(Batch("t", "orgs", "1", len(sources), tables={"organisation_sources": sources}))
    wh.write(Batch("t", "parts", "2", len(participations), tables={"participations": participations}))
    return wh


def test_every_method_and_reason(warehouse):
    postcodes = pd.DataFrame({"country": ["BE"], "postcode": ["1000"], "nuts3": ["BE100"]})
    orgs = build_organisations(warehouse, gazetteer=GAZETTEER, postcodes=postcodes).set_index("org_id")
    expected = {
        "o1": ("cordis-nuts", "BE211", "BE21"),
        "o2": ("gazetteer", "BE100", "BE10"),
        "o3": ("gazetteer", "BE100", "BE10"),   # in the sea west of BE100: nearest region of its country
        "o4": ("single-region", "LU000", "LU00"),
        "o5": ("unplaced", None, None),
        "o6": ("unplaced", None, None),
        "o7": ("unplaced", None, None),
        "o8": ("postcode", "BE100", "BE10"),
        "o9": ("geolocation", "BE211", "BE21"),
        "o10": ("gazetteer", "LU000", "LU00"),  # the point lies in BE211, but the organisation is in LU
        "o11": ("gazetteer", "BE100", "BE10"),
    }
    for org, (method, nuts3, nuts2) in expected.items():
        row = orgs.loc[org]
        assert (row["place_method"], row["nuts3"], row["nuts2"]) == (method, nuts3, nuts2), org
        if nuts3:
            assert row["nuts1"] == nuts3[:3] and row["nuts_version"] == 2021
    assert "nearest region" in orgs.loc["o3", "place_detail"]
    assert "fp7" in orgs.loc["o11", "place_detail"]
    assert orgs.loc["o5", "place_detail"] == "address not found in the gazetteer"
    assert orgs.loc["o6", "place_detail"] == "no address"
    assert orgs.loc["o7", "place_detail"] == "country without NUTS regions"
    assert len(orgs) == 11  # nobody dropped


def test_rebuild_is_deterministic(warehouse):
    first = build_organisations(warehouse, gazetteer=GAZETTEER)
    second = build_organisations(warehouse, gazetteer=GAZETTEER)
    pd.testing.assert_frame_equal(first, second)
    assert warehouse.scalar("SELECT count(*) FROM organisations") == 11


def test_no_regions_is_a_clear_error():
    with pytest.raises(InputError, match="no NUTS 2021 regions"):
        build_organisations(Warehouse(), gazetteer=GAZETTEER)


def test_tercet_postcode_file(tmp_path):
    from rok.sources.postcodes import read_postcodes

    path = tmp_path / "pc2020_BE_NUTS-2021_v4.0.csv"
    path.write_text("NUTS3;CODE\n'BE100';'1000'\n'BE211';'2000'\n", encoding="utf-8")
    table = read_postcodes(path)
    assert table.values.tolist() == [["BE", "1000", "BE100"], ["BE", "2000", "BE211"]]
    bad = tmp_path / "pc2020_BE_NUTS-2021_v4.0_bad.csv"
    bad.write_text("NUTS3;CODE\n'LU000';'1000'\n", encoding="utf-8")
    with pytest.raises(InputError, match="outside the country BE") as info:
        read_postcodes(bad)
    assert info.value.line == 2
