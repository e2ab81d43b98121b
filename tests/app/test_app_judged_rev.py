"""The decision-input snapshot a log keeps for the next one (``sessions._Snapshots``): database
triggers change ``clients.judged_rev`` on every write to what a decision reads, whatever wrote it,
and a snapshot is used only at exactly the token it was taken at, once its transaction committed.

Each log here commits on its own (as a request does): a snapshot is kept only after a commit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from tests.api.api_support import assess_and_prescribe, fileless_recording

from retrowalk.app import clinical, sessions
from retrowalk.app.errors import Conflict
from retrowalk.app.sessions import RedFlagClear, SessionLogIn
from retrowalk.storage import Database, crud
from retrowalk.storage.models import Client, User

TODAY = datetime.now(UTC).date()


def _entry(day: date, **values: Any) -> SessionLogIn:
    body = {"session_date": day, "exercise_id": clinical.DEMO_EXERCISE, "pain_during": 2.0, "pain_after": 1.0}
    return SessionLogIn.model_validate({**body, **values})


def _setup(database: Database) -> tuple[int, int, int]:
    with database.transaction() as db:
        trainer = crud.create_user(db, "t-rev", "correct horse battery", "trainer", display_name="Tess")
        client = crud.create_client(db, "Rev client", trainer=trainer)
        account = crud.create_user(db, "c-rev", "correct horse battery", "client", client_id=client.id)
        assess_and_prescribe(db, client, trainer)
        return trainer.id, account.id, client.id


def _log(database: Database, user_id: int, client_id: int, entry: SessionLogIn) -> sessions.Logged:
    """One log in its own committed transaction, as a request makes it."""
    with database.transaction() as db:
        user = db.get_one(User, user_id)
        return sessions.log_session(db, user, db.get_one(Client, client_id), [entry])


def _fresh(database: Database, client_id: int) -> Any:
    """The decision read from scratch (no snapshot is used by this path)."""
    with database.transaction() as db:
        return sessions.next_session(db, client_id)


def _clear_dvt(database: Database, trainer_id: int, client_id: int, reason: str) -> None:
    with database.transaction() as db:
        trainer, client = db.get_one(User, trainer_id), db.get_one(Client, client_id)
        sessions.clear_red_flag(db, trainer, client, RedFlagClear(flag_id="signs_of_dvt", reason=reason))


def _rev(database: Database, client_id: int) -> int:
    with database.transaction() as db:
        return crud.judged_rev(db, client_id)


def _cached(database: Database, client_id: int) -> bool:
    with database.transaction() as db:
        return sessions._snapshots.get(db, client_id, crud.judged_rev(db, client_id)) is not None


def test_every_write_to_a_judged_table_changes_the_token(database: Database) -> None:
    trainer_id, _, client_id = _setup(database)
    seen = {_rev(database, client_id)}

    def changed() -> None:
        now = _rev(database, client_id)
        assert now not in seen, "a write to decision inputs left the token unchanged"
        seen.add(now)

    done = _log(
        database, trainer_id, client_id, _entry(TODAY - timedelta(days=3), red_flags=["signs_of_dvt"])
    )
    changed()
    _clear_dvt(database, trainer_id, client_id, "seen by the GP")
    changed()
    with database.transaction() as db:
        fileless_recording(db, client_id, kind="imu", name="walk.csv")
    changed()
    log_id = done.logs[0].id
    statements = [
        f"UPDATE session_logs SET pain_after = 3 WHERE id = {log_id}",  # a path outside the ORM
        f"UPDATE programmes SET pain_nprs = 5 WHERE client_id = {client_id}",
        f"UPDATE assessments SET pain_nprs = 5 WHERE client_id = {client_id}",
        f"UPDATE trainer_signoffs SET reason = 'seen again' WHERE client_id = {client_id}",
        f"UPDATE recordings SET original_name = 'renamed.csv' WHERE client_id = {client_id}",
        f"DELETE FROM recordings WHERE client_id = {client_id}",
        f"DELETE FROM session_logs WHERE id = {log_id}",
    ]
    for sql in statements:
        with database.transaction() as db:
            db.execute(text(sql))
        changed()
    # a rolled-back write leaves the token as it was
    before = _rev(database, client_id)
    with pytest.raises(RuntimeError), database.transaction() as db:
        db.execute(text(f"UPDATE programmes SET pain_nprs = 6 WHERE client_id = {client_id}"))
        raise RuntimeError("rolled back")
    assert _rev(database, client_id) == before


def test_snapshot_decisions_equal_fresh_reads_and_never_miss_a_red_flag(database: Database) -> None:
    trainer_id, account_id, client_id = _setup(database)
    first = _log(database, account_id, client_id, _entry(TODAY - timedelta(days=6)))
    assert _cached(database, client_id)  # the next log can start from what this one read
    second = _log(database, account_id, client_id, _entry(TODAY - timedelta(days=5), pain_during=3.0))
    assert second.next_session == _fresh(database, client_id)
    assert first.next_session != second.next_session or first.next_session is not None

    # a red flag written by another path (not a log through the app): the next log is refused
    log_id = second.logs[0].id
    with database.transaction() as db:
        db.execute(text(f"UPDATE session_logs SET red_flags = '[\"signs_of_dvt\"]' WHERE id = {log_id}"))
    assert not _cached(database, client_id)
    with pytest.raises(Conflict, match="deep-vein thrombosis"):
        _log(database, account_id, client_id, _entry(TODAY - timedelta(days=4)))

    # cleared by the trainer: logging works again, and the decision is the one a fresh read makes
    _clear_dvt(database, trainer_id, client_id, "GP: no DVT on ultrasound")
    for n, pain in enumerate([2.0, 1.0, 1.0]):
        done = _log(database, account_id, client_id, _entry(TODAY - timedelta(days=3 - n), pain_during=pain))
        assert done.next_session == _fresh(database, client_id)


def test_a_rolled_back_log_keeps_no_snapshot(database: Database) -> None:
    _, account_id, client_id = _setup(database)
    _log(database, account_id, client_id, _entry(TODAY - timedelta(days=2)))
    kept = _rev(database, client_id)
    with pytest.raises(RuntimeError), database.transaction() as db:
        sessions.log_session(
            db,
            db.get_one(User, account_id),
            db.get_one(Client, client_id),
            [_entry(TODAY - timedelta(days=1))],
        )
        raise RuntimeError("the request failed after the log")
    assert _rev(database, client_id) == kept and _cached(database, client_id)
    assert len(_fresh_logs(database, client_id)) == 1


def _fresh_logs(database: Database, client_id: int) -> list[Any]:
    with database.transaction() as db:
        return list(crud.list_session_logs(db, client_id))


def test_another_process_writing_invalidates_this_ones_snapshot(database: Database) -> None:
    """Two engines on one database (two server processes): each keeps its own snapshots, and the
    token read from the database tells each when the other changed the inputs."""
    _, account_id, client_id = _setup(database)
    other = Database(str(database.engine.url.render_as_string(hide_password=False)))
    try:
        _log(database, account_id, client_id, _entry(TODAY - timedelta(days=2)))
        assert _cached(database, client_id)
        done = _log(
            other, account_id, client_id, _entry(TODAY - timedelta(days=1), red_flags=["locked_knee"])
        )
        assert done.next_session is not None and not done.next_session.can_log_exercise
        assert not _cached(database, client_id)
        with pytest.raises(Conflict):
            _log(database, account_id, client_id, _entry(TODAY))
    finally:
        other.dispose()


def test_a_programme_change_decided_from_a_snapshot_is_stored_as_from_a_fresh_read(
    database: Database,
) -> None:
    _, account_id, client_id = _setup(database)
    _log(database, account_id, client_id, _entry(TODAY - timedelta(days=3)))
    _log(database, account_id, client_id, _entry(TODAY - timedelta(days=2)))
    with database.transaction() as db:
        before = crud.current_programme(db, client_id)
        assert before is not None
    assert _cached(database, client_id)  # the painful log below starts from the snapshot
    flare = _log(
        database, account_id, client_id, _entry(TODAY - timedelta(days=1), pain_during=7.0, pain_after=6.0)
    )
    assert flare.next_session == _fresh(database, client_id)
    with database.transaction() as db:
        after = crud.current_programme(db, client_id)
    assert after is not None and after.version == before.version + 1 and after.based_on_id == before.id
    assert after.decided_after == TODAY - timedelta(days=1) and after.goals == before.goals
    # a new version is a changed input: the next log reads afresh, and still agrees
    assert not _cached(database, client_id)
    done = _log(database, account_id, client_id, _entry(TODAY))
    assert done.next_session == _fresh(database, client_id)
