"""Initial contacts from the rotation-invariant acceleration norm.

Each foot contact sends an impact up the body. A smooth band (0.5-3 Hz) finds one peak per
step robustly; the contact is then placed at the steepest rise of a wider band (0.5-5 Hz) just
before that peak, which is where the impact starts (checked against INDIP references on the
Mobilise-D example data: median offset about 0 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from retrowalk.gait.imu.preprocessing import acc_norm_dynamic, bandpass


@dataclass(frozen=True)
class IcdNormPeak:
    min_step_s: float = 0.25
    min_peak_ms2: float = 0.3
    rel_prominence: float = 0.25
    refine_window_s: float = 0.2

    def detect(self, data: NDArray[np.float64], *, sampling_rate_hz: float) -> NDArray[np.int64]:
        """Return candidate initial contacts (sample indices) for an (n, 3) acc array in m/s²."""
        fs = sampling_rate_hz
        if data.shape[0] < int(3 * fs):
            return np.zeros(0, dtype=np.int64)
        norm = acc_norm_dynamic(data, fs)
        smooth = bandpass(norm, fs, 0.5, 3.0)
        sharp = np.gradient(bandpass(norm, fs, 0.5, 5.0))
        # Prominence relative to a local amplitude so quiet and vigorous walking both work.
        env = np.sqrt(np.convolve(smooth**2, np.ones(int(2 * fs)) / int(2 * fs), mode="same"))
        peaks, _ = signal.find_peaks(
            smooth, distance=max(int(self.min_step_s * fs), 1), height=self.min_peak_ms2
        )
        if peaks.size == 0:
            return np.zeros(0, dtype=np.int64)
        prom = signal.peak_prominences(smooth, peaks)[0]
        peaks = peaks[prom >= self.rel_prominence * env[peaks]]
        w = max(int(self.refine_window_s * fs), 1)
        out = np.empty(peaks.size, dtype=np.int64)
        for k, p in enumerate(peaks):
            lo = max(p - w, 0)
            out[k] = lo + int(np.argmax(sharp[lo : p + 1]))
        return np.unique(out)
