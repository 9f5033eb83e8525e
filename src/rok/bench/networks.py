"""Benchmark of the network analysis on the mirror, side by side with networkx.

Run: ``make bench-networks`` (or ``python -m rok.bench.networks [--db FILE]``).

Rows: building the organisation and region networks on DuckDB, then every measure of
:class:`rok.analysis.network_profiles.Networks` (igraph, leidenalg, the brokerage counts,
integration, gravity), and the same centralities with networkx on the same graphs: degree
and strength, eigenvector centrality (``eigenvector_centrality_numpy``), betweenness
(exact on the region network; on the organisation network both libraries estimate it from
the same 200 sampled sources, as exact betweenness takes about half an hour there), and
communities (networkx has no Leiden: its Louvain is the nearest peer).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
from rich.console import Console
from rich.table import Table

from rok.bench import mirror_warehouse


def _timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="a warehouse of the mirror (default: build one)")
    args = parser.parse_args(argv)
    from rok.analysis import networks as net
    from rok.analysis.network_profiles import Networks
    from rok.measures import Selection, open_engine

    console = Console(width=130)
    with tempfile.TemporaryDirectory() as tmp:
        db = mirror_warehouse(args.db, tmp)
        with open_engine("duckdb", db) as engine:
            total, n = _timed(lambda: Networks.compute(engine, Selection()))
    assert n.org_edges is not None and n.org_nodes is not None
    rok_rows = Table(title=f"rok network analysis of the mirror: {len(n.org_nodes):,} organisations, "
                           f"{len(n.org_edges):,} ties; {len(n.region_nodes)} NUTS 2 regions, {len(n.region_edges):,} ties")
    rok_rows.add_column("step")
    rok_rows.add_column("seconds", justify="right")
    for name, seconds in n.seconds.items():
        rok_rows.add_row(name, f"{seconds:.2f}")
    rok_rows.add_row("[bold]whole analysis (Networks.compute)", f"[bold]{total:.2f}")
    console.print(rok_rows)

    graph = net.build_graph(n.org_edges, n.org_nodes.rename(columns={"name": "label"}))
    regions = net.build_graph(n.region_edges, n.region_nodes)
    g_nx, r_nx = net.to_networkx(graph), net.to_networkx(regions)
    for h in (g_nx, r_nx):
        for _, _, data in h.edges(data=True):
            data["distance"] = 1.0 / data["weight"]
    sample = 200
    side = Table(title="the same centralities: igraph (rok) vs networkx, same graphs")
    for column in ("measure", "graph", "rok s", "networkx s", "ratio", "max |difference|"):
        side.add_column(column, justify="left" if column in ("measure", "graph") else "right")

    def compare(label: str, which: str, ours: Callable[[], Any], theirs: Callable[[], Any], key: str | None) -> None:
        t_ours, a = _timed(ours)
        t_theirs, b = _timed(theirs)
        diff = ""
        if key is not None:
            mine = a.set_index("node")[key]
            other = np.array([b[v] for v in mine.index])
            diff = f"{np.max(np.abs(mine.to_numpy() - other)):.1e}"
        side.add_row(label, which, f"{t_ours:.3f}", f"{t_theirs:.3f}", f"{t_theirs / t_ours:,.1f}x", diff)

    compare("degree + strength", "organisations", lambda: net.centrality(graph, betweenness=False),
            lambda: dict(g_nx.degree(weight="weight")), "strength")
    giant = graph.connected_components().giant()  # eigenvector centrality is defined per component
    giant_nx = net.to_networkx(giant)
    compare("eigenvector (weighted), largest component", "organisations",
            lambda: net.centrality(giant, betweenness=False),
            lambda: nx.eigenvector_centrality_numpy(giant_nx, weight="weight"), "eigenvector")
    compare(f"betweenness, {sample} sampled sources", "organisations",
            lambda: net.centrality(graph, betweenness="sample", samples=sample, seed=0),
            lambda: nx.betweenness_centrality(g_nx, k=sample, seed=0, weight="distance"), "betweenness")
    compare("betweenness, exact (weighted)", "regions", lambda: net.centrality(regions),
            lambda: nx.betweenness_centrality(r_nx, weight="distance"), "betweenness")
    t_leiden, comm = _timed(lambda: net.communities(graph))
    t_louvain, louvain = _timed(lambda: nx.community.louvain_communities(g_nx, weight="weight", seed=0))
    q_louvain = nx.community.modularity(g_nx, louvain, weight="weight")
    side.add_row("communities: Leiden (rok) vs Louvain (networkx)", "organisations", f"{t_leiden:.3f}",
                 f"{t_louvain:.3f}", f"{t_louvain / t_leiden:,.1f}x",
                 f"modularity {comm.modularity:.3f} vs {q_louvain:.3f}")
    console.print(side)
    if n.gravity is not None:
        row = n.gravity.table.set_index("term").loc["log_distance"]
        console.print(f"gravity (PPML, {n.gravity.n:,} region pairs): distance elasticity {row['coef']:.4f} "
                      f"(SE {row['se']:.4f})")


if __name__ == "__main__":
    main()
