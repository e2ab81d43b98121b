"""recordings: kind 'imported' for gait metrics that came in through a FHIR import (no file)

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-03
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_recordings_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_recordings_kind"), "kind IN ('imu', 'pose', 'imported')")


def downgrade() -> None:
    op.execute("DELETE FROM recordings WHERE kind = 'imported'")
    with op.batch_alter_table("recordings", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_recordings_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_recordings_kind"), "kind IN ('imu', 'pose')")
