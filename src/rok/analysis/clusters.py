"""Research-driven cluster stars: size, specialisation and focus of each region x domain cell,
after the star rating of the European Cluster Observatory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rok.analysis.specialisation import RCA_RTOL, rca, validated
from rok.errors import InputError

__all__ = ["cluster_stars", "top_share_threshold"]


def top_share_threshold(values: pd.Series | np.ndarray, top: float) -> float:
    """The smallest value that is in the top ``top`` share of ``values``.

    With ``n`` values, the top share holds the ``k = ceil(top * n)`` largest; the threshold is
    the ``k``-th largest value, so values tied with it are in too. Empty input gives ``inf``.
    """
    ordered = np.sort(np.asarray(values, dtype=float))[::-1]
    if ordered.size == 0:
        return math.inf
    k = max(1, math.ceil(top * ordered.size - 1e-9))
    return float(ordered[k - 1])


def cluster_stars(activity: pd.DataFrame, *, top: float = 0.10, lq_threshold: float = 2.0) -> pd.DataFrame:
    """Cluster stars (0-3) of every region x domain cell with activity.

    Parameters
    ----------
    activity : regions x domains, non-negative (participations or EUR, full or fractional
        counts; see :mod:`rok.analysis`). Regions and domains without any activity are left out.
    top : the share of cells that earn the size and the focus star (ECO: 10%).
    lq_threshold : the location quotient that earns the specialisation star (ECO: 2).

    Returns
    -------
    Long DataFrame, one row per cell with ``value > 0``: ``region``, ``domain``, ``value``,
    ``size_share``, ``lq``, ``focus_share``, ``size_star``, ``specialisation_star``,
    ``focus_star`` (booleans), ``stars`` (their count) and ``which`` (e.g. "size+focus"),
    sorted by stars (descending), then region and domain.

    Notes
    -----
    With ``x[r,d]`` the activity of region ``r`` in domain ``d`` and dots for sums:

    - size: ``size_share[r,d] = x[r,d] / x[.,d]``; star when the cell is among the top ``top``
      share of the regions active in ``d`` (``x[r,d] > 0``), i.e. its share is at least the
      ``ceil(top * n_d)``-th largest share in ``d`` (:func:`top_share_threshold`; ties are in,
      within a relative 1e-12, so that shares equal in exact arithmetic are tied whatever the
      order in which an engine summed them).
      Ranking by share or by value is the same within a domain. ECO: "top 10% of all clusters in
      Europe within the same cluster category in terms of the number of employees".
    - specialisation: ``lq[r,d] = (x[r,d] / x[r,.]) / (x[.,d] / x[.,.])`` (Balassa 1965);
      star when ``lq >= lq_threshold`` (within a relative 1e-12).
    - focus: ``focus_share[r,d] = x[r,d] / x[r,.]``; star when the cell is among the top ``top``
      share of all active cells of all domains (as ECO ranks a cluster's share of its region's
      employment against all clusters in Europe), same threshold rule as size.

    The ECO rated employment in industry categories; here the cells are research activity in
    domains (e.g. programme parts), so a star marks a research-driven cluster candidate. Later
    ECO editions (European Cluster Panorama) replaced focus by productivity, for which R&I data
    have no counterpart.

    References
    ----------
    European Cluster Observatory. Cluster mapping methodology: evaluation of regional cluster
    strength (stars for size, specialisation and focus). Center for Strategy and
    Competitiveness, Stockholm School of Economics, for the European Commission, DG Enterprise
    and Industry. http://www.clusterobservatory.eu/index.php?id=49
    Ketels, C. & Protsiv, S. (2014). Methodology and Findings Report for a Cluster Mapping of
    Related Sectors. European Cluster Observatory, European Commission, DG Enterprise and
    Industry, Brussels.
    Balassa, B. (1965). Trade liberalisation and "revealed" comparative advantage.
    The Manchester School, 33(2), 99-123.
    """
    if not 0 < top <= 1:
        raise InputError("top must be a share in (0, 1]", value=top)
    if not lq_threshold > 0:
        raise InputError("lq_threshold must be positive", value=lq_threshold)
    values = validated(activity)  # a DataFrame of finite non-negative numbers, unique labels
    x = activity.loc[values.sum(axis=1) > 0, values.sum(axis=0) > 0]
    if x.empty:
        raise InputError("activity has no positive cell: nothing to rate")
    lq = rca(x)
    cells = _long(x, lq)
    size_cut = cells.groupby("domain")["size_share"].transform(lambda s: top_share_threshold(s, top))
    cells["size_star"] = cells["size_share"] >= size_cut * (1 - RCA_RTOL)  # ties in, whatever the rounding
    cells["specialisation_star"] = cells["lq"] >= lq_threshold * (1 - RCA_RTOL)
    cells["focus_star"] = cells["focus_share"] >= top_share_threshold(cells["focus_share"], top) * (1 - RCA_RTOL)
    flags = cells[["size_star", "specialisation_star", "focus_star"]]
    cells["stars"] = flags.sum(axis=1).astype(np.int64)
    names = np.array(["size", "specialisation", "focus"])
    cells["which"] = ["+".join(names[row]) for row in flags.to_numpy()]
    cells = cells.sort_values(["stars", "region", "domain"], ascending=[False, True, True])
    return cells.reset_index(drop=True)


def _long(x: pd.DataFrame, lq: pd.DataFrame) -> pd.DataFrame:
    values = x.to_numpy(dtype=float)
    size = values / values.sum(axis=0, keepdims=True)
    focus = values / values.sum(axis=1, keepdims=True)
    rows, cols = np.nonzero(values > 0)
    return pd.DataFrame(
        {
            "region": x.index[rows],
            "domain": x.columns[cols],
            "value": values[rows, cols],
            "size_share": size[rows, cols],
            "lq": lq.to_numpy()[rows, cols],
            "focus_share": focus[rows, cols],
        }
    )
