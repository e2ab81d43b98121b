"""Peak finding with ``scipy.signal.find_peaks`` / ``peak_prominences`` semantics, in NumPy only.

Why hand-written: ``import scipy.signal`` takes about 0.9 s, three times the 0.3 s start-up
budget of ``retrowalk gait imu`` (issue #19); the gait engines need only these two functions.
Property tests check them against scipy (which stays installed for tests).

Semantics kept: a peak is a sample (or the middle of a flat run, rounded down) with strictly
lower neighbours; ``height`` keeps peaks at or above it; ``distance`` removes the lower peak of
every pair closer than ``ceil(distance)`` samples, highest first (ties in scipy's
``np.argsort`` order); a prominence is the peak's height above the higher of the two lowest
points between it and the nearest strictly higher sample on each side (or the signal's ends, or
``wlen // 2`` samples when ``wlen`` is given).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def local_maxima(x: FloatArray) -> IntArray:
    """Indices of every local maximum; a flat top gives its middle sample (rounded down)."""
    d = x[1:] - x[:-1]  # np.diff's value; methods below: no wrapper calls on this hot path
    if not (d == 0).any():  # no flat runs (filtered signals): a rise then a fall
        return ((d[:-1] > 0) & (d[1:] < 0)).nonzero()[0] + 1
    nz = (d != 0).nonzero()[0]  # NaN counts as a change and is neither a rise nor a fall
    dn = d[nz]
    top = ((dn[:-1] > 0) & (dn[1:] < 0)).nonzero()[0]  # a rise, a flat run (maybe empty), a fall
    return ((nz[top] + 1 + nz[top + 1]) // 2).astype(np.intp)


def _select_by_distance(peaks: IntArray, priority: FloatArray, distance: int) -> NDArray[np.bool_]:
    """scipy's ``_select_by_peak_distance``: visit peaks highest first (``np.argsort`` order, so
    ties fall as in scipy) and drop every peak closer than ``distance`` to a kept one. A plain
    loop over Python lists: a recording has a few peaks per second, and NumPy's per-call cost
    on such short arrays is more than the loop."""
    close = peaks[1:] - peaks[:-1] < distance
    if not close.any():  # no pair too close (the usual case)
        return np.ones(peaks.size, dtype=bool)
    # A peak with no other within `distance` is kept whatever the order: only peaks with a
    # close neighbour are visited, in the same (global argsort) order, so ties fall as before.
    near = np.zeros(peaks.size, dtype=bool)
    near[1:] = close
    near[:-1] |= close
    order = np.argsort(priority)
    pos = peaks.tolist()
    n = len(pos)
    keep = [True] * n
    for j in reversed(order[near[order]].tolist()):
        if not keep[j]:
            continue
        p = pos[j]
        k = j - 1
        while k >= 0 and p - pos[k] < distance:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < n and pos[k] - p < distance:
            keep[k] = False
            k += 1
    return np.array(keep, dtype=bool)


def _extents(pos: IntArray, v: FloatArray, n: int) -> tuple[list[int], list[int]]:
    """For each candidate, the samples from just after the nearest strictly higher candidate
    before it (or 0) to just before the nearest strictly higher one after it (or ``n - 1``):
    one pass of the monotonic stack over the few candidates (local maxima as high as the
    lowest peak). A candidate popped by an equal one shares that one's higher one after."""
    vals, where = v.tolist(), pos.tolist()
    lo, hi = [0] * len(vals), [n - 1] * len(vals)
    equal: list[tuple[int, int]] = []
    stack: list[int] = []
    for i, x in enumerate(vals):
        while stack and vals[stack[-1]] <= x:
            j = stack.pop()
            if vals[j] < x:
                hi[j] = where[i] - 1
            else:
                equal.append((j, i))
        if stack:
            lo[i] = where[stack[-1]] + 1
        stack.append(i)
    for j, i in reversed(equal):  # later pairs first: i's own answer is final by then
        hi[j] = hi[i]
    return lo, hi


