"""The workspace store: migrations, audit log, optimistic versioning, accounts (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect as sa_inspect

from rok.errors import InputError
from rok.workspace import ConflictError, Workspace
from rok.workspace.audit import audit_trail
from rok.workspace.models import User


def test_migrated_on_open(workspace: Workspace) -> None:
    assert workspace.revision() == Workspace.head()
    tables = set(sa_inspect(workspace.engine).get_table_names())
    assert {"users", "audit_log", "clusters", "plans", "indicators", "measurements", "programmes"} <= tables
    assert workspace.upgrade() == (Workspace.head(), Workspace.head())


def test_audit_records_who_what_before_after(workspace: Workspace) -> None:
    with workspace.session("ana@example.org") as s:
        s.add(User(name="Ana", email="ana@example.org", role="editor"))
    with workspace.session("ben@example.org") as s:
        user = s.query(User).one()
        user.role = "admin"
    with workspace.session() as s:
        trail = audit_trail(s, "users")
    assert [(e.actor, e.action) for e in trail] == [("ana@example.org", "insert"), ("ben@example.org", "update")]
    assert trail[0].entity_id == "1" and trail[0].before is None and trail[0].after["role"] == "editor"
    assert trail[1].before["role"] == "editor" and trail[1].after["role"] == "admin"
    assert (trail[1].before["version"], trail[1].after["version"]) == (1, 2)


def test_failed_transaction_leaves_no_trace(workspace: Workspace) -> None:
    with pytest.raises(InputError), workspace.session() as s:
        s.add(User(name="Ana", email="ana@example.org", role="editor"))
        s.flush()
        raise InputError("bad")
    with workspace.session() as s:
        assert s.query(User).count() == 0 and audit_trail(s) == []
