"""One gait summary for every reader (issue #12: imported gait reached the API outcomes but not
the web or PDF charts, because three readers guessed keys in the stored JSON)."""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from interop_strategies import T0, sample_record

from retrowalk.api.app import create_app
from retrowalk.app import records as build
from retrowalk.gait.imu import analyse as analyse_imu
from retrowalk.gait.pose import analyse as analyse_pose
from retrowalk.gait.summary import (
    OBSERVATION_FIELDS,
    OBSERVATION_LEG_FIELDS,
    GaitSummary,
    Observation,
    from_imu,
    from_observations,
    from_pose,
    observations,
)
from retrowalk.interop import codes as C
from retrowalk.interop.storage_adapter import import_record
from retrowalk.io.imu import read_imu
from retrowalk.io.pose import read_keypoints
from retrowalk.reports.charts import gait_chart
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.db import Database

DATA = Path(__file__).resolve().parents[1] / "data"


def test_imported_gait_shows_in_the_api_outcomes_and_in_the_web_and_pdf_charts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1)
    app = create_app(settings)
    database: Database = app.state.db
    with database.transaction() as db:
        crud.create_user(db, "physio", "pw-physio-123456", "trainer")
    client_id = import_record(database, sample_record(), trainer_username="physio")
    with database.transaction() as db:
        trainer = crud.get_user_by_username(db, "physio")
        assert trainer is not None
        token = crud.create_auth_session(db, trainer, ttl=timedelta(hours=1))
        client = crud.get_client(db, client_id)
        assert client is not None
        charts = build.chart_inputs(db, client_id)
        report = build.report_data(db, client)

    http = TestClient(app)
    auth = {"Authorization": f"Bearer {token}"}
    out = http.get(f"/api/v1/clients/{client_id}/outcomes", headers=auth).json()
    series = {s["name"]: s for s in out["series"]}
    assert [p["value"] for p in series["gait.cadence_spm"]["points"]] == [92.4]
    assert series["gait.cadence_spm"]["unit"] == "steps/min"
    assert [p["value"] for p in series["gait.knee_ext_stance_deg.left"]["points"]] == [4.0]

    # web charts and the PDF read the same summary: cadence 92.4, symmetry 100 - 7.5
    for gait in (charts.gait, report.charts.gait):
        assert sorted(((p.when, p.cadence_spm, p.symmetry_pct) for p in gait), key=str) == [
            (T0, 92.4, None),
            (T0, None, 92.5),
        ]
    assert "No gait recordings" not in gait_chart(charts.gait).svg

    page = http.get(f"/clients/{client_id}/recordings", headers=auth)
    assert (
        page.status_code == 200 and "Cadence" in page.text and "steps/min" in page.text and "92" in page.text
    )
    assert http.get(f"/clients/{client_id}", headers=auth).status_code == 200


@pytest.fixture(scope="module")
def imu_summary(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, GaitSummary]:
    path = tmp_path_factory.mktemp("imu") / "walk.csv"
    path.write_bytes(
        gzip.decompress((DATA / "mobilised" / "HA_001_TimeMeasure1_Test5_Trial1.csv.gz").read_bytes())
    )
    result = analyse_imu(read_imu(path))
    return result, from_imu(result)


def test_the_imu_summary_carries_what_the_engine_measured(imu_summary: tuple[object, GaitSummary]) -> None:
    result, summary = imu_summary
    assert summary.source == "imu"
    assert summary.cadence_spm == result.cadence_spm  # type: ignore[attr-defined]
    assert summary.steps == result.steps  # type: ignore[attr-defined]
    assert summary.step_time_asymmetry_pct == result.step_time_asymmetry_pct  # type: ignore[attr-defined]
    assert summary.bouts == len(result.bouts)  # type: ignore[attr-defined]
    assert summary.analysed_pct is not None and 0 < summary.analysed_pct <= 100
    assert summary.left.is_empty() and summary.right.is_empty()


def test_the_pose_summary_carries_knee_extension_per_leg_and_the_cues() -> None:
    result = analyse_pose(read_keypoints(DATA / "pose" / "backward_walk_generic.csv"))
    summary = from_pose(result)
    assert (summary.source, summary.direction) == ("pose", result.direction)
    assert summary.left.knee_ext_stance_deg == result.left.knee_ext_stance_deg
    assert summary.right.strides == result.right.n_strides
    assert summary.trunk_lean_deg == result.trunk_lean_deg
    assert summary.contact_type_counts == result.contact_type_counts
    assert [f.code for f in summary.flags] == [f.code for f in result.flags]
    assert summary.step_symmetry_pct == pytest.approx(100 - (result.step_length_asymmetry_pct or 0))


def test_every_summary_metric_id_is_a_coded_concept() -> None:
    assert set(OBSERVATION_FIELDS) | set(OBSERVATION_LEG_FIELDS) <= set(C.GAIT_CONCEPTS)


OBSERVATIONS = st.lists(
    st.builds(
        Observation,
        metric=st.sampled_from(sorted(C.GAIT_CONCEPTS)),
        value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        unit=st.sampled_from(sorted(C.UCUM_UNITS)),
        side=st.sampled_from([None, "left", "right", "bilateral"]),
    ),
    max_size=12,
)


@given(OBSERVATIONS)
def test_observations_survive_the_summary(obs: list[Observation]) -> None:
    """Whatever an import carries comes out again: value, side and (for other metrics) unit."""
    summaries = from_observations(obs, source="manual", direction="backward")
    back = [o for s in summaries for o in observations(s)]

    def key(o: Observation) -> tuple[str, str, float]:
        return (o.metric, o.side or "", o.value)

    assert sorted(map(key, back)) == sorted(map(key, obs))
    assert all(s.source == "manual" and s.direction == "backward" for s in summaries)
    for s in summaries:  # one summary never holds the same metric and side twice
        keys = [(o.metric, o.side) for o in observations(s)]
        assert len(keys) == len(set(keys))
