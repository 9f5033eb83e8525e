"""Brokerage roles after Gould & Fernandez (1989) in an undirected network whose nodes belong
to groups (organisations in regions), per node and summed per region.

Definitions for undirected ties. A broker ``b`` mediates between two of its neighbours ``a``
and ``c`` (``a != c``) that are not tied to each other: an *open two-path* ``a - b - c``.
Gould & Fernandez define the roles on directed paths ``a -> b -> c``; with undirected ties
every open two-path is counted once in each direction (``a -> b -> c`` and ``c -> b -> a``),
and the ordered path is classified by the groups ``g(.)`` of its three nodes:

==================  =========================  ==========================================
role                groups of ``a -> b -> c``  meaning
==================  =========================  ==========================================
coordinator         g(a) = g(b) = g(c)         mediates inside its own group
itinerant           g(a) = g(c) != g(b)        (consultant) mediates inside another group
representative      g(a) = g(b) != g(c)        passes its group's contact to an outsider
gatekeeper          g(a) != g(b) = g(c)        lets an outsider in to its own group
liaison             g(a), g(b), g(c) distinct  mediates between two other groups
==================  =========================  ==========================================

Read backwards, a representative path is a gatekeeper path, so in an undirected network
**representative = gatekeeper for every broker**; both columns are kept for comparison with
the directed literature. Coordinator, itinerant and liaison paths are symmetric and so count
twice per unordered pair ``{a, c}``. The roles add up to ``total = deg(b) (deg(b) - 1) - 2 t(b)``
with ``t(b)`` the triangles at ``b``. Weights play no part (a tie is a tie); self-loops and
repeated pairs are ignored.

Counting. Naive enumeration costs ``sum_b deg(b)^2`` (7.5e8 pairs in the mirror's organisation
network). Instead, with ``n_bg`` the neighbours of ``b`` in group ``g``, ``s = n_b,g(b)``,
``o = deg(b) - s`` and ``q = sum_{g != g(b)} n_bg (n_bg - 1)``, all ordered neighbour pairs are,
by role, ``s(s-1)`` (coordinator), ``q`` (itinerant), ``s o`` (representative, gatekeeper) and
``o(o-1) - q`` (liaison). The closed pairs (``a``, ``c`` tied) are then subtracted, each
triangle classified by the groups of its corners: a triangle with all three corners in one
group removes 2 coordinator pairs from each corner; one with two corners in one group removes
1 representative and 1 gatekeeper pair from each of these and 2 itinerant pairs from the odd
corner; one with three groups removes 2 liaison pairs from each corner. Triangles are listed
once each by the degree-ordered "forward" algorithm (Schank & Wagner 2005), vectorised with
numpy: ``O(m^1.5)`` at worst, 2e7 wedges and 1.5e7 triangles in the mirror's organisation
network.

References
----------
Gould, R. V., & Fernandez, R. M. (1989). Structures of mediation: A formal approach to
brokerage in transaction networks. *Sociological Methodology*, 19, 89-126.
https://doi.org/10.2307/270949

Expectation. Raw counts grow with ``deg(b)^2`` and with the size of ``b``'s group, so they are
read against their expectation under random assignment of group membership (Gould &
Fernandez 1989, p. 104): the ``T(b) = total`` open two-paths of ``b`` are kept, and the groups
of their end points ``a`` and ``c`` are drawn without replacement from the other ``N - 1``
nodes, ``n_G`` of them in group ``G`` (``N`` the grouped nodes of the network, ``B = g(b)``):

    P(coordinator)     = (n_B - 1)(n_B - 2) / ((N - 1)(N - 2))
    P(itinerant)       = sum_{G != B} n_G (n_G - 1) / ((N - 1)(N - 2))
    P(representative)  = P(gatekeeper) = (n_B - 1)(N - n_B) / ((N - 1)(N - 2))
    P(liaison)         = sum_{G != B} n_G (N - n_B - n_G) / ((N - 1)(N - 2))

The five probabilities add up to 1; ``E[role](b) = T(b) P(role)``. A region's ratio is the sum
of its nodes' observed counts over the sum of their expectations (1 = as by chance, above 1:
the region's organisations broker in that role more than their group sizes imply). Gould &
Fernandez also give a variance for a z score; rok reports the ratio, which stays readable when
the counts run into millions.

Schank, T., & Wagner, D. (2005). Finding, counting and listing all triangles in large graphs,
an experimental study. *Experimental and Efficient Algorithms (WEA 2005)*, LNCS 3503, 606-609.
https://doi.org/10.1007/11427186_54
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Literal

import igraph as ig
import numpy as np
import pandas as pd

from rok.analysis.networks import build_graph
from rok.errors import InputError

__all__ = ["ROLES", "brokerage_roles", "brokerage_by_region", "brokerage_expected", "brokerage_ratios"]

ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")

log = logging.getLogger(__name__)

_CHUNK = 1 << 22  # wedges per vectorised step (about 200 MB of temporaries)


def brokerage_roles(
    graph_or_edges: ig.Graph | pd.DataFrame,
    groups: pd.Series,
    *,
    ungrouped: Literal["exclude", "singleton"] = "exclude",
) -> pd.DataFrame:
    """Gould & Fernandez brokerage counts of every node (see the module docstring).

    Parameters
    ----------
    graph_or_edges : igraph.Graph or pandas.DataFrame
        An undirected graph with vertex attribute ``"name"`` (from
        :func:`rok.analysis.networks.build_graph`), or an edge table with ``source`` and
        ``target`` that is built into one.
    groups : pandas.Series
        Group (region) of each node, indexed by node id. Every node of the network must be in
        the index; a missing value (None/NaN) marks a node whose group is unknown.
    ungrouped : "exclude" or "singleton"
        Nodes of unknown group: ``"exclude"`` (default) leaves them out of every two-path,
        as ``a``, ``b`` or ``c`` (their group is unknown, so no path through them can be
        classified) and out of the result; ``"singleton"`` puts each in a group of its own,
        which turns every path through it into gatekeeping, representation or liaison.

    Returns
    -------
    pandas.DataFrame
        Columns ``node, coordinator, itinerant, representative, gatekeeper, liaison, total``
        (int64 counts of ordered open two-paths), one row per node taking part, in the
        graph's vertex order.

    Raises
    ------
    InputError
        ``groups`` is not a Series, has duplicate ids or lacks nodes of the network.

    Examples
    --------
    A path a - b - c with a and b in region X and c in region Y: b represents X towards c
    (a -> b -> c) and keeps X's gate for c (c -> b -> a).

    >>> edges = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]})
    >>> roles = brokerage_roles(edges, pd.Series({"a": "X", "b": "X", "c": "Y"}))
    >>> roles.set_index("node").loc["b", ["representative", "gatekeeper", "total"]].tolist()
    [1, 1, 2]
    """
    graph = graph_or_edges if isinstance(graph_or_edges, ig.Graph) else build_graph(graph_or_edges)
    if "name" not in graph.vs.attributes():
        raise InputError("graph has no vertex attribute 'name' (see build_graph)")
    names = np.asarray(graph.vs["name"], dtype=object)
    codes = _group_codes(names, groups, ungrouped)
    keep = codes >= 0
    u, v = _simple_edges(graph)
    inside = keep[u] & keep[v]
    if (~keep).any():
        log.info("brokerage_roles: %d node(s) of unknown group left out", int((~keep).sum()))
    index = np.cumsum(keep) - 1  # old vertex -> position among the kept ones
    counts = _role_counts(index[u[inside]], index[v[inside]], codes[keep])
    out = pd.DataFrame({"node": names[keep]} | {role: counts[role] for role in (*ROLES, "total")})
    out.attrs.update(ungrouped=ungrouped)
    return out


def brokerage_by_region(roles: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Brokerage summed over the nodes of each group (region).

    Parameters
    ----------
    roles : pandas.DataFrame
        Output of :func:`brokerage_roles`.
    groups : pandas.Series
        Group of each node, indexed by node id (the same as given to :func:`brokerage_roles`).

    Returns
    -------
    pandas.DataFrame
        Columns ``region, nodes, brokers, coordinator, itinerant, representative, gatekeeper,
        liaison, total``, one row per region sorted by region: ``nodes`` counts the region's
        nodes in ``roles``, ``brokers`` those with a representative or gatekeeper role (open
        two-paths between their own region and another), the roles are sums.
    """
    missing = [c for c in ("node", *ROLES, "total") if c not in roles.columns]
    if missing:
        raise InputError(f"roles table lacks column(s) {missing} (see brokerage_roles)", column=missing[0])
    region = _checked_groups(groups).reindex(roles["node"])
    if region.isna().any():
        raise InputError(
            "a node of the roles table has no group",
            column="node",
            value=roles["node"].to_numpy()[region.isna().to_numpy()][0],
        )
    table = roles.assign(
        region=region.to_numpy(),
        nodes=1,
        brokers=((roles["representative"] + roles["gatekeeper"]) > 0).astype(int),
    )
    columns = ["nodes", "brokers", *ROLES, "total"]
    return table.groupby("region", sort=True)[columns].sum().reset_index()


