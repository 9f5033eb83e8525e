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
from rok.analysis.indicators import DEFAULT_SPEC, keyed, series
from rok.analysis.performance import (
    INSUFFICIENT,
    IndicatorSpec,
    fit_scaling,
    latest_values,
    normalise,
    performance_group,
    performance_index,
    performance_subgroup,
    subgroup_cuts,
)
from rok.errors import InputError
from rok.sources.eurostat import PANEL_SOURCE, indicator_key, read_eurostat

FIXTURES = Path(__file__).parent / "fixtures"
POP = "demo_r_d2jan_SEX_T_AGE_TOTAL"  # the panel's code: joined to the spec's key by indicator_key
SPEC = (
    IndicatorSpec("a", ("a",), None, "a", transform="none", weight="population"),
    IndicatorSpec("b", ("b",), None, "b", transform="none", weight="population"),
    IndicatorSpec("c", ("c",), None, "c", transform="sqrt", weight="population"),
)


def long(rows: list[tuple[str, str, int, float]], unit: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["region", "indicator", "year", "value"])
    if unit is not None:
        frame["unit"] = unit
    return frame


def four_regions() -> pd.DataFrame:
    """AT11, AT12, DE11 (EU-27) and CH01 (not), three indicators and population (weights)."""
    pop = {"AT11": 100, "AT12": 300, "DE11": 600, "CH01": 1000}
    a = {"AT11": 1, "AT12": 2, "DE11": 4, "CH01": 5}
    b = {"AT11": 10, "AT12": 30, "DE11": 20}
    c = {"AT11": 0, "AT12": 4, "DE11": 16, "CH01": 9}
    rows = [(r, "a", 2016, v) for r, v in a.items()]
    rows += [("AT11", "a", 2015, 0.0),  # in the window 2014-2016: pooled for min-max, not AT11's value
             ("DE11", "a", 2012, 99.0),  # before the window: not used
             ("CH01", "a", 2017, 50.0)]  # 2017 has 1 region < half of 2016's 4: not the latest year
    rows += [(r, "b", 2016, v) for r, v in b.items()] + [(r, "c", 2016, v) for r, v in c.items()]
    frame = long(rows, unit="")
    people = long([(r, POP, 2016, v) for r, v in pop.items()], unit="NR")
    return pd.concat([frame, people], ignore_index=True)


def test_normalise_replaces_outliers_beyond_mean_plus_sds() -> None:
    # 1, 2, 3, 100 with 1 sd: mean 26.5, sd sqrt(7205 / 3) = 49.007 -> 100 > 75.5 is an outlier,
    # replaced by the largest other value (3): 1, 2, 3, 3. Skewness (adjusted) -0.85 <= 1, no
    # root. Min-max: 0, .5, 1, 1.
    scores, scaling = normalise(pd.Series([1.0, 2.0, 3.0, 100.0], index=list("ABCD")), sds=1.0)
    assert (scaling.sqrt, scaling.n_outliers, scaling.upper) == (False, 1, 3.0)
    assert scores.tolist() == pytest.approx([0, 0.5, 1, 1])
    # with the default 3 sd, four values can hold no outlier (a z-score is at most 3/2 here)
    assert normalise(pd.Series([1.0, 2.0, 3.0, 100.0]))[1].n_outliers == 0


def test_normalise_takes_square_root_when_skewness_exceeds_one() -> None:
    # 0, 1, 4, 16: mean 5.25, m2 = 40.6875, m3 = 254.71875, g1 = 0.9815,
    # G1 = g1 * sqrt(12) / 2 = 1.700 > 1 -> sqrt: 0, 1, 2, 4 -> 0, .25, .5, 1
    scores, scaling = normalise(pd.Series([0.0, 1.0, 4.0, 16.0], index=list("ABCD")))
    assert scaling.sqrt and scaling.skewness == pytest.approx(1.700, abs=1e-3)
    assert scores.tolist() == pytest.approx([0, 0.25, 0.5, 1])
    # forced: sqrt(10, 20, 30) = 3.1623, 4.4721, 5.4772 -> (4.4721 - 3.1623) / 2.3149 = 0.5658
    forced, scaling = normalise(pd.Series([10.0, 20.0, 30.0]), "sqrt")
    assert scaling.sqrt and forced[1] == pytest.approx(0.565826, abs=1e-6)
    # the scaling fitted on pooled values (all years) scores the latest ones
    pooled = pd.Series([0.0, 2.0, 4.0, 8.0])
    assert normalise(pd.Series([2.0, 4.0]), "none", pooled=pooled)[0].tolist() == [0.25, 0.5]


