"""The synthetic walker's known truth is recovered: knee angles, contacts, direction, symmetry."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from retrowalk.errors import InputError
from retrowalk.gait.pose import PoseGaitResult, analyse, kinematics
from retrowalk.gait.pose.synthetic import WalkerSpec, WalkerTruth, walk

SIDES = ("left", "right")


def _truth_strides(truth: WalkerTruth, side: str, spec: WalkerSpec) -> list[tuple[float, float]]:
    """(least stance flexion, greatest swing flexion) per complete true stride."""
    out = []
    cs = truth.contacts[side]
    kf = truth.knee_flex[side]
    for c0, c1 in itertools.pairwise(cs):
        to = c0 + round(spec.stance_frac * (c1 - c0))
        out.append((float(kf[c0 : to + 1].min()), float(kf[to : c1 + 1].max())))
    return out


def _contact_accuracy(res: PoseGaitResult, truth: WalkerTruth, fps: float) -> tuple[int, int]:
    correct = total = 0
    for s in res.strides:
        frames = np.array(truth.contacts[s.side])
        i = int(np.argmin(np.abs(frames - s.start_s * fps)))
        assert abs(frames[i] - s.start_s * fps) <= 0.15 * fps, "contact far from any true contact"
        total += 1
        correct += s.contact_type == truth.contact_types[s.side][i]
    return correct, total


CASES = {
    "treadmill-forward": WalkerSpec(direction="forward"),
    "treadmill-backward": WalkerSpec(direction="backward", trunk_lean_deg=12.0),
    "overground-backward-facing-left": WalkerSpec(direction="backward", overground=True, facing_right=False),
    "overground-forward-30fps": WalkerSpec(direction="forward", overground=True, fps=30.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_clean_2d_walker(name: str) -> None:
    spec = CASES[name]
    kp, truth = walk(spec)
    res = analyse(kp)
    assert res.direction == spec.direction
    assert res.setting == ("overground" if spec.overground else "treadmill")
    assert res.facing == ("image_right" if spec.facing_right else "image_left")
    assert res.trunk_lean_deg == pytest.approx(spec.trunk_lean_deg, abs=1.0)
    assert res.cadence_spm == pytest.approx(truth.cadence_spm, rel=0.03)
    correct, total = _contact_accuracy(res, truth, spec.fps)
    assert total >= 14 and correct == total
    for side in SIDES:
        summ = getattr(res, side)
        true = np.array(_truth_strides(truth, side, spec))
        assert summ.knee_ext_stance_deg == pytest.approx(np.median(true[:, 0]), abs=3.0)
        assert summ.knee_flex_swing_deg == pytest.approx(np.median(true[:, 1]), abs=3.0)
        assert summ.step_length_leg == pytest.approx(truth.step_length_leg[side], abs=0.05)
        expected = "heel_first" if spec.direction == "forward" else "toe_first"
        assert set(summ.contact_type_counts) == {expected}
        # Zeni toe-off (foot furthest behind the pelvis) comes a little after the true one: the
        # stance share reads 1-5 points high, the same on both sides.
        assert summ.stance_pct == pytest.approx(100 * spec.stance_frac + 3.0, abs=3.0)
    frame_pct = 100 / (spec.stride_time_s * spec.fps)  # one frame of a stride, in stance points
    assert res.left.stance_pct == pytest.approx(res.right.stance_pct, abs=frame_pct + 0.5)
    k = kinematics(kp)
    for side in SIDES:
        ok = np.isfinite(k.knee_flex[side])
        rms = np.sqrt(np.mean((k.knee_flex[side][ok] - truth.knee_flex[side][ok]) ** 2))
        assert rms < 3.0


def test_projected_3d_walker_with_camera_tilt_noise_and_dropouts() -> None:
    spec = WalkerSpec(
        direction="backward",
        yaw_deg=4.0,
        pitch_deg=6.0,
        roll_deg=7.0,
        noise_px=1.0,
        dropout=0.03,
        contact_pattern=["toe_first", "toe_first", "heel_first"],
        seed=3,
    )
    kp, truth = walk(spec)
    res = analyse(kp)
    assert res.direction == "backward"
    assert res.camera_tilt_deg == pytest.approx(7.0, abs=2.0)
    assert res.trunk_lean_deg == pytest.approx(spec.trunk_lean_deg, abs=2.0)
    correct, total = _contact_accuracy(res, truth, spec.fps)
    assert total >= 14 and correct / total >= 0.95
    for side in SIDES:
        true = np.array(_truth_strides(truth, side, spec))
        summ = getattr(res, side)
        assert summ.knee_ext_stance_deg == pytest.approx(np.median(true[:, 0]), abs=3.0)
        assert summ.knee_flex_swing_deg == pytest.approx(np.median(true[:, 1]), abs=3.0)
    assert any(f.code == "heel_first_backward" for f in res.flags)


def test_asymmetric_steps_are_measured_and_flagged() -> None:
    spec = WalkerSpec(direction="backward", excursion_m=(0.20, 0.36))
    kp, truth = walk(spec)
    res = analyse(kp)
    sl, sr = truth.step_length_leg["left"], truth.step_length_leg["right"]
    true_asym = 100 * abs(sl - sr) / (0.5 * (sl + sr))
    assert res.step_length_asymmetry_pct == pytest.approx(true_asym, abs=3.0)
    flag = next(f for f in res.flags if f.code == "uneven_steps")
    assert flag.value > flag.threshold == 10.0


def test_forward_lean_and_bent_knee_are_flagged_with_values() -> None:
    kp, _ = walk(WalkerSpec(direction="backward", trunk_lean_deg=18.0, knee_min_deg=20.0))
    res = analyse(kp)
    codes = {(f.code, f.side) for f in res.flags}
    assert ("trunk_forward_lean", None) in codes
    assert ("knee_not_extending", "left") in codes and ("knee_not_extending", "right") in codes
    lean = next(f for f in res.flags if f.code == "trunk_forward_lean")
    assert lean.value == pytest.approx(18.0, abs=1.0) and lean.unit == "deg" and lean.source


def test_clean_upright_backward_walk_raises_no_flags() -> None:
    kp, _ = walk(WalkerSpec(direction="backward"))
    assert analyse(kp).flags == []


def test_long_gap_splits_the_analysis_and_short_gaps_are_bridged() -> None:
    spec = WalkerSpec(direction="backward", duration_s=16.0, long_gap_s=(7.0, 8.0), dropout=0.05, seed=5)
    kp, _truth = walk(spec)
    res = analyse(kp)
    assert len(res.segments_s) == 2
    assert res.segments_s[0][1] == pytest.approx(7.0, abs=0.05)
    assert res.segments_s[1][0] == pytest.approx(8.0, abs=0.05)
    for s in res.strides:  # no stride spans the gap
        assert s.end_s <= 7.0 or s.start_s >= 8.0
    assert res.direction == "backward"
    assert res.left.n_strides >= 8


def test_too_little_visible_data_is_an_input_error() -> None:
    spec = WalkerSpec(direction="forward", duration_s=1.5)
    kp, _ = walk(spec)
    with pytest.raises(InputError) as err:
        analyse(kp)
    assert err.value.field == "keypoints"


def test_result_json_has_the_cli_fields() -> None:
    kp, _ = walk(WalkerSpec(direction="backward", duration_s=6.0))
    data = analyse(kp).model_dump(mode="json")
    for key in (
        "trunk_lean_deg",
        "step_length_asymmetry_pct",
        "cadence_spm",
        "direction",
        "flags",
        "contact_type_counts",
    ):
        assert key in data
    for side in SIDES:
        for key in ("knee_ext_stance_deg", "knee_flex_swing_deg", "contact_type_counts", "knee_curve_deg"):
            assert key in data[side]
        assert len(data[side]["knee_curve_deg"]) == 101
