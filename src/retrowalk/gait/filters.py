"""Zero-phase Butterworth filters shared by the IMU and pose engines (``scipy.signal``).

Forward-backward filtering has no phase lag, so event times and joint angles are not shifted by
the filter. It is ``signal.sosfiltfilt``'s default method (odd extension of 3 x taps at each end,
one pass forward and one backward, each started from the filter's steady state), with everything
that does not depend on the data computed once per (kind, cutoff, rate, order) and cached: the
design (``signal.butter``), the steady-state initial conditions and the padding. Recomputing
those per call (what ``sosfiltfilt`` does) costs more than filtering a short recording.

Each pass runs ``signal.lfilter`` on the design's transfer function when that reproduces the
second-order sections to 1e-10 of the response (checked once per design; true for the low orders
used here, where it matches ``sosfiltfilt`` to about 1e-12), else ``signal.sosfilt`` on the
sections: ``lfilter``'s per-call cost is a fifth of ``sosfilt``'s. An (n, channels) input is
filtered along axis 0 for all channels in one call per pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, lfilter, lfilter_zi, sos2tf, sosfilt, sosfilt_zi

FloatArray = NDArray[np.float64]
Kind = Literal["low", "high", "band"]
Cutoff = float | tuple[float, float]
NYQUIST_MARGIN = 0.45  # cut-offs are clipped below 0.45 x rate (Nyquist is 0.5)
TF_TOLERANCE = 1e-10  # transfer-function form allowed when it matches the sections this closely


def _clip(cutoff_hz: Cutoff, fs: float) -> Cutoff:
    if isinstance(cutoff_hz, tuple):
        return (cutoff_hz[0], min(cutoff_hz[1], NYQUIST_MARGIN * fs))
    return min(cutoff_hz, NYQUIST_MARGIN * fs)


@dataclass(frozen=True)
class ZeroPhaseDesign:
    """A Butterworth design ready for forward-backward filtering."""

    sos: FloatArray  # (sections, 6); sosfilt needs it writable, so it is never handed out
    edge: int  # samples of odd extension at each end (sosfiltfilt's default padlen)
    min_samples: int  # shorter inputs are returned unfiltered
    tf: tuple[FloatArray, FloatArray] | None  # (b, a) when lfilter reproduces the sections
    zi: FloatArray  # steady state for a unit step: (order,) for lfilter, (sections, 2) for sosfilt


def _tf_matches(sos: FloatArray, b: FloatArray, a: FloatArray, fs: float, lowest_hz: float) -> bool:
    """Do the transfer function and the sections give the same impulse and step response?"""
    n = int(min(20 * fs / lowest_hz, 200_000))
    probe = np.ones(n)
    probe[0] = 2.0  # impulse plus step: the fast and the slowest (DC) behaviour
    ref = sosfilt(sos, probe)
    return bool(np.max(np.abs(lfilter(b, a, probe) - ref)) <= TF_TOLERANCE * max(np.max(np.abs(ref)), 1.0))


@lru_cache(maxsize=128)
def design(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> ZeroPhaseDesign:
    """Sections, initial conditions and padding of a Butterworth design (cut-off below Nyquist)."""
    cut = _clip(cutoff_hz, fs)
    sos = np.asarray(butter(order, cut, btype=kind, fs=fs, output="sos"), np.float64)
    n_sections = sos.shape[0]
    ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge, min_samples = 3 * ntaps, 3 * (2 * n_sections + 1) + 1
    b, a = (np.asarray(c, np.float64) for c in sos2tf(sos))
    if _tf_matches(sos, b, a, fs, min(cut) if isinstance(cut, tuple) else cut):
        return ZeroPhaseDesign(sos, edge, min_samples, (b, a), np.asarray(lfilter_zi(b, a), np.float64))
    return ZeroPhaseDesign(sos, edge, min_samples, None, np.asarray(sosfilt_zi(sos), np.float64))


def butter_sos(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> FloatArray:
    """Second-order sections of a Butterworth design (cut-off clipped below Nyquist)."""
    return design(kind, cutoff_hz, fs, order).sos.copy()


def zero_phase(x: FloatArray, fs: float, kind: Kind, cutoff_hz: Cutoff, *, order: int = 2) -> FloatArray:
    """Forward-backward filter along axis 0 (``sosfiltfilt``'s result); inputs of at most
    3 x (2 x sections + 1) samples come back unfiltered."""
    d = design(kind, cutoff_hz, fs, order)
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < d.min_samples:
        return np.array(x, dtype=np.float64)
    e = d.edge
    ext = np.concatenate((2 * x[:1] - x[e:0:-1], x, 2 * x[-1:] - x[-2 : -(e + 2) : -1]))
    zi = d.zi.reshape(d.zi.shape + (1,) * (x.ndim - 1))
    if d.tf is not None:
        b, a = d.tf
        y, _ = lfilter(b, a, ext, axis=0, zi=zi * ext[:1])
        y, _ = lfilter(b, a, y[::-1], axis=0, zi=zi * y[-1:])
    else:
        y, _ = sosfilt(d.sos, ext, axis=0, zi=zi * ext[:1])
        y, _ = sosfilt(d.sos, y[::-1], axis=0, zi=zi * y[-1:])
    return np.asarray(y[-(e + 1) : e - 1 : -1])  # reversed back, padding cut (e >= 3)


def bandpass(x: FloatArray, fs: float, lo_hz: float, hi_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase band-pass (IMU: removes gravity/posture drift below and noise above)."""
    return zero_phase(x, fs, "band", (lo_hz, hi_hz), order=order)


def lowpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase low-pass (pose keypoints, IMU envelopes)."""
    return zero_phase(x, fs, "low", cutoff_hz, order=order)


def highpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase high-pass (removes gravity and slow drift)."""
    return zero_phase(x, fs, "high", cutoff_hz, order=order)
