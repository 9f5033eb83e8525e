"""ECI and PCI: hand-solved cases, structural properties, bad input, and agreement with the
peer package ``ecomplexity`` on random Poisson matrices and on the real mirror.

Convention under test (see complexity's docstring): ECI = s (kr - mean kr) / sd kr and
PCI = s (kd - mean kr) / sd kr with the population sd, s chosen so that ECI correlates
positively with diversity, kd the second eigenvector of U^-1 M^T D^-1 M and kr = D^-1 M kd.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rok.analysis.complexity as complexity_module
from rok.analysis.complexity import ComplexityResult, complexity
from rok.analysis.specialisation import specialised
from rok.errors import InputError
from tests.synthetic import poisson_matrix

FIXTURE = Path(__file__).parent / "fixtures" / "analysis" / "hand_5x4.csv"
COLS = {"time": "time", "loc": "loc", "prod": "prod", "val": "val"}


def binary(rows, regions=None, domains=None) -> pd.DataFrame:
    rows = np.asarray(rows)
    regions = regions or [f"r{i}" for i in range(rows.shape[0])]
    domains = domains or [f"d{j}" for j in range(rows.shape[1])]
    return pd.DataFrame(rows, index=regions, columns=domains)


def nested(n_regions: int, n_domains: int) -> pd.DataFrame:
    """Region i is specialised in the first k_i domains, k_i falling with i (a staircase)."""
    rows = [
        [1 if d < max(1, round(n_domains * (n_regions - r) / n_regions)) else 0 for d in range(n_domains)]
        for r in range(n_regions)
    ]
    return binary(rows)


# -- hand-solved cases ---------------------------------------------------------------------


def test_three_by_three_nested_by_hand():
    # M = [[1,1,1],[1,1,0],[1,0,0]]: diversity (3,2,1), ubiquity (3,2,1).
    # M^T D^-1 M = [[11/6, 5/6, 1/3], [5/6, 5/6, 1/3], [1/3, 1/3, 1/3]]; dividing row p by u_p:
    # Md = [[11/18, 5/18, 1/9], [5/12, 5/12, 1/6], [1/3, 1/3, 1/3]]  (rows sum to 1).
    # trace = 49/36, det = 18/648 = 1/36, so the other two eigenvalues solve
    # 36 l^2 - 13 l + 1 = 0: l2 = 1/4, l3 = 1/9.
    # (Md - I/4) kd = 0: row 3 gives 4a + 4b + c = 0, row 1 13a + 10b + 4c = 0, so kd = (-2, 1, 4).
    # kr = D^-1 M kd = ((-2+1+4)/3, (-2+1)/2, -2) = (1, -1/2, -2): rises with diversity, s = +1.
    # mean kr = -1/2, population variance ((3/2)^2 + 0 + (3/2)^2)/3 = 3/2, sd = sqrt(3/2).
    # ECI = (3/2, 0, -3/2)/sqrt(3/2) = (sqrt(3/2), 0, -sqrt(3/2))
    # PCI = (kd + 1/2)/sqrt(3/2) = (-3/2, 3/2, 9/2)/sqrt(3/2) = sqrt(3/2) (-1, 1, 3)
    M = binary([[1, 1, 1], [1, 1, 0], [1, 0, 0]], ["c1", "c2", "c3"], ["p1", "p2", "p3"])
    r = math.sqrt(1.5)
    for method in ("eigenvector", "reflections"):
        result = complexity(M, method=method)
        np.testing.assert_allclose(result.eci.to_numpy(), [r, 0, -r], atol=1e-12)
        np.testing.assert_allclose(result.pci.to_numpy(), [-r, r, 3 * r], atol=1e-12)
        assert result.eigenvalue == pytest.approx(0.25)
        assert result.method == method


def test_hand_fixture_5x4_by_hand():
    # M from tests/test_specialisation.py: R1, R2 = {A, B}; R3, R4 = {B, C, D}; R5 = {C, D};
    # diversity (2, 2, 3, 3, 2), ubiquity (2, 4, 3, 3).
    # M^T D^-1 M (weights 1/2, 1/2, 1/3, 1/3, 1/2), rows divided by ubiquity:
    #   A: [1/2, 1/2, 0, 0]            B: [1/4, 5/12, 1/6, 1/6]
    #   C: [0, 2/9, 7/18, 7/18]        D: [0, 2/9, 7/18, 7/18]
    # C and D have equal columns (eigenvalue 0 for (0,0,1,-1)); the rest lives on (a, b, w, w):
    #   [[1/2, 1/2, 0], [1/4, 5/12, 1/3], [0, 2/9, 7/9]], trace 61/36, det 1/36, eigenvalue 1,
    # so l2 + l3 = 25/36, l2 l3 = 1/36: 36 l^2 - 25 l + 1 = 0, l2 = (25 + sqrt(481))/72.
    # From row A: b = (2 l2 - 1) a; from row C: w = 2b / (9 l2 - 7). Take a = 1.
    # kr = D^-1 M kd = ((a+b)/2, (a+b)/2, (b+2w)/3, (b+2w)/3, w) falls with diversity
    # (covariance -0.61), so s = -1.
    lam = (25 + math.sqrt(481)) / 72
    a = 1.0
    b = (2 * lam - 1) * a
    w = 2 * b / (9 * lam - 7)
    kd = np.array([a, b, w, w])
    kr = np.array([(a + b) / 2, (a + b) / 2, (b + 2 * w) / 3, (b + 2 * w) / 3, w])
    eci = -(kr - kr.mean()) / kr.std()
    pci = -(kd - kr.mean()) / kr.std()

    result = complexity(specialised(pd.read_csv(FIXTURE, index_col="region")))
    np.testing.assert_allclose(result.eci.to_numpy(), eci, atol=1e-12)
    np.testing.assert_allclose(result.pci.to_numpy(), pci, atol=1e-12)
    assert result.eigenvalue == pytest.approx(lam, abs=1e-12)
    assert result.diversity.tolist() == [2, 2, 3, 3, 2]
    assert result.ubiquity.tolist() == [2, 4, 3, 3]
    # R5 highest, then R3 = R4, then R1 = R2 (about -1.199, 0.613, 1.172)
    assert result.eci.idxmax() == "R5" and result.eci.idxmin() in ("R1", "R2")


@pytest.mark.parametrize("shape", [(6, 6), (8, 5), (5, 8), (12, 4)])
def test_nested_structure_ranks_by_diversity(shape):
    M = nested(*shape)
    result = complexity(M)
    diversity, ubiquity = M.sum(axis=1), M.sum(axis=0)
    # the most diverse region is the most complex; ECI never falls with diversity and PCI
    # never rises with ubiquity (a perfectly nested matrix)
    assert result.eci.idxmax() == diversity.idxmax()
    order = np.argsort(-diversity.to_numpy(), kind="stable")
    assert (np.diff(result.eci.to_numpy()[order]) <= 1e-12).all()
    order = np.argsort(ubiquity.to_numpy(), kind="stable")
    assert (np.diff(result.pci.to_numpy()[order]) <= 1e-12).all()


def test_standardisation_and_eci_is_mean_pci():
    M = specialised(poisson_matrix(11))
    result = complexity(M)
    assert result.eci.mean() == pytest.approx(0, abs=1e-12)
    assert result.eci.std(ddof=0) == pytest.approx(1, abs=1e-12)
    mean_pci = (M.to_numpy() @ result.pci.to_numpy()) / M.sum(axis=1).to_numpy()
    np.testing.assert_allclose(result.eci.to_numpy(), mean_pci, atol=1e-12)
    assert np.corrcoef(result.eci, result.diversity)[0, 1] > 0


def test_labels_and_result_type():
    M = nested(6, 6)
    M.index = ["z", "y", "x", "w", "v", "u"]
    result = complexity(M)
    assert isinstance(result, ComplexityResult)
    assert list(result.eci.index) == ["z", "y", "x", "w", "v", "u"]
    assert list(result.pci.index) == list(M.columns)
    assert (result.eci.name, result.pci.name) == ("eci", "pci")
    assert result.iterations is None


def test_constant_diversity_sign_falls_back_to_ubiquity():
    # every region has 2 domains, so diversity cannot fix the sign (ecomplexity gives NaN)
    M = binary([[0, 0, 0, 1, 1], [0, 1, 0, 0, 1], [1, 0, 0, 0, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 0]])
    result = complexity(M)
    assert result.eci.notna().all()
    assert np.cov(result.pci, result.ubiquity)[0, 1] < 0


# -- reflections ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_reflections_converge_to_the_eigenvector(seed):
    M = specialised(poisson_matrix(seed))
    eigen = complexity(M)
    reflections = complexity(M, method="reflections")
    np.testing.assert_allclose(reflections.eci.to_numpy(), eigen.eci.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(reflections.pci.to_numpy(), eigen.pci.to_numpy(), atol=1e-8)
    assert reflections.iterations % 2 == 0
    assert reflections.eigenvalue == pytest.approx(eigen.eigenvalue, abs=1e-8)
    # a fixed, even number of reflections: same ranking already after a few dozen
    fixed = complexity(M, method="reflections", iterations=40)
    assert fixed.iterations == 40
    assert (fixed.eci.rank() == eigen.eci.rank()).all()


@pytest.mark.parametrize("iterations", [0, 1, 3, 2.0, True, "10"])
def test_reflections_need_an_even_count(iterations):
    with pytest.raises(InputError, match="even integer"):
        complexity(nested(5, 5), method="reflections", iterations=iterations)


def test_reflections_need_varying_diversity():
    M = binary([[0, 0, 0, 1, 1], [0, 1, 0, 0, 1], [1, 0, 0, 0, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 0]])
    with pytest.raises(InputError, match="diversity, which is the same"):
        complexity(M, method="reflections")


def test_reflections_warn_when_not_converged(monkeypatch):
    monkeypatch.setattr(complexity_module, "REFLECTIONS_MAX", 4)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        result = complexity(specialised(poisson_matrix(0)), method="reflections")
    assert result.iterations == 4


def test_sparse_solver_matches_dense(monkeypatch):
    M = specialised(poisson_matrix(4))
    dense = complexity(M)
    monkeypatch.setattr(complexity_module, "DENSE_LIMIT", 5)
    sparse = complexity(M)
    np.testing.assert_allclose(sparse.eci.to_numpy(), dense.eci.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(sparse.pci.to_numpy(), dense.pci.to_numpy(), atol=1e-8)


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (pd.DataFrame([[1, 0], [1, -1]], columns=["a", "b"]), "negative"),
        (pd.DataFrame([[1, np.nan], [1, 1]], columns=["a", "b"]), "NaN"),
        (pd.DataFrame([[1, 2], [1, 0]], columns=["a", "b"]), "not 0 or 1"),
        (pd.DataFrame(), "empty"),
        (np.eye(3), "DataFrame"),
        ("M", "DataFrame"),
    ],
)
def test_bad_input(bad, words):
    with pytest.raises(InputError, match=words):
        complexity(bad)


def test_zero_diversity_or_ubiquity_raises_with_names():
    M = nested(5, 5)
    M.loc["r4"] = 0
    with pytest.raises(InputError, match=r"1 region\(s\) have diversity 0 \('r4'\)"):
        complexity(M)
    M = nested(5, 5)
    M["extra"] = 0
    with pytest.raises(InputError, match=r"1 domain\(s\) have ubiquity 0 \('extra'\)"):
        complexity(M)


def test_disconnected_network_raises():
    # two blocks: {a, b} x {v, w} and {c, d, e} x {x, y, z}; ecomplexity silently returns the
    # block indicator as "ECI" here
    M = binary(
        [[1, 1, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 0, 1, 0, 0]],
        list("abcde"),
        list("vwxyz"),
    )
    with pytest.raises(InputError, match="2 disconnected parts"):
        complexity(M)
    with pytest.raises(InputError, match="2 disconnected parts"):
        complexity(M, method="reflections")


def test_identical_regions_have_no_complexity():
    with pytest.raises(InputError, match="same complexity value"):
        complexity(binary(np.ones((4, 3), dtype=int)))


def test_unknown_method():
    with pytest.raises(InputError, match="unknown complexity method 'fitness'"):
        complexity(nested(4, 4), method="fitness")  # type: ignore[arg-type]


# -- agreement with ecomplexity ------------------------------------------------------------


def their_complexity(x: pd.DataFrame, presence_test: str = "rca") -> tuple[pd.Series, pd.Series]:
    """ECI per region and PCI per domain from ecomplexity, which computes RCA and M itself."""
    from ecomplexity import ecomplexity

    long = x.stack().rename("val").rename_axis(["loc", "prod"]).reset_index().assign(time=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(
            long, COLS, presence_test=presence_test, verbose=False, check_logsupermodularity=False
        )
    eci = out.groupby("loc")["eci"].first().loc[x.index]
    pci = out.groupby("prod")["pci"].first().loc[x.columns]
    return eci, pci


def assert_agrees(ours: ComplexityResult, eci: pd.Series, pci: pd.Series) -> None:
    assert np.corrcoef(ours.eci, eci)[0, 1] >= 0.999
    assert np.corrcoef(ours.pci, pci)[0, 1] >= 0.999
    # same sign and scale conventions, so the values themselves agree
    np.testing.assert_allclose(ours.eci.to_numpy(), eci.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(ours.pci.to_numpy(), pci.to_numpy(), atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_agrees_with_ecomplexity_on_poisson_matrices(seed):
    x = poisson_matrix(seed)
    assert_agrees(complexity(specialised(x)), *their_complexity(x))


@pytest.mark.parametrize("M", [nested(5, 8), nested(8, 5), binary([[1, 1, 1], [1, 1, 0], [1, 0, 0]])])
def test_agrees_with_ecomplexity_on_binary_input(M):
    # fewer regions than domains (5 x 8) exercises the region-side eigenproblem
    assert_agrees(complexity(M), *their_complexity(M, presence_test="manual"))


def test_hand_fixture_agrees_with_ecomplexity():
    x = pd.read_csv(FIXTURE, index_col="region").astype(float)
    assert_agrees(complexity(specialised(x)), *their_complexity(x))


@pytest.mark.mirror
def test_agrees_with_ecomplexity_on_the_mirror(mirror_matrix):
    assert mirror_matrix.shape[0] > 200 and mirror_matrix.shape[1] >= 10
    M = specialised(mirror_matrix)
    ours = complexity(M)
    assert_agrees(ours, *their_complexity(mirror_matrix))
    reflections = complexity(M, method="reflections")
    np.testing.assert_allclose(reflections.eci.to_numpy(), ours.eci.to_numpy(), atol=1e-7)


# -- diagnostics -------------------------------------------------------------------------


def test_diagnostics_of_the_hand_solved_nested_case():
    # M = [[1,1,1],[1,1,0],[1,0,0]]: eigenvalues 1, 1/4, 1/9 (see the hand-solved case above);
    # perfectly nested (NODF 100); ECI (sqrt 1.5, 0, -sqrt 1.5) ranks as diversity (3, 2, 1).
    M = binary([[1, 1, 1], [1, 1, 0], [1, 0, 0]])
    for method in ("eigenvector", "reflections"):
        d = complexity(M, method=method).diagnostics
        assert d is not None
        assert d.nodf == pytest.approx(100.0)
        assert d.spearman_diversity == pytest.approx(1.0)
        assert d.eigenvalue_2 == pytest.approx(1 / 4) and d.eigenvalue_3 == pytest.approx(1 / 9)
        assert d.eigen_gap == pytest.approx((1 / 4 - 1 / 9) / (1 / 4))  # 5/9
        assert len(d.warnings) == 1 and "only 3 domains" in d.warnings[0]  # the one failed check
        assert not d.meaningful


def test_diagnostics_pass_on_a_large_nested_matrix():
    d = complexity(nested(60, 30)).diagnostics
    assert d is not None and d.nodf > 90 and d.spearman_diversity > 0.9
    assert d.meaningful, d.warnings
    assert d.as_dict()["meaningful"] is True and d.as_dict()["warnings"] == []


def test_diagnostics_flag_a_split_not_a_ranking():
    # two blocks joined by one region: ECI separates the blocks, diversity does not order them
    rows = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [1, 0, 0, 1]]
    d = complexity(binary(rows)).diagnostics
    assert d is not None and d.nodf < 50
    assert any("weak nestedness" in w for w in d.warnings)
    assert any("Spearman" in w for w in d.warnings)


def test_diagnostics_null_model_flags_an_unremarkable_matrix():
    rng = np.random.default_rng(11)
    M = binary(rng.binomial(1, 0.35, size=(80, 25)).tolist())
    M = M.loc[M.sum(axis=1) > 0, M.sum(axis=0) > 0]
    d = complexity(M, null_draws=20).diagnostics
    assert d is not None and abs(d.nodf_z) < 3 and d.nodf_null_mean == pytest.approx(d.nodf, abs=5)
    assert (d.nodf_z < 2) == any("no more nested than random matrices" in w for w in d.warnings)
    plain = complexity(M).diagnostics
    assert plain is not None and math.isnan(plain.nodf_z) and plain.as_dict()["nodf_z"] is None
