"""Opening the workspace database: SQLite file by default, PostgreSQL by URL; migrated on open.

The workspace is ``$ROK_WORKSPACE`` or ``--workspace``: a file path (SQLite, default
``./rok-workspace.sqlite``) or an SQLAlchemy URL (``sqlite:///file``,
``postgresql+psycopg://user@host:port/db``). Opening it applies the Alembic migrations it
lacks (``rok workspace upgrade`` does the same explicitly), each in one transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rok.errors import InputError, SchemaError
from rok.workspace.audit import install_audit

__all__ = ["Workspace", "open_workspace", "workspace_url", "DEFAULT_WORKSPACE"]

DEFAULT_WORKSPACE = "rok-workspace.sqlite"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def workspace_url(explicit: str | Path | None = None) -> str:
    """The SQLAlchemy URL of the workspace: ``explicit``, ``$ROK_WORKSPACE`` or the default file."""
    value = str(explicit or os.environ.get("ROK_WORKSPACE") or DEFAULT_WORKSPACE)
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError:
            raise InputError("not a database URL", column="workspace", value=value) from None
        return value
    return f"sqlite:///{Path(value).resolve()}"


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


class Workspace:
    """An open workspace: an engine, a session factory, and the user edits are recorded as."""

    def __init__(self, url: str, *, actor: str = "system", migrate: bool = True) -> None:
        self.url = url
        self.actor = actor
        kwargs: dict[str, object] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    # -- schema ----------------------------------------------------------------------
    def revision(self) -> str | None:
        """The Alembic revision the database is at (None: empty)."""
        with self._connect() as con:
            return MigrationContext.configure(con).get_current_revision()

    @staticmethod
    def head() -> str:
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        assert head is not None
        return head

    def upgrade(self) -> tuple[str | None, str]:
        """Apply the migrations the database lacks; returns (revision before, after)."""
        before = self.revision()
        if before != self.head():
            known = {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}
            if before is not None and before not in known:
                raise SchemaError(f"workspace {self.display()} is at revision {before}, unknown to this rok; upgrade rok")
            with self.engine.begin() as con:
                cfg = _alembic_config()
                cfg.attributes["connection"] = con
                command.upgrade(cfg, "head")
        return before, self.head()

    def _connect(self):  # type: ignore[no-untyped-def]
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise InputError(f"cannot open workspace: {exc.orig}", file=self.display()) from None

    # -- sessions --------------------------------------------------------------------
    @contextmanager
    def session(self, actor: str | None = None) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        session.info["actor"] = actor or self.actor
        install_audit(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def display(self) -> str:
        """The URL without a password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workspace(explicit: str | Path | None = None, *, actor: str | None = None) -> Workspace:
    """Open (and migrate) the workspace named by ``explicit`` or ``$ROK_WORKSPACE``."""
    return Workspace(workspace_url(explicit), actor=actor or os.environ.get("ROK_USER") or "system")


def _sqlite_pragmas(dbapi_con, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_con.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
