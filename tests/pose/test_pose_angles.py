"""Angle conventions against hand-computed cases, and invariants of the whole pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.gait.pose import KeypointSeries, analyse, kinematics
from retrowalk.gait.pose.angles import foot_angle, hip_flexion, included_angle, knee_flexion, segment_angle_up
from retrowalk.gait.pose.synthetic import WalkerSpec, walk

P = np.array


def test_straight_leg_is_zero_flexion() -> None:
    assert knee_flexion(P([0.0, 1.0]), P([0.0, 0.5]), P([0.0, 0.0])) == pytest.approx(0.0)


def test_right_angle_is_90_flexion() -> None:
    # thigh horizontal forward (seated), shank straight down: 90 deg flexion
    assert knee_flexion(P([0.0, 1.0]), P([0.5, 1.0]), P([0.5, 0.5])) == pytest.approx(90.0)


def test_shank_behind_thigh_is_flexion_and_in_front_is_hyperextension() -> None:
    # thigh vertical; shank swung back by 30 deg -> 30 flexion, forward by 5 deg -> -5 (hyperextension)
    back = P([-np.sin(np.radians(30)), 0.5 - np.cos(np.radians(30))]) * 1.0
    assert knee_flexion(
        P([0.0, 1.0]), P([0.0, 0.5]), P([back[0] * 0.5, 0.5 - 0.5 * np.cos(np.radians(30))])
    ) == (pytest.approx(30.0))
    fwd = P([0.5 * np.sin(np.radians(5)), 0.5 - 0.5 * np.cos(np.radians(5))])
    assert knee_flexion(P([0.0, 1.0]), P([0.0, 0.5]), fwd) == pytest.approx(-5.0)


def test_trunk_lean_hip_and_foot_angles() -> None:
    assert segment_angle_up(P([0.0, 0.0]), P([1.0, 1.0])) == pytest.approx(45.0)
    assert segment_angle_up(P([0.0, 0.0]), P([-1.0, 1.0])) == pytest.approx(-45.0)
    # thigh vertical, trunk leaning 20 deg forward -> hip flexed 20 deg
    assert hip_flexion(P([0.0, 1.0]), P([0.0, 0.5]), np.float64(20.0)) == pytest.approx(20.0)
    # thigh 30 deg behind the body with upright trunk -> 30 deg extension (negative flexion)
    assert hip_flexion(
        P([0.0, 1.0]), P([-0.5 * np.sin(np.radians(30)), 1 - 0.5 * np.cos(np.radians(30))]), np.float64(0.0)
    ) == pytest.approx(-30.0)
    assert foot_angle(P([0.0, 0.0]), P([1.0, 1.0])) == pytest.approx(45.0)  # toe up: heel lands first
    assert foot_angle(P([0.0, 0.2]), P([1.0, 0.0])) < 0  # toe down


def test_signed_flexion_agrees_with_unsigned_included_angle() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        hip = rng.normal(size=2)
        knee = hip + P([rng.uniform(-0.3, 0.3), -0.5])
        ang = np.radians(rng.uniform(0, 120))
        thigh_dir = (knee - hip) / np.linalg.norm(knee - hip)
        c, s = np.cos(ang), np.sin(ang)
        shank_dir = P([c * thigh_dir[0] + s * thigh_dir[1], -s * thigh_dir[0] + c * thigh_dir[1]])
        ankle = knee + 0.5 * shank_dir
        assert knee_flexion(hip, knee, ankle) == pytest.approx(np.degrees(ang), abs=1e-9)
        assert 180.0 - included_angle(hip, knee, ankle) == pytest.approx(np.degrees(ang), abs=1e-6)


_BASE, _ = walk(WalkerSpec(direction="backward", fps=50, duration_s=8.0, trunk_lean_deg=6.0))
_BASE_RES = analyse(_BASE)


def _transformed(
    kp: KeypointSeries, theta_deg: float, scale: float, dx: float, dy: float, mirror: bool
) -> KeypointSeries:
    th = np.radians(theta_deg)
    rot = P([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    xy = (kp.xy @ rot.T) * scale + P([dx, dy])
    if mirror:
        xy[..., 0] = -xy[..., 0]
    return KeypointSeries(xy=xy, conf=kp.conf, fps=kp.fps)


@settings(max_examples=12, deadline=None)
@given(
    theta=st.floats(-10, 10),
    scale=st.floats(0.3, 4.0),
    dx=st.floats(-2000, 2000),
    dy=st.floats(-2000, 2000),
    mirror=st.booleans(),
)
def test_results_invariant_to_image_translation_scale_rotation_and_mirroring(
    theta: float, scale: float, dx: float, dy: float, mirror: bool
) -> None:
    res = analyse(_transformed(_BASE, theta, scale, dx, dy, mirror))
    assert res.direction == _BASE_RES.direction == "backward"
    assert res.trunk_lean_deg == pytest.approx(_BASE_RES.trunk_lean_deg, abs=0.3)
    for side in ("left", "right"):
        a, b = getattr(res, side), getattr(_BASE_RES, side)
        assert a.knee_ext_stance_deg == pytest.approx(b.knee_ext_stance_deg, abs=0.3)
        assert a.knee_flex_swing_deg == pytest.approx(b.knee_flex_swing_deg, abs=0.3)
        assert a.contact_type_counts == b.contact_type_counts
        assert a.step_length_leg == pytest.approx(b.step_length_leg, abs=0.01)


@settings(max_examples=10, deadline=None)
@given(theta=st.floats(-60, 60), scale=st.floats(0.1, 10.0))
def test_knee_angle_curve_is_invariant_to_large_in_plane_rotation(theta: float, scale: float) -> None:
    base = kinematics(_BASE).knee_flex["left"]
    turned = kinematics(_transformed(_BASE, theta, scale, 5.0, -3.0, False)).knee_flex["left"]
    ok = np.isfinite(base) & np.isfinite(turned)
    assert ok.sum() > 0.9 * base.size
    assert np.max(np.abs(base[ok] - turned[ok])) < 1e-6
