"""session red flags, per-form keys, trainer sign-offs, decisions applied to the programme

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("red_flags", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("session_form_key", ["client_id", "form_key", "exercise_id"])
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decision_policy", sa.String(length=16), nullable=False, server_default="protocol")
        )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("based_on_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_after", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("origin_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_programmes_based_on_id_programmes"),
            "programmes",
            ["based_on_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "trainer_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("flag_id", sa.String(length=100), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("signed_by_name", sa.String(length=200), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('red_flag', 'hands_free')", name=op.f("ck_trainer_signoffs_kind")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_trainer_signoffs_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["users.id"], name=op.f("fk_trainer_signoffs_signed_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_signoffs")),
    )
    with op.batch_alter_table("trainer_signoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trainer_signoffs_client_id"), ["client_id"], unique=False)
    op.create_table(
        "pending_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("decided_after", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined', 'superseded')",
            name=op.f("ck_pending_decisions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_pending_decisions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_pending_decisions_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_pending_decisions_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_decisions")),
    )
    with op.batch_alter_table("pending_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_decisions_client_id"), ["client_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pending_decisions")
    op.drop_table("trainer_signoffs")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_programmes_based_on_id_programmes"), type_="foreignkey")
        batch_op.drop_column("origin_reason")
        batch_op.drop_column("origin")
        batch_op.drop_column("decided_after")
        batch_op.drop_column("based_on_id")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("decision_policy")
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.drop_constraint("session_form_key", type_="unique")
        batch_op.drop_column("form_key")
        batch_op.drop_column("red_flags")
