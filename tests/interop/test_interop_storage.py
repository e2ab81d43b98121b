"""ClientRecord ↔ database (typed stored documents), all-or-nothing import, and the FHIR route's
authorisation (GET /api/v1/clients/{id}/fhir)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from interop_strategies import T0, sample_record
from sqlalchemy import func, select

from retrowalk.api.app import create_app
from retrowalk.errors import InputError
from retrowalk.interop.fhir_export import export_bundle
from retrowalk.interop.fhir_import import FhirImportError, import_bundle
from retrowalk.interop.record import Dose
from retrowalk.interop.storage_adapter import import_record, record_from_db
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage import models as M
from retrowalk.storage.db import Database


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'rw.sqlite3'}")
    db.upgrade()
    return db


def _counts(database: Database) -> dict[str, int]:
    with database.transaction() as db:
        return {
            m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0
            for m in (M.Client, M.QuestionnaireResponse, M.Assessment, M.Programme, M.SessionLog)
        }


def test_import_then_load_keeps_the_clinical_content(database: Database) -> None:
    record = sample_record()
    client_id = import_record(database, import_bundle(export_bundle(record, identify=True)).record)
    with database.transaction() as db:
        loaded = record_from_db(db, client_id)
    assert loaded.patient.name == "Ann Example" and loaded.patient.sex == "female"
    assert [k.answers for k in loaded.koos] == [record.koos[0].answers]
    assert loaded.koos[0].scores == record.koos[0].scores
    assert [(m.test_id, m.side, m.value, m.unit) for m in loaded.measurements] == [
        (m.test_id, m.side or "bilateral", m.value, m.unit) for m in record.measurements
    ]
    assert [[a.exercise_id for a in p.activities] for p in loaded.programmes] == [
        ["retro_walk_treadmill", "sit_to_stand"]
    ]
    assert loaded.programmes[0].activities[0].dose == record.programmes[0].activities[0].dose
    walk = next(s for s in loaded.sessions if s.exercises[0].exercise_id == "retro_walk_treadmill")
    assert walk.exercises[0].dose.speed_kmh == 1.8 and walk.performed == T0.replace(
        hour=0, minute=0
    ) + timedelta(7)
    session_pain = [(p.context, p.value) for p in loaded.pain if p.session_id is not None]
    assert ("during", 3.0) in session_pain
    # a second export of the stored record is itself a valid, importable bundle
    assert import_bundle(export_bundle(loaded)).record.patient.id == f"client-{client_id}"


def test_failed_import_writes_nothing(database: Database) -> None:
    before = _counts(database)
    bundle = export_bundle(sample_record())
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "nprs-p0")
    obs["subject"] = {"reference": "Patient/elsewhere"}
    with pytest.raises(FhirImportError):
        import_record(database, import_bundle(bundle).record)
    assert _counts(database) == before


def test_database_error_mid_import_rolls_everything_back(database: Database) -> None:
    before = _counts(database)
    with pytest.raises(Exception, match="no active trainer"):
        import_record(database, sample_record(), trainer_username="nobody")
    assert _counts(database) == before


def test_fhir_route_uses_the_client_record_authorisation(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1)
    app = create_app(settings)
    database: Database = app.state.db
    client_id = import_record(database, sample_record())
    with database.transaction() as db:
        owner = crud.create_user(db, "owner", "pw-owner-123456", "trainer")
        crud.create_user(db, "other", "pw-other-123456", "trainer")
        client = db.get(M.Client, client_id)
        assert client is not None
        crud.link_trainer(db, client, owner)
    http = TestClient(app)

    def token(username: str, password: str) -> dict[str, str]:
        with database.transaction() as db:
            user = crud.authenticate(db, username, password)
            assert user is not None
            return {"Authorization": f"Bearer {crud.create_auth_session(db, user, ttl=timedelta(hours=1))}"}

    url = f"/api/v1/clients/{client_id}/fhir"
    assert http.get(url).status_code == 401
    assert http.get(url, headers=token("other", "pw-other-123456")).status_code == 404
    response = http.get(url, headers=token("owner", "pw-owner-123456"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and "Ann Example" not in response.text
    assert import_bundle(bundle).record.koos[0].answers == sample_record().koos[0].answers


def test_the_demo_client_exports_to_fhir_and_back(database: Database) -> None:
    from retrowalk.storage.seed import seed_demo

    with database.transaction() as db:
        seed_demo(db)
        client_id = db.scalar(select(func.min(M.Client.id)))
        assert client_id is not None
        record = record_from_db(db, client_id)  # logs with next-morning pain: id "log-N-next-day"
    assert any(p.context == "next_day" for p in record.pain)
    assert import_bundle(export_bundle(record)).record.pain == record.pain


def test_a_dose_outside_the_core_bounds_fails_the_whole_import(database: Database) -> None:
    record = sample_record()
    programme = record.programmes[0]
    long = programme.activities[0].model_copy(update={"dose": Dose(duration_min=240.0)})
    bad = record.model_copy(update={"programmes": [programme.model_copy(update={"activities": [long]})]})
    bad = import_bundle(export_bundle(bad)).record  # valid FHIR: the exchange format allows a day
    with pytest.raises(InputError) as refused:
        import_record(database, bad)
    assert refused.value.field.startswith("programmes[prog-1].content")
    assert "minutes" in refused.value.message
    with database.transaction() as db:
        assert db.scalar(select(func.count()).select_from(M.Client)) == 0


def test_an_import_is_stored_typed_and_exports_as_it_came_in(database: Database) -> None:
    record = sample_record()
    client_id = import_record(database, record)
    with database.transaction() as db:
        (assessment,) = crud.list_assessments(db, client_id)
        assert assessment.findings is None
        assert [m.test_id for m in assessment.inputs.measurements] == [m.test_id for m in record.measurements]
        (programme,) = crud.list_programmes(db, client_id)
        assert [i.exercise_id for i in programme.content.items] == ["retro_walk_treadmill", "sit_to_stand"]
        assert programme.content.items[0].dose.minutes == 10
        loaded = record_from_db(db, client_id)
    # imported measurements had no pain: none is invented on export
    assert [p.context for p in loaded.pain if p.session_id is None] == []
    assert sorted((g.metric, g.side, g.value) for g in loaded.gait) == sorted(
        (g.metric, g.side, g.value) for g in record.gait
    )
