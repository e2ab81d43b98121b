"""trainer's day: programme version reason/source, client archive, affected side, flag
acknowledgements, message threads

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (as 0009): a SQLite batch copy of clients would cascade-delete with
    # foreign keys on
    op.add_column("programmes", sa.Column("reason", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "programmes", sa.Column("source", sa.String(length=16), nullable=False, server_default="generated")
    )
    op.add_column("clients", sa.Column("archived_at", sa.DateTime(), nullable=True))
    op.add_column("assessments", sa.Column("affected_side", sa.String(length=8), nullable=True))
    op.create_table(
        "flag_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_flag_acknowledgements_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_flag_acknowledgements_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_acknowledgements")),
    )
    op.create_index(
        op.f("ix_flag_acknowledgements_client_id"), "flag_acknowledgements", ["client_id"], unique=False
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("from_role", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_messages_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_client_created", "messages", ["client_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_client_created", table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_flag_acknowledgements_client_id"), table_name="flag_acknowledgements")
    op.drop_table("flag_acknowledgements")
    # Plain DROP COLUMN (SQLite >= 3.35), as 0009 does: a batch copy of `clients` would drop the
    # old table with foreign keys on and so cascade-delete every row that points at it.
    op.drop_column("assessments", "affected_side")
    op.drop_column("clients", "archived_at")
    op.drop_column("programmes", "source")
    op.drop_column("programmes", "reason")
