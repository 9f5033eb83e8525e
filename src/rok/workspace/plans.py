"""Plans: research agendas, joint and regional action plans, cluster roadmaps.

A plan follows the RIS3 guide's steps (Foray et al. 2012): context and SWOT with evidence,
governance, priorities with the evidence they stand on, a policy mix as an action plan
(objectives, actions linked to priorities, timeframe, owners, partners, funding sources,
budget, milestones) and monitoring (indicators with baselines and targets,
:mod:`rok.workspace.tracking`). Actions carry a status with a reason, so that actions not
carried out are explained (as Interreg Europe action plans report them).

Versions. A plan is ``draft``, ``endorsed``, ``implementing`` or ``closed``. Endorsing
freezes the version: its contents (SWOT, priorities, actions, indicators, risks, governance)
can no longer be edited (:class:`FrozenError`); :func:`new_version` copies it into a new
draft (``plan_version + 1``, same ``lineage_id``) to change. What stays open on a frozen
version is its implementation: the status (endorsed -> implementing -> closed), the status
and reason of each action, the milestones' completion, and the measurements.

The document (:func:`plan_document`, :func:`create_plan_from_draft`) is the JSON-able
shape the drafting module produces (:func:`rok.cooperation.agenda.draft_agenda`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rok.errors import InputError
from rok.workspace.checks import as_date, check_regions, known_regions, one_of
from rok.workspace.editing import check_version, flush_or_conflict, get, touch
from rok.workspace.errors import FrozenError
from rok.workspace.models import (
    ACTION_STATUSES,
    PLAN_KINDS,
    SCOPE_TYPES,
    SWOT_CATEGORIES,
    Action,
    Cluster,
    Indicator,
    Milestone,
    Plan,
    Priority,
    Risk,
    SwotItem,
    utcnow,
)
from rok.workspace.tracking import indicator_from_spec, set_target

__all__ = ["create_plan", "create_plan_from_draft", "plan_document", "edit_plan", "endorse", "set_status",
           "new_version", "add_action", "edit_action", "add_indicator", "list_plans", "require_draft"]

_DRAFT_KEYS = {"kind", "title", "scope", "evidence", "swot", "priorities", "actions", "indicators", "risks",
               "governance", "landscape"}
NEXT_STATUS = {"endorsed": ("implementing", "closed"), "implementing": ("closed",), "closed": ()}


def _kind(value: Any) -> str:
    return one_of(str(value or "").replace("-", "_"), PLAN_KINDS, "kind")


def require_draft(plan: Plan) -> None:
    """FrozenError unless the plan version is a draft."""
    if plan.status != "draft":
        raise FrozenError(
            f"plan {plan.id} (version {plan.plan_version}) is {plan.status} and frozen; its contents cannot be "
            f"edited. Create a new version (rok plan edit {plan.id} --new-version) and edit that")


# -- creating ----------------------------------------------------------------------------
def create_plan(session: Session, *, kind: str, title: str, scope_type: str, regions: list[str] | None = None,
                clusters: list[Any] | None = None, warehouse: Any = None) -> Plan:
    """An empty draft plan."""
    return create_plan_from_draft(session, {"kind": kind, "title": title,
                                            "scope": {"type": scope_type, "regions": regions or [],
                                                      "clusters": clusters or []}}, warehouse=warehouse)


def _scope(session: Session, scope: Any, known: set[str] | None) -> tuple[str, list[str], list[Any]]:
    if not isinstance(scope, dict):
        raise InputError("the scope must be an object with type, regions and clusters", column="scope", value=scope)
    stype = one_of(scope.get("type"), SCOPE_TYPES, "scope.type")
    regions = check_regions(scope.get("regions") or [], known, column="scope.regions")
    clusters: list[Any] = []
    for ref in scope.get("clusters") or []:
        cluster = _cluster(session, ref)
        clusters.append(cluster.id if cluster is not None else ref)
        if cluster is not None:
            regions += [r for r in cluster.regions if r not in regions]
    if stype == "cluster" and not clusters:
        raise InputError("a cluster plan names its cluster", column="scope.clusters", value=scope.get("clusters"))
    if not regions:
        raise InputError("the scope has no region", column="scope.regions", value=scope.get("regions"))
    return stype, regions, clusters


def _cluster(session: Session, ref: Any) -> Cluster | None:
    """A cluster of the registry by id or name; a name unknown to the registry stays a label
    (drafts may name a cluster proposed from evidence only), an unknown id is an error."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return get(session, Cluster, int(ref), "cluster")
    return session.scalar(select(Cluster).where(Cluster.name == str(ref)))


