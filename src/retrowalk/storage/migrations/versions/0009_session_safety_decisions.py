"""session red flags, per-form keys, trainer sign-offs, decisions applied to the programme

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN and new indexes only: a batch "move and copy" of clients or
    # programmes would, with foreign keys on, cascade-delete every row that points at them.
    op.add_column("session_logs", sa.Column("red_flags", sa.JSON(), nullable=True))
    op.add_column("session_logs", sa.Column("form_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_session_logs_form_key", "session_logs", ["client_id", "form_key", "exercise_id"], unique=True
    )
    op.add_column(
        "clients",
        sa.Column("decision_policy", sa.String(length=16), nullable=False, server_default="protocol"),
    )
    op.add_column("programmes", sa.Column("based_on_id", sa.Integer(), nullable=True))
    op.add_column("programmes", sa.Column("decided_after", sa.Date(), nullable=True))
    op.add_column("programmes", sa.Column("origin", sa.String(length=200), nullable=True))
    op.add_column("programmes", sa.Column("origin_reason", sa.Text(), nullable=True))
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
    # ALTER TABLE DROP COLUMN (SQLite 3.35+, PostgreSQL), never a table copy (see upgrade).
    op.drop_table("pending_decisions")
    op.drop_table("trainer_signoffs")
    for column in ("origin_reason", "origin", "decided_after", "based_on_id"):
        op.drop_column("programmes", column)
    op.drop_column("clients", "decision_policy")
    op.drop_index("ix_session_logs_form_key", table_name="session_logs")
    op.drop_column("session_logs", "form_key")
    op.drop_column("session_logs", "red_flags")
