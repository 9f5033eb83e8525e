"""Looking rows up and editing them under optimistic concurrency.

An edit names the version it was based on (``expected_version``, e.g. the version a form or
a ``rok ... show`` displayed). When the row has been changed since, :class:`ConflictError`
names the entity, the version the editor had and the current one, and nothing is written:
the other person's edit is kept, and the editor reloads and applies the edit again. A
concurrent change that lands between reading and writing is caught by the database itself
(``UPDATE ... WHERE version = :had`` touches no row; SQLAlchemy's ``version_id_col``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rok.workspace.errors import ConflictError, NotFoundError
from rok.workspace.models import Base, utcnow

__all__ = ["get", "check_version", "flush_or_conflict", "touch", "guarded"]

T = TypeVar("T", bound=Base)


def get(session: Session, model: type[T], key: object, what: str | None = None) -> T:
    """The row of ``model`` with primary key ``key``; NotFoundError names what was missing."""
    try:
        obj = session.get(model, int(key))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        name = what or model.__tablename__.rstrip("s")
        raise NotFoundError(f"unknown {name} {key}", column=name, value=key)
    return obj


def check_version(obj: Base, expected_version: int | None) -> None:
    """ConflictError when ``obj`` is no longer at ``expected_version`` (None: no check)."""
    if expected_version is not None and int(expected_version) != obj.version:  # type: ignore[attr-defined]
        raise ConflictError(_entity(obj), _key(obj), int(expected_version), obj.version)  # type: ignore[attr-defined]


def touch(obj: Base) -> None:
    """Mark an aggregate root (cluster, plan, programme) as changed: its version goes up on flush."""
    obj.updated = utcnow()  # type: ignore[attr-defined]


def flush_or_conflict(session: Session, obj: Base, had: int | None) -> None:
    """Flush; a row changed meanwhile by another session becomes a ConflictError."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = session.scalar(select(type(obj).version).where(type(obj).id == _key(obj)))  # type: ignore[attr-defined]
        raise ConflictError(_entity(obj), _key(obj), had, current) from None


@contextmanager
def guarded(session: Session, obj: Base, expected_version: int | None) -> Iterator[None]:
    """Check ``expected_version``, run the edit, touch and flush ``obj`` with conflict detection."""
    check_version(obj, expected_version)
    had = obj.version  # type: ignore[attr-defined]
    yield
    touch(obj)
    flush_or_conflict(session, obj, expected_version if expected_version is not None else had)


def _entity(obj: Base) -> str:
    return obj.__tablename__.rstrip("s")


def _key(obj: Base) -> Any:
    return getattr(obj, "id", None)


def apply(obj: Base, changes: dict[str, Any], allowed: set[str], check: Callable[[str, Any], Any] | None = None) -> None:
    """Set the ``changes`` on ``obj``; keys outside ``allowed`` are an InputError."""
    from rok.errors import InputError

    for key, value in changes.items():
        if key not in allowed:
            raise InputError(f"cannot edit {key!r}; editable: {', '.join(sorted(allowed))}", column=key, value=value)
        setattr(obj, key, check(key, value) if check else value)
