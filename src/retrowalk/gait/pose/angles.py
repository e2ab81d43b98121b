"""Sagittal-plane segment and joint angles from 2-D points (body frame: x forward, y up).

Conventions: a segment angle is measured from the vertical, positive when the distal end lies
anterior (toward the facing direction). Knee flexion = thigh angle - shank angle, so a straight
leg is 0 deg, flexion positive and hyperextension negative. Hip flexion = thigh angle + trunk lean.
"""

from __future__ import annotations

import numpy as np

from retrowalk.gait.pose.keypoints import FloatArray


def segment_angle_down(proximal: FloatArray, distal: FloatArray) -> FloatArray:
    """Angle (deg) of proximal->distal from straight down; anterior (+x) positive."""
    v = distal - proximal
    return np.degrees(np.arctan2(v[..., 0], -v[..., 1]))


def segment_angle_up(lower: FloatArray, upper: FloatArray) -> FloatArray:
    """Angle (deg) of lower->upper from straight up; leaning anterior (+x) positive."""
    v = upper - lower
    return np.degrees(np.arctan2(v[..., 0], v[..., 1]))


def knee_flexion(hip: FloatArray, knee: FloatArray, ankle: FloatArray) -> FloatArray:
    """Knee flexion (deg): 0 = straight leg, + = flexion, - = hyperextension."""
    d = segment_angle_down(hip, knee) - segment_angle_down(knee, ankle)
    return (d + 180.0) % 360.0 - 180.0


def hip_flexion(hip: FloatArray, knee: FloatArray, trunk_lean_deg: FloatArray) -> FloatArray:
    """Hip flexion (deg) of the thigh relative to the trunk; extension negative."""
    d = segment_angle_down(hip, knee) + trunk_lean_deg
    return (d + 180.0) % 360.0 - 180.0


def foot_angle(heel: FloatArray, toe: FloatArray) -> FloatArray:
    """Foot angle (deg) to the ground: toe up (heel lower) positive, toe down negative."""
    v = toe - heel
    return np.degrees(np.arctan2(v[..., 1], np.abs(v[..., 0])))


def included_angle(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Unsigned angle ABC (deg) at vertex b; 180 = collinear. Orientation-free cross-check."""
    u = a - b
    w = c - b
    cos = np.sum(u * w, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(w, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
