"""trials: definitions, sealed allocation lists with an audit trail, observations

Revision ID: 0004
Revises: 0003
Create Date: 2026-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("capacity_per_stratum", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("randomised_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_trials_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trials")),
        sa.UniqueConstraint("owner_id", "key", name="trial_owner_key"),
    )
    op.create_index(op.f("ix_trials_owner_id"), "trials", ["owner_id"], unique=False)
    op.create_table(
        "trial_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("block_size", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=100), nullable=False),
        sa.Column("participant", sa.String(length=100), nullable=True),
        sa.Column("revealed_at", sa.DateTime(), nullable=True),
        sa.Column("revealed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["trial_id"], ["trials.id"], name=op.f("fk_trial_slots_trial_id_trials"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_slots")),
        sa.UniqueConstraint("trial_id", "participant", name="trial_slot_participant"),
        sa.UniqueConstraint("trial_id", "stratum", "sequence", name="trial_slot_position"),
    )
    op.create_index(op.f("ix_trial_slots_trial_id"), "trial_slots", ["trial_id"], unique=False)
    op.create_table(
        "trial_allocation_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("participant", sa.String(length=100), nullable=True),
        sa.Column("stratum", sa.String(length=200), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.id"],
            name=op.f("fk_trial_allocation_audit_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trial_allocation_audit_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_allocation_audit")),
    )
    op.create_index(
        op.f("ix_trial_allocation_audit_trial_id"), "trial_allocation_audit", ["trial_id"], unique=False
    )
    op.create_table(
        "trial_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("upload", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("participant", sa.String(length=100), nullable=False),
        sa.Column("arm", sa.String(length=100), nullable=False),
        sa.Column("visit", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.id"],
            name=op.f("fk_trial_observations_trial_id_trials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_observations")),
    )
    op.create_index("ix_trial_observations_trial_row", "trial_observations", ["trial_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_trial_observations_trial_row", table_name="trial_observations")
    op.drop_table("trial_observations")
    op.drop_index(op.f("ix_trial_allocation_audit_trial_id"), table_name="trial_allocation_audit")
    op.drop_table("trial_allocation_audit")
    op.drop_index(op.f("ix_trial_slots_trial_id"), table_name="trial_slots")
    op.drop_table("trial_slots")
    op.drop_index(op.f("ix_trials_owner_id"), table_name="trials")
    op.drop_table("trials")
