"""Complementarity between regions and untapped cooperation (rok.cooperation.complementarity)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from rok.cooperation.complementarity import (
    complementarity_for,
    complementarity_matrix,
    contributions,
    decompose,
    mutual,
    untapped,
)
from rok.errors import InputError

REGIONS = ["A", "B", "C"]
DOMAINS = ["d1", "d2", "d3"]


@pytest.fixture()
def small() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """3 regions x 3 domains, worked by hand (cap = 2, n = 3 domains).

    RCA         d1   d2   d3      M        S = M min(RCA,2)/2    G = (1-M) RD/100
    A          2.0  1.5  0.5    1 1 0      1.0  0.75 0           0    0    0.4
    B          0.5  0.8  3.0    0 0 1      0    0    1.0         0.3  0.2  0
    C          1.0  0.2  0.9    1 0 0      0.5  0    0           0    0.5  0.1
    RD (given): A 60 50 40, B 30 20 90, C 80 50 10.

    C[X->Y] = S_X . G_Y / 3:
    A->B = (1*0.3 + 0.75*0.2) / 3 = 0.45 / 3 = 0.15
    A->C = (0.75*0.5) / 3        = 0.125
    B->A = (1*0.4) / 3           = 0.133333
    B->C = (1*0.1) / 3           = 0.033333
    C->A = 0                     (C's only strength d1 is where A is specialised)
    C->B = (0.5*0.3) / 3         = 0.05
    """
    rca = pd.DataFrame([[2.0, 1.5, 0.5], [0.5, 0.8, 3.0], [1.0, 0.2, 0.9]], index=REGIONS, columns=DOMAINS)
    m = (rca >= 1).astype(int)
    density = pd.DataFrame([[60, 50, 40], [30, 20, 90], [80, 50, 10]], index=REGIONS, columns=DOMAINS, dtype=float)
    return rca, m, density


EXPECTED_C = np.array([[np.nan, 0.15, 0.125], [0.4 / 3, np.nan, 0.1 / 3], [0.0, 0.05, np.nan]])


def test_matrix_by_hand(small: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    c = complementarity_matrix(*small)
    assert list(c.index) == REGIONS and list(c.columns) == REGIONS
    np.testing.assert_allclose(c.to_numpy(), EXPECTED_C, equal_nan=True)


def test_cap_changes_strength(small: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    # cap = 1: S = M, so A->B = (0.3 + 0.2) / 3
    c = complementarity_matrix(*small, cap=1.0)
    assert c.loc["A", "B"] == pytest.approx(0.5 / 3)
    with pytest.raises(InputError):
        complementarity_matrix(*small, cap=0.5)


def test_decomposition_sums_to_score(small: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    c = complementarity_matrix(*small)
    for a in REGIONS:
        for b in REGIONS:
            if a != b:
                parts = decompose(*small, a, b)
                assert parts["contribution"].sum() == pytest.approx(c.loc[a, b])
    parts = decompose(*small, "A", "B")
    assert list(parts.columns) == ["domain", "contribution", "rca_a", "density_b", "specialised_b"]
    assert list(parts["domain"]) == ["d1", "d2", "d3"]  # 0.1, 0.05, 0
    assert parts["contribution"].tolist() == pytest.approx([0.1, 0.05, 0.0])
    assert parts["specialised_b"].tolist() == [False, False, True]
    assert contributions(*small, "B", "A")["d3"] == pytest.approx(0.4 / 3)
    with pytest.raises(InputError):
        decompose(*small, "A", "Z")


def test_mutual_variants(small: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    c = complementarity_matrix(*small)
    mean, low = mutual(c), mutual(c, "min")
    assert mean.loc["A", "B"] == pytest.approx((0.15 + 0.4 / 3) / 2) == mean.loc["B", "A"]
    assert mean.loc["A", "C"] == pytest.approx(0.0625)
    assert low.loc["A", "B"] == pytest.approx(0.4 / 3)
    assert low.loc["A", "C"] == 0.0
    assert np.isnan(mean.loc["A", "A"])
    with pytest.raises(InputError):
        mutual(c, "max")  # type: ignore[arg-type]


class _Fake:
    """Just what complementarity_for reads from Profiles."""

    def __init__(self, rca: pd.DataFrame, m: pd.DataFrame, density: pd.DataFrame) -> None:
        self.rca, self.specialised, self.density = rca, m, density

    def check_region(self, code: str) -> str:
        if code.upper() not in self.rca.index:
            raise InputError("unknown region", value=code)
        return code.upper()

    def region_name(self, code: str) -> str:
        return f"Region {code}"


def test_complementarity_for(small: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    fake = _Fake(*small)
    got = complementarity_for(fake, "b", direction="for")  # C[P->B]: A 0.15, C 0.05
    assert got["partner"].tolist() == ["A", "C"] and got["rank"].tolist() == [1, 2]
    assert got["score"].tolist() == pytest.approx([0.15, 0.05])
    assert got.loc[0, "domains"].startswith("d1 0.100") and got.loc[0, "name"] == "Region A"
    got = complementarity_for(fake, "B", direction="from")  # C[B->P]: A 0.1333, C 0.0333
    assert got["score"].tolist() == pytest.approx([0.4 / 3, 0.1 / 3])
    got = complementarity_for(fake, "C", direction="mutual", k=1)  # A 0.0625, B 0.041667
    assert got["partner"].tolist() == ["A"] and got["score"].tolist() == pytest.approx([0.0625])
    assert got.loc[0, "domains"] == "->d2 0.062"  # the partner A gives d2 to C: 0.125 / 2
    with pytest.raises(InputError):
        complementarity_for(fake, "B", direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        complementarity_for(fake, "Z")


def test_untapped_ranking(small: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    sym = mutual(complementarity_matrix(*small))  # AB 0.141667, AC 0.0625, BC 0.041667
    expected = pd.DataFrame({"source": ["A", "A", "B"], "target": ["B", "C", "C"],
                             "observed": [2.0, 1.0, 0.0], "expected": [5.0, 4.0, 1.0]})
    expected["ratio"] = expected["observed"] / expected["expected"]
    # median of the six off-diagonal values = 0.0625: AB and AC qualify, BC not
    got = untapped(sym, expected, min_complementarity_quantile=0.5, rca=small[0], M=small[1], density=small[2])
    assert list(got.columns) == ["region_a", "region_b", "complementarity", "observed", "expected", "ratio",
                                 "shortfall", "deficit", "score", "top_domains"]
    assert list(zip(got["region_a"], got["region_b"], strict=True)) == [("A", "B"), ("A", "C")]
    # Pearson deficits (e - o) / sqrt(e): 3 / sqrt(5) = 1.341641, 3 / 2 = 1.5
    assert got["deficit"].tolist() == pytest.approx([3 / math.sqrt(5), 1.5])
    # scores: 0.141667 * 1.341641 = 0.190066, 0.0625 * 1.5 = 0.09375
    assert got["score"].tolist() == pytest.approx([0.85 / 6 * 3 / math.sqrt(5), 0.09375])
    assert got["shortfall"].tolist() == pytest.approx([3.0, 3.0])
    assert got["ratio"].tolist() == pytest.approx([0.4, 0.25])
    assert got.loc[0, "top_domains"].startswith("B->A d3 0.067")  # 0.1333 / 2
    # the absolute shortfall, for comparison: 0.141667 * 3 = 0.425, 0.0625 * 3 = 0.1875
    old = untapped(sym, expected, min_complementarity_quantile=0.5, rank_by="shortfall")
    assert old["score"].tolist() == pytest.approx([0.425, 0.1875])
    # all pairs, and a pair above expectation is never untapped; BC: deficit 1 / sqrt(1)
    everything = untapped(sym, expected.assign(observed=[2.0, 5.0, 0.0]), min_complementarity_quantile=0.0)
    assert list(zip(everything["region_a"], everything["region_b"], strict=True)) == [("A", "B"), ("B", "C")]
    assert everything["score"].tolist() == pytest.approx([0.85 / 6 * 3 / math.sqrt(5), 0.125 / 3])
    assert (everything["top_domains"] == "").all()
    # a pair expected below min_expected is not judged: BC (expected 1) goes at 1.5
    judged = untapped(sym, expected, min_complementarity_quantile=0.0, min_expected=1.5)
    assert ("B", "C") not in set(zip(judged["region_a"], judged["region_b"], strict=True)) and len(judged) == 2
    # one region's pairs, oriented from it
    mine = untapped(sym, expected, min_complementarity_quantile=0.0, region="c")
    assert list(zip(mine["region_a"], mine["region_b"], strict=True)) == [("C", "A"), ("C", "B")]
    assert untapped(sym, expected, k=1, min_complementarity_quantile=0.0).shape[0] == 1
    with pytest.raises(InputError):
        untapped(sym, expected, min_complementarity_quantile=2.0)
    with pytest.raises(InputError):
        untapped(sym, expected.drop(columns="expected"))
    with pytest.raises(InputError, match="rank_by"):
        untapped(sym, expected, rank_by="size")
    with pytest.raises(InputError, match="min_expected"):
        untapped(sym, expected, min_expected=0.0)


def test_untapped_relative_not_absolute() -> None:
    """Equal complementarity: a large pair 10% below expectation (100 expected, 90 observed) and a
    small pair with nothing of the 4 expected. Absolute shortfall: 10 > 4, the large pair first;
    Pearson deficit: 10 / 10 = 1 < 4 / 2 = 2, the small pair first."""
    sym = pd.DataFrame([[np.nan, 0.2, 0.2, 0.0], [0.2, np.nan, 0.0, 0.0], [0.2, 0.0, np.nan, 0.0],
                        [0.0, 0.0, 0.0, np.nan]], index=list("ABCD"), columns=list("ABCD"))
    expected = pd.DataFrame({"source": ["A", "A"], "target": ["B", "C"], "observed": [90.0, 0.0],
                             "expected": [100.0, 4.0]})
    relative = untapped(sym, expected, min_complementarity_quantile=0.5)
    assert relative["region_b"].tolist() == ["C", "B"] and relative["deficit"].tolist() == pytest.approx([2.0, 1.0])
    absolute = untapped(sym, expected, min_complementarity_quantile=0.5, rank_by="shortfall")
    assert absolute["region_b"].tolist() == ["B", "C"]


# -- on the real mirror ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def mirror_parts(mirror_db):  # type: ignore[no-untyped-def]
    from rok.analysis.network_profiles import Networks
    from rok.analysis.profiles import Profiles
    from rok.measures import Selection, open_engine

    with open_engine("duckdb", mirror_db) as engine:
        profiles = Profiles.compute(engine, Selection())
        networks = Networks.compute(engine, Selection(), organisations=False, betweenness=False)
    return profiles, networks


def test_mirror_matrix(mirror_parts) -> None:  # type: ignore[no-untyped-def]
    p, n = mirror_parts
    clock = time.perf_counter()
    c = complementarity_matrix(p.rca, p.specialised, p.density)
    seconds = time.perf_counter() - clock
    print(f"\ncomplementarity matrix {c.shape[0]} x {c.shape[1]} regions, {p.specialised.shape[1]} domains: "
          f"{seconds * 1000:.1f} ms")
    assert seconds < 2.0
    values = c.to_numpy()
    off = values[~np.eye(len(values), dtype=bool)]
    assert np.isnan(np.diag(values)).all() and ((off >= 0) & (off <= 1)).all()
    a, b = c.index[0], c.index[1]
    assert decompose(p.rca, p.specialised, p.density, a, b)["contribution"].sum() == pytest.approx(c.loc[a, b])
    top = complementarity_for(p, "DE21", direction="mutual", k=5)
    assert len(top) == 5 and "DE21" not in set(top["partner"]) and top["score"].is_monotonic_decreasing
    found = untapped(mutual(c), n.gravity.expected, region="DE21", k=10, rca=p.rca, M=p.specialised,
                     density=p.density)
    print(found.to_string())
    assert (found["observed"] < found["expected"]).all() and (found["expected"] >= 1.0).all()
    assert found["score"].is_monotonic_decreasing
    assert (found["region_a"] == "DE21").all()
