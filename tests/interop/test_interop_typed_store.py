"""Imports write the typed stored documents: what the core would refuse is refused at import."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_strategies import sample_record
from sqlalchemy import func, select

from retrowalk.errors import InputError
from retrowalk.interop.fhir_export import export_bundle
from retrowalk.interop.fhir_import import import_bundle
from retrowalk.interop.record import Dose
from retrowalk.interop.storage_adapter import import_record, record_from_db
from retrowalk.storage import crud
from retrowalk.storage import models as M
from retrowalk.storage.db import Database


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'rw.sqlite3'}")
    db.upgrade()
    return db


def test_a_dose_outside_the_core_bounds_fails_the_whole_import(database: Database) -> None:
    record = sample_record()
    programme = record.programmes[0]
    fast = programme.activities[0].model_copy(update={"dose": Dose(speed_kmh=25.0)})
    bad = record.model_copy(update={"programmes": [programme.model_copy(update={"activities": [fast]})]})
    bad = import_bundle(export_bundle(bad)).record  # valid FHIR: the exchange format allows 30 km/h
    with pytest.raises(InputError) as refused:
        import_record(database, bad)
    assert refused.value.field.startswith("programmes[prog-1].content")
    assert "speed_kmh" in refused.value.message
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
