"""CLI commands of the collaboration networks: thin wrappers over :class:`Networks`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer

from rok import config
from rok.cli import resolve
from rok.cli.analysis import DbOpt, EngineOpt, FormatOpt, LevelOpt, YearsOpt, parse_years
from rok.cli.output import check_format, emit
from rok.errors import InputError

if TYPE_CHECKING:  # imported where used: a command that does not need them starts faster
    from rok.analysis.network_profiles import Networks

__all__ = ["register"]

CountingOpt = typer.Option("fractional", "--counting", help="full or fractional (Newman 2001; default).")
DomainOpt = typer.Option(None, "--domain", help="Only projects of this domain (programme part): a code or a "
                                                "name, e.g. SC1 or 'Health, demographic change and wellbeing'.")
NetworkOpt = typer.Option("regions", "--network", help="regions or organisations.")


def compute(level: int, counting: str, years: str | None, domain: str | None, engine: str, db: Path | None, *,
            organisations: bool, betweenness: bool = True) -> Networks:
    from rok.analysis.network_profiles import Networks
    from rok.measures import Selection, open_engine

    sel = Selection(level=level, counting=counting, years=parse_years(years))
    path = config.db_path(db)
    if not Path(path).exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    domain = resolve.domain(domain, db, sel.taxonomy)
    resolve.lookup(db).check_selection(sel.years, sel.taxonomy, domain)
    with open_engine(engine, path) as running:
        return Networks.compute(running, sel, domain=domain, organisations=organisations, betweenness=betweenness)


def _notes(n: Networks, **extra: Any) -> dict[str, Any]:
    notes = {"selection": n.selection.describe() + (f", domain {n.domain}" if n.domain else ""),
             "weights": "fractional: sum over shared projects of 1/(n_j - 1) (Newman 2001)"
             if n.selection.counting == "fractional" else "full: number of shared projects",
             "engine": n.engine}
    notes.update(extra)
    return notes


def _organisations(frame: pd.DataFrame, columns: tuple[str, ...], db: Path | None, level: int,
                   fmt: str) -> pd.DataFrame:
    """Name each organisation id column: one ``Name (City, CODE Region)`` cell in text; in CSV and
    JSON ``<col>_name``, ``<col>_city``, ``<col>_country``, ``<col>_region`` beside the id."""
    names = resolve.lookup(db)
    orgs = names.organisations()
    out = frame.copy()
    for column in columns:
        ids = out[column].astype(str)
        if fmt == "text":
            cache: dict[str, str] = {}
            out[column] = [cache.setdefault(i, names.organisation_label(i, level)) for i in ids]
            continue
        info = orgs.reindex(ids)
        at = list(out.columns).index(column) + 1
        for offset, (suffix, values) in enumerate((("name", info["name"]), ("city", info["city"]),
                                                   ("country", info["country"]),
                                                   ("region", info[f"nuts{level}"]))):
            out.insert(at + offset, f"{column}_{suffix}", values.to_numpy())
    return out


def _regions(frame: pd.DataFrame, columns: tuple[str, ...], db: Path | None) -> pd.DataFrame:
    """``<col>_name`` beside each region code column."""
    names = resolve.lookup(db)
    out = frame.copy()
    for column in columns:
        out.insert(list(out.columns).index(column) + 1, f"{column}_name",
                   [names.region_name(str(c)) for c in out[column]])
    return out


def _describe(n: Networks, kind: str, engine: str, db: Path | None) -> pd.DataFrame:
    """Each community of ``n``'s ``kind`` network by its top regions and domains."""
    from rok.analysis.community_profiles import describe_communities
    from rok.measures import open_engine

    with open_engine(engine, config.db_path(db)) as running:
        if kind == "regions":
            from rok.measures import activity_matrix

            result = n.region_communities
            nodes = n.region_nodes.set_index("region")
            region_of = pd.Series(nodes.index, index=nodes.index)
            activity = activity_matrix(running, n.selection)
            weight = nodes["participations"]
        else:
            from rok.cooperation.partners import organisation_activity

            result = n.org_communities
            assert n.org_nodes is not None
            nodes = n.org_nodes.set_index("org_id")
            region_of, weight = nodes["region"], nodes["participations"]
            long = organisation_activity(running, n.selection)
            activity = long.pivot_table(index="org_id", columns="domain", values="value", aggfunc="sum")
    if n.domain is not None:
        activity = None
    return describe_communities(result.membership, region_of, weight, activity)


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
        if html and kind != "regions":
            raise InputError("--html draws the region network only; for organisations use --export FILE.graphml "
                             "or .gexf (e.g. for Gephi), or `rok network regions --html FILE`", column="--html",
                             value=str(html))
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
        table = edges.sort_values("weight", ascending=False).reset_index(drop=True)
        if kind == "organisations":
            table = _organisations(table.head(40) if fmt == "text" else table, ("source", "target"), db, level, fmt)
        else:
            table = _regions(table, ("source", "target"), db)
        emit(table, fmt, schema=f"network.{kind}", names=resolve.lookup(db),
             title=f"{kind} co-participation network" + (f", domain {n.domain}" if n.domain else ""),
             notes=_notes(n, **n.coverage), limit=40)

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
        table = table.sort_values("strength", ascending=False).reset_index(drop=True)
        if kind == "organisations":
            table = _organisations(table.head(40) if fmt == "text" else table, ("node",), db, level, fmt)
        else:
            table = _regions(table, ("node",), db)
        emit(table, fmt, schema=f"centrality.{kind}", names=resolve.lookup(db),
             title=f"centrality in the {kind} network", notes=_notes(n), limit=40)

    @app.command("communities")
    @friendly
    def communities_cmd(network: str = NetworkOpt, level: int = LevelOpt, counting: str = CountingOpt,
                        years: str = YearsOpt, domain: str = DomainOpt,
                        members: bool = typer.Option(False, "--members", help="List every node and its community "
                                                                              "instead of describing them."),
                        engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Leiden communities, each described by its top regions and domains (modularity reported)."""
        kind = _network_kind(network)
        check_format(fmt)
        n = compute(level, counting, years, domain, engine, db, organisations=kind == "organisations",
                    betweenness=False)
        result = n.region_communities if kind == "regions" else n.org_communities
        notes = _notes(n, communities=result.n_communities, modularity=round(result.modularity, 4),
                       resolution=result.resolution)
        if members:
            table = result.membership.rename("community").rename_axis("node").reset_index()
            table = table.sort_values(["community", "node"]).reset_index(drop=True)
            table = (_organisations(table, ("node",), db, level, fmt) if kind == "organisations"
                     else _regions(table, ("node",), db))
            emit(table, fmt, schema=f"communities.members.{kind}", names=resolve.lookup(db),
                 title=f"Leiden communities of the {kind} network: members", notes=notes, limit=60)
            return
        table = _describe(n, kind, engine, db)
        if fmt == "text":
            names = resolve.lookup(db)
            table = table.assign(
                top_regions=[", ".join(f"{c} {names.region_name(c)} {float(s):.0%}" for c, s in
                                       zip(r.split(";"), sh.split(";"), strict=True) if c)
                             for r, sh in zip(table["top_regions"], table["top_region_shares"], strict=True)],
                top_domains=[", ".join(f"{d} (LQ {float(q):.1f})" for d, q in zip(d.split(";"), lq.split(";"), strict=True) if d)
                             for d, lq in zip(table["top_domains"], table["top_domain_lq"], strict=True)],
            ).drop(columns=["top_region_shares", "top_domain_lq"])
        emit(table, fmt, schema=f"communities.{kind}", names=resolve.lookup(db),
             title=f"Leiden communities of the {kind} network", limit=40,
             notes=notes | {"top regions": "largest shares of the community's participations",
                            "top domains": "highest location quotient of the community's domain activity "
                                           "among domains with at least 5% of it",
                            "members": "--members lists every node"})

    @app.command("brokerage")
    @friendly
    def brokerage_cmd(level: int = LevelOpt, counting: str = CountingOpt, years: str = YearsOpt,
                      domain: str = DomainOpt, engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """Brokerage roles (Gould & Fernandez 1989) per region, against their expectation by chance."""
        from rok.analysis.brokerage import brokerage_ratios

        check_format(fmt)
        n = compute(level, counting, years, domain, engine, db, organisations=True, betweenness=False)
        assert n.brokerage is not None and n.org_nodes is not None
        groups = n.org_nodes.set_index("org_id")["region"]
        groups = groups.reindex(n.brokerage["node"]) if len(n.brokerage) else groups
        table = brokerage_ratios(n.brokerage, groups).sort_values("total", ascending=False)
        if fmt == "text":
            table = table[["region", "nodes", "brokers", "coordinator_ratio", "itinerant_ratio",
                           "gatekeeper_ratio", "liaison_ratio", "total"]].rename(columns={
                               "nodes": "orgs", "total": "paths", "coordinator_ratio": "coord o/e",
                               "itinerant_ratio": "itin o/e", "gatekeeper_ratio": "gate o/e",
                               "liaison_ratio": "liais o/e"})
        emit(table.reset_index(drop=True), fmt, schema="brokerage", names=resolve.lookup(db),
             title="brokerage roles per region (Gould & Fernandez 1989; regions as groups)",
             notes=_notes(n, ratio="observed / expected open two-paths under random assignment of organisations "
                                   "to regions (group sizes kept); 1 = as by chance",
                          roles="an open two-path a-b-c counted in both directions; in an undirected network "
                                "representative = gatekeeper, shown once in text",
                          brokers="organisations with a gatekeeper or representative role",
                          paths="open ordered two-paths through the region's organisations",
                          roles_shown="coord(inator), itin(erant), gate(keeper) = representative, liais(on)"),
             limit=40)

    @app.command("integration")
    @friendly
    def integration_cmd(region: str = typer.Argument(None, help="One region (a code or a name): compared with its "
                                                                "structural peers."),
                        level: int = LevelOpt, counting: str = CountingOpt, years: str = YearsOpt,
                        engine: str = EngineOpt, fmt: str = FormatOpt, db: Path = DbOpt) -> None:
        """How universities, research organisations, firms and public bodies work together in each region."""
        check_format(fmt)
        region = resolve.lookup(db).region(region, level) if region else None
        n = compute(level, counting, years, None, engine, db, organisations=True, betweenness=False)
        if region is None:
            emit(n.integration.reset_index(), fmt, schema="integration", names=resolve.lookup(db), title="integration of research actors per region",
                 notes=_notes(n), limit=40)
            return
        from rok.analysis.integration import compare_with_peers
        from rok.cli.analysis import compute as profiles

        code = n.check_region(region)
        p = profiles(2, "fractional", "participations", years, engine, db)
        peers = p.peers_of(code, k=10).assign(region=code)
        emit(compare_with_peers(n.integration, peers, code).rename_axis("indicator").reset_index(), fmt, schema="integration.peers", names=resolve.lookup(db),
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
        emit(pd.DataFrame(table).reset_index(drop=True), fmt, schema="gravity.pairs" if pairs else "gravity", names=resolve.lookup(db),
             title="observed vs expected collaboration" if pairs else "gravity model (PPML)", notes=notes, limit=40)


def _period(db: Path | None, years: tuple[int, int] | None) -> str:
    """The start years of the projects actually in the warehouse for the selection."""
    import duckdb

    where = f"WHERE start_year BETWEEN {int(years[0])} AND {int(years[1])}" if years else ""
    with duckdb.connect(str(config.db_path(db)), read_only=True) as con:
        low, high, count = con.execute(  # type: ignore[misc]  # an aggregate always returns one row
            f"SELECT min(start_year), max(start_year), count(*) FROM projects {where}").fetchone()
    return f"projects starting {low}-{high} ({count:,} projects)" if count else "no project"
