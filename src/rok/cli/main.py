"""``rok``: build the warehouse from real data and report what it holds.

Every command is a thin wrapper over the library. A :class:`rok.errors.RokError` becomes a
one-line message on stderr and exit status 1 (2 for usage errors, from Typer); no
traceback is shown for expected failures.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rok import config
from rok.errors import RokError
from rok.warehouse import LoadResult, Warehouse

app = typer.Typer(help="rok: Regions of Knowledge. Research profiles and cooperation of Europe's regions.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
ingest_app = typer.Typer(help="Load data into the warehouse (each file checked, atomic, recorded).", no_args_is_help=True)
fetch_app = typer.Typer(help="Download from the official addresses into the local cache.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(fetch_app, name="fetch")
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DbOption = typer.Option(None, "--db", help="Warehouse file (default: $ROK_DB or ./rok.duckdb).")
ForceOption = typer.Option(False, "--force", help="Load again even if the same file was loaded before.")
SkipOption = typer.Option(False, "--skip-bad-rows", help="Record bad rows in `rejects` and load the others.")


def friendly(func: F) -> F:
    """Turn rok's errors (and a locked warehouse) into a message and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RokError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except duckdb.IOException as exc:
            err.print(f"[bold red]error:[/] warehouse cannot be opened: {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar fed by the library's ``progress(step, done, total)`` callbacks."""
    bar = Progress(TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=False, disable=not enabled or not err.is_terminal)
    tasks: dict[str, Any] = {}

    def update(step: str, done: int, total: int) -> None:
        key = "geocode" if step == "geocode" else "load"
        if key not in tasks:
            tasks[key] = bar.add_task("placing organisations" if key == "geocode" else step, total=total)
        bar.update(tasks[key], completed=done, total=total,
                   description="geocoding city names" if key == "geocode" else step)

    with bar:
        yield update


def _open(db: Path | None) -> Warehouse:
    return Warehouse(config.db_path(db))


def _print_loads(results: list[LoadResult]) -> None:
    table = Table(title="loads", show_lines=False)
    for column in ("load", "source", "file", "read", "kept", "rejected", "status"):
        table.add_column(column, justify="right" if column in ("load", "read", "kept", "rejected") else "left")
    for r in results:
        table.add_row(str(r.load_id), escape(r.source), escape(Path(r.file).name), f"{r.rows_read:,}", f"{r.rows_kept:,}",
                      f"{r.rows_rejected:,}", "unchanged, skipped" if r.skipped else "loaded")
    out.print(table)


@ingest_app.command("mirror")
@friendly
def ingest_mirror_cmd(
    mirror: Path = typer.Option(None, "--mirror", help="Mirror directory (default: $ROK_MIRROR or ../shared/data)."),
    db: Path = DbOption,
    force: bool = ForceOption,
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad row instead of recording it."),
) -> None:
    """Load the whole offline mirror (NUTS, CORDIS H2020, Eurostat), then place organisations."""
    from rok.warehouse.ingest import ingest_mirror

    directory = config.mirror_dir(mirror)
    with _open(db) as wh, progress_bar() as progress:
        report = ingest_mirror(wh, directory, force=force, skip_bad_rows=not strict, progress=progress)
    _print_loads(report.loads)
    for missing in report.missing:
        err.print(f"[yellow]warning:[/] mirror file not found, skipped: {escape(missing)}")


@ingest_app.command("cordis")
@friendly
def ingest_cordis_cmd(
    path: Path = typer.Argument(..., help="A CORDIS bulk ZIP (e.g. cordis-h2020projects-csv.zip) or its unpacked directory."),
    framework: str = typer.Option(None, help="fp7, h2020 or horizon (default: from the file name or content)."),
    db: Path = DbOption, force: bool = ForceOption, skip_bad_rows: bool = SkipOption,
) -> None:
    """Load an official CORDIS bulk download (project.csv, organization.csv, euroSciVoc.csv)."""
    from rok.warehouse.ingest import ingest_cordis

    with _open(db) as wh, progress_bar() as progress:
        _print_loads(ingest_cordis(wh, path, framework=framework, force=force, skip_bad_rows=skip_bad_rows,
                                   progress=progress))


@ingest_app.command("eurostat")
@friendly
def ingest_eurostat_cmd(
    path: Path = typer.Argument(..., help="An SDMX-CSV file, the wide regional panel, or a directory of them."),
    db: Path = DbOption, force: bool = ForceOption, skip_bad_rows: bool = SkipOption,
) -> None:
    """Load Eurostat indicators into the long `indicators` table, then map them to NUTS 2021."""
    from rok.warehouse.ingest import ingest_eurostat

    with _open(db) as wh:
        _print_loads(ingest_eurostat(wh, path, force=force, skip_bad_rows=skip_bad_rows))


@ingest_app.command("nuts")
@friendly
def ingest_nuts_cmd(
    path: Path = typer.Argument(..., help="A GISCO NUTS GeoJSON file or a directory of them."),
    year: int = typer.Option(None, help="NUTS version (default: from the GISCO file name)."),
    db: Path = DbOption, force: bool = ForceOption,
) -> None:
    """Load NUTS boundaries (all levels), then re-place organisations and re-map indicators."""
    from rok.warehouse.ingest import ingest_nuts

    with _open(db) as wh, progress_bar() as progress:
        _print_loads(ingest_nuts(wh, path, year=year, force=force, progress=progress))


@ingest_app.command("table")
@friendly
def ingest_table_cmd(
    path: Path = typer.Argument(..., help="A delimited file (CSV, TSV, ...)."),
    mapping: Path = typer.Option(..., "--mapping", help="TOML (or YAML) column mapping; see `rok.sources.table`."),
    db: Path = DbOption, force: bool = ForceOption, skip_bad_rows: bool = SkipOption,
) -> None:
    """Load any table (e.g. a national funding database) through a column mapping."""
    from rok.warehouse.ingest import ingest_table

    with _open(db) as wh:
        _print_loads(ingest_table(wh, path, mapping, force=force, skip_bad_rows=skip_bad_rows))


@app.command("locate")
@friendly
def locate_cmd(
    db: Path = DbOption,
    postcodes: list[Path] = typer.Option(None, "--postcodes", help="Postcode -> NUTS 3 tables (e.g. GISCO TERCET files)."),
    check: bool = typer.Option(False, "--check", help="Also place organisations from each of two address sources "
                               "alone and report how often the two NUTS 2 regions agree."),
) -> None:
    """Place every organisation in NUTS 2021 (official code, postcode, gazetteer + polygons)."""
    import pandas as pd

    from rok.sources.postcodes import read_postcodes
    from rok.warehouse.placement import build_organisations, cross_source_agreement
    from rok.warehouse.status import placement_coverage

    table = pd.concat([read_postcodes(p) for p in postcodes]) if postcodes else None
    with _open(db) as wh, progress_bar() as progress:
        build_organisations(wh, postcodes=table, progress=progress)
        coverage = placement_coverage(wh)
        agreement = cross_source_agreement(wh) if check else None
    _print_coverage(coverage)
    if agreement:
        out.print(
            f"accuracy check: {agreement['organisations_with_two_addresses']:,} organisations have a 2017 H2020 and "
            f"an FP7 address in the same country; {agreement['placed_from_both']:,} placed from both; the two NUTS 2 "
            f"regions agree for {agreement['same_nuts2']:,} ({agreement['agreement']:.1%})", highlight=False)


def _amount(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:.1%}"


def _print_coverage(cov: dict[str, Any]) -> None:
    table = Table(title=f"placement at NUTS {cov['level']} ({cov['nuts_version']}), {cov['scope']}")
    for column in ("", "total", "placed", "share"):
        table.add_column(column, justify="left" if not column else "right")
    for key in ("organisations", "participations", "ec_contribution", "placed_inside_own_country"):
        row = cov[key]
        total = row.get("total", row.get("placed"))
        placed = row.get("placed") if key != "placed_inside_own_country" else row.get("inside")
        table.add_row(key.replace("_", " "), _amount(total), _amount(placed), _percent(row["share"]))
    out.print(table)
    methods = Table(title="by method")
    for column in ("method", "organisations", "participations", "EC contribution (EUR)"):
        methods.add_column(column, justify="left" if column == "method" else "right")
    for row in cov["by_method"]:
        methods.add_row(str(row["method"]), f"{row['organisations']:,}", f"{row['participations']:,}",
                        _amount(row["ec_contribution"]))
    out.print(methods)
    countries = Table(title="by country (participations)")
    for column in ("country", "participations", "placed", "share", "share of EC contribution"):
        countries.add_column(column, justify="left" if column == "country" else "right")
    for row in cov["by_country"]:
        countries.add_row(row["country"], f"{row['participations']:,}", f"{row['placed']:,}",
                          f"{row['share_participations']:.1%}",
                          _percent(row["share_ec_contribution"]))
    out.print(countries)


@app.command("status")
@friendly
def status_cmd(
    db: Path = DbOption,
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Row counts, the last loads, rejects, placement coverage and indicator mapping."""
    from rok.errors import InputError
    from rok.warehouse.status import status

    if fmt not in ("text", "json"):
        raise InputError(f"unknown format {fmt!r}; expected text or json")
    path = config.db_path(db)
    if not path.exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with Warehouse(path) as wh:
        report = status(wh)
    if fmt == "json":
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
        return
    tables = Table(title=f"warehouse {report['warehouse']} (schema {report['schema_version']})")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in report["tables"].items():
        tables.add_row(name, f"{rows:,}")
    out.print(tables)
    loads = Table(title="last loads")
    for column in ("load", "source", "file", "read", "kept", "rejected", "status", "finished"):
        loads.add_column(column)
    for row in report["loads"]:
        loads.add_row(str(row["load_id"]), escape(row["source"]), escape(Path(row["file"]).name), f"{row['rows_read']:,}",
                      f"{row['rows_kept']:,}", f"{row['rows_rejected']:,}", row["status"], row["finished"])
    out.print(loads)
    if report["rejects"]:
        rejects = Table(title="rejected rows (first 50)")
        for column in ("load", "file", "line", "column", "value", "reason"):
            rejects.add_column(column)
        for row in report["rejects"]:
            rejects.add_row(*(escape(str(v)) for v in (row["load_id"], Path(row["file"]).name, row["line"],
                                                         row["column"], row["value"], row["reason"])))
        out.print(rejects)
    if report["placement"]:
        _print_coverage(report["placement"])
    ind = report["indicators"]
    mapped = ", ".join(f"{r['method']}: {r['rows']:,}" for r in ind["rows_nuts2021_by_method"])
    out.print(f"indicators: {ind['rows']:,} rows; in NUTS 2021: {mapped or 'none'}")
    if ind["unmapped_codes"]:
        codes = escape(", ".join(f"{r['region']} ({r['rows']})" for r in ind["unmapped_codes"][:40]))
        out.print(f"[yellow]not mapped to NUTS 2021[/] ({len(ind['unmapped_codes'])} codes; rows): {codes}"
                  + (" ..." if len(ind["unmapped_codes"]) > 40 else ""), highlight=False)
        out.print("  see `rok status --format json` for the reason per code", highlight=False)


def _fetched(path: Path, ingest: bool, db: Path | None, kind: str) -> None:
    out.print(f"saved {path}")
    if ingest:
        from rok.warehouse import ingest as ing

        with _open(db) as wh:
            if kind == "cordis":
                _print_loads(ing.ingest_cordis(wh, path))
            elif kind == "eurostat":
                _print_loads(ing.ingest_eurostat(wh, path))
            else:
                _print_loads(ing.ingest_nuts(wh, path))


@contextmanager
def _download_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed:,.0f} bytes"), console=err,
                   disable=not err.is_terminal)
    task = bar.add_task(label, total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


@fetch_app.command("cordis")
@friendly
def fetch_cordis_cmd(
    framework: str = typer.Argument(..., help="fp7, h2020 or horizon"),
    refresh: bool = typer.Option(False, "--refresh", help="Ask the server for a newer file."),
    base_url: str = typer.Option(None, "--base-url", help="Another address (a mirror); default: CORDIS."),
    ingest: bool = typer.Option(False, "--ingest", help="Load the file into the warehouse afterwards."),
    db: Path = DbOption,
) -> None:
    """Download a CORDIS bulk ZIP (projects, organisations) into the cache."""
    from rok.sources.fetch import fetch_cordis

    with _download_bar(f"CORDIS {framework}") as progress:
        path = fetch_cordis(framework, base_url=base_url, refresh=refresh, progress=progress)
    _fetched(path, ingest, db, "cordis")


@fetch_app.command("eurostat")
@friendly
def fetch_eurostat_cmd(
    datasets: list[str] = typer.Argument(..., help="Dataset codes, e.g. tgs00042 nama_10r_2gdp"),
    refresh: bool = typer.Option(False, "--refresh"),
    base_url: str = typer.Option(None, "--base-url"),
    ingest: bool = typer.Option(False, "--ingest"),
    db: Path = DbOption,
) -> None:
    """Download Eurostat datasets as SDMX-CSV from the dissemination API into the cache."""
    from rok.sources.fetch import fetch_eurostat

    for dataset in datasets:
        with _download_bar(f"Eurostat {dataset}") as progress:
            path = fetch_eurostat(dataset, base_url=base_url, refresh=refresh, progress=progress)
        _fetched(path, ingest, db, "eurostat")


@fetch_app.command("nuts")
@friendly
def fetch_nuts_cmd(
    year: int = typer.Argument(..., help="2013, 2016, 2021 or 2024"),
    scale: str = typer.Option("20M", help="01M, 03M, 10M, 20M or 60M"),
    level: int = typer.Option(None, help="One level only (default: all levels)."),
    refresh: bool = typer.Option(False, "--refresh"),
    base_url: str = typer.Option(None, "--base-url"),
    ingest: bool = typer.Option(False, "--ingest"),
    db: Path = DbOption,
) -> None:
    """Download NUTS boundaries (GeoJSON, EPSG:4326) from GISCO into the cache."""
    from rok.sources.fetch import fetch_nuts

    with _download_bar(f"NUTS {year}") as progress:
        path = fetch_nuts(year, scale=scale, level=level, base_url=base_url, refresh=refresh, progress=progress)
    _fetched(path, ingest, db, "nuts")


from rok.cli import agenda as _agenda  # noqa: E402
from rok.cli import analysis as _analysis  # noqa: E402  (the commands need `friendly` above)
from rok.cli import cooperation as _cooperation  # noqa: E402
from rok.cli import networks as _networks  # noqa: E402
from rok.cli import web as _web  # noqa: E402
from rok.cli import workspace as _workspace  # noqa: E402

_analysis.register(app, friendly)
_analysis.register_profile(app, friendly)
_networks.register(app, friendly)
_cooperation.register(app, friendly)
_cooperation.register_search(app, friendly)
_workspace.register(app, friendly)
_agenda.register(app, friendly)
_web.register(app, friendly)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
