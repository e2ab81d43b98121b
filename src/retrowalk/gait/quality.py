"""Measurement-quality flags for a recording, before its numbers are trusted.

IMU: achieved sampling rate, gaps in the timestamps, clipped (saturated) samples, and the sensor
turning in its pocket or strap (the gravity direction moving). Pose: the camera not side-on (the
engine assumes a side view) and the person lost (low confidence or missing frames). A flag with
``withhold=True`` means the engine's numbers would mislead: the recording's result then carries
the flags and their reasons, not the numbers.

Pure: arrays in, a pydantic report out. The thresholds live here, once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from retrowalk.gait.pose.analysis import Options as PoseOptions
from retrowalk.gait.pose.keypoints import JOINT_INDEX, KeypointSeries

FloatArray = NDArray[np.float64]

# --- thresholds (measurement quality, not clinical) ---------------------------------------------
#: Below this achieved rate steps are missed (the IMU engine needs ≥ 20 Hz; phones give 50-100).
MIN_RATE_HZ = 20.0
#: An interval longer than this many nominal sample periods (and ≥ 0.1 s) is a gap.
GAP_PERIODS = 3.0
MIN_GAP_S = 0.1
#: Share of the recording's time inside gaps: warn above the first, withhold above the second.
GAP_WARN_FRACTION = 0.02
GAP_WITHHOLD_FRACTION = 0.10
#: A single gap this long cuts a walking bout in two.
GAP_WITHHOLD_S = 2.0
#: Samples at the sensor's ceiling in runs of ≥ CLIP_RUN: share that warns / withholds.
CLIP_RUN = 3
CLIP_WARN_FRACTION = 0.001
CLIP_WITHHOLD_FRACTION = 0.02
#: Gravity direction, averaged over ORIENT_WINDOW_S windows, further than this from its median.
ORIENT_WINDOW_S = 2.0
ORIENT_CHANGE_DEG = 30.0
ORIENT_WITHHOLD_FRACTION = 0.10
#: Shoulder (or hip) width seen in the image / torso length: 0 side-on, ~0.7 facing the camera.
SIDE_ON_MAX_RATIO = 0.35
#: Frames where the person is not seen (hips, or no whole leg: a side view hides the far leg
#: often, so one leg suffices): share that warns / withholds; longest run that withholds.
#: "Seen" uses the pose engine's own confidence floor.
POSE_MIN_CONF = PoseOptions().min_conf
LOST_WARN_FRACTION = 0.10
LOST_WITHHOLD_FRACTION = 0.30
LOST_WITHHOLD_S = 2.0

FlagCode = Literal[
    "low_sampling_rate",
    "gaps",
    "clipping",
    "orientation_changed",
    "camera_not_side_on",
    "person_lost",
]


class QualityFlag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: FlagCode
    value: float
    limit: float
    withhold: bool
    message: str


class QualityReport(BaseModel):
    """Measured quality plus the flags; ``ok`` is False when the numbers are withheld."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["imu", "pose"]
    measures: dict[str, float | None]
    flags: list[QualityFlag]

    @property
    def ok(self) -> bool:
        return not any(f.withhold for f in self.flags)

    @property
    def reason(self) -> str | None:
        """Why the numbers are withheld (None when they are not)."""
        bad = [f.message for f in self.flags if f.withhold]
        return "; ".join(bad) if bad else None


def _graded(
    code: FlagCode, value: float, limits: tuple[float, float], *, withhold: bool, message: str
) -> QualityFlag:
    """A flag with a warning and a withholding limit (``limits``): it names the one crossed."""
    warn, stop = limits
    limit = stop if withhold else warn
    return QualityFlag(code=code, value=value, limit=limit, withhold=withhold, message=message)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _clipped_fraction(x: FloatArray) -> float:
    """Share of samples stuck at an axis's extreme in runs of ≥ CLIP_RUN (a saturated sensor)."""
    n = x.shape[0]
    if n == 0:
        return 0.0
    stuck = np.zeros(n, dtype=bool)
    for axis in range(x.shape[1]):
        col = x[:, axis]
        finite = col[np.isfinite(col)]
        if finite.size == 0:
            continue
        for ceiling in (float(finite.max()), float(finite.min())):
            if ceiling == 0:
                continue
            at = np.isclose(col, ceiling, rtol=1e-6, atol=1e-9)
            for a, b in _runs(at):
                if b - a >= CLIP_RUN:
                    stuck[a:b] = True
    return float(stuck.mean())


