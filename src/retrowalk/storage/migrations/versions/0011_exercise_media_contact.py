"""trainers' own exercise media (photo/video per exercise or per client item); trainer contact

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (as 0009/0010): a SQLite batch copy of users would cascade-delete with
    # foreign keys on
    op.add_column("users", sa.Column("contact_phone", sa.String(length=40), nullable=True))
    op.add_column("users", sa.Column("contact_email", sa.String(length=254), nullable=True))
    op.create_table(
        "exercise_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("exercise_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("mime", sa.String(length=64), nullable=False),
        sa.Column("poster_path", sa.String(length=500), nullable=True),
        sa.Column("poster_mime", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('photo', 'video')", name=op.f("ck_exercise_media_kind")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_exercise_media_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_exercise_media_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_media")),
    )
    op.create_index(op.f("ix_exercise_media_client_id"), "exercise_media", ["client_id"], unique=False)
    op.create_index(
        "ix_exercise_media_owner_exercise", "exercise_media", ["owner_id", "exercise_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_exercise_media_owner_exercise", table_name="exercise_media")
    op.drop_index(op.f("ix_exercise_media_client_id"), table_name="exercise_media")
    op.drop_table("exercise_media")
    # Plain DROP COLUMN (SQLite >= 3.35), as 0010 does: a batch copy of `users` would drop the old
    # table with foreign keys on and so cascade-delete every row that points at it.
    op.drop_column("users", "contact_email")
    op.drop_column("users", "contact_phone")
