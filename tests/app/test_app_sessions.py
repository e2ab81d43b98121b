"""app.sessions against a real database: log → store → audit → decide, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.api.api_support import assess_and_prescribe, legacy_fast_log

from retrowalk.app import clinical, sessions
from retrowalk.app.errors import Conflict, NotFound
from retrowalk.app.sessions import SessionLogIn, SessionLogUpdate
from retrowalk.core.vocab import field_bounds
from retrowalk.errors import InputError
from retrowalk.storage import Database, crud
from retrowalk.storage.models import AuditEntry, Client, User

TODAY = datetime.now(UTC).date()


def _client(db: Any) -> tuple[User, Client]:
    trainer = crud.create_user(db, "t-sessions", "correct horse battery", "trainer")
    client = crud.create_client(db, "Sessions client", trainer=trainer)
    assess_and_prescribe(db, client, trainer)
    return trainer, client


def _entry(day: date, **values: Any) -> SessionLogIn:
    body = {"session_date": day, "exercise_id": clinical.DEMO_EXERCISE, "pain_during": 2.0, "pain_after": 1.0}
    return SessionLogIn.model_validate({**body, **values})


def test_log_session_stores_audits_and_decides(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        done = sessions.log_session(
            db, user, client, [_entry(TODAY, minutes=6.0, speed_kmh=2.0)], detail="test"
        )
        assert [log.speed_kmh for log in done.logs] == [2.0]
        assert done.next_session is not None
        assert done.next_session == sessions.next_session(db, client.id)
        audit = db.query(AuditEntry).filter_by(action="create", resource="session_log").one()
        assert audit.client_id == client.id and audit.detail == "test"


_ROUNDS = iter(range(10**9))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.integers(-120, 1), st.integers(0, 7), st.sampled_from(["one", "two", "morning"])),
        min_size=1,
        max_size=10,
    )
)
def test_each_decision_is_the_one_a_fresh_read_gives(
    database: Database, steps: list[tuple[int, int, str]]
) -> None:
    """A log adds its own rows to the window it read before the write instead of reading the
    window again, and a later answer (next-morning pain) judges that session again: on any order
    of days (back-dated past the window's cut-off, several a day, tomorrow), pains and the
    decision versions they make, each reply is what a fresh read of the stored rows decides, and
    a refusal is what that read says is in force."""
    n = next(_ROUNDS)
    with database.transaction() as db:
        trainer = crud.create_user(db, f"t-window-{n}", "correct horse battery", "trainer")
        client = crud.create_client(db, f"Window client {n}", trainer=trainer)
        assess_and_prescribe(db, client, trainer)
        for offset, pain, kind in steps:
            day = TODAY + timedelta(days=offset)
            stored = crud.list_session_logs(db, client.id)
            if kind == "morning" and stored:
                row = stored[offset % len(stored)]
                update = SessionLogUpdate(pain_next_morning=float(pain))
                done = sessions.update_log(db, trainer, client, row.id, update)
                assert done.next_session == sessions.next_session(db, client.id)
                continue
            entries = [_entry(day, pain_during=float(pain), pain_after=float(pain), minutes=6.0)]
            if kind == "two":
                entries.append(_entry(day, exercise_id="forward_walk", pain_during=1.0, pain_after=1.0))
            try:
                done = sessions.log_session(db, trainer, client, entries)
            except Conflict:
                fresh = sessions.next_session(db, client.id)
                assert fresh is not None and not fresh.can_log_exercise
                continue
            assert done.next_session == sessions.next_session(db, client.id)


def test_unknown_exercise_is_refused_before_anything_is_stored(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        with pytest.raises(InputError) as err:
            sessions.log_session(db, user, client, [_entry(TODAY, exercise_id="moonwalk")])
        assert err.value.field == "exercise_id"
        assert list(crud.list_session_logs(db, client.id)) == []


def test_morning_pain_and_foreign_logs(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        yesterday = TODAY - timedelta(days=1)
        sessions.log_session(
            db, user, client, [_entry(yesterday), _entry(yesterday, exercise_id="forward_walk")]
        )
        assert sessions.log_form(db, client.id).pending_morning == yesterday
        changed = sessions.record_morning_pain(
            db, user, client, yesterday, SessionLogUpdate(pain_next_morning=1.0)
        )
        assert changed == 2 and sessions.log_form(db, client.id).pending_morning is None
        with pytest.raises(NotFound):
            sessions.get_log(db, user, client, 10**6)


def test_a_stored_row_outside_the_vocabulary_is_left_out_of_the_decision(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        sessions.log_session(
            db, user, client, [_entry(TODAY - timedelta(days=2), minutes=6.0, speed_kmh=2.0)]
        )
        bad = legacy_fast_log(db, client.id, by=user, day=TODAY)
        assert set(sessions.stored_problems(bad)) == {"speed_kmh"}
        assert sessions.next_session(db, client.id) is not None


@given(speed=st.floats(allow_nan=False, allow_infinity=False, min_value=-100, max_value=100))
def test_the_log_model_takes_the_vocabulary_bound(speed: float) -> None:
    b = field_bounds("speed_kmh")
    assert b.min is not None and b.max is not None
    inside = b.min < speed <= b.max
    try:
        _entry(TODAY, speed_kmh=speed)
    except ValidationError as exc:
        assert not inside and exc.errors()[0]["loc"] == ("speed_kmh",)
    else:
        assert inside


def test_one_session_date_rule() -> None:
    assert _entry(TODAY + timedelta(days=1)).session_date == TODAY + timedelta(days=1)
    for day in (TODAY + timedelta(days=2), date(1999, 12, 31)):
        with pytest.raises(ValidationError):
            _entry(day)
