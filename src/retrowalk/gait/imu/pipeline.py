"""The full IMU pipeline: chunked contact detection, bouts, parameters, direction.

Trunk and thigh sensors see one impact per step (:class:`IcdNormPeak`). Foot and shank sensors
see their own leg's swing, so they give one contact per stride of that leg
(:class:`IcdSwingImpact`); :func:`analyse_legs` merges the two legs' sensors into every step.
Long recordings (24 h at 100 Hz is 8.6 M samples) are filtered chunk by chunk with overlap, so
peak memory depends on the chunk length, not on the recording length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from numpy.typing import NDArray

from retrowalk.errors import InputError
from retrowalk.gait.imu._models import (
    BoutResult,
    Direction,
    ImuGaitResult,
    ImuRecording,
    Placement,
    check_placement,
)
from retrowalk.gait.imu.direction import DirectionSegmentAngle
from retrowalk.gait.imu.gsd import GsdStepRuns
from retrowalk.gait.imu.icd import IcdNormPeak, IcdSwingImpact
from retrowalk.gait.imu.params import step_time_stats
from retrowalk.gait.imu.params._algo import bout_cadence
from retrowalk.gait.imu.preprocessing import still_windows

PER_LEG: tuple[str, ...] = ("foot", "shank")
# One contact per stride: the bout rules of GsdStepRuns in stride units (twice the step times).
STRIDE_BOUTS = GsdStepRuns(
    min_contacts=3, min_core_steps=2, min_step_s=0.5, max_step_s=3.0, extend_step_s=4.0
)
# The stages are frozen dataclasses without state: one instance each, not one per call.
STEP_BOUTS = GsdStepRuns()
NORM_PEAK = IcdNormPeak()
SWING_IMPACT = IcdSwingImpact()
CHUNK_S = 600.0
OVERLAP_S = 15.0
NEUTRAL_SEARCH_S = 120.0
FLAT_MS2 = 0.05  # every axis within this range: no movement recorded
FLAT_HEAD_SAMPLES = 512

Detector = Callable[[int, int], NDArray[np.int64]]


def _detector(rec: ImuRecording, placement: str) -> Detector:
    """Contacts (indices into the slice) of ``rec[lo:hi]`` for the placement's detector."""
    fs = rec.sampling_rate_hz
    if placement in PER_LEG:
        swing = SWING_IMPACT
        gyr = rec.gyr
        return lambda lo, hi: swing.detect(
            rec.acc[lo:hi], gyr=None if gyr is None else gyr[lo:hi], sampling_rate_hz=fs
        )
    norm = NORM_PEAK
    return lambda lo, hi: norm.detect(rec.acc[lo:hi], sampling_rate_hz=fs)


