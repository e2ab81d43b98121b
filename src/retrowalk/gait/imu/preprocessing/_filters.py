"""Filters that do not care how the sensor sits in the pocket.

The norm of the accelerometer is invariant to rotation, so step impacts show up in it whatever
the phone's orientation.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import signal

FloatArray = NDArray[np.float64]


def _safe_cutoff(cutoff_hz: float, fs: float) -> float:
    return min(cutoff_hz, 0.45 * fs)


@lru_cache(maxsize=64)
def butter_sos(btype: str, cutoff_hz: float | tuple[float, float], fs: float) -> FloatArray:
    """Second-order Butterworth sections, designed once per (type, cutoff, rate): design costs
    more than filtering a short recording."""
    cut = (cutoff_hz[0], _safe_cutoff(cutoff_hz[1], fs)) if isinstance(cutoff_hz, tuple) else cutoff_hz
    sos = signal.butter(2, cut, btype=btype, fs=fs, output="sos")
    return np.asarray(sos, dtype=np.float64)


@lru_cache(maxsize=64)
def _ba_zi(
    btype: str, cutoff_hz: float | tuple[float, float], fs: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    cut = (cutoff_hz[0], _safe_cutoff(cutoff_hz[1], fs)) if isinstance(cutoff_hz, tuple) else cutoff_hz
    b, a = signal.butter(2, cut, btype=btype, fs=fs, output="ba")
    return np.asarray(b), np.asarray(a), np.asarray(signal.lfilter_zi(b, a))


def _filtfilt(btype: str, cutoff_hz: float | tuple[float, float], fs: float, x: FloatArray) -> FloatArray:
    """Zero-phase filter equal to ``scipy.signal.sosfiltfilt`` (odd padding, same pad length;
    agreement to ~1e-12 for these 2nd-order designs) at a fraction of its per-call overhead,
    which dominates on short recordings: ``lfilter`` with cached coefficients and initial state.
    """
    if x.ndim != 1:
        sos = butter_sos(btype, cutoff_hz, fs)
        return np.asarray(signal.sosfiltfilt(sos, x, axis=0), dtype=np.float64)
    b, a, zi = _ba_zi(btype, cutoff_hz, fs)
    n_sections = 2 if isinstance(cutoff_hz, tuple) else 1
    pad = min(3 * (2 * n_sections + 1), x.size - 1)
    ext = np.concatenate((2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2 : -pad - 2 : -1]))
    y = signal.lfilter(b, a, ext, zi=zi * ext[0])[0][::-1]
    y = signal.lfilter(b, a, y, zi=zi * y[0])[0]
    return np.asarray(y[::-1][pad : pad + x.size], dtype=np.float64)


def bandpass(x: FloatArray, fs: float, lo_hz: float, hi_hz: float) -> FloatArray:
    """Zero-phase Butterworth band-pass (zero phase keeps event times unbiased)."""
    return _filtfilt("band", (lo_hz, hi_hz), fs, x)


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