def test_zero_interquartile_range() -> None:
    # 1, 1, 1, 1, 2: zero IQR, but 2 is no outlier (mean 1.2, sd .447): scored, not NaN
    scores, scaling = normalise(pd.Series([1.0, 1.0, 1.0, 1.0, 2.0]))
    assert scaling.dropped is None and scores.tolist() == pytest.approx([0, 0, 0, 0, 1])
    # eleven 0 and one 5: mean .41667, sd 1.44338, 5 > 4.7468 is an outlier, set to 0: no spread
    scaling = fit_scaling(pd.Series([0.0] * 11 + [5.0]))
    assert scaling.n_outliers == 1 and scaling.dropped is not None and "no spread" in scaling.dropped
    assert scaling.apply(pd.Series([0.0, 5.0])).isna().all()


def test_zero_spread_indicator_is_listed_as_dropped() -> None:
    flat = long([(r, "z", 2016, 7.0) for r in ("AT11", "AT12", "DE11", "CH01")], unit="")
    spec = (*SPEC, IndicatorSpec("z", ("z",), None, "z", weight="population"))
    result = performance_index(pd.concat([four_regions(), flat]), window=3, spec=spec)
    assert result.dropped == {"z": "no spread: all values equal after outlier treatment"}
    assert result.table.loc["DE11", "index"] == pytest.approx(112.657, abs=1e-3)  # as without z


def test_performance_index_by_hand() -> None:
    result = performance_index(four_regions(), window=3, spec=SPEC)
    # a: pooled 0 (AT11 2015), 1, 2, 4, 5 -> (x - 0) / 5: .2, .4, .8, 1
    # b: 10, 30, 20 -> 0, 1, .5 (CH01 has none); c: sqrt 0, 2, 4, 3 -> 0, .5, 1, .75
    assert result.scores.loc["AT11"].tolist() == pytest.approx([0.2, 0.0, 0.0])
    assert result.scores.loc["CH01", ["a", "c"]].tolist() == pytest.approx([1.0, 0.75])
    assert result.years.loc["AT11", "a"] == 2016 and result.values.loc["CH01", "a"] == 5
    summary = result.indicators
    assert summary.loc["a", ["first_year", "latest_year", "regions"]].tolist() == [2014, 2016, 4]
    # EU-27 aggregate, population-weighted over AT11, AT12, DE11 (pop. 100, 300, 600):
    # a (1*100 + 2*300 + 4*600) / 1000 = 3.1 -> .62; b 22 -> .6; c 10.8 -> sqrt 3.28634 / 4 = .821584
    assert summary["reference_value"].tolist() == pytest.approx([3.1, 22.0, 10.8])
    assert result.reference_scores.tolist() == pytest.approx([0.62, 0.6, 0.821584], abs=1e-6)
    # index = 100 * sum of the region's scores / sum of the reference's (2.041584)
    table = result.table
    assert table.loc[["AT11", "AT12", "DE11"], "index"].tolist() == pytest.approx([9.796, 93.065, 112.657], abs=1e-3)
    assert table.loc[["AT11", "AT12", "DE11"], "group"].tolist() == ["emerging", "moderate", "strong"]
    # emerging range 9.796 .. 70 -> cuts 29.86, 49.93: AT11 in the bottom third; moderate+ >= 90
    assert table.loc[["AT11", "AT12", "DE11"], "subgroup"].tolist() == ["emerging-", "moderate+", "strong"]
    # CH01: 2 of 3 indicators < the default minimum ceil(.75 * 3) = 3
    assert result.min_indicators == 3 and table.loc["CH01", "group"] == INSUFFICIENT
    assert math.isnan(table.loc["CH01", "index"]) and table.loc["CH01", "missing"] == ("b",)
    # contributions of DE11: points 100 * (.8, .5, 1) / 2.041584 add up to the index
    own = result.contributions.set_index(["region", "indicator"]).loc["DE11"]
    assert own["points"].tolist() == pytest.approx([39.185, 24.491, 48.981], abs=1e-3)
    assert own["points"].sum() == pytest.approx(table.loc["DE11", "index"])
    assert own["share"].tolist() == pytest.approx([0.8 / 2.3, 0.5 / 2.3, 1 / 2.3])


