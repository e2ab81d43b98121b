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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
from numpy.typing import NDArray

MIN_STEP_S = 0.25
MAX_STEP_S = 1.5
STRIDE_OUTLIER = 0.3
# Below this many contacts a bout's arithmetic runs on Python floats: NumPy's per-call cost
# (about a microsecond) is more than a loop over a few dozen contacts. The two paths give the
# same values bit for bit (same operations in the same order; sums as NumPy's, see _sum).
SMALL = 256
Contacts = NDArray[np.float64] | list[float]  # one bout's contact times (s); lists on the short path


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


def _sum(x: list[float], lo: int = 0, n: int = -1) -> float:
    """``np.sum`` of a float64 array, bit for bit, over a Python list: NumPy's pairwise
    summation (sequential below 8 values; 8 interleaved partial sums per block of at most
    128; halves, cut at a multiple of 8, above). Python's ``sum`` adds in another order."""
    if n < 0:
        n = len(x)
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += x[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = x[lo : lo + 8]
        i, stop = lo + 8, lo + n - n % 8
        while i < stop:
            r0 += x[i]
            r1 += x[i + 1]
            r2 += x[i + 2]
            r3 += x[i + 3]
            r4 += x[i + 4]
            r5 += x[i + 5]
            r6 += x[i + 6]
            r7 += x[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for j in range(stop, lo + n):
            res += x[j]
        return res
    half = n // 2
    half -= half % 8
    return _sum(x, lo, half) + _sum(x, lo + half, n - half)


def _median_list(x: list[float]) -> float:
    s = sorted(x)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2.0


def _bout_cadence_list(t: list[float], k: int) -> float:
    """:func:`bout_cadence` on Python floats (a short bout), the same operations in order."""
    lo, hi = 2 * MIN_STEP_S, 2 * MAX_STEP_S
    stride = [d for a, b in zip(t, t[k:], strict=False) if lo <= (d := b - a) <= hi]
    if len(stride) >= 2:
        med = _median_list(stride)
        tol = STRIDE_OUTLIER * med
        kept = [d for d in stride if -tol <= d - med <= tol]  # |d - med| <= tol, no abs() call
        return 120.0 / (_sum(kept) / len(kept) if kept else med)
    st = [d for a, b in pairwise(t) if MIN_STEP_S <= (d := (b - a) * 2 / k) <= MAX_STEP_S]
    return 60.0 / _median_list(st) if st else 0.0


def bout_cadence(ic_s: Contacts, *, contacts_per_stride: int = 2) -> float:
    """Robust cadence (steps/min) of one bout from its contact times (0.0 if undefined).

    ``contacts_per_stride`` is 2 for every step's contact, 1 for one leg's contacts only.
    """
    if len(ic_s) < 2:
        return 0.0
    if len(ic_s) < SMALL:
        return _bout_cadence_list(ic_s if isinstance(ic_s, list) else ic_s.tolist(), contacts_per_stride)
    t = np.asarray(ic_s, dtype=np.float64)
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
    bouts_ic_s: Sequence[Contacts],
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
    sizes = [len(b) for b in bouts_ic_s]
    contacts = sum(sizes)
    steps = contacts * (2 // k)
    if contacts < SMALL:
        found = _spread_list([b if isinstance(b, list) else b.tolist() for b in bouts_ic_s], k)
    else:
        found = _spread_array([np.asarray(b, dtype=np.float64) for b in bouts_ic_s], k)
    if found is None:
        return StepTimeStats(steps, None, None, None, None)
    mean, cv, asym = found
    if cadences is None:
        cadences = [bout_cadence(b, contacts_per_stride=k) for b in bouts_ic_s]
    cads = [(c, n) for c, n in zip(cadences, sizes, strict=True) if n >= 2]
    w = sum(n for c, n in cads if c > 0)
    cadence = sum(c * n for c, n in cads if c > 0) / w if w else 60.0 / mean
    return StepTimeStats(steps, cadence, mean, cv, asym)


Spread = tuple[float, float | None, float | None]  # mean step time, its CV %, asymmetry %


def _spread_array(bouts_ic_s: Sequence[NDArray[np.float64]], k: int) -> Spread | None:
    # Slices, not np.diff (its wrapper costs more than the subtraction); x * (k / 2) rounds
    # as x * k / 2 does (a halving is exact).
    step_times = [_plausible((b[1:] - b[:-1]) * (k / 2)) for b in bouts_ic_s if b.size >= 2]
    step_times = [st for st in step_times if st.size]
    if not step_times:
        return None
    allt = np.concatenate(step_times)
    mean = float(allt.mean())
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
    return mean, cv, (asym_num / asym_w if asym_w else None)


def _spread_list(bouts_ic_s: list[list[float]], k: int) -> Spread | None:
    """:func:`_spread_array` on Python floats (few contacts), the same operations in order."""
    half = k / 2
    step_times: list[list[float]] = []
    for t in bouts_ic_s:
        if half == 1.0:  # x * 1.0 is x: the product is skipped, the values are the same
            st = [d for x, y in pairwise(t) if MIN_STEP_S <= (d := y - x) <= MAX_STEP_S]
        else:
            st = [d for x, y in pairwise(t) if MIN_STEP_S <= (d := (y - x) * half) <= MAX_STEP_S]
        if st:
            step_times.append(st)
    if not step_times:
        return None
    allt = list(chain.from_iterable(step_times))
    n = len(allt)
    mean = _sum(allt) / n
    cv = 100.0 * math.sqrt(_sum([(e := d - mean) * e for d in allt]) / (n - 1)) / mean if n >= 3 else None
    asym_num = 0.0
    asym_w = 0
    for st in step_times if k == 2 else []:
        if len(st) >= 4:
            odd, even = st[0::2], st[1::2]
            gap = abs(_sum(odd) / len(odd) - _sum(even) / len(even))
            asym_num += gap / (_sum(st) / len(st)) * 100.0 * len(st)
            asym_w += len(st)
    return mean, cv, (asym_num / asym_w if asym_w else None)
