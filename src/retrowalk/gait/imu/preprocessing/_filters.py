"""Filters that do not care how the sensor sits in the pocket.

The norm of the accelerometer is invariant to rotation, so step impacts show up in it whatever
the phone's orientation; the low-passed acceleration estimates gravity for projections.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal

FloatArray = NDArray[np.float64]


def _safe_cutoff(cutoff_hz: float, fs: float) -> float:
    return min(cutoff_hz, 0.45 * fs)


def bandpass(x: FloatArray, fs: float, lo_hz: float, hi_hz: float) -> FloatArray:
    """Zero-phase Butterworth band-pass (zero phase keeps event times unbiased)."""
    sos = signal.butter(2, [lo_hz, _safe_cutoff(hi_hz, fs)], btype="band", fs=fs, output="sos")
    return np.asarray(signal.sosfiltfilt(sos, x, axis=0), dtype=np.float64)


def estimate_gravity(acc: FloatArray, fs: float, cutoff_hz: float = 0.25) -> FloatArray:
    """Gravity in the sensor frame as the low-passed acceleration (slow posture changes pass)."""
    sos = signal.butter(2, cutoff_hz, btype="low", fs=fs, output="sos")
    return np.asarray(signal.sosfiltfilt(sos, acc, axis=0), dtype=np.float64)


def vertical_dynamic(acc: FloatArray, fs: float) -> FloatArray:
    """Dynamic acceleration projected on the estimated vertical (m/s², up positive)."""
    g = estimate_gravity(acc, fs)
    u = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
    return np.asarray(np.einsum("ij,ij->i", acc - g, u), dtype=np.float64)


def acc_norm_dynamic(acc: FloatArray, fs: float) -> FloatArray:
    """|acc| minus its slow trend: rotation invariant, so segment swing does not leak in."""
    n = np.linalg.norm(acc, axis=1)
    sos = signal.butter(2, 0.25, btype="low", fs=fs, output="sos")
    return np.asarray(n - signal.sosfiltfilt(sos, n), dtype=np.float64)


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
