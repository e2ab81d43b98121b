"""Forward or backward from where the leg segment points at its own initial contact.

The contact foot always lands in the direction of travel, so the segment kinematics relative
to travel look alike in both directions; what differs is the anatomy. Forward, the thigh is
flexed and the shank tilted foot-ahead at contact; backward, both are behind the body
(toe-first contact, clinical-facts §5.1: backward gait is roughly forward gait in reverse time).

Steps: the sagittal axis is the gyroscope's principal axis; the segment angle is the integrated
angular velocity, anchored to the posture in the nearest quiet-standing window (gravity). The
anatomical sign comes from range asymmetry that holds in both directions: the thigh flexes much
further than it extends; the shank swings much further behind (knee flexion) than ahead. The
ipsilateral contact is the first contact after each swing (the stride's angular-velocity peak).
Anything weak or inconsistent gives ``unknown``, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from retrowalk.gait.filters import highpass, lowpass
from retrowalk.gait.imu._models import Direction
from retrowalk.gait.median import median
from retrowalk.gait.peaks import find_peaks

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DirectionEstimate:
    direction: Direction
    confidence: float
    reason: str | None = None


def _unknown(reason: str) -> DirectionEstimate:
    return DirectionEstimate("unknown", 0.0, reason)


@dataclass(frozen=True)
class DirectionSegmentAngle:
    min_confidence: float = 0.5
    min_planarity: float = 0.6
    min_range_asymmetry: float = 0.15

    def estimate(
        self,
        data: tuple[FloatArray, FloatArray],
        *,
        sampling_rate_hz: float,
        initial_contacts: NDArray[np.int64],
        neutral_gravity: FloatArray | None,
        placement: str,
    ) -> DirectionEstimate:
        """``data`` is (acc m/s², gyr rad/s) for one bout; ICs are indices into it."""
        acc, gyr = data
        fs = sampling_rate_hz
        if placement not in ("thigh", "shank"):
            return _unknown(f"direction needs a thigh or shank sensor (placement={placement})")
        if neutral_gravity is None:
            return _unknown("no quiet standing period near the bout to anchor the segment angle")
        if gyr.shape[0] < int(2 * fs) or initial_contacts.size < 4:
            return _unknown("bout too short for a direction estimate")
        gc = gyr - gyr.mean(axis=0)
        evals, evecs = np.linalg.eigh(gc.T @ gc)
        planarity = float(evals[-1] / max(evals.sum(), 1e-12))
        if planarity < self.min_planarity:
            return _unknown(f"segment rotation is not planar ({planarity:.2f}); sensor loose or turning")
        m = evecs[:, -1]
        w = gyr @ m
        rel = highpass(np.cumsum(w) / fs, fs, 0.3)
        gbar = acc.mean(axis=0)
        n = neutral_gravity
        ang = float(np.arctan2(m @ np.cross(n, gbar), n @ gbar - (n @ m) * (gbar @ m)))
        theta = rel - ang  # gravity turns opposite to the segment in the sensor frame
        hi, lo = float(np.percentile(theta, 97)), float(-np.percentile(theta, 3))
        if hi <= 0 or lo <= 0:
            return _unknown("segment angle does not cross the standing posture; anchor unreliable")
        range_asym = abs(hi - lo) / (hi + lo)
        if range_asym < self.min_range_asymmetry:
            return _unknown("segment range is symmetric; anatomical front/back cannot be told")
        big = 1.0 if hi > lo else -1.0
        ahead = big if placement == "thigh" else -big
        wl = lowpass(w, fs, 3.0)
        swing_sign = 1.0 if np.percentile(wl, 99) > -np.percentile(wl, 1) else -1.0
        sw = swing_sign * wl
        peaks = find_peaks(sw, height=0.5 * np.percentile(sw, 99), distance=max(int(0.5 * fs), 1))
        ics = np.sort(initial_contacts)
        ipsi: list[int] = []
        for p in peaks:
            k = int(np.searchsorted(ics, p))
            if k < ics.size and ics[k] - p <= int(0.6 * fs):
                ipsi.append(int(ics[k]))
        if len(ipsi) < 2:
            return _unknown("no clear swing-then-contact pattern")
        # Scale by the smaller excursion: the larger one is swing (knee flexion), not contact.
        pos = ahead * theta[np.asarray(ipsi)] / min(hi, lo)
        agree = max(float(np.mean(pos > 0)), float(np.mean(pos < 0)))
        q = median(pos)
        conf = float(np.clip(abs(q), 0, 1) * min(1.0, range_asym / 0.3) * agree)
        if conf < self.min_confidence:
            return DirectionEstimate("unknown", round(conf, 3), "weak or inconsistent direction evidence")
        return DirectionEstimate("forward" if q > 0 else "backward", round(conf, 3))
