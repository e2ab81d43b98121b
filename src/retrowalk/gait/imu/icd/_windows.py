"""Per-window reductions for the contact detectors, vectorised over all windows at once."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray


def _windows(lo: NDArray[np.intp], hi: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Sample indices of every window ``[lo[i], hi[i])`` as rows (padded) and which are real."""
    idx = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    return idx, idx < hi[:, None]


def argmax_in(x: NDArray[np.float64], lo: NDArray[np.intp], hi: NDArray[np.intp]) -> NDArray[np.intp]:
    """``argmax(x[lo[i]:hi[i]])`` for every window (non-empty) at once: the first maximum, as
    ``np.argmax``; one 2-D gather instead of a Python loop over steps."""
    idx, real = _windows(lo, hi)
    return np.where(real, x[np.minimum(idx, x.size - 1)], -np.inf).argmax(axis=1)


def steepest_rise_in(x: NDArray[np.float64], lo: NDArray[np.intp], hi: NDArray[np.intp]) -> NDArray[np.intp]:
    """``argmax_in`` of the central difference of ``x`` (``np.gradient``'s interior, ends repeated; at
    least 3 samples), computed only inside the windows, not over the whole signal."""
    width = hi - lo
    w = int(width.max())
    if int(width.min()) == w and int(lo.min()) >= 1 and int(hi.max()) <= x.size - 1:
        # The usual case (windows of one width, none touching an end): no padding, no
        # clipping, one gather per side.
        idx = lo[:, None] + np.arange(w)
        return (x[idx + 1] - x[idx - 1]).argmax(axis=1)
    idx, real = _windows(lo, hi)
    j = np.minimum(np.maximum(idx, 1), x.size - 2)  # (np.clip's wrapper costs more than both)
    return np.where(real, x[j + 1] - x[j - 1], -np.inf).argmax(axis=1)


@lru_cache(maxsize=16)
def _rise_offsets(w: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    return np.arange(-w + 1, 2, dtype=np.intp), np.arange(-w - 1, 0, dtype=np.intp)


def steepest_rise_before(x: NDArray[np.float64], peaks: NDArray[np.intp], w: int) -> NDArray[np.intp]:
    """The sample of steepest rise in ``[max(p - w, 0), p]`` for every peak ``p`` (sorted):
    :func:`steepest_rise_in` over those windows plus their starts. When no window is cut by
    an end (two comparisons of Python ints), the windows are ``p`` plus fixed offsets: one
    gather per side, without the general path's width and range checks."""
    if int(peaks[0]) - w >= 1 and int(peaks[-1]) + 2 <= x.size:
        ahead, behind = _rise_offsets(w)
        col = peaks[:, None]
        return peaks + ((x[col + ahead] - x[col + behind]).argmax(axis=1) - w)
    lo = np.maximum(peaks - w, 0)
    return lo + steepest_rise_in(x, lo, peaks + 1)
