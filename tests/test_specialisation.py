"""RCA, specialisation, diversity and ubiquity on a hand-computed 5 x 4 fixture.

The fixture (tests/fixtures/analysis/hand_5x4.csv)::

           A   B   C   D | x[r,.]
    R1     6   3   1   0 |  10
    R2     8   6   2   4 |  20
    R3     2   4   4  10 |  20
    R4     4   5   5  11 |  25
    R5     0   2   8  15 |  25
    x[.,d] 20  20  20  40 | 100

RCA[r,d] = (x[r,d]/x[r,.]) / (x[.,d]/100) = 100 x[r,d] / (x[r,.] x[.,d]), so
row R1 (x[r,.] = 10): A,B,C divide by 200/100 = 2, D by 4   -> 3.0  1.5  0.5  0.0
row R2 (20):          A,B,C divide by 4, D by 8             -> 2.0  1.5  0.5  0.5
row R3 (20):                                               -> 0.5  1.0  1.0  1.25
row R4 (25):          A,B,C divide by 5, D by 10            -> 0.8  1.0  1.0  1.1
row R5 (25):                                               -> 0.0  0.4  1.6  1.5

M = [RCA >= 1] (the four cells with RCA exactly 1 count)::

           A  B  C  D | diversity
    R1     1  1  0  0 | 2
    R2     1  1  0  0 | 2
    R3     0  1  1  1 | 3
    R4     0  1  1  1 | 3
    R5     0  0  1  1 | 2
    ubiq.  2  4  3  3
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rok.analysis.specialisation import diversity, rca, specialised, ubiquity
from rok.errors import InputError

FIXTURE = Path(__file__).parent / "fixtures" / "analysis" / "hand_5x4.csv"

RCA = [
    [3.0, 1.5, 0.5, 0.0],
    [2.0, 1.5, 0.5, 0.5],
    [0.5, 1.0, 1.0, 1.25],
    [0.8, 1.0, 1.0, 1.1],
    [0.0, 0.4, 1.6, 1.5],
]
M = [
    [1, 1, 0, 0],
    [1, 1, 0, 0],
    [0, 1, 1, 1],
    [0, 1, 1, 1],
    [0, 0, 1, 1],
]


@pytest.fixture
def x() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, index_col="region")


def test_rca_by_hand(x):
    result = rca(x)
    np.testing.assert_allclose(result.to_numpy(), RCA, rtol=1e-12)
    assert list(result.index) == ["R1", "R2", "R3", "R4", "R5"]
    assert list(result.columns) == ["A", "B", "C", "D"]


def test_specialised_by_hand(x):
    result = specialised(x)
    assert result.to_numpy().tolist() == M
    assert result.dtypes.unique().tolist() == [np.dtype("int64")]


def test_specialised_threshold(x):
    # RCA >= 1.5: R1 A (3.0), B (1.5); R2 A (2.0), B (1.5); R5 C (1.6), D (1.5)
    assert specialised(x, threshold=1.5).to_numpy().tolist() == [
        [1, 1, 0, 0],
        [1, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 1, 1],
    ]


def test_exact_threshold_survives_rounding():
    # column q: 0.3 of 0.9 overall, 0.1 of 0.3 in a and 0.2 of 0.6 in b: RCA exactly 1 in
    # both rows, but the floating-point quotient is 0.9999999999999999 (ecomplexity: M = 0,
    # so q would get ubiquity 0)
    x = pd.DataFrame([[0.1, 0.1, 0.1], [0.1, 0.2, 0.3]], index=["a", "b"], columns=["p", "q", "r"])
    assert (rca(x)["q"] < 1).all()
    assert specialised(x).to_numpy().tolist() == [[1, 1, 0], [0, 1, 1]]


def test_diversity_and_ubiquity_by_hand(x):
    M_ = specialised(x)
    d, u = diversity(M_), ubiquity(M_)
    assert d.to_dict() == {"R1": 2, "R2": 2, "R3": 3, "R4": 3, "R5": 2}
    assert u.to_dict() == {"A": 2, "B": 4, "C": 3, "D": 3}
    assert (d.name, u.name) == ("diversity", "ubiquity")


def test_labels_and_order_are_kept(x):
    shuffled = x.loc[["R4", "R1", "R5", "R3", "R2"], ["D", "B", "A", "C"]]
    result = rca(shuffled)
    assert list(result.index) == ["R4", "R1", "R5", "R3", "R2"]
    assert list(result.columns) == ["D", "B", "A", "C"]
    pd.testing.assert_frame_equal(result, rca(x).loc[result.index, result.columns])


def test_rca_matches_ecomplexity():
    from ecomplexity import ecomplexity

    rng = np.random.default_rng(7)
    x = pd.DataFrame(
        rng.poisson(4.0, (60, 8)) + 1.0,
        index=[f"R{i:02d}" for i in range(60)],
        columns=[f"D{j}" for j in range(8)],
    )
    long = x.stack().rename("val").rename_axis(["loc", "prod"]).reset_index().assign(time=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(
            long,
            {"time": "time", "loc": "loc", "prod": "prod", "val": "val"},
            verbose=False,
            check_logsupermodularity=False,
        )
    theirs = out.pivot(index="loc", columns="prod", values="rca").loc[x.index, x.columns]
    mcp = out.pivot(index="loc", columns="prod", values="mcp").loc[x.index, x.columns]
    np.testing.assert_allclose(rca(x).to_numpy(), theirs.to_numpy(), rtol=1e-13)
    assert (specialised(x).to_numpy() == mcp.to_numpy()).all()


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ([[1.0, -2.0], [3.0, 4.0]], "negative"),
        ([[1.0, np.nan], [3.0, 4.0]], "NaN"),
        ([[1.0, np.inf], [3.0, 4.0]], "infinite"),
    ],
)
def test_bad_values_are_named(bad, words):
    x = pd.DataFrame(bad, index=["r1", "r2"], columns=["a", "b"])
    with pytest.raises(InputError, match=words) as info:
        rca(x)
    assert "'r1'" in str(info.value) and "column 'b'" in str(info.value)
    assert info.value.column == "b"


@pytest.mark.parametrize(
    "bad",
    [
        np.ones((2, 2)),
        [[1, 2], [3, 4]],
        None,
        pd.Series([1.0, 2.0]),
    ],
)
def test_non_dataframe_is_refused(bad):
    with pytest.raises(InputError, match="DataFrame"):
        rca(bad)


def test_empty_is_refused():
    with pytest.raises(InputError, match="empty"):
        rca(pd.DataFrame())
    with pytest.raises(InputError, match="empty"):
        rca(pd.DataFrame(index=["r1"], columns=[], dtype=float))


def test_non_numeric_is_refused():
    x = pd.DataFrame({"a": [1.0, 2.0], "b": ["3", "4"]}, index=["r1", "r2"])
    with pytest.raises(InputError, match="non-numeric.*'b'"):
        rca(x)


def test_duplicate_labels_are_refused():
    x = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["r1", "r1"], columns=["a", "b"])
    with pytest.raises(InputError, match="duplicate region"):
        rca(x)


def test_zero_rows_and_columns_break_rca():
    x = pd.DataFrame([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0]], index=["r1", "r2", "r3"], columns=["a", "b"])
    with pytest.raises(InputError, match=r"1 region\(s\) have no activity.*'r2'"):
        rca(x)
    with pytest.raises(InputError, match=r"1 domain\(s\) have no activity.*'b'"):
        rca(x.drop(index="r2"))


@pytest.mark.parametrize("threshold", [0, -1.0, float("nan"), "1"])
def test_bad_threshold(x, threshold):
    with pytest.raises(InputError, match="threshold"):
        specialised(x, threshold=threshold)


def test_diversity_needs_a_binary_matrix(x):
    with pytest.raises(InputError, match="not 0 or 1"):
        diversity(x)
    with pytest.raises(InputError, match="not 0 or 1"):
        ubiquity(rca(x))


def test_boolean_matrix_is_accepted(x):
    assert diversity(specialised(x).astype(bool)).tolist() == [2, 2, 3, 3, 2]


# -- minimum mass --------------------------------------------------------------------------


def test_min_mass_by_hand():
    # x = [[1, 9], [30, 60]]: totals r0 10, r1 90, d0 31, d1 69, all 100.
    # RCA[r0,d0] = (1/10)/(31/100) = 0.32; RCA[r0,d1] = 0.9/0.69 = 1.30 (M = 1 on 9 >= 5);
    # RCA[r1,d0] = (30/90)/0.31 = 1.08 (M = 1 on 30); RCA[r1,d1] = (60/90)/0.69 = 0.97.
    x = pd.DataFrame([[1.0, 9.0], [30.0, 60.0]], index=["r0", "r1"], columns=["d0", "d1"])
    assert specialised(x).to_numpy().tolist() == [[0, 1], [1, 0]]
    assert specialised(x, min_mass=5).to_numpy().tolist() == [[0, 1], [1, 0]]
    assert specialised(x, min_mass=10).to_numpy().tolist() == [[0, 0], [1, 0]]  # r0 has 9 < 10 in d1


def test_min_mass_on_a_separate_count_matrix():
    # a fractional matrix whose cell (r0, d1) rests on 2 participations only (full count)
    x = pd.DataFrame([[0.1, 0.9], [3.0, 6.0]], index=["r0", "r1"], columns=["d0", "d1"])
    counts = pd.DataFrame([[1.0, 2.0], [12.0, 20.0]], index=["r0", "r1"], columns=["d0", "d1"])
    assert specialised(x).loc["r0", "d1"] == 1
    assert specialised(x, min_mass=5, mass=counts).loc["r0", "d1"] == 0
    assert specialised(x, min_mass=5, mass=counts).loc["r1", "d0"] == 1
    # cells absent from the count matrix count 0
    assert specialised(x, min_mass=1, mass=counts[["d0"]]).loc["r0", "d1"] == 0


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), True, "5"])
def test_bad_min_mass_is_refused(bad):
    x = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InputError, match="min_mass"):
        specialised(x, min_mass=bad)


def test_mass_must_be_a_frame():
    x = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InputError, match="mass must be a pandas DataFrame"):
        specialised(x, min_mass=1, mass=np.ones((2, 2)))  # type: ignore[arg-type]
