"""Cadence, step-time variability and asymmetry.

Left/right is unknown from one sensor, but steps alternate: within a bout odd and even step
times belong to opposite legs, so their difference is the left/right asymmetry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class StepTimeStats:
    steps: int
    cadence_spm: float | None
    step_time_mean_s: float | None
    step_time_cv_pct: float | None
    step_time_asymmetry_pct: float | None


def bout_cadence(ic_s: NDArray[np.float64]) -> float:
    span = float(ic_s[-1] - ic_s[0])
    return 60.0 * (ic_s.size - 1) / span if span > 0 else 0.0


def step_time_stats(bouts_ic_s: Sequence[NDArray[np.float64]]) -> StepTimeStats:
    """Pool step times over bouts (never across the pause between two bouts)."""
    step_times = [np.diff(b) for b in bouts_ic_s if b.size >= 2]
    steps = int(sum(b.size for b in bouts_ic_s))
    if not step_times:
        return StepTimeStats(steps, None, None, None, None)
    allt = np.concatenate(step_times)
    mean = float(allt.mean())
    cadence = 60.0 / mean
    cv = float(100.0 * allt.std(ddof=1) / mean) if allt.size >= 3 else None
    asym_num = 0.0
    asym_w = 0
    for st in step_times:
        if st.size >= 4:
            a, b = st[0::2], st[1::2]
            asym_num += float(abs(a.mean() - b.mean()) / st.mean() * 100.0) * st.size
            asym_w += st.size
    asym = asym_num / asym_w if asym_w else None
    return StepTimeStats(steps, cadence, mean, cv, asym)
