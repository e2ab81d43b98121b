"""The shared zero-phase filter (NumPy only) against ``scipy.signal``, and the detectors'
windowed argmax and steepest rise.

``retrowalk.gait.filters`` re-implements ``butter(..., output="sos")`` and ``sosfiltfilt`` so
the CLI need not import ``scipy.signal``: its sections and transfer function must be scipy's
and its output ``sosfiltfilt``'s. The detectors' windowed argmax and steepest rise must be loops over windows.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, sosfiltfilt

from retrowalk.gait import filters
from retrowalk.gait.imu.icd._windows import argmax_in, steepest_rise_before, steepest_rise_in

RATES = st.sampled_from([20.0, 30.0, 50.0, 100.0, 120.0, 204.8, 240.0, 1000.0])
Spec = tuple[filters.Kind, filters.Cutoff, float, int]


@st.composite
def designs(draw: st.DrawFn, lowest: float = 0.002) -> Spec:
    """A design whose lowest cut-off is at least ``lowest`` x rate (0.2 Hz at 100 Hz; the
    engines' lowest is 0.3 Hz)."""
    fs = draw(RATES)
    kind = draw(st.sampled_from(["low", "high", "band"]))
    lo = draw(st.floats(lowest * fs, 0.2 * fs))
    cut: filters.Cutoff = (lo, draw(st.floats(lo * 1.5, 0.6 * fs))) if kind == "band" else lo
    return kind, cut, fs, draw(st.sampled_from([1, 2, 3, 4, 8]))


@settings(max_examples=200, deadline=None)
@given(designs(lowest=0.0005))
def test_design_is_scipys_butter(spec: Spec) -> None:
    kind, cut, fs, order = spec
    clipped = filters._clip(cut, fs)
    sos = filters.butter_sos(kind, cut, fs, order)
    ref = butter(order, clipped, btype=kind, fs=fs, output="sos")
    assert sos.shape == ref.shape
    assert np.allclose(sos, ref, rtol=1e-10, atol=1e-13 * np.abs(ref).max())
    b, a = np.ones(1), np.ones(1)  # the transfer function the sections multiply out to
    for sec in sos:
        b, a = np.polymul(b, sec[:3]), np.polymul(a, sec[3:])
    b_ref, a_ref = butter(order, clipped, btype=kind, fs=fs, output="ba")
    k = b_ref.size
    assert np.allclose(b[:k], b_ref, rtol=1e-9, atol=1e-12 * np.abs(b_ref).max())
    assert np.allclose(a[:k], a_ref, rtol=1e-9, atol=1e-12)
    assert not np.any(b[k:]) and not np.any(a[k:])  # odd orders: a trailing zero section only


def _filtered(spec: Spec, n: int, channels: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    kind, cut, fs, order = spec
    x = np.random.default_rng(seed).normal(size=(n, *channels)) + 9.81  # gravity offset: DC matters
    got = filters.zero_phase(x, fs, kind, cut, order=order)
    assert got.shape == x.shape
    if n < filters.design(kind, cut, fs, order).min_samples:  # too short to pad: returned as it came
        assert np.array_equal(got, x)
        return x, x
    return got, sosfiltfilt(filters.butter_sos(kind, cut, fs, order), x, axis=0)


@settings(max_examples=200, deadline=None)
@given(designs(), st.integers(0, 5000), st.sampled_from([(), (3,), (2, 2)]), st.integers(0, 2**31))
def test_zero_phase_is_sosfiltfilt(spec: Spec, n: int, channels: tuple[int, ...], seed: int) -> None:
    got, ref = _filtered(spec, n, channels, seed)
    assert np.max(np.abs(got - ref), initial=0.0) <= 1e-10 * 9.81 * 2


@settings(max_examples=60, deadline=None)
@given(designs(lowest=0.00005), st.integers(0, 5000), st.integers(0, 2**31))
def test_zero_phase_near_dc_stays_close_to_sosfiltfilt(spec: Spec, n: int, seed: int) -> None:
    # Cut-offs down to 1/20,000 of the rate put the poles within 1e-4 of 1, where rounding is
    # amplified in any implementation: against an extended-precision run, scipy's and this one
    # are both off by up to ~1e-9 of the signal; they agree to 1e-7.
    got, ref = _filtered(spec, n, (), seed)
    assert np.max(np.abs(got - ref), initial=0.0) <= 1e-7 * 9.81 * 2


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["low", "high", "band"]),
    RATES,
    st.lists(st.floats(0.005, 0.15), min_size=1, max_size=4),
    st.sampled_from([1, 2, 4]),
    st.integers(0, 3000),
    st.sampled_from([(), (3,)]),
    st.integers(0, 2**31),
)
def test_a_bank_is_each_design_on_its_own(
    kind: filters.Kind, fs: float, cuts: list[float], order: int, n: int, channels: tuple[int, ...], seed: int
) -> None:
    specs = tuple((kind, (c * fs, 2.5 * c * fs) if kind == "band" else c * fs) for c in cuts)
    x = np.random.default_rng(seed).normal(size=(n, *channels)) + 9.81
    together = filters.zero_phase_bank(x, fs, specs, order=order)
    assert len(together) == len(specs)
    for (k, cut), got in zip(specs, together, strict=True):
        assert got.shape == x.shape
        if n < filters.design(k, cut, fs, order).min_samples:
            assert np.array_equal(got, x)
        else:
            ref = sosfiltfilt(filters.butter_sos(k, cut, fs, order), x, axis=0)
            assert np.max(np.abs(got - ref)) <= 1e-10 * 9.81 * 2


