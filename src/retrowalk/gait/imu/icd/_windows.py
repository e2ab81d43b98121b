"""Per-window reductions for the contact detectors, vectorised over all windows at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def argmax_in(x: NDArray[np.float64], lo: NDArray[np.intp], hi: NDArray[np.intp]) -> NDArray[np.intp]:
    """``argmax(x[lo[i]:hi[i]])`` for every window (non-empty) at once: the first maximum, as
    ``np.argmax``; one 2-D gather instead of a Python loop over steps."""
    idx = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    vals = np.where(idx < hi[:, None], x[np.minimum(idx, x.size - 1)], -np.inf)
    return np.argmax(vals, axis=1)