def brokerage_expected(roles: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Expected role counts of every node under random assignment of group membership.

    ``E[role](b) = total(b) * P(role | n_B, group sizes)`` with the probabilities of the module
    docstring (Gould & Fernandez 1989), the group sizes ``n_G`` counted over the nodes of
    ``roles`` (the grouped nodes of the network).

    Returns
    -------
    pandas.DataFrame
        Columns ``node`` and one float column per role, in the order of ``roles``.

    Examples
    --------
    Four nodes, groups X = {a, b}, Y = {c, d}, broker b with 2 open two-paths: for b,
    ``(N-1)(N-2) = 6``; coordinator ``1*0/6 = 0``, itinerant ``2*1/6``, representative and
    gatekeeper ``1*2/6`` each, liaison ``0``: expected 0, 2/3, 2/3, 2/3, 0.

    >>> roles = pd.DataFrame({"node": list("abcd"), "coordinator": 0, "itinerant": 0,
    ...                       "representative": [0, 1, 0, 0], "gatekeeper": [0, 1, 0, 0],
    ...                       "liaison": 0, "total": [0, 2, 0, 0]})
    >>> groups = pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})
    >>> brokerage_expected(roles, groups).loc[1, list(ROLES)].astype(float).round(4).tolist()
    [0.0, 0.6667, 0.6667, 0.6667, 0.0]
    """
    missing = [c for c in ("node", "total") if c not in roles.columns]
    if missing:
        raise InputError(f"roles table lacks column(s) {missing} (see brokerage_roles)", column=missing[0])
    group = _checked_groups(groups).reindex(roles["node"])
    if group.isna().any():
        raise InputError("a node of the roles table has no group", column="node",
                         value=roles["node"].to_numpy()[group.isna().to_numpy()][0])
    size = group.value_counts()
    n = float(len(group))
    pairs = (n - 1) * (n - 2)
    n_b = group.map(size).to_numpy(dtype=float)
    sum_sq = float((size * (size - 1)).sum())  # sum_G n_G (n_G - 1)
    sum_n2 = float((size**2).sum())
    itinerant = sum_sq - n_b * (n_b - 1)
    # sum_{G != B} n_G (N - n_B - n_G) = (N - n_B)^2 - (sum_G n_G^2 - n_B^2)
    liaison = (n - n_b) ** 2 - (sum_n2 - n_b**2)
    share = {"coordinator": (n_b - 1) * (n_b - 2), "itinerant": itinerant,
             "representative": (n_b - 1) * (n - n_b), "gatekeeper": (n_b - 1) * (n - n_b), "liaison": liaison}
    total = roles["total"].to_numpy(dtype=float)
    out = {role: total * share[role] / pairs if pairs > 0 else np.zeros(len(total)) for role in ROLES}
    return pd.DataFrame({"node": roles["node"].to_numpy()} | out)


def brokerage_ratios(roles: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per region: observed and expected role counts and their ratio (Gould & Fernandez 1989).

    Returns
    -------
    pandas.DataFrame
        Columns ``region, nodes, brokers, total`` then, per role, ``<role>`` (observed sum),
        ``<role>_expected`` and ``<role>_ratio`` (observed / expected; NaN where nothing is
        expected), one row per region sorted by region.
    """
    by_region = brokerage_by_region(roles, groups)
    expected = brokerage_expected(roles, groups)
    expected["region"] = _checked_groups(groups).reindex(expected["node"]).to_numpy()
    sums = expected.groupby("region", sort=True)[list(ROLES)].sum()
    out = by_region[["region", "nodes", "brokers", "total"]].copy()
    for role in ROLES:
        observed = by_region.set_index("region")[role]
        exp = sums[role].reindex(observed.index)
        out[role] = observed.to_numpy()
        out[f"{role}_expected"] = exp.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{role}_ratio"] = np.where(exp.to_numpy() > 0, observed.to_numpy() / exp.to_numpy(), np.nan)
    return out


