"""``retrowalk.gait.peaks`` is ``scipy.signal.find_peaks`` / ``peak_prominences`` without scipy.

The gait engines use it instead of ``scipy.signal`` (whose import alone breaks the CLI's start-up
budget), so it must give scipy's answer exactly: the same peak indices and the same
prominences, including flat tops, equal heights (ties) and windows (``wlen``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from retrowalk.gait.peaks import find_peaks, local_maxima, peak_prominences


@st.composite
def signals(draw: st.DrawFn) -> np.ndarray:
    """Noise, random walks and sines, rounded coarsely or not: rounding makes flat tops and ties."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    n = draw(st.integers(0, 600))
    kind = draw(st.sampled_from(["noise", "walk", "sine"]))
    if kind == "noise":
        x = rng.normal(size=n)
    elif kind == "walk":
        x = np.cumsum(rng.normal(size=n))
    else:
        x = np.sin(np.arange(n) / draw(st.floats(0.5, 30.0))) + 0.1 * rng.normal(size=n)
    decimals = draw(st.sampled_from([None, 0, 1]))
    return x if decimals is None else np.round(x, decimals)


@settings(max_examples=300, deadline=None)
@given(
    signals(),
    st.one_of(st.none(), st.floats(-2.0, 2.0)),
    st.one_of(st.none(), st.floats(1.0, 60.0)),
    st.one_of(st.none(), st.floats(0.0, 3.0)),
)
def test_find_peaks_is_scipys(
    x: np.ndarray, height: float | None, distance: float | None, prominence: float | None
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns about peaks of prominence 0
        want = signal.find_peaks(x, height=height, distance=distance, prominence=prominence)[0]
    got = find_peaks(x, height=height, distance=distance, prominence=prominence)
    assert got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(signals(), st.one_of(st.none(), st.floats(1.01, 120.0), st.integers(2, 120)), st.booleans())
def test_peak_prominences_are_scipys(x: np.ndarray, wlen: float | None, any_index: bool) -> None:
    if x.size == 0:
        return
    peaks = (
        np.random.default_rng(x.size).integers(0, x.size, 8)  # any sample, not only maxima
        if any_index
        else signal.find_peaks(x)[0]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = signal.peak_prominences(x, peaks, wlen=wlen)[0]
    assert np.array_equal(peak_prominences(x, peaks, wlen=wlen), want)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.floats(2.0, 80.0), st.booleans())
def test_distance_on_a_run_of_ever_higher_peaks(seed: int, distance: float, falling: bool) -> None:
    # Each peak is removed by the next, higher one: the rule must still go highest first.
    rng = np.random.default_rng(seed)
    x = np.arange(3000) * 0.01 + rng.normal(size=3000) * 0.3
    x = x[::-1].copy() if falling else x
    assert find_peaks(x, distance=distance).tolist() == signal.find_peaks(x, distance=distance)[0].tolist()


def test_flat_tops_give_their_middle_sample() -> None:
    x = np.array([0, 1, 1, 1, 0, 2, 2, 0, 3, 3, 3, 3])  # the last flat run touches the end: no peak
    assert local_maxima(x.astype(float)).tolist() == [2, 5]


def test_bad_arguments_are_refused() -> None:
    x = np.sin(np.arange(50) / 3.0)
    with pytest.raises(ValueError, match="wlen"):
        peak_prominences(x, np.array([5]), wlen=1)
    with pytest.raises(ValueError, match="out of range"):
        peak_prominences(x, np.array([50]))
    with pytest.raises(ValueError, match="distance"):
        find_peaks(x, distance=0.5)
    with pytest.raises(ValueError, match="1-D"):
        find_peaks(np.zeros((3, 3)))
