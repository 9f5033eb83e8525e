"""NODF (Almeida-Neto et al. 2008) on hand-computed matrices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rok.analysis.nestedness import nodf, nodf_null
from rok.errors import InputError


def frame(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"d{j}" for j in range(len(rows[0]))])


def test_perfectly_nested_is_100() -> None:
    result = nodf(frame([[1, 1, 1], [1, 1, 0], [1, 0, 0]]))
    assert (result.nodf, result.rows, result.columns) == (100.0, 100.0, 100.0)
    assert result.fill == pytest.approx(6 / 9)


def test_checkerboard_is_0() -> None:
    # every pair of rows (and of columns) has equal totals: no decreasing fill, so 0
    result = nodf(frame([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]]))
    assert (result.nodf, result.rows, result.columns) == (0.0, 0.0, 0.0)


def test_hand_computed_partial_nestedness() -> None:
    # M = [[1,1,1,0], [1,0,0,1], [0,1,0,0]]; row totals (3,2,1), column totals (2,2,1,1).
    # Rows: (r0,r1) 3>2, r1's ones {d0,d3}, shared with r0 {d0}: 50; (r0,r2) 3>1, {d1} shared: 100;
    #       (r1,r2) 2>1, {d1} not in r1: 0.  Row sum 150 over 3 pairs -> NODF_rows 50.
    # Columns: (d0,d1) 2=2: 0; (d0,d2) 2>1, d2's one {r0} in d0: 100; (d0,d3) 2>1, {r1} in d0: 100;
    #          (d1,d2) 2>1, {r0} in d1: 100; (d1,d3) 2>1, {r1} not in d1 {r0,r2}: 0; (d2,d3) 1=1: 0.
    #          Column sum 300 over 6 pairs -> NODF_columns 50.  NODF = 450 / 9 = 50.
    result = nodf(frame([[1, 1, 1, 0], [1, 0, 0, 1], [0, 1, 0, 0]]))
    assert result.rows == pytest.approx(50.0)
    assert result.columns == pytest.approx(50.0)
    assert result.nodf == pytest.approx(50.0)


def test_unequal_sides_weight_by_pairs() -> None:
    # M = [[1,1],[1,0],[0,1]]: rows (2,1,1): (r0,r1) 100, (r0,r2) 100, (r1,r2) tie 0 -> 200/3;
    # columns (2,2): tie -> 0.  NODF = 200 / (3 + 1) = 50.
    result = nodf(frame([[1, 1], [1, 0], [0, 1]]))
    assert result.rows == pytest.approx(200 / 3)
    assert result.columns == 0.0
    assert result.nodf == pytest.approx(50.0)


def test_row_order_does_not_matter() -> None:
    rng = np.random.default_rng(3)
    m = frame(rng.integers(0, 2, size=(12, 7)).tolist())
    shuffled = m.sample(frac=1.0, random_state=1).sample(frac=1.0, axis=1, random_state=2)
    assert nodf(m).nodf == pytest.approx(nodf(shuffled).nodf)


def test_empty_row_scores_zero_and_single_line_is_nan() -> None:
    result = nodf(frame([[1, 1], [0, 0]]))
    assert result.rows == 0.0  # 2 > 0 but the empty row has no ones to be nested
    assert math.isnan(nodf(frame([[1, 0, 1]])).rows)


def test_non_binary_is_an_error() -> None:
    with pytest.raises(InputError, match="not 0 or 1"):
        nodf(frame([[1, 2], [0, 1]]))


def test_null_keeps_totals_and_is_reproducible() -> None:
    from rok.analysis.nestedness import _curveball

    rng = np.random.default_rng(5)
    m = rng.integers(0, 2, size=(15, 6))
    shuffled = _curveball(m, np.random.default_rng(1), 75)
    assert (shuffled.sum(axis=0) == m.sum(axis=0)).all() and (shuffled.sum(axis=1) == m.sum(axis=1)).all()
    assert not (shuffled == m).all()
    one, two = nodf_null(frame(m.tolist()), 10, seed=3), nodf_null(frame(m.tolist()), 10, seed=3)
    assert one == two and one.draws == 10 and one.nodf == nodf(frame(m.tolist())).nodf


def test_null_of_a_perfectly_nested_matrix_is_itself() -> None:
    # the totals of a staircase (Ferrers) matrix admit no other 0/1 matrix: every draw is M
    result = nodf_null(frame([[1, 1, 1], [1, 1, 0], [1, 0, 0]]), 5)
    assert (result.nodf, result.mean, result.sd) == (100.0, 100.0, 0.0) and math.isnan(result.z)


def test_null_z_by_hand_on_a_checkerboard() -> None:
    # [[1,0],[0,1]] and [[0,1],[1,0]] are the only matrices with these totals; both score 0
    result = nodf_null(frame([[1, 0], [0, 1]]), 4)
    assert (result.mean, result.sd) == (0.0, 0.0) and math.isnan(result.z)
    with pytest.raises(InputError, match="draws must be an integer >= 2"):
        nodf_null(frame([[1, 0], [0, 1]]), 1)
