"""Editor scopes in the workspace: set_scope / scopes_of with their audit entries, and migration
0003, which takes over the ``web_editor_scopes`` rows older web servers made (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rok.errors import InputError
from rok.workspace import Workspace
from rok.workspace.accounts import add_user, find_user, scope_labels, scopes_of, set_scope
from rok.workspace.audit import audit_trail
from rok.workspace.db import _alembic_config
from rok.workspace.models import AuditEntry, Base, Cluster, EditorScope, Plan, User


def _migrate(ws: Workspace, revision: str, *, down: bool = False) -> None:
    with ws.engine.begin() as con:
        cfg = _alembic_config()
        cfg.attributes["connection"] = con
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _old_scope_table() -> sa.Table:
    """``web_editor_scopes`` exactly as the web server created it before revision 0003."""
    return sa.Table("web_editor_scopes", sa.MetaData(),
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("user_id", sa.Integer, nullable=False, index=True),
                    sa.Column("kind", sa.String(10), nullable=False),
                    sa.Column("ref", sa.String(60), nullable=False),
                    sa.UniqueConstraint("user_id", "kind", "ref"))


def _tables(ws: Workspace) -> set[str]:
    return set(sa.inspect(ws.engine).get_table_names())


def test_migration_takes_over_the_web_scopes(empty_url: str, caplog: pytest.LogCaptureFixture) -> None:
    ws = Workspace(empty_url, migrate=False)
    _migrate(ws, "0002")
    assert ws.revision() == "0002"
    with ws.session("admin@example.org") as s:
        ed = add_user(s, "Eddi", "ed@example.org", "editor")
        s.add(Cluster(name="Munich health", regions=["DE21"], origin="manual"))
    old = _old_scope_table()
    old.metadata.create_all(ws.engine)
    with ws.engine.begin() as con:
        con.execute(sa.insert(old), [{"user_id": ed.id, "kind": "region", "ref": "DE21"},
                                     {"user_id": ed.id, "kind": "region", "ref": "fr10"},
                                     {"user_id": ed.id, "kind": "cluster", "ref": "1"},
                                     {"user_id": ed.id + 41, "kind": "region", "ref": "ITC4"},  # account gone
                                     {"user_id": ed.id, "kind": "galaxy", "ref": "M31"}])
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        assert ws.upgrade() == ("0002", "0003")
    assert "web_editor_scopes" not in _tables(ws) and "editor_scopes" in _tables(ws)
    with ws.session() as s:
        assert scopes_of(s, ed.id) == {"region": {"DE21", "FR10"}, "cluster": {"1"}, "plan": set()}
        assert s.query(EditorScope).count() == 3
    skipped = [r.getMessage() for r in caplog.records if "not copied" in r.getMessage()]
    assert len(skipped) == 2 and "'ITC4'" in skipped[0] and "no such account" in skipped[0]
    assert "'galaxy'" in skipped[1]

    _migrate(ws, "0002", down=True)
    assert "editor_scopes" not in _tables(ws)
    with ws.engine.connect() as con:
        rows = con.execute(sa.text("SELECT user_id, kind, ref FROM web_editor_scopes ORDER BY id")).all()
    assert sorted(tuple(r) for r in rows) == [(ed.id, "cluster", "1"), (ed.id, "region", "DE21"),
                                              (ed.id, "region", "FR10")]
    ws.upgrade()
    with ws.session() as s:
        assert scopes_of(s, ed.id)["region"] == {"DE21", "FR10"}
    ws.close()


def test_fresh_workspace_matches_the_models(empty_url: str) -> None:
    with Workspace(empty_url) as ws, ws.engine.connect() as con:
        assert ws.revision() == "0003" and "web_editor_scopes" not in _tables(ws)
        assert compare_metadata(MigrationContext.configure(con, opts={"compare_type": True}), Base.metadata) == []


def test_set_scope_replaces_one_kind_with_an_audit_entry(workspace: Workspace) -> None:
    with workspace.session("admin@example.org") as s:
        ed = add_user(s, "Eddi", "ed@example.org", "editor")
        s.add(Plan(kind="research_agenda", title="Agenda", scope_type="region", scope_regions=["DE21"],
                   scope_clusters=[], plan_version=1))
        s.flush()
        assert set_scope(s, ed, "region", ["de21 ", "FR10", "DE21", ""], "admin@example.org") == ["DE21", "FR10"]
        assert set_scope(s, ed.id, "plan", ["1"], "admin@example.org") == ["1"]
    with workspace.session("admin@example.org") as s:
        ed = find_user(s, "ed@example.org")
        assert ed is not None
        assert set_scope(s, ed, "region", ["ITC4", "DE21"], "admin@example.org") == ["DE21", "ITC4"]
        assert set_scope(s, ed, "region", ["DE21", "ITC4"], "admin@example.org") == ["DE21", "ITC4"]  # no change
    with workspace.session() as s:
        assert scopes_of(s, ed.id) == {"region": {"DE21", "ITC4"}, "cluster": set(), "plan": {"1"}}
        assert scope_labels(scopes_of(s, ed.id)) == ["region:DE21", "region:ITC4", "plan:1"]
        trail = audit_trail(s, "editor_scope")
        assert [(e.entity_id, e.actor, e.before, e.after) for e in trail] == [
            (f"{ed.id}:region", "admin@example.org", {"refs": []}, {"refs": ["DE21", "FR10"]}),
            (f"{ed.id}:plan", "admin@example.org", {"refs": []}, {"refs": ["1"]}),
            (f"{ed.id}:region", "admin@example.org", {"refs": ["DE21", "FR10"]}, {"refs": ["DE21", "ITC4"]})]
    with workspace.session("admin@example.org") as s:
        set_scope(s, ed.id, "region", [], "admin@example.org")
    with workspace.session() as s:
        assert scopes_of(s, ed.id)["region"] == set()
        assert audit_trail(s, "editor_scope")[-1].after == {"refs": []}


@pytest.mark.parametrize("kind, refs, message", [
    ("galaxy", ["M31"], "column 'kind', value 'galaxy': unknown scope kind; expected one of region, cluster, plan"),
    ("region", ["DE21", "not a code"], "value 'not a code': not a NUTS code"),
    ("cluster", ["x"], "value 'x': a cluster is named by its id"),
    ("cluster", ["7"], "column 'cluster', value '7': unknown cluster"),
    ("plan", ["12345678901234"], "a plan is named by its id"),
])
def test_bad_scopes_change_nothing(workspace: Workspace, kind: str, refs: list[str], message: str) -> None:
    with workspace.session() as s:
        ed = add_user(s, "Eddi", "ed@example.org", "editor")
        set_scope(s, ed, "region", ["DE21"], "admin@example.org")
    with pytest.raises(InputError, match=message), workspace.session() as s:
        set_scope(s, ed.id, kind, refs, "admin@example.org")
    with workspace.session() as s:
        assert scopes_of(s, ed.id)["region"] == {"DE21"} and len(audit_trail(s, "editor_scope")) == 1


def test_scope_is_for_editors_and_goes_with_the_account(workspace: Workspace) -> None:
    with workspace.session() as s:
        viewer = add_user(s, "Vera", "vera@example.org", "viewer")
        ed = add_user(s, "Eddi", "ed@example.org", "editor")
        with pytest.raises(InputError, match="only an editor has a scope, and vera@example.org is not one"):
            set_scope(s, viewer, "region", ["DE21"], "admin@example.org")
        assert set_scope(s, viewer, "region", [], "admin@example.org") == []  # clearing is always allowed
        with pytest.raises(InputError, match="no such account"):
            set_scope(s, 999, "region", ["DE21"], "admin@example.org")
        set_scope(s, ed, "region", ["DE21"], "admin@example.org")
    with workspace.session() as s:  # ON DELETE CASCADE in the database, not only in the ORM
        s.execute(sa.delete(User).where(User.email == "ed@example.org"))
    with workspace.session() as s:
        assert s.query(EditorScope).count() == 0
        assert s.query(AuditEntry).filter(AuditEntry.entity == "editor_scope").count() == 1
