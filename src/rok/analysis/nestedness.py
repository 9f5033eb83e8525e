"""Nestedness of a binary region x domain matrix: NODF (Almeida-Neto et al. 2008).

A matrix is nested when the domains of a less diversified region are a subset of the domains
of the more diversified ones. Economic complexity reads a region's capabilities from this
structure (Hidalgo & Hausmann 2009; Bustos et al. 2012); where the matrix is not nested, the
ECI does not order regions by capability but splits them into groups (Mealy, Farmer &
Teytelboym 2019), so :func:`rok.analysis.complexity.complexity` reports NODF beside the ECI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rok.analysis.specialisation import validated

__all__ = ["Nodf", "NodfNull", "nodf", "nodf_null"]


@dataclass(frozen=True)
class Nodf:
    """NODF of a matrix and of its rows and columns alone (each 0..100), and its fill (0..1)."""

    nodf: float
    rows: float
    columns: float
    fill: float


def nodf(M: pd.DataFrame) -> Nodf:
    """Nestedness based on overlap and decreasing fill (NODF), 0 (none) to 100 (perfect).

    For every pair of rows ``i, j`` with marginal totals ``MT_i > MT_j`` (after ordering rows
    by decreasing total), the paired nestedness is the share (in %) of ``j``'s ones that ``i``
    also has, ``N_paired = 100 |row_i AND row_j| / MT_j``; a pair with equal totals (no
    decreasing fill) or an empty row scores 0. Columns likewise. Then, for ``n`` rows and
    ``m`` columns::

        NODF_rows    = mean of N_paired over the n(n-1)/2 row pairs
        NODF_columns = mean of N_paired over the m(m-1)/2 column pairs
        NODF         = (sum over row pairs + sum over column pairs) / (n(n-1)/2 + m(m-1)/2)

    Parameters
    ----------
    M : pandas.DataFrame
        Binary matrix (values 0 or 1), e.g. :func:`rok.analysis.specialisation.specialised`.

    Returns
    -------
    Nodf
        ``nodf``, ``rows`` and ``columns`` (0..100; ``nan`` for a side with fewer than two
        lines) and ``fill``, the share of ones.

    Notes
    -----
    The value does not depend on how ties in marginal totals are ordered: tied pairs score
    0 either way. An empty line (total 0) scores 0 in every pair, as in the R function
    ``vegan::nestednodf`` (no peer in Python is installed here; the tests check hand-computed
    values). NODF depends on fill and matrix shape, so compare it between matrices of similar
    fill, or against a null model.

    References
    ----------
    Almeida-Neto, M., Guimaraes, P., Guimaraes, P. R., Loyola, R. D., & Ulrich, W. (2008). A
    consistent metric for nestedness analysis in ecological systems: reconciling concept and
    measurement. *Oikos*, 117(8), 1227-1239. https://doi.org/10.1111/j.0030-1299.2008.16644.x

    Bustos, S., Gomez, C., Hausmann, R., & Hidalgo, C. A. (2012). The dynamics of nestedness
    predicts the evolution of industrial ecosystems. *PLoS ONE*, 7(11), e49393.

    Examples
    --------
    >>> import pandas as pd
    >>> nodf(pd.DataFrame([[1, 1, 1], [1, 1, 0], [1, 0, 0]])).nodf
    100.0
    """
    m = validated(M, "specialisation matrix", binary=True)
    row_sum, row_pairs = _paired(m)
    col_sum, col_pairs = _paired(m.T)
    total_pairs = row_pairs + col_pairs
    return Nodf(
        nodf=(row_sum + col_sum) / total_pairs if total_pairs else float("nan"),
        rows=row_sum / row_pairs if row_pairs else float("nan"),
        columns=col_sum / col_pairs if col_pairs else float("nan"),
        fill=float(m.mean()),
    )


@dataclass(frozen=True)
class NodfNull:
    """NODF of ``M`` against random matrices with the same row and column totals."""

    nodf: float
    mean: float
    sd: float
    z: float
    draws: int


def nodf_null(M: pd.DataFrame, draws: int = 99, *, seed: int = 0, swaps_per_row: int = 5) -> NodfNull:
    """NODF of ``M`` against a fixed-fixed null model (curveball algorithm, Strona et al. 2014).

    Each draw starts from ``M`` and performs ``swaps_per_row * n_rows`` curveball trades: two
    random rows pool the columns only one of them has and redistribute them at random, which
    keeps every row total (diversity) and column total (ubiquity). ``z = (NODF - mean) / sd``
    over the draws. NODF depends on the fill and on the degree sequences alone to a large
    extent; a ``z`` near 0 says that ``M`` is no more nested than its diversities and
    ubiquities make any matrix (Ulrich & Gotelli 2007 recommend this conservative null).

    Parameters
    ----------
    M : pandas.DataFrame
        Binary matrix.
    draws : int, default 99
        Number of random matrices.
    seed : int, default 0
        Seed of the random generator (results are reproducible).
    swaps_per_row : int, default 5
        Curveball trades per row and draw.

    Returns
    -------
    NodfNull
        ``nodf`` of ``M``, ``mean`` and ``sd`` over the draws, ``z`` and ``draws``.

    References
    ----------
    Strona, G., Nappo, D., Boccacci, F., Fattorini, S., & San-Miguel-Ayanz, J. (2014). A fast
    and unbiased procedure to randomize ecological binary matrices with fixed row and column
    totals. *Nature Communications*, 5, 4114. https://doi.org/10.1038/ncomms5114

    Ulrich, W., & Gotelli, N. J. (2007). Null model analysis of species nestedness patterns.
    *Ecology*, 88(7), 1824-1831.
    """
    from rok.errors import InputError

    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise InputError(f"draws must be an integer >= 2, got {draws!r}")
    m = validated(M, "specialisation matrix", binary=True).astype(np.int64)
    observed = nodf(M).nodf
    rng = np.random.default_rng(seed)
    values = np.array([_nodf_value(_curveball(m, rng, swaps_per_row * m.shape[0])) for _ in range(draws)])
    sd = float(values.std(ddof=1))
    mean = float(values.mean())
    return NodfNull(nodf=observed, mean=mean, sd=sd, z=(observed - mean) / sd if sd > 0 else float("nan"),
                    draws=draws)


def _curveball(m: np.ndarray, rng: np.random.Generator, trades: int) -> np.ndarray:
    rows = [set(np.flatnonzero(r).tolist()) for r in m]
    n = len(rows)
    for _ in range(trades if n > 1 else 0):
        i, j = rng.choice(n, 2, replace=False)
        only_i, only_j = list(rows[i] - rows[j]), list(rows[j] - rows[i])
        if not only_i or not only_j:
            continue
        pool = only_i + only_j
        rng.shuffle(pool)
        common = rows[i] & rows[j]
        rows[i], rows[j] = common | set(pool[: len(only_i)]), common | set(pool[len(only_i):])
    out = np.zeros_like(m)
    for i, row in enumerate(rows):
        out[i, sorted(row)] = 1
    return out


def _nodf_value(m: np.ndarray) -> float:
    row_sum, row_pairs = _paired(m)
    col_sum, col_pairs = _paired(m.T)
    return (row_sum + col_sum) / (row_pairs + col_pairs)


def _paired(m: np.ndarray) -> tuple[float, int]:
    """Sum of ``N_paired`` over all row pairs of ``m``, and the number of pairs."""
    n = m.shape[0]
    totals = m.sum(axis=1)
    overlap = m @ m.T  # overlap[i, j] = |row_i AND row_j|
    with np.errstate(divide="ignore", invalid="ignore"):
        share = 100.0 * overlap / totals[np.newaxis, :]  # share of row j's ones found in row i
    counted = (totals[:, np.newaxis] > totals[np.newaxis, :]) & (totals[np.newaxis, :] > 0)
    return float(share[counted].sum()), n * (n - 1) // 2