def _orientation_changed_fraction(acc: FloatArray, fs: float) -> tuple[float, float]:
    """(share of windows whose mean gravity direction is > ORIENT_CHANGE_DEG off the start's, max angle).

    The reference is the median direction over the first quarter of the recording (at least one
    window): how the sensor sat when the client started.
    """
    w = max(int(ORIENT_WINDOW_S * fs), 1)
    k = acc.shape[0] // w
    if k < 2:
        return 0.0, 0.0
    means = acc[: k * w].reshape(k, w, 3).mean(axis=1)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    units = means / np.where(norms > 0, norms, 1.0)
    ref = np.median(units[: max(k // 4, 1)], axis=0)
    ref /= np.linalg.norm(ref) or 1.0
    angles = np.degrees(np.arccos(np.clip(units @ ref, -1.0, 1.0)))
    return float(np.mean(angles > ORIENT_CHANGE_DEG)), float(angles.max())


def imu_quality(
    acc: FloatArray,
    sampling_rate_hz: float,
    *,
    timestamps_s: FloatArray | None = None,
    gyr: FloatArray | None = None,
) -> QualityReport:
    """Quality of an IMU recording.

    ``acc`` (n, 3) m/s² on the reader's grid at ``sampling_rate_hz``; ``timestamps_s`` the raw
    sample times as recorded (the browser capture and CSV exports have them), for the achieved
    rate and gaps (the regular grid hides both). Clipping is judged on the raw values when given
    (``acc`` as recorded), which is what the callers pass.
    """
    flags: list[QualityFlag] = []
    measures: dict[str, float | None] = {"grid_rate_hz": float(sampling_rate_hz)}
    if timestamps_s is not None and timestamps_s.size >= 2:
        t = np.asarray(timestamps_s, dtype=float)
        duration = float(t[-1] - t[0])
        dt = np.diff(t)
        nominal = float(np.median(dt))
        achieved = (t.size - 1) / duration if duration > 0 else 0.0
        limit = max(GAP_PERIODS * nominal, MIN_GAP_S)
        gaps = dt[dt > limit]
        gap_time = float(np.sum(gaps - nominal)) if gaps.size else 0.0
        gap_frac = gap_time / duration if duration > 0 else 1.0
        longest = float(gaps.max()) if gaps.size else 0.0
        measures |= {
            "achieved_rate_hz": round(achieved, 2),
            "nominal_rate_hz": round(1.0 / nominal, 2) if nominal > 0 else None,
            "gaps": float(gaps.size),
            "gap_fraction": round(gap_frac, 4),
            "longest_gap_s": round(longest, 3),
        }
        if achieved < MIN_RATE_HZ:
            flags.append(
                QualityFlag(
                    code="low_sampling_rate",
                    value=round(achieved, 2),
                    limit=MIN_RATE_HZ,
                    withhold=True,
                    message=f"the sensor delivered {achieved:.1f} samples/s; at least {MIN_RATE_HZ:g} are "
                    "needed to find steps (keep the page in front and the screen on)",
                )
            )
        if gap_frac > GAP_WARN_FRACTION or longest > GAP_WITHHOLD_S:
            flags.append(
                _graded(
                    "gaps",
                    round(gap_frac, 4),
                    (GAP_WARN_FRACTION, GAP_WITHHOLD_FRACTION),
                    withhold=gap_frac > GAP_WITHHOLD_FRACTION or longest > GAP_WITHHOLD_S,
                    message=f"{gaps.size} gap(s) in the data ({100 * gap_frac:.1f}% of the time, longest "
                    f"{longest:.1f} s): the phone paused the sensor",
                )
            )
    else:
        measures |= {"achieved_rate_hz": None, "gaps": None}
    clip = _clipped_fraction(np.asarray(acc, dtype=float))
    measures["clipped_fraction"] = round(clip, 5)
    if clip > CLIP_WARN_FRACTION:
        flags.append(
            _graded(
                "clipping",
                round(clip, 5),
                (CLIP_WARN_FRACTION, CLIP_WITHHOLD_FRACTION),
                withhold=clip > CLIP_WITHHOLD_FRACTION,
                message=f"{100 * clip:.1f}% of samples sit at the sensor's limit (impacts clipped)",
            )
        )
    if gyr is not None:
        measures["gyr_clipped_fraction"] = round(_clipped_fraction(np.asarray(gyr, dtype=float)), 5)
    changed, max_angle = _orientation_changed_fraction(np.asarray(acc, dtype=float), sampling_rate_hz)
    measures |= {
        "orientation_changed_fraction": round(changed, 4),
        "max_orientation_change_deg": round(max_angle, 1),
    }
    if changed > ORIENT_WITHHOLD_FRACTION:
        flags.append(
            QualityFlag(
                code="orientation_changed",
                value=round(changed, 4),
                limit=ORIENT_WITHHOLD_FRACTION,
                withhold=True,
                message=f"the sensor turned by up to {max_angle:.0f}° during the recording (it moved in "
                "the pocket or strap); fix it firmly and record again",
            )
        )
    return QualityReport(kind="imu", measures=measures, flags=flags)


def _joint(kp: KeypointSeries, name: str) -> FloatArray:
    return kp.xy[:, JOINT_INDEX[name], :]


def pose_quality(kp: KeypointSeries, *, min_conf: float = POSE_MIN_CONF) -> QualityReport:
    """Quality of a keypoint series: camera side-on, person seen in every frame."""
    flags: list[QualityFlag] = []

    def seen(names: list[str]) -> NDArray[np.bool_]:
        idx = [JOINT_INDEX[n] for n in names]
        return np.asarray(
            (kp.conf[:, idx] >= min_conf).all(axis=1) & np.isfinite(kp.xy[:, idx, :]).all(axis=(1, 2))
        )

    hips = seen(["left_hip", "right_hip"])
    leg = seen([f"left_{j}" for j in ("hip", "knee", "ankle")]) | seen(
        [f"right_{j}" for j in ("hip", "knee", "ankle")]
    )
    lost = ~(hips & leg)
    lost_frac = float(lost.mean()) if lost.size else 1.0
    longest = max((b - a for a, b in _runs(lost)), default=0) / kp.fps
    measures: dict[str, float | None] = {
        "frames": float(kp.n_frames),
        "lost_fraction": round(lost_frac, 4),
        "longest_lost_s": round(longest, 3),
    }
    if lost_frac > LOST_WARN_FRACTION or longest > LOST_WITHHOLD_S:
        flags.append(
            _graded(
                "person_lost",
                round(lost_frac, 4),
                (LOST_WARN_FRACTION, LOST_WITHHOLD_FRACTION),
                withhold=lost_frac > LOST_WITHHOLD_FRACTION or longest > LOST_WITHHOLD_S,
                message=f"the person was not seen in {100 * lost_frac:.0f}% of frames "
                f"(longest {longest:.1f} s): keep the whole body in the frame",
            )
        )
    ok = ~lost
    if ok.sum() >= 2:
        ratios = []
        for left, right in (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")):
            width = np.abs(_joint(kp, left)[ok, 0] - _joint(kp, right)[ok, 0])
            mid_sh = 0.5 * (_joint(kp, "left_shoulder")[ok] + _joint(kp, "right_shoulder")[ok])
            mid_hip = 0.5 * (_joint(kp, "left_hip")[ok] + _joint(kp, "right_hip")[ok])
            torso = np.linalg.norm(mid_sh - mid_hip, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                r = width / torso
            r = r[np.isfinite(r)]
            if r.size:
                ratios.append(float(np.median(r)))
        if ratios:
            ratio = max(ratios)
            measures["side_on_ratio"] = round(ratio, 3)
            if ratio > SIDE_ON_MAX_RATIO:
                flags.append(
                    QualityFlag(
                        code="camera_not_side_on",
                        value=round(ratio, 3),
                        limit=SIDE_ON_MAX_RATIO,
                        withhold=True,
                        message="the camera does not see the walker from the side (shoulders/hips "
                        "appear side by side): place it square to the treadmill",
                    )
                )
    return QualityReport(kind="pose", measures=measures, flags=flags)
