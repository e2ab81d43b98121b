"""Bounded work per request: each limit refused with a 4xx naming it, before the expensive step."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from tests.api.api_support import World, build_world, make_settings, walking_csv, world_trial

from retrowalk.api.app import create_app
from retrowalk.app import clinical
from retrowalk.interop.fhir_import import import_bundle
from retrowalk.io import limits
from retrowalk.settings import Settings
from retrowalk.trial.definition import MAX_STRATA, TrialDefinition


@pytest.fixture
def small(tmp_path: Path) -> Iterator[World]:
    """A world whose limits are small enough to reach in a test."""
    app: FastAPI = create_app(
        make_settings(
            tmp_path / "data",
            f"sqlite:///{tmp_path / 'db.sqlite3'}",
            max_csv_rows=200,
            max_archive_members=3,
            max_archive_uncompressed_bytes=64 * 1024,
            max_trial_rows=5,
            max_logs_per_client_per_day=2,
        )
    )
    try:
        yield build_world(app)
    finally:
        app.state.db.dispose()
        limits.configure(Settings())


def _upload(world: World, name: str, content: bytes, kind: str = "imu") -> Any:
    return world.http.post(
        f"/api/v1/clients/{world.ids['client_a']}/recordings",
        headers=world.headers["client_a"],
        files={"file": (name, content, "application/octet-stream")},
        data={"kind": kind},
    )


def _names_limit(response: Any, setting: str) -> bool:
    return response.status_code == 422 and setting in response.text


def test_a_header_of_40000_columns_is_refused_fast(world: World) -> None:
    header = ",".join(["acc_x"] * 40_000).encode() + b"\n1,2,3\n"
    start = time.perf_counter()
    r = _upload(world, "wide.csv", b"time_s," + header)
    assert _names_limit(r, "max_csv_columns"), r.text
    assert time.perf_counter() - start < 2.0


def test_rows_over_the_limit(small: World) -> None:
    r = _upload(small, "walk.csv", walking_csv())
    assert _names_limit(r, "max_csv_rows"), r.text


def test_duration_over_the_limit(world: World) -> None:
    rows = [f"{t},0,0,9.81" for t in np.linspace(0, 20, 400)] + ["1e9,0,0,9.81"]
    r = _upload(world, "long.csv", ("time_s,acc_x,acc_y,acc_z\n" + "\n".join(rows) + "\n").encode())
    assert _names_limit(r, "max_duration_seconds"), r.text


def _npz(**arrays: Any) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_npz_decompression_bomb_is_refused(small: World) -> None:
    bomb = _npz(keypoints=np.zeros((4096, 33, 3)))  # ~3 MiB uncompressed, a few KiB on the wire
    assert len(bomb) < 64 * 1024
    r = _upload(small, "bomb.npz", bomb, kind="pose")
    assert _names_limit(r, "max_archive_uncompressed_bytes"), r.text


def test_npz_with_too_many_members_is_refused(small: World) -> None:
    many = _npz(**{f"a{i}": np.zeros(1) for i in range(5)})
    r = _upload(small, "many.npz", many, kind="pose")
    assert _names_limit(r, "max_archive_members"), r.text


def _trial(**changes: Any) -> dict[str, Any]:
    return {**world_trial("limits-trial"), **changes}


def test_ten_to_the_eighth_strata_are_counted_not_built(world: World) -> None:
    factors = [{"name": f"f{i}", "levels": [str(j) for j in range(10)]} for i in range(8)]
    start = time.perf_counter()
    r = world.http.post(
        "/api/v1/trials",
        json={"definition": _trial(stratification=factors)},
        headers=world.headers["trainer_a"],
    )
    assert r.status_code == 422 and "strata" in r.text
    assert time.perf_counter() - start < 2.0
    few = [{"name": f"f{i}", "levels": [str(j) for j in range(10)]} for i in range(4)]  # 10^4 > 1000
    r = world.http.post(
        "/api/v1/trials", json={"definition": _trial(stratification=few)}, headers=world.headers["trainer_a"]
    )
    assert _names_limit(r, "max_trial_strata"), r.text


def test_the_core_refuses_strata_past_its_ceiling() -> None:
    factors = [{"name": f"f{i}", "levels": [str(j) for j in range(10)]} for i in range(6)]
    assert MAX_STRATA < 10**6
    with pytest.raises(ValueError, match="strata"):
        TrialDefinition.model_validate(_trial(stratification=factors))


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        (
            {"arms": [{"id": f"a{i}"} for i in range(11)], "control_arm": "a0", "block_sizes": [11]},
            "max_trial_arms",
        ),
        ({"visits": [{"id": f"v{i}", "day": i} for i in range(51)]}, "max_trial_visits"),
        ({"outcomes": [{"id": f"o{i}", "better": "lower"} for i in range(51)]}, "max_trial_outcomes"),
    ],
)
def test_trial_definition_sizes(world: World, changes: dict[str, Any], setting: str) -> None:
    r = world.http.post(
        "/api/v1/trials", json={"definition": _trial(**changes)}, headers=world.headers["trainer_a"]
    )
    assert _names_limit(r, setting), r.text


def test_trial_data_rows_over_the_limit(small: World) -> None:
    rows = "participant,arm,sex,visit,outcome,value\n" + "".join(
        f"p{i},usual,F,baseline,pain,5\n" for i in range(10)
    )
    r = small.http.post(
        f"/api/v1/trials/{small.ids['trial_a']}/observations",
        files={"file": ("data.csv", rows.encode(), "text/csv")},
        headers=small.headers["trainer_a"],
    )
    assert _names_limit(r, "max_trial_rows"), r.text


def test_session_logs_per_client_per_day(small: World) -> None:
    base = f"/api/v1/clients/{small.ids['client_a']}"
    h = small.headers["client_a"]
    body = {
        "session_date": "2025-03-02",
        "exercise_id": clinical.DEMO_EXERCISE,
        "pain_during": 1,
        "pain_after": 1,
    }
    assert small.http.post(f"{base}/session-logs", json=body, headers=h).status_code == 201
    assert small.http.post(f"{base}/session-logs", json=body, headers=h).status_code == 201
    r = small.http.post(f"{base}/session-logs", json=body, headers=h)
    assert _names_limit(r, "max_logs_per_client_per_day"), r.text
    other_day = {**body, "session_date": "2025-03-03"}
    assert small.http.post(f"{base}/session-logs", json=other_day, headers=h).status_code == 201


def test_fhir_entries_and_depth(tmp_path: Path) -> None:
    limits.configure(Settings(data_dir=tmp_path, max_fhir_entries=3))
    try:
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{}] * 4}
        with pytest.raises(limits.LimitExceeded, match="max_fhir_entries"):
            import_bundle(bundle)
        deep: Any = {}
        node = deep
        for _ in range(10_000):
            node["x"] = {}
            node = node["x"]
        with pytest.raises(limits.LimitExceeded, match="max_json_depth"):
            import_bundle({"resourceType": "Bundle", "type": "collection", "entry": [], "meta": deep})
    finally:
        limits.configure(Settings())


def test_limits_are_checked_in_the_cli_readers_too(tmp_path: Path) -> None:
    from retrowalk.io.imu import read_imu

    wide = tmp_path / "wide.csv"
    wide.write_text("time_s," + ",".join(["acc_x"] * 1000) + "\n")  # over the default 256
    with pytest.raises(limits.LimitExceeded, match="max_csv_columns"):
        read_imu(wide)


def test_deep_json_in_the_cli_and_the_pose_reader_is_an_input_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from retrowalk.cli.main import app
    from retrowalk.errors import InputError
    from retrowalk.io.pose import read_keypoints

    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000)  # past Python's recursion limit
    with pytest.raises(InputError, match="JSON"):
        read_keypoints(deep, fps=30)
    nested = tmp_path / "nested.json"
    nested.write_text('{"a": ' * 200 + "1" + "}" * 200)  # parses, but deeper than max_json_depth
    with pytest.raises(limits.LimitExceeded, match="max_json_depth"):
        read_keypoints(nested, fps=30)
    for path, words in ((deep, "nested too deeply"), (nested, "max_json_depth")):
        result = CliRunner().invoke(app, ["fhir", "import", str(path), "--dry-run"])
        assert result.exit_code == 2, result.output
        # Rich wraps the message at the terminal width, so a long tmp path can split the words
        assert words in " ".join(result.output.split()) and "Traceback" not in result.output


def test_samples_and_frames_over_the_limit(tmp_path: Path) -> None:
    """A recording's samples (IMU, after resampling) and a keypoint file's frames (pose) count
    against max_samples before any analysis."""
    from retrowalk.io.imu import read_imu
    from retrowalk.io.pose import read_keypoints

    walk = tmp_path / "walk.csv"
    walk.write_bytes(walking_csv())  # 12 s at 100 Hz
    frames = tmp_path / "frames.npy"
    np.save(frames, np.random.default_rng(1).random((200, 33, 3)))
    limits.configure(Settings(data_dir=tmp_path, max_samples=150))
    try:
        for read in (lambda: read_imu(walk), lambda: read_keypoints(frames, fps=30)):
            with pytest.raises(limits.LimitExceeded, match="max_samples"):
                read()
    finally:
        limits.configure(Settings())
    assert len(read_keypoints(frames, fps=30).xy) == 200  # within the default
