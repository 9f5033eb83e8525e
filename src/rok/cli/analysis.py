"""CLI commands of the research profiles: thin wrappers over :class:`rok.analysis.profiles.Profiles`."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from rok import config
from rok.analysis.performance import INSUFFICIENT
from rok.analysis.profiles import Profiles
from rok.cli.output import check_format, emit, format_cell
from rok.errors import InputError
from rok.measures import Selection, open_engine

__all__ = ["register", "parse_years", "compute"]

LevelOpt = typer.Option(2, "--level", help="NUTS level: 1, 2 or 3.")
CountingOpt = typer.Option("fractional", "--counting", help="full or fractional (default: fractional).")
MeasureOpt = typer.Option("participations", "--measure", help="participations or funding (EC contribution).")
YearsOpt = typer.Option(None, "--years", help="Project start years FROM-TO, e.g. 2015-2018 (default: all).")
EngineOpt = typer.Option("duckdb", "--engine", help="duckdb (default) or spark (needs rok[spark]).")
FormatOpt = typer.Option("text", "--format", help="text, csv or json.")
DbOpt = typer.Option(None, "--db", help="Warehouse file (default: $ROK_DB or ./rok.duckdb).")
TaxonomyOpt = typer.Option("h2020-part", "--taxonomy", help="Domain taxonomy (default: h2020-part, the programme parts).")

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")


def parse_years(text: str | None) -> tuple[int, int] | None:
    """``2015-2018`` -> (2015, 2018); ``2016`` -> (2016, 2016); None -> None."""
    if text is None:
        return None
    found = _YEARS.match(text)
    if not found:
        raise InputError("expected --years FROM-TO, e.g. 2015-2018", column="--years", value=text)
    start = int(found.group(1))
    return start, int(found.group(2) or start)


def compute(level: int, counting: str, measure: str, years: str | None, engine: str, db: Path | None,
            taxonomy: str = "h2020-part") -> Profiles:
    """Open the engine on the warehouse and compute the profiles of the selection."""
    sel = Selection(level=level, measure=measure, counting=counting, years=parse_years(years), taxonomy=taxonomy)
    path = config.db_path(db)
    if not Path(path).exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with open_engine(engine, path) as running:
        return Profiles.compute(running, sel)


def _notes(p: Profiles, **extra: Any) -> dict[str, Any]:
    cov = p.coverage
    notes = {"selection": p.selection.describe(), "engine": p.engine,
             "participations counted": f"{cov.get('counted', 0):,} of {cov.get('participations', 0):,} "
                                       "(placed at the level, with a domain, in the period)"}
    notes.update(extra)
    return notes


def register(app: typer.Typer, friendly: Any) -> None:
    """Add the profile commands to ``app`` (``friendly`` turns errors into messages)."""

    @app.command("specialisation")
    @friendly
    def specialisation_cmd(region: str = typer.Option(None, "--region", help="One region only."),
                           level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                           years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                           taxonomy: str = TaxonomyOpt) -> None:
        """Activity, share and RCA (location quotient) of every region in every domain."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db, taxonomy)
        table = p.specialisation_table()
        if region:
            table = table[table["region"] == p.check_region(region)].sort_values("rca", ascending=False)
        emit(table, fmt, title="specialisation (RCA = 1: the European average)",
             notes=_notes(p, formula="RCA[r,d] = (x[r,d]/x[r,.]) / (x[.,d]/x[.,.]) (Balassa 1965)"), limit=60)

    @app.command("relatedness")
    @friendly
    def relatedness_cmd(method: str = typer.Option("proximity", "--method", help="proximity, association or cosine."),
                        level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                        years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                        taxonomy: str = TaxonomyOpt) -> None:
        """Relatedness between domains from their co-specialisation across regions."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db, taxonomy)
        matrix = p.relatedness(method)
        long = matrix.rename_axis(index="domain_i", columns="domain_j").stack().rename(method).reset_index()
        long = long[long["domain_i"] < long["domain_j"]].sort_values(method, ascending=False)  # each pair once
        emit(long, fmt, title=f"relatedness between domains ({method})", notes=_notes(p), limit=40)

    @app.command("density")
    @friendly
    def density_cmd(region: str = typer.Option(None, "--region", help="One region only."),
                    level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                    years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                    taxonomy: str = TaxonomyOpt) -> None:
        """Relatedness density of every region around every domain (0-100)."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db, taxonomy)
        table = p.density_table()
        if region:
            table = table[table["region"] == p.check_region(region)].sort_values("density", ascending=False)
        emit(table, fmt, title="relatedness density",
             notes=_notes(p, formula="RD[r,d] = 100 sum_j phi[d,j] M[r,j] / sum_j phi[d,j] (Balland et al. 2019)"),
             limit=60)

    @app.command("complexity")
    @friendly
    def complexity_cmd(domains: bool = typer.Option(False, "--domains", help="Domain complexity (PCI) instead of regions (ECI)."),
                       method: str = typer.Option("eigenvector", "--method", help="eigenvector or reflections."),
                       level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                       years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                       taxonomy: str = TaxonomyOpt) -> None:
        """Knowledge complexity of regions (ECI) or domains (PCI)."""
        check_format(fmt)
        if method not in ("eigenvector", "reflections"):
            raise InputError("unknown complexity method; expected eigenvector or reflections", value=method)
        p = compute(level, counting, measure, years, engine, db, taxonomy)
        if method == "reflections":
            from rok.analysis.complexity import complexity

            p.complexity = complexity(p.specialised, method="reflections")
        emit(p.complexity_table(domains), fmt, title=f"knowledge complexity ({method})",
             notes=_notes(p, method=f"{method} (Hidalgo & Hausmann 2009); sign: ECI correlates positively with "
                                    "diversity", dropped=p.dropped), limit=60)

    @app.command("performance")
    @friendly
    def performance_cmd(region: str = typer.Option(None, "--region", help="One region: each indicator's contribution."),
                        reference: str = typer.Option("eu27", "--reference",
                                                      help="eu27 (default), all, or country codes, e.g. DE,FR."),
                        window: int = typer.Option(3, "--window", help="Years per indicator, back from its latest year."),
                        min_indicators: int = typer.Option(None, "--min-indicators",
                                                           help="Fewer indicators: insufficient data (default 6 of 8)."),
                        level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                        years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Research performance index and group of every NUTS 2 region (after the RIS; EU-27 = 100)."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db)
        p.performance_table()  # NUTS 2 only: a clear message otherwise
        if (reference, window, min_indicators) != ("eu27", 3, None):
            from rok.analysis.performance import performance_of_selection

            with open_engine(engine, config.db_path(db)) as running:
                indicators = running.execute(running.table("indicators_nuts2021"))
            p.performance = performance_of_selection(indicators, p.actors, p.activity.index, reference=reference,
                                                     window=window, min_indicators=min_indicators)
        result = p.performance
        assert result is not None
        notes = _notes(p, reference=f"{result.reference} aggregate = 100",
                       groups="leader > 125, strong 100-125, moderate 70-100, emerging < 70; +/- = top/bottom third "
                              "of the group's range (" + ", ".join(f"{g} {a:.1f}/{b:.1f}" for g, (a, b) in result.cuts.items()) + ")",
                       min_indicators=f"{result.min_indicators} (fewer: {INSUFFICIENT})",
                       indicator_years="; ".join(f"{k} {r.first_year}-{r.latest_year}" for k, r in result.indicators.iterrows()
                                                 if r.latest_year is not None and not pd.isna(r.latest_year)),
                       dropped_indicators=result.dropped or "none")
        if region:
            code = p.check_region(region)
            row = result.table.loc[code] if code in result.table.index else None
            own = result.contributions[result.contributions["region"] == code].drop(columns="region")
            own.insert(1, "label", own["indicator"].map(result.indicators["label"]))
            if row is not None:
                notes = {"index": format_cell(row["index"]), "group": row["subgroup"] or row["group"], **notes}
            emit(own.reset_index(drop=True), fmt, title=f"{code} {p.region_name(code)}: performance by indicator "
                 "(points add up to the index)", notes=notes)
            return
        table = p.performance_table().sort_values("index", ascending=False)
        if fmt != "text":  # every indicator's score and share of the index, for JSON and CSV
            for what in ("score", "share"):
                wide = result.contributions.pivot(index="region", columns="indicator", values=what)
                table = table.join(wide.add_prefix(f"{what}_"), on="region")
        emit(table, fmt, title=f"research performance index ({result.reference} = 100)", notes=notes, limit=60)

    @app.command("clusters")
    @friendly
    def clusters_cmd(region: str = typer.Option(None, "--region", help="One region only."),
                     min_stars: int = typer.Option(1, "--min-stars", help="Show cells with at least this many stars."),
                     level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                     years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                     taxonomy: str = TaxonomyOpt) -> None:
        """Research-driven cluster stars (size, specialisation LQ >= 2, focus)."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db, taxonomy)
        table = p.stars[p.stars["stars"] >= min_stars]
        if region:
            table = table[table["region"] == p.check_region(region)]
        emit(table.reset_index(drop=True), fmt, title="cluster stars (after the European Cluster Observatory)",
             notes=_notes(p), limit=60)

    @app.command("peers")
    @friendly
    def peers_cmd(region: str = typer.Argument(..., help="A NUTS 2 code, e.g. DE21."),
                  k: int = typer.Option(10, "--k", help="How many peers."),
                  exclude_country: bool = typer.Option(False, "--exclude-country", help="Only regions of other countries."),
                  engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Peer regions by structural similarity (S3 Regional Benchmarking, Navarro et al. 2014)."""
        check_format(fmt)
        p = compute(2, "fractional", "participations", None, engine, db)
        emit(p.peers_of(region, k=k, exclude_country=exclude_country), fmt,
             title=f"structural peers of {region.upper()} {p.region_name(region.upper())}", notes=_notes(p))


def register_profile(app: typer.Typer, friendly: Any) -> None:
    """Add ``rok profile`` to ``app``."""

    @app.command("profile")
    @friendly
    def profile_cmd(region: str = typer.Argument(None, help="A region code, e.g. DE21 (omit with --all)."),
                    html: Path = typer.Option(None, "--html", help="Write the profile as a self-contained HTML file."),
                    all_regions: bool = typer.Option(False, "--all", help="Write profiles of all regions and an index page."),
                    out: Path = typer.Option(Path("out"), "--out", help="Directory for --all (default: out/)."),
                    level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                    years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """A region's research profile: where it stands, its strengths, related opportunities, its peers."""
        from rok.report.profile import load_shapes, region_page, write_profiles

        check_format(fmt)
        if not region and not all_regions:
            raise InputError("give a region code (e.g. rok profile DE21) or --all")
        p = compute(level, counting, measure, years, engine, db)
        path = config.db_path(db)
        networks = None
        if all_regions and (level, counting, measure, years, engine) == (2, "fractional", "participations", None,
                                                                         "duckdb"):
            from rok.web.static_site import write_site  # the web platform's pages, as files

            written = write_site(path, out)
            typer.echo(f"wrote {len(written) - 1} region profiles, {written[0]} and {Path(out) / 'network.html'} "
                       "(open them in a browser)")
            return
        if all_regions or html:
            from rok.analysis.network_profiles import Networks

            with open_engine(engine, path) as running:
                networks = Networks.compute(running, replace(p.selection, measure="participations"),
                                            organisations=False)
        if all_regions:
            written = write_profiles(p, path, out, networks=networks)
            if networks is not None:
                from rok.report.network import region_network_page

                (Path(out) / "network.html").write_text(region_network_page(networks, path), encoding="utf-8")
            typer.echo(f"wrote {len(written) - 1} region profiles, {written[0]} and {Path(out) / 'network.html'} "
                       "(open them in a browser)")
            return
        code = p.check_region(region)
        if html:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(region_page(p, code, load_shapes(path, level), networks), encoding="utf-8")
            typer.echo(f"wrote {html}")
            return
        emit(_profile_rows(p, code), fmt, title=f"{code} {p.region_name(code)}: research profile", notes=_notes(p))


def _profile_rows(p: Profiles, code: str) -> Any:
    """The profile as (section, item, value) rows, for text, CSV and JSON."""
    import pandas as pd

    rows: list[tuple[str, str, Any]] = [("region", "name", p.region_name(code))]
    if p.performance is not None and code in p.performance.table.index:
        row = p.performance.table.loc[code]
        rows += [("performance", "group", row["group"]), ("performance", "index", row["index"]),
                 ("performance", "indicators used", " ".join(row["used"])),
                 ("performance", "indicators missing", " ".join(row["missing"]))]
    if code in p.critical_mass.index:
        rows += [("critical mass", str(k), v) for k, v in p.critical_mass.loc[code].items()]
    spec = p.specialisation_table()
    for r in spec[spec["region"] == code].sort_values("rca", ascending=False).itertuples():
        rows.append(("specialisation (RCA)", str(r.domain), float(r.rca)))
    if code in p.complexity.eci.index:
        rows.append(("complexity", "ECI", float(p.complexity.eci[code])))
    for r in p.stars[(p.stars["region"] == code) & (p.stars["stars"] > 0)].itertuples():
        rows.append(("cluster stars", str(r.domain), f"{r.stars} ({r.which})"))
    for r in p.quadrant[p.quadrant["region"] == code].itertuples():
        rows.append(("related opportunities", str(r.domain), f"{r.quadrant}; density {r.density:.1f}, PCI {r.pci:.2f}"))
    if p.features is not None and code in p.features.index:
        for r in p.peers_of(code, k=5).itertuples():
            rows.append(("peer regions", f"{r.rank}", f"{r.peer} {r.name} (distance {r.distance:.2f})"))
    frame = pd.DataFrame(rows, columns=["section", "item", "value"])
    frame["value"] = [format_cell(v) for v in frame["value"]]
    return frame
