"""Peer regions by structural similarity (S3 Regional Benchmarking Tool): hand-computed
fixtures and the real mirror."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rok.analysis.peers import peers, standardise, structural_features
from rok.errors import InputError

# f1 = 0, 1, 0, 2, 2 and f2 = 0, 0, 2, 2, 1: both mean 1, population sd sqrt(0.8) = 0.894427,
# so a z-distance is the raw distance / 0.894427 = raw x 1.118034.
FEATURES = pd.DataFrame(
    {"f1": [0.0, 1.0, 0.0, 2.0, 2.0], "f2": [0.0, 0.0, 2.0, 2.0, 1.0]},
    index=["AA1", "AA2", "BB1", "BB2", "CC1"],
)


def test_standardise() -> None:
    z = standardise(FEATURES)
    assert z["f1"].tolist() == pytest.approx([-1.118034, 0, -1.118034, 1.118034, 1.118034])
    flat = standardise(pd.DataFrame({"c": [3.0, 3.0], "n": [1.0, np.nan]}))
    assert flat["c"].tolist() == [0.0, 0.0] and math.isnan(flat.loc[1, "n"])


def test_peers_by_hand() -> None:
    out = peers(FEATURES, "AA1", k=3)
    # raw distances from (0, 0): AA2 1, BB1 2, CC1 sqrt 5, BB2 sqrt 8
    assert out["peer"].tolist() == ["AA2", "BB1", "CC1"]
    assert out["distance"].tolist() == pytest.approx([1.118034, 2.236068, 2.5])
    assert out["rank"].tolist() == [1, 2, 3]
    assert out.loc[2, ["f1", "f2"]].tolist() == [2.0, 1.0]  # the peer's own values
    foreign = peers(FEATURES, "AA1", k=3, exclude_country=True)
    assert foreign["peer"].tolist() == ["BB1", "CC1", "BB2"]
    assert foreign["distance"].iloc[-1] == pytest.approx(math.sqrt(8) * 1.118034)


def test_peers_weights_and_ties() -> None:
    # f2 weighs 0: distances |df1| / 0.894427: BB1 0, AA2 1.118, BB2 = CC1 = 2.236 (tie -> by code)
    out = peers(FEATURES, "AA1", k=4, weights={"f2": 0})
    assert out["peer"].tolist() == ["BB1", "AA2", "BB2", "CC1"]
    assert out["distance"].tolist() == pytest.approx([0, 1.118034, 2.236068, 2.236068])


def test_peers_missing_values() -> None:
    features = pd.concat([FEATURES, pd.DataFrame({"f1": [1.0], "f2": [np.nan]}, index=["DD1"])])
    dropped = peers(features, "AA1", k=10)
    assert "DD1" not in set(dropped["peer"])
    assert dropped["distance"].tolist() == pytest.approx(peers(FEATURES, "AA1", k=10)["distance"].tolist())
    # mean: f1 over 6 regions has sd sqrt(4/6) = .8165, DD1 z = (0, 0), AA1 z = (-1.2247, -1.1180)
    imputed = peers(features, "AA1", k=10, missing="mean").set_index("peer")
    assert imputed.loc["DD1", "distance"] == pytest.approx(math.sqrt(1.5 + 1.25))
    with pytest.raises(InputError, match="lacks features"):
        peers(features, "DD1")


def test_peers_bad_input() -> None:
    with pytest.raises(InputError, match="unknown region 'AA3'.*did you mean.*features.index"):
        peers(FEATURES, "AA3")
    with pytest.raises(InputError, match="k must be"):
        peers(FEATURES, "AA1", k=0)
    with pytest.raises(InputError, match="unknown feature"):
        peers(FEATURES, "AA1", weights={"f3": 1.0})
    with pytest.raises(InputError, match="missing"):
        peers(FEATURES, "AA1", missing="zero")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="non-numeric"):
        peers(FEATURES.assign(f3="x"), "AA1")


def test_structural_features_by_hand() -> None:
    regions = pd.DataFrame(
        [
            ("AA11", 2, 0, 0, 0, 100.0),
            ("AA111", 3, 4, 1, 1, 30.0),
            ("AA112", 3, 2, 3, 3, 70.0),
            ("AA12", 2, 0, 0, 0, 50.0),
            ("AA121", 3, 4, 2, 3, 50.0),
        ],
        columns=["code", "level", "mount_type", "urbn_type", "coast_type", "area_km2"],
    )
    indicators = pd.DataFrame(
        [
            ("AA11", "demo_r_d2jan_SEX_T_AGE_TOTAL", 2018, 1000.0, "NR"),
            ("AA11", "demo_r_d2jan_SEX_T_AGE_TOTAL", 2019, 9999.0, "NR"),
            ("AA11", "gdp_pc_pps_nuts2", 2018, 30000.0, "PPS_EU27_2020_HAB"),
            ("AA12", "tgs00109.isced11=ED5-8.age=Y25-64.sex=T", 2017, 40.0, "PC"),
        ],
        columns=["region", "indicator", "year", "value", "unit"],
    )
    out = structural_features(indicators, regions, year=2018)
    assert list(out.index) == ["AA11", "AA12"]
    # AA11: population 1000 (2018), density 1000 / 100 km2 = 10; urban 30 of 100 km2, mountain 70,
    # coastal 30; AA12: one intermediate, non-mountain, non-coastal NUTS 3
    assert out.loc["AA11", "log_population"] == pytest.approx(math.log(1000))
    assert out.loc["AA11", "log_density"] == pytest.approx(math.log(10))
    shares = ["urban_share", "mountain_share", "coastal_share"]
    assert out.loc["AA11", shares].tolist() == pytest.approx([0.3, 0.7, 0.3])
    assert out.loc["AA12", [*shares, "tertiary"]].tolist() == [0, 0, 0, 40]
    assert math.isnan(out.loc["AA12", "log_population"])
    assert out.loc["AA11", "gdp_pps_per_inhabitant"] == 30000
    with pytest.raises(InputError, match="regions lacks"):
        structural_features(indicators, regions.drop(columns="area_km2"))


# --- real mirror ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def features(mirror_db: Path) -> pd.DataFrame:
    with duckdb.connect(str(mirror_db), read_only=True) as con:
        indicators = con.sql(
            "SELECT region, indicator, year, value, unit FROM indicators_nuts2021 WHERE length(region) = 4"
        ).df()
        regions = con.sql(
            """SELECT code, level, country, mount_type, urbn_type, coast_type, area_km2
               FROM regions WHERE nuts_version = 2021"""
        ).df()
    return structural_features(indicators, regions, year=2018)


@pytest.mark.mirror
def test_mirror_peers(features: pd.DataFrame) -> None:
    assert features.dropna().shape[0] > 250
    out = peers(features, "DE21", k=10)
    assert len(out) == 10 and "DE21" not in set(out["peer"])
    assert out["distance"].is_monotonic_increasing
    foreign = peers(features, "DE21", k=10, exclude_country=True)
    assert not foreign["peer"].str.startswith("DE").any()
    for region in ("FR10", "RO11", "SE11"):
        assert region not in set(peers(features, region, k=20)["peer"])
    with pytest.raises(InputError, match="unknown region 'DE2'"):
        peers(features, "DE2")


@pytest.mark.parametrize("exclude_country", [False, True])
@pytest.mark.parametrize("missing", ["mean", "drop"])
def test_all_peers_equals_one_by_one(exclude_country, missing):
    from rok.analysis.peers import all_peers

    rng = np.random.default_rng(3)
    codes = ["AT11", "AT12", "BE10", "BE21", "DE11", "DE12", "DE21", "FR10", "FRB0", "ITC4"]
    features = pd.DataFrame(rng.normal(size=(10, 3)), index=codes, columns=["a", "b", "c"])
    features.iloc[2, 1] = np.nan
    together = all_peers(features, k=4, exclude_country=exclude_country, missing=missing)
    kept = features.index if missing == "mean" else features.dropna().index
    for region in kept:
        alone = peers(features, region, k=4, exclude_country=exclude_country, missing=missing)
        mine = together[together["region"] == region]
        assert list(mine["peer"]) == list(alone["peer"])
        assert np.allclose(mine["distance"], alone["distance"], rtol=0, atol=1e-12)