def create_plan_from_draft(session: Session, draft: dict[str, Any], *, warehouse: Any = None) -> Plan:
    """Store a draft document as a new draft plan (every part checked first; nothing is stored
    when any part is bad). ``warehouse`` (path or WarehouseData) checks the region codes and
    gives measure indicators without a baseline their latest value."""
    if not isinstance(draft, dict):
        raise InputError("a draft must be a JSON object", value=type(draft).__name__)
    known = known_regions(warehouse)
    stype, regions, clusters = _scope(session, draft.get("scope"), known)
    title = str(draft.get("title") or "").strip()
    if not title:
        raise InputError("the plan needs a title", column="title", value=draft.get("title"))
    scope_extra = {k: v for k, v in draft["scope"].items() if k not in ("type", "regions", "clusters")}
    extra = {k: v for k, v in draft.items() if k not in _DRAFT_KEYS}
    if scope_extra:
        extra["scope"] = scope_extra
    plan = Plan(kind=_kind(draft.get("kind")), title=title, scope_type=stype, scope_regions=regions,
                scope_clusters=clusters, status="draft", plan_version=1, evidence=draft.get("evidence"),
                governance=draft.get("governance"), landscape=draft.get("landscape"), extra=extra or None)
    for i, item in enumerate(draft.get("swot") or []):
        plan.swot.append(_swot(item, i))
    for i, item in enumerate(draft.get("priorities") or []):
        plan.priorities.append(_priority(item, i))
    for i, item in enumerate(draft.get("risks") or []):
        plan.risks.append(_risk(item, i))
    session.add(plan)
    session.flush()
    plan.lineage_id = plan.id
    by_title = {p.title: p for p in plan.priorities}
    for i, item in enumerate(draft.get("actions") or []):
        plan.actions.append(_action(item, i, by_title, known))
    data = _data(warehouse)
    for i, item in enumerate(draft.get("indicators") or []):
        pr = _priority_ref(item.get("priority"), by_title, f"indicators[{i}].priority")
        ind = indicator_from_spec(item, regions=regions, known=known, data=data,
                                  priority_id=pr.id if pr else None, where=f"indicators[{i}]")
        ind.position = i
        plan.indicators.append(ind)
    session.flush()
    return plan


def _data(warehouse: Any) -> Any:
    if warehouse is None:
        return None
    from rok.cooperation.indicators import WarehouseData

    return warehouse if isinstance(warehouse, WarehouseData) else WarehouseData(warehouse)


def _swot(item: dict[str, Any], i: int) -> SwotItem:
    text = str(item.get("text") or "").strip()
    if not text:
        raise InputError("a SWOT item needs a text", column=f"swot[{i}].text", value=item.get("text"))
    extra = {k: v for k, v in item.items() if k not in ("category", "text", "evidence")}
    return SwotItem(position=i, category=one_of(item.get("category"), SWOT_CATEGORIES, f"swot[{i}].category"),
                    text=text, evidence=item.get("evidence"), extra=extra or None)


