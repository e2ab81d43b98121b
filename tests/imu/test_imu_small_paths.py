"""The Python-list paths for short inputs give the NumPy paths' values bit for bit.

Bouts, cadence and step-time statistics of a few dozen contacts run on Python floats (NumPy's
per-call cost is more than the loop); long recordings keep the vectorised code. Both must agree
exactly, so these tests run each on the same inputs with the size threshold moved.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.gait.imu.params import _algo as params
from retrowalk.gait.imu.params._algo import _sum, bout_cadence, step_time_stats


def _contacts(seed: int, n: int, jitter: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.choice([0.55, 0.6, 0.65], n) * (1 + rng.normal(0, jitter, n))
    steps[rng.random(n) < 0.1] *= rng.choice([0.3, 2.0, 3.5])  # missed and extra contacts
    return 3.0 + np.cumsum(np.abs(steps))


@given(st.integers(0, 400), st.integers(0, 10**6))
@settings(max_examples=300, deadline=None)
def test_sum_is_numpys(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n) * 10.0 ** rng.uniform(-6, 6, n)
    assert _sum(x.tolist()) == float(x.sum())


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("jitter", [0.02, 0.3])
def test_cadence_and_stats_paths_agree(monkeypatch: pytest.MonkeyPatch, k: int, jitter: float) -> None:
    for seed in range(60):
        bouts = [
            _contacts(seed * 7 + i, int(n), jitter)
            for i, n in enumerate([1, 2, 3, 5, 9, 40, 130][: seed % 7 + 1])
        ]
        monkeypatch.setattr(params, "SMALL", 10**9)
        small = (
            [bout_cadence(b, contacts_per_stride=k) for b in bouts],
            step_time_stats(bouts, contacts_per_stride=k),
        )
        monkeypatch.setattr(params, "SMALL", 0)
        large = (
            [bout_cadence(b, contacts_per_stride=k) for b in bouts],
            step_time_stats(bouts, contacts_per_stride=k),
        )
        assert small == large


@pytest.mark.parametrize("per_leg", [False, True])
def test_bout_paths_agree(monkeypatch: pytest.MonkeyPatch, per_leg: bool) -> None:
    from retrowalk.gait.imu.gsd import _algo as gsd
    from retrowalk.gait.imu.pipeline import STEP_BOUTS, STRIDE_BOUTS

    rules = STRIDE_BOUTS if per_leg else STEP_BOUTS
    for seed in range(200):
        rng = np.random.default_rng(seed)
        parts = [_contacts(seed * 3 + i, int(rng.integers(1, 40)), 0.4 * rng.random()) for i in range(4)]
        t = np.concatenate([p + 20.0 * i * rng.random() for i, p in enumerate(parts)])
        ics = np.unique((np.sort(t) * (1 + per_leg) * 100).round().astype(np.int64))
        monkeypatch.setattr(gsd, "SMALL", 10**9)
        small = rules.detect(ics, sampling_rate_hz=100.0)
        monkeypatch.setattr(gsd, "SMALL", 0)
        assert small == rules.detect(ics, sampling_rate_hz=100.0)
