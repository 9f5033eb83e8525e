"""Append-only: measurements cannot be updated; the audit log can be neither updated nor deleted.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_GUARDS = [("measurements", "UPDATE", "measurements are append-only"),
           ("audit_log", "UPDATE", "the audit log is append-only"),
           ("audit_log", "DELETE", "the audit log is append-only")]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, event, message in _GUARDS:
        name = f"{table}_no_{event.lower()}"
        if dialect == "postgresql":
            op.execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                           BEGIN RAISE EXCEPTION '{message}'; END $$""")
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, event, _ in _GUARDS:
        name = f"{table}_no_{event.lower()}"
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION {name}()")
