"""Research performance index (RIS method) and critical mass: hand-computed fixtures and the
real mirror."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rok.analysis.critical_mass import critical_mass, per_inhabitant
from rok.analysis.performance import (
    IndicatorSpec,
    latest_values,
    normalise,
    performance_group,
    performance_index,
)
from rok.errors import InputError

SPEC = (
    IndicatorSpec("a", ("a",), None, "a"),
    IndicatorSpec("b", ("b",), None, "b"),
    IndicatorSpec("c", ("c",), None, "c", transform="none"),
)


def long(rows: list[tuple[str, str, int, float]], unit: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["region", "indicator", "year", "value"])
    if unit is not None:
        frame["unit"] = unit
    return frame


def four_regions() -> pd.DataFrame:
    a = {"A": 1, "B": 2, "C": 3, "D": 100}
    b = {"A": 0, "B": 1, "C": 4, "D": 16}
    c = {"A": 10, "B": 20, "D": 30}
    rows = [(r, "a", 2016, v) for r, v in a.items()] + [("A", "a", 2015, 50.0)]  # older value ignored
    rows += [(r, "b", 2016, v) for r, v in b.items()] + [(r, "c", 2016, v) for r, v in c.items()]
    return long(rows)


def test_normalise_caps_outliers_by_tukey_fences() -> None:
    # a = 1, 2, 3, 100: Q1 = 1.75, Q3 = 27.25 (linear), IQR = 25.5, upper fence 65.5 -> 100 is an
    # outlier, replaced by the largest value inside (3): 1, 2, 3, 3. Skewness (adjusted) -0.85
    # <= 1, no root. Min-max: 0, 0.5, 1, 1.
    scores, root, n_out = normalise(pd.Series([1.0, 2.0, 3.0, 100.0], index=list("ABCD")))
    assert (root, n_out) == (False, 1)
    assert scores.tolist() == pytest.approx([0, 0.5, 1, 1])


def test_normalise_takes_square_root_when_skewness_exceeds_one() -> None:
    # b = 0, 1, 4, 16: fences -8.625 .. 16.375, no outlier; mean 5.25, m2 = 40.6875,
    # m3 = 254.71875, g1 = 0.9815, G1 = g1 * sqrt(12) / 2 = 1.700 > 1 -> sqrt: 0, 1, 2, 4 -> 0, .25, .5, 1
    scores, root, n_out = normalise(pd.Series([0.0, 1.0, 4.0, 16.0], index=list("ABCD")))
    assert (root, n_out) == (True, 0)
    assert scores.tolist() == pytest.approx([0, 0.25, 0.5, 1])
    # forced: sqrt(10, 20, 30) = 3.1623, 4.4721, 5.4772 -> (4.4721 - 3.1623) / 2.3149 = 0.5658
    forced, root, _ = normalise(pd.Series([10.0, 20.0, 30.0]), "sqrt")
    assert root and forced[1] == pytest.approx(0.565826, abs=1e-6)


def test_performance_index_by_hand() -> None:
    result = performance_index(four_regions(), spec=SPEC)
    # normalised: a = 0, .5, 1, 1; b = 0, .25, .5, 1; c = 0, .5, NaN, 1 (fences 0..40, skew 0)
    assert result.scores.loc["C"].tolist()[:2] == pytest.approx([1.0, 0.5])
    assert math.isnan(result.scores.loc["C", "c"])
    assert result.transforms == {"a": "none", "b": "sqrt", "c": "none"}
    assert result.outliers == {"a": 1, "b": 0, "c": 0}
    # composites: A 0, B 1.25/3 = .416667, C .75 (2 of 3 >= 50%), D 1; mean .541667
    table = result.table
    assert result.reference_mean == pytest.approx(0.541667, abs=1e-6)
    assert table["index"].tolist() == pytest.approx([0.0, 76.923077, 138.461538, 184.615385])
    assert table["group"].tolist() == ["emerging", "moderate", "leader", "leader"]
    assert table.loc["C", "used"] == ("a", "b") and table.loc["C", "missing"] == ("c",)
    assert result.values.loc["A", "a"] == 1 and result.years.loc["A", "a"] == 2016


def test_min_share_and_reference() -> None:
    strict = performance_index(four_regions(), spec=SPEC, min_share=0.9)
    # C has 2 of 3 < 2.7: no index; mean of A, B, D = (0 + .416667 + 1) / 3 = .472222
    assert math.isnan(strict.table.loc["C", "index"]) and strict.table.loc["C", "group"] is None
    assert strict.table.loc["B", "index"] == pytest.approx(88.235294)
    against_d = performance_index(four_regions(), spec=SPEC, reference=["D"])
    assert against_d.table.loc["D", "index"] == pytest.approx(100.0)
    assert against_d.table.loc["C", "group"] == "moderate"  # 75.0


def test_group_boundaries() -> None:
    assert [performance_group(v) for v in (125.01, 125.0, 100.0, 99.99, 70.0, 69.99)] == [
        "leader",
        "strong",
        "strong",
        "moderate",
        "moderate",
        "emerging",
    ]
    assert performance_group(float("nan")) is None


def test_latest_values_sums_components_year_and_window() -> None:
    rows = long(
        [
            ("R", "gov", 2014, 0.5),
            ("R", "hes", 2014, 0.25),
            ("R", "gov", 2016, 1.0),  # no hes in 2016: that year does not count
            ("S", "gov", 2012, 1.0),
            ("S", "hes", 2012, 1.0),
            ("T", "gov", 2016, 0.1),
            ("T", "hes", 2016, np.nan),  # missing value: the year does not count
        ],
        unit="PC_GDP",
    )
    item = IndicatorSpec("public", ("gov", "hes"), "PC_GDP", "public")
    picked = latest_values(rows, item)
    assert picked.loc["R"].tolist() == [0.75, 2014] and picked.loc["S"].tolist() == [2.0, 2012]
    assert "T" not in picked.index
    # latest year of the indicator is 2014; a window of 1 year drops S (2012)
    assert list(latest_values(rows, item, window=1).index) == ["R"]
    assert list(latest_values(rows, item, year=2013).index) == ["S"]
    assert latest_values(rows, IndicatorSpec("x", ("gov",), "FTE", "x")).empty


def test_per_inhabitant_and_extra() -> None:
    population = long([("A", "pop", 2017, 1e3), ("A", "pop", 2019, 2e3), ("B", "pop", 2017, 500.0)], "NR")
    totals = pd.DataFrame({"participations": [10.0, 10.0], "ec_eur": [5000.0, 0.0]}, index=["A", "B"])
    out = per_inhabitant(totals, population, year=2018, population=("pop", "NR"))
    out = out.set_index(["region", "indicator"])
    assert out.loc[("A", "participations_per_inhabitant"), "value"] == pytest.approx(0.01)
    assert out.loc[("B", "ec_eur_per_inhabitant"), "value"] == 0.0
    assert out.loc[("A", "ec_eur_per_inhabitant"), "year"] == 2017
    spec = (*SPEC, IndicatorSpec("fp", ("fp",), None, "fp"))
    extra = pd.DataFrame({"region": list("ABCD"), "indicator": "fp", "value": [0.0, 1.0, 2.0, 3.0]})
    result = performance_index(four_regions(), spec=spec, extra=extra)
    assert result.scores["fp"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])


def test_indicator_without_data_is_dropped() -> None:
    spec = (*SPEC, IndicatorSpec("none", ("absent",), None, "absent"))
    result = performance_index(four_regions(), spec=spec)
    assert result.dropped == {"none": "no data"}
    assert result.table.loc["D", "index"] == pytest.approx(184.615385)


@pytest.mark.parametrize(
    "kwargs",
    [{"min_share": 0}, {"min_share": 1.5}, {"window": -1}, {"spec": []}, {"spec": [SPEC[0], SPEC[0]]}],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        performance_index(four_regions(), **kwargs)  # type: ignore[arg-type]


def test_bad_frames() -> None:
    with pytest.raises(InputError, match="lacks columns"):
        performance_index(pd.DataFrame({"region": ["A"], "value": [1.0]}))
    twice = pd.concat([four_regions(), four_regions().head(1)])
    with pytest.raises(InputError, match="duplicate rows"):
        performance_index(twice, spec=SPEC)
    with pytest.raises(InputError, match="extra lacks"):
        performance_index(four_regions(), spec=SPEC, extra=pd.DataFrame({"region": ["A"]}))
    negative = long([("A", "a", 2016, -1.0), ("B", "a", 2016, 2.0), ("C", "a", 2016, 3.0)])
    with pytest.raises(InputError, match="square root"):
        performance_index(negative, spec=[IndicatorSpec("a", ("a",), None, "a", "sqrt")])


def test_critical_mass_by_hand() -> None:
    participations = pd.DataFrame({"participations": [10, 5], "ec_eur": [1000.0, 500.0]}, index=["R1", "R2"])
    mix = pd.DataFrame({"HES": [2, 0], "PRC": [3, 0], "REC": [0, 1]}, index=["R1", "R3"])
    fte = "rd_p_persreg_PROF_POS_TOTAL_SEX_T_SECTPERF_TOTAL"
    rows = [
        ("R1", fte, 2014, 100.0, "FTE"),
        ("R1", fte, 2016, 120.0, "FTE"),
        ("R1", "tgs00042.sectperf=TOTAL", 2017, 2.0, "PC_GDP"),
        ("R1", "tgs00042.sectperf=TOTAL", 2018, np.nan, "PC_GDP"),
        ("R1", "nama_10r_2gdp", 2017, 1000.0, "MIO_EUR"),
        ("R1", "nama_10r_2gdp", 2018, 2000.0, "MIO_EUR"),
        ("R2", "rd_e_gerdreg_SECTPERF_TOTAL", 2016, 1.5, "PC_GDP"),
        ("R2", "nama_10r_2gdp", 2016, 400.0, "MIO_EUR"),
    ]
    indicators = pd.DataFrame(rows, columns=["region", "indicator", "year", "value", "unit"])
    out = critical_mass(participations, mix, indicators)
    assert list(out.index) == ["R1", "R2", "R3"]
    counts = ["participations", "ec_eur", "HES", "PRC", "organisations"]
    assert out.loc["R1", counts].tolist() == [10, 1000, 2, 3, 5]
    assert out.loc["R3", ["participations", "REC", "organisations"]].tolist() == [0, 1, 1]
    assert (out.loc["R1", "rd_personnel_fte"], out.loc["R1", "rd_personnel_year"]) == (120.0, 2016)
    # R1: 2018 GERD is missing -> 2017: 2.0 % x 1000 = 20 million EUR; R2: panel 1.5 % x 400 = 6
    assert (out.loc["R1", "gerd_mio_eur"], out.loc["R1", "gerd_year"]) == (20.0, 2017)
    assert out.loc["R2", ["gerd_mio_eur", "gerd_indicator"]].tolist() == [6.0, "rd_e_gerdreg_SECTPERF_TOTAL"]
    assert pd.isna(out.loc["R3", "gerd_mio_eur"]) and pd.isna(out.loc["R3", "rd_personnel_year"])
    early = critical_mass(participations, mix, indicators, year=2015, regions=["R1"])
    assert early.loc["R1", "rd_personnel_fte"] == 100.0 and pd.isna(early.loc["R1", "gerd_mio_eur"])


def test_critical_mass_bad_input() -> None:
    good = pd.DataFrame({"participations": [1], "ec_eur": [1.0]}, index=["R1"])
    empty = pd.DataFrame(columns=["region", "indicator", "year", "value", "unit"])
    with pytest.raises(InputError, match="participations lacks"):
        critical_mass(pd.DataFrame({"n": [1]}), pd.DataFrame(), empty)
    with pytest.raises(InputError, match="unknown activity types"):
        critical_mass(good, pd.DataFrame({"XYZ": [1]}, index=["R1"]), empty)
    with pytest.raises(InputError, match="unit"):
        critical_mass(good, pd.DataFrame(), empty.drop(columns="unit"))


# --- real mirror ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse_frames(mirror_db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(mirror_db), read_only=True) as con:
        indicators = con.sql(
            "SELECT region, indicator, year, value, unit FROM indicators_nuts2021 WHERE length(region) = 4"
        ).df()
        totals = con.sql(
            """SELECT o.nuts2 AS region, count(*) AS participations, sum(p.ec_contribution) AS ec_eur
               FROM participations p JOIN organisations o USING (org_id)
               WHERE o.nuts2 IS NOT NULL GROUP BY ALL"""
        ).df()
        mix = con.sql(
            """SELECT nuts2 AS region, activity_type, count(*) AS n FROM organisations
               WHERE nuts2 IS NOT NULL AND activity_type IS NOT NULL GROUP BY ALL"""
        ).df()
    return {
        "indicators": indicators,
        "totals": totals.set_index("region"),
        "mix": mix.pivot(index="region", columns="activity_type", values="n"),
    }


@pytest.mark.mirror
def test_mirror_performance_groups(warehouse_frames: dict[str, pd.DataFrame]) -> None:
    indicators, totals = warehouse_frames["indicators"], warehouse_frames["totals"]
    extra = per_inhabitant(totals, indicators, year=2018)
    result = performance_index(indicators, extra=extra)
    table = result.table
    assert not result.dropped
    assert table["group"].notna().mean() > 0.9
    assert set(table["group"].dropna()) == {"leader", "strong", "moderate", "emerging"}
    for strong in ("SE11", "DE21", "FR10", "DK01"):
        assert table.loc[strong, "group"] in ("leader", "strong"), strong
    east = table[table.index.str[:2].isin(["RO", "BG"])]["group"]
    assert (east.isin(["emerging", "moderate"])).sum() >= 8
    assert table["index"].mean() == pytest.approx(100.0)


@pytest.mark.mirror
def test_mirror_critical_mass(warehouse_frames: dict[str, pd.DataFrame]) -> None:
    frames = warehouse_frames
    out = critical_mass(frames["totals"], frames["mix"], frames["indicators"])
    assert out["participations"].sum() == frames["totals"]["participations"].sum()
    assert out.loc["FR10", "organisations"] > out.loc["DE21", "organisations"] > 0
    assert out["gerd_mio_eur"].notna().mean() > 0.7
    assert 5_000 < out.loc["DE21", "gerd_mio_eur"] < 30_000  # Oberbayern: about 3 % of 300 bn EUR
