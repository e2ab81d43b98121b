"""Cadence, step-time variability and asymmetry.

Left/right is unknown from one sensor, but steps alternate: within a bout odd and even step
times belong to opposite legs, so their difference is the left/right asymmetry.

Bouts may contain short breaks (turns, a door; see ``gsd``), so step times outside human
walking (0.25-1.5 s) are left out of every statistic. Cadence comes from stride times (one left
plus one right step, so left/right alternation cancels) with a robust outlier rule like the
Hampel filter mobgap uses: strides more than 30 % from the median (a missed or an extra
contact) are dropped before averaging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MIN_STEP_S = 0.25
MAX_STEP_S = 1.5
STRIDE_OUTLIER = 0.3


@dataclass(frozen=True)
class StepTimeStats:
    steps: int
    cadence_spm: float | None
    step_time_mean_s: float | None
    step_time_cv_pct: float | None
    step_time_asymmetry_pct: float | None


def _plausible(step_times: NDArray[np.float64]) -> NDArray[np.float64]:
    return step_times[(step_times >= MIN_STEP_S) & (step_times <= MAX_STEP_S)]


def _median(x: NDArray[np.float64]) -> float:
    """``np.median`` of a short array, same value: sorting a bout's strides costs a tenth of it."""
    s = np.sort(x)
    m = s.size // 2
    return float(s[m]) if s.size % 2 else float((s[m - 1] + s[m]) / 2.0)


def bout_cadence(ic_s: NDArray[np.float64], *, contacts_per_stride: int = 2) -> float:
    """Robust cadence (steps/min) of one bout from its contact times (0.0 if undefined).

    ``contacts_per_stride`` is 2 for every step's contact, 1 for one leg's contacts only.
    """
    t = np.asarray(ic_s, dtype=np.float64)
    if t.size < 2:
        return 0.0
    k = contacts_per_stride
    stride = t[k:] - t[:-k]
    stride = stride[(stride >= 2 * MIN_STEP_S) & (stride <= 2 * MAX_STEP_S)]
    if stride.size >= 2:
        med = _median(stride)
        kept = stride[np.abs(stride - med) <= STRIDE_OUTLIER * med]
        return 120.0 / (float(kept.sum() / kept.size) if kept.size else med)  # np.mean's value
    st = _plausible((t[1:] - t[:-1]) * 2 / k)
    return 60.0 / _median(st) if st.size else 0.0


def step_time_stats(
    bouts_ic_s: Sequence[NDArray[np.float64]],
    *,
    cadences: Sequence[float] | None = None,
    contacts_per_stride: int = 2,
) -> StepTimeStats:
    """Pool step times over bouts (never across the pause between two bouts).

    Overall cadence is the contact-weighted mean of the bout cadences (``cadences`` if the
    caller already has them). With one leg's contacts (``contacts_per_stride=1``) a step time is
    half a stride, steps are two per contact, and asymmetry is unknown (``None``).
    """
    k = contacts_per_stride
    # Slices, not np.diff (its wrapper costs more than the subtraction); x * (k / 2) rounds
    # as x * k / 2 does (a halving is exact).
    step_times = [_plausible((b[1:] - b[:-1]) * (k / 2)) for b in bouts_ic_s if b.size >= 2]
    step_times = [st for st in step_times if st.size]
    steps = int(sum(b.size for b in bouts_ic_s)) * (2 // k)
    if not step_times:
        return StepTimeStats(steps, None, None, None, None)
    allt = np.concatenate(step_times)
    mean = float(allt.mean())
    if cadences is None:
        cadences = [bout_cadence(b, contacts_per_stride=k) for b in bouts_ic_s]
    cads = [(c, b.size) for c, b in zip(cadences, bouts_ic_s, strict=True) if b.size >= 2]
    w = sum(n for c, n in cads if c > 0)
    cadence = sum(c * n for c, n in cads if c > 0) / w if w else 60.0 / mean
    dev = allt - mean  # np.std(ddof=1) from the mean above, same value, one pass fewer
    cv = float(100.0 * np.sqrt((dev * dev).sum() / (allt.size - 1)) / mean) if allt.size >= 3 else None
    asym_num = 0.0
    asym_w = 0
    for st in step_times if k == 2 else []:
        if st.size >= 4:
            a, b = st[0::2], st[1::2]  # sum / size: np.mean's value without its overhead
            gap = abs(a.sum() / a.size - b.sum() / b.size)
            asym_num += float(gap / (st.sum() / st.size) * 100.0) * st.size
            asym_w += st.size
    asym = asym_num / asym_w if asym_w else None
    return StepTimeStats(steps, cadence, mean, cv, asym)
