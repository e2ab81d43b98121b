"""Keypoints -> sagittal gait kinematics, events, per-stride metrics and coaching flags.

The camera is assumed to film from the side. Everything is computed in a body frame: the image
is de-rotated so the ground (fitted through the lowest foot points) is horizontal, y points up
and x points the way the person faces. Walking direction is the direction the pelvis travels
over the stance foot, so it works on a treadmill (pelvis still, belt moves) and overground alike.
"""

from __future__ import annotations

import itertools
import warnings as _pywarnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from retrowalk.errors import DataFileError, InputError
from retrowalk.gait.peaks import find_peaks
from retrowalk.gait.pose import angles
from retrowalk.gait.pose.keypoints import JOINT_INDEX, JOINTS, FloatArray, KeypointSeries
from retrowalk.gait.pose.models import (
    ContactType,
    Direction,
    Flag,
    PoseGaitResult,
    Setting,
    Side,
    SideSummary,
    StrideMetrics,
)
from retrowalk.gait.pose.signal import fill_short_gaps, lowpass, mask_low_confidence, valid_segments

SIDES = ("left", "right")
LEG_JOINTS = tuple(f"{s}_{j}" for s in SIDES for j in ("hip", "knee", "ankle"))
FLAT_FOOT_DEG = 5.0
# A person cannot move their pelvis half a leg length between two frames (fast walking moves it
# about 0.05 leg lengths per frame at 30 fps) nor change size by 30 % from one frame to the next:
# such a jump is a different person (a phantom detection or someone re-entering), so the
# analysis is cut there. Segments of another size than the walker's main one are dropped.
MAX_JUMP_LEG = 0.5
MAX_SCALE_STEP = 1.3
MAX_SCALE_DIFF = 1.3
# Overground the pelvis travels with the walker (about 1.4 leg lengths/s at 1.2 m/s); on a
# treadmill it stays put. Net pelvis travel below this speed means treadmill.
TREADMILL_MAX_LEG_S = 0.15


@dataclass(frozen=True)
class Options:
    min_conf: float = 0.3
    max_gap_s: float = 0.25
    cutoff_hz: float = 6.0
    min_segment_s: float = 2.0


@lru_cache(maxsize=1)
def load_thresholds() -> dict[str, dict[str, Any]]:
    """Coaching-flag thresholds with rationale and source (packaged YAML)."""
    text = resources.files("retrowalk.gait.pose").joinpath("thresholds.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    need = {
        "trunk_lean_forward_deg",
        "step_length_asymmetry_pct",
        "heel_first_backward_pct",
        "knee_extension_stance_deg",
    }
    if not isinstance(data, dict) or not need <= data.keys():
        raise DataFileError(f"pose thresholds.yaml must define {sorted(need)}")
    for key in need:
        if not isinstance(data[key].get("value"), int | float):
            raise DataFileError(f"pose thresholds.yaml: {key}.value must be a number")
    return data


@dataclass
class Events:
    contacts: list[int] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)  # furthest-ahead frame of each contact
    toe_offs: list[int] = field(default_factory=list)


@dataclass
class Kinematics:
    """Per-frame body-frame signals; NaN outside analysed segments."""

    fps: float
    body: FloatArray  # (T, J, 2) x forward (facing), y up, after tilt removal
    knee_flex: dict[str, FloatArray]
    hip_flex: dict[str, FloatArray]
    trunk_lean: FloatArray
    segments: list[tuple[int, int]]
    facing_sign: int  # +1: faces image right
    tilt_deg: float
    leg_length: float
    travel_sign: int  # +1 forward (toward facing), -1 backward, 0 unknown
    events: dict[str, Events]
    ground_y: float
    warnings: list[str]


def _j(xy: FloatArray, name: str) -> FloatArray:
    return xy[:, JOINT_INDEX[name], :]


def _nanmedian(a: FloatArray) -> float:
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else float("nan")


def _facing_sign(xy: FloatArray, warnings: list[str]) -> int:
    """+1 if the person faces image right: toes lie ahead of heels, else the nose ahead of shoulders."""
    votes = []
    for s in SIDES:
        d = _j(xy, f"{s}_toe")[:, 0] - _j(xy, f"{s}_heel")[:, 0]
        votes.append(d[np.isfinite(d)])
    foot = np.concatenate(votes)
    if foot.size >= 10:
        return 1 if np.median(foot) >= 0 else -1
    sh = np.nanmean(np.stack([_j(xy, "left_shoulder")[:, 0], _j(xy, "right_shoulder")[:, 0]]), axis=0)
    d = _j(xy, "nose")[:, 0] - sh
    d = d[np.isfinite(d)]
    if d.size >= 10:
        return 1 if np.median(d) >= 0 else -1
    warnings.append("facing direction unknown (no heel/toe or nose points); assumed facing image right")
    return 1


