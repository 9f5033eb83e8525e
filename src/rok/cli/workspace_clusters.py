"""``rok cluster ...``: the cluster registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from rok.cli.workspace import DbOpt, FmtOpt, UserOpt, VersionOpt, WsOpt, _db, _emit, _kv, _open, _table, out
from rok.errors import InputError

__all__ = ["register"]


def _show(c: dict[str, Any]) -> None:
    th = c["triple_helix"]
    _kv({"cluster": f"{c['id']} (version {c['version']}) {c['name']}", "regions": ", ".join(c["regions"]),
         "domains": ", ".join(c["domains"]), "cluster organisation": c["cluster_organisation"] or "not named",
         "origin": c["origin"],
         "triple helix": f"{'ok' if th['ok'] else 'NOT MET'} ({', '.join(f'{k} {v}' for k, v in th['counts'].items())}"
                         f"; helices: {', '.join(th['helices']) or 'none'})"})
    _table("members", ["org_id", "name", "type", "region"],
           [[m["org_id"], m["name"], m["actor_type"], m["region"]] for m in c["members"]])


def register(app: typer.Typer, friendly: Any) -> None:
    from rok.workspace import clusters as cl
    from rok.workspace.editing import get
    from rok.workspace.models import Cluster

    @app.command("propose")
    @friendly
    def propose_cmd(region: str = typer.Option(None, "--region", help="Only this region (NUTS 2)."),
                    min_stars: int = typer.Option(2, "--min-stars", help="Cluster stars a cell needs (0-3)."),
                    max_members: int = typer.Option(25, "--max-members", help="Members proposed per cluster."),
                    store: bool = typer.Option(False, "--store", help="Register the proposals in the workspace."),
                    db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Clusters proposed from evidence: cells with cluster stars and the organisations active there."""
        path = _db(db)
        props = cl.propose_clusters(path, region=region, min_stars=min_stars, max_members=max_members)
        if store:
            with _open(workspace, user) as ws, ws.session() as s:
                for p in props:
                    if cl.find_cluster(s, p["name"]) is None:
                        p["id"] = cl.store_proposal(s, path, p).id
        _emit(props, fmt, lambda: _table(
            f"proposed clusters (min {min_stars} stars)", ["id", "name", "regions", "domains", "stars", "members", "types"],
            [[p.get("id"), p["name"], " ".join(p["regions"]), " ".join(p["domains"]), p["evidence"]["which"],
              len(p["members"]), " ".join(f"{k}:{v}" for k, v in p["member_types"].items())] for p in props]))

    @app.command("import")
    @friendly
    def import_cmd(file: Path = typer.Argument(..., help="CSV: cluster, regions, domains, cluster_organisation, org_id."),
                   db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Import clusters and their members from CSV (all rows checked; nothing stored on any error)."""
        path = _db(db)
        with _open(workspace, user) as ws, ws.session() as s:
            data = [cl.cluster_summary(c) for c in cl.import_clusters_csv(s, path, file)]
        _emit(data, fmt, lambda: out.print("\n".join(
            f"cluster {c['id']}: {escape(c['name'])}, {len(c['members'])} members" for c in data)))

    @app.command("add")
    @friendly
    def add_cmd(name: str = typer.Argument(...), region: list[str] = typer.Option(..., "--region"),
                domain: list[str] = typer.Option(None, "--domain", help="taxonomy:code (default taxonomy h2020-part)."),
                member: list[str] = typer.Option(None, "--member", help="Organisation id of a member."),
                organisation: str = typer.Option(None, "--organisation", help="Organisation id of the cluster body."),
                description: str = typer.Option(None, "--description"),
                db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Register a cluster by hand."""
        path = _db(db)
        with _open(workspace, user) as ws, ws.session() as s:
            data = cl.cluster_summary(cl.add_cluster(s, path, name=name, regions=region, domains=domain or [],
                                                     members=member or [], organisation_id=organisation,
                                                     description=description))
        _emit(data, fmt, lambda: _show(data))

    @app.command("edit")
    @friendly
    def edit_cmd(cluster_id: int = typer.Argument(...), version: int = VersionOpt,
                 name: str = typer.Option(None, "--name"), region: list[str] = typer.Option(None, "--region"),
                 domain: list[str] = typer.Option(None, "--domain"),
                 add_member: list[str] = typer.Option(None, "--add-member"),
                 remove_member: list[str] = typer.Option(None, "--remove-member"),
                 organisation: str = typer.Option(None, "--organisation"),
                 description: str = typer.Option(None, "--description"),
                 db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Edit a cluster (pass the --version you saw)."""
        path = _db(db)
        with _open(workspace, user) as ws, ws.session() as s:
            c = cl.edit_cluster(s, path, cluster_id, version, name=name, regions=region or None,
                                domains=domain or None, add_members=add_member or [],
                                remove_members=remove_member or [], organisation_id=organisation,
                                description=description)
            data = cl.cluster_summary(c)
        _emit(data, fmt, lambda: _show(data))

    @app.command("show")
    @friendly
    def show_cmd(cluster: str = typer.Argument(..., help="Id or name."), workspace: str = WsOpt,
                 fmt: str = FmtOpt) -> None:
        """A cluster with its members and the triple-helix check."""
        with _open(workspace) as ws, ws.session() as s:
            data = cl.cluster_summary(_find(s, cluster))
        _emit(data, fmt, lambda: _show(data))

    @app.command("list")
    @friendly
    def list_cmd(workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """The registered clusters."""
        with _open(workspace) as ws, ws.session() as s:
            rows = [cl.cluster_summary(c) for c in cl.list_clusters(s)]
        _emit(rows, fmt, lambda: _table("clusters", ["id", "version", "name", "regions", "domains", "members",
                                                     "triple helix"],
                                        [[c["id"], c["version"], c["name"], " ".join(c["regions"]), " ".join(c["domains"]),
                                          len(c["members"]), "ok" if c["triple_helix"]["ok"] else "not met"]
                                         for c in rows]))

    @app.command("profile")
    @friendly
    def profile_cmd(cluster: str = typer.Argument(..., help="Id or name."), top: int = typer.Option(10, "--top"),
                    db: Path = DbOpt, workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """The cluster's profile from its members' participations (warehouse)."""
        path = _db(db)
        with _open(workspace) as ws, ws.session() as s:
            c = _find(s, cluster)
            data = {"name": c.name, **cl.cluster_profile(c, path, top=top)}

        def text() -> None:
            _kv({k: data[k] for k in ("name", "members", "participations", "projects")})
            _kv({"EC funding (EUR)": f"{data['funding']:,.0f}"})
            _table("by start year", ["year", "participations"], [[y, n] for y, n in data["years"].items()])
            _table("domains (participations x weight)", ["domain", "value"], [[d, v] for d, v in data["domains"].items()])
            _table("partners' regions", ["region", "partner participations"],
                   [[r, n] for r, n in data["partner_regions"].items()])

        _emit(data, fmt, text)

    def _find(s: Any, ref: str) -> Cluster:
        if ref.isdigit():
            return get(s, Cluster, int(ref), "cluster")
        found = cl.find_cluster(s, ref)
        if found is None:
            raise InputError("unknown cluster", column="cluster", value=ref)
        return found