def _priority(item: dict[str, Any], i: int) -> Priority:
    title = str(item.get("title") or "").strip()
    if not title:
        raise InputError("a priority needs a title", column=f"priorities[{i}].title", value=item.get("title"))
    domains = item.get("domains") or []
    if not isinstance(domains, list):
        raise InputError("domains must be a list", column=f"priorities[{i}].domains", value=domains)
    extra = {k: v for k, v in item.items() if k not in ("title", "domains", "rationale", "evidence")}
    return Priority(position=i, title=title, domains=domains, rationale=item.get("rationale"),
                    evidence=item.get("evidence"), extra=extra or None)


def _risk(item: dict[str, Any], i: int) -> Risk:
    text = str(item.get("text") or "").strip()
    if not text:
        raise InputError("a risk needs a text", column=f"risks[{i}].text", value=item.get("text"))
    extra = {k: v for k, v in item.items() if k not in ("text", "likelihood", "impact", "mitigation", "owner")}
    return Risk(position=i, text=text, likelihood=item.get("likelihood"), impact=item.get("impact"),
                mitigation=item.get("mitigation"), owner=item.get("owner"), extra=extra or None)


def _priority_ref(ref: Any, by_title: dict[str, Priority], column: str) -> Priority | None:
    if ref is None or ref == "":
        return None
    if isinstance(ref, int) and not isinstance(ref, bool):
        found = [p for p in by_title.values() if p.id == ref or p.position == ref]
        if found:
            return found[0]
    if str(ref) in by_title:
        return by_title[str(ref)]
    raise InputError(f"unknown priority; the plan has {', '.join(repr(t) for t in by_title) or 'none'}",
                     column=column, value=ref)


def _action(item: dict[str, Any], i: int, by_title: dict[str, Priority], known: set[str] | None) -> Action:
    where = f"actions[{i}]"
    title = str(item.get("title") or "").strip()
    if not title:
        raise InputError("an action needs a title", column=f"{where}.title", value=item.get("title"))
    start, end = as_date(item.get("start"), f"{where}.start"), as_date(item.get("end"), f"{where}.end")
    if start and end and end < start:
        raise InputError(f"the action ends before it starts ({start})", column=f"{where}.end", value=str(end))
    budget = item.get("budget")
    if budget is not None:
        try:
            budget = float(budget)
        except (TypeError, ValueError):
            raise InputError("the budget must be a number (EUR)", column=f"{where}.budget", value=budget) from None
        if budget < 0:
            raise InputError("the budget cannot be negative", column=f"{where}.budget", value=budget)
    partners = _partners(item.get("partners") or [], known, f"{where}.partners")
    status = one_of(item.get("status") or "planned", ACTION_STATUSES, f"{where}.status")
    reason = item.get("status_reason") or item.get("reason")
    if status in ("cancelled", "not_carried_out", "delayed") and not reason:
        raise InputError(f"an action that is {status} needs a reason", column=f"{where}.status_reason", value=status)
    pr = _priority_ref(item.get("priority"), by_title, f"{where}.priority")
    known_keys = {"title", "description", "priority", "owner", "partners", "start", "end", "budget",
                  "funding_sources", "status", "status_reason", "reason", "milestones"}
    extra = {k: v for k, v in item.items() if k not in known_keys}
    action = Action(position=i, title=title, description=item.get("description"), owner=item.get("owner"),
                    partners=partners, start=start, end=end, budget=budget,
                    funding_sources=list(item.get("funding_sources") or []), status=status, status_reason=reason,
                    priority_id=pr.id if pr else None, extra=extra or None)
    for j, m in enumerate(item.get("milestones") or []):
        mt = str(m.get("title") or "").strip()
        if not mt:
            raise InputError("a milestone needs a title", column=f"{where}.milestones[{j}].title", value=m.get("title"))
        action.milestones.append(Milestone(title=mt, due=as_date(m.get("due"), f"{where}.milestones[{j}].due"),
                                           done=bool(m.get("done", False))))
    return action


