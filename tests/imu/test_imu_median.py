"""``retrowalk.gait.median`` is ``np.median`` of finite values, bit for bit, without numpy.ma."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.gait.median import median


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 3000),
    kind=st.sampled_from(["normal", "ties", "tiny", "2d"]),
)
def test_median_is_numpys(seed: int, n: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    x = {
        "normal": lambda: rng.normal(size=n) * 10.0 ** rng.integers(-6, 6),
        "ties": lambda: rng.integers(0, 4, size=n).astype(np.float64),
        "tiny": lambda: rng.random(size=n) * 1e-300,
        "2d": lambda: rng.normal(size=(n, 3)),
    }[kind]()
    got = median(x)
    assert type(got) is float
    assert got == float(np.median(x))
