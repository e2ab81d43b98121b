"""Gap handling and zero-lag smoothing of keypoint trajectories."""

from __future__ import annotations

import numpy as np

from retrowalk.gait import filters
from retrowalk.gait.pose.keypoints import FloatArray


def mask_low_confidence(xy: FloatArray, conf: FloatArray, min_conf: float) -> FloatArray:
    """Points below ``min_conf`` become NaN (a gap), so they never pull the analysis."""
    out = xy.copy()
    out[conf < min_conf] = np.nan
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open [start, stop) runs where ``mask`` is True."""
    if mask.size == 0:
        return []
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def fill_short_gaps(xy: FloatArray, max_gap: int) -> FloatArray:
    """Linearly interpolate interior gaps of at most ``max_gap`` frames, per joint and axis.

    Longer gaps stay NaN and later split the analysis: bridging them would invent steps.
    """
    out = xy.copy()
    n = out.shape[0]
    flat = out.reshape(n, -1)
    idx = np.arange(n)
    for c in range(flat.shape[1]):
        col = flat[:, c]
        bad = ~np.isfinite(col)
        if not bad.any() or bad.all():
            continue
        good = ~bad
        filled = np.interp(idx, idx[good], col[good])  # one pass per column: linear in frames
        for a, b in _runs(bad):
            if a == 0 or b == n or (b - a) > max_gap:
                filled[a:b] = np.nan
        flat[:, c] = filled
    return out


def valid_segments(valid: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """Contiguous runs of valid frames at least ``min_len`` long."""
    return [(a, b) for a, b in _runs(valid) if b - a >= min_len]


def lowpass(data: FloatArray, fps: float, cutoff_hz: float, order: int = 4) -> FloatArray:
    """Zero-lag Butterworth low-pass along axis 0 of effective ``order`` (forward-backward
    doubles the design order, so a 4th-order response is a 2nd-order design run twice).

    Uses the filter module shared with the IMU engine; very short inputs come back unfiltered.
    """
    return filters.lowpass(data, fps, cutoff_hz, order=order // 2 if order > 2 else 1)
