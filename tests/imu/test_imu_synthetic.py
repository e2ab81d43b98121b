"""Synthetic walking with known truth: detection, cadence, asymmetry, direction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrowalk.errors import InputError
from retrowalk.gait.imu import ImuRecording, analyse
from retrowalk.gait.imu.icd import match_initial_contacts
from retrowalk.gait.imu.synthetic import make_walk


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cadence=st.floats(60, 130),
    asym=st.floats(0, 10),
    placement=st.sampled_from(["waist", "thigh", "shank"]),
    direction=st.sampled_from(["forward", "backward"]),
    seed=st.integers(0, 10_000),
)
def test_detection_f1_and_cadence(
    cadence: float, asym: float, placement: str, direction: str, seed: int
) -> None:
    w = make_walk(
        cadence_spm=cadence,
        asymmetry_pct=asym,
        walk_s=40,
        placement=placement,
        direction=direction,
        seed=seed,
        noise=0.1,
    )
    res = analyse(w.recording, placement=placement)  # type: ignore[arg-type]
    # A shank sensor gives its own leg's contacts (the generator's even contacts), one per stride,
    # each found from the swing before it: the first one (standing start, no swing) is not a step.
    truth = w.initial_contacts_s[2::2] if placement == "shank" else w.initial_contacts_s
    m = match_initial_contacts(res.initial_contacts_s, truth, tolerance_s=0.1)
    assert m.f1 >= 0.98
    assert res.cadence_spm is not None
    assert abs(res.cadence_spm - w.cadence_spm) < 1.0


def test_asymmetry_and_variability_are_recovered() -> None:
    w = make_walk(cadence_spm=90, asymmetry_pct=8, step_cv_pct=0.5, seed=3)
    res = analyse(w.recording, placement="waist")
    assert res.step_time_asymmetry_pct is not None and abs(res.step_time_asymmetry_pct - 8) < 1.5
    sym = analyse(make_walk(cadence_spm=90, asymmetry_pct=0, seed=3).recording)
    assert sym.step_time_asymmetry_pct is not None and sym.step_time_asymmetry_pct < 1.5
    assert res.active_minutes == pytest.approx(sum(res.bout_durations_s) / 60, abs=1e-3)


@pytest.mark.parametrize("placement", ["thigh", "shank"])
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_direction_on_clean_data(placement: str, direction: str, seed: int) -> None:
    w = make_walk(cadence_spm=70 + 20 * seed, placement=placement, direction=direction, seed=seed, walk_s=30)
    res = analyse(w.recording, placement=placement)  # type: ignore[arg-type]
    assert len(res.bouts) == 1
    assert res.bouts[0].direction == direction
    assert res.bouts[0].direction_confidence >= 0.5


def test_direction_unknown_when_ambiguous() -> None:
    w = make_walk(placement="thigh", direction="backward", seed=5, walk_s=30)
    # Placement not given, waist sensor, or no gyroscope: never a guess.
    for placement in ("unknown", "waist", "foot"):
        assert analyse(w.recording, placement=placement).bouts[0].direction == "unknown"  # type: ignore[arg-type]
    no_gyr = ImuRecording(acc=w.recording.acc, sampling_rate_hz=100.0)
    assert analyse(no_gyr, placement="thigh").bouts[0].direction == "unknown"
    # No quiet standing to anchor the segment angle.
    walking_only = make_walk(placement="thigh", direction="backward", seed=5, walk_s=30, stand_s=0.3)
    res = analyse(walking_only.recording, placement="thigh")
    assert all(b.direction == "unknown" for b in res.bouts)
    # A sensor whose rotation is not planar (random tumbling): unknown.
    rng = np.random.default_rng(0)
    gyr = rng.normal(0, 1.0, w.recording.acc.shape)
    tumbling = ImuRecording(acc=w.recording.acc, gyr=gyr, sampling_rate_hz=100.0)
    assert analyse(tumbling, placement="thigh").bouts[0].direction == "unknown"


def test_no_walking_and_bad_inputs() -> None:
    rng = np.random.default_rng(1)
    still = np.tile([0.0, 0.0, 9.81], (3000, 1)) + rng.normal(0, 0.02, (3000, 3))
    res = analyse(ImuRecording(acc=still, sampling_rate_hz=100.0))
    assert res.steps == 0 and res.bouts == [] and res.cadence_spm is None
    assert any("no walking bout" in w for w in res.warnings)
    with pytest.raises(InputError, match="flat"):
        analyse(ImuRecording(acc=np.tile([0.0, 0.0, 9.81], (3000, 1)), sampling_rate_hz=100.0))
    with pytest.raises(InputError, match="placement"):
        analyse(ImuRecording(acc=still, sampling_rate_hz=100.0), placement="hand")
    with pytest.raises(InputError, match="long"):
        analyse(ImuRecording(acc=still[:300], sampling_rate_hz=100.0))
    with pytest.raises(InputError):
        ImuRecording(acc=still[:, :2], sampling_rate_hz=100.0)


def test_chunked_processing_matches_truth_across_chunk_borders() -> None:
    import retrowalk.gait.imu.pipeline as pipeline

    w = make_walk(cadence_spm=100, walk_s=80, seed=9)
    old = pipeline.CHUNK_S
    try:
        pipeline.CHUNK_S = 20.0  # many chunk borders inside the walk
        res = analyse(w.recording)
    finally:
        pipeline.CHUNK_S = old
    m = match_initial_contacts(res.initial_contacts_s, w.initial_contacts_s, tolerance_s=0.1)
    assert m.f1 >= 0.99


def test_one_sensor_per_leg_merges_both_legs_contacts() -> None:
    """The right leg's shank sensor is the left one's walk half a stride later (same clock)."""
    from dataclasses import replace

    from retrowalk.gait.imu import analyse_legs

    w = make_walk(cadence_spm=100, placement="shank", walk_s=30, seed=4)
    half = 60.0 / w.cadence_spm  # one step: half a stride
    right = replace(w.recording, start_s=half)
    res = analyse_legs(w.recording, right, placement="shank")
    own = w.initial_contacts_s[2::2]
    truth = np.sort(np.concatenate([own, own + half]))
    m = match_initial_contacts(res.initial_contacts_s, truth, tolerance_s=0.1)
    assert m.f1 >= 0.98
    assert res.cadence_spm is not None and abs(res.cadence_spm - w.cadence_spm) < 1.0
    assert res.steps == len(res.initial_contacts_s)  # every contact is a step now
    one = analyse(w.recording, placement="shank")
    assert one.steps == 2 * len(one.initial_contacts_s) and one.step_time_asymmetry_pct is None
    assert one.cadence_spm is not None and abs(one.cadence_spm - w.cadence_spm) < 1.0
    with pytest.raises(InputError, match="leg placement"):
        analyse_legs(w.recording, right, placement="waist")
