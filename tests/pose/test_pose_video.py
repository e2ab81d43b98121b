"""Video extractor end to end (needs the optional extra `retrowalk[video]`; skipped without it).

A cartoon person rendered from the synthetic walker is a clip MediaPipe detects, so the real
model runs offline here on a clip with known direction, cadence and contact type.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retrowalk.cli.main import app
from retrowalk.gait.pose.synthetic import WalkerSpec
from retrowalk.io import video

pytestmark = pytest.mark.skipif(not video.available(), reason="optional extra retrowalk[video] not installed")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "walker.mp4"
    video.render_walker_video(
        path, WalkerSpec(direction="backward", fps=30.0, duration_s=6.0), size=(1280, 720)
    )
    return path


@pytest.mark.slow
def test_extractor_finds_the_person_and_the_analysis_reads_the_walk(clip: Path, tmp_path: Path) -> None:
    png, ann, kpf = tmp_path / "s.png", tmp_path / "a.mp4", tmp_path / "k.json"
    out = CliRunner().invoke(
        app,
        [
            "gait",
            "video",
            str(clip),
            "--png",
            str(png),
            "--annotated",
            str(ann),
            "--keypoints-out",
            str(kpf),
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    ex = data["extraction"]
    assert ex["frames"] == 180 and ex["detected_frames"] >= 162 and ex["frames_per_s"] > 0
    assert data["direction"] == "backward"
    assert data["cadence_spm"] == pytest.approx(120 / 1.1, rel=0.05)
    counts = data["contact_type_counts"]
    assert counts.get("toe_first", 0) >= 0.7 * sum(counts.values()) > 0
    assert png.stat().st_size > 10_000 and ann.stat().st_size > 10_000
    again = CliRunner().invoke(app, ["gait", "pose", str(kpf), "--min-conf", "0.1", "--format", "json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["direction"] == "backward"


def test_unreadable_video_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    out = CliRunner().invoke(app, ["gait", "video", str(bad)])
    assert out.exit_code == 2