def _foot_points(xy: FloatArray, side: str) -> FloatArray:
    """(T, k, 2) points that touch the ground: heel and toe if present, else the ankle."""
    pts = np.stack([_j(xy, f"{side}_heel"), _j(xy, f"{side}_toe")], axis=1)
    if np.isfinite(pts).sum() < 0.5 * pts.size:
        return _j(xy, f"{side}_ankle")[:, None, :]
    return pts


def _ground_tilt(xy: FloatArray, leg_px: float, notes: list[str]) -> float:
    """Camera roll (rad): slope of a line through the lowest foot point of each frame (y down).

    Refined twice in the de-rotated frame, so "lowest" means lowest relative to the ground and the
    estimate follows any rotation of the image exactly.
    """
    pts = np.concatenate([_foot_points(xy, s) for s in SIDES], axis=1)
    tilt = 0.0
    for _ in range(3):
        c, s = np.cos(-tilt), np.sin(-tilt)
        rx = c * pts[..., 0] - s * pts[..., 1]
        ry = s * pts[..., 0] + c * pts[..., 1]
        y = np.where(np.isfinite(ry), ry, -np.inf)
        k = np.argmax(y, axis=1)  # lowest point in the (de-rotated) image
        rows = np.arange(pts.shape[0])
        low = np.stack([rx[rows, k], ry[rows, k]], axis=1)
        low = low[np.all(np.isfinite(low), axis=1)]
        if low.shape[0] < 10 or np.ptp(low[:, 0]) < 0.3 * leg_px:
            return tilt
        keep = np.ones(low.shape[0], dtype=bool)
        slope = 0.0
        for _ in range(3):
            slope, icpt = np.polyfit(low[keep, 0], low[keep, 1], 1)
            resid = low[:, 1] - (slope * low[:, 0] + icpt)
            keep = resid >= np.quantile(resid, 0.4)  # stance points lie lowest (largest y)
        tilt += float(np.arctan(slope))
    if abs(np.degrees(tilt)) > 20.0:
        notes.append(f"fitted ground tilt {np.degrees(tilt):.1f} deg is implausible; not corrected")
        return 0.0
    return tilt


def _to_body(xy: FloatArray, tilt: float, facing: int) -> FloatArray:
    """Rotate by -tilt about the origin, flip y up, mirror x so the person faces +x."""
    c, s = np.cos(-tilt), np.sin(-tilt)
    x = c * xy[..., 0] - s * xy[..., 1]
    y = s * xy[..., 0] + c * xy[..., 1]
    return np.stack([facing * x, -y], axis=-1)


def kinematics(kp: KeypointSeries, opts: Options | None = None) -> Kinematics:
    """Clean, segment, smooth and express the keypoints as sagittal angles in the body frame."""
    with _pywarnings.catch_warnings():
        _pywarnings.simplefilter("ignore", RuntimeWarning)
        return _kinematics(kp, opts)


