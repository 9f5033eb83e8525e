"""Relatedness between domains (from their co-occurrence in regions' specialisations) and
relatedness density of regions around each domain.

Convention: every domain x domain relatedness matrix here has a **zero diagonal** (a domain is
not counted as related to itself), as in EconGeo's ``relatedness`` and in the product space
of Hidalgo et al. (2007). :func:`relatedness_density` uses whatever diagonal it is given, so a
caller who wants a region's own specialisation to count (the ``ecomplexity`` convention,
diagonal 1) passes a matrix with that diagonal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rok.analysis.specialisation import validated
from rok.errors import InputError

__all__ = ["cooccurrence", "proximity", "association_strength", "cosine", "relatedness_density"]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0."""
    out = np.zeros_like(numerator, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _square(values: np.ndarray, M: pd.DataFrame, *, zero_diagonal: bool = True) -> pd.DataFrame:
    if zero_diagonal:
        np.fill_diagonal(values, 0.0)
    return pd.DataFrame(values, index=M.columns.copy(), columns=M.columns.copy())


def cooccurrence(M: pd.DataFrame) -> pd.DataFrame:
    """Number of regions specialised in both domains of each pair.

    ``C[i,j] = sum_r M[r,i] M[r,j]`` (``C = M^T M``); the diagonal ``C[i,i]`` is the
    ubiquity of domain ``i`` and is kept.

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains, values 0 or 1), e.g.
        ``specialised(x)``.

    Returns
    -------
    pandas.DataFrame
        Symmetric domains x domains matrix of counts (float), labelled by ``M``'s columns.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    https://doi.org/10.1126/science.1144581
    """
    values = validated(M, "specialisation matrix", binary=True)
    return _square(values.T @ values, M, zero_diagonal=False)


def proximity(M: pd.DataFrame) -> pd.DataFrame:
    """Proximity between domains: the smaller of the two conditional probabilities of
    specialisation.

    ``phi[i,j] = min(P(M_i | M_j), P(M_j | M_i)) = C[i,j] / max(u_i, u_j)`` with ``C`` the
    co-occurrence matrix and ``u`` the ubiquities; ``phi[i,i] = 0``.

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains).

    Returns
    -------
    pandas.DataFrame
        Symmetric domains x domains matrix with values in [0, 1] and a zero diagonal.

    Notes
    -----
    A pair in which neither domain has any specialised region has proximity 0 (the formula is
    0/0 there). ``ecomplexity.proximity`` gives the same off-diagonal values but 1 on the
    diagonal (``calc_discrete_proximity`` divides ``M^T M`` by ubiquity, so ``C[i,i]/u_i = 1``).

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    https://doi.org/10.1126/science.1144581
    """
    C = cooccurrence(M).to_numpy()
    u = np.diag(C)
    return _square(_ratio(C, np.maximum.outer(u, u)), M)


def association_strength(M: pd.DataFrame) -> pd.DataFrame:
    """Association strength between domains: observed over expected co-occurrence, as in
    EconGeo's ``relatedness(method = "association")``.

    With ``c`` the co-occurrence matrix with its diagonal set to 0, ``S_i = sum_j c[i,j]``
    (all co-occurrences of domain ``i`` with other domains) and ``T = sum_ij c[i,j]``:
    ``AS[i,j] = (c[i,j] / T) / ((S_i / T) (S_j / T)) = c[i,j] T / (S_i S_j)``, ``AS[i,i] = 0``.

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains).

    Returns
    -------
    pandas.DataFrame
        Symmetric domains x domains matrix, non-negative, zero diagonal; a value above 1 means
        the pair co-occurs more often than expected from the domains' totals.

    Notes
    -----
    This is van Eck and Waltman's association strength applied, as EconGeo does, to the
    co-occurrence network without self-loops: the "sizes" are the off-diagonal row sums
    ``S_i``, not the occurrences ``C[i,i]``, and the factor ``T`` makes the expected value 1.
    Where ``S_i S_j = 0`` the value is 0 (EconGeo sets the resulting NaN to 0).

    References
    ----------
    van Eck, N. J., & Waltman, L. (2009). How to normalize cooccurrence data? An analysis of
    some well-known similarity measures. *Journal of the American Society for Information
    Science and Technology*, 60(8), 1635-1651. https://doi.org/10.1002/asi.21075

    Balland, P.-A. (2017). EconGeo: Computing key indicators of the spatial distribution of
    economic activities, R package, function ``relatedness`` (file ``R/relatedness.r``).
    https://github.com/PABalland/EconGeo
    """
    c = cooccurrence(M).to_numpy()
    np.fill_diagonal(c, 0.0)
    s = c.sum(axis=1)
    return _square(_ratio(c * c.sum(), np.outer(s, s)), M)


def cosine(M: pd.DataFrame) -> pd.DataFrame:
    """Cosine similarity of the domains' columns of the specialisation matrix.

    ``cos[i,j] = sum_r M[r,i] M[r,j] / sqrt(sum_r M[r,i]^2 sum_r M[r,j]^2)
    = C[i,j] / sqrt(u_i u_j)``, ``cos[i,i] = 0``.

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains).

    Returns
    -------
    pandas.DataFrame
        Symmetric domains x domains matrix with values in [0, 1] and a zero diagonal (the
        package-wide convention; the cosine of a column with itself would be 1).

    Notes
    -----
    This is the cosine of the region vectors of two domains (van Eck & Waltman's "cosine"
    with occurrences ``u_i = C[i,i]`` as sizes). EconGeo's ``relatedness(method = "cosine")``
    instead divides by the off-diagonal row sums of the co-occurrence matrix. A domain
    with no specialised region has cosine 0 with every other.

    References
    ----------
    van Eck, N. J., & Waltman, L. (2009). How to normalize cooccurrence data? An analysis of
    some well-known similarity measures. *Journal of the American Society for Information
    Science and Technology*, 60(8), 1635-1651. https://doi.org/10.1002/asi.21075
    """
    C = cooccurrence(M).to_numpy()
    u = np.diag(C)
    return _square(_ratio(C, np.sqrt(np.outer(u, u))), M)


def relatedness_density(M: pd.DataFrame, phi: pd.DataFrame) -> pd.DataFrame:
    """Relatedness density: how much of what is related to a domain a region already has,
    in percent.

    ``RD[r,d] = 100 * sum_j phi[d,j] M[r,j] / sum_j phi[d,j]``.

    Parameters
    ----------
    M : pandas.DataFrame
        Specialisation matrix (regions x domains): binary as a rule, any non-negative values
        accepted (with continuous values the result is no longer bounded by 100).
    phi : pandas.DataFrame
        Domains x domains relatedness (e.g. :func:`proximity`), non-negative, with the same
        domain labels as ``M``'s columns in index and columns (any order). Row ``d`` gives
        the relatedness of ``d`` to every ``j``; it need not be symmetric.

    Returns
    -------
    pandas.DataFrame
        ``RD[r, d]`` with ``M``'s labels, between 0 and 100 for a binary ``M``.

    Notes
    -----
    The diagonal of ``phi`` is used as given. With the zero diagonal of this module's
    measures a region's own specialisation in ``d`` does not count towards its density
    around ``d`` (EconGeo). ``ecomplexity``'s ``density`` column uses proximity with
    diagonal 1 and no factor 100: pass ``phi`` with diagonal 1 and divide by 100 to
    reproduce it.

    A domain related to no other (``sum_j phi[d,j] = 0``) has density NaN in every region:
    it is undefined, not 0. EconGeo rounds to two decimals; this function does not.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    https://doi.org/10.1126/science.1144581

    Balland, P.-A., Boschma, R., Crespo, J., & Rigby, D. L. (2019). Smart specialization
    policy in the European Union: relatedness, knowledge complexity and regional
    diversification. *Regional Studies*, 53(9), 1252-1268.
    https://doi.org/10.1080/00343404.2018.1437900

    Balland, P.-A. (2017). EconGeo, R package, function ``relatedness_density``.
    https://github.com/PABalland/EconGeo
    """
    m = validated(M, "specialisation matrix")
    validated(phi, "relatedness matrix")
    domains = M.columns
    if set(phi.index) != set(domains) or set(phi.columns) != set(domains):
        missing = sorted(map(str, set(domains) - set(phi.index) | set(domains) - set(phi.columns)))
        extra = sorted(map(str, (set(phi.index) | set(phi.columns)) - set(domains)))
        raise InputError(
            "the relatedness matrix must have the specialisation matrix's domains as both index and "
            f"columns; missing {missing[:5]}, unexpected {extra[:5]}"
        )
    weights = phi.loc[domains, domains].to_numpy(dtype=float)
    totals = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = 100.0 * (m @ weights.T) / totals[np.newaxis, :]
    density[:, totals == 0] = np.nan
    return pd.DataFrame(density, index=M.index, columns=M.columns)
