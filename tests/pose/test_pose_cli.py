"""`retrowalk gait pose`: JSON on stdout with the documented fields, clean errors, PNG summary."""

from __future__ import annotations

import json
from pathlib import Path

import pose_formats as pf
import pytest
from typer.testing import CliRunner

from retrowalk.cli.main import app
from retrowalk.gait.pose.synthetic import WalkerSpec, walk

DATA = Path(__file__).resolve().parents[1] / "data" / "pose"
runner = CliRunner()


@pytest.fixture(scope="module")
def backward_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kp, _ = walk(
        WalkerSpec(direction="backward", fps=30.0, duration_s=8.0, trunk_lean_deg=14.0, noise_px=0.5)
    )
    return pf.write_mediapipe_json(kp, tmp_path_factory.mktemp("cli") / "walk.json")


def test_gait_pose_json(backward_file: Path) -> None:
    out = runner.invoke(app, ["gait", "pose", str(backward_file), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["direction"] == "backward"
    assert data["trunk_lean_deg"] == pytest.approx(14.0, abs=1.5)
    assert data["cadence_spm"] == pytest.approx(120 / 1.1, rel=0.03)
    for side in ("left", "right"):
        assert data[side]["knee_ext_stance_deg"] < 10 < data[side]["knee_flex_swing_deg"]
        assert set(data[side]["contact_type_counts"]) == {"toe_first"}
    assert [f["code"] for f in data["flags"]] == ["trunk_forward_lean"]
    assert data["flags"][0]["threshold"] == 10.0
    assert isinstance(data["step_length_asymmetry_pct"], float)


def test_gait_pose_text_and_png(backward_file: Path, tmp_path: Path) -> None:
    png = tmp_path / "summary.png"
    out = runner.invoke(app, ["gait", "pose", str(backward_file), "--png", str(png)])
    assert out.exit_code == 0, out.output
    assert "backward" in out.stdout and "trunk_forward_lean" in out.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gait_pose_fps_override_and_openpose_dir_need_fps() -> None:
    out = runner.invoke(app, ["gait", "pose", str(DATA / "openpose_body25")])
    assert out.exit_code == 2 and "fps" in out.stderr
    out = runner.invoke(app, ["gait", "pose", str(DATA / "openpose_body25"), "--fps", "30"])
    assert out.exit_code == 2 and "keypoints" in out.stderr  # 5 frames: too short to analyse


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["bad_openpose_length.json"], "pose_keypoints_2d"),
        (["bad_missing_knee.csv", "--fps", "30"], "left_knee_x"),
        (["mediapipe_small.json", "--image-size", "wide"], "--image-size"),
        (["mediapipe_small.json", "--min-conf", "3"], "--min-conf"),
    ],
)
def test_bad_input_exits_2_and_names_the_field(args: list[str], field: str) -> None:
    out = runner.invoke(app, ["gait", "pose", str(DATA / args[0]), *args[1:], "--format", "json"])
    assert out.exit_code == 2
    assert out.stdout == ""
    assert field in out.stderr


def test_docs_example_file() -> None:
    """docs/pose.md runs this exact command; keep its numbers true."""
    out = runner.invoke(app, ["gait", "pose", str(DATA / "backward_walk_generic.csv"), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["direction"] == "backward" and data["setting"] == "treadmill"
    assert data["contact_type_counts"] == {"toe_first": 12}
    assert data["trunk_lean_deg"] == pytest.approx(12.0, abs=0.5)
    assert [f["code"] for f in data["flags"]] == ["trunk_forward_lean"]
