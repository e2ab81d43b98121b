"""session logs without red flags hold SQL NULL, not JSON null

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both read back as None; NULL skips the JSON decode on every judgement's window read.
    # PostgreSQL's json type has no equality operator, hence the cast there.
    where = "red_flags::text = 'null'" if op.get_bind().dialect.name == "postgresql" else "red_flags = 'null'"
    op.execute(f"UPDATE session_logs SET red_flags = NULL WHERE {where}")


def downgrade() -> None:
    # Nothing to undo: the earlier code reads SQL NULL as no flags too.
    pass
