"""Initial contacts of one leg from a foot or shank sensor: one contact per stride.

A foot or shank sensor sees its own leg's swing and both legs' impacts (its own strongly, the
other one weakly, plus a push-off burst), so "one impact peak per step" fails there: the
impacts come about 0.35 s and 0.75 s apart, never a regular rhythm. What is unique to the
sensor's own leg is the swing: the segment turns faster than at any other time of the stride.
So the stride is found from the swing (the angular-velocity norm, low-passed at 2 Hz so push-off
and swing make one hump; orientation-free) and the contact is the impact that ends it: the
largest acceleration-norm peak after the swing peak, within ``impact_window_s`` or half-way to
the next swing, whichever is later, placed at the
steepest rise of the impact just before that peak (where the heel meets the ground; the same
rule as the norm-peak detector). Without a gyroscope the acceleration-norm envelope stands in
for the swing (less selective).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from retrowalk.gait.filters import highpass, lowpass
from retrowalk.gait.imu.icd._windows import argmax_in, steepest_rise_in
from retrowalk.gait.median import median
from retrowalk.gait.peaks import find_peaks, peak_prominences

DEG = np.pi / 180.0


@dataclass(frozen=True)
class IcdSwingImpact:
    min_stride_s: float = 0.5
    min_swing_rad_s: float = 60 * DEG
    rel_prominence: float = 0.3
    max_stride_s: float = 3.0
    rel_distance: float = 0.6
    impact_window_s: float = 0.45
    rise_window_s: float = 0.05

    def detect(
        self, data: NDArray[np.float64], *, gyr: NDArray[np.float64] | None, sampling_rate_hz: float
    ) -> NDArray[np.int64]:
        """Sample indices of this leg's contacts; ``data`` is (n, 3) acc in m/s², gyr in rad/s."""
        fs = sampling_rate_hz
        if data.shape[0] < int(3 * fs):
            return np.zeros(0, dtype=np.int64)
        acc_norm = np.sqrt(np.einsum("ij,ij->i", data, data))
        impact = highpass(acc_norm, fs, 0.5)
        if gyr is not None:
            swing = lowpass(np.sqrt(np.einsum("ij,ij->i", gyr, gyr)), fs, 2.0)
            height = self.min_swing_rad_s
        else:
            swing = lowpass(np.abs(impact), fs, 2.0)
            height = 0.5
        # Slow walking splits a stride's rotation into two humps: one peak per typical stride.
        stride = self._typical_stride(swing, fs)
        dist = max(int(self.min_stride_s * fs), int(self.rel_distance * stride * fs), 1)
        peaks = find_peaks(swing, distance=dist, height=height)
        if peaks.size == 0:
            return np.zeros(0, dtype=np.int64)
        prom = peak_prominences(swing, peaks)
        peaks = peaks[prom >= self.rel_prominence * median(swing[peaks])]
        smooth = lowpass(impact, fs, 30.0)
        w_imp, w_rise = int(self.impact_window_s * fs), max(int(self.rise_window_s * fs), 1)
        # The last swing has no next one: assume the same stride as the one before.
        last = int(peaks[-1]) + (int(peaks[-1] - peaks[-2]) if peaks.size > 1 else 2 * w_imp)
        nxt = np.append(peaks[1:], min(last, impact.size))
        # Slow strides end later after their swing peak: up to half-way to the next swing.
        hi = np.minimum(peaks + np.maximum(w_imp, (nxt - peaks) // 2), nxt)
        ok = hi - peaks >= 3
        p, hi = peaks[ok], hi[ok]
        if p.size == 0:
            return np.zeros(0, dtype=np.int64)
        top = p + argmax_in(impact, p, hi)  # the impact: largest peak in each window
        lo = np.maximum(top - w_rise, p)
        return np.unique(lo + steepest_rise_in(smooth, lo, top + 1)).astype(np.int64)

    def _typical_stride(self, swing: NDArray[np.float64], fs: float) -> float:
        """The dominant period (s) of the swing signal between the stride limits (autocorrelation)."""
        x = swing - swing.mean()
        lo, hi = int(self.min_stride_s * fs), min(int(self.max_stride_s * fs), x.size - 1)
        if hi <= lo:
            return self.min_stride_s
        spec = np.fft.rfft(x, n=2 * x.size)
        ac = np.fft.irfft(spec * np.conj(spec))[lo : hi + 1]
        return (lo + int(np.argmax(ac))) / fs