def peak_prominences(
    x: FloatArray,
    peaks: IntArray,
    *,
    wlen: float | None = None,
    maxima: IntArray | None = None,
    among_maxima: bool = False,
) -> FloatArray:
    """``scipy.signal.peak_prominences(x, peaks, wlen)[0]`` for finite ``x`` (``maxima``:
    ``local_maxima(x)`` when the caller has it already; ``among_maxima``: the caller knows
    the peaks are local maxima in increasing order, as :func:`find_peaks`'s are, so that is
    not checked again).

    scipy walks out from each peak until a strictly higher sample. That sample is never past
    the nearest strictly higher local maximum (or the signal's end), and everything between
    the two is higher than the peak, so the base on each side is the minimum from that maximum
    to the peak: the nearest higher maximum comes from :func:`_extents` over the local
    maxima at least as high as the lowest peak (and the peaks), the minimum from
    ``np.minimum.reduceat``.
    """
    x = np.asarray(x, dtype=np.float64)
    peaks = np.asarray(peaks, dtype=np.intp)
    n = x.size
    if peaks.size == 0:
        return np.zeros(0)
    half = _half_window(wlen)
    mx = local_maxima(x) if maxima is None else maxima
    vals = x[mx]
    if among_maxima or (mx.size and (mx[np.minimum(mx.searchsorted(peaks), mx.size - 1)] == peaks).all()):
        level = x[peaks]  # every peak is a local maximum (so a valid index)
        high = vals >= level.min()  # lower maxima are never higher than a peak
        pos, v = mx[high], vals[high]
    else:
        if peaks.min() < 0 or peaks.max() >= n:
            raise ValueError(f"peak index out of range for a signal of {n} samples")
        level = x[peaks]
        pos = np.union1d(mx[vals >= level.min()], peaks)
        v = x[pos]
    lo_at, hi_at = _extents(pos, v, n)
    if among_maxima and half is None and pos.size == peaks.size:
        # The candidates are the peaks themselves (increasing, so pos == peaks): the bounds
        # need no lookup. [lo, peak), [peak], [peak, hi), ... for reduceat, a row per peak.
        rows = np.empty((peaks.size, 4), np.intp)
        rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = lo_at, peaks, peaks, hi_at
        idx = rows.ravel()
        hi = rows[:, 3]
    else:
        at = pos.searchsorted(peaks)
        lo, hi = np.array(lo_at, dtype=np.intp)[at], np.array(hi_at, dtype=np.intp)[at]
        if half is not None:
            lo, hi = np.maximum(lo, peaks - half), np.minimum(hi, peaks + half)
        idx = np.empty(4 * peaks.size, np.intp)  # [lo, peak), [peak], [peak, hi), ... for reduceat
        idx[0::4], idx[1::4], idx[2::4], idx[3::4] = lo, peaks, peaks, hi
    seg = np.minimum.reduceat(x, idx)  # a segment whose end is not after its start gives x[start]
    left_min = np.minimum(seg[0::4], level)  # min(x[lo..peak]); x[peak] closes [lo, peak)
    right_min = np.minimum(seg[2::4], x[hi])  # min(x[peak..hi])
    return level - np.maximum(left_min, right_min)


def _half_window(wlen: float | None) -> int | None:
    if wlen is None:
        return None
    if not wlen > 1:
        raise ValueError(f"wlen must be larger than 1, was {wlen}")
    w = math.ceil(wlen)
    return w // 2 if w >= 2 else None


def find_peaks(
    x: FloatArray,
    *,
    height: float | None = None,
    distance: float | None = None,
    prominence: float | None = None,
    maxima: IntArray | None = None,
) -> IntArray:
    """``scipy.signal.find_peaks(x, height=, distance=, prominence=)[0]`` (minimums only;
    ``maxima``: ``local_maxima(x)`` when the caller has it already)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"find_peaks needs a 1-D signal, got shape {x.shape}")
    if distance is not None and distance < 1:
        raise ValueError("distance must be at least 1")
    peaks = mx = local_maxima(x) if maxima is None else maxima
    if height is not None:
        top = x[peaks]
        keep = top >= height
        peaks, top = peaks[keep], top[keep]
    if distance is not None and peaks.size > 1:
        peaks = peaks[_select_by_distance(peaks, x[peaks] if height is None else top, math.ceil(distance))]
    if prominence is not None:
        peaks = peaks[peak_prominences(x, peaks, maxima=mx, among_maxima=True) >= prominence]
    return peaks
