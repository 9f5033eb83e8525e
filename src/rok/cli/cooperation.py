"""CLI commands of the cooperation engine: mentoring (and the searches of complementarity)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import typer

from rok import config
from rok.cli import resolve
from rok.cli.analysis import DbOpt, EngineOpt, FormatOpt, compute
from rok.cli.output import check_format, emit
from rok.errors import InputError

__all__ = ["register", "read_codes"]

ELIGIBILITY = ("a mentor's main performance group (leader > strong > moderate > emerging; + and - subgroups count as "
               "their group) strictly above its mentee's; regions without a group (insufficient data) not eligible")


def read_codes(path: Path) -> list[str]:
    """Region codes from a file: one per line, or a CSV with a ``region`` column (``#`` comments)."""
    if not path.exists():
        raise InputError("file not found", file=str(path))
    text = path.read_text(encoding="utf-8-sig")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if lines and "," in lines[0]:
        reader = csv.DictReader(lines)
        if "region" not in (reader.fieldnames or []):
            raise InputError("a CSV list needs a 'region' column", file=str(path), line=1, value=lines[0])
        return [row["region"].strip() for row in reader if row["region"].strip()]
    return [line.split()[0] for line in lines]


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """Excluded (mentee, mentor) pairs: CSV with columns mentee, mentor."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"mentee", "mentor"} <= set(reader.fieldnames or []):
            raise InputError("expected columns mentee, mentor", file=str(path), line=1)
        return [(row["mentee"].strip().upper(), row["mentor"].strip().upper()) for row in reader]


def register(app: typer.Typer, friendly: Any) -> None:
    """Add the cooperation commands to ``app``."""

    @app.command("mentoring")
    @friendly
    def mentoring_cmd(mentees: Path = typer.Option(None, "--mentees", help="Mentee regions (one code a line, or CSV with 'region')."),
                      mentors: Path = typer.Option(None, "--mentors", help="Mentor regions (same format)."),
                      capacity: int = typer.Option(None, "--capacity", help="Mentees per mentor (default: the fewest that fit)."),
                      same_country_allowed: bool = typer.Option(False, "--same-country-allowed",
                                                                help="Allow a mentor in the mentee's own country."),
                      exclude: Path = typer.Option(None, "--exclude", help="CSV of excluded pairs (mentee, mentor)."),
                      html: Path = typer.Option(None, "--html", help="Write the programme as an HTML page with a map."),
                      years: str = typer.Option(None, "--years", help="Project start years FROM-TO."),
                      engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """An optimal mentoring assignment: mentees from the lower performance groups, mentors from the higher."""
        from rok.cooperation.mentoring import mentoring_programme
        from rok.measures import Selection, open_engine
        from rok.measures.networks import region_edges

        check_format(fmt)
        if capacity is not None and capacity < 1:
            raise InputError("--capacity must be at least 1", value=capacity)
        p = compute(2, "fractional", "participations", years, engine, db)
        with open_engine(engine, config.db_path(db)) as running:
            ties = region_edges(running, Selection(level=2, years=p.selection.years))
        excluded = read_pairs(exclude) if exclude else []
        pairs = mentoring_programme(p, mentees=read_codes(mentees) if mentees else None,
                                    mentors=read_codes(mentors) if mentors else None, capacity=capacity,
                                    transnational=not same_country_allowed, exclusions=excluded, ties=ties)
        settings = (f"capacity {capacity or 'automatic'}, "
                    f"{'mentors in other countries only' if not same_country_allowed else 'same country allowed'}"
                    + (f", {len(excluded)} excluded pairs" if exclude else ""))
        if html:
            import duckdb

            from rok.report.mentoring import mentoring_page

            with duckdb.connect(str(config.db_path(db)), read_only=True) as con:
                positions = con.execute("SELECT code AS region, lon, lat FROM regions WHERE nuts_version = 2021 "
                                        "AND level = 2").df()
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(mentoring_page(pairs, positions, config.db_path(db), 2, settings), encoding="utf-8")
            typer.echo(f"wrote {html}", err=True)
        shown = pairs if fmt != "text" else pairs[["mentee", "mentee_name", "mentee_group", "mentee_index", "mentor",
                                                  "mentor_name", "mentor_group", "mentor_index", "score",
                                                  "domains_to_work_on", "existing_ties"]]
        emit(shown, fmt, schema="mentoring", names=resolve.lookup(db),
             title="mentoring programme (all reasons: --format csv or json, or --html)",
             notes={"settings": settings, "eligibility": ELIGIBILITY, "selection": p.selection.describe()}, limit=60)


def register_search(app: typer.Typer, friendly: Any) -> None:
    """Add ``complementarity``, ``untapped`` and ``partners`` to ``app``."""

    @app.command("complementarity")
    @friendly
    def complementarity_cmd(region: str = typer.Argument(..., help="A NUTS 2 region: a code or a name, e.g. DE21 or Oberbayern."),
                            direction: str = typer.Option("for", "--direction",
                                                          help="for (who complements REGION), from (whom REGION "
                                                               "complements) or mutual."),
                            k: int = typer.Option(20, "--k", help="How many partner regions."),
                            years: str = typer.Option(None, "--years", help="Project start years FROM-TO."),
                            engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Regions strong where REGION is not yet specialised but has related capabilities (and the reverse)."""
        from rok.cooperation.complementarity import DIRECTIONS, complementarity_for

        check_format(fmt)
        if direction not in DIRECTIONS:
            raise InputError(f"unknown direction; expected one of {', '.join(DIRECTIONS)}", value=direction)
        region = resolve.lookup(db).region(region, 2, fixed=True)
        p = compute(2, "fractional", "participations", years, engine, db)
        code = p.check_region(region)
        emit(complementarity_for(p, code, direction=direction, k=k), fmt, schema="complementarity", names=resolve.lookup(db),  # type: ignore[arg-type]
             title=f"complementarity {direction} {code} {p.region_name(code)}",
             notes={"formula": "C[A->B] = mean_d M[A,d] min(RCA[A,d],2)/2 (1 - M[B,d]) RD[B,d]/100",
                    "selection": p.selection.describe()})

    @app.command("untapped")
    @friendly
    def untapped_cmd(region: str = typer.Option(None, "--region", help="Only pairs with this region."),
                     k: int = typer.Option(50, "--k", help="How many pairs."),
                     min_expected: float = typer.Option(1.0, "--min-expected",
                                                        help="Judge only pairs expected to collaborate at least "
                                                             "this much (units of the flows; default 1)."),
                     rank_by: str = typer.Option("residual", "--rank-by",
                                                 help="residual (default: Pearson deficit, relative to the "
                                                      "expectation) or shortfall (absolute; favours large regions)."),
                     years: str = typer.Option(None, "--years", help="Project start years FROM-TO."),
                     engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Complementary region pairs that collaborate less than the gravity model expects."""
        from rok.analysis.network_profiles import Networks
        from rok.cooperation.complementarity import complementarity_matrix, mutual, untapped
        from rok.measures import open_engine

        check_format(fmt)
        region = resolve.lookup(db).region(region, 2, fixed=True) if region else None
        p = compute(2, "fractional", "participations", years, engine, db)
        code = p.check_region(region) if region else None
        with open_engine(engine, config.db_path(db)) as running:
            n = Networks.compute(running, p.selection, organisations=False)
        if n.gravity is None:
            raise InputError("the gravity model could not be estimated for this selection")
        both = mutual(complementarity_matrix(p.rca, p.specialised, p.density))
        table = untapped(both, n.gravity.expected, k=k, region=code, rca=p.rca, M=p.specialised, density=p.density,
                         min_expected=min_expected, rank_by=rank_by)
        if fmt != "text":  # the text output names the regions beside their codes
            table.insert(1, "name_a", [p.region_name(c) for c in table["region_a"]])
            table.insert(3, "name_b", [p.region_name(c) for c in table["region_b"]])
        score = ("mutual complementarity x (expected - observed) / sqrt(expected), the Pearson deficit"
                 if rank_by == "residual" else "mutual complementarity x (expected - observed), absolute shortfall")
        emit(table, fmt, schema="untapped", names=resolve.lookup(db),
             title="untapped cooperation: complementary pairs below their expected collaboration",
             notes={"score": score,
                    "pairs judged": f"mutual complementarity in the top quarter, observed < expected, expected >= "
                                    f"{min_expected:g}",
                    "expected": f"gravity model (PPML) of region-pair co-participation: {n.gravity.formula}",
                    "selection": p.selection.describe()}, limit=50)

    @app.command("partners")
    @friendly
    def partners_cmd(region: str = typer.Argument(..., help="The searching region (NUTS 2): a code or a name, e.g. DE21 or Oberbayern."),
                     domain: str = typer.Option(..., "--domain", help="The domain (programme part): a code or a name, e.g. SC1 or 'Health, demographic change and wellbeing'."),
                     types: list[str] = typer.Option(None, "--type", help="Actor types: HES (higher education), REC "
                                                                          "(research), PRC (firms), PUB, OTH, or all; "
                                                                          "repeat for several (default: HES REC PRC)."),
                     umbrella: bool = typer.Option(False, "--umbrella",
                                                   help="Rank umbrella bodies (associations, networks, platforms, "
                                                        "agencies) like the others instead of after them."),
                     prefer: str = typer.Option("new", "--prefer", help="new ties, existing ones, or any."),
                     k: int = typer.Option(20, "--k"),
                     per_region: int = typer.Option(None, "--per-region", min=1,
                                                    help="At most this many organisations from one region "
                                                         "(default: no limit)."),
                     years: str = typer.Option(None, "--years", help="Project start years FROM-TO."),
                     engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Organisations elsewhere to partner with in a domain, each with its evidence and reasons.

        The partner index is stored in the cache and rebuilt only when the warehouse's load
        history (or the placement of organisations) changes."""
        from rok.cli.analysis import parse_years
        from rok.cooperation.partner_store import load_or_build
        from rok.cooperation.partners import DEFAULT_TYPES, PartnerIndex

        check_format(fmt)
        names = resolve.lookup(db)
        region = names.region(region, 2, fixed=True)
        domain = names.domain(domain)
        path = config.db_path(db)
        span = parse_years(years)
        selection = {"level": 2, "measure": "participations", "counting": "fractional", "years": span,
                     "taxonomy": "h2020-part"}

        def build() -> PartnerIndex:
            from types import SimpleNamespace

            from rok.measures import open_engine
            from rok.measures.networks import org_edges, org_nodes

            p = compute(2, "fractional", "participations", years, engine, db, taxonomy="h2020-part")
            with open_engine(engine, path) as running:
                graph = SimpleNamespace(org_nodes=org_nodes(running, p.selection),
                                        org_edges=org_edges(running, p.selection))
                return PartnerIndex.from_profiles(running, p, graph)

        index, stored = load_or_build(path, selection, build, weights=(0.5, 0.3, 0.2), cap=2.0)
        code = index.check_region(region)
        hits = index.search(region=code, domain=domain, types=types or DEFAULT_TYPES, prefer=prefer,  # type: ignore[arg-type]
                            k=k, umbrella=umbrella, per_region=per_region)
        searched = "all types" if not types else ", ".join(types)
        if fmt == "text":
            hits = hits.assign(organisation=[names.organisation_label(str(o)) for o in hits["org_id"]])
            hits = hits[["organisation", "type", "score", "projects", "latest", "ties", "reasons"]]
        emit(hits, fmt, schema="partners", names=names,
             title=f"partners for {code} {index.region_name(code)} in {domain} {names.domain_name(domain)}",
             notes={"score": "0.5 activity percentile in the domain + 0.3 complementarity of the partner's region "
                             "+ 0.2 network term (new: no tie yet)",
                    "searched": (f"actor types {searched}" if types else f"actor types {', '.join(DEFAULT_TYPES)} "
                                 "(research and innovation actors; --type to choose)")
                                + ("; umbrella bodies ranked like the others" if umbrella else
                                   "; umbrella bodies (type OTH; network, federation, alliance, platform or "
                                   "European association in the name; or >= 20 projects in >= 6 domains with a "
                                   "median EC contribution below half the usual) ranked after the others"),
                    "evidence": "projects: its projects in the domain; latest: their latest start year; ties: "
                                "organisations of the searching region it already shares a project with",
                    "index": f"{stored['status']} for loads up to #{stored['max_load_id']} "
                             f"(history sha256 {stored['loads_sha256'][:12]})",
                    "selection": index.meta.get("selection", "")}, limit=k)