def _kinematics(kp: KeypointSeries, opts: Options | None) -> Kinematics:
    opts = opts or Options()
    warnings = list(kp.warnings)
    fps = kp.fps
    xy = mask_low_confidence(kp.xy, kp.conf, opts.min_conf)
    xy = fill_short_gaps(xy, max(1, round(opts.max_gap_s * fps)))
    leg_idx = [JOINT_INDEX[n] for n in LEG_JOINTS]
    valid = np.all(np.isfinite(xy[:, leg_idx, :]), axis=(1, 2))
    sh = xy[:, [JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]], :]
    valid &= np.any(np.all(np.isfinite(sh), axis=2), axis=1)
    valid &= ~_identity_jumps(xy)
    segments = _same_person(xy, valid_segments(valid, max(2, round(opts.min_segment_s * fps))), warnings)
    if not segments:
        raise InputError(
            "keypoints",
            f"no stretch of {opts.min_segment_s:g} s or more with hips, knees, ankles and a shoulder seen",
            hint="film the whole body from the side; lower --min-conf if the detector is unsure",
        )
    smooth = np.full_like(xy, np.nan)
    for a, b in segments:
        seg = xy[a:b].reshape(b - a, -1)
        ok = np.all(np.isfinite(seg), axis=0)
        out = seg.copy()
        out[:, ok] = lowpass(seg[:, ok], fps, opts.cutoff_hz)
        smooth[a:b] = out.reshape(b - a, len(JOINTS), 2)
    leg = {
        s: np.linalg.norm(_j(smooth, f"{s}_knee") - _j(smooth, f"{s}_hip"), axis=1)
        + np.linalg.norm(_j(smooth, f"{s}_ankle") - _j(smooth, f"{s}_knee"), axis=1)
        for s in SIDES
    }
    leg_px = float(np.nanmedian(np.concatenate([leg["left"], leg["right"]])))
    facing = _facing_sign(smooth, warnings)
    tilt = _ground_tilt(smooth, leg_px, warnings)
    body = _to_body(smooth, tilt, facing)

    hip_mid = np.nanmean(np.stack([_j(body, "left_hip"), _j(body, "right_hip")]), axis=0)
    with np.errstate(invalid="ignore"):
        sh_mid = np.nanmean(np.stack([_j(body, "left_shoulder"), _j(body, "right_shoulder")]), axis=0)
    trunk = angles.segment_angle_up(hip_mid, sh_mid)
    knee = {
        s: angles.knee_flexion(_j(body, f"{s}_hip"), _j(body, f"{s}_knee"), _j(body, f"{s}_ankle"))
        for s in SIDES
    }
    hip = {s: angles.hip_flexion(_j(body, f"{s}_hip"), _j(body, f"{s}_knee"), trunk) for s in SIDES}

    feet = {s: _foot_points(body, s) for s in SIDES}
    foot_low = {
        s: np.nanmin(feet[s][..., 1], axis=1)
        if np.isfinite(feet[s]).any()
        else np.full(body.shape[0], np.nan)
        for s in SIDES
    }
    ground = float(np.nanpercentile(np.concatenate([foot_low["left"], foot_low["right"]]), 2))
    rel = {s: np.nanmean(feet[s][..., 0], axis=1) - hip_mid[:, 0] for s in SIDES}

    travel = _travel_sign(rel, foot_low, segments, fps, leg_px)
    events = {s: Events() for s in SIDES}
    if travel != 0:
        for s in SIDES:
            for a, b in segments:
                ev = _events(travel * rel[s][a:b], foot_low[s][a:b] - ground, fps, leg_px)
                events[s].contacts.extend(i + a for i in ev.contacts)
                events[s].peaks.extend(i + a for i in ev.peaks)
                events[s].toe_offs.extend(i + a for i in ev.toe_offs)
    return Kinematics(
        fps=fps,
        body=body,
        knee_flex=knee,
        hip_flex=hip,
        trunk_lean=trunk,
        segments=segments,
        facing_sign=facing,
        tilt_deg=float(np.degrees(tilt)),
        leg_length=leg_px,
        travel_sign=travel,
        events=events,
        ground_y=ground,
        warnings=warnings,
    )


