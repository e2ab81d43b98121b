"""Walking bouts as runs of regularly spaced initial contacts.

Walking is periodic: a run of at least ``min_contacts`` impacts whose intervals stay within
human step times (0.25-1.5 s) and do not jump by more than ``max_ratio`` between neighbours.
Isolated impacts (sitting down, a bump) never form a bout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class GsdStepRuns:
    min_contacts: int = 5
    min_step_s: float = 0.25
    max_step_s: float = 1.5
    max_ratio: float = 1.8

    def detect(self, data: NDArray[np.int64], *, sampling_rate_hz: float) -> list[tuple[int, int]]:
        """Group sorted IC indices into bouts; returns (first_ic_pos, last_ic_pos) into ``data``."""
        ics = np.asarray(data, dtype=np.int64)
        if ics.size < self.min_contacts:
            return []
        dt = np.diff(ics) / sampling_rate_hz
        ok = (dt >= self.min_step_s) & (dt <= self.max_step_s)
        ratio = np.ones_like(dt)
        ratio[1:] = np.maximum(dt[1:] / dt[:-1], dt[:-1] / dt[1:])
        # A break where the rhythm jumps; the first interval of a run has no neighbour to compare.
        bouts: list[tuple[int, int]] = []
        start = 0
        for k in range(dt.size):
            breaks = not ok[k] or (k > start and ratio[k] > self.max_ratio)
            if breaks:
                if k - start + 1 >= self.min_contacts:
                    bouts.append((start, k))
                start = k + 1 if not ok[k] else k
        if ics.size - start >= self.min_contacts:
            bouts.append((start, ics.size - 1))
        return bouts
