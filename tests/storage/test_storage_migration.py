"""Migration 0005 on a database made by the previous release (rows as its own code wrote them).

``data/release_0004.json`` holds every row the previous release (commit 36f9b8e, schema 0004)
wrote for its demo seed, both gait engines' stored results and its FHIR import of the interop
sample record; ``make_release_rows.py`` says how it was made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from make_release_rows import TABLES
from sqlalchemy import JSON, select, text, type_coerce

from retrowalk.storage import crud
from retrowalk.storage import models as M
from retrowalk.storage.db import Database, current_revision, downgrade, head_revision, upgrade
from retrowalk.storage.documents import DOCUMENT_COLUMNS

RELEASE = json.loads((Path(__file__).parent / "data" / "release_0004.json").read_text(encoding="utf-8"))
ROWS: dict[str, list[dict[str, Any]]] = RELEASE["tables"]


def _old_row(table: str, row_id: int) -> dict[str, Any]:
    return next(r for r in ROWS[table] if r["id"] == row_id)


def _released_database(tmp_path: Path) -> Database:
    """A database at revision 0004 holding the previous release's rows, byte for byte."""
    database = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(database.engine, RELEASE["revision"])
    with database.engine.begin() as conn:
        for table in TABLES:
            rows = ROWS[table]
            columns = sorted(rows[0])
            names, params = ", ".join(columns), ", ".join(":" + c for c in columns)
            conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), rows)
    return database


def _raw_documents(database: Database) -> dict[tuple[str, str, int], Any]:
    """Every stored document as raw JSON (no model), keyed by (table, column, row id)."""
    out: dict[tuple[str, str, int], Any] = {}
    with database.engine.connect() as conn:
        for (table, column), _schema in DOCUMENT_COLUMNS.items():
            t = M.Base.metadata.tables[table]
            for row_id, value in conn.execute(select(t.c.id, type_coerce(t.c[column], JSON))):
                out[(table, column, row_id)] = value
    return out


@pytest.fixture
def migrated(tmp_path: Path) -> Database:
    database = _released_database(tmp_path)
    database.upgrade()
    assert current_revision(database.engine) == head_revision()
    return database


def test_every_document_is_a_current_envelope_after_the_upgrade(migrated: Database) -> None:
    raw = _raw_documents(migrated)
    assert len(raw) == 2 * len(ROWS["assessments"]) + sum(
        len(ROWS[t]) for t in ("programmes", "questionnaire_responses", "recordings")
    )
    for key, value in raw.items():
        table, column, _ = key
        assert set(value) == {"v", "doc"}, key
        assert value["v"] == DOCUMENT_COLUMNS[(table, column)].version, key


def test_every_old_row_reads_through_the_typed_readers(migrated: Database) -> None:
    with migrated.transaction() as db:
        client_ids = list(crud.list_client_ids(db))
        assert client_ids == [1, 2]
        for client_id in client_ids:
            assert crud.client_row_problems(db, client_id) == []
            for loaded in (
                crud.read_assessments(db, client_id),
                crud.read_programmes(db, client_id),
                crud.read_questionnaires(db, client_id),
                crud.read_recordings(db, client_id),
            ):
                assert loaded.problems == []
        demo, imported = client_ids

        # the demo assessment and programme are the core's models; what was stored is kept as it was
        # (fields the core added since then take their defaults)
        (assessment,) = crud.list_assessments(db, demo)
        old = _old_row("assessments", assessment.id)
        assert assessment.findings is not None
        assert assessment.findings.model_dump(mode="json", exclude_unset=True) == json.loads(old["findings"])
        assert assessment.inputs.model_dump(mode="json", exclude_unset=True) == json.loads(old["inputs"])
        programme = crud.current_programme(db, demo)
        assert programme is not None
        assert programme.content.model_dump(mode="json", exclude_unset=True) == json.loads(
            _old_row("programmes", programme.id)["content"]
        )
        assert [q.scores.pain for q in crud.list_questionnaires(db, demo, "koos")] == [50.0, 75.0]

        # both engines' stored results now carry the gait summary
        by_name = {r.original_name: r for r in crud.list_recordings(db, demo)}
        imu, pose = by_name["walk-imu-analysed"], by_name["walk-pose-analysed"]
        imu_old = json.loads(_old_row("recordings", imu.id)["metrics"])
        pose_old = json.loads(_old_row("recordings", pose.id)["metrics"])
        assert imu.gait is not None and pose.gait is not None and imu.metrics is not None
        assert (imu.gait.source, imu.gait.cadence_spm, imu.gait.steps) == (
            "imu",
            imu_old["cadence_spm"],
            imu_old["steps"],
        )
        assert imu.gait.step_time_asymmetry_pct == imu_old["step_time_asymmetry_pct"]
        assert imu.metrics.result == imu_old  # the engine's own JSON is kept as it was
        assert pose.gait.left.knee_ext_stance_deg == pose_old["left"]["knee_ext_stance_deg"]
        assert (pose.gait.direction, pose.gait.trunk_lean_deg) == (
            pose_old["direction"],
            pose_old["trunk_lean_deg"],
        )
        assert by_name["walk-imu-failed"].metrics is None and by_name["walk-pose-stored"].metrics is None

        # the FHIR import: findings never evaluated, a KOOS without scores, flat gait values
        (imported_assessment,) = crud.list_assessments(db, imported)
        assert imported_assessment.findings is None
        assert [m.test_id for m in imported_assessment.inputs.measurements][:2] == [
            "knee_flexion_rom",
            "hip_abduction_hhd",
        ]
        unscored = crud.list_questionnaires(db, imported, "koos")[-1]
        assert unscored.scores.model_dump() == dict.fromkeys(("pain", "symptoms", "adl", "sport_rec", "qol"))
        gait = [r.gait for r in crud.gait_series(db, imported).rows]
        assert [(g.source, g.direction, g.cadence_spm) for g in gait if g and g.cadence_spm] == [
            ("imu", "backward", 92.4)
        ]
        assert [g.left.knee_ext_stance_deg for g in gait if g and g.source == "pose"] == [4.0]


def test_downgrade_writes_the_previous_form_back_and_upgrades_again(migrated: Database) -> None:
    first = _raw_documents(migrated)
    downgrade(migrated.engine, "0004")
    back = _raw_documents(migrated)
    for (table, column, row_id), value in back.items():
        old = json.loads(_old_row(table, row_id)[column])
        if table == "recordings" and isinstance(old, dict) and "units" in old:
            # imported gait: same values under the same keys (units only where not the concept's)
            assert {k: v for k, v in value.items() if k != "units"} == {
                k: v for k, v in old.items() if k != "units"
            }
        elif old == {}:
            assert value == dict.fromkeys(("pain", "symptoms", "adl", "sport_rec", "qol"))
        else:
            assert value == old, (table, column, row_id)
    migrated.upgrade()
    assert _raw_documents(migrated) == first


def test_a_row_the_migration_cannot_upgrade_is_kept_and_reported(tmp_path: Path) -> None:
    database = _released_database(tmp_path)
    with database.engine.begin() as conn:
        conn.execute(text("""UPDATE programmes SET content = '{"items": [{"dose": {}}]}' WHERE id = 1"""))
    database.upgrade()
    with database.transaction() as db:
        loaded = crud.read_programmes(db, 1)
        assert loaded.rows == []
        (problem,) = loaded.problems
        assert (problem.table, problem.row_id, problem.column) == ("programmes", 1, "content")
        assert "exercise_id" in problem.message
        assert crud.client_row_problems(db, 1) == [problem]