def _hip_and_leg(xy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-frame pelvis centre (T, 2) and leg length (hip-knee-ankle path, mean of both sides)."""
    hip = np.nanmean(np.stack([_j(xy, "left_hip"), _j(xy, "right_hip")]), axis=0)
    leg = np.nanmean(
        np.stack(
            [
                np.linalg.norm(_j(xy, f"{s}_knee") - _j(xy, f"{s}_hip"), axis=1)
                + np.linalg.norm(_j(xy, f"{s}_ankle") - _j(xy, f"{s}_knee"), axis=1)
                for s in SIDES
            ]
        ),
        axis=0,
    )
    return hip, leg


def _identity_jumps(xy: FloatArray) -> np.ndarray:
    """Frames where the pelvis jumps or the body changes size too fast to be the same person."""
    hip, leg = _hip_and_leg(xy)
    jump = np.zeros(xy.shape[0], dtype=bool)
    if xy.shape[0] < 2:
        return jump
    step = np.linalg.norm(np.diff(hip, axis=0), axis=1)
    ref = np.fmin(leg[1:], leg[:-1])
    ratio = np.fmax(leg[1:], leg[:-1]) / ref
    with np.errstate(invalid="ignore"):
        jump[1:] = (step > MAX_JUMP_LEG * ref) | (ratio > MAX_SCALE_STEP)
    return jump


def _same_person(
    xy: FloatArray, segments: list[tuple[int, int]], warnings: list[str]
) -> list[tuple[int, int]]:
    """Keep the segments whose body size matches the longest one (the walker)."""
    if len(segments) < 2:
        return segments
    _, leg = _hip_and_leg(xy)
    size = [_nanmedian(leg[a:b]) for a, b in segments]
    main = size[int(np.argmax([b - a for a, b in segments]))]
    kept = [
        seg for seg, sz in zip(segments, size, strict=True) if max(sz, main) / min(sz, main) <= MAX_SCALE_DIFF
    ]
    if len(kept) < len(segments):
        warnings.append(
            f"{len(segments) - len(kept)} segment(s) of a differently sized person left out (not the walker)"
        )
    return kept


def _travel_sign(
    rel: dict[str, FloatArray],
    low: dict[str, FloatArray],
    segments: list[tuple[int, int]],
    fps: float,
    leg_px: float,
) -> int:
    """The stance (lower) foot slides opposite to travel relative to the pelvis, on belt or floor."""
    v_stance: list[FloatArray] = []
    for a, b in segments:
        vl = np.gradient(rel["left"][a:b]) * fps
        vr = np.gradient(rel["right"][a:b]) * fps
        left_lower = low["left"][a:b] <= low["right"][a:b]
        v_stance.append(np.where(left_lower, vl, vr))
    v = np.concatenate(v_stance)
    med = _nanmedian(v)
    if not np.isfinite(med) or abs(med) < 0.05 * leg_px:
        return 0
    return -1 if med > 0 else 1


def _events(ahead: FloatArray, height: FloatArray, fps: float, leg_px: float) -> Events:
    """Contacts where the foot is furthest ahead in the travel direction, toe-offs furthest behind
    (Zeni et al. 2008, relative to the pelvis); each contact is moved to the first frame the foot's
    lowest point reaches the ground, so the foot angle there tells which end landed first."""
    dist = max(1, int(0.4 * fps))
    prom = 0.1 * leg_px
    ic = find_peaks(ahead, distance=dist, prominence=prom)
    to = find_peaks(-ahead, distance=dist, prominence=prom)
    tol = 0.04 * leg_px
    refined: list[int] = []
    if np.isfinite(height).any():
        for i in ic:
            lo = max(1, i - int(0.2 * fps))
            hi = min(len(height) - 1, i + int(0.1 * fps))
            win = height[lo : hi + 1]
            touch = np.flatnonzero((win[1:] <= tol) & (win[:-1] > tol))
            refined.append(int(lo + 1 + touch[0]) if touch.size else int(i))
    else:
        refined = [int(i) for i in ic]
    return Events(contacts=refined, peaks=[int(i) for i in ic], toe_offs=[int(t) for t in to])


def _contact_type(k: Kinematics, side: str, i: int) -> tuple[ContactType, float | None]:
    heel = _j(k.body, f"{side}_heel")
    toe = _j(k.body, f"{side}_toe")
    frames = [f for f in (i - 1, i) if 0 <= f < k.body.shape[0]]
    fa = angles.foot_angle(heel[frames], toe[frames])
    fa = fa[np.isfinite(fa)]
    if fa.size == 0:
        return "unknown", None
    val = float(np.mean(fa))
    if val > FLAT_FOOT_DEG:
        return "heel_first", val
    if val < -FLAT_FOOT_DEG:
        return "toe_first", val
    return "flat", val


def _strides(k: Kinematics) -> list[StrideMetrics]:
    out: list[StrideMetrics] = []
    fps = k.fps
    seg_of = np.full(k.body.shape[0], -1)
    for n, (a, b) in enumerate(k.segments):
        seg_of[a:b] = n
    feet_x = {s: np.nanmean(_foot_points(k.body, s)[..., 0], axis=1) for s in SIDES}
    for side in SIDES:
        other = "right" if side == "left" else "left"
        ev = k.events[side]
        order = np.argsort(ev.contacts)
        cs = [ev.contacts[i] for i in order]
        peak_of = {ev.contacts[i]: ev.peaks[i] for i in order}
        tos = np.array(sorted(ev.toe_offs), dtype=int)
        for c0, c1 in itertools.pairwise(cs):
            if seg_of[c0] != seg_of[c1] or seg_of[c0] < 0 or (c1 - c0) > 2.5 * fps:
                continue
            inside = tos[(tos > c0) & (tos < c1)]
            if inside.size == 0:
                continue
            t_off = int(inside[0])
            kf = k.knee_flex[side]
            hf = k.hip_flex[side]
            ctype, fa = _contact_type(k, side, c0)
            pk = peak_of[c0]  # feet furthest apart: the step length
            step = k.travel_sign * (feet_x[side][pk] - feet_x[other][pk]) / k.leg_length
            out.append(
                StrideMetrics(
                    side=side,
                    start_s=c0 / fps,
                    end_s=c1 / fps,
                    toe_off_s=t_off / fps,
                    stance_pct=100.0 * (t_off - c0) / (c1 - c0),
                    contact_type=ctype,
                    foot_angle_at_contact_deg=fa,
                    knee_ext_stance_deg=float(np.nanmin(kf[c0 : t_off + 1])),
                    knee_flex_swing_deg=float(np.nanmax(kf[t_off : c1 + 1])),
                    hip_flex_max_deg=float(np.nanmax(hf[c0 : c1 + 1])),
                    hip_ext_max_deg=float(-np.nanmin(hf[c0 : c1 + 1])),
                    step_length_leg=float(step) if np.isfinite(step) else None,
                )
            )
    out.sort(key=lambda s: s.start_s)
    return out


def _median(vals: list[float | None]) -> float | None:
    arr = np.array([v for v in vals if v is not None and np.isfinite(v)], dtype=float)
    return float(np.median(arr)) if arr.size else None


def _side_summary(k: Kinematics, side: str, strides: list[StrideMetrics]) -> SideSummary:
    mine = [s for s in strides if s.side == side]
    counts: dict[str, int] = {}
    for s in mine:
        counts[s.contact_type] = counts.get(s.contact_type, 0) + 1
    curve: list[float] = []
    if mine:
        grid = np.linspace(0.0, 1.0, 101)
        curves = []
        for s in mine:
            a, b = round(s.start_s * k.fps), round(s.end_s * k.fps)
            seg = k.knee_flex[side][a : b + 1]
            curves.append(np.interp(grid, np.linspace(0.0, 1.0, seg.size), seg))
        curve = [round(float(v), 2) for v in np.nanmean(np.stack(curves), axis=0)]
    return SideSummary(
        side=side,
        n_strides=len(mine),
        knee_ext_stance_deg=_median([s.knee_ext_stance_deg for s in mine]),
        knee_flex_swing_deg=_median([s.knee_flex_swing_deg for s in mine]),
        hip_flex_max_deg=_median([s.hip_flex_max_deg for s in mine]),
        hip_ext_max_deg=_median([s.hip_ext_max_deg for s in mine]),
        stride_time_s=_median([s.end_s - s.start_s for s in mine]),
        stance_pct=_median([s.stance_pct for s in mine]),
        step_length_leg=_median([s.step_length_leg for s in mine]),
        contact_type_counts=counts,
        knee_curve_deg=curve,
    )


def _flags(res: PoseGaitResult) -> list[Flag]:
    th = load_thresholds()
    flags: list[Flag] = []

    def flag(key: str, code: str, value: float, message: str, side: Side | None = None) -> None:
        flags.append(
            Flag(
                code=code,
                side=side,
                value=round(value, 1),
                threshold=float(th[key]["value"]),
                unit=str(th[key]["unit"]),
                source=str(th[key]["source"]),
                message=message,
            )
        )

    def limit(key: str) -> float:
        return float(th[key]["value"])

    if res.trunk_lean_deg is not None and res.trunk_lean_deg > limit("trunk_lean_forward_deg"):
        flag(
            "trunk_lean_forward_deg",
            "trunk_forward_lean",
            res.trunk_lean_deg,
            "Trunk leans forward: keep the core engaged and the trunk upright.",
        )
    asym = res.step_length_asymmetry_pct
    if asym is not None and asym > limit("step_length_asymmetry_pct"):
        flag(
            "step_length_asymmetry_pct",
            "uneven_steps",
            asym,
            "Uneven step lengths: aim for even steps on both sides.",
        )
    if res.direction == "backward":
        for summ in (res.left, res.right):
            known = sum(v for c, v in summ.contact_type_counts.items() if c != "unknown")
            heel = summ.contact_type_counts.get("heel_first", 0)
            if known and 100.0 * heel / known > limit("heel_first_backward_pct"):
                flag(
                    "heel_first_backward_pct",
                    "heel_first_backward",
                    100.0 * heel / known,
                    "Heel lands first walking backward: reach back and land on the toes.",
                    summ.side,
                )
    for summ in (res.left, res.right):
        ext = summ.knee_ext_stance_deg
        if ext is not None and ext > limit("knee_extension_stance_deg"):
            flag(
                "knee_extension_stance_deg",
                "knee_not_extending",
                ext,
                "Knee does not straighten in stance: let it extend as the foot rolls to the heel.",
                summ.side,
            )
    return flags


def _setting(k: Kinematics) -> Setting:
    """Treadmill or overground from the pelvis's net horizontal travel (least-squares speed per
    segment in leg lengths/s, weighted by segment length)."""
    hip_x = np.nanmean(np.stack([_j(k.body, "left_hip")[:, 0], _j(k.body, "right_hip")[:, 0]]), axis=0)
    speed, weight = 0.0, 0
    for a, b in k.segments:
        x = hip_x[a:b]
        ok = np.isfinite(x)
        if ok.sum() < 2:
            continue
        t = np.arange(b - a)[ok] / k.fps
        speed += abs(float(np.polyfit(t, x[ok], 1)[0])) / k.leg_length * int(ok.sum())
        weight += int(ok.sum())
    if not weight or not np.isfinite(speed):
        return "unknown"
    return "treadmill" if speed / weight < TREADMILL_MAX_LEG_S else "overground"


def analyse(kp: KeypointSeries, *, opts: Options | None = None) -> PoseGaitResult:
    """Full keypoints -> gait result: per-side knee/hip summaries, contacts, symmetry, flags."""
    return analyse_with_kinematics(kp, opts=opts)[0]


def analyse_with_kinematics(
    kp: KeypointSeries, *, opts: Options | None = None
) -> tuple[PoseGaitResult, Kinematics]:
    """:func:`analyse`, also returning the kinematics it was computed from (for figures, video)."""
    with _pywarnings.catch_warnings():
        _pywarnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames are expected gaps
        return _analyse(kp, opts)


def _analyse(kp: KeypointSeries, opts: Options | None) -> tuple[PoseGaitResult, Kinematics]:
    k = kinematics(kp, opts)
    strides = _strides(k)
    left, right = _side_summary(k, "left", strides), _side_summary(k, "right", strides)
    warnings = list(k.warnings)
    direction: Direction = {1: "forward", -1: "backward"}.get(k.travel_sign, "unknown")  # type: ignore[assignment]
    if direction == "unknown":
        warnings.append("walking direction unclear (feet hardly move relative to the pelvis)")
    if not strides:
        warnings.append("no complete stride found; stride metrics are empty")
    used = sum(b - a for a, b in k.segments)
    asym = None
    if left.step_length_leg and right.step_length_leg and left.step_length_leg + right.step_length_leg > 0:
        asym = (
            100.0
            * abs(left.step_length_leg - right.step_length_leg)
            / (0.5 * (left.step_length_leg + right.step_length_leg))
        )
    stride_times = [s.end_s - s.start_s for s in strides]
    cadence = 120.0 / float(np.median(stride_times)) if stride_times else None
    setting = _setting(k)
    counts: dict[str, int] = {}
    for s in strides:
        counts[s.contact_type] = counts.get(s.contact_type, 0) + 1
    if "unknown" in counts:
        warnings.append("contact type needs heel and toe keypoints (COCO-17 has none)")
    trunk = _nanmedian(k.trunk_lean)
    res = PoseGaitResult(
        source=kp.source,
        fps=kp.fps,
        n_frames=kp.n_frames,
        duration_s=kp.n_frames / kp.fps,
        frames_analysed=used,
        segments_s=[(a / k.fps, b / k.fps) for a, b in k.segments],
        facing="image_right" if k.facing_sign > 0 else "image_left",
        direction=direction,
        setting=setting,
        camera_tilt_deg=round(k.tilt_deg, 2),
        leg_length_px=k.leg_length if np.isfinite(k.leg_length) else None,
        trunk_lean_deg=trunk if np.isfinite(trunk) else None,
        step_length_asymmetry_pct=asym,
        cadence_spm=cadence,
        contact_type_counts=counts,
        left=left,
        right=right,
        strides=strides,
        warnings=warnings,
    )
    res.flags = _flags(res)
    return res, k
