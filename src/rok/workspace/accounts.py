"""Accounts of the people who use the workspace (the web platform signs them in), and the
scope of each ``editor``: the regions, clusters and plans they may change.

Passwords are stored as argon2id hashes (argon2-cffi, its default parameters: RFC 9106's
second recommended option); a password is never stored or logged in clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rok.errors import InputError
from rok.workspace.models import ROLES, SCOPE_KINDS, AuditEntry, Cluster, EditorScope, Plan, User, utcnow

__all__ = ["add_user", "find_user", "verify_password", "set_password", "list_users", "set_scope", "scopes_of",
           "scope_labels", "sorted_refs", "SCOPE_KINDS"]

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")


def add_user(session: Session, name: str, email: str, role: str = "viewer", password: str | None = None) -> User:
    """A new account; unknown role, malformed or already used e-mail are InputErrors."""
    if role not in ROLES:
        raise InputError(f"unknown role; expected one of {', '.join(ROLES)}", column="role", value=role)
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InputError("not an e-mail address", column="email", value=email)
    if not name.strip():
        raise InputError("the name is empty", column="name", value=name)
    if find_user(session, email) is not None:
        raise InputError("an account with this e-mail exists already", column="email", value=email)
    user = User(name=name.strip(), email=email, role=role, password_hash=_hash(password) if password else None)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise InputError("an account with this e-mail exists already", column="email", value=email) from None
    return user


def _hash(password: str) -> str:
    if len(password) < 8:
        raise InputError("the password must have at least 8 characters", column="password")
    return _HASHER.hash(password)


def set_password(user: User, password: str) -> None:
    user.password_hash = _hash(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` matches the account's hash (False without one)."""
    if not user.password_hash:
        return False
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def set_scope(session: Session, user: User | int, kind: str, refs: Iterable[object], actor: str) -> list[str]:
    """Replace the ``kind`` part of an account's editor scope with ``refs``; returns the new list.

    ``kind`` is region, cluster or plan. Region codes are upper-cased NUTS codes (2 to 5
    characters: country, then letters or digits); clusters and plans are named by the id of
    one in the workspace (a plan id covers the later versions of that plan). Blanks and
    duplicates are dropped; an empty ``refs`` clears the kind. Only an ``editor`` may have a
    non-empty scope (the other roles change everything or nothing). A change is one audit entry
    (entity ``editor_scope``, id ``USER:KIND``) with the list before and after. An unknown kind,
    account, region code, cluster or plan is an InputError, and nothing changes.

    Examples
    --------
    >>> set_scope(session, editor, "region", ["de21", "FR10"], "admin@example.org")  # doctest: +SKIP
    ['DE21', 'FR10']
    """
    if kind not in SCOPE_KINDS:
        raise InputError(f"unknown scope kind; expected one of {', '.join(SCOPE_KINDS)}", column="kind", value=kind)
    account = user if isinstance(user, User) else session.get(User, int(user))
    if account is None:
        raise InputError("no such account", column="user", value=str(user))
    user_id = account.id
    after = sorted({_scope_ref(session, kind, r) for r in refs if str(r).strip()}, key=_order)
    if after and account.role != "editor":
        raise InputError(f"only an editor has a scope, and {account.email} is not one", column="role",
                         value=account.role)
    where = (EditorScope.user_id == user_id, EditorScope.kind == kind)
    before = sorted(session.scalars(select(EditorScope.ref).where(*where)), key=_order)
    if before == after:
        return after
    session.execute(delete(EditorScope).where(*where))
    if after:
        session.execute(insert(EditorScope), [{"user_id": user_id, "kind": kind, "ref": r} for r in after])
    session.add(AuditEntry(at=utcnow(), actor=actor, action="update", entity="editor_scope",
                           entity_id=f"{user_id}:{kind}", before={"refs": before}, after={"refs": after}))
    session.flush()
    return after


def _order(ref: str) -> tuple[int, str]:
    """Ids in numeric order, codes alphabetically."""
    return (int(ref), "") if ref.isdigit() else (0, ref)


def sorted_refs(refs: Iterable[str]) -> list[str]:
    """Scope refs in their display order: ids numerically, codes alphabetically."""
    return sorted(refs, key=_order)


def _scope_ref(session: Session, kind: str, ref: object) -> str:
    text = str(ref).strip()
    if kind == "region":
        code = text.upper()
        if not _NUTS.match(code):
            raise InputError("not a NUTS code (2 to 5 characters, country first)", column="region", value=text)
        return code
    if not text.isdigit() or len(text) > 9:
        raise InputError(f"a {kind} is named by its id (a whole number)", column=kind, value=text)
    model = Cluster if kind == "cluster" else Plan
    if session.get(model, int(text)) is None:
        raise InputError(f"unknown {kind}", column=kind, value=text)
    return str(int(text))


def scopes_of(session: Session, user_id: int) -> dict[str, set[str]]:
    """An account's editor scope: ``{"region": {...}, "cluster": {...}, "plan": {...}}`` (refs as text)."""
    scope: dict[str, set[str]] = {k: set() for k in SCOPE_KINDS}
    for kind, ref in session.execute(select(EditorScope.kind, EditorScope.ref).where(EditorScope.user_id == user_id)):
        scope.setdefault(kind, set()).add(ref)
    return scope


def scope_labels(scope: dict[str, set[str]]) -> list[str]:
    """``KIND:REF`` for each part of a scope, kinds in SCOPE_KINDS order (``["region:DE21", "plan:5"]``)."""
    return [f"{kind}:{ref}" for kind in SCOPE_KINDS for ref in sorted_refs(scope.get(kind, ()))]