def test_insufficient_data_and_minimum() -> None:
    # with a minimum of 2, CH01 is compared on a and c: 100 * 1.75 / (.62 + .821584) = 121.394
    result = performance_index(four_regions(), window=3, spec=SPEC, min_indicators=2)
    assert result.table.loc["CH01", "index"] == pytest.approx(121.394, abs=1e-3)
    assert result.table.loc["CH01", "group"] == "strong"
    strict = performance_index(four_regions(), window=3, spec=SPEC, min_indicators=3, regions=["AT12", "CH01", "FR10"])
    assert list(strict.table.index) == ["AT12", "CH01", "FR10"]  # scaled over all regions all the same
    assert strict.table.loc["AT12", "index"] == pytest.approx(93.065, abs=1e-3)
    assert strict.table.loc[["CH01", "FR10"], "group"].tolist() == [INSUFFICIENT, INSUFFICIENT]
    assert strict.table.loc["FR10", "n_used"] == 0


def test_reference_choices_and_national_aggregates() -> None:
    # all countries: a (3100 + 5 * 1000) / 2000 = 4.05 -> .81; b 22 -> .6; c 9.9 -> sqrt / 4 = .786607
    every = performance_index(four_regions(), window=3, spec=SPEC, reference="all")
    assert every.reference_scores.tolist() == pytest.approx([0.81, 0.6, 0.786607], abs=1e-6)
    germany = performance_index(four_regions(), window=3, spec=SPEC, reference="de")
    assert germany.reference_scores.tolist() == pytest.approx([0.8, 0.5, 1.0])
    assert germany.table.loc["DE11", "index"] == pytest.approx(100.0) and germany.reference == "DE"
    # a national (NUTS 0) value of a replaces Austria's regions: (3 * 500 + 4 * 600) / 1100
    national = long([("AT", "a", 2016, 3.0)], unit="").assign()
    people = long([("AT", POP, 2016, 500.0)], unit="NR")
    result = performance_index(pd.concat([four_regions(), national, people]), window=3, spec=SPEC)
    assert result.indicators.loc["a", "reference_value"] == pytest.approx(3900 / 1100)
    assert result.indicators.loc["b", "reference_value"] == pytest.approx(22.0)  # no national b
    with pytest.raises(InputError, match="unknown country 'XX'"):
        performance_index(four_regions(), window=3, spec=SPEC, reference="DE,XX")


def test_group_boundaries_and_thirds() -> None:
    assert [performance_group(v) for v in (125.01, 125.0, 100.0, 99.99, 70.0, 69.99)] == [
        "leader", "strong", "strong", "moderate", "moderate", "emerging"]
    assert performance_group(float("nan")) is None
    index = pd.Series([150.0, 130.0, 110.0, 101.0, 95.0, 72.0, 40.0, 10.0])
    cuts = subgroup_cuts(index)
    # leader 125 .. 150 (the highest), strong 100 .. 125, moderate 70 .. 100, emerging 10 (the lowest) .. 70
    assert cuts["leader"] == pytest.approx((133.333, 141.667), abs=1e-3)
    assert cuts["strong"] == pytest.approx((108.333, 116.667), abs=1e-3)
    assert cuts["moderate"] == pytest.approx((80.0, 90.0)) and cuts["emerging"] == pytest.approx((30.0, 50.0))
    assert [performance_subgroup(v, cuts) for v in index] == [
        "leader+", "leader-", "strong", "strong-", "moderate+", "moderate-", "emerging", "emerging-"]
    assert [performance_subgroup(v, cuts) for v in (125.0, 90.0, 80.0, 79.99)] == [
        "strong+", "moderate+", "moderate", "moderate-"]
    assert performance_subgroup(float("nan"), cuts) is None


