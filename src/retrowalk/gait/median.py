"""``np.median`` of finite values without its NaN check, which imports ``numpy.ma`` on first use.

Why: ``numpy.ma`` is about 10 ms of ``retrowalk gait imu``'s start-up (issue #19, 0.3 s budget)
and the readers and stages that call this have dropped NaNs already. The value is NumPy's own:
the same partition, the middle value or the mean of the two middle values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def median(x: NDArray[np.float64]) -> float:
    """The median of a non-empty array of finite numbers (flattened), as ``np.median`` gives it."""
    flat = np.ravel(x)
    k = flat.size // 2
    if flat.size % 2:
        return float(np.partition(flat, k)[k])
    part = np.partition(flat, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2.0)