# -- internals -----------------------------------------------------------------------------


def _checked_groups(groups: pd.Series) -> pd.Series:
    if not isinstance(groups, pd.Series):
        raise InputError("groups must be a pandas Series of group per node id", value=type(groups).__name__)
    duplicated = groups.index.duplicated()
    if duplicated.any():
        raise InputError("groups has a node id twice", value=groups.index[duplicated][0])
    return groups


def _group_codes(names: np.ndarray, groups: pd.Series, ungrouped: str) -> np.ndarray:
    """Integer group code per vertex; -1 for an excluded node of unknown group."""
    groups = _checked_groups(groups)
    position = groups.index.get_indexer(names)
    if (position < 0).any():
        absent = names[position < 0]
        raise InputError(
            f"{len(absent)} node(s) of the network are not in groups, e.g. {list(absent[:5])}; "
            "give every node a group (None/NaN for unknown)",
            value=absent[0],
        )
    values = groups.iloc[position]
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    if ungrouped == "singleton":
        unknown = codes < 0
        codes[unknown] = codes.max(initial=-1) + 1 + np.arange(int(unknown.sum()))
    elif ungrouped != "exclude":
        raise InputError("ungrouped must be 'exclude' or 'singleton'", value=ungrouped)
    return codes


def _simple_edges(graph: ig.Graph) -> tuple[np.ndarray, np.ndarray]:
    """Each tied pair once (u < v), without self-loops."""
    pairs = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    u, v = pairs.min(axis=1), pairs.max(axis=1)
    key = np.sort((u * graph.vcount() + v)[u != v])
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    return key // graph.vcount(), key % graph.vcount()


