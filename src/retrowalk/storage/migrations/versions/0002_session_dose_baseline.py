"""session logs: hold time and pre-session (baseline) pain for the progression engine

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("pain_before", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.drop_column("pain_before")
        batch_op.drop_column("hold_s")