def _partners(partners: list[Any], known: set[str] | None, column: str) -> list[Any]:
    """Partners are organisations (``{"org_id": ...}``) or regions (``{"region": ...}`` or a code)."""
    out: list[Any] = []
    for k, p in enumerate(partners):
        if isinstance(p, str):
            p = {"region": p}
        if not isinstance(p, dict) or not (p.get("org_id") or p.get("region")):
            raise InputError("a partner is an organisation (org_id) or a region (region)", column=f"{column}[{k}]",
                             value=p)
        if p.get("region") and not p.get("org_id"):
            p = {**p, "region": check_regions([p["region"]], known, column=f"{column}[{k}].region")[0]}
        out.append(p)
    return out


# -- reading -----------------------------------------------------------------------------
def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def plan_document(session: Session, plan_id: int) -> dict[str, Any]:
    """The plan as a draft-shaped document (for exports), with ids, versions and statuses."""
    plan = get(session, Plan, plan_id, "plan")
    titles = {p.id: p.title for p in plan.priorities}
    extra = dict(plan.extra or {})
    scope = {"type": plan.scope_type, "regions": list(plan.scope_regions), "clusters": list(plan.scope_clusters),
             **extra.pop("scope", {})}
    doc: dict[str, Any] = {
        "id": plan.id, "lineage_id": plan.lineage_id, "plan_version": plan.plan_version, "version": plan.version,
        "status": plan.status, "endorsed_at": plan.endorsed_at.isoformat() if plan.endorsed_at else None,
        "endorsed_by": plan.endorsed_by,
        "kind": plan.kind, "title": plan.title, "scope": scope, "evidence": plan.evidence,
        "swot": [{"category": s.category, "text": s.text, "evidence": s.evidence, **(s.extra or {})}
                 for s in plan.swot],
        "priorities": [{"id": p.id, "title": p.title, "domains": p.domains, "rationale": p.rationale,
                        "evidence": p.evidence, **(p.extra or {})} for p in plan.priorities],
        "actions": [{"id": a.id, "version": a.version, "title": a.title, "description": a.description,
                     "priority": titles.get(a.priority_id) if a.priority_id else None, "owner": a.owner,
                     "partners": a.partners, "start": _date(a.start), "end": _date(a.end), "budget": a.budget,
                     "funding_sources": a.funding_sources, "status": a.status, "status_reason": a.status_reason,
                     "milestones": [{"title": m.title, "due": _date(m.due), "done": m.done} for m in a.milestones],
                     **(a.extra or {})} for a in plan.actions],
        "indicators": [_indicator_doc(i, titles) for i in plan.indicators],
        "risks": [{"text": r.text, "likelihood": r.likelihood, "impact": r.impact, "mitigation": r.mitigation,
                   "owner": r.owner, **(r.extra or {})} for r in plan.risks],
        "governance": plan.governance, "landscape": plan.landscape,
    }
    doc.update(extra)
    return doc


def _indicator_doc(i: Indicator, titles: dict[int, str]) -> dict[str, Any]:
    from rok.workspace.tracking import current_values, indicator_status

    status = indicator_status(i)
    return {"id": i.id, "version": i.version, "name": i.name, "type": i.type, "unit": i.unit,
            "direction": i.direction,
            "source": {"measure": i.measure, "params": i.params or {}} if i.measure else {"manual": True},
            "regions": i.regions,
            "baseline": None if i.baseline_year is None else {"year": i.baseline_year, "value": i.baseline_value},
            "target": None if i.target_year is None else {"year": i.target_year, "value": i.target_value},
            "milestones": [{"year": m.year, "value": m.value} for m in i.milestones],
            "priority": titles.get(i.priority_id) if i.priority_id else None,
            "measurements": [{"year": y, "value": v} for y, v in current_values(i).items()],
            "history": [{"year": y, "value": v} for y, v in current_values(i).items()],
            "progress": status["progress"], "outlook": status["outlook"], "load_id": i.checked_load_id}


def list_plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.id)))


# -- editing -----------------------------------------------------------------------------
EDITABLE = {"title", "governance", "landscape", "evidence", "kind"}


