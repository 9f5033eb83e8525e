"""``rok``: build the warehouse from real data and report what it holds.

Every command is a thin wrapper over the library. A :class:`rok.errors.RokError` becomes a
one-line message on stderr and exit status 1 (2 for usage errors, from Typer); no
traceback is shown for expected failures. Any other error (a bug, or data rok does not
handle) is one line naming a log file under ``$ROK_CACHE/logs`` that holds the traceback,
and exit status 2. Read-only commands open the warehouse read-only and migrate nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rok import config
from rok.errors import RokError
from rok.warehouse import LoadResult, Warehouse


def _hide_flag_types() -> None:
    """Typer's help shows ``<bool>`` after every flag (``--help <bool>``); a flag takes no value."""
    from typer import core

    option = getattr(core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "_rok", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._rok = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_hide_flag_types()
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
    """Turn rok's errors (and a locked warehouse) into a message and exit status 1; anything
    else into one line naming a log file that holds the traceback, and exit status 2."""

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
        except (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # unexpected: one line for the user, the traceback in a log file
            where = _log_traceback(exc)
            first = (str(exc).strip().splitlines() or [""])[0]
            err.print(f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(first)} "
                      f"(traceback in {escape(where)})", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _log_traceback(exc: BaseException) -> str:
    """Write the traceback of ``exc`` to a new file under ``$ROK_CACHE/logs``; its path (or why not)."""
    from rok import __version__

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    text = (f"rok {__version__}, {dt.datetime.now(dt.UTC).isoformat()}\n"
            f"command: {' '.join(sys.argv)}\n\n" + "".join(traceback.format_exception(exc)))
    try:
        folder = config.cache_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"rok-{stamp}-{os.getpid()}.log"
        path.write_text(text, encoding="utf-8")
    except OSError as failure:
        sys.stderr.write(text)
        return f"stderr above; no log file: {failure}"
    return str(path)
class _Ticker:
    """Progress as plain lines on stderr: one every ``every`` seconds while a step runs longer than
    ``after`` seconds, with its counts and rate, and one when such a step ends."""

    def __init__(self, write: Callable[[str], None], every: float = 3.0, after: float = 2.0) -> None:
        self.write, self.every, self.after = write, every, after
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.step: str | None = None
        self.done = self.total = self.first = 0
        self.started = self.printed = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def update(self, step: str, done: int, total: int) -> None:
        with self.lock:
            if step != self.step:
                self._finish()
                self.step, self.started, self.first = step, time.monotonic(), done
            self.done, self.total = done, total

    def _line(self, final: bool = False) -> str:
        elapsed = time.monotonic() - self.started
        if final:
            return f"{self.step}: done in {elapsed:.0f} s"
        rate = (self.done - self.first) / max(elapsed, 1e-9)
        counts = f" {self.done:,}/{self.total:,}" if self.total else ""
        counts += f" ({rate:,.1f}/s)" if self.total and self.done > self.first else ""
        return f"{self.step}:{counts} {elapsed:.0f} s"

    def _finish(self) -> None:
        if self.step is not None and time.monotonic() - self.started >= self.after:
            self.write(self._line(final=True))

    def _run(self) -> None:
        while not self.stop.wait(0.25):
            with self.lock:
                now = time.monotonic()
                if self.step and now - self.started >= self.after and now - self.printed >= self.every:
                    self.write(self._line())
                    self.printed = now

    def __enter__(self) -> _Ticker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        with self.lock:
            self._finish()


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """Progress fed by the library's ``progress(step, done, total)`` callbacks, on stderr.

    In a terminal a Rich progress bar; otherwise (``make``, a pipe, a log file) a plain line every
    few seconds for each step that runs longer than 2 s, with counts and rate."""

    def label(step: str) -> str:
        return {"geocode": "placing organisations (geocoding city names, then polygons)",
                "loaded": "files loaded; merging organisation addresses"}.get(step, step)

    if not enabled:
        yield lambda step, done, total: None
        return
    if not err.is_terminal:
        with _Ticker(lambda line: print(line, file=sys.stderr, flush=True)) as ticker:
            yield lambda step, done, total: ticker.update(label(step), done, total)
        return
    bar = Progress(TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=False)
    tasks: dict[str, Any] = {}

    def update(step: str, done: int, total: int) -> None:
        key = "geocode" if step == "geocode" else "load"
        if key not in tasks:
            tasks[key] = bar.add_task("placing organisations" if key == "geocode" else step, total=total or None)
        bar.update(tasks[key], completed=done, total=total or None, description=label(step))

    with bar:
        yield update


def _open(db: Path | None, *, read_only: bool = False) -> Warehouse:
    """The warehouse for writing (migrated on open), or read-only (shared, nothing migrated)."""
    return Warehouse(config.db_path(db), read_only=read_only)


def _table(rows: list[dict[str, Any]], title: str, columns: list[str] | None = None,
           hint: str = "see `rok status --format json`") -> None:
    """A text table that fits the terminal (see rok.cli.output.render)."""
    import pandas as pd

    from rok.cli.output import render

    render(pd.DataFrame(rows, columns=columns), Console(), title=title, hint=hint)


def _print_loads(results: list[LoadResult]) -> None:
    _table([{"load": r.load_id, "file": Path(r.file).name, "kept": r.rows_kept, "rejected": r.rows_rejected,
             "status": "unchanged, skipped" if r.skipped else "loaded", "read": r.rows_read, "source": r.source}
            for r in results], "loads", ["load", "file", "kept", "rejected", "status", "read", "source"])


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
    show_unplaced: bool = typer.Option(False, "--unplaced", help="List unplaced organisations by participations."),
    top: int = typer.Option(50, "--top", help="With --unplaced: how many."),
    set_place: tuple[str, str] | None = typer.Option(None, "--set", help="ORG_ID NUTS3: place an organisation by hand."),
    why: str = typer.Option(None, "--why", help="With --set: the reason, kept with the placement."),
) -> None:
    """Place every organisation in NUTS 2021 (official code, postcode, gazetteer + polygons)."""
    import pandas as pd

    from rok.sources.postcodes import read_postcodes
    from rok.warehouse import manual_placement as manual

    if set_place and set_place[0]:
        with _open(db) as wh:
            done = manual.set_manual_placement(wh, set_place[0], set_place[1], why or "")
        out.print(f"placed {done['org_id']} ({escape(str(done['name']))}) in {done['nuts3']} "
                  f"({escape(str(done['region']))}) by hand", highlight=False)
        return
    if show_unplaced:
        with _open(db) as wh:
            rows = manual.unplaced(wh, top)
        _table([{"org_id": r.org_id, "name": r.name, "city": r.city, "country": r.country,
                 "participations": r.participations, "EC contribution": r.ec_contribution, "reason": r.reason}
                for r in rows.itertuples(index=False)], f"unplaced organisations (first {top})",
               hint="place one by hand: rok locate --set ORG_ID NUTS3 --why TEXT")
        return
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
    rows = []
    for key in ("organisations", "participations", "ec_contribution", "placed_inside_own_country"):
        row = cov[key]
        total = row.get("total", row.get("placed"))
        placed = row.get("placed") if key != "placed_inside_own_country" else row.get("inside")
        rows.append({"": key.replace("_", " "), "total": total, "placed": placed, "share": row["share"]})
    _table(rows, f"placement at NUTS {cov['level']} ({cov['nuts_version']}), {cov['scope']}")
    _table([{"method": str(r["method"]), "organisations": r["organisations"], "participations": r["participations"],
             "EC contribution (EUR)": r["ec_contribution"]} for r in cov["by_method"]], "by method")
    _table([{"country": r["country"], "participations": r["participations"], "placed": r["placed"],
             "share": r["share_participations"], "share of EC contribution": r["share_ec_contribution"]}
            for r in cov["by_country"]], "by country (participations)")


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
    with _open(db, read_only=True) as wh:
        report = status(wh)
    if fmt == "json":
        from rok.cli.output import SCHEMA_VERSION

        # the warehouse's own schema version is `warehouse_schema_version`: `schema_version` is the output's
        report = dict(report, warehouse_schema_version=report.pop("schema_version"))
        doc = {"schema": "rok.status", "schema_version": SCHEMA_VERSION} | report
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    _table([{"table": name, "rows": rows} for name, rows in report["tables"].items()],
           f"warehouse {report['warehouse']} (schema {report['schema_version']})")
    _table([{"load": r["load_id"], "file": Path(r["file"]).name, "kept": r["rows_kept"], "rejected": r["rows_rejected"],
             "status": r["status"], "finished": str(r["finished"])[:16], "read": r["rows_read"], "source": r["source"]}
            for r in report["loads"]], "last loads")
    if report["rejects"]:
        _table([{"load": r["load_id"], "file": Path(r["file"]).name, "line": r["line"], "column": r["column"],
                 "value": str(r["value"]), "reason": r["reason"]} for r in report["rejects"]],
               "rejected rows (first 50)")
    overlap = ", ".join(f"{r['framework']}: {r['both_sources']:,} in the mirror and the official files (merged), "
                        f"{r['mirror_only']:,} mirror only, {r['official_only']:,} official only"
                        for r in report["projects"]["by_framework"])
    out.print(f"projects seen in several sources: {overlap or 'none'}", highlight=False)
    if report["placement"]:
        _print_coverage(report["placement"])
    ind = report["indicators"]
    mapped = ", ".join(f"{r['method']}: {r['rows']:,}" for r in ind["rows_nuts2021_by_method"])
    out.print(f"indicators: {ind['rows']:,} rows; in NUTS 2021: {mapped or 'none'}")
    history = ", ".join(f"{r['old_version']} {r['kind']}: {r['codes']}" for r in ind["nuts_code_history_by_kind"])
    out.print(f"old NUTS codes re-allocated to 2021 (version kind: codes): {history or 'none'}", highlight=False)
    if ind["unmapped_codes"]:
        codes = escape(", ".join(f"{r['region']} ({r['rows']})" for r in ind["unmapped_codes"][:40]))
        out.print(f"[yellow]not mapped to NUTS 2021[/] ({len(ind['unmapped_codes'])} codes; rows): {codes}"
                  + (" ..." if len(ind["unmapped_codes"]) > 40 else ""), highlight=False)
        out.print("  see `rok status --format json` for the reason per code", highlight=False)


@app.command("migrate")
@friendly
def migrate_cmd(db: Path = DbOption) -> None:
    """Upgrade the warehouse to this rok's schema (read-only commands never change it)."""
    path = config.db_path(db)
    if not path.exists():
        from rok.errors import InputError

        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with _open(db) as wh:
        out.print(f"warehouse {path} is at schema version {wh.schema_version()}", highlight=False)


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
from rok.cli import regions as _regions  # noqa: E402
from rok.cli import web as _web  # noqa: E402
from rok.cli import workspace as _workspace  # noqa: E402

_analysis.register(app, friendly)
_analysis.register_profile(app, friendly)
_networks.register(app, friendly)
_cooperation.register(app, friendly)
_cooperation.register_search(app, friendly)
_workspace.register(app, friendly)
_agenda.register(app, friendly)
_regions.register(app, friendly)
_web.register(app, friendly)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
