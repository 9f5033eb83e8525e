"""CLI commands of the research profiles: thin wrappers over :class:`rok.analysis.profiles.Profiles`."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer

from rok import config
from rok.cli import resolve
from rok.cli.output import check_format, emit, format_cell
from rok.errors import InputError

if TYPE_CHECKING:  # imported where used: a command that does not need them starts faster
    from rok.analysis.profiles import Profiles

__all__ = ["register", "parse_years", "compute", "complexity_notes"]

LevelOpt = typer.Option(2, "--level", help="NUTS level: 1, 2 or 3.")
CountingOpt = typer.Option("fractional", "--counting", help="full or fractional (default: fractional).")
MeasureOpt = typer.Option("participations", "--measure", help="participations or funding (EC contribution).")
YearsOpt = typer.Option(None, "--years", help="Project start years FROM-TO, e.g. 2015-2018 (default: all).")
EngineOpt = typer.Option("duckdb", "--engine", help="duckdb (default) or spark (needs rok\\[spark]).")
FormatOpt = typer.Option("text", "--format", help="text, csv or json.")
DbOpt = typer.Option(None, "--db", help="Warehouse file (default: $ROK_DB or ./rok.duckdb).")
FrameworkOpt = typer.Option(None, "--framework", help="FP7, H2020 or HORIZON projects only (default: all).")
TaxonomyOpt = typer.Option(None, "--taxonomy", help="Domain taxonomy, e.g. euroscivoc-2, h2020-theme, h2020-part "
                           "(default: the best loaded knowledge taxonomy with placed participations, else h2020-part; "
                           "the choice is stated).")
MinMassOpt = typer.Option(None, "--min-mass", help="Participations (full count) a region needs in a domain to "
                          "count as specialised (default: 5, rok.measures.MIN_MASS; 0: RCA alone).")

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
            taxonomy: str | None = None, min_mass: float | None = None, framework: str | None = None) -> Profiles:
    """Open the engine on the warehouse and compute the profiles of the selection (taxonomy None:
    the default taxonomy of :func:`rok.measures.taxonomies.default_selection`)."""
    from rok.analysis.profiles import Profiles
    from rok.measures import MIN_MASS, open_engine
    from rok.measures.taxonomies import default_selection

    fields = dict(level=level, measure=measure, counting=counting, years=parse_years(years), taxonomy=taxonomy,
                  min_mass=MIN_MASS if min_mass is None else min_mass, framework=framework)
    path = config.db_path(db)
    if not Path(path).exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with open_engine(engine, path) as running:
        sel = default_selection(running, **fields)
        resolve.lookup(db).check_selection(sel.years, sel.taxonomy)
        return Profiles.compute(running, sel)


def _notes(p: Profiles, *, analysis: str | None = None, **extra: Any) -> dict[str, Any]:
    """The selection, the coverage, what was left out and, for ``analysis``, the advice caveat."""
    cov = p.coverage
    notes = {"selection": p.selection.describe(), "engine": p.engine,
             "participations counted": f"{cov.get('counted', 0):,} of {cov.get('participations', 0):,} "
                                       "(placed at the level, with a domain, in the period)"}
    if p.notes:
        notes["left out"] = "; ".join(p.notes)
    caveat = p.caveat(analysis) if analysis else None
    if caveat:
        notes["not advice"] = caveat
    notes.update(extra)
    return notes


def complexity_notes(p: Profiles, result: Any = None) -> dict[str, Any]:
    """Diagnostics of the ECI (nestedness, Spearman with diversity, eigen-gap) and the taxonomy's
    kind, as flat notes for text, CSV (stderr) and JSON outputs."""
    notes: dict[str, Any] = {"taxonomy kind": p.kind}
    d = (result or p.complexity).diagnostics
    if d is not None:
        values = d.as_dict()
        notes.update({
            "nodf (0-100)": values["nodf"], "nodf regions": values["nodf_rows"],
            "nodf domains": values["nodf_columns"], "fill": values["fill"],
            "spearman eci~diversity": values["spearman_diversity"], "eigenvalue 2": values["eigenvalue_2"],
            "eigenvalue 3": values["eigenvalue_3"], "eigen-gap (l2-l3)/l2": values["eigen_gap"],
            **({"nodf null mean": values["nodf_null_mean"], "nodf z": values["nodf_z"]}
               if values["nodf_z"] is not None else {}),
            "meaningful": values["meaningful"],
            "warnings": "; ".join(d.warnings) if d.warnings else "none",
        })
    if p.advice:
        notes["not advice"] = p.advice
    return notes


def register(app: typer.Typer, friendly: Any) -> None:
    """Add the profile commands to ``app`` (``friendly`` turns errors into messages)."""

    @app.command("specialisation")
    @friendly
    def specialisation_cmd(region: str = typer.Option(None, "--region", help="One region only (a code or a name)."),
                           level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                           years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                           taxonomy: str = TaxonomyOpt, framework: str = FrameworkOpt) -> None:
        """Activity, share and RCA (location quotient) of every region in every domain."""
        check_format(fmt)
        region = resolve.region(region, db, level)
        p = compute(level, counting, measure, years, engine, db, taxonomy, framework=framework)
        table = p.specialisation_table()
        if region:
            table = table[table["region"] == p.check_region(region)].sort_values("rca", ascending=False)
        emit(table, fmt, schema="specialisation", names=resolve.lookup(db), title="specialisation (RCA = 1: the European average)",
             notes=_notes(p, formula="RCA[r,d] = (x[r,d]/x[r,.]) / (x[.,d]/x[.,.]) (Balassa 1965)"), limit=60)

    @app.command("relatedness")
    @friendly
    def relatedness_cmd(method: str = typer.Option("proximity", "--method", help="proximity, association or cosine."),
                        level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                        years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                        taxonomy: str = TaxonomyOpt, framework: str = FrameworkOpt) -> None:
        """Relatedness between domains from their co-specialisation across regions."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db, taxonomy, framework=framework)
        matrix = p.relatedness(method)
        long = matrix.rename_axis(index="domain_i", columns="domain_j").stack().rename(method).reset_index()
        long = long[long["domain_i"] < long["domain_j"]].sort_values(method, ascending=False)  # each pair once
        emit(long, fmt, schema="relatedness", names=resolve.lookup(db), title=f"relatedness between domains ({method})",
             notes=_notes(p, analysis="relatedness"), limit=40)

    @app.command("density")
    @friendly
    def density_cmd(region: str = typer.Option(None, "--region", help="One region only (a code or a name)."),
                    level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                    years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                    taxonomy: str = TaxonomyOpt, framework: str = FrameworkOpt) -> None:
        """Relatedness density of every region around every domain (0-100)."""
        check_format(fmt)
        region = resolve.region(region, db, level)
        p = compute(level, counting, measure, years, engine, db, taxonomy, framework=framework)
        table = p.density_table()
        if region:
            table = table[table["region"] == p.check_region(region)].sort_values("density", ascending=False)
        emit(table, fmt, schema="density", names=resolve.lookup(db), title="relatedness density",
             notes=_notes(p, analysis="density", formula="RD[r,d] = 100 sum_j phi[d,j] M[r,j] / sum_j phi[d,j] (Balland et al. 2019)"),
             limit=60)

    @app.command("complexity")
    @friendly
    def complexity_cmd(domains: bool = typer.Option(False, "--domains", help="Domain complexity (PCI) instead of regions (ECI)."),
                       method: str = typer.Option("eigenvector", "--method", help="eigenvector or reflections."),
                       level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                       years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                       taxonomy: str = TaxonomyOpt, min_mass: float = MinMassOpt, framework: str = FrameworkOpt,
                       nodf_null: int = typer.Option(0, "--nodf-null", help="Also compare NODF with N random "
                                                     "matrices of the same diversities and ubiquities (e.g. 99).")
                       ) -> None:
        """Knowledge complexity of regions (ECI) or domains (PCI), with diagnostics of its meaning."""
        check_format(fmt)
        if method not in ("eigenvector", "reflections"):
            raise InputError("unknown complexity method; expected eigenvector or reflections", value=method)
        p = compute(level, counting, measure, years, engine, db, taxonomy, min_mass, framework)
        emit(p.complexity_table(domains, method, nodf_null), fmt,
             schema="complexity.domains" if domains else "complexity", names=resolve.lookup(db), title=f"knowledge complexity ({method})",
             notes=_notes(p, analysis="complexity", method=f"{method} (Hidalgo & Hausmann 2009); sign: ECI correlates "
                          "positively with diversity", dropped=p.dropped,
                          **complexity_notes(p, p.complexity_result(method, nodf_null))), limit=60)

    @app.command("performance")
    @friendly
    def performance_cmd(region: str = typer.Option(None, "--region", help="One region: each indicator's contribution."),
                        reference: str = typer.Option("eu27", "--reference",
                                                      help="eu27 (default), all, or country codes, e.g. DE,FR."),
                        window: int = typer.Option(4, "--window", help="Years per indicator, back from its latest year (default 4)."),
                        min_indicators: int = typer.Option(None, "--min-indicators",
                                                           help="Fewer indicators: insufficient data (default 6 of 8)."),
                        level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                        years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Research performance index and group of every NUTS 2 region (after the RIS; EU-27 = 100)."""
        check_format(fmt)
        p = compute(level, counting, measure, years, engine, db)
        p.performance_table()  # NUTS 2 only: a clear message otherwise
        if (reference, window, min_indicators) != ("eu27", 4, None):
            from rok.analysis.performance import performance_of_selection

            p.replace_analysis("performance", performance_of_selection(
                p.indicators, p.actors, p.activity.index, reference=reference, window=window,
                min_indicators=min_indicators))
        result = p.performance
        assert result is not None
        from rok.analysis.performance import INSUFFICIENT

        notes = _notes(p, reference=f"{result.reference} aggregate = 100",
                       groups="leader > 125, strong 100-125, moderate 70-100, emerging < 70; +/- = top/bottom third "
                              "of the group's range (" + ", ".join(f"{g} {a:.1f}/{b:.1f}" for g, (a, b) in result.cuts.items()) + ")",
                       min_indicators=f"{result.min_indicators} (fewer: {INSUFFICIENT})",
                       indicator_years="; ".join(f"{k} {r.first_year}-{r.latest_year}" for k, r in result.indicators.iterrows()
                                                 if r.latest_year is not None and not pd.isna(r.latest_year)),
                       dropped_indicators=result.dropped or "none")
        if region:
            code = p.check_region(resolve.region(region, db, 2))
            row = result.table.loc[code] if code in result.table.index else None
            own = result.contributions[result.contributions["region"] == code].drop(columns="region")
            own.insert(1, "label", own["indicator"].map(result.indicators["label"]))
            if row is not None:
                notes = {"index": format_cell(row["index"]), "group": row["subgroup"] or row["group"], **notes}
            emit(own.reset_index(drop=True), fmt, schema="performance.region", names=resolve.lookup(db), title=f"{code} {p.region_name(code)}: performance by indicator "
                 "(points add up to the index)", notes=notes)
            return
        table = p.performance_table().sort_values("index", ascending=False)
        if fmt != "text":  # every indicator's score and share of the index, for JSON and CSV
            for what in ("score", "share"):
                wide = result.contributions.pivot(index="region", columns="indicator", values=what)
                table = table.join(wide.add_prefix(f"{what}_"), on="region")
        emit(table, fmt, schema="performance", names=resolve.lookup(db), title=f"research performance index ({result.reference} = 100)", notes=notes, limit=60)

    @app.command("clusters")
    @friendly
    def clusters_cmd(region: str = typer.Option(None, "--region", help="One region only (a code or a name)."),
                     min_stars: int = typer.Option(1, "--min-stars", help="Show cells with at least this many stars."),
                     level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                     years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                     taxonomy: str = TaxonomyOpt, framework: str = FrameworkOpt) -> None:
        """Research-driven cluster stars (size, specialisation LQ >= 2, focus)."""
        check_format(fmt)
        region = resolve.region(region, db, level)
        p = compute(level, counting, measure, years, engine, db, taxonomy, framework=framework)
        table = p.stars[p.stars["stars"] >= min_stars]
        if region:
            table = table[table["region"] == p.check_region(region)]
        emit(table.reset_index(drop=True), fmt, schema="clusters", names=resolve.lookup(db), title="cluster stars (after the European Cluster Observatory)",
             notes=_notes(p), limit=60)

    @app.command("peers")
    @friendly
    def peers_cmd(region: str = typer.Argument(..., help="A NUTS 2 region: a code or a name, e.g. DE21 or Oberbayern."),
                  k: int = typer.Option(10, "--k", help="How many peers."),
                  exclude_country: bool = typer.Option(False, "--exclude-country", help="Only regions of other countries."),
                  engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Peer regions by structural similarity (S3 Regional Benchmarking, Navarro et al. 2014)."""
        check_format(fmt)
        region = resolve.lookup(db).region(region, 2, fixed=True)
        p = compute(2, "fractional", "participations", None, engine, db)
        emit(p.peers_of(region, k=k, exclude_country=exclude_country), fmt, schema="peers", names=resolve.lookup(db),
             title=f"structural peers of {region.upper()} {p.region_name(region.upper())}", notes=_notes(p))


def register_profile(app: typer.Typer, friendly: Any) -> None:
    """Add ``rok profile`` to ``app``."""

    @app.command("profile")
    @friendly
    def profile_cmd(region: str = typer.Argument(None, help="A region: a code or a name, e.g. DE21 or Oberbayern (omit with --all)."),
                    html: Path = typer.Option(None, "--html", help="Write the profile as a self-contained HTML file."),
                    all_regions: bool = typer.Option(False, "--all", help="Write profiles of all regions and an index page."),
                    out: Path = typer.Option(Path("out"), "--out", help="Directory for --all (default: out/)."),
                    level: int = LevelOpt, counting: str = CountingOpt, measure: str = MeasureOpt,
                    years: str = YearsOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt,
                    taxonomy: str = TaxonomyOpt, min_mass: float = MinMassOpt) -> None:
        """A region's research profile: where it stands, its strengths, related opportunities, its peers."""
        from rok.report.profile import load_shapes, region_page, write_profiles

        check_format(fmt)
        if not region and not all_regions:
            raise InputError("give a region code or name (e.g. rok profile DE21) or --all")
        region = resolve.region(region, db, level)
        from rok.cli.main import progress_bar

        if all_regions and (level, counting, measure, years, engine, taxonomy, min_mass) == (
                2, "fractional", "participations", None, "duckdb", None, None):
            from rok.web.static_site import write_site  # the web platform's pages, as files

            with progress_bar() as progress:
                written = write_site(config.db_path(db), out, progress=progress)
            typer.echo(f"wrote {len(written) - 1} region profiles, {written[0]} and {Path(out) / 'network.html'} "
                       "(open them in a browser)")
            return

        with progress_bar(enabled=all_regions) as progress:
            progress("computing profiles", 0, 0)
            p = compute(level, counting, measure, years, engine, db, taxonomy, min_mass)
            path = config.db_path(db)
            networks = None
            if all_regions or html:
                from rok.analysis.network_profiles import Networks
                from rok.measures import open_engine

                progress("computing the region network", 0, 0)
                with open_engine(engine, path) as running:
                    networks = Networks.compute(running, replace(p.selection, measure="participations"),
                                                organisations=False)
            if all_regions:
                written = write_profiles(p, path, out, networks=networks, progress=progress)
                if networks is not None:
                    from rok.report.network import region_network_page

                    progress("writing the network page", 0, 0)
                    (Path(out) / "network.html").write_text(region_network_page(networks, path), encoding="utf-8")
        if all_regions:
            typer.echo(f"wrote {len(written) - 1} region profiles, {written[0]} and {Path(out) / 'network.html'} "
                       "(open them in a browser)")
            return
        code = p.check_region(region)
        if html:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(region_page(p, code, load_shapes(path, level), networks), encoding="utf-8")
            typer.echo(f"wrote {html}")
            return
        placement, city = _placement_notes(path, code)
        emit(_profile_rows(p, code), fmt, schema="profile", names=resolve.lookup(db), title=f"{code} {p.region_name(code)}: research profile",
             notes=_notes(p, value="RCA (specialisation), stars (cluster stars), relatedness density 0-100 "
                                   "(related opportunities), structural distance (peer regions)",
                          **({"placement": placement[0]} if placement else {}),
                          **({"city_placement": city} if city else {})))
        from rok.cli.main import err

        if placement and placement[1]:
            err.print(f"[yellow]warning:[/] {code}'s counts are likelier to be understated than most regions': "
                      f"{placement[0]}", highlight=False)
        if city:
            err.print(f"[yellow]warning:[/] {city}", highlight=False)


def _placement_notes(path: Path, code: str) -> tuple[tuple[str, bool] | None, str | None]:
    """The region's two placement caveats, read in one opening of the warehouse: the placed share
    of its country (:func:`_placement_note`) and the cities it shares with other regions whose
    organisations are placed by the city name alone (:func:`rok.warehouse.city_spread.city_note`)."""
    from rok.warehouse import Warehouse
    from rok.warehouse.city_spread import city_note, city_placed
    from rok.warehouse.manual_placement import country_placed_shares

    with Warehouse(path, read_only=True) as wh:
        shares = country_placed_shares(wh).set_index("country")
        city = city_note(city_placed(wh, code), code)
    return _placement_note(shares, code), city


def _placement_note(shares: pd.DataFrame, code: str) -> tuple[str, bool] | None:
    """The placed share of the region's country, and whether it is below Europe's.

    An organisation without an address cannot be attributed to any region of its country, so
    a region's own placed share is not observable (proportional attribution gives every region
    its country's share): the profile states the country's share and warns when it is below the
    share over all countries (``shares``: :func:`rok.warehouse.manual_placement.country_placed_shares`
    indexed by country).
    """
    country = code[:2]
    if country not in shares.index or not shares.loc[country, "participations"]:
        return None
    own = float(shares.loc[country, "share"])
    europe = float(shares["placed"].sum() / shares["participations"].sum())
    below = own < europe
    return (f"{own:.1%} of {country}'s participations are placed in a region ({europe:.1%} over all "
            f"countries); the unplaced ones (organisations without an address) belong to no region, so "
            f"{code}'s counts may be understated by up to {1 - own:.0%}"
            + (", more than the average country's (`rok locate --unplaced`)" if below else ""), below)


def _profile_rows(p: Profiles, code: str) -> Any:
    """The profile as rows ``section, item, item_name, value, detail``: ``value`` a number where the
    item has one, ``detail`` the text (a group, a list, a quadrant, a peer's distance).

    A section whose analysis is not available (it failed, does not apply to the selection, or
    is not advice on this taxonomy) is one row: item ``not available``, the reason in ``detail``.
    """
    import pandas as pd

    rows: list[_Row] = [("region", "name", "", None, p.region_name(code))]
    rows += _section(p, "performance", "performance", lambda: _performance_rows(p, code))
    rows += _section(p, "critical_mass", "critical mass", lambda: _mass_rows(p, code))
    spec = p.specialisation_table()
    for r in spec[spec["region"] == code].sort_values("rca", ascending=False).itertuples():
        rows.append(("specialisation (RCA)", str(r.domain), p.domain_name(str(r.domain)), float(r.rca), ""))
    rows += _section(p, "complexity", "complexity", lambda: [
        ("complexity", "ECI", "", float(p.complexity.eci[code]), "")] if code in p.complexity.eci.index else [])
    rows += _section(p, "clusters", "cluster stars", lambda: [
        ("cluster stars", str(r.domain), p.domain_name(str(r.domain)), float(r.stars), str(r.which))
        for r in p.stars[(p.stars["region"] == code) & (p.stars["stars"] > 0)].itertuples()])
    rows += _section(p, "quadrant", "related opportunities", lambda: [
        ("related opportunities", str(r.domain), p.domain_name(str(r.domain)), float(r.density),
         f"{r.quadrant} (PCI {r.pci:.2f})") for r in p.quadrant[p.quadrant["region"] == code].itertuples()])
    rows += _section(p, "peers", "peer regions", lambda: [
        ("peer regions", str(r.peer), str(r.name), float(r.distance), f"rank {r.rank}")
        for r in p.peers_of(code, k=5).itertuples()] if p.features is not None and code in p.features.index else [])
    return pd.DataFrame(rows, columns=["section", "item", "item_name", "value", "detail"])


_Row = tuple[str, str, str, float | None, str]


def _section(p: Profiles, analysis: str, section: str, rows: Callable[[], list[_Row]]) -> list[_Row]:
    """``rows()`` when ``analysis`` is available, else the stated gap."""
    ok, why = p.available(analysis)
    return rows() if ok else [(section, "not available", "", None, why)]


def _performance_rows(p: Profiles, code: str) -> list[_Row]:
    if p.performance is None or code not in p.performance.table.index:
        return []
    row = p.performance.table.loc[code]
    return [("performance", "group", "", None, str(row["group"])),
            ("performance", "subgroup", "", None, str(row.get("subgroup") or row["group"])),
            ("performance", "index", "", float(row["index"]), ""),
            ("performance", "indicators used", "", None, " ".join(row["used"])),
            ("performance", "indicators missing", "", None, " ".join(row["missing"]))]


def _mass_rows(p: Profiles, code: str) -> list[_Row]:
    if code not in p.critical_mass.index:
        return []
    rows: list[_Row] = []
    for k, v in p.critical_mass.loc[code].items():
        number = isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v and not str(k).endswith("_year")
        rows.append(("critical mass", str(k), "", float(v) if number else None, "" if number else str(v)))
    return rows
