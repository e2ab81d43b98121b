"""Walking bouts from initial contacts: regular step runs, merged across short breaks.

Walking is periodic, so a bout needs a *core*: at least ``min_core_steps`` consecutive step
intervals within human step times (0.25-1.5 s) whose neighbours differ by at most
``max_ratio`` (isolated impacts such as sitting down or a bump never form one). Daily-life
walking is not that regular: turns, doors and obstacles bring a slow or shuffling step or a
short stop. As in the Mobilise-D walking-bout definition, a break shorter than ``max_break_s``
(3 s) does not end a bout, so neighbouring cores are merged together with the contacts between
them; bout edges extend over slower start/stop steps (``extend_step_s`` 2 s, i.e. down to
30 steps/min). A bout is kept when it has at least ``min_contacts`` contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

# Below this many contacts the rules run on Python numbers: NumPy's per-call cost (about a
# microsecond, some 25 calls) is more than the one-pass loop; within the pipeline the two break
# even near 250 contacts (measured on synthetic walks of 70-250 contacts). Same results.
SMALL = 256


@dataclass(frozen=True)
class GsdStepRuns:
    min_contacts: int = 5
    min_core_steps: int = 3
    min_step_s: float = 0.25
    max_step_s: float = 1.5
    max_ratio: float = 1.8
    max_break_s: float = 3.0
    extend_step_s: float = 2.0

    def detect(self, data: NDArray[np.int64], *, sampling_rate_hz: float) -> list[tuple[int, int]]:
        """Group sorted IC indices into bouts; returns (first_ic_pos, last_ic_pos) into ``data``."""
        ics = np.asarray(data, dtype=np.int64)
        if ics.size < self.min_contacts:
            return []
        if ics.size < SMALL and self.min_step_s > 0:  # (> 0: no interval of 0 to divide by)
            return self._detect_list(ics.tolist(), sampling_rate_hz)
        dt = (ics[1:] - ics[:-1]) / sampling_rate_hz
        ok = (dt >= self.min_step_s) & (dt <= self.max_step_s)
        # An interval is regular when it is plausible and close to one plausible neighbour:
        # close[k + 1] says intervals k and k + 1 are both plausible and in rhythm (ratio).
        a, b = dt[:-1], dt[1:]
        close = np.zeros(dt.size + 1, dtype=bool)
        close[1:-1] = ok[1:] & ok[:-1] & (np.maximum(b / a, a / b) <= self.max_ratio)
        # Runs of regular intervals (vectorised run-length encoding): interval k is regular
        # when close[k] or close[k + 1], and sits at padded[k + 1], between two False.
        padded = np.zeros(dt.size + 2, dtype=bool)
        np.logical_or(close[:-1], close[1:], out=padded[1:-1])
        bounds = (padded[1:] != padded[:-1]).nonzero()[0]
        starts, stops = bounds[0::2], bounds[1::2]  # stops: exclusive interval index
        keep = stops - starts >= self.min_core_steps
        starts, stops = starts[keep], stops[keep]
        if starts.size == 0:
            return []
        # Interval k spans contacts k..k+1, so a core covers contacts start..stop. Gait
        # initiation and termination steps are slower and irregular: extend each core over
        # neighbouring contacts that follow each other within a human step time.
        chain = np.zeros(ics.size, dtype=np.int64)  # chain id of each contact
        (dt > self.extend_step_s).cumsum(out=chain[1:])
        first = chain.searchsorted(chain[starts], side="left")
        last = chain.searchsorted(chain[stops], side="right") - 1
        gaps = (ics[first[1:]] - ics[last[:-1]]) / sampling_rate_hz
        cut = (gaps > self.max_break_s).nonzero()[0].tolist()  # bout k ends at core cut[k]
        b_first = first[[0, *(c + 1 for c in cut)]].tolist()
        b_last = last[[*cut, last.size - 1]].tolist()
        return [(a, b) for a, b in zip(b_first, b_last, strict=True) if b - a + 1 >= self.min_contacts]

    def _detect_list(self, ics: list[int], fs: float) -> list[tuple[int, int]]:
        """:meth:`detect` on Python numbers (few contacts), rule for rule, in one pass."""
        dt = [(b - a) / fs for a, b in pairwise(ics)]
        lo, hi, ratio, ext = self.min_step_s, self.max_step_s, self.max_ratio, self.extend_step_s
        need = self.min_core_steps
        # Interval k is regular when it and a neighbour are plausible and in rhythm: close_next
        # (intervals k and k + 1) or close_prev (k - 1 and k), False past either end. A ratio
        # of two positive numbers: the larger over the smaller is the max of both quotients.
        cores: list[tuple[int, int]] = []  # (first, last) contact of each run of regular intervals
        start = -1
        close_prev = False
        ok_a = bool(dt) and lo <= dt[0] <= hi
        for k, (a, b) in enumerate(pairwise(dt)):
            ok_b = lo <= b <= hi
            close_next = ok_a and ok_b and (b / a if b > a else a / b) <= ratio
            if close_prev or close_next:
                if start < 0:
                    start = k
            elif start >= 0:
                if k - start >= need:
                    cores.append((start, k))
                start = -1
            close_prev, ok_a = close_next, ok_b
        k = len(dt) - 1  # the last interval: regular only through its left neighbour
        if close_prev:
            start = k if start < 0 else start
            if len(dt) - start >= need:
                cores.append((start, len(dt)))
        elif start >= 0 and k - start >= need:
            cores.append((start, k))
        if not cores:
            return []
        # Each core extends over its chain of contacts at most extend_step_s apart.
        first, last = [], []
        for a, b in cores:
            while a > 0 and dt[a - 1] <= ext:
                a -= 1
            while b < len(dt) and dt[b] <= ext:
                b += 1
            first.append(a)
            last.append(b)
        b_first, b_last = [first[0]], []
        for j in range(len(cores) - 1):
            if (ics[first[j + 1]] - ics[last[j]]) / fs > self.max_break_s:
                b_last.append(last[j])
                b_first.append(first[j + 1])
        b_last.append(last[-1])
        return [(a, b) for a, b in zip(b_first, b_last, strict=True) if b - a + 1 >= self.min_contacts]
