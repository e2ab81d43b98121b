"""benchmarks/clinic_data.py at a tiny size: every record kind lands, readable through crud."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from clinic_data import PASSWORD, ClinicSize, generate

from retrowalk.core.prescription import Programme
from retrowalk.storage import Database, crud


def test_tiny_clinic_has_every_record_kind(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    database.upgrade()
    today = date(2026, 6, 30)
    clinic = generate(database, ClinicSize(trainers=2, clients=3, days=100), seed=1, today=today)
    assert clinic.counts["clients"] == 3 and len(clinic.client_ids) == 3
    with database.transaction() as db:
        for trainer_id, expected in zip(clinic.trainer_ids, ([0, 2], [1]), strict=True):
            trainer = crud.get_user(db, trainer_id)
            assert trainer is not None
            seen = [c.id for c in crud.list_clients_for(db, trainer)]
            assert seen == [clinic.client_ids[i] for i in expected]
        for client_id, username in zip(clinic.client_ids, clinic.client_usernames, strict=True):
            assert crud.authenticate(db, username, PASSWORD) is not None
            assessments = crud.list_assessments(db, client_id)
            assert 1 <= len(assessments) <= 2  # one every 13 weeks over (up to) 100 days
            programme = crud.current_programme(db, client_id)
            assert programme is not None and programme.version == len(assessments)
            assert isinstance(programme.content, Programme)  # stored documents come back typed
            assert len(crud.list_questionnaires(db, client_id, "koos")) >= 2
            logs = crud.list_session_logs(db, client_id)
            assert len(logs) > 20
            assert all(log.session_date <= today for log in logs)
            assert {log.exercise_id for log in logs} <= {
                item.exercise_id for p in crud.list_programmes(db, client_id) for item in p.content.items
            }
            recordings = crud.list_recordings(db, client_id)
            assert len(recordings) >= 3
            assert all(r.status == "analysed" and r.gait and (r.gait.steps or 0) > 0 for r in recordings)
    assert sum(clinic.counts[k] for k in ("session_logs", "koos", "recordings")) > 0
    database.dispose()
