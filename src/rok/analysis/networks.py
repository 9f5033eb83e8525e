"""Collaboration networks as igraph graphs: building, centralities, Leiden communities, exports.

A network here is an undirected ``igraph.Graph`` whose vertices carry the attribute ``"name"``
(the organisation or region code) and whose edges carry ``"weight"`` (shared projects under
full counting, ``sum_j 1/(n_j - 1)`` under fractional counting), as built by
:func:`build_graph` from the edge and node tables of :mod:`rok.measures`. Computations run in
igraph's C core (and leidenalg's C++ one); networkx appears only in :func:`to_networkx` and
:func:`write_gexf`, and as the reference the tests compare against.

Weights are similarities (more shared projects = closer), so every path-based measure uses
the distance ``1 / weight`` of an edge, the usual convention for collaboration networks
(Newman 2001).

References
----------
Newman, M. E. J. (2001). Scientific collaboration networks. II. Shortest paths, weighted
networks, and centrality. *Physical Review E*, 64(1), 016132.
https://doi.org/10.1103/PhysRevE.64.016132
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import igraph as ig
import leidenalg
import networkx as nx
import numpy as np
import pandas as pd

from rok.errors import InputError

__all__ = [
    "CommunityResult",
    "build_graph",
    "centrality",
    "communities",
    "to_networkx",
    "write_graphml",
    "write_gexf",
]

log = logging.getLogger(__name__)


# -- building ------------------------------------------------------------------------------


def build_graph(
    edges: pd.DataFrame,
    nodes: pd.DataFrame | Sequence[Any] | None = None,
    *,
    self_loops: bool = False,
    node_id: str | None = None,
) -> ig.Graph:
    """An undirected igraph graph from an edge table (and optionally a node table).

    Parameters
    ----------
    edges : pandas.DataFrame
        Columns ``source`` and ``target`` (node ids) and optionally ``weight`` (positive and
        finite; 1.0 for every edge when absent). Every other column (``projects``,
        ``internal``) becomes an edge attribute. Each unordered pair may appear once.
    nodes : pandas.DataFrame or sequence, optional
        Node table: its ``node_id`` column (default: the first column) holds the ids and the
        other columns become vertex attributes; or a plain sequence of ids. Nodes without
        edges are kept as isolated vertices. Every edge end must be in it. Without it the
        vertices are the edge ends, in sorted order.
    self_loops : bool
        Keep rows with ``source == target`` (the ``internal`` ties of the region network) as
        self-loops. By default they are dropped (and their number logged).
    node_id : str, optional
        The id column of a node table.

    Returns
    -------
    igraph.Graph
        Undirected; vertex attribute ``"name"`` (the ids, in the node table's order or
        sorted), edge attribute ``"weight"`` (float) plus the other edge columns.

    Raises
    ------
    InputError
        No edges; missing columns or node ids; a weight that is missing, not positive or not
        finite; a pair given twice; duplicate node ids; edge ends not in the node table.

    Examples
    --------
    >>> g = build_graph(pd.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "weight": [2.0, 1.0]}))
    >>> g.vs["name"], g.es["weight"]
    (['a', 'b', 'c'], [2.0, 1.0])
    """
    table = _checked_edges(edges)
    loops = (table["source"] == table["target"]).to_numpy()
    if loops.any() and not self_loops:
        log.info("build_graph: dropped %d self-loop row(s) (self_loops=False)", int(loops.sum()))
        table = table.loc[~loops]
        if table.empty:
            raise InputError("edge table has only self-loops (source == target); pass self_loops=True")
    names, attributes = _node_table(nodes, node_id)
    if names is None:
        names = _sorted_ids(
            pd.unique(np.concatenate([table["source"].to_numpy(), table["target"].to_numpy()]))
        )
    index = pd.Index(names)
    source = index.get_indexer(table["source"])
    target = index.get_indexer(table["target"])
    absent = (source < 0) | (target < 0)
    if absent.any():
        ends = pd.unique(
            np.concatenate([table["source"].to_numpy()[source < 0], table["target"].to_numpy()[target < 0]])
        )
        raise InputError(
            f"{len(ends)} edge end(s) are not in the node table, e.g. {list(ends[:5])}",
            column="source/target",
            value=ends[0],
        )
    _check_unique_pairs(table, source, target, len(index))
    graph = ig.Graph(n=len(index), edges=np.column_stack([source, target]).tolist(), directed=False)
    graph.vs["name"] = _native(pd.Series(names))
    for column, values in attributes.items():
        graph.vs[column] = values
    for column in table.columns.drop(["source", "target"]):
        graph.es[str(column)] = _native(table[column])
    return graph


def _checked_edges(edges: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(edges, pd.DataFrame):
        raise InputError(
            "edges must be a pandas DataFrame with columns source, target and optionally weight",
            value=type(edges).__name__,
        )
    missing = [c for c in ("source", "target") if c not in edges.columns]
    if missing:
        raise InputError(
            f"edge table lacks column(s) {missing}; expected source, target and optionally weight",
            column=missing[0],
        )
    if edges.empty:
        raise InputError("edge table is empty: a network needs at least one edge")
    for column in ("source", "target"):
        bad = edges[column].isna().to_numpy()
        if bad.any():
            raise InputError(f"missing node id in row {edges.index[bad.argmax()]!r}", column=column)
    table = edges.reset_index(drop=True)
    if "weight" not in table.columns:
        return table.assign(weight=1.0)
    weight = pd.to_numeric(table["weight"], errors="coerce").astype(float)
    bad = ~(np.isfinite(weight.to_numpy()) & (weight.to_numpy() > 0))
    if bad.any():
        row = int(bad.argmax())
        raise InputError(
            f"edge weight in row {edges.index[row]!r} must be a positive finite number "
            "(a similarity: shared projects); drop edges without collaboration instead",
            column="weight",
            value=edges["weight"].iloc[row],
        )
    return table.assign(weight=weight)


def _node_table(
    nodes: pd.DataFrame | Sequence[Any] | None, node_id: str | None
) -> tuple[np.ndarray | None, dict[str, list[Any]]]:
    if nodes is None:
        return None, {}
    if isinstance(nodes, pd.DataFrame):
        column = node_id if node_id is not None else nodes.columns[0]
        if column not in nodes.columns:
            raise InputError(f"node table lacks its id column {column!r}", column=str(column))
        ids = nodes[column]
        attributes = {str(c): _native(nodes[c]) for c in nodes.columns if c != column and c != "name"}
    else:
        ids, attributes = pd.Series(list(nodes)), {}
    if ids.isna().any():
        raise InputError("node table has a missing node id", column=str(ids.name))
    duplicated = ids.duplicated().to_numpy()
    if duplicated.any():
        raise InputError(
            "node table has a duplicate node id", column=str(ids.name), value=ids.iloc[duplicated.argmax()]
        )
    return ids.to_numpy(), attributes


def _sorted_ids(ids: np.ndarray) -> np.ndarray:
    try:
        return np.sort(ids)
    except TypeError:  # ids of mixed types: keep the order of first appearance
        return ids


def _check_unique_pairs(table: pd.DataFrame, source: np.ndarray, target: np.ndarray, n: int) -> None:
    lo = np.minimum(source, target).astype(np.int64)
    key = lo * n + np.maximum(source, target)
    duplicated = pd.Series(key).duplicated().to_numpy()
    if duplicated.any():
        row = int(duplicated.argmax())
        pair = (table["source"].iloc[row], table["target"].iloc[row])
        raise InputError(
            f"edge {pair} appears more than once (in either direction); an undirected edge table "
            "has one row per pair: aggregate the rows first",
            column="source/target",
            value=pair,
        )


def _native(values: pd.Series) -> list[Any]:
    """Python values for igraph attributes: numpy scalars unboxed, pandas NA as None."""
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return [
            None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in values
        ]
    return values.to_numpy().tolist()


# -- centralities --------------------------------------------------------------------------


def centrality(
    graph: ig.Graph,
    *,
    weighted: bool = True,
    betweenness: bool | Literal["exact", "sample"] = True,
    samples: int = 200,
    seed: int = 0,
    normalized: bool = True,
) -> pd.DataFrame:
    """Degree, strength, betweenness and eigenvector centrality of every node.

    Definitions (``A`` the weighted adjacency matrix, ``w_e`` the edge weights):

    * ``degree[v]``: number of edges at ``v`` (a self-loop counts twice).
    * ``strength[v] = sum_u A[v,u]``: sum of the weights of the edges at ``v`` (a self-loop
      counts twice); always weighted, whatever ``weighted`` says.
    * ``betweenness[v] = sum_{s<t; s,t != v} sigma_st(v) / sigma_st`` (Freeman 1977), with
      ``sigma_st`` the number of shortest s-t paths and ``sigma_st(v)`` those through ``v``,
      computed by Brandes' (2001) algorithm. Each unordered pair counts once. Weighted, path
      length is the sum of the edge distances ``1 / w_e``; unweighted, the number of edges.
      ``normalized`` divides by the number of pairs not involving ``v``, ``(n-1)(n-2)/2``.
      This is networkx's ``betweenness_centrality(G, weight="distance",
      normalized=normalized)`` with ``distance = 1 / weight`` (``weight=None`` unweighted).
    * ``eigenvector[v] = x[v]``, ``A x = lambda_max x`` (Bonacich 1972), with ``A`` binary
      when unweighted, scaled to unit Euclidean norm and non-negative, as networkx's
      ``eigenvector_centrality(_numpy)(G, weight="weight")``.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected, with vertex attribute ``"name"`` and (when weighted) edge attribute
        ``"weight"``, as from :func:`build_graph`.
    weighted : bool
        Use the weights for betweenness (as distances ``1/w``) and eigenvector centrality.
    betweenness : bool, "exact" or "sample"
        ``True``/``"exact"``: exact, O(n m) time (O(n m + n^2 log n) weighted) — seconds for
        the region network, about 10 minutes unweighted and half an hour weighted for the
        organisation network of the mirror (32,000 nodes, 800,000 edges). ``"sample"``: the
        estimate of Brandes & Pich (2007) from ``samples`` source nodes drawn uniformly
        without replacement (see Notes). ``False``: no betweenness column.
    samples : int
        Number of sampled source nodes for ``betweenness="sample"`` (at least 2; with
        ``samples`` at least the number of non-isolated nodes the result is exact).
    seed : int
        Seed of the source sample.
    normalized : bool
        Normalise betweenness as above.

    Returns
    -------
    pandas.DataFrame
        Columns ``node, degree, strength, betweenness, eigenvector``, one row per vertex in
        vertex order; ``attrs`` records the settings.

    Notes
    -----
    Sampled betweenness is networkx 3.6's ``betweenness_centrality(G, k=samples, seed=seed)``
    estimator, drawn among the ``n'`` nodes with at least one edge (an isolated node starts
    no path; the organisation network of the mirror has 23,000 of them when built with its
    node table): the sources are ``random.Random(seed).sample(active nodes, samples)``, and
    the partial sums ``1/2 sum_{s in S} delta_s(v)`` (igraph's subset betweenness) are scaled
    by ``(n'-1)/k`` for a node outside the sample and ``(n'-1)/(k-1)`` for one inside it
    (whose own row cannot be sampled), which makes the estimate unbiased. On a graph without
    isolated nodes the result is networkx's to rounding, sources included.

    igraph compares weighted path lengths with a relative tolerance (about 1e-10) and
    networkx exactly, so with weights whose distances add up to equal lengths only up to
    rounding (``1/2 + 1/6`` against ``1/3 + 1/3``) igraph counts a tie that networkx may
    miss. Eigenvector centrality is unique only for a connected graph: on a disconnected one
    it lives on the component with the largest eigenvalue (the others get about 0) and is
    arbitrary between components with equal ones. igraph's adjacency matrix puts ``2 w`` on
    the diagonal for a self-loop, networkx's ``w``: the two agree on graphs without loops.

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
    *Sociometry*, 40(1), 35-41. https://doi.org/10.2307/3033543

    Brandes, U. (2001). A faster algorithm for betweenness centrality. *Journal of
    Mathematical Sociology*, 25(2), 163-177. https://doi.org/10.1080/0022250X.2001.9990249

    Brandes, U., & Pich, C. (2007). Centrality estimation in large networks. *International
    Journal of Bifurcation and Chaos*, 17(7), 2303-2318. https://doi.org/10.1142/S0218127407018403

    Bonacich, P. (1972). Factoring and weighting approaches to status scores and clique
    identification. *Journal of Mathematical Sociology*, 2(1), 113-120.
    https://doi.org/10.1080/0022250X.1972.9989806
    """
    _check_graph(graph, weighted=weighted)
    weights = np.asarray(graph.es["weight"], dtype=float) if "weight" in graph.es.attributes() else None
    out = pd.DataFrame(
        {
            "node": graph.vs["name"],
            "degree": np.asarray(graph.degree(), dtype=np.int64),
            "strength": np.asarray(graph.strength(weights=None if weights is None else weights.tolist())),
        }
    )
    method: str | None = "exact" if betweenness is True else None if betweenness is False else betweenness
    if method is not None:
        distances = (1.0 / weights).tolist() if weighted and weights is not None else None
        out["betweenness"] = _betweenness(graph, distances, method, samples, seed, normalized)
    out["eigenvector"] = _eigenvector(graph, weights.tolist() if weighted and weights is not None else None)
    out.attrs.update(weighted=weighted, betweenness=method, normalized=normalized)
    if method == "sample":
        out.attrs.update(samples=samples, seed=seed)
    return out


def _check_graph(graph: ig.Graph, *, weighted: bool) -> None:
    if not isinstance(graph, ig.Graph):
        raise InputError("expected an igraph.Graph (see build_graph)", value=type(graph).__name__)
    if graph.is_directed():
        raise InputError("expected an undirected graph")
    if "name" not in graph.vs.attributes():
        raise InputError("graph has no vertex attribute 'name' (see build_graph)")
    if graph.ecount() == 0:
        raise InputError("graph has no edges")
    if weighted:
        if "weight" not in graph.es.attributes():
            raise InputError("graph has no edge attribute 'weight'; pass weighted=False")
        weights = np.asarray(graph.es["weight"], dtype=float)
        if not (np.isfinite(weights) & (weights > 0)).all():
            raise InputError("edge weights must be positive finite numbers", column="weight")


def _betweenness(
    graph: ig.Graph, distances: list[float] | None, method: str, samples: int, seed: int, normalized: bool
) -> np.ndarray:
    n = graph.vcount()
    if method not in ("exact", "sample"):
        raise InputError("betweenness must be True, False, 'exact' or 'sample'", value=method)
    if method == "sample" and samples < 2:
        raise InputError("betweenness='sample' needs at least 2 samples", value=samples)
    active = np.flatnonzero(np.asarray(graph.degree()) > 0)
    if method == "exact" or samples >= len(active):
        values = np.asarray(graph.betweenness(directed=False, weights=distances), dtype=float)
        scale = np.full(n, 1.0)
    else:
        sources = active[random.Random(seed).sample(range(len(active)), samples)]
        partial = graph.betweenness(directed=False, weights=distances, sources=sources.tolist())
        values = np.asarray(partial, dtype=float)
        scale = np.full(n, (len(active) - 1) / samples)
        scale[sources] = (len(active) - 1) / (samples - 1)
    if normalized and n > 2:
        scale = scale * 2.0 / ((n - 1) * (n - 2))
    return values * scale


def _eigenvector(graph: ig.Graph, weights: list[float] | None) -> np.ndarray:
    values = np.abs(np.asarray(graph.eigenvector_centrality(directed=False, scale=True, weights=weights)))
    norm = np.linalg.norm(values)
    return values / norm if norm > 0 else values


# -- communities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityResult:
    """Leiden communities of a network.

    Attributes
    ----------
    membership : pandas.Series
        Community id per node (index: node names, in vertex order); ids 0, 1, ... by
        decreasing community size (ties: the community of the earlier vertex first).
    modularity : float
        Newman-Girvan modularity at the given resolution (igraph's ``Graph.modularity``).
    resolution : float
        Resolution parameter ``gamma``.
    n_communities : int
        Number of communities.
    quality : float
        The optimised objective, ``H = sum_ij (A_ij - gamma k_i k_j / 2m) delta(c_i, c_j)``
        (``= 2m * modularity``).
    """

    membership: pd.Series
    modularity: float
    resolution: float
    n_communities: int
    quality: float

    @property
    def sizes(self) -> pd.Series:
        """Number of nodes per community id."""
        return self.membership.value_counts().sort_index()


def communities(
    graph: ig.Graph,
    *,
    resolution: float = 1.0,
    seed: int = 0,
    weighted: bool = True,
    iterations: int = 2,
    engine: Literal["leidenalg", "igraph"] = "leidenalg",
) -> CommunityResult:
    """Communities by the Leiden algorithm, maximising modularity at a resolution.

    The objective is the configuration-model quality (Reichardt & Bornholdt 2006), i.e.
    modularity with a resolution ``gamma``::

        Q = 1/(2m) sum_ij (A_ij - gamma k_i k_j / (2m)) delta(c_i, c_j)

    with ``A`` the (weighted, or binary when ``weighted=False``) adjacency matrix, ``k`` the
    strengths and ``m`` the total weight. Larger ``gamma`` gives more, smaller communities.
    ``Q`` is the same as networkx's ``community.modularity(G, communities, weight="weight",
    resolution=gamma)``.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected, as from :func:`build_graph`.
    resolution : float
        ``gamma`` (> 0).
    seed : int
        Seed of the random choices: the same seed gives the same partition.
    weighted : bool
        Use the edge weights.
    iterations : int
        Leiden iterations; negative: until an iteration changes nothing.
    engine : "leidenalg" or "igraph"
        ``"leidenalg"``: ``leidenalg.find_partition`` with ``RBConfigurationVertexPartition``
        (the reference implementation; about 6 s on the mirror's organisation network).
        ``"igraph"``: igraph's C implementation, ``Graph.community_leiden(objective_function=
        "modularity")``, of the same algorithm and objective, about ten times faster;
        partitions differ (both are local optima).

    Returns
    -------
    CommunityResult

    References
    ----------
    Traag, V. A., Waltman, L., & van Eck, N. J. (2019). From Louvain to Leiden: guaranteeing
    well-connected communities. *Scientific Reports*, 9, 5233.
    https://doi.org/10.1038/s41598-019-41695-z

    Reichardt, J., & Bornholdt, S. (2006). Statistical mechanics of community detection.
    *Physical Review E*, 74(1), 016110. https://doi.org/10.1103/PhysRevE.74.016110

    Newman, M. E. J., & Girvan, M. (2004). Finding and evaluating community structure in
    networks. *Physical Review E*, 69(2), 026113. https://doi.org/10.1103/PhysRevE.69.026113
    """
    _check_graph(graph, weighted=weighted)
    if not (np.isfinite(resolution) and resolution > 0):
        raise InputError("resolution must be a positive number", value=resolution)
    weights = graph.es["weight"] if weighted else None
    if engine == "leidenalg":
        partition = leidenalg.find_partition(
            graph,
            leidenalg.RBConfigurationVertexPartition,
            weights=weights,
            resolution_parameter=resolution,
            seed=seed,
            n_iterations=iterations,
        )
        raw = np.asarray(partition.membership)
    elif engine == "igraph":
        raw = _igraph_leiden(graph, weights, resolution, seed, iterations)
    else:
        raise InputError("engine must be 'leidenalg' or 'igraph'", value=engine)
    membership = _by_size(raw)
    modularity = float(graph.modularity(membership.tolist(), weights=weights, resolution=resolution))
    total = float(np.sum(weights)) if weights is not None else float(graph.ecount())
    return CommunityResult(
        membership=pd.Series(membership, index=pd.Index(graph.vs["name"], name="node"), name="community"),
        modularity=modularity,
        resolution=float(resolution),
        n_communities=int(membership.max()) + 1,
        quality=2.0 * total * modularity,
    )


def _igraph_leiden(
    graph: ig.Graph, weights: list[float] | None, resolution: float, seed: int, iterations: int
) -> np.ndarray:
    # igraph draws from a Python generator (the random module by default): seed a private one.
    ig.set_random_number_generator(random.Random(seed))
    try:
        clustering = graph.community_leiden(
            objective_function="modularity", weights=weights, resolution=resolution, n_iterations=iterations
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(clustering.membership)


def _by_size(raw: np.ndarray) -> np.ndarray:
    """Relabel communities 0, 1, ... by decreasing size, ties by first vertex."""
    labels, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new = np.empty(len(labels), dtype=np.int64)
    new[order] = np.arange(len(labels))
    return new[np.searchsorted(labels, raw)]


# -- conversion and export -----------------------------------------------------------------


def to_networkx(graph: ig.Graph) -> nx.Graph:
    """The same network as a ``networkx.Graph``: nodes are the vertex names, vertex and edge
    attributes are copied; missing values (None, NaN) are left out, as networkx has none.

    Multi-edges cannot be represented and raise :class:`InputError`.
    """
    if "name" not in graph.vs.attributes():
        raise InputError("graph has no vertex attribute 'name' (see build_graph)")
    if graph.has_multiple():
        raise InputError("graph has multiple edges between a pair; networkx.Graph keeps one")
    out = nx.Graph()
    names = graph.vs["name"]
    vertex_keys = [a for a in graph.vs.attributes() if a != "name"]
    out.add_nodes_from(
        (name, _present({k: graph.vs[k][i] for k in vertex_keys})) for i, name in enumerate(names)
    )
    edge_keys = graph.es.attributes()
    columns = {k: graph.es[k] for k in edge_keys}
    out.add_edges_from(
        (names[u], names[v], _present({k: columns[k][i] for k in edge_keys}))
        for i, (u, v) in enumerate(graph.get_edgelist())
    )
    return out


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not (v is None or (isinstance(v, float) and np.isnan(v)))}


def write_graphml(graph: ig.Graph, path: str | Path) -> Path:
    """Write the network as GraphML (igraph's writer) with all vertex and edge attributes.

    Node ids in the file are ``n0, n1, ...``; the node codes are the ``name`` attribute.
    Missing numbers are left out; missing strings are written as the empty string (igraph
    would write "None").
    """
    out = graph.copy()
    for key in out.vs.attributes():
        values = out.vs[key]
        if any(isinstance(v, str) for v in values) and any(v is None for v in values):
            out.vs[key] = ["" if v is None else v for v in values]
    target = Path(path)
    out.write_graphml(str(target))
    return target


def write_gexf(graph: ig.Graph, path: str | Path) -> Path:
    """Write the network as GEXF 1.2 (networkx's writer, for Gephi): nodes are the codes,
    with the vertex attributes; edges with their attributes (``weight`` as the edge weight)."""
    target = Path(path)
    nx.write_gexf(to_networkx(graph), target)
    return target
