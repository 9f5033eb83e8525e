"""``rok agenda draft``: a research agenda or joint action plan drafted from the warehouse."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from rok import config
from rok.cli.analysis import DbOpt, parse_years
from rok.errors import InputError

__all__ = ["register", "workspace_cluster"]


def workspace_cluster(ref: str, workspace: str | None, taxonomy: str) -> dict[str, Any]:
    """The cluster ``ref`` (name or id) of the workspace as ``{"name", "regions", "domains"}``
    (the cluster's domains of ``taxonomy``)."""
    from rok.workspace.clusters import find_cluster
    from rok.workspace.db import open_workspace, workspace_url
    from rok.workspace.models import Cluster

    url = workspace_url(workspace)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise InputError("no workspace here yet: no cluster to read (pass --workspace or set ROK_WORKSPACE)",
                         file=url[len("sqlite:///"):], column="--cluster", value=ref)
    with open_workspace(workspace) as ws, ws.session() as session:
        found = session.get(Cluster, int(ref)) if ref.strip().isdigit() else find_cluster(session, ref)
        if found is None:
            raise InputError("unknown cluster: no cluster of this name or id in the workspace", column="--cluster",
                             value=ref)
        return {"name": found.name, "regions": list(found.regions or []),
                "domains": [d.code for d in found.domains if d.taxonomy == taxonomy]}


def register(app: typer.Typer, friendly: Any) -> None:
    """Add ``agenda draft`` to ``app``."""
    agenda_app = typer.Typer(help="Research agendas and joint action plans drafted from the evidence.",
                             no_args_is_help=True)
    app.add_typer(agenda_app, name="agenda")

    @agenda_app.command("draft")
    @friendly
    def draft_cmd(region: str = typer.Option(None, "--region", help="A NUTS 2 region: its research agenda."),
                  cluster: str = typer.Option(None, "--cluster", help="A cluster of the workspace (name or id)."),
                  consortium: str = typer.Option(None, "--consortium",
                                                 help="Two or more NUTS 2 regions, comma separated: a joint action plan."),
                  out: Path = typer.Option(None, "--out", help="Write FILE.md, .html, .docx, .pdf or .json "
                                                               "(default: Markdown on standard output)."),
                  years: str = typer.Option(None, "--years", help="Project start years FROM-TO (default: all)."),
                  workspace: str = typer.Option(None, "--workspace", help="Workspace (default: $ROK_WORKSPACE)."),
                  mirror: Path = typer.Option(None, "--mirror", help="Data mirror, for the Horizon Europe files."),
                  db: Path = DbOpt) -> None:
        """Draft a SWOT, priorities, actions, indicators and the Horizon Europe landscape from the warehouse."""
        from rok.cooperation.agenda import draft_agenda
        from rok.measures import Selection
        from rok.report.plan_export import FORMATS, export_plan, to_markdown

        given = [name for name, value in (("--region", region), ("--cluster", cluster), ("--consortium", consortium))
                 if value is not None]
        if len(given) != 1:
            raise InputError("give exactly one of --region, --cluster or --consortium",
                             value=" ".join(given) or "none")
        if out is not None and out.suffix.lower() not in FORMATS:
            raise InputError(f"unknown export format; expected one of {', '.join(FORMATS)}", file=str(out),
                             value=out.suffix or "(none)")
        path = config.db_path(db)
        if not path.exists():
            raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
        sel = Selection(years=parse_years(years))
        members = None
        if consortium is not None:
            members = [c.strip() for c in consortium.split(",") if c.strip()]
        group = workspace_cluster(cluster, workspace, sel.taxonomy) if cluster is not None else None
        mirror_path = config.mirror_dir(mirror) if mirror or _has_mirror() else None
        draft = draft_agenda(path, region=region, cluster=group, consortium=members, selection=sel,
                             mirror=mirror_path)
        if out is None:
            sys.stdout.write(to_markdown(draft) + "\n")
            return
        export_plan(draft, out)
        typer.echo(f"wrote {out}", err=True)


def _has_mirror() -> bool:
    try:
        config.mirror_dir(None)
    except InputError:
        return False
    return True
