"""``rok plan ...``: plans, their actions and indicators, endorsement, tracking and progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from rok import config
from rok.cli.workspace import (
    DbOpt,
    FmtOpt,
    UserOpt,
    VersionOpt,
    WsOpt,
    _db,
    _emit,
    _json_file,
    _kv,
    _open,
    _params,
    _table,
    out,
)
from rok.errors import InputError

__all__ = ["register"]


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.0f}%"


def _show(doc: dict[str, Any]) -> None:
    _kv({"plan": f"{doc['id']} {doc['title']}", "kind": doc["kind"],
         "status": f"{doc['status']} (plan version {doc['plan_version']}, edit version {doc['version']})",
         "scope": f"{doc['scope']['type']}: {', '.join(doc['scope']['regions'])}"
                  + (f"; clusters {', '.join(map(str, doc['scope']['clusters']))}" if doc["scope"]["clusters"] else ""),
         "evidence load": (doc.get("evidence") or {}).get("load_id")})
    if doc["swot"]:
        _table("SWOT", ["category", "text"], [[s["category"], s["text"]] for s in doc["swot"]])
    if doc["priorities"]:
        _table("priorities", ["id", "title", "domains", "rationale"],
               [[p["id"], p["title"], " ".join(map(str, p["domains"])), p["rationale"]] for p in doc["priorities"]])
    if doc["actions"]:
        _table("actions", ["id", "title", "priority", "owner", "start", "end", "budget", "status"],
               [[a["id"], a["title"], a["priority"], a["owner"], a["start"], a["end"], a["budget"],
                 a["status"] + (f" ({a['status_reason']})" if a["status_reason"] else "")] for a in doc["actions"]])
    if doc["indicators"]:
        _table("indicators", ["id", "name", "type", "source", "baseline", "target", "latest", "progress", "outlook"],
               [[i["id"], i["name"], i["type"], (i["source"].get("measure") or "manual"),
                 _point(i["baseline"]), _point(i["target"]), _point(i["measurements"][-1] if i["measurements"] else None),
                 _pct(i["progress"]), i["outlook"]] for i in doc["indicators"]])
    if doc["risks"]:
        _table("risks", ["risk", "mitigation"], [[r["text"], r["mitigation"]] for r in doc["risks"]])


def _point(p: dict[str, Any] | None) -> str:
    return "" if not p else f"{p['value']:.4g} ({p['year']})"


def _progress_text(data: dict[str, Any]) -> None:
    _kv({"plan": f"{data['plan']} {data['title']} ({data['status']})", "progress": _pct(data["progress"]) or "no value"})
    rows = []
    for pr in data["priorities"]:
        rows.append([f"priority: {pr['title']}", "", "", "", _pct(pr["progress"]), ""])
        rows += [[f"  {i['name']}", _point(i["baseline"]), _point(i["target"]), _point(i["latest"]),
                  _pct(i["progress"]), i["outlook"] + (f" ({i['note']})" if i.get("note") else "")]
                 for i in pr["indicators"]]
    rows += [[i["name"], _point(i["baseline"]), _point(i["target"]), _point(i["latest"]), _pct(i["progress"]),
              i["outlook"] + (f" ({i['note']})" if i.get("note") else "")] for i in data["indicators"]]
    _table("progress = (value - baseline) / (target - baseline); outlook from the last five years' trend",
           ["indicator", "baseline", "target", "latest", "progress", "outlook"], rows)


def register(app: typer.Typer, friendly: Any) -> None:
    from rok.workspace import plans as pl
    from rok.workspace import tracking as tr
    from rok.workspace.editing import check_version, get
    from rok.workspace.models import Indicator, Plan

    def _warehouse(db: Path | None, needed: bool = False) -> Path | None:
        path = config.db_path(db)
        if Path(path).exists():
            return Path(path)
        if needed:
            return _db(db)
        return None

    @app.command("create")
    @friendly
    def create_cmd(from_draft: Path = typer.Option(None, "--from-draft", help="A draft document (JSON)."),
                   kind: str = typer.Option(None, "--kind", help="research_agenda, joint_action_plan, "
                                                                  "regional_action_plan or cluster_roadmap."),
                   title: str = typer.Option(None, "--title"),
                   scope: str = typer.Option(None, "--scope", help="region, cluster or consortium."),
                   region: list[str] = typer.Option(None, "--region"),
                   cluster: list[str] = typer.Option(None, "--cluster", help="Cluster id or name."),
                   db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Create a draft plan, empty or from a draft document (`rok agenda draft`)."""
        wh = _warehouse(db)
        with _open(workspace, user) as ws, ws.session() as s:
            if from_draft is not None:
                plan = pl.create_plan_from_draft(s, _json_file(from_draft, "draft"), warehouse=wh)
            else:
                if not (kind and title and scope):
                    raise InputError("give --from-draft, or --kind, --title and --scope", column="--kind")
                plan = pl.create_plan(s, kind=kind, title=title, scope_type=scope, regions=region or [],
                                      clusters=cluster or [], warehouse=wh)
            doc = pl.plan_document(s, plan.id)
        _emit(doc, fmt, lambda: _show(doc))

    @app.command("show")
    @friendly
    def show_cmd(plan_id: int = typer.Argument(...), workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """A plan: SWOT, priorities, actions, indicators (with progress and outlook), risks."""
        with _open(workspace) as ws, ws.session() as s:
            doc = pl.plan_document(s, plan_id)
        _emit(doc, fmt, lambda: _show(doc))

    @app.command("list")
    @friendly
    def list_cmd(workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """The plans (every version)."""
        with _open(workspace) as ws, ws.session() as s:
            rows = [{"id": p.id, "version": p.version, "plan_version": p.plan_version, "lineage": p.lineage_id,
                     "kind": p.kind, "status": p.status, "title": p.title, "regions": p.scope_regions}
                    for p in pl.list_plans(s)]
        _emit(rows, fmt, lambda: _table("plans", ["id", "edit version", "plan version", "kind", "status", "title",
                                                  "regions"],
                                        [[r["id"], r["version"], r["plan_version"], r["kind"], r["status"], r["title"],
                                          " ".join(r["regions"])] for r in rows]))

    @app.command("edit")
    @friendly
    def edit_cmd(plan_id: int = typer.Argument(...), version: int = VersionOpt,
                 title: str = typer.Option(None, "--title"), kind: str = typer.Option(None, "--kind"),
                 governance: Path = typer.Option(None, "--governance", help="Governance as a JSON file."),
                 new_version: bool = typer.Option(False, "--new-version",
                                                  help="Copy an endorsed plan into a new draft version."),
                 indicator: int = typer.Option(None, "--indicator", help="Indicator id whose target to set."),
                 target_year: int = typer.Option(None, "--target-year"),
                 target_value: float = typer.Option(None, "--target-value"),
                 action: int = typer.Option(None, "--action", help="Action id whose status to set."),
                 action_status: str = typer.Option(None, "--action-status"),
                 reason: str = typer.Option(None, "--reason", help="Why (needed for delayed, cancelled, not carried out)."),
                 workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Edit a draft plan (title, kind, governance, an indicator's target, an action's status),
        or make a new version of an endorsed one."""
        with _open(workspace, user) as ws, ws.session() as s:
            if new_version:
                plan = pl.new_version(s, plan_id)
                plan_id = plan.id
            else:
                changes: dict[str, Any] = {}
                if title is not None:
                    changes["title"] = title
                if kind is not None:
                    changes["kind"] = kind
                if governance is not None:
                    changes["governance"] = _json_file(governance, "governance")
                if changes:
                    pl.edit_plan(s, plan_id, version, **changes)
                if indicator is not None:
                    ind = get(s, Indicator, indicator, "indicator")
                    if ind.plan_id != plan_id:
                        raise InputError(f"indicator {indicator} is not of plan {plan_id}", column="--indicator",
                                         value=indicator)
                    if not changes:
                        check_version(get(s, Plan, plan_id, "plan"), version)
                    pl.edit_indicator_target(s, indicator, target_year, target_value, None)
                if action is not None:
                    from rok.workspace.models import Action

                    act = get(s, Action, action, "action")
                    if act.plan_id != plan_id:
                        raise InputError(f"action {action} is not of plan {plan_id}", column="--action", value=action)
                    pl.edit_action(s, action, None, status=action_status or act.status, status_reason=reason)
            doc = pl.plan_document(s, plan_id)
        _emit(doc, fmt, lambda: _show(doc))

    @app.command("endorse")
    @friendly
    def endorse_cmd(plan_id: int = typer.Argument(...), version: int = VersionOpt, workspace: str = WsOpt,
                    user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Endorse a draft: this version is frozen from now on."""
        with _open(workspace, user) as ws, ws.session() as s:
            plan = pl.endorse(s, plan_id, version)
            data = {"id": plan.id, "status": plan.status, "version": plan.version, "endorsed_by": plan.endorsed_by,
                    "endorsed_at": plan.endorsed_at}
        _emit(data, fmt, lambda: out.print(f"plan {plan_id} endorsed by {escape(str(data['endorsed_by']))}; "
                                           f"this version is frozen (edit version {data['version']})"))

    @app.command("status")
    @friendly
    def status_cmd(plan_id: int = typer.Argument(...), status: str = typer.Argument(
                       ..., help="endorsed, implementing or closed."),
                   version: int = VersionOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Move a plan on: draft -> endorsed -> implementing -> closed."""
        with _open(workspace, user) as ws, ws.session() as s:
            plan = pl.set_status(s, plan_id, status, version)
            data = {"id": plan.id, "status": plan.status, "version": plan.version}
        _emit(data, fmt, lambda: out.print(f"plan {plan_id} is {data['status']} (edit version {data['version']})"))

    @app.command("add-action")
    @friendly
    def add_action_cmd(plan_id: int = typer.Argument(...), title: str = typer.Option(..., "--title"),
                       version: int = VersionOpt, description: str = typer.Option(None, "--description"),
                       priority: str = typer.Option(None, "--priority", help="Title of the plan's priority."),
                       owner: str = typer.Option(None, "--owner"), start: str = typer.Option(None, "--start"),
                       end: str = typer.Option(None, "--end"), budget: float = typer.Option(None, "--budget"),
                       funding: list[str] = typer.Option(None, "--funding", help="A funding source (repeat)."),
                       partner: list[str] = typer.Option(None, "--partner",
                                                         help="Region code, or org:ID for an organisation."),
                       status: str = typer.Option("planned", "--status"), reason: str = typer.Option(None, "--reason"),
                       milestone: list[str] = typer.Option(None, "--milestone", help="TITLE@YYYY-MM-DD (repeat)."),
                       db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Add an action to a draft plan."""
        partners = [{"org_id": p[4:]} if p.startswith("org:") else {"region": p} for p in partner or []]
        milestones = [{"title": m.rsplit("@", 1)[0], "due": m.rsplit("@", 1)[1] if "@" in m else None}
                      for m in milestone or []]
        item = {"title": title, "description": description, "priority": priority, "owner": owner, "start": start,
                "end": end, "budget": budget, "funding_sources": funding or [], "partners": partners,
                "status": status, "status_reason": reason, "milestones": milestones}
        with _open(workspace, user) as ws, ws.session() as s:
            action = pl.add_action(s, plan_id, item, version, warehouse=_warehouse(db))
            data = {"id": action.id, "plan": plan_id, "title": action.title}
        _emit(data, fmt, lambda: out.print(f"action {data['id']} added to plan {plan_id}"))

    @app.command("add-indicator")
    @friendly
    def add_indicator_cmd(plan_id: int = typer.Argument(...), name: str = typer.Option(..., "--name"),
                          version: int = VersionOpt,
                          measure: str = typer.Option(None, "--measure", help="A key of the measure catalog."),
                          param: list[str] = typer.Option(None, "--param", help="KEY=VALUE for the measure."),
                          manual: bool = typer.Option(False, "--manual", help="Values entered by hand."),
                          type_: str = typer.Option(None, "--type", help="output or result."),
                          unit: str = typer.Option(None, "--unit"), direction: str = typer.Option(None, "--direction"),
                          region: list[str] = typer.Option(None, "--region", help="Default: the plan's regions."),
                          priority: str = typer.Option(None, "--priority"),
                          baseline_year: int = typer.Option(None, "--baseline-year"),
                          baseline_value: float = typer.Option(None, "--baseline-value"),
                          target_year: int = typer.Option(None, "--target-year"),
                          target_value: float = typer.Option(None, "--target-value"),
                          db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Add an indicator; a measure's baseline is its latest value in the warehouse unless given."""
        if bool(measure) == manual:
            raise InputError("give either --measure KEY or --manual", column="--measure", value=measure)
        spec: dict[str, Any] = {"name": name, "type": type_, "unit": unit, "direction": direction,
                                "source": {"manual": True} if manual else {"measure": measure, "params": _params(param)},
                                "regions": region or None, "priority": priority}
        if baseline_year is not None or baseline_value is not None:
            spec["baseline"] = {"year": baseline_year, "value": baseline_value}
        if target_year is not None or target_value is not None:
            spec["target"] = {"year": target_year, "value": target_value}
        with _open(workspace, user) as ws, ws.session() as s:
            ind = pl.add_indicator(s, plan_id, spec, version, warehouse=_warehouse(db, needed=bool(measure)))
            data = tr.indicator_status(ind)
        _emit(data, fmt, lambda: out.print(f"indicator {data['id']} added to plan {plan_id}: baseline "
                                           f"{_point(data['baseline']) or 'none'}, target {_point(data['target']) or 'none'}"))

    @app.command("record")
    @friendly
    def record_cmd(indicator_id: int = typer.Argument(...), year: int = typer.Argument(...),
                   value: float = typer.Argument(...), workspace: str = WsOpt, user: str = UserOpt,
                   fmt: str = FmtOpt) -> None:
        """Enter a value of a manual indicator."""
        with _open(workspace, user) as ws, ws.session() as s:
            m = tr.record(s, get(s, Indicator, indicator_id, "indicator"), year, value, actor=ws.actor)
            data = {"indicator": indicator_id, "year": m.year, "value": m.value}
        _emit(data, fmt, lambda: out.print(f"indicator {indicator_id}: {value:g} in {year} recorded"))

    @app.command("track")
    @friendly
    def track_cmd(plan_id: int = typer.Argument(None), all_: bool = typer.Option(False, "--all",
                                                                                   help="Every plan and programme."),
                  db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Recompute indicators from the warehouse (after a load); new values are appended with the load id."""
        if (plan_id is None) == (not all_):
            raise InputError("give a plan id or --all", column="plan")
        path = _db(db)
        with _open(workspace, user) as ws, ws.session() as s:
            if plan_id is not None:
                get(s, Plan, plan_id, "plan")
            data = tr.track(s, path, None if all_ else [plan_id], actor=ws.actor)
        _emit(data, fmt, lambda: out.print(f"{data['indicators']} indicators recomputed from load {data['load_id']}; "
                                           f"{data['measurements']} new or changed values appended"))

    @app.command("progress")
    @friendly
    def progress_cmd(plan_id: int = typer.Argument(...), workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """Progress and outlook of every indicator, priority and the plan."""
        with _open(workspace) as ws, ws.session() as s:
            data = tr.plan_progress(get(s, Plan, plan_id, "plan"))
        _emit(data, fmt, lambda: _progress_text(data))
