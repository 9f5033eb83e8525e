"""The workspace store: migrations, audit log, optimistic versioning, accounts (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect as sa_inspect

from rok.errors import InputError
from rok.workspace import ConflictError, Workspace, workspace_url
from rok.workspace.accounts import add_user, find_user, verify_password
from rok.workspace.audit import audit_trail
from rok.workspace.models import User


def test_migrated_on_open(empty_url: str) -> None:
    bare = Workspace(empty_url, migrate=False)
    assert bare.revision() is None
    bare.close()
    with Workspace(empty_url) as ws:
        assert ws.revision() == Workspace.head()
        tables = set(sa_inspect(ws.engine).get_table_names())
        assert {"users", "audit_log", "clusters", "plans", "indicators", "measurements", "programmes"} <= tables
        assert ws.upgrade() == (Workspace.head(), Workspace.head())


def test_workspace_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ROK_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert workspace_url() == f"sqlite:///{tmp_path / 'rok-workspace.sqlite'}"
    monkeypatch.setenv("ROK_WORKSPACE", "postgresql+psycopg://u@h:5/db")
    assert workspace_url() == "postgresql+psycopg://u@h:5/db"
    assert workspace_url("x.sqlite") == f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(InputError, match="cannot open workspace"):
        Workspace("postgresql+psycopg://nobody@127.0.0.1:1/none")


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


def test_accounts(workspace: Workspace) -> None:
    with workspace.session("admin@example.org") as s:
        add_user(s, "Ana Lima", "Ana@Example.org", "programme_manager", password="correct horse")
    with workspace.session() as s:
        user = find_user(s, "ana@example.org")
        assert user is not None and user.role == "programme_manager"
        assert user.password_hash.startswith("$argon2id$") and "correct horse" not in user.password_hash
        assert verify_password(user, "correct horse") and not verify_password(user, "wrong horse")
        entry = audit_trail(s, "users")[0]
        assert entry.actor == "admin@example.org" and entry.after["email"] == "ana@example.org"
    for args, message in [(("Ben", "ana@example.org", "editor"), "exists already"),
                          (("Ben", "ben@example.org", "emperor"), "unknown role"),
                          (("Ben", "not-an-address", "editor"), "not an e-mail"),
                          (("Ben", "ben@example.org", "editor", "short"), "at least 8")]:
        with pytest.raises(InputError, match=message), workspace.session() as s:
            add_user(s, *args)
    with workspace.session() as s:
        assert s.query(User).count() == 1


def test_concurrent_user_edit_conflicts(workspace: Workspace) -> None:
    from rok.workspace.editing import flush_or_conflict

    with workspace.session() as s:
        add_user(s, "Ana", "ana@example.org", "viewer")
    with workspace.session() as first, workspace.session() as second:
        a, b = first.query(User).one(), second.query(User).one()
        a.role = "editor"
        first.commit()
        b.role = "admin"
        with pytest.raises(ConflictError, match="user 1 was changed by someone else: your edit is based on version 1, the current version is 2"):
            flush_or_conflict(second, b, 1)
    with workspace.session() as s:
        assert s.query(User).one().role == "editor"


def test_audit_log_and_measurements_are_append_only(workspace: Workspace) -> None:
    from rok.workspace.models import Indicator, Measurement

    with workspace.session("ana@example.org") as s:
        add_user(s, "Ana", "ana@example.org", "viewer")
        s.add(Indicator(name="events", type="output", direction="increase",
                        measurements=[Measurement(year=2026, value=1.0, origin="manual")]))
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                      "UPDATE measurements SET value = 0"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), workspace.engine.begin() as con:
            con.execute(sa.text(statement))
    with workspace.session() as s:
        assert {e.actor for e in audit_trail(s)} == {"ana@example.org"} and len(audit_trail(s)) == 3
        assert s.query(Measurement).one().value == 1.0
