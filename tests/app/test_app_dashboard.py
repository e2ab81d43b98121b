"""app.dashboard's batched rows equal the per-client rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from retrowalk.app import dashboard, sessions
from retrowalk.storage import Database, crud

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from clinic_data import ClinicSize, generate


def test_dashboard_rows_equal_each_clients_own_summary(database: Database) -> None:
    today = datetime.now(UTC).date()
    clinic = generate(database, ClinicSize(trainers=1, clients=4, days=90), seed=3, today=today)
    with database.transaction() as db:
        trainer = crud.get_user(db, clinic.trainer_ids[0])
        assert trainer is not None
        odd, flare = clinic.client_ids[1], clinic.client_ids[2]
        programme = crud.current_programme(db, odd)
        assert programme is not None
        # an older release stored a belt speed today's vocabulary refuses; a flare yesterday
        crud.add_session_log(
            db,
            odd,
            programme_id=programme.id,
            by=trainer,
            session_date=today - timedelta(days=40),
            exercise_id="retro_walk_treadmill",
            speed_kmh=25.0,
            pain_during=2.0,
            pain_after=1.0,
        )
        crud.add_session_log(
            db,
            flare,
            programme_id=None,
            by=trainer,
            session_date=today - timedelta(days=1),
            exercise_id="forward_walk",
            pain_during=8.0,
            pain_after=7.0,
        )
        client = crud.create_client(db, "No records yet", trainer=trainer)
        rows = dashboard.dashboard(db, trainer, today)
        assert len(rows) == 5
        for row in rows:
            assert row == dashboard.client_summary(db, row.client, today)
        by_id = {row.client.id: row for row in rows}
        assert "session entries outside today's limits" in by_id[odd].flags
        assert any(f.startswith("pain flare: 8/10") for f in by_id[flare].flags)
        assert by_id[client.id].flags == [] and not by_id[client.id].has_programme
        assert sessions.clients_with_stored_problems(db, [c.id for c in (row.client for row in rows)]) == {
            odd
        }


def test_a_memoised_decision_is_a_copy_and_follows_new_rows(database: Database) -> None:
    today = datetime.now(UTC).date()
    clinic = generate(database, ClinicSize(trainers=1, clients=1, days=60), seed=4, today=today)
    with database.transaction() as db:
        (client_id,) = clinic.client_ids
        first = sessions.next_session(db, client_id)
        assert first is not None
        first.decisions.clear()  # a caller changing its answer does not change the next one
        again = sessions.next_session(db, client_id)
        assert again is not None and again.decisions
        programme = crud.current_programme(db, client_id)
        assert programme is not None
        item = programme.content.items[0]
        crud.add_session_log(
            db,
            client_id,
            programme_id=programme.id,
            by=None,
            session_date=today,
            exercise_id=item.exercise_id,
            pain_during=9.0,
            pain_after=9.0,
            completed=False,
        )
        after = sessions.next_session(db, client_id)
        assert after is not None and after != again
