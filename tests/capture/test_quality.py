"""Measurement-quality flags on synthetic recordings with known defects."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from retrowalk.gait import quality
from retrowalk.gait.imu.synthetic import make_walk
from retrowalk.gait.pose.synthetic import WalkerSpec, walk


def _codes(report: quality.QualityReport) -> dict[str, bool]:
    return {f.code: f.withhold for f in report.flags}


@pytest.fixture(scope="module")
def thigh_walk() -> tuple[np.ndarray, np.ndarray, float]:
    w = make_walk(placement="thigh", direction="backward", walk_s=60, fs=100, seed=3)
    t = np.arange(w.recording.n_samples) / w.recording.sampling_rate_hz
    return w.recording.acc, t, w.recording.sampling_rate_hz


def test_clean_walk_has_no_flags(thigh_walk: tuple[np.ndarray, np.ndarray, float]) -> None:
    acc, t, fs = thigh_walk
    r = quality.imu_quality(acc, fs, timestamps_s=t)
    assert r.flags == [] and r.ok and r.reason is None
    assert r.measures["achieved_rate_hz"] == pytest.approx(fs, rel=1e-3)
    assert r.measures["gaps"] == 0


def test_low_achieved_rate_withholds(thigh_walk: tuple[np.ndarray, np.ndarray, float]) -> None:
    acc, t, fs = thigh_walk
    sparse = t[:: int(fs / 15)]  # the phone delivered 15 samples/s
    r = quality.imu_quality(acc, fs, timestamps_s=sparse)
    assert _codes(r) == {"low_sampling_rate": True} and not r.ok
    assert "samples/s" in (r.reason or "")


def test_short_gap_warns_long_gap_withholds(thigh_walk: tuple[np.ndarray, np.ndarray, float]) -> None:
    acc, t, fs = thigh_walk
    small = t[(t < 20) | (t > 21.2)]  # 1.2 s of a 70 s recording: 1.7%, under the warning share
    assert _codes(quality.imu_quality(acc, fs, timestamps_s=small)) == {}
    several = t[~(((t > 10) & (t < 11)) | ((t > 30) & (t < 31)))]  # 2 s in two gaps: 2.9% → warn
    r = quality.imu_quality(acc, fs, timestamps_s=several)
    assert _codes(r) == {"gaps": False} and r.ok and r.measures["gaps"] == 2
    long = t[(t < 20) | (t > 23)]  # one 3 s gap splits a bout
    r = quality.imu_quality(acc, fs, timestamps_s=long)
    assert _codes(r) == {"gaps": True} and r.measures["longest_gap_s"] == pytest.approx(3.0, abs=0.03)


def test_clipped_impacts_are_flagged(thigh_walk: tuple[np.ndarray, np.ndarray, float]) -> None:
    acc, t, fs = thigh_walk
    ceiling = np.percentile(np.abs(acc), 99.0)
    clipped = np.clip(acc, -ceiling, ceiling)  # a sensor whose range is too small for the impacts
    r = quality.imu_quality(clipped, fs, timestamps_s=t)
    assert "clipping" in _codes(r) and r.measures["clipped_fraction"] > quality.CLIP_WARN_FRACTION


def test_sensor_turning_in_the_pocket_withholds(thigh_walk: tuple[np.ndarray, np.ndarray, float]) -> None:
    acc, t, fs = thigh_walk
    turned = acc.copy()
    half = acc.shape[0] // 2
    turned[half:] = Rotation.from_euler("x", 90, degrees=True).apply(acc[half:])
    r = quality.imu_quality(turned, fs, timestamps_s=t)
    assert _codes(r) == {"orientation_changed": True}
    assert r.measures["max_orientation_change_deg"] == pytest.approx(90, abs=25)


def test_side_on_walker_has_no_flags() -> None:
    kp, _ = walk(WalkerSpec(direction="backward", duration_s=8))
    r = quality.pose_quality(kp)
    assert r.flags == [] and r.measures["side_on_ratio"] < 0.05


@pytest.mark.parametrize(("yaw", "flagged"), [(15.0, False), (45.0, True), (70.0, True)])
def test_camera_not_side_on(yaw: float, flagged: bool) -> None:
    kp, _ = walk(WalkerSpec(duration_s=6, body_yaw_deg=yaw))
    assert ("camera_not_side_on" in _codes(quality.pose_quality(kp))) is flagged


def test_person_lost() -> None:
    kp, _ = walk(WalkerSpec(duration_s=10, long_gap_s=(3.0, 6.0)))  # out of frame for 3 s
    r = quality.pose_quality(kp)
    assert _codes(r) == {"person_lost": True} and r.measures["longest_lost_s"] == pytest.approx(3.0, abs=0.05)
    kp, _ = walk(WalkerSpec(duration_s=10, dropout=0.08, seed=2))  # flickering detections
    r = quality.pose_quality(kp)
    assert _codes(r) == {"person_lost": False} and r.ok