def test_indicator_keys_join_panel_and_sdmx() -> None:
    assert indicator_key("tgs00042.sectperf=TOTAL") == indicator_key("rd_e_gerdreg_SECTPERF_TOTAL")
    assert indicator_key("tgs00109.isced11=ED5-8.age=Y25-64.sex=T") == indicator_key(
        "edat_lfse_04_SEX_T_ISCED11_ED5-8_AGE_Y25-64") == "edat_lfse_04.age=Y25-64.isced11=ED5-8.sex=T"
    assert indicator_key("htec_emp_reg2_NACE_R2_C_HTC_MH_SEX_T") == "htec_emp_reg2.nace_r2=C_HTC_MH.sex=T"
    assert indicator_key("nama_10r_2gdp") == "nama_10r_2gdp" and indicator_key("a") == "a"
    for item in DEFAULT_SPEC:  # the spec is written in keys already
        assert all(indicator_key(code) == code for code in item.codes)


def test_fetched_sdmx_table_reaches_the_index() -> None:
    batch = read_eurostat(FIXTURES / "eurostat" / "rd_e_gerdreg_sdmx1.csv")
    fetched = batch.tables["indicators"]
    assert set(fetched["region"]) == {"AT11", "AT12", "DE11"}  # EU27_2020 skipped
    gdp = pd.DataFrame({"region": ["AT11", "AT12", "DE11"], "indicator": "nama_10r_2gdp", "year": 2021,
                        "value": [1e4, 4e4, 5e4], "unit": "MIO_EUR", "source": "eurostat:nama_10r_2gdp"})
    panel = pd.DataFrame({"region": ["DE11", "DE11"], "indicator": "rd_e_gerdreg_SECTPERF_BES", "year": [2015, 2021],
                          "value": [2.9, 9.99], "unit": "PC_GDP", "source": PANEL_SOURCE})
    rows = pd.concat([fetched.drop(columns=["nuts_version", "flag"]), gdp, panel], ignore_index=True)
    business = series(keyed(rows), DEFAULT_SPEC[0]).set_index(["region", "year"])["value"]
    assert business[("DE11", 2021)] == 3.5 and business[("DE11", 2015)] == 3.0  # the fetched table wins
    result = performance_index(rows, window=3, spec=DEFAULT_SPEC[:2], min_indicators=1)
    summary = result.indicators
    assert summary.loc["rd_business", ["first_year", "latest_year", "regions"]].tolist() == [2019, 2021, 3]
    # rd_public: AT11 .1 + .2; AT12 no GOV -> TOTAL - BES = .9; DE11 .3 + .6
    assert result.values["rd_public"].tolist() == pytest.approx([0.3, 0.9, 0.9])
    # GDP-weighted EU aggregates: (.4e4 + 2 * 4e4 + 3.5 * 5e4) / 1e5 = 2.59; (.3e4 + .9 * 9e4) / 1e5 = .84
    assert summary["reference_value"].tolist() == pytest.approx([2.59, 0.84])
    # scores: (x - .4) / 3.1 and (x - .3) / .6 -> reference .70645 and .9
    assert result.reference_scores.tolist() == pytest.approx([2.19 / 3.1, 0.9])
    assert result.table.loc["DE11", "index"] == pytest.approx(100 * 2 / (2.19 / 3.1 + 0.9))


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
    spec = (*SPEC, IndicatorSpec("fp", ("fp",), None, "fp", transform="none", weight="population"))
    extra = pd.DataFrame({"region": ["AT11", "AT12", "DE11", "CH01"], "indicator": "fp", "value": [0.0, 1.0, 2.0, 3.0]})
    result = performance_index(four_regions(), window=3, spec=spec, extra=extra)
    assert result.scores["fp"].tolist() == pytest.approx([0, 1 / 3, 1, 2 / 3])  # AT11, AT12, CH01, DE11
    assert result.indicators.loc["fp", "reference_value"] == pytest.approx((300 + 2 * 600) / 1000)


