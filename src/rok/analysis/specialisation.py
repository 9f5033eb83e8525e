"""Specialisation: revealed comparative advantage (location quotient), the binary
specialisation matrix, diversity and ubiquity.

Every function takes a regions x domains ``pandas.DataFrame`` (see :mod:`rok.analysis`) and
returns a result with the caller's region and domain labels.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd

from rok.errors import InputError
from rok.measures.selection import MIN_MASS

__all__ = ["MIN_MASS", "rca", "specialised", "diversity", "ubiquity"]

#: Relative tolerance under which an RCA counts as reaching the threshold: an RCA that is
#: exactly 1 in exact arithmetic may come out as 0.9999999999999999 in floating point.
RCA_RTOL = 1e-12


def _labels(labels: pd.Index, positions: np.ndarray, limit: int = 5) -> str:
    """Up to ``limit`` labels at ``positions``, quoted, with a count of the rest."""
    names = [repr(labels[i]) for i in positions[:limit]]
    more = len(positions) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def validated(x: object, what: str = "activity matrix", *, binary: bool = False) -> np.ndarray:
    """Check a regions x domains matrix and return its values as a float array.

    Raises :class:`~rok.errors.InputError` when ``x`` is not a DataFrame, is empty, has
    duplicate labels or non-numeric columns, holds NaN, infinite or negative values, or (with
    ``binary=True``) values other than 0 and 1. The message names the first bad cell.
    """
    if not isinstance(x, pd.DataFrame):
        raise InputError(
            f"the {what} must be a pandas DataFrame (regions as index, one column per domain), "
            f"got {type(x).__name__}"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise InputError(
            f"the {what} is empty ({x.shape[0]} regions x {x.shape[1]} domains): "
            "expected at least one region and one domain"
        )
    for axis, labels in (("region", x.index), ("domain", x.columns)):
        if labels.has_duplicates:
            dups = labels[labels.duplicated()].unique()
            raise InputError(
                f"the {what} has duplicate {axis} labels: {list(dups)[:5]}; expected unique labels"
            )
    bad = [c for c, t in zip(x.columns, x.dtypes, strict=True) if getattr(t, "kind", "O") not in "biuf"]
    if bad:
        raise InputError(
            f"the {what} has non-numeric values in domain column(s) {bad[:5]}; expected numbers",
            column=str(bad[0]),
        )
    values = x.to_numpy(dtype=float, na_value=np.nan)
    checks = [
        (np.isnan(values), "is missing (NaN)", "a number (fill absent activity with 0)"),
        (np.isinf(values), "is infinite", "a finite number"),
        (values < 0, "is negative", "a non-negative number"),
    ]
    if binary:
        checks.append(((values != 0) & (values != 1), "is not 0 or 1", "a binary specialisation matrix"))
    for mask, problem, expected in checks:
        if mask.any():
            rows, cols = np.nonzero(mask)
            r, c = x.index[rows[0]], x.columns[cols[0]]
            raise InputError(
                f"region {r!r}: the {what} {problem} in {len(rows)} cell(s), first here; "
                f"expected {expected} in every cell",
                column=str(c),
                value=values[rows[0], cols[0]],
            )
    return values


def _no_empty_lines(values: np.ndarray, x: pd.DataFrame, what: str) -> None:
    """Raise when a region (row) or a domain (column) of ``values`` sums to zero."""
    for axis, labels, name in ((1, x.index, "region"), (0, x.columns, "domain")):
        empty = np.flatnonzero(values.sum(axis=axis) == 0)
        if empty.size:
            raise InputError(
                f"{what}: {empty.size} {name}(s) have no activity at all ({_labels(labels, empty)}), "
                f"so the {name} share is 0/0; expected a positive total for every {name} "
                "(drop them first, e.g. x.loc[x.sum(axis=1) > 0, x.sum(axis=0) > 0])"
            )


def rca(x: pd.DataFrame) -> pd.DataFrame:
    """Revealed comparative advantage (Balassa index, location quotient) of each cell.

    ``RCA[r,d] = (x[r,d] / x[r,.]) / (x[.,d] / x[.,.])`` where a dot is a sum over that index:
    the domain's share in the region's activity over its share in all activity.

    Parameters
    ----------
    x : pandas.DataFrame
        Activity matrix: regions as index, one column per domain, non-negative finite values.

    Returns
    -------
    pandas.DataFrame
        ``RCA[r, d]`` with the labels of ``x``.

    Raises
    ------
    rok.errors.InputError
        For a non-DataFrame, an empty matrix, NaN, infinite or negative values, or a region or
        domain whose total is 0 (the formula is then 0/0).

    Notes
    -----
    The arithmetic is done in the same order as the ``ecomplexity`` package
    (``ComplexityData.calculate_rca``: row share divided by overall column share), so both
    agree to the last bit or two on the same input.

    References
    ----------
    Balassa, B. (1965). Trade liberalisation and "revealed" comparative advantage.
    *The Manchester School*, 33(2), 99-123. https://doi.org/10.1111/j.1467-9957.1965.tb00050.x
    """
    values = validated(x)
    _no_empty_lines(values, x, "RCA")
    share_in_region = values / values.sum(axis=1)[:, np.newaxis]
    domain_totals = values.sum(axis=0)[np.newaxis, :]
    share_overall = domain_totals / domain_totals.sum(axis=1)[:, np.newaxis]
    return pd.DataFrame(share_in_region / share_overall, index=x.index, columns=x.columns)


def specialised(
    x: pd.DataFrame,
    threshold: float = 1.0,
    *,
    min_mass: float = 0.0,
    mass: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Binary specialisation matrix ``M``: 1 where the region has an RCA and enough mass.

    ``M[r,d] = 1 if RCA[r,d] >= threshold and mass[r,d] >= min_mass else 0``, with ``mass``
    the full count of participations of ``r`` in ``d`` when given, else ``x`` itself.

    Parameters
    ----------
    x : pandas.DataFrame
        Activity matrix (regions x domains, non-negative), as for :func:`rca`.
    threshold : float, default 1.0
        RCA at or above which a region counts as specialised.
    min_mass : float, default 0.0
        Minimum activity in the cell for ``M = 1``; 0 is Balassa's rule as published. rok's
        profiles use :data:`MIN_MASS` (5 participations, full count) on ``mass``.
    mass : pandas.DataFrame, optional
        What ``min_mass`` is compared with, on the labels of ``x`` (missing cells count 0):
        typically the full count of participations when ``x`` is fractional or funding.

    Returns
    -------
    pandas.DataFrame
        ``M[r, d]`` in {0, 1} (dtype int64) with the labels of ``x``.

    Notes
    -----
    An RCA within a relative ``1e-12`` of the threshold counts as reaching it, so that a cell
    whose RCA is exactly the threshold in exact arithmetic is specialised whatever the
    floating-point rounding (``ecomplexity`` compares the rounded value).

    *Minimum mass.* A region with a fraction of one participation in a small domain gets a
    large RCA from noise: with ``c`` participations in a cell, its count's Poisson relative
    error is ``1/sqrt(c)`` (100% at one participation, 45% at five), so an RCA of 1 or 2 on
    one or two participations is indistinguishable from an RCA below 1. Requiring at least
    ``k`` participations per cell keeps the ones of ``M`` to cells with some evidence. The
    Atlas of Economic Complexity applies a mass threshold too, to whole rows and columns
    (countries and products below a minimum population or trade volume are left out;
    Hausmann et al. 2014); rok applies it per cell, because small regions are kept and
    only their thin cells are in doubt. ``k = 5`` is rok's choice, after the common rule of
    at least five counts per cell before a cell's deviation from proportionality is read
    (Cochran 1954); its effect on the mirror is measured on the methods page. Shrinkage of
    RCA towards 1 is the alternative not implemented here.

    References
    ----------
    Balassa, B. (1965). Trade liberalisation and "revealed" comparative advantage.
    *The Manchester School*, 33(2), 99-123.

    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    *PNAS*, 106(26), 10570-10575. https://doi.org/10.1073/pnas.0900943106

    Hausmann, R., Hidalgo, C. A., Bustos, S., Coscia, M., Simoes, A., & Yildirim, M. A.
    (2014). *The Atlas of Economic Complexity: Mapping Paths to Prosperity*. MIT Press.

    Cochran, W. G. (1954). Some methods for strengthening the common chi-square tests.
    *Biometrics*, 10(4), 417-451.
    """
    if not isinstance(threshold, Real) or not np.isfinite(threshold) or threshold <= 0:
        raise InputError(f"threshold must be a positive finite number, got {threshold!r}")
    if isinstance(min_mass, bool) or not isinstance(min_mass, Real) or not np.isfinite(min_mass) or min_mass < 0:
        raise InputError(f"min_mass must be a non-negative finite number, got {min_mass!r}")
    ratio = rca(x).to_numpy()
    binary = ratio >= threshold * (1 - RCA_RTOL)
    if min_mass > 0:
        counts = x if mass is None else mass
        if not isinstance(counts, pd.DataFrame):
            raise InputError(f"mass must be a pandas DataFrame on the labels of x, got {type(counts).__name__}")
        values = validated(counts.reindex(index=x.index, columns=x.columns, fill_value=0.0), "mass matrix")
        binary &= values >= min_mass * (1 - RCA_RTOL)
    return pd.DataFrame(binary.astype(np.int64), index=x.index, columns=x.columns)


def diversity(M: pd.DataFrame) -> pd.Series:
    """Diversity of each region: the number of domains it is specialised in.

    ``k[r,0] = sum_d M[r,d]``.

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains, values 0 or 1), e.g.
        ``specialised(x)``.

    Returns
    -------
    pandas.Series
        ``k[r,0]`` indexed by region, named ``"diversity"``.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    *PNAS*, 106(26), 10570-10575. https://doi.org/10.1073/pnas.0900943106
    """
    values = validated(M, "specialisation matrix", binary=True)
    return pd.Series(values.sum(axis=1).astype(np.int64), index=M.index, name="diversity")


def ubiquity(M: pd.DataFrame) -> pd.Series:
    """Ubiquity of each domain: the number of regions specialised in it.

    ``k[d,0] = sum_r M[r,d]``.

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains, values 0 or 1).

    Returns
    -------
    pandas.Series
        ``k[d,0]`` indexed by domain, named ``"ubiquity"``.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    *PNAS*, 106(26), 10570-10575. https://doi.org/10.1073/pnas.0900943106
    """
    values = validated(M, "specialisation matrix", binary=True)
    return pd.Series(values.sum(axis=0).astype(np.int64), index=M.columns, name="ubiquity")
