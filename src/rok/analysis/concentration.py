"""Geographic concentration of domains (and, along the other axis, concentration of a
region's activity over domains): Herfindahl-Hirschman index, Shannon entropy, Hoover index
and Krugman's locational Gini.

``axis`` follows pandas: ``axis=0`` reduces over regions (the index) and gives one value per
domain, ``axis=1`` reduces over domains and gives one value per region.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from rok.analysis.specialisation import validated
from rok.errors import InputError

__all__ = ["herfindahl", "entropy", "hoover", "locational_gini"]

Axis = Literal[0, 1]


def _shares(x: pd.DataFrame, axis: Axis, what: str) -> tuple[np.ndarray, pd.Index]:
    """Shares along ``axis`` (columns sum to 1 for axis=0, rows for axis=1) and result labels."""
    if axis not in (0, 1):
        raise InputError(
            f"axis must be 0 (over regions, per domain) or 1 (over domains, per region), got {axis!r}"
        )
    values = validated(x)
    values = values if axis == 0 else values.T
    labels = x.columns if axis == 0 else x.index
    totals = values.sum(axis=0)
    empty = np.flatnonzero(totals == 0)
    if empty.size:
        name = "domain" if axis == 0 else "region"
        shown = ", ".join(repr(labels[i]) for i in empty[:5])
        raise InputError(
            f"{what}: {empty.size} {name}(s) have no activity at all ({shown}), so their shares are 0/0; "
            f"expected a positive total for every {name}"
        )
    return values / totals, labels


def herfindahl(x: pd.DataFrame, axis: Axis = 0) -> pd.Series:
    """Herfindahl-Hirschman index: the sum of squared shares.

    For ``axis=0``, per domain ``d``: ``HHI[d] = sum_r s[r,d]^2`` with
    ``s[r,d] = x[r,d] / x[.,d]``; for ``axis=1``, per region over its domains.

    Parameters
    ----------
    x : pandas.DataFrame
        Activity matrix (regions x domains, non-negative).
    axis : {0, 1}, default 0
        0: concentration of each domain over regions; 1: of each region over domains.

    Returns
    -------
    pandas.Series
        Values in ``[1/n, 1]`` (``n`` the number of units shared over), named ``"herfindahl"``.

    Notes
    -----
    Unnormalised (between ``1/n`` and 1) and on the 0-1 scale, not the 0-10 000 scale of
    competition policy. A domain (or region) with total 0 raises InputError.

    References
    ----------
    Hirschman, A. O. (1964). The paternity of an index. *The American Economic Review*,
    54(5), 761.

    Herfindahl, O. C. (1950). *Concentration in the steel industry* (PhD dissertation).
    Columbia University.
    """
    shares, labels = _shares(x, axis, "herfindahl")
    return pd.Series((shares**2).sum(axis=0), index=labels, name="herfindahl")


def entropy(x: pd.DataFrame, axis: Axis = 0) -> pd.Series:
    """Shannon entropy of the shares, in nats (natural logarithm).

    For ``axis=0``, per domain ``d``: ``H[d] = -sum_r s[r,d] ln s[r,d]`` with
    ``s[r,d] = x[r,d] / x[.,d]`` and ``0 ln 0 = 0``; for ``axis=1``, per region.

    Parameters
    ----------
    x : pandas.DataFrame
        Activity matrix (regions x domains, non-negative).
    axis : {0, 1}, default 0
        0: spread of each domain over regions; 1: spread of each region over domains
        (the usual "variety" of a region).

    Returns
    -------
    pandas.Series
        Values in ``[0, ln n]``, named ``"entropy"``. High = spread out, low = concentrated.

    Notes
    -----
    Natural logarithm (nats); divide by ``ln 2`` for bits. EconGeo's ``entropy`` uses
    ``log2``, works per region (rows) and adds 1e-9 inside the logarithm; this function is
    exact, with ``0 ln 0 = 0``.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System Technical
    Journal*, 27(3), 379-423. https://doi.org/10.1002/j.1538-7305.1948.tb01338.x

    Frenken, K., Van Oort, F., & Verburg, T. (2007). Related variety, unrelated variety and
    regional economic growth. *Regional Studies*, 41(5), 685-697.
    https://doi.org/10.1080/00343400601120296
    """
    shares, labels = _shares(x, axis, "entropy")
    logs = np.log(shares, out=np.zeros_like(shares), where=shares > 0)
    return pd.Series(-(shares * logs).sum(axis=0) + 0.0, index=labels, name="entropy")


def _base_shares(x: pd.DataFrame, values: np.ndarray, base: pd.Series | None) -> np.ndarray:
    """Share of each region in the reference distribution (total activity or ``base``)."""
    if base is None:
        totals = values.sum(axis=1)
    else:
        if not isinstance(base, pd.Series):
            raise InputError(f"base must be a pandas Series indexed by region, got {type(base).__name__}")
        missing = x.index.difference(base.index)
        if len(missing):
            raise InputError(f"base has no value for {len(missing)} region(s), e.g. {list(missing[:5])}")
        totals = validated(base.loc[x.index].to_frame("base"), "base").ravel()
    if totals.sum() == 0:
        raise InputError("the base distribution sums to 0; expected a positive total")
    return totals / totals.sum()


def hoover(x: pd.DataFrame, base: pd.Series | None = None) -> pd.Series:
    """Hoover index of localisation of each domain relative to a base distribution.

    ``H[d] = 1/2 sum_r |s[r,d] - b[r]|`` with ``s[r,d] = x[r,d] / x[.,d]`` the region's
    share of the domain and ``b[r]`` its share of the base: total activity
    (``x[r,.] / x[.,.]``) by default, or ``base[r] / sum(base)`` (e.g. population).

    Parameters
    ----------
    x : pandas.DataFrame
        Activity matrix (regions x domains, non-negative).
    base : pandas.Series, optional
        Reference quantity per region (index must cover ``x``'s regions, non-negative).
        Default: each region's total activity over all domains.

    Returns
    -------
    pandas.Series
        Per domain, in ``[0, 1)``, named ``"hoover"``: the share of the domain's activity
        that would have to move for it to be spread like the base.

    Notes
    -----
    The Hoover index is the largest vertical distance between the domain's localisation curve
    (see :func:`locational_gini`) and the diagonal. EconGeo's ``hoover_index`` assumes an equal
    share per region when no base is given and reports percent (x100); here the default base
    is total activity and the scale is 0-1.

    References
    ----------
    Hoover, E. M. (1936). The measurement of industrial localization. *The Review of Economics
    and Statistics*, 18(4), 162-171. https://doi.org/10.2307/1927875
    """
    shares, labels = _shares(x, 0, "hoover")
    b = _base_shares(x, x.to_numpy(dtype=float), base)
    return pd.Series(0.5 * np.abs(shares - b[:, np.newaxis]).sum(axis=0), index=labels, name="hoover")


def locational_gini(x: pd.DataFrame, base: pd.Series | None = None) -> pd.Series:
    """Krugman's locational Gini coefficient of each domain.

    Regions are ordered by their location quotient ``s[r,d] / b[r]`` (ascending), with
    ``s[r,d] = x[r,d] / x[.,d]`` and ``b[r]`` the region's share of total activity (or of
    ``base``). The localisation curve joins ``(X_k, Y_k)``, the cumulative sums of ``b`` and
    ``s`` over the first ``k`` regions, from (0, 0) to (1, 1). The locational Gini is the area
    between the diagonal and that curve::

        G[d] = 1/2 - sum_k (X_k - X_{k-1}) (Y_k + Y_{k-1}) / 2

    Parameters
    ----------
    x : pandas.DataFrame
        Activity matrix (regions x domains, non-negative).
    base : pandas.Series, optional
        Reference quantity per region; default: total activity (Krugman's total employment).

    Returns
    -------
    pandas.Series
        Per domain, in ``[0, 1/2)``, named ``"locational_gini"``: 0 when the domain is spread
        exactly like the base, approaching 1/2 when it sits in one small region.

    Notes
    -----
    On Krugman's (and EconGeo's ``locational_gini``) scale, with maximum 1/2; twice the value
    is the usual Gini scale in [0, 1). Regions with a base share of 0 are left out when
    ordering (their location quotient is undefined); they contribute nothing to the area
    provided they have no activity in the domain, and raise InputError otherwise. The order
    of regions with equal location quotients does not change the area.

    References
    ----------
    Krugman, P. (1991). *Geography and Trade*. MIT Press, Cambridge, MA (chapter 2 and
    appendix D, p. 56).

    Balland, P.-A. (2017). EconGeo, R package, function ``locational_gini``.
    https://github.com/PABalland/EconGeo
    """
    shares, labels = _shares(x, 0, "locational_gini")
    b = _base_shares(x, x.to_numpy(dtype=float), base)
    outside = (b == 0)[:, np.newaxis] & (shares > 0)
    if outside.any():
        r, d = np.argwhere(outside)[0]
        raise InputError(
            f"locational_gini: region {x.index[r]!r} has activity in domain {x.columns[d]!r} but a base "
            "share of 0, so its location quotient is infinite; expected a positive base where there is activity"
        )
    keep = b > 0
    shares, b = shares[keep], b[keep]
    gini = np.empty(shares.shape[1])
    for j in range(shares.shape[1]):
        order = np.argsort(shares[:, j] / b, kind="stable")
        X = np.concatenate([[0.0], np.cumsum(b[order])])
        Y = np.concatenate([[0.0], np.cumsum(shares[order, j])])
        gini[j] = 0.5 - float(np.sum(np.diff(X) * (Y[1:] + Y[:-1]) / 2))
    return pd.Series(gini, index=labels, name="locational_gini")