def edit_plan(session: Session, plan_id: int, expected_version: int | None, **changes: Any) -> Plan:
    """Edit a draft plan's title, kind, governance, landscape or evidence."""
    plan = get(session, Plan, plan_id, "plan")
    check_version(plan, expected_version)
    require_draft(plan)
    for key, value in changes.items():
        if key not in EDITABLE:
            raise InputError(f"cannot edit {key!r}; editable: {', '.join(sorted(EDITABLE))}", column=key, value=value)
        if key == "kind":
            value = _kind(value)
        if key == "title" and not str(value).strip():
            raise InputError("the plan needs a title", column="title", value=value)
        setattr(plan, key, value)
    _commit(session, plan, expected_version)
    return plan


def _commit(session: Session, plan: Plan, expected_version: int | None) -> None:
    touch(plan)
    flush_or_conflict(session, plan, expected_version if expected_version is not None else plan.version)


def endorse(session: Session, plan_id: int, expected_version: int | None, by: str | None = None) -> Plan:
    """Endorse a draft: the version is frozen from now on."""
    plan = get(session, Plan, plan_id, "plan")
    check_version(plan, expected_version)
    if plan.status != "draft":
        raise FrozenError(f"plan {plan.id} (version {plan.plan_version}) is already {plan.status}")
    missing = [i.name for i in plan.indicators if i.target_year is None and i.type == "result"]
    if missing:
        raise InputError(f"{len(missing)} result indicator(s) have no target yet (e.g. {missing[0]!r}); set targets "
                         "before endorsing", column="indicators.target", value=missing[0])
    plan.status, plan.endorsed_at = "endorsed", utcnow()
    plan.endorsed_by = by or str(session.info.get("actor") or "system")
    _commit(session, plan, expected_version)
    return plan


def set_status(session: Session, plan_id: int, status: str, expected_version: int | None) -> Plan:
    """Move an endorsed plan on: endorsed -> implementing -> closed (draft -> endorsed: :func:`endorse`)."""
    plan = get(session, Plan, plan_id, "plan")
    check_version(plan, expected_version)
    if status == "endorsed" and plan.status == "draft":
        return endorse(session, plan_id, expected_version)
    allowed = NEXT_STATUS.get(plan.status, ())
    if status not in allowed:
        raise InputError(f"plan {plan.id} is {plan.status}; it can move to {', '.join(allowed) or 'no other status'}"
                         + (" (endorse it first)" if plan.status == "draft" else ""), column="status", value=status)
    plan.status = status
    _commit(session, plan, expected_version)
    return plan


def new_version(session: Session, plan_id: int) -> Plan:
    """A new draft version copied from an endorsed (frozen) one, measurements included."""
    old = get(session, Plan, plan_id, "plan")
    if old.status == "draft":
        raise InputError(f"plan {old.id} is a draft; edit it directly", column="plan", value=old.id)
    newer = session.scalar(select(Plan).where(Plan.previous_id == old.id))
    if newer is not None:
        raise InputError(f"plan {old.id} already has a newer version: plan {newer.id}", column="plan", value=old.id)
    doc = plan_document(session, old.id)
    keep = {k: doc[k] for k in _DRAFT_KEYS if k in doc}
    keep["scope"] = {**doc["scope"], "clusters": list(old.scope_clusters)}
    keep["actions"] = [{k: v for k, v in a.items() if k not in ("id", "version")} for a in doc["actions"]]
    keep["indicators"] = [{k: v for k, v in i.items() if k in ("name", "type", "unit", "direction", "source",
                                                                "regions", "baseline", "target", "milestones",
                                                                "priority")} for i in doc["indicators"]]
    keep["priorities"] = [{k: v for k, v in p.items() if k != "id"} for p in doc["priorities"]]
    for k in (old.extra or {}):
        if k != "scope":
            keep[k] = old.extra[k]
    plan = create_plan_from_draft(session, keep)
    plan.lineage_id, plan.plan_version, plan.previous_id = old.lineage_id, old.plan_version + 1, old.id
    for src, dst in zip(old.indicators, plan.indicators, strict=True):
        dst.checked_load_id = src.checked_load_id
        for m in src.measurements:
            dst.measurements.append(type(m)(year=m.year, value=m.value, load_id=m.load_id, origin=m.origin,
                                            recorded_at=m.recorded_at, recorded_by=m.recorded_by))
    session.flush()
    return plan


