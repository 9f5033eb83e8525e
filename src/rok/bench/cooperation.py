"""Benchmark of the cooperation engine on the mirror: complementarity matrix, untapped
cooperation, mentoring assignment for every mentee region, the partner index (built with
its queries, written and read back), partner-search latency (median and 95th percentile
over 100 queries) and ``rok partners`` end to end, process start to output, with the index
cold (empty cache: built and stored) and warm (read from the cache), median of 5 runs.

Run: ``make bench-cooperation`` (or ``python -m rok.bench.cooperation [--db FILE]``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console
from rich.table import Table

from rok.bench import mirror_warehouse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="a warehouse of the mirror (default: build one)")
    args = parser.parse_args(argv)
    from rok.analysis.network_profiles import Networks
    from rok.analysis.profiles import Profiles
    from rok.cooperation.complementarity import complementarity_matrix, mutual, untapped
    from rok.cooperation.mentoring import mentoring_programme
    from rok.cooperation.partner_store import load_index, save_index
    from rok.cooperation.partners import PartnerIndex
    from rok.measures import Selection, open_engine
    from rok.measures.networks import org_edges, org_nodes

    console = Console(width=120)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = mirror_warehouse(args.db, tmp)
        with open_engine("duckdb", db) as engine:
            p = Profiles.compute(engine, Selection())
            n = Networks.compute(engine, Selection(), organisations=False)
            start = time.perf_counter()  # the organisation network's queries are part of the build
            graph = SimpleNamespace(org_nodes=org_nodes(engine, p.selection), org_edges=org_edges(engine, p.selection))
            index = PartnerIndex.from_profiles(engine, p, graph)
            build = time.perf_counter() - start
        stored = Path(tmp) / "partners.npz"
        start = time.perf_counter()
        save_index(index, stored)
        write = time.perf_counter() - start
        start = time.perf_counter()
        load_index(stored)
        read = time.perf_counter() - start
        size = stored.stat().st_size
        cold, warm = _cli_latency(db, Path(tmp) / "cache")
    start = time.perf_counter()
    matrix = complementarity_matrix(p.rca, p.specialised, p.density)
    rows.append((f"complementarity matrix ({matrix.shape[0]} x {matrix.shape[1]} NUTS 2 regions)",
                 f"{time.perf_counter() - start:.4f} s"))
    assert n.gravity is not None
    start = time.perf_counter()
    gaps = untapped(mutual(matrix), n.gravity.expected, k=50)
    rows.append((f"untapped cooperation (top {len(gaps)} of {len(n.gravity.expected):,} pairs)",
                 f"{time.perf_counter() - start:.4f} s"))
    start = time.perf_counter()
    pairs = mentoring_programme(p, ties=n.region_edges, complementarity=matrix)
    rows.append((f"mentoring assignment ({len(pairs)} mentees, {pairs['mentor'].nunique()} mentors used, optimal)",
                 f"{time.perf_counter() - start:.3f} s"))
    rows.append(("partner index build (its queries: organisation network, activity, details; then arrays)",
                 f"{build:.3f} s"))
    rows.append((f"partner index written / read back ({size / 1e6:.1f} MB .npz)", f"{write:.3f} s / {read:.3f} s"))
    rng = random.Random(0)
    regions, domains = list(p.activity.index), list(p.activity.columns)
    latencies = []
    for _ in range(100):
        region, domain = rng.choice(regions), rng.choice(domains)
        prefer = rng.choice(["new", "existing", "any"])
        start = time.perf_counter()
        index.search(region=region, domain=domain, prefer=prefer, k=20)  # type: ignore[arg-type]
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    rows.append(("partner search, median of 100 queries", f"{statistics.median(latencies) * 1000:.1f} ms"))
    rows.append(("partner search, 95th percentile", f"{latencies[94] * 1000:.1f} ms"))
    rows.append(("`rok partners DE21 --domain SC1` end to end, cold (index built and stored)", f"{cold:.2f} s"))
    rows.append(("`rok partners DE21 --domain SC1` end to end, warm (index read), median of 5",
                 f"{statistics.median(warm):.2f} s (min {min(warm):.2f}, max {max(warm):.2f})"))
    table = Table(title="cooperation engine on the mirror")
    table.add_column("step")
    table.add_column("time", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _cli_latency(db: str, cache: Path) -> tuple[float, list[float]]:
    """Wall seconds of ``rok partners`` in a new process: once on an empty cache, then 5 times warm."""
    env = {**os.environ, "ROK_CACHE": str(cache), "ROK_DB": str(db)}
    command = [sys.executable, "-m", "rok.cli.main", "partners", "DE21", "--domain", "SC1", "--format", "csv"]

    def run() -> float:
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start

    cold = run()
    return cold, [run() for _ in range(5)]


if __name__ == "__main__":
    main()
