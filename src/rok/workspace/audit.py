"""The audit log: every insert, update and delete in the workspace, with who, when, and the row
before and after (JSON).

A listener on each workspace session runs after every flush, inside the same transaction as the
change itself, so a change and its audit entry are committed or rolled back together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from rok.workspace.models import AuditEntry, Base, utcnow

__all__ = ["install_audit", "audit_trail", "snapshot"]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def snapshot(obj: Base, *, before: bool = False) -> dict[str, Any]:
    """The row's column values (``before``: as they were before the pending change)."""
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        value = getattr(obj, attr.key)
        if before:
            history = state.attrs[attr.key].history
            if history.deleted:
                value = history.deleted[0]
        out[attr.key] = _plain(value)
    return out


def _identity(obj: Base) -> str:
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _record(session: Session, _flush_context: object) -> None:
    actor = str(session.info.get("actor") or "system")
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, AuditEntry):
            continue
        rows.append(dict(action="insert", before=None, after=snapshot(obj), obj=obj))
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) or not session.is_modified(obj, include_collections=False):
            continue
        before, after = snapshot(obj, before=True), snapshot(obj)
        if "version" in before and before["version"] == after["version"]:
            before["version"] = after["version"] - 1  # bumped by the flush, not an attribute edit
        if before != after:
            rows.append(dict(action="update", before=before, after=after, obj=obj))
    for obj in session.deleted:
        rows.append(dict(action="delete", before=snapshot(obj), after=None, obj=obj))
    if not rows:
        return
    entries = [
        {"at": now, "actor": actor, "action": r["action"], "entity": r["obj"].__tablename__,
         "entity_id": _identity(r["obj"]), "before": r["before"], "after": r["after"]}
        for r in rows
    ]
    session.connection().execute(insert(AuditEntry), entries)


def install_audit(session: Session) -> None:
    """Record every flush of ``session`` in the audit log (idempotent)."""
    if not event.contains(session, "after_flush", _record):
        event.listen(session, "after_flush", _record)


def audit_trail(session: Session, entity: str | None = None, entity_id: object = None) -> list[AuditEntry]:
    """The audit entries, oldest first, optionally of one entity (table name) and id."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return list(session.scalars(query))
