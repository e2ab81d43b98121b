"""Still periods (quiet standing) for the direction anchor; filters live in ``retrowalk.gait.filters``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def still_windows(
    acc: FloatArray, fs: float, *, window_s: float = 1.0, max_std: float = 0.12
) -> NDArray[np.int64]:
    """Start indices of non-overlapping windows where the sensor is still (quiet standing)."""
    w = max(round(window_s * fs), 2)
    n_win = acc.shape[0] // w
    if n_win == 0:
        return np.zeros(0, dtype=np.int64)
    blocks = np.linalg.norm(acc[: n_win * w], axis=1).reshape(n_win, w)
    quiet = blocks.std(axis=1) < max_std
    return np.flatnonzero(quiet).astype(np.int64) * w
