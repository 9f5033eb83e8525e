"""Brokerage roles (Gould & Fernandez 1989, undirected, see rok.analysis.brokerage): hand-counted
graphs, the fast closed-form-minus-triangles count against brute-force enumeration of ordered
open two-paths, per-region sums, bad input, and the real mirror."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import rok.analysis.brokerage as brokerage_module
from rok.analysis.brokerage import ROLES, brokerage_by_region, brokerage_roles
from rok.analysis.networks import build_graph
from rok.errors import InputError

COLUMNS = ["node", *ROLES, "total"]


def edge_table(pairs) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["source", "target"])


def brute_force(G: nx.Graph, groups: dict) -> pd.DataFrame:
    """Every ordered open two-path a -> b -> c, classified literally by the definitions."""
    rows = []
    for b in G:
        counts = dict.fromkeys(ROLES, 0)
        for a, c in itertools.permutations(G[b], 2):
            if G.has_edge(a, c):
                continue
            ga, gb, gc = groups[a], groups[b], groups[c]
            if ga == gb == gc:
                counts["coordinator"] += 1
            elif ga == gc:
                counts["itinerant"] += 1
            elif ga == gb:
                counts["representative"] += 1
            elif gb == gc:
                counts["gatekeeper"] += 1
            else:
                counts["liaison"] += 1
        rows.append({"node": b, **counts, "total": sum(counts.values())})
    return pd.DataFrame(rows, columns=COLUMNS)


def as_dict(roles: pd.DataFrame) -> dict:
    return {row.node: {c: getattr(row, c) for c in COLUMNS[1:]} for row in roles.itertuples()}


def counts(**given) -> dict:
    out = dict.fromkeys([*ROLES, "total"], 0)
    out.update(given)
    out["total"] = sum(v for k, v in out.items() if k != "total")
    return out


# -- hand-counted graphs -----------------------------------------------------------------------


def test_star_by_hand():
    # Centre c (X) with leaves l1, l2 (X), l3, l4 (Y), l5 (Z); no ties among leaves, so all
    # 5 * 4 = 20 ordered pairs are open: coordinator (l1,l2) x 2 = 2; itinerant (l3,l4) x 2 = 2;
    # representative X -> c -> {Y, Z}: 2 * 3 = 6; gatekeeper 6; liaison (l3,l5), (l4,l5) x 2 = 4.
    groups = pd.Series({"c": "X", "l1": "X", "l2": "X", "l3": "Y", "l4": "Y", "l5": "Z"})
    roles = brokerage_roles(edge_table([("c", f"l{i}") for i in range(1, 6)]), groups)
    got = as_dict(roles)
    assert got["c"] == counts(coordinator=2, itinerant=2, representative=6, gatekeeper=6, liaison=4)
    assert all(got[f"l{i}"]["total"] == 0 for i in range(1, 6))


def test_path_by_hand():
    # a - b - c - d with groups X, X, Y, Y: b: a -> b -> c representative, c -> b -> a gatekeeper;
    # c likewise (b -> c -> d gatekeeper, d -> c -> b representative). All one group: coordinators.
    edges = edge_table([("a", "b"), ("b", "c"), ("c", "d")])
    got = as_dict(brokerage_roles(edges, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})))
    assert got["b"] == counts(representative=1, gatekeeper=1)
    assert got["c"] == counts(representative=1, gatekeeper=1)
    assert got["a"] == counts() == got["d"]
    same = as_dict(brokerage_roles(edges, pd.Series(dict.fromkeys("abcd", "X"))))
    assert same["b"] == counts(coordinator=2) == same["c"]


TWO_GROUP_EDGES = [
    ("a", "b"),
    ("b", "c"),
    ("b", "d"),
    ("c", "d"),
    ("d", "e"),
    ("d", "f"),
    ("a", "g"),
    ("c", "g"),
]
TWO_GROUP_GROUPS = {"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y", "f": "Z", "g": "Z"}


def test_small_group_graph_by_hand():
    # X = {a, b, c}, Y = {d, e}, Z = {f, g}; edges a-b, b-c, b-d, c-d, d-e, d-f, a-g, c-g.
    # a: neighbours b (X), g (Z), not tied: b -> a -> g representative, g -> a -> b gatekeeper.
    # b: a, c, d (c-d tied): (a,c) both X: coordinator 2; a -> b -> d rep 1, d -> b -> a gate 1.
    # c: b, d, g (b-d tied): (b,g) X,X,Z: rep 1, gate 1; (d,g) Y, X, Z: liaison 2.
    # d (Y): b, c, e, f (b-c tied): (b,e), (c,e): X -> d -> Y gatekeeper 2, reverse rep 2;
    #   (b,f), (c,f): X, Y, Z liaison 4; (e,f): e -> d -> f rep 1, f -> d -> e gate 1.
    # g (Z): a, c (not tied), both X: itinerant 2. e, f: one neighbour, nothing.
    got = as_dict(brokerage_roles(edge_table(TWO_GROUP_EDGES), pd.Series(TWO_GROUP_GROUPS)))
    assert got == {
        "a": counts(representative=1, gatekeeper=1),
        "b": counts(coordinator=2, representative=1, gatekeeper=1),
        "c": counts(representative=1, gatekeeper=1, liaison=2),
        "d": counts(representative=3, gatekeeper=3, liaison=4),
        "e": counts(),
        "f": counts(),
        "g": counts(itinerant=2),
    }


def test_by_region_by_hand():
    groups = pd.Series(TWO_GROUP_GROUPS)
    table = brokerage_by_region(brokerage_roles(edge_table(TWO_GROUP_EDGES), groups), groups)
    assert table.columns.tolist() == ["region", "nodes", "brokers", *ROLES, "total"]
    # X: a, b, c all represent and gatekeep; coordinator 2 (b), liaison 2 (c).
    # Y: only d brokers (rep 3, gate 3, liaison 4). Z: g is itinerant (2), f brokers nothing.
    expected = [
        # region nodes brokers coordinator itinerant representative gatekeeper liaison total
        ["X", 3, 3, 2, 0, 3, 3, 2, 10],
        ["Y", 2, 1, 0, 0, 3, 3, 4, 10],
        ["Z", 2, 0, 0, 2, 0, 0, 0, 2],
    ]
    assert table.to_numpy().tolist() == expected


def test_unknown_groups_excluded_or_singletons():
    # Path a - u - b with u of unknown group: excluded, nothing is brokered and u is left out;
    # as its own group, u is a liaison between X and Y: a -> u -> b and back.
    edges = edge_table([("a", "u"), ("u", "b"), ("b", "c")])
    groups = pd.Series({"a": "X", "u": None, "b": "Y", "c": "Y"})
    excluded = brokerage_roles(edges, groups)
    assert excluded["node"].tolist() == ["a", "b", "c"] and excluded["total"].sum() == 0
    single = as_dict(brokerage_roles(edges, groups, ungrouped="singleton"))
    assert single["u"] == counts(liaison=2)
    assert single["b"] == counts(representative=1, gatekeeper=1)  # u is another group for b


def test_weights_loops_and_graph_input_are_handled():
    # weights play no part; a self-loop is not a tie to another node
    weighted = pd.DataFrame({"source": ["a", "b", "b"], "target": ["b", "c", "b"], "weight": [5.0, 0.1, 2.0]})
    graph = build_graph(weighted, self_loops=True)
    got = as_dict(brokerage_roles(graph, pd.Series({"a": "X", "b": "X", "c": "X"})))
    assert got["b"] == counts(coordinator=2)


# -- fast counting against brute force ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_fast_counts_equal_brute_force(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 45))
    G = nx.gnp_random_graph(n, float(rng.uniform(0.05, 0.8)), seed=seed)
    if G.number_of_edges() == 0:
        G.add_edge(0, 1)
    n_groups = int(rng.integers(1, 6))
    groups = {v: f"g{rng.integers(n_groups)}" for v in G}
    # small chunks so that the chunked triangle listing is exercised too
    monkeypatch.setattr(brokerage_module, "_CHUNK", int(rng.integers(1, 64)))
    graph = build_graph(edge_table(list(G.edges)), list(G.nodes))
    got = brokerage_roles(graph, pd.Series(groups))
    expected = brute_force(G, groups)
    assert as_dict(got) == as_dict(expected)
    assert (got["representative"] == got["gatekeeper"]).all()
    degree = dict(G.degree())
    triangles = nx.triangles(G)
    assert got["total"].tolist() == [degree[v] * (degree[v] - 1) - 2 * triangles[v] for v in got["node"]]


def test_fast_counts_equal_brute_force_with_unknown_groups():
    rng = np.random.default_rng(99)
    G = nx.gnp_random_graph(40, 0.3, seed=99)
    groups = {v: (None if rng.random() < 0.3 else f"g{rng.integers(3)}") for v in G}
    graph = build_graph(edge_table(list(G.edges)), list(G.nodes))
    got = brokerage_roles(graph, pd.Series(groups))
    known = [v for v in G if groups[v] is not None]
    assert as_dict(got) == as_dict(brute_force(G.subgraph(known), groups))


# -- bad input --------------------------------------------------------------------------------------


def test_bad_input():
    edges = edge_table([("a", "b"), ("b", "c")])
    with pytest.raises(InputError, match="not in groups"):
        brokerage_roles(edges, pd.Series({"a": "X", "b": "X"}))
    with pytest.raises(InputError, match="Series"):
        brokerage_roles(edges, {"a": "X", "b": "X", "c": "Y"})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="twice"):
        brokerage_roles(edges, pd.Series(["X", "X", "Y", "Y"], index=["a", "b", "c", "c"]))
    with pytest.raises(InputError, match="ungrouped"):
        brokerage_roles(edges, pd.Series({"a": "X", "b": "X", "c": "Y"}), ungrouped="drop")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="empty"):
        brokerage_roles(edge_table([]), pd.Series(dtype=object))
    roles = brokerage_roles(edges, pd.Series({"a": "X", "b": "X", "c": "Y"}))
    with pytest.raises(InputError, match="no group"):
        brokerage_by_region(roles, pd.Series({"a": "X", "b": "X"}))
    with pytest.raises(InputError, match="lacks column"):
        brokerage_by_region(roles.drop(columns="liaison"), pd.Series({"a": "X", "b": "X", "c": "Y"}))


# -- the real mirror ----------------------------------------------------------------------------------

ORG_EDGES_SQL = """
WITH p AS (SELECT DISTINCT project_id, org_id FROM participations)
SELECT a.org_id AS source, b.org_id AS target, count(*)::DOUBLE AS weight, count(*) AS projects
FROM p a JOIN p b ON a.project_id = b.project_id AND a.org_id < b.org_id
GROUP BY 1, 2
"""


def brute_force_at(broker: int, neighbours: list[np.ndarray], adjacency, group: np.ndarray) -> dict:
    """Brute force for one broker: every ordered pair of its neighbours, tied or not, classified."""
    near = neighbours[broker]
    tied = adjacency[near][:, near].toarray().astype(bool)
    open_pair = ~tied & ~np.eye(len(near), dtype=bool)
    ga, gc, gb = group[near][:, None], group[near][None, :], group[broker]
    return {
        "coordinator": int((open_pair & (ga == gb) & (gc == gb)).sum()),
        "itinerant": int((open_pair & (ga == gc) & (ga != gb)).sum()),
        "representative": int((open_pair & (ga == gb) & (gc != gb)).sum()),
        "gatekeeper": int((open_pair & (ga != gb) & (gc == gb)).sum()),
        "liaison": int((open_pair & (ga != gb) & (gc != gb) & (ga != gc)).sum()),
        "total": int(open_pair.sum()),
    }


@pytest.mark.mirror
def test_mirror_brokerage_by_region(mirror_db):
    import duckdb
    import scipy.sparse as sp

    with duckdb.connect(str(mirror_db), read_only=True) as con:
        edges = con.sql(ORG_EDGES_SQL).df()
        nodes = con.sql("SELECT org_id, nuts2 AS region FROM organisations").df()
    groups = nodes.set_index("org_id")["region"]
    graph = build_graph(edges, nodes)
    roles = brokerage_roles(graph, groups)
    known = groups.notna()
    assert roles["node"].tolist() == nodes.loc[known.to_numpy(), "org_id"].tolist()
    assert (roles[[*ROLES, "total"]] >= 0).all().all()
    assert (roles[list(ROLES)].sum(axis=1) == roles["total"]).all()
    assert (roles["representative"] == roles["gatekeeper"]).all()

    # brute force on a random sample of brokers (and the largest hub) of the grouped subgraph
    names = pd.Index(roles["node"])
    kept = edges[edges["source"].isin(names) & edges["target"].isin(names)]
    u, v = names.get_indexer(kept["source"]), names.get_indexer(kept["target"])
    n = len(names)
    adjacency = sp.coo_matrix((np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    neighbours = np.split(adjacency.indices, adjacency.indptr[1:-1])
    group = pd.factorize(groups.reindex(names))[0]
    degree = np.diff(adjacency.indptr)
    rng = np.random.default_rng(0)
    sample = [*rng.choice(np.flatnonzero(degree >= 2), size=40, replace=False), int(degree.argmax())]
    for broker in sample:
        expected = brute_force_at(broker, neighbours, adjacency, group)
        assert roles.iloc[broker][[*ROLES, "total"]].to_dict() == expected, names[broker]

    table = brokerage_by_region(roles, groups)
    assert table["nodes"].sum() == len(roles) and table["region"].is_unique
    assert table[[*ROLES, "total"]].sum().to_dict() == roles[[*ROLES, "total"]].sum().to_dict()
    assert (table["brokers"] <= table["nodes"]).all()
    # European research is mostly cross-regional: most brokerage is liaison, and the big
    # research regions broker the most
    assert table["liaison"].sum() > table["coordinator"].sum()
    assert table.nlargest(10, "total")["nodes"].median() > table["nodes"].median()


def test_expected_and_ratios_by_hand():
    # Gould & Fernandez expectation. N = 7 grouped nodes, (N-1)(N-2) = 30; X has 3 nodes, Y and Z 2.
    # Broker in X (n_B = 3): coordinator 2*1 = 2, itinerant Y 2*1 + Z 2*1 = 4, representative =
    # gatekeeper 2*4 = 8, liaison Y 2*(7-3-2) + Z 2*(7-3-2) = 8 (sum 30).
    # Broker in Y or Z (n_B = 2): coordinator 0, itinerant 3*2 + 2*1 = 8, rep = gate 1*5 = 5,
    # liaison 3*(7-2-3) + 2*(7-2-2) = 12 (sum 30).
    from rok.analysis.brokerage import brokerage_expected, brokerage_ratios

    groups = pd.Series(TWO_GROUP_GROUPS)
    roles = brokerage_roles(edge_table(TWO_GROUP_EDGES), groups)
    expected = brokerage_expected(roles, groups).set_index("node")
    # d (Y) has 10 open two-paths: 0, 80/30, 50/30, 50/30, 120/30
    assert expected.loc["d", list(ROLES)].tolist() == pytest.approx([0, 8 / 3, 5 / 3, 5 / 3, 4])
    # b (X) has 4: 8/30, 16/30, 32/30, 32/30, 32/30
    assert expected.loc["b", list(ROLES)].tolist() == pytest.approx([8 / 30, 16 / 30, 32 / 30, 32 / 30, 32 / 30])
    assert expected[list(ROLES)].sum(axis=1).tolist() == pytest.approx(roles["total"].astype(float).tolist())
    ratios = brokerage_ratios(roles, groups).set_index("region")
    # X: totals 2 + 4 + 4 = 10; expected 10*2/30, 10*4/30, 10*8/30 (x3); observed 2, 0, 3, 3, 2
    assert ratios.loc["X", [f"{r}_ratio" for r in ROLES]].tolist() == pytest.approx([3, 0, 1.125, 1.125, 0.75])
    # Y: d alone, total 10; coordinator expected 0 -> NaN; observed 0, 0, 3, 3, 4
    y = ratios.loc["Y", [f"{r}_ratio" for r in ROLES]].tolist()
    assert np.isnan(y[0]) and y[1:] == pytest.approx([0, 1.8, 1.8, 1.0])
    # Z: g alone, total 2, itinerant 2 against 2*8/30
    assert ratios.loc["Z", "itinerant_ratio"] == pytest.approx(3.75)
    assert ratios.loc["Z", "liaison_expected"] == pytest.approx(0.8)


def test_expected_matches_random_assignment_by_simulation():
    # The expectation holds the broker's group fixed and shuffles the groups of the other nodes:
    # the mean observed counts over many shuffles approach it.
    from rok.analysis.brokerage import brokerage_expected

    rng = np.random.default_rng(7)
    G = nx.gnm_random_graph(14, 30, seed=3)
    edges = edge_table([(f"n{u}", f"n{v}") for u, v in G.edges()])
    nodes = [f"n{i}" for i in range(14)]
    labels = np.array(list("XXXXXYYYYZZZWW"))
    broker = max(G.degree, key=lambda item: item[1])[0]
    others = [i for i in range(14) if i != broker]
    total = np.zeros(len(ROLES))
    runs = 1500
    for _ in range(runs):
        shuffled = labels.copy()
        shuffled[others] = rng.permutation(labels[others])
        roles = brokerage_roles(edges, pd.Series(shuffled, index=nodes)).set_index("node")
        total += roles.loc[f"n{broker}", list(ROLES)].to_numpy(dtype=float)
    groups = pd.Series(labels, index=nodes)
    roles = brokerage_roles(edges, groups)
    expected = brokerage_expected(roles, groups).set_index("node").loc[f"n{broker}", list(ROLES)]
    assert (total / runs).tolist() == pytest.approx(expected.astype(float).tolist(), rel=0.08, abs=0.3)
