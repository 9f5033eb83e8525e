"""Alembic environment of the workspace: run on the connection rok hands over (online only)."""

from __future__ import annotations

from alembic import context

from rok.workspace.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