def _detect_chunked(
    rec: ImuRecording, detect: Detector, *, with_still: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    fs = rec.sampling_rate_hz
    n = rec.n_samples
    chunk, pad = int(CHUNK_S * fs), int(OVERLAP_S * fs)
    if n <= chunk:  # one chunk: the common case, without the bookkeeping
        return detect(0, n), (still_windows(rec.acc, fs) if with_still else np.zeros(0, np.int64))
    ics: list[NDArray[np.int64]] = []
    still: list[NDArray[np.int64]] = []
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        lo, hi = max(start - pad, 0), min(stop + pad, n)
        found = detect(lo, hi) + lo
        ics.append(found[(found >= start) & (found < stop)])
        if with_still:  # only the direction step needs quiet-standing anchors
            still.append(still_windows(rec.acc[start:stop], fs) + start)
    empty = np.zeros(0, np.int64)
    return (np.concatenate(ics) if ics else empty), (np.concatenate(still) if still else empty)


def _neutral(
    rec: ImuRecording, still: NDArray[np.int64], first: int, last: int
) -> NDArray[np.float64] | None:
    fs = rec.sampling_rate_hz
    w = round(fs)
    before = still[(still + w <= first) & (still >= first - NEUTRAL_SEARCH_S * fs)]
    after = still[(still >= last) & (still <= last + NEUTRAL_SEARCH_S * fs)]
    if before.size:
        s = int(before[-1])
    elif after.size:
        s = int(after[0])
    else:
        return None
    return np.asarray(rec.acc[s : s + w].mean(axis=0), dtype=np.float64)


def _flat(acc: NDArray[np.float64], limit: float) -> bool:
    """Is every axis's range below ``limit``? A range over the first seconds that reaches it
    already answers no (a range only grows), so a moving recording is not scanned whole.
    Column by column: a reduction along axis 0 of an (n, 3) array is ~10x slower in NumPy."""
    head = acc[:FLAT_HEAD_SAMPLES]
    for k in range(3):
        if _ptp(head[:, k]) >= limit:
            return False
    return max(_ptp(acc[:, k]) for k in range(3)) < limit


_MAX, _MIN = np.maximum.reduce, np.minimum.reduce


def _ptp(x: NDArray[np.float64]) -> float:
    """``np.ptp`` (max - min) without its wrappers (``ndarray.max`` goes through Python code),
    which cost more than a short column."""
    return float(_MAX(x) - _MIN(x))


def _check(rec: ImuRecording) -> None:
    if rec.duration_s < 5.0:
        raise InputError(
            "recording", f"only {rec.duration_s:.1f} s long", hint="record at least 10 s of walking"
        )
    if _flat(rec.acc, FLAT_MS2):
        raise InputError(
            "recording",
            "accelerometer signal is flat (no movement recorded)",
            hint="check that the sensor was recording while walking",
        )


class _Direction:
    """Direction of one bout from one thigh/shank recording (reasons collected for warnings)."""

    def __init__(self, rec: ImuRecording, placement: str, ics: NDArray[np.int64], still: NDArray[np.int64]):
        self.rec, self.placement, self.ics, self.still = rec, placement, ics, still
        self.reasons: set[str] = set()
        self.active = rec.gyr is not None and placement in ("thigh", "shank")
        if rec.gyr is None and placement in ("thigh", "shank"):
            self.reasons.add("no gyroscope data; direction needs angular velocity")
        elif rec.gyr is not None and not self.active and placement != "foot":  # foot: own warning
            self.reasons.add(f"direction needs a thigh or shank sensor (placement={placement})")

    def __call__(self, t0_s: float, t1_s: float) -> tuple[Direction, float]:
        if not self.active or self.rec.gyr is None:
            return "unknown", 0.0
        fs = self.rec.sampling_rate_hz
        lo = max(round((t0_s - self.rec.start_s) * fs), 0)
        hi = min(round((t1_s - self.rec.start_s) * fs) + 1, self.rec.n_samples)
        idx = self.ics[(self.ics >= lo) & (self.ics < hi)]
        est = DirectionSegmentAngle().estimate(
            (self.rec.acc[lo:hi], self.rec.gyr[lo:hi]),
            sampling_rate_hz=fs,
            initial_contacts=idx - lo,
            neutral_gravity=_neutral(self.rec, self.still, lo, hi),
            placement=self.placement,
        )
        if est.reason:
            self.reasons.add(est.reason)
        return est.direction, est.confidence


def analyse(rec: ImuRecording, *, placement: Placement | str = "unknown") -> ImuGaitResult:
    """Steps, cadence, variability, bouts and walking direction for one recording.

    A foot or shank sensor gives its own leg's contacts (one per stride); steps and cadence
    still count both legs (two steps per stride). Use :func:`analyse_legs` for one sensor per leg.
    """
    check_placement(placement)
    _check(rec)
    fs = rec.sampling_rate_hz
    needs_direction = rec.gyr is not None and placement in ("thigh", "shank")
    cand, still = _detect_chunked(rec, _detector(rec, placement), with_still=needs_direction)
    warnings = list(rec.warnings)
    per_leg = placement in PER_LEG
    if per_leg:
        warnings.append(
            f"one {placement} sensor: contacts are that leg's (one per stride); steps and cadence "
            "count both legs; left/right asymmetry needs a sensor on each leg"
        )
        if rec.gyr is None:
            warnings.append(f"no gyroscope: {placement} strides found from acceleration only (less reliable)")
    return _assemble(
        rec.start_s + cand / fs,
        placement=placement,
        fs=fs,
        duration_s=rec.duration_s,
        per_leg=per_leg,
        direction=_Direction(rec, placement, cand, still),
        warnings=warnings,
    )


def analyse_legs(
    left: ImuRecording, right: ImuRecording, *, placement: Placement | str = "foot"
) -> ImuGaitResult:
    """One foot or shank sensor per leg, on one clock (``start_s``): both legs' contacts merged,
    so every step is found and left/right asymmetry is real."""
    check_placement(placement)
    if placement not in PER_LEG:
        raise InputError("placement", f"{placement!r} is not a leg placement", hint="use foot or shank")
    for rec in (left, right):
        _check(rec)
    needs_direction = placement == "shank" and left.gyr is not None
    found = [
        _detect_chunked(rec, _detector(rec, placement), with_still=needs_direction and rec is left)
        for rec in (left, right)
    ]
    times = np.sort(
        np.concatenate(
            [
                rec.start_s + ics / rec.sampling_rate_hz
                for rec, (ics, _) in zip((left, right), found, strict=True)
            ]
        )
    )
    start = min(left.start_s, right.start_s)
    end = max(left.start_s + left.duration_s, right.start_s + right.duration_s)
    return _assemble(
        times,
        placement=placement,
        fs=left.sampling_rate_hz,
        duration_s=end - start,
        per_leg=False,
        direction=_Direction(left, placement, found[0][0], found[0][1]),
        warnings=[*left.warnings, *(w for w in right.warnings if w not in left.warnings)],
    )


def _assemble(
    ic_s: NDArray[np.float64],
    *,
    placement: str,
    fs: float,
    duration_s: float,
    per_leg: bool,
    direction: _Direction,
    warnings: list[str],
) -> ImuGaitResult:
    """Bouts, parameters and direction from sorted contact times (s, recording clock).

    A bout has a few dozen contacts, so its arithmetic runs on Python floats (one ``tolist``
    here, not one per step below): NumPy's per-call cost is more than the loops."""
    gsd = STRIDE_BOUTS if per_leg else STEP_BOUTS
    # The bout rules work on sample indices; contacts from two legs share one grid of rate fs.
    runs = gsd.detect((ic_s * fs).round().astype(np.int64), sampling_rate_hz=fs)
    per_stride = 1 if per_leg else 2
    steps_per_contact = 2 // per_stride
    times: list[float] = ic_s.tolist()
    shown: list[float] = ic_s.round(3).tolist()  # NumPy's rounding, as reported before
    bouts: list[BoutResult] = []
    bout_ics: list[list[float]] = []
    cadences: list[float] = []
    contacts: list[float] = []
    durations: list[float] = []
    for a, b in runs:
        t = times[a : b + 1]
        t0, t1 = t[0], t[-1]
        est_dir, conf = direction(t0, t1)
        cad = bout_cadence(t, contacts_per_stride=per_stride)
        cadences.append(cad)
        start_s, end_s = round(t0, 3), round(t1, 3)
        # Validated: pydantic-core checks these few fields faster than model_construct's
        # Python loop over the fields copies them (measured 1.4 vs 2.2 us).
        bouts.append(
            BoutResult(
                start_s=start_s,
                end_s=end_s,
                steps=len(t) * steps_per_contact,
                cadence_spm=round(cad, 2),
                direction=est_dir,
                direction_confidence=conf,
            )
        )
        bout_ics.append(t)
        contacts += shown[a : b + 1]
        durations.append(round(end_s - start_s, 3))
    stats = step_time_stats(bout_ics, cadences=cadences, contacts_per_stride=per_stride)
    if not bouts:
        need = "3 regular strides" if per_leg else "5 regular steps"
        warnings.append(f"no walking bout found (need at least {need})")
    warnings.extend(f"direction unknown: {r}" for r in sorted(direction.reasons))
    if placement == "foot":
        warnings.append("direction from foot sensors is not implemented yet; reported unknown")
    mean_s, cv, asym = stats.step_time_mean_s, stats.step_time_cv_pct, stats.step_time_asymmetry_pct
    # Validated, as the bouts (no dearer than model_construct here; bouts are not re-checked).
    return ImuGaitResult(
        placement=cast(Placement, placement),  # checked by check_placement on the way in
        sampling_rate_hz=fs,
        duration_s=round(duration_s, 3),
        initial_contacts_s=contacts,
        steps=stats.steps,
        cadence_spm=None if stats.cadence_spm is None else round(stats.cadence_spm, 2),
        step_time_mean_s=None if mean_s is None else round(mean_s, 4),
        step_time_cv_pct=None if cv is None else round(cv, 2),
        step_time_asymmetry_pct=None if asym is None else round(asym, 2),
        active_minutes=round(sum(durations) / 60.0, 3),
        bout_durations_s=durations,
        bouts=bouts,
        warnings=warnings,
    )
