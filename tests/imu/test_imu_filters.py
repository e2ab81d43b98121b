"""The shared zero-phase filter and the exact shortcuts of the contact detectors.

``retrowalk.gait.filters`` caches what ``scipy.signal.sosfiltfilt`` recomputes per call and
filters with ``lfilter`` where the transfer function reproduces the sections: its output must
still be ``sosfiltfilt``'s. The detector's two-pass prominence test must decide like
``peak_prominences`` on the whole signal, and the windowed argmax like a loop over windows.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import find_peaks, peak_prominences, sosfiltfilt

from retrowalk.gait import filters
from retrowalk.gait.imu.icd._algo import _prominent
from retrowalk.gait.imu.icd._windows import argmax_in

RATES = st.sampled_from([20.0, 30.0, 50.0, 100.0, 120.0, 204.8, 240.0, 1000.0])


@st.composite
def designs(draw: st.DrawFn) -> tuple[filters.Kind, filters.Cutoff, float, int]:
    fs = draw(RATES)
    kind = draw(st.sampled_from(["low", "high", "band"]))
    lo = draw(st.floats(0.05, 0.2 * fs))
    cut: filters.Cutoff = (lo, draw(st.floats(lo * 1.5, 0.6 * fs))) if kind == "band" else lo
    return kind, cut, fs, draw(st.sampled_from([1, 2, 4, 8]))


@settings(max_examples=150, deadline=None)
@given(designs(), st.integers(0, 4000), st.sampled_from([(), (3,), (2, 2)]), st.integers(0, 2**31))
def test_zero_phase_is_sosfiltfilt(
    spec: tuple[filters.Kind, filters.Cutoff, float, int], n: int, channels: tuple[int, ...], seed: int
) -> None:
    kind, cut, fs, order = spec
    d = filters.design(kind, cut, fs, order)
    x = np.random.default_rng(seed).normal(size=(n, *channels)) + 9.81  # gravity offset: DC matters
    got = filters.zero_phase(x, fs, kind, cut, order=order)
    assert got.shape == x.shape
    if n < d.min_samples:  # too short to pad: returned as it came
        assert np.array_equal(got, x)
        return
    ref = sosfiltfilt(filters.butter_sos(kind, cut, fs, order), x, axis=0)
    assert np.max(np.abs(got - ref)) <= 1e-9 * np.max(np.abs(x))


def test_low_orders_take_the_transfer_function_and_high_orders_the_sections() -> None:
    # Every design the engines use is low order; a high-order one at a very low cut-off is
    # where the transfer function loses precision, so it must fall back to the sections.
    assert filters.design("band", (0.5, 3.0), 204.8, 2).tf is not None
    assert filters.design("high", 0.05, 1000.0, 8).tf is None
    cached = filters.butter_sos("band", (0.5, 3.0), 100.0)
    cached[:] = 0.0  # a caller's copy: the cached design is untouched
    assert np.any(filters.butter_sos("band", (0.5, 3.0), 100.0))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(50, 3000), st.floats(0.0, 2.0), st.integers(3, 401))
def test_two_pass_prominence_decides_like_the_full_one(seed: int, n: int, level: float, wlen: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=n)) * rng.uniform(0.1, 2.0) + np.sin(np.arange(n) / 7.0)
    peaks, _ = find_peaks(x)
    if peaks.size == 0:
        return
    need = level * rng.uniform(0.0, 1.0, peaks.size) * np.ptp(x)
    full = peak_prominences(x, peaks)[0] >= need
    assert np.array_equal(_prominent(x, peaks, need, wlen=wlen | 1), full)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 500), st.integers(1, 40))
def test_windowed_argmax_is_the_loop(seed: int, n: int, windows: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 1)  # rounded: ties, where the first maximum must win
    lo = rng.integers(0, n, windows)
    hi = np.minimum(lo + rng.integers(1, 60, windows), n)
    assert argmax_in(x, lo, hi).tolist() == [int(np.argmax(x[a:b])) for a, b in zip(lo, hi, strict=True)]
