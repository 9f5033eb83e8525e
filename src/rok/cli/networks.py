"""CLI commands of the collaboration networks: thin wrappers over :class:`Networks`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer

from rok import config
from rok.cli.analysis import DbOpt, EngineOpt, FormatOpt, LevelOpt, YearsOpt, parse_years
from rok.cli.output import check_format, emit
from rok.errors import InputError

if TYPE_CHECKING:  # imported where used: a command that does not need them starts faster
    from rok.analysis.network_profiles import Networks

__all__ = ["register"]

CountingOpt = typer.Option("fractional", "--counting", help="full or fractional (Newman 2001; default).")
DomainOpt = typer.Option(None, "--domain", help="Only projects of this domain (programme part), e.g. SC1.")
NetworkOpt = typer.Option("regions", "--network", help="regions or organisations.")


def compute(level: int, counting: str, years: str | None, domain: str | None, engine: str, db: Path | None, *,
            organisations: bool, betweenness: bool = True) -> Networks:
    from rok.analysis.network_profiles import Networks
    from rok.measures import Selection, open_engine

    sel = Selection(level=level, counting=counting, years=parse_years(years))
    path = config.db_path(db)
    if not Path(path).exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with open_engine(engine, path) as running:
        return Networks.compute(running, sel, domain=domain, organisations=organisations, betweenness=betweenness)


def _notes(n: Networks, **extra: Any) -> dict[str, Any]:
    notes = {"selection": n.selection.describe() + (f", domain {n.domain}" if n.domain else ""),
             "weights": "fractional: sum over shared projects of 1/(n_j - 1) (Newman 2001)"
             if n.selection.counting == "fractional" else "full: number of shared projects",
             "engine": n.engine}
    notes.update(extra)
    return notes


def _network_kind(kind: str) -> str:
    if kind not in ("regions", "organisations"):
        raise InputError("unknown network; expected regions or organisations", value=kind)
    return kind


def register(app: typer.Typer, friendly: Any) -> None:
    """Add the network commands to ``app``."""

    @app.command("network")
    @friendly
    def network_cmd(kind: str = typer.Argument(..., help="regions or organisations"),
                    export: Path = typer.Option(None, "--export", help="Write the graph as .graphml or .gexf (Gephi)."),
                    html: Path = typer.Option(None, "--html", help="Write an HTML page of the region network."),
                    level: int = LevelOpt, counting: str = CountingOpt, years: str = YearsOpt,
                    domain: str = DomainOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Co-participation edges between regions (self-loops = collaboration inside a region) or organisations."""
        from rok.analysis import networks as net

        check_format(fmt)
        kind = _network_kind(kind)
        if export and export.suffix.lower() not in (".graphml", ".gexf"):
            raise InputError("--export needs a .graphml or .gexf file name", value=str(export))
        n = compute(level, counting, years, domain, engine, db, organisations=kind == "organisations",
                    betweenness=False)
        edges = n.region_edges if kind == "regions" else n.org_edges
        assert edges is not None
        if export:
            nodes = n.region_nodes if kind == "regions" else n.org_nodes.rename(columns={"name": "label"})  # type: ignore[union-attr]
            membership = (n.region_communities if kind == "regions" else n.org_communities).membership
            graph = net.build_graph(edges, nodes.assign(community=nodes.iloc[:, 0].map(membership)),
                                    self_loops=kind == "regions")
            (net.write_graphml if export.suffix.lower() == ".graphml" else net.write_gexf)(graph, export)
            typer.echo(f"wrote {export} ({graph.vcount():,} nodes, {graph.ecount():,} edges)", err=True)
        if html:
            from rok.report.network import region_network_page

            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(region_network_page(n, config.db_path(db)), encoding="utf-8")
            typer.echo(f"wrote {html}", err=True)
        emit(edges.sort_values("weight", ascending=False).reset_index(drop=True), fmt,
             title=f"{kind} co-participation network", notes=_notes(n, **n.coverage), limit=40)

    @app.command("centrality")
    @friendly
    def centrality_cmd(network: str = NetworkOpt, level: int = LevelOpt, counting: str = CountingOpt,
                       years: str = YearsOpt, domain: str = DomainOpt, engine: str = EngineOpt, fmt: str = FormatOpt,
                       db: Path = DbOpt) -> None:
        """Degree, strength, betweenness and eigenvector centrality."""
        kind = _network_kind(network)
        check_format(fmt)
        n = compute(level, counting, years, domain, engine, db, organisations=kind == "organisations")
        table = n.region_centrality if kind == "regions" else n.org_centrality
        assert table is not None
        emit(table.sort_values("strength", ascending=False).reset_index(drop=True), fmt,
             title=f"centrality in the {kind} network", notes=_notes(n), limit=40)

    @app.command("communities")
    @friendly
    def communities_cmd(network: str = NetworkOpt, level: int = LevelOpt, counting: str = CountingOpt,
                        years: str = YearsOpt, domain: str = DomainOpt, engine: str = EngineOpt, fmt: str = FormatOpt,
                        db: Path = DbOpt) -> None:
        """Leiden communities (modularity and resolution reported)."""
        kind = _network_kind(network)
        check_format(fmt)
        n = compute(level, counting, years, domain, engine, db, organisations=kind == "organisations",
                    betweenness=False)
        result = n.region_communities if kind == "regions" else n.org_communities
        table = result.membership.rename("community").rename_axis("node").reset_index()
        emit(table.sort_values(["community", "node"]).reset_index(drop=True), fmt,
             title=f"Leiden communities of the {kind} network",
             notes=_notes(n, communities=result.n_communities, modularity=round(result.modularity, 4),
                          resolution=result.resolution), limit=60)

    @app.command("brokerage")
    @friendly
    def brokerage_cmd(level: int = LevelOpt, counting: str = CountingOpt, years: str = YearsOpt,
                      domain: str = DomainOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Brokerage roles (Gould & Fernandez 1989) of organisations, regions as groups, summed per region."""
        check_format(fmt)
        n = compute(level, counting, years, domain, engine, db, organisations=True, betweenness=False)
        assert n.brokerage_regions is not None
        table = n.brokerage_regions
        table = table.reset_index(drop="region" in table.columns)
        emit(table, fmt, title="brokerage roles per region (Gould & Fernandez 1989; regions as groups)",
             notes=_notes(n, roles="an open two-path a-b-c counted in both directions; in an undirected network "
                                   "representative = gatekeeper", brokers="organisations with a gatekeeper or "
                                   "representative role"), limit=40)

    @app.command("integration")
    @friendly
    def integration_cmd(region: str = typer.Argument(None, help="One region: compared with its structural peers."),
                        level: int = LevelOpt, counting: str = CountingOpt, years: str = YearsOpt,
                        engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """How universities, research organisations, firms and public bodies work together in each region."""
        check_format(fmt)
        n = compute(level, counting, years, None, engine, db, organisations=True, betweenness=False)
        if region is None:
            emit(n.integration.reset_index(), fmt, title="integration of research actors per region",
                 notes=_notes(n), limit=40)
            return
        from rok.analysis.integration import compare_with_peers
        from rok.cli.analysis import compute as profiles

        code = n.check_region(region)
        p = profiles(2, "fractional", "participations", years, engine, db)
        peers = p.peers_of(code, k=10).assign(region=code)
        emit(compare_with_peers(n.integration, peers, code).rename_axis("indicator").reset_index(), fmt,
             title=f"integration of research actors: {code} {p.region_name(code)} and its 10 structural peers",
             notes=_notes(n))

    @app.command("gravity")
    @friendly
    def gravity_cmd(pairs: bool = typer.Option(False, "--pairs", help="Observed vs expected per region pair."),
                    level: int = LevelOpt, counting: str = CountingOpt, years: str = YearsOpt,
                    domain: str = DomainOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Gravity model of region-pair collaboration by Poisson pseudo-maximum likelihood."""
        check_format(fmt)
        n = compute(level, counting, years, domain, engine, db, organisations=False)
        if n.gravity is None:
            raise InputError(str(n.coverage.get("gravity", "the gravity model could not be estimated")))
        g = n.gravity
        notes = _notes(n, model=g.formula, sample=g.sample(), period=_period(db, parse_years(years)),
                       masses="participations of the region (project x organisation, full count); flow: "
                              f"co-participation weight of the pair ({n.selection.counting} counting)",
                       standard_errors=f"{g.cov_type} (se, p, ci: pairs sharing a region may correlate; Aronow, "
                                       "Samii & Assenova 2015); se_hc1, p_hc1: heteroskedasticity-robust only, "
                                       "too small for dyadic data",
                       pseudo_r2=f"{g.r2_corr:.4f} (squared correlation of observed and fitted; Santos Silva & "
                                 f"Tenreyro 2006); deviance R2 {g.pseudo_r2:.4f}")
        table = g.expected.sort_values("ratio") if pairs else g.table
        emit(pd.DataFrame(table).reset_index(drop=True), fmt,
             title="observed vs expected collaboration" if pairs else "gravity model (PPML)", notes=notes, limit=40)


def _period(db: Path | None, years: tuple[int, int] | None) -> str:
    """The start years of the projects actually in the warehouse for the selection."""
    import duckdb

    where = f"WHERE start_year BETWEEN {int(years[0])} AND {int(years[1])}" if years else ""
    with duckdb.connect(str(config.db_path(db)), read_only=True) as con:
        low, high, count = con.execute(  # type: ignore[misc]  # an aggregate always returns one row
            f"SELECT min(start_year), max(start_year), count(*) FROM projects {where}").fetchone()
    return f"projects starting {low}-{high} ({count:,} projects)" if count else "no project"
