"""Editor scopes in the workspace: table ``editor_scopes`` (user, kind, ref), taking over the rows of
``web_editor_scopes``, which the web server used to create beside the workspace tables.

Rows of the old table are copied when their account still exists and their kind is region,
cluster or plan (region codes upper-cased, duplicates merged); any other row is named in a
warning of the migration log and not copied (the old table had no foreign key). The old table
is then dropped. The downgrade recreates ``web_editor_scopes`` as the web server made it and
copies the scopes back.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD = "web_editor_scopes"
KINDS = ("region", "cluster", "plan")
log = logging.getLogger("alembic.runtime.migration")


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=10), nullable=False),
            sa.Column("ref", sa.String(length=60), nullable=False)]


def upgrade() -> None:
    new = op.create_table("editor_scopes", *_columns(),
                          sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
                          sa.PrimaryKeyConstraint("id"),
                          sa.UniqueConstraint("user_id", "kind", "ref"))
    op.create_index(op.f("ix_editor_scopes_user_id"), "editor_scopes", ["user_id"], unique=False)
    bind = op.get_bind()
    if not sa.inspect(bind).has_table(OLD):
        return
    old = sa.Table(OLD, sa.MetaData(), *_columns())
    users = {uid for (uid,) in bind.execute(sa.text("SELECT id FROM users"))}
    keep: set[tuple[int, str, str]] = set()
    for row in bind.execute(sa.select(old.c.id, old.c.user_id, old.c.kind, old.c.ref).order_by(old.c.id)):
        kind, ref = str(row.kind).strip(), str(row.ref).strip()
        ref = ref.upper() if kind == "region" else ref
        if row.user_id in users and kind in KINDS and ref:
            keep.add((row.user_id, kind, ref))
        else:
            log.warning("%s row id=%s (user_id=%s, kind=%r, ref=%r) not copied: %s", OLD, row.id, row.user_id,
                        row.kind, row.ref, "no such account" if row.user_id not in users else "unknown kind or empty")
    if keep:
        bind.execute(sa.insert(new), [{"user_id": u, "kind": k, "ref": r} for u, k, r in sorted(keep)])
    log.info("copied %d editor scopes from %s", len(keep), OLD)
    op.drop_table(OLD)


def downgrade() -> None:
    old = op.create_table(OLD, *_columns(), sa.PrimaryKeyConstraint("id"), sa.UniqueConstraint("user_id", "kind", "ref"))
    op.create_index(op.f(f"ix_{OLD}_user_id"), OLD, ["user_id"], unique=False)
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT user_id, kind, ref FROM editor_scopes ORDER BY id")).mappings().all()
    if rows:
        bind.execute(sa.insert(old), [dict(r) for r in rows])
    op.drop_index(op.f("ix_editor_scopes_user_id"), table_name="editor_scopes")
    op.drop_table("editor_scopes")
