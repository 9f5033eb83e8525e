"""Accounts of the people who use the workspace (the web platform signs them in).

Passwords are stored as argon2id hashes (argon2-cffi, its default parameters: RFC 9106's
second recommended option); a password is never stored or logged in clear.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rok.errors import InputError
from rok.workspace.models import ROLES, User

__all__ = ["add_user", "find_user", "verify_password", "set_password", "list_users"]

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
