"""Benchmark of plan tracking on the mirror: 100 joint action plans (consortia of three NUTS 2
regions from three countries, seven indicators each from the measure catalog), then a load
(the mirror's Eurostat GERD file ingested again into a copy of the warehouse: a new load id)
and the recomputation of every indicator of every plan (``rok plan track --all``), on SQLite
and, when a server is given (``--postgres URL`` or ``ROK_TEST_POSTGRES_URL``), PostgreSQL.

Run: ``make bench-workspace`` (or ``python -m rok.bench.workspace [--db FILE] [--plans N]``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rok.config import mirror_dir

INDICATORS: list[tuple[str, dict[str, Any]]] = [
    ("fp_participations_per_inhabitant", {}),
    ("ec_funding_per_inhabitant", {}),
    ("joint_projects", {}),
    ("firm_local_research_share", {}),
    ("gerd_pct_gdp", {}),
]


def consortia(db: Path, n: int, seed: int = 1) -> list[list[str]]:
    """``n`` consortia of three NUTS 2 regions with participations, from three countries."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        regions = [r[0] for r in con.execute(
            "SELECT nuts2 FROM organisations JOIN participations USING (org_id) WHERE nuts2 IS NOT NULL "
            "GROUP BY 1 HAVING count(*) >= 50 ORDER BY 1").fetchall()]
    rng = random.Random(seed)
    out: list[list[str]] = []
    while len(out) < n:
        pick = rng.sample(regions, 3)
        if len({r[:2] for r in pick}) == 3:
            out.append(pick)
    return out


def draft(regions: list[str], k: int, domains: list[str]) -> dict[str, Any]:
    """A plan document as the drafting step produces it (indicators only: what tracking reads)."""
    inds = [{"name": key, "source": {"measure": key, "params": params}} for key, params in INDICATORS]
    inds += [{"name": f"participations in {d}", "source": {"measure": "domain_participations",
                                                           "params": {"domain": d}}} for d in domains]
    return {"kind": "joint_action_plan", "title": f"Benchmark plan {k}: {', '.join(regions)}",
            "scope": {"type": "consortium", "regions": regions, "clusters": []}, "indicators": inds}


def run(url: str, before: Path, after: Path, plans: list[list[str]]) -> dict[str, float]:
    from rok.cooperation.indicators import WarehouseData
    from rok.workspace import Workspace
    from rok.workspace.models import Measurement
    from rok.workspace.plans import create_plan_from_draft
    from rok.workspace.tracking import track

    times: dict[str, float] = {}
    with Workspace(url, actor="bench") as ws:
        start = time.perf_counter()
        data = WarehouseData(before)
        with ws.session() as s:
            for k, regions in enumerate(plans):
                create_plan_from_draft(s, draft(regions, k, ["SC1", "LEIT"]), warehouse=data)
        times["build plans (baselines from the warehouse)"] = time.perf_counter() - start
        start = time.perf_counter()
        with ws.session() as s:
            first = track(s, data)
        times["first tracking"] = time.perf_counter() - start
        start = time.perf_counter()
        with ws.session() as s:
            again = track(s, WarehouseData(after))
            stored = s.query(Measurement).count()
        times["recompute after the load"] = time.perf_counter() - start
    times["indicators"] = again["indicators"]
    times["measurements appended (first, after load)"] = f"{first['measurements']}, {again['measurements']}"  # type: ignore[assignment]
    times["measurements stored"] = stored
    times["load id after"] = again["load_id"]
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="a warehouse of the mirror (default: build one)")
    parser.add_argument("--plans", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("ROK_TEST_POSTGRES_URL"),
                        help="a PostgreSQL server URL (a database is created and dropped)")
    args = parser.parse_args(argv)
    from rok.warehouse import Warehouse
    from rok.warehouse.ingest import ingest_eurostat, ingest_mirror

    console = Console(width=120)
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before.duckdb"
        if args.db:
            shutil.copy(args.db, before)
        else:
            with Warehouse(before) as wh:
                ingest_mirror(wh, mirror_dir())
        after = Path(tmp) / "after.duckdb"
        shutil.copy(before, after)
        start = time.perf_counter()
        with Warehouse(after) as wh:
            ingest_eurostat(wh, mirror_dir() / "eurostat" / "eurostat_tgs00042_gerd_rd_expenditure.csv", force=True)
        load_seconds = time.perf_counter() - start
        plans = consortia(before, args.plans)
        results = {"SQLite": run(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", before, after, plans)}
        if args.postgres:
            results["PostgreSQL"] = _on_postgres(args.postgres, before, after, plans)
    table = Table(title=f"Tracking {args.plans} plans x {len(INDICATORS) + 2} indicators after a load (seconds)")
    table.add_column("step")
    for name in results:
        table.add_column(name, justify="right")
    table.add_row("the load (Eurostat GERD file, forced)", f"{load_seconds:.2f}", *([""] * (len(results) - 1)))
    for key in next(iter(results.values())):
        table.add_row(key, *(_cell(r[key]) for r in results.values()))
    console.print(table)
    console.print("target: recomputing every indicator of 100 plans after a load in under 10 s")


def _cell(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _on_postgres(server: str, before: Path, after: Path, plans: list[list[str]]) -> dict[str, float]:
    import uuid

    import sqlalchemy as sa

    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"rok_bench_{uuid.uuid4().hex[:8]}"
    with engine.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        return run(engine.url.set(database=name).render_as_string(hide_password=False), before, after, plans)
    finally:
        with engine.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


if __name__ == "__main__":
    main()
