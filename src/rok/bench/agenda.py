"""Benchmark of agenda drafting on the mirror: one region from scratch (what ``rok agenda
draft --region`` does: profiles, partner index, SWOT, indicators, landscape), the same with
the profiles and Horizon Europe data computed once (drafting many plans), a consortium, and
each export format.

Run: ``make bench-agenda`` (or ``python -m rok.bench.agenda [--db FILE] [--regions R,R,...]``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rok.bench import mirror_warehouse
from rok.config import mirror_dir

REGIONS = ("ITC4", "ES61", "PL91", "DE21", "RO11")


_CPU: list[float] = []


def _timed(func: Callable[[], Any], repeat: int = 1) -> tuple[Any, list[float]]:
    """Wall-clock seconds of each run; the CPU seconds of the process (all threads) go to ``_CPU``."""
    times, result = [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        _CPU.append(time.process_time() - cpu)
    return result, times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="a warehouse of the mirror (default: build one)")
    parser.add_argument("--regions", default=",".join(REGIONS), help="regions to draft, comma separated")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from rok.analysis.profiles import Profiles
    from rok.cooperation.agenda import draft_agenda
    from rok.cooperation.landscape import load_horizon
    from rok.measures import Selection, open_engine
    from rok.report.plan_export import export_plan

    imports = time.perf_counter() - start
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    console = Console(width=120)
    rows: list[tuple[str, str]] = [("import of the drafting modules (once per process)", f"{imports:.2f} s")]
    with tempfile.TemporaryDirectory() as tmp:
        db = mirror_warehouse(args.db, tmp)
        cold = []
        _CPU.clear()
        for region in regions:
            _, t = _timed(partial(draft_agenda, db, region=region))
            cold.append(t[0])
        rows.append((f"one region from scratch, median of {len(regions)} ({', '.join(regions)})",
                     f"{statistics.median(cold):.2f} s"))
        rows.append(("one region from scratch, slowest", f"{max(cold):.2f} s"))
        rows.append(("one region from scratch, CPU time of the process (median)", f"{statistics.median(_CPU):.2f} s"))
        with open_engine("duckdb", db) as engine:
            profiles, t = _timed(lambda: Profiles.compute(engine, Selection()))
            rows.append(("  of which: profiles of all regions", f"{t[0]:.2f} s"))
            horizon, t = _timed(lambda: load_horizon(db, mirror_dir()))
            rows.append((f"  of which: Horizon Europe projects ({horizon.source})", f"{t[0]:.2f} s"))
            warm = []
            for region in regions:
                _, t = _timed(partial(draft_agenda, engine, region=region, profiles=profiles, horizon=horizon))
                warm.append(t[0])
            rows.append(("one region, profiles and Horizon data shared, median", f"{statistics.median(warm):.2f} s"))
            doc, t = _timed(lambda: draft_agenda(engine, consortium=regions[:3], profiles=profiles, horizon=horizon))
            rows.append((f"consortium of {min(3, len(regions))} regions, shared", f"{t[0]:.2f} s"))
        for suffix in (".md", ".html", ".docx", ".pdf"):
            _, t = _timed(partial(export_plan, doc, Path(tmp) / f"plan{suffix}"), repeat=3)
            size = (Path(tmp) / f"plan{suffix}").stat().st_size
            rows.append((f"export {suffix} ({size / 1024:.0f} KiB), median of 3", f"{statistics.median(t):.3f} s"))
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    table = Table(title=f"agenda drafting on the mirror ({os.cpu_count()} cores, load average {load:.1f})")
    table.add_column("step")
    table.add_column("time", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


if __name__ == "__main__":
    main()
