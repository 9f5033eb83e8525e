"""What a network community is made of: its largest regions and its most characteristic domains.

A community found by Leiden (:func:`rok.analysis.networks.communities`) is a set of nodes
(regions or organisations). For a reader it is described by

- its *top regions*: the regions holding the largest shares of the community's
  participations, ``s[c,r] = sum_{n in c, region(n) = r} w[n] / sum_{n in c} w[n]`` with ``w[n]``
  the node's participations;
- its *top domains*: the domains in which the community is most specialised, by the location
  quotient of the community's activity (Balassa 1965, as in :mod:`rok.analysis.specialisation`)
  ``LQ[c,d] = (x[c,d] / x[c,.]) / (x[.,d] / x[.,.])``, among the domains that hold at least
  ``min_share`` (5%) of the community's activity, so that a single stray project does not
  characterise a community. ``x[c,d]`` sums the members' domain activity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rok.errors import InputError

__all__ = ["describe_communities"]


def describe_communities(membership: pd.Series, region_of: pd.Series, weight: pd.Series,
                         activity: pd.DataFrame | None, *, top: int = 3, min_share: float = 0.05) -> pd.DataFrame:
    """One row per community: size, participations, top regions and top domains.

    Parameters
    ----------
    membership : pandas.Series
        Community (int) of each node, indexed by node id.
    region_of : pandas.Series
        Region of each node (the node itself in a region network); missing: unplaced.
    weight : pandas.Series
        Participations of each node (missing nodes count 0).
    activity : pandas.DataFrame or None
        Nodes x domains activity (missing nodes count 0); None: no domains.
    top : int
        How many regions and domains to name.
    min_share : float
        Least share of the community's activity for a domain to be named.

    Returns
    -------
    pandas.DataFrame
        ``community, nodes, participations, top_regions, top_region_shares, top_domains,
        top_domain_lq`` (the lists as text separated by ``;``, shares and LQs rounded to 3
        decimals), sorted by community.

    Examples
    --------
    >>> m = pd.Series({"a": 0, "b": 0, "c": 1})
    >>> regions = pd.Series({"a": "R1", "b": "R2", "c": "R2"})
    >>> w = pd.Series({"a": 3, "b": 1, "c": 2})
    >>> act = pd.DataFrame({"D1": [3.0, 0.0, 0.0], "D2": [0.0, 1.0, 2.0]}, index=["a", "b", "c"])
    >>> describe_communities(m, regions, w, act, top=2)[["top_regions", "top_domains"]].values.tolist()
    [['R1;R2', 'D1;D2'], ['R2', 'D2']]
    """
    if not isinstance(membership, pd.Series) or membership.index.has_duplicates:
        raise InputError("membership must be a Series of community per node, each node once")
    nodes = membership.index
    community = membership.astype(int)
    w = weight.reindex(nodes).fillna(0).astype(float)
    region = region_of.reindex(nodes)
    frame = pd.DataFrame({"community": community.to_numpy(), "region": region.to_numpy(), "w": w.to_numpy()},
                         index=nodes)
    sizes = frame.groupby("community").size()
    mass = frame.groupby("community")["w"].sum()
    by_region = frame.dropna(subset=["region"]).groupby(["community", "region"])["w"].sum()
    domains = None
    if activity is not None and not activity.empty:
        x = activity.reindex(nodes).fillna(0.0).groupby(community.to_numpy()).sum()
        total = x.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = x.div(x.sum(axis=1), axis=0)
            lq = share / (total / total.sum())
        domains = (share, lq)
    rows = []
    for c in sizes.index:
        regions = by_region.get(c, pd.Series(dtype=float)).sort_values(ascending=False).head(top) \
            if c in by_region.index.get_level_values(0) else pd.Series(dtype=float)
        named_regions = ";".join(map(str, regions.index))
        region_shares = ";".join(f"{v / mass[c]:.3f}" for v in regions.to_numpy()) if mass[c] > 0 else ""
        named_domains = domain_lq = ""
        if domains is not None and c in domains[0].index:
            share, lq = domains[0].loc[c], domains[1].loc[c]
            ranked = lq[(share >= min_share) & np.isfinite(lq)].sort_values(ascending=False).head(top)
            named_domains = ";".join(map(str, ranked.index))
            domain_lq = ";".join(f"{v:.3f}" for v in ranked.to_numpy())
        rows.append((int(c), int(sizes[c]), float(mass[c]), named_regions, region_shares, named_domains, domain_lq))
    return pd.DataFrame(rows, columns=["community", "nodes", "participations", "top_regions", "top_region_shares",
                                       "top_domains", "top_domain_lq"])
