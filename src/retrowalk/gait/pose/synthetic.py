"""A kinematic walker that produces keypoints with known truth (tests, benchmarks, demos).

3-D model, x forward (the way the person faces), y up, z to the person's left. Each ankle follows
a prescribed path relative to the pelvis (stance: slides opposite to travel on the ground; swing:
lifts and returns), the foot pitches so that heel or toe lands first as requested, and the knee
comes from two-link inverse kinematics, so its flexion is known exactly. A pinhole camera with
yaw, pitch and roll projects the joints to pixels; noise and dropouts can be added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from retrowalk.gait.pose.keypoints import JOINT_INDEX, JOINTS, FloatArray, KeypointSeries

THIGH = 0.45
SHANK = 0.45
HEEL = np.array([-0.06, -0.07])  # marker offsets from the ankle in the foot frame (m)
TOE = np.array([0.17, -0.07])


@dataclass(frozen=True)
class WalkerSpec:
    direction: Literal["forward", "backward"] = "forward"
    fps: float = 60.0
    duration_s: float = 12.0
    stride_time_s: float = 1.1
    stance_frac: float = 0.62
    excursion_m: tuple[float, float] = (0.30, 0.30)  # left, right: half range of ankle travel
    knee_min_deg: float = 4.0
    clearance_m: float = 0.12
    foot_contact_deg: float = 15.0
    trunk_lean_deg: float = 3.0
    contact_pattern: Sequence[str] | None = None  # per stride, cycled; default heel fwd / toe bwd
    overground: bool = False
    facing_right: bool = True
    camera_distance_m: float = 4.0
    focal_px: float = 1300.0
    image_size: tuple[int, int] = (1280, 720)
    yaw_deg: float = 0.0
    #: The walker turned about the vertical by this angle from side-on (90 = facing the camera).
    body_yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    noise_px: float = 0.0
    dropout: float = 0.0
    long_gap_s: tuple[float, float] | None = None
    seed: int = 0


@dataclass
class WalkerTruth:
    direction: str
    knee_flex: dict[str, FloatArray]
    contacts: dict[str, list[int]]
    contact_types: dict[str, list[str]]
    step_length_leg: dict[str, float]
    trunk_lean_deg: float
    cadence_spm: float
    extra: dict[str, float] = field(default_factory=dict)


def _blend(a: FloatArray | float, b: FloatArray | float, x: FloatArray) -> FloatArray:
    w = 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))
    return np.asarray(a + (b - a) * w, dtype=np.float64)


def _rot(p: FloatArray, ang: FloatArray) -> FloatArray:
    c, s = np.cos(ang), np.sin(ang)
    return np.stack([c * p[0] - s * p[1], s * p[0] + c * p[1]], axis=-1)


def _foot_angle(
    phase: FloatArray, st: float, g_ic: FloatArray, g_next: FloatArray, g_to: float
) -> FloatArray:
    """Foot pitch (rad, toe up +): landing angle -> flat -> push-off angle -> next landing angle."""
    out = np.zeros_like(phase)
    m = phase < 0.12
    out[m] = _blend(g_ic[m], 0.0, phase[m] / 0.12)
    m = (phase >= st - 0.15) & (phase < st)
    out[m] = _blend(0.0, g_to, (phase[m] - (st - 0.15)) / 0.15)
    m = phase >= st
    out[m] = _blend(g_to, g_next[m], (phase[m] - st) / (1 - st))
    return out


def walk(spec: WalkerSpec) -> tuple[KeypointSeries, WalkerTruth]:
    """Generate keypoints and the truth they encode."""
    rng = np.random.default_rng(spec.seed)
    n = round(spec.duration_s * spec.fps)
    t = np.arange(n) / spec.fps
    d = 1.0 if spec.direction == "forward" else -1.0
    st, period = spec.stance_frac, spec.stride_time_s
    pattern = list(spec.contact_pattern or (["heel_first"] if d > 0 else ["toe_first"]))
    g_land = np.radians(spec.foot_contact_deg)
    g_to = np.radians(-25.0 if d > 0 else 10.0)
    offsets = {"left": 0.0, "right": 0.5}
    a_side = {"left": spec.excursion_m[0], "right": spec.excursion_m[1]}
    lean = np.radians(spec.trunk_lean_deg)
    speed = d * 2 * float(np.mean(spec.excursion_m)) / (st * period) if spec.overground else 0.0
    pelvis_x = speed * t

    anc: dict[str, FloatArray] = {}
    heel: dict[str, FloatArray] = {}
    toe: dict[str, FloatArray] = {}
    contacts: dict[str, list[int]] = {}
    ctypes: dict[str, list[str]] = {}
    for side, off in offsets.items():
        cyc = t / period + off
        k = np.floor(cyc).astype(int)
        ph = cyc - k
        sgn = np.array(
            [1.0 if pattern[i % len(pattern)] == "heel_first" else -1.0 for i in range(k.max() + 2)]
        )
        g_ic = g_land * sgn[k]
        g_next = g_land * sgn[k + 1]
        gamma = _foot_angle(ph, st, g_ic, g_next, g_to)
        a = a_side[side]
        u = np.where(ph < st, a - 2 * a * ph / st, _blend(-a, a, (ph - st) / (1 - st)))
        h = np.where(ph < st, 0.0, spec.clearance_m * np.sin(np.pi * np.clip((ph - st) / (1 - st), 0, 1)))
        hr, tr = _rot(HEEL, gamma), _rot(TOE, gamma)
        ank_y = h - np.minimum(hr[:, 1], tr[:, 1])
        ank = np.stack([pelvis_x + d * u, ank_y], axis=1)
        anc[side], heel[side], toe[side] = ank, ank + hr, ank + tr
        idx = [int(i) for i in np.flatnonzero(np.diff(k) > 0) + 1]
        contacts[side] = idx
        ctypes[side] = [pattern[int(k[i]) % len(pattern)] for i in idx]

    # Pelvis height: the stance leg(s) follow a smooth knee profile (knee_min at contact and
    # toe-off, a mid-stance bump), the lower requirement wins in double support.
    def reach(knee_deg: FloatArray) -> FloatArray:
        return np.sqrt(THIGH**2 + SHANK**2 + 2 * THIGH * SHANK * np.cos(np.radians(knee_deg)))

    bump = 10.0 if d > 0 else 6.0
    hip_req = np.full(n, np.inf)
    for side, off in offsets.items():
        ph = (t / period + off) % 1.0
        stance = ph < st
        k_st = spec.knee_min_deg + bump * np.sin(np.pi * np.clip(ph / st, 0, 1)) ** 2
        dx = anc[side][:, 0] - pelvis_x
        need = anc[side][:, 1] + np.sqrt(np.clip(reach(k_st) ** 2 - dx**2, 0, None))
        hip_req = np.where(stance, np.minimum(hip_req, need), hip_req)
    hip_h = hip_req
    pts3: dict[str, FloatArray] = {}
    knee_truth: dict[str, FloatArray] = {}
    for side in offsets:
        z = 0.1 if side == "left" else -0.1
        hip = np.stack([pelvis_x, hip_h], axis=1)
        w = anc[side] - hip
        dist = np.linalg.norm(w, axis=1)
        beta = np.arccos(np.clip((THIGH**2 + dist**2 - SHANK**2) / (2 * THIGH * dist), -1, 1))
        unit = w / dist[:, None]
        knee = hip + THIGH * _rot(unit.T, beta)
        knee_truth[side] = 180.0 - np.degrees(
            np.arccos(np.clip((THIGH**2 + SHANK**2 - dist**2) / (2 * THIGH * SHANK), -1, 1))
        )
        for name, p in (
            ("hip", hip),
            ("knee", knee),
            ("ankle", anc[side]),
            ("heel", heel[side]),
            ("toe", toe[side]),
        ):
            pts3[f"{side}_{name}"] = np.column_stack([p, np.full(n, z)])
    sh = np.stack([pelvis_x + 0.5 * np.sin(lean), hip_h + 0.5 * np.cos(lean)], axis=1)
    pts3["left_shoulder"] = np.column_stack([sh, np.full(n, 0.18)])
    pts3["right_shoulder"] = np.column_stack([sh, np.full(n, -0.18)])
    nose = sh + 0.25 * np.array([np.sin(lean), np.cos(lean)]) + 0.1 * np.array([np.cos(lean), -np.sin(lean)])
    pts3["nose"] = np.column_stack([nose, np.zeros(n)])

    xy = _project(pts3, spec, float(np.mean(pelvis_x)), float(np.mean(hip_h)))
    conf = np.ones((n, len(JOINTS)))
    if spec.noise_px > 0:
        xy = xy + rng.normal(0.0, spec.noise_px, xy.shape)
    if spec.dropout > 0:
        conf[rng.random(conf.shape) < spec.dropout] = 0.0
    if spec.long_gap_s is not None:
        a0, b0 = (round(v * spec.fps) for v in spec.long_gap_s)
        conf[a0:b0] = 0.0
    xy[conf == 0] = np.nan

    step: dict[str, float] = {}
    for side in offsets:
        other = "right" if side == "left" else "left"
        mid = {s: 0.5 * (heel[s][:, 0] + toe[s][:, 0]) for s in offsets}
        vals = [d * (mid[side][i] - mid[other][i]) / (THIGH + SHANK) for i in contacts[side]]
        step[side] = float(np.mean(vals)) if vals else float("nan")
    truth = WalkerTruth(
        direction=spec.direction,
        knee_flex=knee_truth,
        contacts=contacts,
        contact_types=ctypes,
        step_length_leg=step,
        trunk_lean_deg=spec.trunk_lean_deg,
        cadence_spm=120.0 / period,
    )
    kp = KeypointSeries(xy=xy, conf=conf, fps=spec.fps, source="synthetic", image_size=spec.image_size)
    return kp, truth


def _project(pts3: dict[str, FloatArray], spec: WalkerSpec, x_mid: float, hip_h: float) -> FloatArray:
    """Pinhole camera beside the walker at hip height, looking at the middle of the path."""
    side = 1.0 if spec.facing_right else -1.0
    # world -> camera base: x_cam = side * X, y_cam = -Y, z_cam = -side * Z (looks across the walker)
    base = np.array([[side, 0, 0], [0, -1, 0], [0, 0, -side]], dtype=float)
    yw, pt, rl = np.radians([spec.yaw_deg, spec.pitch_deg, spec.roll_deg])
    ry = np.array([[np.cos(yw), 0, np.sin(yw)], [0, 1, 0], [-np.sin(yw), 0, np.cos(yw)]])
    rx = np.array([[1, 0, 0], [0, np.cos(pt), -np.sin(pt)], [0, np.sin(pt), np.cos(pt)]])
    rz = np.array([[np.cos(rl), -np.sin(rl), 0], [np.sin(rl), np.cos(rl), 0], [0, 0, 1]])
    rot = rz @ rx @ ry @ base
    cam = np.array([x_mid, hip_h, side * spec.camera_distance_m])
    w, h = spec.image_size
    n = next(iter(pts3.values())).shape[0]
    xy = np.full((n, len(JOINTS), 2), np.nan)
    by = np.radians(spec.body_yaw_deg)
    turn = np.array([[np.cos(by), 0, np.sin(by)], [0, 1, 0], [-np.sin(by), 0, np.cos(by)]])
    centre = np.array([x_mid, hip_h, 0.0])
    for name, p in pts3.items():
        c = ((p - centre) @ turn.T + centre - cam) @ rot.T
        xy[:, JOINT_INDEX[name], 0] = spec.focal_px * c[:, 0] / c[:, 2] + w / 2
        xy[:, JOINT_INDEX[name], 1] = spec.focal_px * c[:, 1] / c[:, 2] + h / 2
    return xy
