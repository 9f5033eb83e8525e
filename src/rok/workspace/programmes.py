"""Mentoring programmes, twinning and peer reviews in the workspace: rules, pairings,
activities, milestones, outcomes and indicators (tracked like a plan's).

The pairing itself is computed by :mod:`rok.cooperation.programmes` and stored here with its
score, reason and evidence. Rules are kept with the programme (``rules``: ``widening``,
``mentee_groups``, ``mentor_groups``, ``mentors_per_mentee``, ``distinct_countries``,
``capacity``; peer reviews: ``peers``, ``min_countries``), so that a pairing can be
recomputed and explained later. Progress: the mean progress of the programme's indicators
(:func:`rok.workspace.tracking.aggregate`), beside the share of milestones reached and the
outcomes by kind (proposal, MoU, joint project, policy change; peer reviews:
recommendations and to-do items).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rok.errors import InputError
from rok.workspace.checks import as_date, check_regions, known_regions, one_of
from rok.workspace.editing import check_version, flush_or_conflict, get, touch
from rok.workspace.models import (
    ACTIVITY_KINDS,
    OUTCOME_KINDS,
    PROGRAMME_TYPES,
    Activity,
    Milestone,
    Outcome,
    Pairing,
    Programme,
)
from rok.workspace.tracking import aggregate, indicator_from_spec, indicator_status

__all__ = ["create_programme", "store_pairings", "add_activity", "add_outcome", "add_milestone",
           "add_programme_indicator", "programme_progress", "programme_document", "list_programmes",
           "find_programme"]


def create_programme(session: Session, *, type: str, name: str, start: Any = None, end: Any = None,
                     rules: dict[str, Any] | None = None, host: str | None = None, topic: Any = None,
                     warehouse: Any = None) -> Programme:
    """A new programme; a peer review names its host region and topic domain."""
    kind = one_of(type, PROGRAMME_TYPES, "type")
    name = str(name or "").strip()
    if not name:
        raise InputError("the programme needs a name", column="name", value=name)
    if session.scalar(select(Programme).where(Programme.name == name)) is not None:
        raise InputError("a programme with this name exists already", column="name", value=name)
    s, e = as_date(start, "start"), as_date(end, "end")
    if s and e and e < s:
        raise InputError(f"the programme ends before it starts ({s})", column="end", value=str(e))
    if kind == "peer_review":
        if not host or not topic:
            raise InputError("a peer review needs a host region and a topic domain", column="host", value=host)
    if host:
        host = check_regions([host], known_regions(warehouse), column="host")[0]
    prog = Programme(type=kind, name=name, start=s, end=e, rules=dict(rules or {}), host=host,
                     topic=topic if topic is None or isinstance(topic, dict) else {"code": str(topic)},
                     status="draft")
    session.add(prog)
    session.flush()
    return prog


def find_programme(session: Session, ref: Any) -> Programme:
    """A programme by id or name (NotFoundError otherwise)."""
    if isinstance(ref, int) or str(ref).isdigit():
        return get(session, Programme, int(ref), "programme")
    found = session.scalar(select(Programme).where(Programme.name == str(ref)))
    if found is None:
        from rok.workspace.errors import NotFoundError

        raise NotFoundError(f"unknown programme {ref}", column="programme", value=ref)
    return found


def store_pairings(session: Session, prog: Programme, rows: list[dict[str, Any]], expected_version: int | None,
                   *, replace: bool = True) -> list[Pairing]:
    """Store pairings computed by :mod:`rok.cooperation.programmes` (``mentee, mentor`` or
    ``peer``, ``score``, ``reason`` or the reason columns; the rest kept as evidence)."""
    check_version(prog, expected_version)
    if replace:
        prog.pairings = []
    out = []
    for row in rows:
        mentee = row.get("mentee") or prog.host
        mentor = row.get("mentor") or row.get("peer")
        role = "peer" if prog.type == "peer_review" else ("leading" if prog.type == "twinning" else "mentor")
        reason = row.get("reason") or "; ".join(
            f"{k.replace('_', ' ')}: {row[k]}" for k in ("domains_to_work_on", "mentor_strengths", "existing_ties")
            if row.get(k))
        pairing = Pairing(mentee=mentee, mentor=mentor, role=role, score=row.get("score"), reason=reason or None,
                          evidence={k: v for k, v in row.items() if k not in ("mentee", "mentor", "peer", "reason")})
        prog.pairings.append(pairing)
        out.append(pairing)
    touch(prog)
    flush_or_conflict(session, prog, expected_version if expected_version is not None else prog.version)
    return out


def _pairing(prog: Programme, pairing_id: Any) -> int | None:
    if pairing_id is None:
        return None
    ids = {p.id for p in prog.pairings}
    if int(pairing_id) not in ids:
        raise InputError(f"unknown pairing of programme {prog.id}", column="pairing", value=pairing_id)
    return int(pairing_id)


def add_activity(session: Session, prog: Programme, *, kind: str, title: str, start: Any = None, end: Any = None,
                 pairing_id: Any = None, status: str = "planned", participants: int | None = None) -> Activity:
    """An activity (staff exchange, expert visit, training, workshop, summer school, ...)."""
    s, e = as_date(start, "start"), as_date(end, "end")
    for day, col in ((s, "start"), (e, "end")):
        if day and ((prog.start and day < prog.start) or (prog.end and day > prog.end)):
            raise InputError(f"outside the programme's dates {prog.start} .. {prog.end}", column=col, value=str(day))
    if s and e and e < s:
        raise InputError(f"the activity ends before it starts ({s})", column="end", value=str(e))
    if not str(title).strip():
        raise InputError("the activity needs a title", column="title", value=title)
    act = Activity(kind=one_of(kind, ACTIVITY_KINDS, "kind"), title=str(title).strip(), start=s, end=e,
                   pairing_id=_pairing(prog, pairing_id),
                   status=one_of(status, ("planned", "ongoing", "done", "cancelled"), "status"),
                   participants=participants)
    prog.activities.append(act)
    touch(prog)
    session.flush()
    return act


def add_outcome(session: Session, prog: Programme, *, kind: str, description: str, date: Any = None,
                pairing_id: Any = None, reference: str | None = None) -> Outcome:
    """An outcome: proposal, MoU, joint project, policy change (peer reviews: recommendation, to-do)."""
    if not str(description).strip():
        raise InputError("the outcome needs a description", column="description", value=description)
    out = Outcome(kind=one_of(kind, OUTCOME_KINDS, "kind"), description=str(description).strip(),
                  date=as_date(date, "date"), pairing_id=_pairing(prog, pairing_id), reference=reference)
    prog.outcomes.append(out)
    touch(prog)
    session.flush()
    return out


def add_milestone(session: Session, prog: Programme, *, title: str, due: Any = None, done: bool = False) -> Milestone:
    if not str(title).strip():
        raise InputError("the milestone needs a title", column="title", value=title)
    ms = Milestone(title=str(title).strip(), due=as_date(due, "due"), done=done)
    prog.milestones.append(ms)
    touch(prog)
    session.flush()
    return ms


def add_programme_indicator(session: Session, prog: Programme, spec: dict[str, Any], warehouse: Any = None) -> Any:
    """An indicator of the programme; its regions default to those of the pairings."""
    regions = sorted({p.mentee for p in prog.pairings} | {p.mentor for p in prog.pairings}) or (
        [prog.host] if prog.host else [])
    data = None
    if warehouse is not None:
        from rok.cooperation.indicators import WarehouseData

        data = warehouse if isinstance(warehouse, WarehouseData) else WarehouseData(warehouse)
    ind = indicator_from_spec(spec, regions=regions, known=known_regions(warehouse), data=data)
    ind.position = len(prog.indicators)
    prog.indicators.append(ind)
    touch(prog)
    session.flush()
    return ind


def programme_progress(prog: Programme) -> dict[str, Any]:
    statuses = [indicator_status(i) for i in prog.indicators]
    done = sum(1 for m in prog.milestones if m.done)
    outcomes: dict[str, int] = {}
    for o in prog.outcomes:
        outcomes[o.kind] = outcomes.get(o.kind, 0) + 1
    return {"programme": prog.id, "name": prog.name, "type": prog.type,
            "progress": aggregate(s["progress"] for s in statuses), "indicators": statuses,
            "milestones": {"done": done, "total": len(prog.milestones),
                           "share": done / len(prog.milestones) if prog.milestones else None},
            "activities": {k: sum(1 for a in prog.activities if a.status == k)
                           for k in ("planned", "ongoing", "done", "cancelled")},
            "outcomes": outcomes}


def programme_document(prog: Programme) -> dict[str, Any]:
    def d(x: Any) -> Any:
        return x.isoformat() if x else None

    return {"id": prog.id, "version": prog.version, "name": prog.name, "type": prog.type, "status": prog.status,
            "start": d(prog.start), "end": d(prog.end), "rules": prog.rules, "host": prog.host, "topic": prog.topic,
            "pairings": [{"id": p.id, "mentee": p.mentee, "mentor": p.mentor, "role": p.role, "score": p.score,
                          "reason": p.reason} for p in prog.pairings],
            "activities": [{"id": a.id, "kind": a.kind, "title": a.title, "start": d(a.start), "end": d(a.end),
                            "status": a.status, "pairing": a.pairing_id} for a in prog.activities],
            "milestones": [{"title": m.title, "due": d(m.due), "done": m.done} for m in prog.milestones],
            "outcomes": [{"kind": o.kind, "description": o.description, "date": d(o.date), "pairing": o.pairing_id,
                          "reference": o.reference} for o in prog.outcomes],
            "progress": programme_progress(prog)}


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.id)))


def edit_programme(session: Session, prog: Programme, expected_version: int | None, **changes: Any) -> Programme:
    check_version(prog, expected_version)
    for key, value in changes.items():
        if key == "status":
            value = one_of(value, ("draft", "running", "closed"), "status")
        elif key in ("start", "end"):
            value = as_date(value, key)
        elif key not in ("name", "rules"):
            raise InputError(f"cannot edit {key!r}", column=key, value=value)
        setattr(prog, key, value)
    touch(prog)
    flush_or_conflict(session, prog, expected_version if expected_version is not None else prog.version)
    return prog