def test_indicator_without_data_is_dropped() -> None:
    spec = (*SPEC, IndicatorSpec("none", ("absent",), None, "absent", weight="population"))
    result = performance_index(four_regions(), window=3, spec=spec)
    assert result.dropped == {"none": "no data"}
    assert result.table.loc["DE11", "index"] == pytest.approx(112.657, abs=1e-3)
    unweighted = (*SPEC, IndicatorSpec("w", ("a",), None, "w"))
    assert performance_index(four_regions(), window=3, spec=unweighted).dropped == {"w": "no reference aggregate (no weight)"}


@pytest.mark.parametrize(
    "kwargs",
    [{"min_indicators": 0}, {"min_indicators": 4}, {"window": 0}, {"coverage": 0}, {"spec": []},
     {"spec": [SPEC[0], SPEC[0]]}, {"spec": [IndicatorSpec("a", ("a",), None, "a", weight="area")]},
     {"reference": ""}],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    options = {"spec": SPEC, **kwargs}
    with pytest.raises(InputError):
        performance_index(four_regions(), **options)  # type: ignore[arg-type]


def test_bad_frames() -> None:
    with pytest.raises(InputError, match="lacks columns"):
        performance_index(pd.DataFrame({"region": ["A"], "value": [1.0]}))
    twice = pd.concat([four_regions(), four_regions().head(1)])
    with pytest.raises(InputError, match="duplicate rows"):
        performance_index(twice, spec=SPEC)
    with pytest.raises(InputError, match="extra lacks"):
        performance_index(four_regions(), window=3, spec=SPEC, extra=pd.DataFrame({"region": ["A"]}))
    negative = long([("AT11", "a", 2016, -1.0), ("AT12", "a", 2016, 2.0), ("DE11", "a", 2016, 3.0)])
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
    assert not result.dropped and result.reference == "EU-27 (2020)"
    grouped = table[table["group"] != INSUFFICIENT]
    assert len(grouped) > 200 and set(grouped["group"]) == {"leader", "strong", "moderate", "emerging"}
    assert (grouped["group"] == "leader").mean() <= 0.2  # the RIS has about 15 % leaders
    for strong in ("SE11", "DE21", "DK01"):
        assert table.loc[strong, "group"] in ("leader", "strong"), strong
    east = table[table.index.str[:2].isin(["RO", "BG"])]["group"]
    assert (east.isin(["emerging", "moderate"])).sum() >= 8
    # the fetched tertiary table (tgs00109, to 2024) reaches the index
    assert result.indicators.loc["tertiary", "latest_year"] >= 2022
    parts = result.contributions[result.contributions["region"] == "DE21"]
    assert parts["points"].sum() == pytest.approx(table.loc["DE21", "index"])


@pytest.mark.mirror
def test_mirror_critical_mass(warehouse_frames: dict[str, pd.DataFrame]) -> None:
    frames = warehouse_frames
    out = critical_mass(frames["totals"], frames["mix"], frames["indicators"])
    assert out["participations"].sum() == frames["totals"]["participations"].sum()
    assert out.loc["FR10", "organisations"] > out.loc["DE21", "organisations"] > 0
    assert out["gerd_mio_eur"].notna().mean() > 0.7
    assert 5_000 < out.loc["DE21", "gerd_mio_eur"] < 30_000  # Oberbayern: about 3 % of 300 bn EUR
