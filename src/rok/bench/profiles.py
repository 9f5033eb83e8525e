"""Benchmark of the research profiles: measures at x1/x10/x100 scale, every analysis, and the
``ecomplexity`` peer on the same matrix.

Run: ``make bench-profiles`` (or ``python -m rok.bench.profiles [--scales 1,10,100]``).

* Scales: the real mirror (x1) and warehouses resampled from it (:mod:`rok.bench.resample`:
  x10 about 1.4 million, x100 about 14.5 million participations). Each reduction (region x
  domain activity and actor mix, NUTS 2, fractional counting) runs in a fresh process, so its
  peak memory (the process's maximum resident set size, DuckDB's native memory included) is
  its own. Spark (local mode, 2 cores) runs at x1, where its start-up dominates.
* Analyses: every analysis for every NUTS 2 region and domain, on the x1 matrix.
* Peer, like for like: ``ecomplexity`` (0.5) restricted to the outputs rok computes -- RCA and
  M, diversity, ubiquity, ECI and PCI, proximity and density -- by timing the same steps of its
  own pipeline (``ComplexityData`` from the long table, ``calculate_rca``, ``calculate_mcp``,
  ``calc_eci_pci`` with its standardisation, ``calc_discrete_proximity``, ``calc_density``)
  against rok's functions for the same outputs from the same long table (pivot included), stage
  by stage, with the largest difference of every output. rok computes no complexity outlook
  (COI, COG), so ``ecomplexity``'s whole pipeline (which adds COI, COG and its long output) is
  shown beside, not compared: with its log-supermodularity check off and on (its default).
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

from rok.bench import mirror_warehouse


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

    features = p.features
    assert features is not None  # NUTS 2
    with_features = [r for r in x.index if r in features.index]

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
        ("peers of every region (k = 10)", lambda: peers.all_peers(features.loc[with_features], missing="mean")),
    ]
    timings = [(name, _time(func, 3)) for name, func in steps]
    timings += [(name, _time(func, 3)) for name, func in (  # the Profiles steps, uncached
        ("critical mass", p._critical_mass), ("performance index", p._performance))]
    return timings, x, p


def _peer(x: pd.DataFrame) -> list[tuple[str, float, float, str]]:
    """rok and ecomplexity on the same long table, stage by stage: (outputs, rok s, theirs s, agreement)."""
    from ecomplexity.calc_density import calc_density
    from ecomplexity.calc_proximity import calc_discrete_proximity
    from ecomplexity.ComplexityData import ComplexityData
    from ecomplexity.ecomplexity import calc_eci_pci

    from rok.analysis.complexity import complexity
    from rok.analysis.relatedness import proximity, relatedness_density
    from rok.analysis.specialisation import rca, specialised

    long = x.stack().rename("value").reset_index().assign(year=2020)
    cols = {"time": "year", "loc": "region", "prod": "domain", "val": "value"}

    def ours_rca() -> tuple[pd.DataFrame, pd.DataFrame]:
        matrix = long.pivot(index="region", columns="domain", values="value").fillna(0.0)
        return rca(matrix), specialised(matrix)

    def theirs_rca() -> Any:
        data = ComplexityData(long, cols, "coerce")
        data.create_full_df(2020)
        data.calculate_rca()
        data.calculate_mcp(1, 1, "rca", None, 2020)
        return data

    def theirs_complexity(data: Any) -> tuple[np.ndarray, np.ndarray]:
        data.diversity_t = np.nansum(data.mcp_t, axis=1)
        data.ubiquity_t = np.nansum(data.mcp_t, axis=0)
        eci, pci = calc_eci_pci(data)
        return (eci - eci.mean()) / eci.std(), (pci - eci.mean()) / eci.std()

    def theirs_density(data: Any) -> np.ndarray:
        return calc_density(data.mcp_t, calc_discrete_proximity(data.mcp_t, data.ubiquity_t))

    (r, m), data = ours_rca(), theirs_rca()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eci, pci = theirs_complexity(data)
    ours = complexity(m)
    phi = proximity(m)
    their_rca = pd.DataFrame(data.rca_t, index=data.data_t.index.levels[0], columns=data.data_t.index.levels[1])
    their_m = pd.DataFrame(data.mcp_t, index=their_rca.index, columns=their_rca.columns)
    their_phi = calc_discrete_proximity(data.mcp_t, data.ubiquity_t)
    one = phi + np.eye(len(phi))  # ecomplexity's proximity has 1 on the diagonal, rok's 0 (documented)
    same_density = relatedness_density(m, one) / 100.0  # ecomplexity's density: diagonal 1, no factor 100
    rows = [
        ("RCA, M (from the long table)", _time(ours_rca, 20), _time(theirs_rca, 20),
         f"max |dRCA| {np.abs(their_rca.reindex_like(r).to_numpy() - r.to_numpy()).max():.1e}; "
         f"M cells different: {int((their_m.reindex_like(m) != m).to_numpy().sum())}"),
        ("diversity, ubiquity, ECI, PCI (from M)", _time(lambda: complexity(m), 20),
         _time(lambda: theirs_complexity(data), 20),
         f"max |dECI| {np.abs(pd.Series(eci, their_rca.index).reindex(ours.eci.index) - ours.eci).max():.1e}, "
         f"|dPCI| {np.abs(pd.Series(pci, their_rca.columns).reindex(ours.pci.index) - ours.pci).max():.1e}"),
        ("proximity, density (from M)", _time(lambda: relatedness_density(m, proximity(m)), 20),
         _time(lambda: theirs_density(data), 20),
         f"max |dphi| off the diagonal {np.abs(their_phi - one.to_numpy()).max():.1e}; max |ddensity| "
         f"{np.abs(theirs_density(data) - same_density.to_numpy()).max():.1e}"),
    ]
    rows.append(("all of the above", sum(row[1] for row in rows), sum(row[2] for row in rows), "same outputs"))
    return rows


def _ecomplexity_whole(x: pd.DataFrame) -> tuple[float, float]:
    """ecomplexity's whole pipeline (adds COI, COG): seconds with its check off and on."""
    import contextlib
    import io

    from ecomplexity import ecomplexity

    long = x.stack().rename("value").reset_index().assign(year=2020)
    cols = {"time": "year", "loc": "region", "prod": "domain", "val": "value"}

    def theirs(check: bool) -> pd.DataFrame:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ecomplexity(long, cols, verbose=False, presence_test="rca", check_logsupermodularity=check)

    return _time(lambda: theirs(False), 5), _time(lambda: theirs(True), 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated resampling factors")
    parser.add_argument("--db", default=None, help="an existing warehouse of the mirror (default: build one)")
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",")]
    console = Console(width=130)
    with tempfile.TemporaryDirectory() as tmp:
        base = mirror_warehouse(args.db, tmp, "x1.duckdb")
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
        versus = Table(title="rok vs ecomplexity 0.5: the same outputs from the same long table (presence: RCA >= 1), "
                             "median of 20")
        for column in ("outputs", "rok s", "ecomplexity s", "ratio", "agreement"):
            versus.add_column(column, justify="left" if column in ("outputs", "agreement") else "right")
        for name, ours_s, theirs_s, agreement in _peer(x):
            versus.add_row(name, f"{ours_s:.5f}", f"{theirs_s:.5f}", f"{theirs_s / ours_s:,.1f}x", agreement)
        check_off, check_on = _ecomplexity_whole(x)
        versus.add_row("ecomplexity whole pipeline, also COI, COG (not in rok)", "", f"{check_off:.3f}", "", "")
        versus.add_row("  the same with its log-supermodularity check (default)", "", f"{check_on:.3f}", "", "")
        console.print(versus)

if __name__ == "__main__":
    main()
