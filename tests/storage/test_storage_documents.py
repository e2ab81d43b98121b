"""Typed stored documents: validated on write, upgraded and validated on read, and a row that no
longer validates reported (never a crash)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from tests.api.api_support import fileless_recording

from retrowalk.api.app import create_app
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.scores.koos import KoosScores
from retrowalk.errors import InputError
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.db import Database
from retrowalk.storage.documents import (
    ASSESSMENT_FINDINGS,
    KOOS_SCORES,
    PROGRAMME_CONTENT,
    DocumentError,
    UnreadableRow,
)


def _client(database: Database) -> int:
    with database.transaction() as db:
        trainer = crud.create_user(db, "coach", "pw-coach-123456", "trainer")
        return crud.create_client(db, "Doc Client", trainer=trainer).id


def _set_raw(database: Database, sql: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(text(sql))


def _programmes(database: Database, client_id: int, n: int) -> None:
    with database.transaction() as db:
        for i in range(n):
            crud.add_programme(
                db, client_id, content={"notes": [f"v{i + 1}"]}, assessment_id=None, pain_nprs=None, by=None
            )


def test_a_document_is_stored_as_a_versioned_envelope(database: Database) -> None:
    client_id = _client(database)
    _programmes(database, client_id, 1)
    with database.engine.connect() as conn:
        raw = conn.execute(text("SELECT content FROM programmes")).scalar_one()
    assert (json.loads(raw) if isinstance(raw, str) else raw) == {"v": 2, "doc": {"notes": ["v1"]}}
    with database.transaction() as db:
        programme = crud.current_programme(db, client_id)
        assert programme is not None and isinstance(programme.content, ProgrammeContent)
        assert programme.content.notes == ["v1"] and programme.content.items == []


def test_writing_refuses_what_does_not_fit_the_model(database: Database) -> None:
    client_id = _client(database)
    with database.transaction() as db, pytest.raises(InputError) as bad:
        crud.add_programme(db, client_id, content={"n": 1}, assessment_id=None, pain_nprs=None, by=None)
    assert bad.value.field == "content" and "n: Extra inputs are not permitted" in bad.value.message
    with database.transaction() as db, pytest.raises(InputError) as bad:
        crud.add_questionnaire(db, client_id, answers={}, scores={"pain": 140}, by=None)
    assert bad.value.field == "scores"


def test_a_bare_row_of_the_previous_release_reads_without_the_migration(database: Database) -> None:
    client_id = _client(database)
    _programmes(database, client_id, 1)
    _set_raw(
        database,
        """UPDATE programmes SET content = '{"items": [], "stop": false, "refer_out": null, "excluded": [],
        "pain_nprs": 3.0, "goals": ["walking"], "notes": []}'""",
    )
    with database.transaction() as db:
        programme = crud.current_programme(db, client_id)
        assert programme is not None and programme.content.goals == ["walking"]


def test_unreadable_rows_are_reported_beside_the_readable_ones(database: Database) -> None:
    client_id = _client(database)
    _programmes(database, client_id, 3)
    _set_raw(database, """UPDATE programmes SET content = '{"v": 3, "doc": {}}' WHERE version = 2""")
    _set_raw(
        database, """UPDATE programmes SET content = '{"v": 2, "doc": {"items": 5}}' WHERE version = 3"""
    )
    with database.transaction() as db:
        loaded = crud.read_programmes(db, client_id)
        assert [p.version for p in loaded.rows] == [1]
        newer, broken = loaded.problems
        assert (newer.table, newer.column, newer.row_id) == ("programmes", "content", 2)
        assert "newer release (version 3" in newer.message
        assert broken.row_id == 3 and "items" in broken.message
        assert "programmes row 3: content cannot be read" in str(broken)
        assert crud.client_row_problems(db, client_id) == loaded.problems
        with pytest.raises(UnreadableRow) as single:
            crud.current_programme(db, client_id)
        assert single.value.problem == broken
        with pytest.raises(UnreadableRow):
            crud.list_programmes(db, client_id)


def test_the_api_names_the_row_that_cannot_be_read(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1)
    app = create_app(settings)
    database: Database = app.state.db
    with database.transaction() as db:
        trainer = crud.create_user(db, "coach", "pw-coach-123456", "trainer")
        client_id = crud.create_client(db, "Doc Client", trainer=trainer).id
        crud.add_questionnaire(
            db,
            client_id,
            answers={},
            scores=KoosScores.model_validate(dict.fromkeys(("pain", "symptoms", "adl", "sport_rec", "qol"))),
            by=trainer,
        )
        token = crud.create_auth_session(db, trainer, ttl=timedelta(hours=1))
    _set_raw(database, """UPDATE questionnaire_responses SET scores = '{"v": 2, "doc": {"pain": "high"}}'""")
    response = TestClient(app).get(
        f"/api/v1/clients/{client_id}/outcomes", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 500
    body = response.json()
    assert body["problem"]["table"] == "questionnaire_responses" and body["problem"]["column"] == "scores"
    assert "cannot be read" in body["detail"]


def test_an_imported_assessment_has_no_findings_and_cannot_be_prescribed_from(database: Database) -> None:
    from retrowalk.app import clinical

    client_id = _client(database)
    with database.transaction() as db:
        row = crud.add_assessment(
            db, client_id, inputs={"measurements": []}, findings=None, pain_nprs=None, stop=False, by=None
        )
        assert crud.get_assessment(db, client_id, row.id) is row and row.findings is None
        with pytest.raises(InputError) as refused:
            clinical.prescribe(row.findings, pain_nprs=2.0, goals=[])
        assert refused.value.field == "assessment"


@given(st.integers(min_value=3, max_value=10**6))
def test_any_future_version_is_refused_not_misread(version: int) -> None:
    for schema in (PROGRAMME_CONTENT, KOOS_SCORES, ASSESSMENT_FINDINGS):
        with pytest.raises(DocumentError, match="newer release"):
            schema.load({"v": version, "doc": {}})


@given(st.sampled_from([{"v": 0, "doc": {}}, {"v": "2", "doc": {}}, {"v": 2}, {"v": 2, "doc": {}, "x": 1}]))
def test_a_malformed_envelope_is_refused(stored: dict[str, object]) -> None:
    with pytest.raises(DocumentError):
        KOOS_SCORES.load(stored)


_SCORE = st.none() | st.floats(min_value=0, max_value=100, allow_nan=False)


@given(st.builds(KoosScores, pain=_SCORE, symptoms=_SCORE, adl=_SCORE, sport_rec=_SCORE, qol=_SCORE))
def test_a_stored_document_reads_back_equal(scores: KoosScores) -> None:
    assert KOOS_SCORES.load(KOOS_SCORES.dump(scores)) == scores


def test_an_analysis_result_set_later_is_typed_like_an_upload(database: Database, tmp_path: Path) -> None:
    from retrowalk.io.recordings import analyse_file

    pose = analyse_file(Path(__file__).parents[1] / "data" / "pose" / "backward_walk_generic.csv", "pose")
    client_id = _client(database)
    with database.transaction() as db:
        row = fileless_recording(db, client_id, kind="pose", name="w.csv")
        assert row.gait is None
        crud.set_recording_result(db, row, status="analysed", metrics=pose)
    with database.transaction() as db:
        (stored,) = crud.list_recordings(db, client_id)
        assert stored.status == "analysed" and stored.gait is not None
        assert stored.gait.cadence_spm == pose["cadence_spm"]
        with pytest.raises(InputError) as bad:
            crud.set_recording_result(db, stored, status="analysed", metrics={"steps": 3})
        assert bad.value.field == "metrics"
