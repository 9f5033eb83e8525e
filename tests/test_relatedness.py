"""Co-occurrence, proximity, association strength, cosine and relatedness density.

Hand computation on the 5 x 4 fixture (see tests/test_specialisation.py for RCA and M)::

    M      A  B  C  D        regions specialised in each domain:
    R1     1  1  0  0        A {R1,R2}          u_A = 2
    R2     1  1  0  0        B {R1,R2,R3,R4}    u_B = 4
    R3     0  1  1  1        C {R3,R4,R5}       u_C = 3
    R4     0  1  1  1        D {R3,R4,R5}       u_D = 3
    R5     0  0  1  1

Co-occurrence C = M^T M (diagonal = ubiquity)::

           A  B  C  D
    A      2  2  0  0
    B      2  4  2  2
    C      0  2  3  3
    D      0  2  3  3

Proximity phi = C / max(u_i, u_j), diagonal 0:
phi[A,B] = 2/max(2,4) = 0.5, phi[B,C] = phi[B,D] = 2/4 = 0.5, phi[C,D] = 3/3 = 1, others 0::

           A    B    C    D   | row sum
    A      0   .5    0    0   | 0.5
    B     .5    0   .5   .5   | 1.5
    C      0   .5    0    1   | 1.5
    D      0   .5    1    0   | 1.5

Relatedness density RD[r,d] = 100 sum_j phi[d,j] M[r,j] / sum_j phi[d,j]:
RD[R1,C] = 100 (phi[C,A] + phi[C,B]) / 1.5 = 100 * 0.5 / 1.5 = 33.33...
RD[R5,B] = 100 (phi[B,C] + phi[B,D]) / 1.5 = 100 * 1.0 / 1.5 = 66.66...
RD[R5,A] = 100 (phi[A,C] + phi[A,D]) / 0.5 = 0
RD[R3,A] = 100 phi[A,B] / 0.5 = 100 (R3's own specialisations only: the diagonal is 0)

Association strength (EconGeo): c = C with diagonal 0, S = row sums of c = (2, 6, 5, 5),
T = sum c = 18, AS = c T / (S_i S_j):
AS[A,B] = 2*18/(2*6) = 3, AS[B,C] = AS[B,D] = 2*18/(6*5) = 1.2, AS[C,D] = 3*18/(5*5) = 2.16.

Cosine C / sqrt(u_i u_j): [A,B] = 2/sqrt(8) = 1/sqrt(2), [B,C] = [B,D] = 2/sqrt(12) = 1/sqrt(3),
[C,D] = 3/3 = 1.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rok.analysis.relatedness import (
    association_strength,
    cooccurrence,
    cosine,
    proximity,
    relatedness_density,
)
from rok.analysis.specialisation import specialised
from rok.errors import InputError
from tests.synthetic import poisson_matrix

FIXTURE = Path(__file__).parent / "fixtures" / "analysis" / "hand_5x4.csv"
DOMAINS = ["A", "B", "C", "D"]


def frame(rows, labels=DOMAINS) -> pd.DataFrame:
    return pd.DataFrame(rows, index=labels, columns=labels, dtype=float)


@pytest.fixture
def M() -> pd.DataFrame:
    return specialised(pd.read_csv(FIXTURE, index_col="region"))


def test_cooccurrence_by_hand(M):
    expected = frame([[2, 2, 0, 0], [2, 4, 2, 2], [0, 2, 3, 3], [0, 2, 3, 3]])
    pd.testing.assert_frame_equal(cooccurrence(M), expected)


def test_proximity_by_hand(M):
    expected = frame([[0, 0.5, 0, 0], [0.5, 0, 0.5, 0.5], [0, 0.5, 0, 1], [0, 0.5, 1, 0]])
    pd.testing.assert_frame_equal(proximity(M), expected)


def test_association_strength_by_hand(M):
    expected = frame([[0, 3, 0, 0], [3, 0, 1.2, 1.2], [0, 1.2, 0, 2.16], [0, 1.2, 2.16, 0]])
    pd.testing.assert_frame_equal(association_strength(M), expected, rtol=1e-12)


def test_cosine_by_hand(M):
    a, b = 1 / math.sqrt(2), 1 / math.sqrt(3)
    expected = frame([[0, a, 0, 0], [a, 0, b, b], [0, b, 0, 1], [0, b, 1, 0]])
    pd.testing.assert_frame_equal(cosine(M), expected, rtol=1e-12)


def test_relatedness_density_by_hand(M):
    rd = relatedness_density(M, proximity(M))
    assert rd.loc["R1", "C"] == pytest.approx(100 / 3)
    assert rd.loc["R5", "B"] == pytest.approx(200 / 3)
    assert rd.loc["R5", "A"] == 0
    assert rd.loc["R3", "A"] == pytest.approx(100)
    assert list(rd.index) == list(M.index) and list(rd.columns) == DOMAINS
    assert ((rd >= 0) & (rd <= 100)).all().all()


def test_density_uses_the_diagonal_it_is_given(M):
    # with phi[d,d] = 1 a region's own specialisation counts:
    # RD[R1,C] = 100 (0 + 0.5 + 1*0) / (1.5 + 1) = 20; RD[R3,C] = 100 (0.5 + 1 + 1) / 2.5 = 100
    phi = proximity(M)
    np.fill_diagonal(phi.values, 1.0)
    rd = relatedness_density(M, phi)
    assert rd.loc["R1", "C"] == pytest.approx(20)
    assert rd.loc["R3", "C"] == pytest.approx(100)


def test_density_aligns_phi_labels(M):
    phi = proximity(M)
    shuffled = phi.loc[["D", "A", "C", "B"], ["C", "B", "D", "A"]]
    pd.testing.assert_frame_equal(relatedness_density(M, shuffled), relatedness_density(M, phi))


def test_density_is_nan_for_a_domain_related_to_nothing(M):
    phi = proximity(M)
    phi.loc["A", :] = 0.0
    rd = relatedness_density(M, phi)
    assert rd["A"].isna().all()
    assert rd.drop(columns="A").notna().all().all()


def test_density_refuses_mismatched_domains(M):
    phi = proximity(M).drop(index="D", columns="D")
    with pytest.raises(InputError, match=r"missing \['D'\]"):
        relatedness_density(M, phi)


def test_measures_are_symmetric_with_zero_diagonal():
    rng = np.random.default_rng(3)
    M = pd.DataFrame((rng.random((40, 9)) < 0.3).astype(int), columns=[f"d{j}" for j in range(9)])
    for measure in (proximity, association_strength, cosine):
        values = measure(M).to_numpy()
        assert np.allclose(values, values.T)
        assert (np.diag(values) == 0).all()
        assert (values >= 0).all()
    assert (proximity(M).to_numpy() <= cosine(M).to_numpy() + 1e-15).all()  # min <= geometric mean


def test_domain_without_specialised_region_is_unrelated():
    M = pd.DataFrame([[1, 1, 0], [1, 0, 0], [0, 1, 0]], index=["r1", "r2", "r3"], columns=["a", "b", "c"])
    for measure in (proximity, association_strength, cosine):
        result = measure(M)
        assert (result["c"] == 0).all() and (result.loc["c"] == 0).all()


@pytest.mark.parametrize("measure", [cooccurrence, proximity, association_strength, cosine])
def test_bad_input(measure):
    with pytest.raises(InputError, match="not 0 or 1"):
        measure(pd.DataFrame([[0.5, 1.0]], columns=["a", "b"]))
    with pytest.raises(InputError, match="NaN"):
        measure(pd.DataFrame([[np.nan, 1.0]], columns=["a", "b"]))
    with pytest.raises(InputError, match="empty"):
        measure(pd.DataFrame())
    with pytest.raises(InputError, match="DataFrame"):
        measure(np.eye(2))


def test_density_bad_input(M):
    phi = proximity(M)
    with pytest.raises(InputError, match="negative"):
        relatedness_density(M, -phi)
    with pytest.raises(InputError, match="DataFrame"):
        relatedness_density(M, phi.to_numpy())
    with pytest.raises(InputError, match="negative"):
        relatedness_density(-M, phi)


# -- agreement with ecomplexity ------------------------------------------------------------


def ecomplexity_density(x: pd.DataFrame) -> pd.DataFrame:
    """ecomplexity's density column, pivoted to regions x domains (its own RCA and M)."""
    from ecomplexity import ecomplexity

    long = x.stack().rename("val").rename_axis(["loc", "prod"]).reset_index().assign(time=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(
            long,
            {"time": "time", "loc": "loc", "prod": "prod", "val": "val"},
            verbose=False,
            check_logsupermodularity=False,
        )
    return out.pivot(index="loc", columns="prod", values="density").loc[x.index, x.columns]


def ecomplexity_proximity(x: pd.DataFrame) -> pd.DataFrame:
    from ecomplexity import proximity as their_proximity

    long = x.stack().rename("val").rename_axis(["loc", "prod"]).reset_index().assign(time=1)
    out = their_proximity(long, {"time": "time", "loc": "loc", "prod": "prod", "val": "val"})
    return out.pivot(index="prod_1", columns="prod_2", values="proximity").loc[x.columns, x.columns]


def check_against_ecomplexity(x: pd.DataFrame) -> float:
    M = specialised(x)
    ours = proximity(M)
    theirs = ecomplexity_proximity(x)
    off = ~np.eye(len(ours), dtype=bool)
    np.testing.assert_allclose(ours.to_numpy()[off], theirs.to_numpy()[off], atol=1e-15)
    assert (np.diag(theirs) == 1).all()  # their diagonal is C[i,i]/u_i = 1; ours is 0
    density = ecomplexity_density(x)
    # with diagonal 1 and without the factor 100 ours reproduces theirs exactly
    with_self = ours.copy()
    np.fill_diagonal(with_self.values, 1.0)
    np.testing.assert_allclose(
        relatedness_density(M, with_self).to_numpy() / 100, density.to_numpy(), atol=1e-14
    )
    return float(
        np.corrcoef(relatedness_density(M, ours).to_numpy().ravel(), density.to_numpy().ravel())[0, 1]
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_ecomplexity_on_poisson_matrices(seed):
    correlation = check_against_ecomplexity(poisson_matrix(seed))
    assert correlation > 0.8  # differ only by the diagonal: own specialisation counted or not


@pytest.mark.mirror
def test_agrees_with_ecomplexity_on_the_mirror(mirror_matrix):
    assert mirror_matrix.shape[0] > 200 and mirror_matrix.shape[1] >= 10
    correlation = check_against_ecomplexity(mirror_matrix)
    assert correlation > 0.8
