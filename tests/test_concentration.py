"""Herfindahl, entropy, Hoover and locational Gini, worked by hand on the 5 x 4 fixture.

Domain D of the fixture (tests/fixtures/analysis/hand_5x4.csv)::

    region  x[r,D]  s[r,D] = x/40   b[r] = x[r,.]/100   s/b (location quotient)
    R1         0       0              0.10              0
    R2         4       0.100          0.20              0.5
    R3        10       0.250          0.20              1.25
    R4        11       0.275          0.25              1.1
    R5        15       0.375          0.25              1.5

HHI[D]  = 0 + 0.01 + 0.0625 + 0.075625 + 0.140625 = 0.28875
H[D]    = -(0.1 ln 0.1 + 0.25 ln 0.25 + 0.275 ln 0.275 + 0.375 ln 0.375)
        = 0.2302585 + 0.3465736 + 0.3550206 + 0.3678110 = 1.2996637 (nats)
Hoover  = 1/2 (|0-.1| + |.1-.2| + |.25-.2| + |.275-.25| + |.375-.25|)
        = 1/2 (0.1 + 0.1 + 0.05 + 0.025 + 0.125) = 0.2
Locational Gini: order by s/b: R1, R2, R4, R3, R5:
    X = 0, .10, .30, .55, .75, 1      Y = 0, 0, .100, .375, .625, 1
    area under the curve = .1(0+0)/2 + .2(0+.1)/2 + .25(.1+.375)/2 + .2(.375+.625)/2 + .25(.625+1)/2
                         = 0 + .01 + .059375 + .1 + .203125 = .3725
    G = 0.5 - 0.3725 = 0.1275
Hoover with a population base (10, 10, 20, 30, 30) -> b = (.1, .1, .2, .3, .3):
    1/2 (.1 + 0 + .05 + .025 + .075) = 0.125
Per region (axis=1), R1 = (6, 3, 1, 0)/10: HHI = .36 + .09 + .01 = 0.46,
    H = .6 ln(1/.6) + .3 ln(1/.3) + .1 ln 10 = .3064954 + .3611918 + .2302585 = 0.8979457
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rok.analysis.concentration import entropy, herfindahl, hoover, locational_gini
from rok.errors import InputError

FIXTURE = Path(__file__).parent / "fixtures" / "analysis" / "hand_5x4.csv"


@pytest.fixture
def x() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, index_col="region")


def test_herfindahl_by_hand(x):
    hhi = herfindahl(x)
    assert hhi["D"] == pytest.approx(0.28875)
    assert list(hhi.index) == ["A", "B", "C", "D"] and hhi.name == "herfindahl"
    assert herfindahl(x, axis=1)["R1"] == pytest.approx(0.46)


def test_entropy_by_hand(x):
    h = entropy(x)
    assert h["D"] == pytest.approx(1.2996637, abs=1e-7)
    expected = -(
        0.1 * math.log(0.1) + 0.25 * math.log(0.25) + 0.275 * math.log(0.275) + 0.375 * math.log(0.375)
    )
    assert h["D"] == pytest.approx(expected, rel=1e-14)
    assert entropy(x, axis=1)["R1"] == pytest.approx(0.8979457, abs=1e-7)


def test_entropy_bounds_in_nats():
    uniform = pd.DataFrame(1.0, index=[f"r{i}" for i in range(7)], columns=["a"])
    assert entropy(uniform)["a"] == pytest.approx(math.log(7))
    single = pd.DataFrame({"a": [0.0, 5.0, 0.0]}, index=["r1", "r2", "r3"])
    assert entropy(single)["a"] == 0.0 and not math.copysign(1, entropy(single)["a"]) < 0
    assert herfindahl(single)["a"] == 1.0
    assert herfindahl(uniform)["a"] == pytest.approx(1 / 7)


def test_hoover_by_hand(x):
    hv = hoover(x)
    assert hv["D"] == pytest.approx(0.2)
    assert hv.name == "hoover"
    population = pd.Series([30, 30, 20, 10, 10], index=["R5", "R4", "R3", "R2", "R1"])  # any order
    assert hoover(x, base=population)["D"] == pytest.approx(0.125)


def test_locational_gini_by_hand(x):
    g = locational_gini(x)
    assert g["D"] == pytest.approx(0.1275)
    assert g.name == "locational_gini"


def test_spread_like_the_base_is_zero_and_one_region_is_maximal():
    x = pd.DataFrame(
        {"even": [10.0, 20.0, 70.0], "alone": [0.0, 0.0, 5.0], "other": [10.0, 20.0, 65.0]},
        index=["r1", "r2", "r3"],
    )
    base = x.sum(axis=1)
    b = base / base.sum()
    assert hoover(x)["even"] == pytest.approx(0, abs=1e-15)
    assert locational_gini(x)["even"] == pytest.approx(0, abs=1e-15)
    # all activity in r3: Hoover = 1 - b[r3]; the curve is (0,0)-(1-b3,0)-(1,1): G = (1 - b3)/2
    assert hoover(x)["alone"] == pytest.approx(1 - b["r3"])
    assert locational_gini(x)["alone"] == pytest.approx((1 - b["r3"]) / 2)


def test_locational_gini_is_bounded_by_hoover_and_half():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.poisson(3.0, (50, 6)) + 0.5, columns=list("abcdef"))
    g, h = locational_gini(x), hoover(x)
    # the area between the diagonal and the (convex) curve is at most the largest vertical gap
    # h (Hoover) times the width 1, and at least the triangle (0,0)-(1,1)-(point of gap h),
    # whose area is h/2
    assert ((g <= h + 1e-15) & (g >= h / 2 - 1e-15) & (g < 0.5)).all()


def test_locational_gini_ties_do_not_matter():
    x = pd.DataFrame({"a": [1.0, 1.0, 2.0, 4.0], "b": [1.0, 1.0, 2.0, 0.0]}, index=["r1", "r2", "r3", "r4"])
    reordered = x.loc[["r4", "r2", "r3", "r1"]]
    assert locational_gini(x)["a"] == pytest.approx(locational_gini(reordered)["a"])


def test_zero_base_region_with_activity_is_refused():
    x = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}, index=["r1", "r2"])
    with pytest.raises(InputError, match="'r1'.*base share of 0"):
        locational_gini(x, base=pd.Series({"r1": 0.0, "r2": 5.0}))


def test_zero_base_region_without_activity_is_ignored():
    x = pd.DataFrame({"a": [0.0, 2.0, 3.0], "b": [0.0, 4.0, 1.0]}, index=["r1", "r2", "r3"])
    base = pd.Series({"r1": 0.0, "r2": 5.0, "r3": 5.0})
    assert locational_gini(x, base=base).tolist() == pytest.approx(
        locational_gini(x.iloc[1:], base=base).tolist()
    )


@pytest.mark.parametrize("measure", [herfindahl, entropy, hoover, locational_gini])
def test_bad_input(measure):
    with pytest.raises(InputError, match="negative"):
        measure(pd.DataFrame({"a": [1.0, -1.0]}))
    with pytest.raises(InputError, match="NaN"):
        measure(pd.DataFrame({"a": [1.0, np.nan]}))
    with pytest.raises(InputError, match="empty"):
        measure(pd.DataFrame())
    with pytest.raises(InputError, match="DataFrame"):
        measure([[1.0, 2.0]])
    with pytest.raises(InputError, match=r"1 domain\(s\) have no activity at all \('b'\)"):
        measure(pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 0.0]}))


def test_bad_axis(x):
    with pytest.raises(InputError, match="axis"):
        herfindahl(x, axis=2)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"region\(s\) have no activity"):
        entropy(pd.DataFrame({"a": [1.0, 0.0], "b": [1.0, 0.0]}, index=["r1", "r2"]), axis=1)


def test_bad_base(x):
    with pytest.raises(InputError, match="Series"):
        hoover(x, base=[1, 2, 3, 4, 5])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no value for 1 region"):
        hoover(x, base=pd.Series(1.0, index=["R1", "R2", "R3", "R4"]))
    with pytest.raises(InputError, match="negative"):
        hoover(x, base=pd.Series([1.0, 1.0, 1.0, 1.0, -1.0], index=x.index))
    with pytest.raises(InputError, match="sums to 0"):
        hoover(x, base=pd.Series(0.0, index=x.index))
