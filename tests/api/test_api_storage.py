"""Storage on SQLite and PostgreSQL: schema, constraints, versioning, transactions, backup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from tests.api.api_support import PASSWORD

from retrowalk.storage import Database, crud
from retrowalk.storage.db import backup, current_revision, head_revision
from retrowalk.storage.models import AuthSession, Base, Programme, SessionLog


def _trainer_and_client(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        t = crud.create_user(s, "coach", PASSWORD, "trainer")
        c = crud.create_client(s, "Ann", trainer=t)
        return t.id, c.id


def test_migrations_create_the_model_schema_and_are_idempotent(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    rev = current_revision(database.engine)
    database.upgrade()
    assert current_revision(database.engine) == rev == head_revision()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError), database.transaction() as s:
        crud.add_session_log(
            s,
            999_999,
            programme_id=None,
            by=None,
            session_date=date(2025, 1, 1),
            exercise_id="retro_treadmill",
        )


def test_programmes_are_versioned_never_overwritten(database: Database) -> None:
    trainer_id, client_id = _trainer_and_client(database)
    for n in range(3):
        with database.transaction() as s:
            crud.add_programme(
                s,
                client_id,
                content={"notes": [f"version {n + 1}"]},
                assessment_id=None,
                pain_nprs=3.0,
                goals=["g"],
                by=crud.get_user(s, trainer_id),
            )
    with database.transaction() as s:
        history = crud.list_programmes(s, client_id)
        assert [(p.version, p.content.notes) for p in history] == [(v, [f"version {v}"]) for v in (1, 2, 3)]
        current = crud.current_programme(s, client_id)
        assert current is not None and current.version == 3
    with pytest.raises(IntegrityError), database.transaction() as s:
        s.add(Programme(client_id=client_id, version=2, content={}, goals=[]))


def test_a_failed_transaction_leaves_nothing(database: Database) -> None:
    _, client_id = _trainer_and_client(database)
    with pytest.raises(RuntimeError), database.transaction() as s:
        crud.add_session_log(
            s, client_id, programme_id=None, by=None, session_date=date(2025, 1, 1), exercise_id="a"
        )
        crud.audit(s, None, "create", "session_log", client_id=client_id)
        raise RuntimeError("boom after two writes")
    with database.transaction() as s:
        assert crud.list_session_logs(s, client_id) == []
        assert crud.list_audit(s, client_id=client_id) == []


def test_passwords_are_argon2id_and_tokens_stored_hashed(database: Database) -> None:
    with database.transaction() as s:
        user = crud.create_user(s, "coach", PASSWORD, "trainer")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        token = crud.create_auth_session(s, user, ttl=timedelta(hours=1))
    with database.transaction() as s:
        assert crud.authenticate(s, "coach", PASSWORD) is not None
        assert crud.authenticate(s, "coach", PASSWORD + "x") is None
        assert crud.authenticate(s, "nobody", PASSWORD) is None
        stored = s.scalars(select(AuthSession.token_hash)).all()
        assert token not in stored and len(stored) == 1
        found = crud.user_for_token(s, token)
        assert found is not None and found.username == "coach"
        crud.delete_auth_session(s, token)
    with database.transaction() as s:
        assert crud.user_for_token(s, token) is None


def test_expired_and_deactivated_logins_are_refused(database: Database) -> None:
    with database.transaction() as s:
        user = crud.create_user(s, "coach", PASSWORD, "trainer")
        expired = crud.create_auth_session(s, user, ttl=timedelta(seconds=-1))
        live = crud.create_auth_session(s, user, ttl=timedelta(hours=1))
    with database.transaction() as s:
        assert crud.user_for_token(s, expired) is None
        assert crud.user_for_token(s, live) is not None
        u = crud.get_user_by_username(s, "coach")
        assert u is not None
        u.active = False
    with database.transaction() as s:
        assert crud.user_for_token(s, live) is None
        assert crud.authenticate(s, "coach", PASSWORD) is None


def test_timestamps_come_back_as_aware_utc(database: Database) -> None:
    _, client_id = _trainer_and_client(database)
    with database.transaction() as s:
        client = crud.get_client(s, client_id)
        assert client is not None
        assert client.created_at.tzinfo is not None
        assert abs(client.created_at - datetime.now(UTC)) < timedelta(minutes=5)


session_fields = st.fixed_dictionaries(
    {
        "session_date": st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
        "exercise_id": st.text(
            st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
            min_size=1,
            max_size=100,
        ),
        "minutes": st.none() | st.floats(0, 600, allow_nan=False),
        "handrails": st.none() | st.sampled_from(["none", "one", "both"]),
        "sets": st.none() | st.integers(0, 100),
        "pain_during": st.none() | st.floats(0, 10, allow_nan=False),
        "completed": st.booleans(),
        "notes": st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=200),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=session_fields)
def test_session_logs_round_trip_exactly(database: Database, fields: dict[str, object]) -> None:
    with database.transaction() as s:
        if crud.get_user_by_username(s, "coach") is None:
            t = crud.create_user(s, "coach", PASSWORD, "trainer")
            crud.create_client(s, "Ann", trainer=t)
        client_id = crud.list_clients_for(s, crud.get_user_by_username(s, "coach"))[0].id  # type: ignore[arg-type]
        row_id = crud.add_session_log(s, client_id, programme_id=None, by=None, **fields).id
    with database.transaction() as s:
        row = s.get(SessionLog, row_id)
        assert row is not None
        assert {k: getattr(row, k) for k in fields} == fields


def test_sqlite_online_backup_is_consistent(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    db.upgrade()
    _, client_id = _trainer_and_client(db)
    with db.transaction() as s:
        for i in range(20):
            crud.add_session_log(
                s, client_id, programme_id=None, by=None, session_date=date(2025, 1, 1), exercise_id=f"e{i}"
            )
    # A reader holding the database open does not block the backup (online).
    with db.engine.connect() as held:
        held.execute(text("SELECT count(*) FROM session_logs")).scalar()
        out = backup(db.url, tmp_path / "bk" / "copy.sqlite3")
    db.dispose()
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM session_logs").fetchone() == (20,)
    con.close()


@pytest.mark.postgres
def test_postgres_backup_with_pg_dump(postgres_database: str, tmp_path: Path) -> None:
    db = Database(postgres_database)
    db.upgrade()
    _trainer_and_client(db)
    db.dispose()
    out = backup(postgres_database, tmp_path / "pg.dump")
    assert out.read_bytes()[:5] == b"PGDMP"  # pg_dump custom-format archive


def test_backup_refuses_a_directory(tmp_path: Path) -> None:
    from retrowalk.errors import InputError

    with pytest.raises(InputError) as err:
        backup(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path)
    assert err.value.field == "path"
