"""The workspace: what users create (clusters, plans, indicators and their measurements,
mentoring programmes, accounts) with an audit log, in SQLite or PostgreSQL, beside the
warehouse that ingest rebuilds."""

from __future__ import annotations

from rok.workspace.db import Workspace, open_workspace, workspace_url
from rok.workspace.errors import ConflictError, FrozenError, NotFoundError

__all__ = ["Workspace", "open_workspace", "workspace_url", "ConflictError", "FrozenError", "NotFoundError"]
