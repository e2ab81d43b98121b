"""Gait metrics of analysed recordings in the FHIR/research exports, their import, and --trainer."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from interop_strategies import sample_record
from sqlalchemy import select
from tests.api.api_support import fileless_recording
from typer.testing import CliRunner

from retrowalk.cli.main import app
from retrowalk.interop import codes as C
from retrowalk.interop.fhir_export import export_bundle
from retrowalk.interop.fhir_import import import_bundle
from retrowalk.interop.research import research_tables
from retrowalk.interop.storage_adapter import import_record, record_from_db
from retrowalk.io.recordings import analyse_file
from retrowalk.settings import get_settings
from retrowalk.storage import crud
from retrowalk.storage import models as M
from retrowalk.storage.db import Database

DATA = Path(__file__).resolve().parents[1] / "data"
IMU_TRIAL = DATA / "mobilised" / "HA_001_TimeMeasure1_Test5_Trial1.csv.gz"
POSE_TRIAL = DATA / "pose" / "backward_walk_generic.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def imu_metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("imu") / "walk.csv"
    path.write_bytes(gzip.decompress(IMU_TRIAL.read_bytes()))
    return analyse_file(path, "imu")


@pytest.fixture(scope="module")
def pose_metrics() -> dict[str, Any]:
    return analyse_file(POSE_TRIAL, "pose")


def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'rw.sqlite3'}")
    db.upgrade()
    return db


def _client_with_recordings(database: Database, imu: dict[str, Any], pose: dict[str, Any] | None) -> int:
    with database.transaction() as db:
        trainer = crud.create_user(db, "coach", "pw-coach-123456", "trainer")
        client = crud.create_client(db, "Gait Person", trainer=trainer, sex="male")
        for kind, metrics in (("imu", imu), ("pose", pose)):
            if metrics is None:
                continue
            fileless_recording(
                db, client.id, by=trainer, kind=kind, name=f"{kind}.csv", status="analysed", metrics=metrics
            )
        # a failed analysis contributes nothing
        fileless_recording(
            db,
            client.id,
            by=trainer,
            kind="imu",
            name="broken.csv",
            sha256="1" * 64,
            status="failed",
            error="ValueError: no steps",
        )
        return client.id


def _bundle_of(database: Database, client_id: int) -> dict[str, Any]:
    with database.transaction() as db:
        return export_bundle(record_from_db(db, client_id))


def _gait_observations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] != "Observation":
            continue
        coding = res["code"]["coding"][0]
        if coding["system"] == C.RETROWALK_CS and coding["code"] in C.GAIT_CONCEPTS:
            out.append(res)
    return out


def _comparable(obs: dict[str, Any]) -> tuple[Any, ...]:
    """What must survive a round trip (ids change: the database assigns new ones)."""
    return (
        obs["code"]["coding"][0]["code"],
        obs["valueQuantity"]["value"],
        obs["valueQuantity"]["code"],
        obs["effectiveDateTime"],
        json.dumps(obs.get("bodySite"), sort_keys=True),
        json.dumps(obs.get("method"), sort_keys=True),
        json.dumps(obs.get("extension"), sort_keys=True),
    )


def test_uploaded_imu_recording_exports_cadence_observation(
    tmp_path: Path, imu_metrics: dict[str, Any]
) -> None:
    database = _database(tmp_path)
    client_id = _client_with_recordings(database, imu_metrics, None)
    gait = {o["code"]["coding"][0]["code"]: o for o in _gait_observations(_bundle_of(database, client_id))}
    assert set(gait) == {"cadence", "step_time_asymmetry", "step_time_cv", "step_time", "step_count"}
    cadence = gait["cadence"]
    assert cadence["code"]["coding"][0]["system"] == "https://retrowalk.example/fhir/CodeSystem/retrowalk"
    assert cadence["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert cadence["valueQuantity"]["code"] == "/min"
    assert cadence["valueQuantity"]["value"] == pytest.approx(imu_metrics["cadence_spm"])
    assert cadence["method"]["coding"][0]["code"] == "imu"
    assert cadence["category"][0]["coding"][0]["code"] == "activity"
    assert gait["step_time_asymmetry"]["valueQuantity"]["value"] == pytest.approx(
        imu_metrics["step_time_asymmetry_pct"]
    )
    assert gait["step_time_asymmetry"]["valueQuantity"]["code"] == "%"
    assert gait["step_count"]["valueQuantity"]["value"] == imu_metrics["steps"]


def test_pose_recording_exports_knee_extension_per_side_and_trunk_lean(
    tmp_path: Path, imu_metrics: dict[str, Any], pose_metrics: dict[str, Any]
) -> None:
    database = _database(tmp_path)
    client_id = _client_with_recordings(database, imu_metrics, pose_metrics)
    pose = [o for o in _gait_observations(_bundle_of(database, client_id)) if o["method"]["text"] == "pose"]
    knee = {
        o["bodySite"]["coding"][0]["code"]: o["valueQuantity"]
        for o in pose
        if o["code"]["coding"][0]["code"] == "knee_extension_stance"
    }
    assert set(knee) == {"left", "right"}
    assert knee["left"]["value"] == pytest.approx(pose_metrics["left"]["knee_ext_stance_deg"])
    assert knee["right"]["code"] == "deg"
    codes = {o["code"]["coding"][0]["code"] for o in pose}
    assert {"cadence", "trunk_lean", "step_length_asymmetry"} <= codes
    # the walking direction the pose engine found travels with every pose observation
    assert all(o["extension"][0]["valueCode"] == pose_metrics["direction"] for o in pose)


def test_gait_survives_db_bundle_import_db_bundle(
    tmp_path: Path, imu_metrics: dict[str, Any], pose_metrics: dict[str, Any]
) -> None:
    database = _database(tmp_path)
    client_id = _client_with_recordings(database, imu_metrics, pose_metrics)
    first = _bundle_of(database, client_id)
    imported_id = import_record(database, import_bundle(first).record)
    second = _bundle_of(database, imported_id)
    before = sorted(_comparable(o) for o in _gait_observations(first))
    after = sorted(_comparable(o) for o in _gait_observations(second))
    assert len(before) >= 10 and after == before
    with database.transaction() as db:
        rows = db.scalars(select(M.Recording).where(M.Recording.client_id == imported_id)).all()
        assert {(r.kind, r.status, r.path) for r in rows} == {("imported", "imported", "")}
    # and once more: the imported rows export exactly as they were imported
    third_id = import_record(database, import_bundle(second).record)
    assert sorted(_comparable(o) for o in _gait_observations(_bundle_of(database, third_id))) == after


def test_research_export_has_gait_rows_from_the_database(tmp_path: Path, imu_metrics: dict[str, Any]) -> None:
    database = _database(tmp_path)
    client_id = _client_with_recordings(database, imu_metrics, None)
    with database.transaction() as db:
        record = record_from_db(db, client_id)
    outcomes = research_tables([record], b"research-key-0123456789")["outcomes"]
    cadence = outcomes[(outcomes["instrument"] == "gait") & (outcomes["measure"] == "cadence")]
    assert len(cadence) == 1
    row = cadence.iloc[0]
    assert row["value"] == pytest.approx(imu_metrics["cadence_spm"]) and row["unit"] == "/min"
    assert row["code_system"] == C.RETROWALK_CS and row["code"] == "cadence"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_cli_import_links_the_trainer(data_dir: Path, tmp_path: Path) -> None:
    database = Database(get_settings().resolved_database_url)
    database.upgrade()
    with database.transaction() as db:
        crud.create_user(db, "physio", "pw-physio-123456", "trainer")
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(export_bundle(sample_record())), encoding="utf-8")

    wrong = runner.invoke(app, ["fhir", "import", str(bundle), "--trainer", "nobody", "--format", "json"])
    assert wrong.exit_code == 2 and "--trainer" in wrong.stderr
    dry = runner.invoke(app, ["fhir", "import", str(bundle), "--dry-run", "--trainer", "nobody"])
    assert dry.exit_code == 2
    with database.transaction() as db:
        assert db.scalars(select(M.Client)).all() == []

    result = runner.invoke(app, ["fhir", "import", str(bundle), "--trainer", "physio", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["trainer"] == "physio" and out["gait"] == len(sample_record().gait)
    with database.transaction() as db:
        client = db.get(M.Client, out["client_id"])
        assert client is not None
        assert [u.username for u in client.trainers] == ["physio"]
        exported = record_from_db(db, client.id)
    assert exported.practitioner is not None and exported.practitioner.id.startswith("user-")
    assert len(exported.gait) == len(sample_record().gait)
