"""Larger warehouses for benchmarks, made by resampling the real participations.

``resample(source, target, factor)`` writes a warehouse with ``factor`` times the projects
and participations of ``source``:

* replicate 0 is the real data, unchanged;
* replicate i >= 1 copies every project (``<project_id>#i``, same start year, same domains
  and weights, same number of participants) and, for each of its participations, draws an
  organisation at random from the organisations of the same country and activity type
  (deterministic: a hash of project, organisation and replicate);

(a draw that repeats an organisation already in the same project and role is dropped, about
0.2% of rows), so the marginals that matter for the measures (projects per domain and year, participants
per project, country and actor-type mix) are kept, while the organisation and region of
each participation vary between replicates. Regions, organisations and all other tables
are copied as they are. At factor 100 the mirror gives about 14.5 million participations.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

from rok.warehouse.store import Warehouse

__all__ = ["resample"]

_COPY = ("regions", "region_labels", "organisations", "organisation_sources", "domains", "reference",
         "indicators", "indicators_nuts2021", "nuts_correspondence", "loads")


def resample(source: Path, target: Path, factor: int) -> dict[str, int]:
    """Write a warehouse at ``target`` with ``factor`` x the participations of ``source``."""
    if factor < 1:
        raise ValueError("factor must be >= 1")
    if target.exists():
        target.unlink()
    Warehouse(target).close()  # schema
    con = duckdb.connect(str(target))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    for table in _COPY:
        con.execute(f"INSERT INTO {table} SELECT * FROM src.{table}")
    con.execute(
        f"""CREATE TEMP TABLE reps AS SELECT range AS i FROM range({factor});
        CREATE TEMP TABLE pool AS
            SELECT org_id, upper(country) AS country, coalesce(activity_type, '?') AS activity_type,
                   row_number() OVER (PARTITION BY upper(country), coalesce(activity_type, '?') ORDER BY org_id) - 1 AS k,
                   count(*) OVER (PARTITION BY upper(country), coalesce(activity_type, '?')) AS n
            FROM src.organisations;
        INSERT INTO projects
            SELECT x.* REPLACE (CASE WHEN i = 0 THEN x.project_id ELSE x.project_id || '#' || i END AS project_id)
            FROM src.projects x, reps;
        INSERT INTO project_domains
            SELECT x.* REPLACE (CASE WHEN i = 0 THEN x.project_id ELSE x.project_id || '#' || i END AS project_id)
            FROM src.project_domains x, reps;
        INSERT OR IGNORE INTO participations
        SELECT CASE WHEN r.i = 0 THEN p.project_id ELSE p.project_id || '#' || r.i END AS project_id,
               CASE WHEN r.i = 0 OR pool.n IS NULL THEN p.org_id ELSE pick.org_id END AS org_id,
               p.role, p.activity_type, p.country, p.ec_contribution, p.net_ec_contribution, p.total_cost, p.ord,
               p.end_of_participation, p.source, p.load_id
        FROM src.participations p CROSS JOIN reps r
        LEFT JOIN (SELECT DISTINCT country, activity_type, n FROM pool) pool
               ON pool.country = upper(p.country) AND pool.activity_type = coalesce(p.activity_type, '?')
        LEFT JOIN pool pick
               ON pick.country = pool.country AND pick.activity_type = pool.activity_type
              AND pick.k = hash(p.project_id, p.org_id, r.i) % pool.n;
        """
    )
    counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in ("projects", "participations")}  # type: ignore[index]
    con.close()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a resampled warehouse (see the module docstring).")
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--factor", type=int, default=10)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = resample(args.source, args.target, args.factor)
    print(f"{args.target}: {counts['participations']:,} participations, {counts['projects']:,} projects "
          f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