def _role_counts(u: np.ndarray, v: np.ndarray, group: np.ndarray) -> dict[str, np.ndarray]:
    """Open ordered two-paths by role for every node 0..n-1 of a simple graph."""
    n = len(group)
    ends, others = np.concatenate([u, v]), np.concatenate([v, u])
    degree = np.bincount(ends, minlength=n)
    # neighbours of b per group: n_bg, as (b, g) pairs with counts
    n_groups = int(group.max(initial=0)) + 1
    key, n_bg = np.unique(ends * n_groups + group[others], return_counts=True)
    broker, neighbour_group = key // n_groups, key % n_groups
    own = neighbour_group == group[broker]
    same = np.zeros(n, dtype=np.int64)
    same[broker[own]] = n_bg[own]
    other = degree - same
    q = np.bincount(broker[~own], weights=n_bg[~own] * (n_bg[~own] - 1), minlength=n).astype(np.int64)
    closed = _closed_pairs(u, v, group)
    return {
        "coordinator": same * (same - 1) - 2 * closed["coordinator"],
        "itinerant": q - 2 * closed["itinerant"],
        "representative": same * other - closed["mixed"],
        "gatekeeper": same * other - closed["mixed"],
        "liaison": other * (other - 1) - q - 2 * closed["liaison"],
        "total": degree * (degree - 1) - 2 * closed["triangles"],
    }


def _closed_pairs(u: np.ndarray, v: np.ndarray, group: np.ndarray) -> dict[str, np.ndarray]:
    """Per node, its triangles by the groups of their corners (see the module docstring)."""
    n = len(group)
    out = {k: np.zeros(n, dtype=np.int64) for k in ("coordinator", "itinerant", "mixed", "liaison")}
    for x, y, z in _triangles(u, v, n):
        gx, gy, gz = group[x], group[y], group[z]
        xy, xz, yz = gx == gy, gx == gz, gy == gz
        every = xy & xz
        none = ~xy & ~xz & ~yz
        for corner, odd, mixed in ((x, yz & ~xy, xy != xz), (y, xz & ~xy, xy != yz), (z, xy & ~xz, xz != yz)):
            out["coordinator"] += np.bincount(corner[every], minlength=n)
            out["liaison"] += np.bincount(corner[none], minlength=n)
            out["itinerant"] += np.bincount(corner[odd], minlength=n)
            out["mixed"] += np.bincount(corner[mixed], minlength=n)
    out["triangles"] = out["coordinator"] + out["itinerant"] + out["mixed"] + out["liaison"]
    return out


def _triangles(u: np.ndarray, v: np.ndarray, n: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every triangle once, in chunks of corner arrays (x, y, z), by the forward algorithm.

    Vertices are ranked by degree and each edge points from its lower to its higher rank; a
    triangle is a wedge ``x -> y, x -> z`` (``y < z`` in rank) closed by the edge ``y -> z``.
    Out-degrees under this order are at most ``sqrt(2m)``, which bounds the wedges by
    ``O(m^1.5)``.
    """
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), degree))] = np.arange(n)
    vertex = np.argsort(rank)  # rank -> vertex
    a, b = rank[u], rank[v]
    low, high = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((high, low))
    low, high = low[order], high[order]
    keys = low * n + high  # sorted
    end = np.cumsum(np.bincount(low, minlength=n))[low]  # end of each edge's out-list
    wedges = end - np.arange(len(low)) - 1  # later out-neighbours of the same low vertex
    cumulative = np.cumsum(wedges)
    if len(keys) == 0 or cumulative[-1] == 0:
        return
    bounds = np.searchsorted(cumulative, np.arange(_CHUNK, cumulative[-1] + _CHUNK, _CHUNK), side="right")
    start = 0
    for stop in np.unique(np.append(np.minimum(bounds, len(low)), len(low))):
        edges = np.arange(start, stop)
        count = wedges[edges]
        start = max(start, int(stop))
        if count.sum() == 0:
            continue
        first = np.repeat(edges, count)
        second = first + 1 + np.arange(len(first)) - np.repeat(np.cumsum(count) - count, count)
        y, z = high[first], high[second]
        query = y * n + z
        found = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        closed = keys[found] == query
        yield vertex[low[first][closed]], vertex[y[closed]], vertex[z[closed]]