def add_action(session: Session, plan_id: int, item: dict[str, Any], expected_version: int | None,
               warehouse: Any = None) -> Action:
    plan = get(session, Plan, plan_id, "plan")
    check_version(plan, expected_version)
    require_draft(plan)
    action = _action(item, len(plan.actions), {p.title: p for p in plan.priorities}, known_regions(warehouse))
    plan.actions.append(action)
    _commit(session, plan, expected_version)
    return action


ACTION_EDITABLE = {"title", "description", "owner", "partners", "start", "end", "budget", "funding_sources",
                   "status", "status_reason", "priority"}
IMPLEMENTATION = {"status", "status_reason"}


def edit_action(session: Session, action_id: int, expected_version: int | None, warehouse: Any = None,
                **changes: Any) -> Action:
    """Edit an action; on a frozen plan only its status and reason (implementation) may change."""
    action = get(session, Action, action_id, "action")
    check_version(action, expected_version)
    plan = get(session, Plan, action.plan_id, "plan")
    if set(changes) - IMPLEMENTATION:
        require_draft(plan)
    unknown = set(changes) - ACTION_EDITABLE
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"cannot edit {key!r}; editable: {', '.join(sorted(ACTION_EDITABLE))}", column=key,
                         value=changes[key])
    current = {"title": action.title, "description": action.description, "owner": action.owner,
               "partners": action.partners, "start": _date(action.start), "end": _date(action.end),
               "budget": action.budget, "funding_sources": action.funding_sources, "status": action.status,
               "status_reason": action.status_reason if "status" not in changes else changes.get("status_reason"),
               "priority": next((p.title for p in plan.priorities if p.id == action.priority_id), None)}
    checked = _action({**current, **changes}, action.position, {p.title: p for p in plan.priorities},
                      known_regions(warehouse))
    for key in ("title", "description", "owner", "partners", "start", "end", "budget", "funding_sources", "status",
                "status_reason", "priority_id"):
        setattr(action, key, getattr(checked, key))
    flush_or_conflict(session, action, expected_version if expected_version is not None else action.version)
    return action


def add_indicator(session: Session, plan_id: int, spec: dict[str, Any], expected_version: int | None,
                  warehouse: Any = None) -> Indicator:
    """Add an indicator (draft-shaped spec) to a draft plan; its regions default to the plan's."""
    plan = get(session, Plan, plan_id, "plan")
    check_version(plan, expected_version)
    require_draft(plan)
    pr = _priority_ref(spec.get("priority"), {p.title: p for p in plan.priorities}, "priority")
    ind = indicator_from_spec(spec, regions=list(plan.scope_regions), known=known_regions(warehouse),
                              data=_data(warehouse), priority_id=pr.id if pr else None)
    ind.position = len(plan.indicators)
    plan.indicators.append(ind)
    _commit(session, plan, expected_version)
    return ind


def edit_indicator_target(session: Session, indicator_id: int, year: Any, value: Any,
                          expected_version: int | None, milestones: list[Any] | None = None) -> Indicator:
    """Set an indicator's target (checked against its baseline and direction) on a draft plan."""
    ind = get(session, Indicator, indicator_id, "indicator")
    check_version(ind, expected_version)
    if ind.plan_id is not None:
        require_draft(get(session, Plan, ind.plan_id, "plan"))
    set_target(ind, year, value, milestones)
    flush_or_conflict(session, ind, expected_version if expected_version is not None else ind.version)
    return ind
