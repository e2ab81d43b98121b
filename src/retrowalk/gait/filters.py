"""Zero-phase Butterworth filters shared by the IMU and pose engines (``scipy.signal``).

Forward-backward filtering (``sosfiltfilt``) has no phase lag, so event times and joint angles
are not shifted by the filter. Designs are cached per (kind, cutoff, rate, order): designing
costs more than filtering a short recording.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import signal

FloatArray = NDArray[np.float64]
Kind = Literal["low", "high", "band"]
Cutoff = float | tuple[float, float]
NYQUIST_MARGIN = 0.45  # cut-offs are clipped below 0.45 x rate (Nyquist is 0.5)


def _clip(cutoff_hz: Cutoff, fs: float) -> Cutoff:
    if isinstance(cutoff_hz, tuple):
        return (cutoff_hz[0], min(cutoff_hz[1], NYQUIST_MARGIN * fs))
    return min(cutoff_hz, NYQUIST_MARGIN * fs)


@lru_cache(maxsize=128)
def butter_sos(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> FloatArray:
    """Second-order sections of a Butterworth design (cut-off clipped below Nyquist)."""
    sos = signal.butter(order, _clip(cutoff_hz, fs), btype=kind, fs=fs, output="sos")
    return np.asarray(sos, dtype=np.float64)


def zero_phase(x: FloatArray, fs: float, kind: Kind, cutoff_hz: Cutoff, *, order: int = 2) -> FloatArray:
    """``sosfiltfilt`` along axis 0; inputs shorter than its padding come back unfiltered."""
    sos = butter_sos(kind, cutoff_hz, fs, order)
    if x.shape[0] <= 3 * (2 * sos.shape[0] + 1):
        return np.array(x, dtype=np.float64)
    return np.asarray(signal.sosfiltfilt(sos, x, axis=0), dtype=np.float64)


def bandpass(x: FloatArray, fs: float, lo_hz: float, hi_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase band-pass (IMU: removes gravity/posture drift below and noise above)."""
    return zero_phase(x, fs, "band", (lo_hz, hi_hz), order=order)


def lowpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase low-pass (pose keypoints, IMU envelopes)."""
    return zero_phase(x, fs, "low", cutoff_hz, order=order)


def highpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase high-pass (removes gravity and slow drift)."""
    return zero_phase(x, fs, "high", cutoff_hz, order=order)
