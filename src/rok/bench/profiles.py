"""Benchmark of the research profiles: measures at x1/x10/x100 scale, every analysis, and the
``ecomplexity`` peer on the same matrix.

Run: ``make bench-profiles`` (or ``python -m rok.bench.profiles [--scales 1,10,100]``).

* Scales: the real mirror (x1) and warehouses resampled from it (:mod:`rok.bench.resample`:
  x10 about 1.4 million, x100 about 14.5 million participations). Each reduction (region x
  domain activity and actor mix, NUTS 2, fractional counting) runs in a fresh process, so its
  peak memory (the process's maximum resident set size, DuckDB's native memory included) is
  its own. Spark (local mode, 2 cores) runs at x1, where its start-up dominates.
* Analyses: every analysis for every NUTS 2 region and domain, on the x1 matrix.
* Peer: ``ecomplexity`` (0.5) on the same activity matrix, long form; ECI and PCI agreement
  (Pearson correlation) and time. ``ecomplexity`` is timed with its default settings and with
  its log-supermodularity check off (``check_logsupermodularity=False``; rok has no such check).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from rok.config import mirror_dir


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reduce(db: str, engine: str) -> dict[str, float]:
    """In a fresh process: open the engine, reduce, report seconds and peak memory."""
    from rok.measures import Selection, activity_matrix, actor_mix, open_engine

    out: dict[str, float] = {}
    start = time.perf_counter()
    with open_engine(engine, db) as running:
        out["open"] = time.perf_counter() - start
        t = time.perf_counter()
        matrix = activity_matrix(running, Selection())
        out["activity"] = time.perf_counter() - t
        t = time.perf_counter()
        actor_mix(running, Selection())
        out["actor_mix"] = time.perf_counter() - t
    out["cells"] = float((matrix > 0).sum().sum())
    out["peak_mb"] = _peak_mb()
    return out


def _isolated(func: Callable[..., Any], *args: Any) -> Any:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, args)


def _time(func: Callable[[], Any], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _analyses(db: str) -> tuple[list[tuple[str, float]], pd.DataFrame, Any]:
    from rok.analysis.profiles import Profiles
    from rok.measures import Selection, open_engine

    with open_engine("duckdb", db) as running:
        p = Profiles.compute(running, Selection())
    x, m = p.activity, p.specialised
    from rok.analysis import clusters, complexity, concentration, peers, quadrant, relatedness, specialisation

    with_features = [r for r in x.index if p.features is not None and r in p.features.index]

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("RCA and specialisation", lambda: specialisation.specialised(x)),
        ("proximity, association strength, cosine", lambda: (relatedness.proximity(m), relatedness.association_strength(m),
                                                             relatedness.cosine(m))),
        ("relatedness density", lambda: relatedness.relatedness_density(m, p.proximity)),
        ("ECI/PCI, eigenvector", lambda: complexity.complexity(m)),
        ("ECI/PCI, reflections", lambda: complexity.complexity(m, method="reflections")),
        ("concentration (HHI, entropy, Hoover, Gini)", lambda: (concentration.herfindahl(x), concentration.entropy(x),
                                                                concentration.hoover(x), concentration.locational_gini(x))),
        ("cluster stars", lambda: clusters.cluster_stars(x)),
        ("policy quadrant", lambda: quadrant.policy_quadrant(p.density, p.complexity.pci, specialised=m)),
        ("peers of every region (k = 10)", lambda: peers.all_peers(p.features.loc[with_features], missing="mean")),
    ]
    timings = [(name, _time(func, 3)) for name, func in steps]
    timings.append(("critical mass + performance index (in compute)", p.seconds.get("critical mass, performance, peers", 0.0)))
    return timings, x, p


def _peer(x: pd.DataFrame, m: pd.DataFrame) -> dict[str, float]:
    import contextlib
    import io

    from ecomplexity import ecomplexity

    from rok.analysis.complexity import complexity
    from rok.analysis.specialisation import specialised

    long = x.stack().rename("value").reset_index().assign(year=2020)
    cols = {"time": "year", "loc": "region", "prod": "domain", "val": "value"}

    def theirs(check: bool) -> pd.DataFrame:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ecomplexity(long, cols, verbose=False, presence_test="rca", check_logsupermodularity=check)

    t_default = _time(lambda: theirs(True), 3)
    t_theirs = _time(lambda: theirs(False), 5)
    out = theirs(False)
    ours_time = _time(lambda: complexity(specialised(x)), 20)
    ours = complexity(specialised(x))
    eci = out.groupby("region")["eci"].first().reindex(ours.eci.index)
    pci = out.groupby("domain")["pci"].first().reindex(ours.pci.index)
    return {"ours_s": ours_time, "theirs_s": t_theirs, "speedup": t_theirs / ours_time, "default_s": t_default,
            "eci_r": float(np.corrcoef(eci, ours.eci)[0, 1]), "pci_r": float(np.corrcoef(pci, ours.pci)[0, 1]),
            "eci_maxdiff": float(np.abs(eci - ours.eci).max()), "pci_maxdiff": float(np.abs(pci - ours.pci).max())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated resampling factors")
    parser.add_argument("--db", default=None, help="an existing warehouse of the mirror (default: build one)")
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",")]
    console = Console(width=130)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.db
        if base is None:
            from rok.warehouse import Warehouse
            from rok.warehouse.ingest import ingest_mirror

            base = str(Path(tmp) / "x1.duckdb")
            with Warehouse(base) as wh:
                ingest_mirror(wh, mirror_dir())
        from rok.bench.resample import resample

        table = Table(title="measures: region x domain activity and actor mix (NUTS 2, fractional), fresh process each")
        for column in ("scale", "participations", "engine", "open s", "activity s", "actor mix s", "peak RSS MB", "cells"):
            table.add_column(column, justify="left" if column in ("scale", "engine") else "right")
        for factor in scales:
            db = base
            if factor > 1:
                db = str(Path(tmp) / f"x{factor}.duckdb")
                console.print(f"resampling x{factor} ...")
                counts = resample(Path(base), Path(db), factor)
            else:
                import duckdb

                with duckdb.connect(base, read_only=True) as con:
                    counts = {"participations": con.execute("SELECT count(*) FROM participations").fetchone()[0]}  # type: ignore[index]
            engines = ["duckdb"] + (["spark"] if factor == 1 and not args.no_spark else [])
            for engine in engines:
                r = _isolated(_reduce, db, engine)
                table.add_row(f"x{factor}", f"{counts['participations']:,}", engine, f"{r['open']:.2f}",
                              f"{r['activity']:.2f}", f"{r['actor_mix']:.2f}", f"{r['peak_mb']:,.0f}", f"{r['cells']:,.0f}")
            if factor > 1:
                Path(db).unlink()
        console.print(table)
        timings, x, p = _analyses(base)
        analyses = Table(title=f"analyses on the x1 matrix ({x.shape[0]} NUTS 2 regions x {x.shape[1]} domains), median of 3")
        analyses.add_column("step")
        analyses.add_column("seconds", justify="right")
        for name, seconds in timings:
            analyses.add_row(name, f"{seconds:.4f}")
        analyses.add_row("[bold]all analyses", f"[bold]{sum(s for _, s in timings):.3f}")
        console.print(analyses)
        peer = _peer(x, p.specialised)
        versus = Table(title="ECI/PCI: rok vs ecomplexity 0.5 on the same matrix (presence: RCA >= 1)")
        for column in ("", "rok", "ecomplexity", "ratio"):
            versus.add_column(column, justify="right" if column else "left")
        versus.add_row("seconds (median), RCA + ECI + PCI", f"{peer['ours_s']:.5f}", f"{peer['theirs_s']:.3f}",
                       f"{peer['speedup']:,.0f}x")
        versus.add_row("ecomplexity with its default log-supermodularity check", "", f"{peer['default_s']:.3f}",
                       f"{peer['default_s'] / peer['ours_s']:,.0f}x")
        versus.add_row("ECI correlation", "", "", f"{peer['eci_r']:.12f}")
        versus.add_row("PCI correlation", "", "", f"{peer['pci_r']:.12f}")
        versus.add_row("largest |difference| ECI / PCI", "", "", f"{peer['eci_maxdiff']:.1e} / {peer['pci_maxdiff']:.1e}")
        console.print(versus)


if __name__ == "__main__":
    main()
