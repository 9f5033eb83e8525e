"""Accounts on the web: signed session cookies, CSRF tokens, a login rate limit, and who may
change what.

Roles (the workspace's accounts): ``admin`` and ``programme_manager`` change everything;
``editor`` changes (and sees the drafts of) only the regions, clusters and plans assigned to
them (their scope: the workspace's ``editor_scopes``, set with ``rok user scope`` or on the
Accounts page);
``viewer`` and anonymous visitors read what is public: never a draft.

A session is ``{"uid", "csrf"}`` signed with itsdangerous (HMAC-SHA1 over the secret key,
timestamped; cookies older than ``max_age`` are refused). Every form carries the session's
CSRF token; API writes send it as ``X-CSRF-Token``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from rok.workspace.accounts import scopes_of
from rok.workspace.models import Cluster, Plan, User

__all__ = ["Viewer", "Sessions", "RateLimit", "load_viewer", "new_password"]

COOKIE = "rok_session"


@dataclass
class Viewer:
    """Who is asking: an account (with its scope) or an anonymous visitor."""

    uid: int | None = None
    email: str = "anonymous"
    name: str = "anonymous visitor"
    role: str = "anonymous"
    csrf: str = ""
    regions: set[str] = field(default_factory=set)
    clusters: set[int] = field(default_factory=set)
    plans: set[int] = field(default_factory=set)

    @property
    def signed_in(self) -> bool:
        return self.uid is not None

    @property
    def manager(self) -> bool:
        return self.role in ("admin", "programme_manager")

    def sees_drafts(self) -> bool:
        """Whether drafts can be shown at all (managers: all; editors: those they may edit)."""
        return self.manager or self.role == "editor"

    def sees_plan(self, plan: Plan) -> bool:
        return plan.status != "draft" or self.manager or (self.role == "editor" and self.can_edit_plan(plan))

    def can_edit_regions(self, regions: Iterable[str]) -> bool:
        codes = set(regions)
        return self.manager or (self.role == "editor" and bool(codes) and codes <= self.regions)

    def can_edit_plan(self, plan: Plan) -> bool:
        if self.manager:
            return True
        if self.role != "editor":
            return False
        if plan.id in self.plans or (plan.lineage_id is not None and plan.lineage_id in self.plans):
            return True
        clusters = {int(c) for c in (plan.scope_clusters or []) if str(c).isdigit()}
        if clusters and clusters <= self.clusters:
            return True
        return self.can_edit_regions(plan.scope_regions or [])

    def can_edit_cluster(self, cluster: Cluster) -> bool:
        return self.manager or cluster.id in self.clusters or (
            self.role == "editor" and self.can_edit_regions(cluster.regions or []))


def load_viewer(session: Session, uid: int, csrf: str) -> Viewer | None:
    user = session.get(User, uid)
    if user is None:
        return None
    scope = scopes_of(session, uid)
    return Viewer(user.id, user.email, user.name, user.role, csrf, regions=scope["region"],
                  clusters={int(c) for c in scope["cluster"] if c.isdigit()},
                  plans={int(p) for p in scope["plan"] if p.isdigit()})


def new_password() -> str:
    return secrets.token_urlsafe(12)


class Sessions:
    """Signed, timestamped session cookies."""

    def __init__(self, secret: str, max_age: int = 8 * 3600) -> None:
        self.signer = URLSafeTimedSerializer(secret, salt="rok-session")
        self.max_age = max_age

    def dump(self, uid: int | None) -> tuple[str, str]:
        csrf = secrets.token_urlsafe(24)
        return self.signer.dumps({"uid": uid, "csrf": csrf}), csrf

    def load(self, cookie: str | None) -> dict[str, Any] | None:
        if not cookie:
            return None
        try:
            data = self.signer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and "csrf" in data else None


class RateLimit:
    """At most ``limit`` failed attempts per key within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] < now - self.window:
            hits.popleft()
        return hits

    def blocked(self, *keys: str) -> float:
        """Seconds to wait (0: allowed)."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window - (now - h[0]) for k in keys if len(h := self._trim(k, now)) >= self.limit]
        return max(waits, default=0.0)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._trim(key, now).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
