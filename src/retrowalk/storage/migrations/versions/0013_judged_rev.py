"""clients.judged_rev: a token that changes with every row a progression decision reads

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: The tables whose rows feed a client's decision (``retrowalk.app.sessions``): a write to any of
#: them, by any path (the ORM, a bulk statement, a hand-written UPDATE), must change the token.
JUDGED_TABLES = ("session_logs", "programmes", "assessments", "trainer_signoffs", "recordings")

# Random, not a counter: a token never comes back (a rolled-back write, a restored backup, another
# database file), so an equal token always means the same rows.
_SQLITE_NEW = "abs(random())"
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION retrowalk_bump_judged_rev() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE clients SET judged_rev = (random() * 9.0e18)::bigint WHERE id = OLD.client_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE clients SET judged_rev = (random() * 9.0e18)::bigint WHERE id = NEW.client_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    # plain ADD COLUMN (as 0011): a SQLite batch copy of clients would cascade-delete
    op.add_column("clients", sa.Column("judged_rev", sa.BigInteger(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in JUDGED_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_judged_rev AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION retrowalk_bump_judged_rev()"
            )
        return
    for table in JUDGED_TABLES:
        for when, rows in (
            ("INSERT", "NEW.client_id"),
            ("UPDATE", "OLD.client_id, NEW.client_id"),
            ("DELETE", "OLD.client_id"),
        ):
            op.execute(
                f"CREATE TRIGGER {table}_judged_rev_{when.lower()} AFTER {when} ON {table} BEGIN "
                f"UPDATE clients SET judged_rev = {_SQLITE_NEW} WHERE id IN ({rows}); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in JUDGED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_judged_rev ON {table}")
        op.execute("DROP FUNCTION IF EXISTS retrowalk_bump_judged_rev()")
    else:
        for table in JUDGED_TABLES:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_judged_rev_{when}")
    op.drop_column("clients", "judged_rev")
