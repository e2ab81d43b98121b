"""Compare detected initial contacts with a reference (one-to-one within a tolerance)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel


class IcMatch(BaseModel):
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: IcMatch) -> IcMatch:
        return IcMatch(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)


def match_initial_contacts(
    detected_s: Sequence[float], reference_s: Sequence[float], *, tolerance_s: float = 0.1
) -> IcMatch:
    """Greedy nearest-pair matching (both lists sorted), each event used at most once."""
    det = np.sort(np.asarray(detected_s, dtype=float))
    ref = np.sort(np.asarray(reference_s, dtype=float))
    if det.size == 0 or ref.size == 0:
        return IcMatch(tp=0, fp=int(det.size), fn=int(ref.size))
    d = np.abs(det[:, None] - ref[None, :])
    pairs = np.argwhere(d <= tolerance_s)
    order = np.argsort(d[pairs[:, 0], pairs[:, 1]], kind="stable")
    used_d: set[int] = set()
    used_r: set[int] = set()
    for i, j in pairs[order]:
        if int(i) not in used_d and int(j) not in used_r:
            used_d.add(int(i))
            used_r.add(int(j))
    tp = len(used_d)
    return IcMatch(tp=tp, fp=int(det.size) - tp, fn=int(ref.size) - tp)
