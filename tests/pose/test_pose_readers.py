"""Each keypoint format reads correctly (small shipped samples) and round-trips a full walk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pose_formats as pf
import pytest

from retrowalk.errors import InputError
from retrowalk.gait.pose import JOINTS, KeypointSeries, analyse
from retrowalk.gait.pose.synthetic import WalkerSpec, walk
from retrowalk.io.pose import MEDIAPIPE_33, canonical, read_keypoints

DATA = Path(__file__).resolve().parents[1] / "data" / "pose"
J = {n: i for i, n in enumerate(JOINTS)}


def test_canonical_names() -> None:
    assert canonical("LBigToe") == "left_toe"
    assert canonical("left_foot_index") == "left_toe"
    assert canonical("R_Knee") == "right_knee"
    assert canonical("RHeel") == "right_heel"
    assert canonical("left_wrist") is None


def test_mediapipe_json_sample() -> None:
    kp = read_keypoints(DATA / "mediapipe_small.json")
    assert kp.n_frames == 5 and kp.fps == 30 and kp.image_size == (1280, 720)
    assert np.isnan(kp.xy[2]).all() and (kp.conf[2] == 0).all()  # frame with no person
    assert 0 < kp.xy[0, J["left_knee"], 0] < 1280  # normalised coordinates scaled to pixels
    assert kp.has("left_heel") and kp.has("right_toe")


def test_mediapipe_csv_sample_needs_fps_from_time_column() -> None:
    kp = read_keypoints(DATA / "mediapipe_small.csv")
    assert kp.fps == pytest.approx(30.0, rel=1e-3)
    assert kp.has("left_toe") and kp.conf[0, J["left_toe"]] == pytest.approx(1.0)


def test_generic_csv_sample_and_fps_override() -> None:
    kp = read_keypoints(DATA / "generic_small.csv", fps=25)
    assert kp.fps == 25
    assert any("overrides" in w for w in kp.warnings)


def test_openpose_directory_picks_the_most_confident_person_and_keeps_empty_frames() -> None:
    kp = read_keypoints(DATA / "openpose_body25", fps=30)
    assert kp.n_frames == 5 and kp.source == "openpose_body25"
    ref = read_keypoints(DATA / "generic_small.csv")
    np.testing.assert_allclose(kp.xy[1, J["left_knee"]], ref.xy[1, J["left_knee"]], atol=0.01)
    assert np.isnan(kp.xy[3]).all()
    assert kp.has("left_heel") and kp.has("right_toe")


def test_openpose_needs_fps() -> None:
    with pytest.raises(InputError) as err:
        read_keypoints(DATA / "openpose_body25")
    assert err.value.field == "fps"


def test_coco17_npy_has_no_feet() -> None:
    kp = read_keypoints(DATA / "coco17_small.npy", fps=30)
    assert kp.source == "array:coco17"
    assert kp.has("left_ankle") and not kp.has("left_heel") and not kp.has("left_toe")


def test_rtmlib_halpe26_and_mmpose_json() -> None:
    halpe = read_keypoints(DATA / "rtmlib_halpe26_small.json")
    assert halpe.source == "array:halpe26" and halpe.has("left_heel") and halpe.has("right_toe")
    mm = read_keypoints(DATA / "mmpose_coco17_small.json")
    assert mm.source == "mmpose:coco17" and mm.n_frames == 5
    np.testing.assert_allclose(halpe.xy[:, J["left_knee"]], mm.xy[:, J["left_knee"]])


@pytest.mark.parametrize(
    ("name", "field"),
    [("bad_openpose_length.json", "pose_keypoints_2d"), ("bad_missing_knee.csv", "left_knee_x")],
)
def test_bad_files_name_the_field(name: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        read_keypoints(DATA / name, fps=30)
    assert field in err.value.field


def test_other_bad_inputs(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(InputError, match="unsupported"):
        read_keypoints(tmp_path / "x.txt")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        read_keypoints(tmp_path / "broken.json")
    (tmp_path / "mp.json").write_text('{"fps": 30, "frames": [{"landmarks": [{"x": 0.1, "y": 0.2}]}]}')
    with pytest.raises(InputError) as err:
        read_keypoints(tmp_path / "mp.json")
    assert err.value.field == "frames[0].landmarks"
    np.save(tmp_path / "odd.npy", np.zeros((3, 11, 3)))
    with pytest.raises(InputError, match="no known skeleton"):
        read_keypoints(tmp_path / "odd.npy", fps=30)
    with pytest.raises(InputError) as err:
        read_keypoints(tmp_path / "missing.json")
    assert err.value.field == "file"
    (tmp_path / "nan.csv").write_text(
        "left_hip_x,left_hip_y,right_hip_x,right_hip_y,left_knee_x,left_knee_y,"
        "right_knee_x,right_knee_y,left_ankle_x,left_ankle_y,right_ankle_x,"
        "right_ankle_y\n1,2,3,4,5,6,7,8,9,10,11,abc\n"
    )
    with pytest.raises(InputError) as err:
        read_keypoints(tmp_path / "nan.csv", fps=30)
    assert err.value.field.startswith("right_ankle_y")


WRITERS: dict[str, Callable[[KeypointSeries, Path], Path]] = {
    "mediapipe.json": pf.write_mediapipe_json,
    "generic.csv": pf.write_csv,
    "mediapipe.csv": lambda kp, p: pf.write_csv(kp, p, names=MEDIAPIPE_33, conf_suffix="visibility"),
    "openpose": pf.write_openpose_dir,
    "halpe26.json": pf.write_rtmlib_json,
    "coco17.npy": pf.write_npy,
    "mmpose.json": pf.write_mmpose_json,
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_full_walk_round_trips_through_each_format(fmt: str, tmp_path: Path) -> None:
    kp, _ = walk(WalkerSpec(direction="backward", fps=30.0, duration_s=8.0, dropout=0.02, seed=2))
    direct = analyse(kp)
    path = WRITERS[fmt](kp, tmp_path / fmt)
    read = read_keypoints(path, fps=30.0)
    res = analyse(read)
    assert res.direction == "backward"
    for side in ("left", "right"):
        a, b = getattr(res, side), getattr(direct, side)
        assert a.knee_ext_stance_deg == pytest.approx(b.knee_ext_stance_deg, abs=0.5)
        assert a.knee_flex_swing_deg == pytest.approx(b.knee_flex_swing_deg, abs=0.5)
        if "coco17" in fmt or "mmpose" in fmt:
            assert a.contact_type_counts.keys() == {"unknown"}
        else:
            assert a.contact_type_counts == {"toe_first": b.contact_type_counts["toe_first"]}
