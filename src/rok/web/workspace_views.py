"""The workspace through the web: who may read or change which cluster, plan and programme.
Every change goes through the workspace API (optimistic versions, audit log with the account's
e-mail as the actor)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from rok.errors import InputError
from rok.web.auth import Viewer
from rok.workspace import clusters as wc
from rok.workspace import plans as wp
from rok.workspace import programmes as wprog
from rok.workspace.editing import get
from rok.workspace.models import Cluster, Indicator, Plan, utcnow
from rok.workspace.tracking import plan_progress, record

T = TypeVar("T")
__all__ = ["list_cluster_docs", "cluster_doc", "create_cluster_from", "list_plan_docs", "plan_doc",
           "create_plan_from", "update_plan", "endorse_plan", "record_progress", "list_programme_docs",
           "programme_doc", "visible_plan"]


def _changes(func: Callable[..., T]) -> Callable[..., T]:
    """After a change through the web, ETags see the new workspace version at once."""
    @functools.wraps(func)
    def wrapper(app: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return func(app, *args, **kwargs)
        finally:
            app.state.data.workspace_changed()
    return wrapper


def _warehouse(app: Any) -> Any:
    return app.state.data.get().path


def list_cluster_docs(s: Session) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name, "regions": list(c.regions or []), "origin": c.origin,
             "domains": [d.code for d in c.domains], "members": len(c.members)} for c in wc.list_clusters(s)]


def cluster_doc(s: Session, cluster_id: int) -> dict[str, Any]:
    return wc.cluster_summary(get(s, Cluster, cluster_id, "cluster"))


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise InputError(f"{key} must be a list of codes", column=key, value=str(value)[:80])
    return [str(v).strip().upper() for v in value]


def _text(body: dict[str, Any], key: str, limit: int = 300) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{key} is required (text)", column=key, value=str(value)[:80])
    if len(value) > limit:
        raise InputError(f"{key} is longer than {limit} characters", column=key, value=value[:40] + "…")
    return value.strip()


@_changes
def create_cluster_from(app: Any, viewer: Viewer, body: dict[str, Any]) -> dict[str, Any]:
    name, regions = _text(body, "name"), _strings(body, "regions")
    known = {str(d).upper(): str(d) for d in app.state.data.get().profiles.activity.columns}
    domains = []
    for d in _strings(body, "domains"):
        code = d.split(":", 1)[1] if d.startswith("H2020-PART:") else d
        if code not in known:
            raise InputError(f"unknown domain; expected one of {', '.join(known.values())}", column="domains", value=d)
        domains.append(f"h2020-part:{known[code]}")
    if not viewer.can_edit_regions(regions):
        raise PermissionError(f"{viewer.email} may register clusters only in their own regions")
    with app.state.workspace.session(viewer.email) as s:
        c = wc.add_cluster(s, _warehouse(app), name=name, regions=regions, domains=domains,
                           description=str(body.get("description") or "")[:2000] or None)
        return wc.cluster_summary(c)


def list_plan_docs(s: Session, viewer: Viewer) -> list[dict[str, Any]]:
    return [{"id": p.id, "title": p.title, "kind": p.kind, "status": p.status, "regions": list(p.scope_regions or []),
             "plan_version": p.plan_version, "version": p.version}
            for p in wp.list_plans(s) if viewer.sees_plan(p)]


def visible_plan(s: Session, plan_id: int, viewer: Viewer) -> Plan:
    plan = get(s, Plan, plan_id, "plan")
    if not viewer.sees_plan(plan):  # drafts are not public: answer as if it did not exist
        from rok.workspace.errors import NotFoundError

        raise NotFoundError(f"unknown plan {plan_id}", column="plan", value=plan_id)
    return plan


def plan_doc(s: Session, plan_id: int, viewer: Viewer) -> dict[str, Any]:
    plan = visible_plan(s, plan_id, viewer)
    doc = wp.plan_document(s, plan_id)
    doc["progress"] = plan_progress(plan)
    doc["editable"] = viewer.can_edit_plan(plan)
    return doc


@_changes
def create_plan_from(app: Any, viewer: Viewer, body: dict[str, Any]) -> dict[str, Any]:
    title, regions = _text(body, "title", 500), _strings(body, "regions")
    kind = str(body.get("kind") or "regional_action_plan")
    if not viewer.can_edit_regions(regions):
        raise PermissionError(f"{viewer.email} may draft plans only for their own regions")
    scope = "region" if len(regions) == 1 else "consortium"
    with app.state.workspace.session(viewer.email) as s:
        plan = wp.create_plan(s, kind=kind, title=title, scope_type=scope, regions=regions, warehouse=_warehouse(app))
        a = app.state.data.get()
        plan.evidence = {"load_id": a.load_id, "selection": "none (drafted by hand on the web platform)",
                         "generated_at": utcnow().isoformat(timespec="seconds")}
        s.flush()
        for spec in body.get("indicators") or []:
            if not isinstance(spec, dict):
                raise InputError("indicators must be objects", column="indicators", value=str(spec)[:80])
            wp.add_indicator(s, plan.id, spec, plan.version, warehouse=None)
        return {"id": plan.id, "version": plan.version, "status": plan.status, "title": plan.title}


def _editable(s: Session, viewer: Viewer, plan_id: int) -> Plan:
    plan = visible_plan(s, plan_id, viewer)
    if not viewer.can_edit_plan(plan):
        raise PermissionError(f"{viewer.email} cannot change plan {plan_id} (not in their regions, clusters or plans)")
    return plan


def _version(body: dict[str, Any] | Any) -> int | None:
    value = body.get("version") if isinstance(body, dict) else body
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError("version must be a whole number", column="version", value=value) from None


@_changes
def update_plan(app: Any, viewer: Viewer, plan_id: int, body: dict[str, Any]) -> dict[str, Any]:
    changes = {k: body[k] for k in ("title", "kind") if k in body}
    if not changes:
        raise InputError("nothing to change: give title or kind", column="body")
    if "title" in changes:
        changes["title"] = _text(changes, "title", 500)
    with app.state.workspace.session(viewer.email) as s:
        _editable(s, viewer, plan_id)
        plan = wp.edit_plan(s, plan_id, _version(body), **changes)
        return {"id": plan.id, "version": plan.version, "title": plan.title, "status": plan.status}


@_changes
def endorse_plan(app: Any, viewer: Viewer, plan_id: int, version: Any) -> dict[str, Any]:
    with app.state.workspace.session(viewer.email) as s:
        _editable(s, viewer, plan_id)
        plan = wp.endorse(s, plan_id, _version(version), by=viewer.email)
        return {"id": plan.id, "version": plan.version, "status": plan.status}


@_changes
def add_plan_indicator(app: Any, viewer: Viewer, plan_id: int, body: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": _text(body, "name", 300), "type": body.get("type") or "output",
                            "unit": str(body.get("unit") or "") or None, "source": {"manual": True}}
    for key in ("baseline", "target"):
        year, value = body.get(f"{key}_year"), body.get(f"{key}_value")
        if year not in (None, "") and value not in (None, ""):
            spec[key] = {"year": year, "value": value}
    with app.state.workspace.session(viewer.email) as s:
        plan = _editable(s, viewer, plan_id)
        ind = wp.add_indicator(s, plan_id, spec, _version(body) or plan.version)
        return {"id": ind.id, "name": ind.name}


@_changes
def record_progress(app: Any, viewer: Viewer, plan_id: int, indicator_id: int, body: dict[str, Any]) -> dict[str, Any]:
    with app.state.workspace.session(viewer.email) as s:
        _editable(s, viewer, plan_id)
        ind = get(s, Indicator, indicator_id, "indicator")
        if ind.plan_id != plan_id:
            raise InputError("the indicator belongs to another plan", column="indicator", value=indicator_id)
        m = record(s, ind, body.get("year"), body.get("value"), actor=viewer.email)
        return {"indicator": ind.id, "year": m.year, "value": m.value}


def list_programme_docs(s: Session) -> list[dict[str, Any]]:
    out = []
    for p in wprog.list_programmes(s):
        prog = wprog.programme_progress(p)
        out.append({"id": p.id, "name": p.name, "type": p.type, "pairings": len(p.pairings),
                    "progress": prog["progress"]})
    return out


def programme_doc(s: Session, programme_id: int) -> dict[str, Any]:
    return wprog.programme_document(wprog.find_programme(s, programme_id))