def test_long_recordings_are_filtered_in_one_go() -> None:
    # 1 M samples (2.8 h at 100 Hz, 31,000 blocks): the block states come from a log-step scan,
    # so nothing accumulates along the recording; far from the ends the filter has forgotten
    # them, and a short window filtered on its own must agree.
    x = np.sin(np.arange(1_000_000) * 0.05) + 0.01 * np.random.default_rng(0).normal(size=1_000_000) + 9.81
    y = filters.bandpass(x, 100.0, 0.5, 3.0)
    ref = sosfiltfilt(filters.butter_sos("band", (0.5, 3.0), 100.0), x[890_000:912_000])[10_000:12_000]
    assert np.max(np.abs(y[900_000:902_000] - ref)) <= 1e-10


def test_designs_are_cached_and_handed_out_as_copies() -> None:
    assert filters.design("band", (0.5, 3.0), 204.8, 2) is filters.design("band", (0.5, 3.0), 204.8, 2)
    cached = filters.butter_sos("band", (0.5, 3.0), 100.0)
    cached[:] = 0.0  # a caller's copy: the cached design is untouched
    assert np.any(filters.butter_sos("band", (0.5, 3.0), 100.0))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 500), st.integers(1, 40))
def test_windowed_argmax_is_the_loop(seed: int, n: int, windows: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 1)  # rounded: ties, where the first maximum must win
    lo = rng.integers(0, n, windows)
    hi = np.minimum(lo + rng.integers(1, 60, windows), n)
    assert argmax_in(x, lo, hi).tolist() == [int(np.argmax(x[a:b])) for a, b in zip(lo, hi, strict=True)]
    if n >= 3:  # the steepest rise: the central difference over the whole signal, ends repeated
        g = np.empty(n)
        g[1:-1] = x[2:] - x[:-2]
        g[0], g[-1] = g[1], g[-2]
        want = [int(np.argmax(g[a:b])) for a, b in zip(lo, hi, strict=True)]
        assert steepest_rise_in(x, lo, hi).tolist() == want


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 3000), st.integers(1, 400), st.integers(1, 60))
def test_moving_rms_at_is_the_window_loop(seed: int, n: int, w: int, count: int) -> None:
    from retrowalk.gait.imu.icd._algo import _moving_rms_at

    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * 3.0
    at = np.unique(rng.integers(0, n, count))
    want = [np.sqrt(np.sum(x[max(i - w // 2, 0) : min(i + w - w // 2, n)] ** 2) / w) for i in at]
    assert np.allclose(_moving_rms_at(x, w, at), want, rtol=1e-12, atol=0.0)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(3, 3000), st.integers(1, 120), st.integers(1, 60))
def test_steepest_rise_before_is_its_windows(seed: int, n: int, w: int, count: int) -> None:
    """The fixed-offset path (no window cut by an end) and the general one give the definition:
    the steepest rise in ``[max(p - w, 0), p]``, as :func:`steepest_rise_in` finds it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    peaks = np.unique(rng.integers(0, n, count)).astype(np.intp)
    lo = np.maximum(peaks - w, 0)
    want = (lo + steepest_rise_in(x, lo, peaks + 1)).tolist()
    assert steepest_rise_before(x, peaks, w).tolist() == want
    inner = peaks[(peaks - w >= 1) & (peaks + 2 <= n)]  # only windows clear of both ends
    if inner.size:
        lo = inner - w
        assert (
            steepest_rise_before(x, inner, w).tolist() == (lo + steepest_rise_in(x, lo, inner + 1)).tolist()
        )
