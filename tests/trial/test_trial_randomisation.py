"""Randomisation: balance within strata and blocks, reproducibility, concealment, audit."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trial_helpers import small_definition

from retrowalk.errors import InputError
from retrowalk.trial.randomisation import generate, public_view, reveal_next, verify

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _gen(seed: int = 1, **kw: object) -> object:
    return generate(small_definition(**kw), seed=seed, created_at=T0, created_by="stat")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    ratios=st.sampled_from([(1, 1), (1, 2), (2, 1), (1, 1, 1)]),
    multiples=st.lists(st.integers(1, 3), min_size=1, max_size=3, unique=True),
    capacity=st.integers(1, 40),
)
def test_blocks_are_balanced_within_every_stratum(
    seed: int, ratios: tuple[int, ...], multiples: list[int], capacity: int
) -> None:
    arms = [{"id": f"arm{i}", "ratio": r} for i, r in enumerate(ratios)]
    unit = sum(ratios)
    d = small_definition(arms=arms, control_arm="arm0", block_sizes=[m * unit for m in multiples])
    sealed = generate(d, seed=seed, capacity_per_stratum=capacity, created_at=T0, created_by="s")
    assert {s.stratum for s in sealed.slots} == {"sex=M", "sex=F"}
    for stratum in ("sex=M", "sex=F"):
        slots = [s for s in sealed.slots if s.stratum == stratum]
        assert [s.sequence for s in slots] == list(range(1, len(slots) + 1))
        assert capacity <= len(slots) < capacity + max(d.block_sizes)
        blocks: dict[int, list[str]] = {}
        for s in slots:
            blocks.setdefault(s.block, []).append(s.arm)
            assert s.block_size in d.block_sizes
        for arms_in_block in blocks.values():
            counts = Counter(arms_in_block)
            k = len(arms_in_block) // unit
            assert counts == Counter({f"arm{i}": r * k for i, r in enumerate(ratios)})
        # at every point in the list the imbalance stays within half the largest block
        running: Counter[str] = Counter()
        for s in slots:
            running[s.arm] += 1
            n = sum(running.values())
            for i, r in enumerate(ratios):
                assert abs(running[f"arm{i}"] - n * r / unit) <= max(d.block_sizes)


def test_block_sizes_are_actually_random() -> None:
    sealed = _gen(seed=7, target_size=60)
    assert len({s.block_size for s in sealed.slots}) > 1  # type: ignore[attr-defined]


def test_same_seed_same_list_different_seed_different_list() -> None:
    a, b, c = _gen(seed=99), _gen(seed=99), _gen(seed=100)
    assert [s.arm for s in a.slots] == [s.arm for s in b.slots]  # type: ignore[attr-defined]
    assert a.digest == b.digest  # type: ignore[attr-defined]
    assert [s.arm for s in a.slots] != [s.arm for s in c.slots]  # type: ignore[attr-defined]


def test_no_allocation_is_revealed_early() -> None:
    d = small_definition()
    sealed = generate(d, seed=3, created_at=T0, created_by="stat")
    view = public_view(sealed)
    assert view.allocations == []
    assert all(s.revealed == 0 for s in view.strata)
    assert "arm" not in view.strata[0].model_dump()  # counts only, never upcoming arms
    females = [s for s in sealed.slots if s.stratum == "sex=F"]
    revealed = []
    for i in range(4):
        sealed, alloc = reveal_next(sealed, d, participant=f"F{i}", levels={"sex": "F"}, by="nurse", at=T0)
        revealed.append(alloc.arm)
        view = public_view(sealed)
        # exactly the revealed participants are visible, in list order; nothing beyond them
        assert [a.participant for a in view.allocations] == [f"F{j}" for j in range(i + 1)]
        assert [a.sequence for a in view.allocations] == list(range(1, i + 2))
    assert revealed == [s.arm for s in females[:4]]
    assert all(s.participant is None for s in sealed.slots if s.stratum == "sex=M")
    actions = [(e.action, e.by, e.participant) for e in sealed.audit]
    assert actions == [("generate", "stat", None)] + [("reveal", "nurse", f"F{i}") for i in range(4)]


def test_repeat_request_returns_same_arm_and_burns_no_slot() -> None:
    d = small_definition()
    sealed = generate(d, seed=5, created_at=T0, created_by="stat")
    sealed, first = reveal_next(sealed, d, participant="P1", levels={"sex": "M"}, by="nurse", at=T0)
    sealed, again = reveal_next(sealed, d, participant="P1", levels={"sex": "M"}, by="other", at=T0)
    assert again.arm == first.arm and again.already_allocated and again.sequence == 1
    sealed, second = reveal_next(sealed, d, participant="P2", levels={"sex": "M"}, by="nurse", at=T0)
    assert second.sequence == 2
    assert sealed.audit[-2].action == "lookup"
    with pytest.raises(InputError, match="allocated in stratum sex=M"):
        reveal_next(sealed, d, participant="P1", levels={"sex": "F"}, by="nurse", at=T0)


def test_tampering_and_bad_requests_are_refused() -> None:
    d = small_definition()
    sealed = generate(d, seed=5, capacity_per_stratum=2, created_at=T0, created_by="stat")
    forged = sealed.model_copy(deep=True)
    forged.slots[0].arm = "B" if forged.slots[0].arm == "A" else "A"
    with pytest.raises(InputError, match="digest mismatch"):
        verify(forged)
    with pytest.raises(InputError, match="not a level"):
        reveal_next(sealed, d, participant="P1", levels={"sex": "X"}, by="n", at=T0)
    with pytest.raises(InputError, match="missing level"):
        reveal_next(sealed, d, participant="P1", levels={}, by="n", at=T0)
    with pytest.raises(InputError, match="who is revealing"):
        reveal_next(sealed, d, participant="P1", levels={"sex": "M"}, by=" ", at=T0)
    n_male = sum(s.stratum == "sex=M" for s in sealed.slots)
    for i in range(n_male):
        sealed, _ = reveal_next(sealed, d, participant=f"M{i}", levels={"sex": "M"}, by="n", at=T0)
    with pytest.raises(InputError, match="no allocations left"):
        reveal_next(sealed, d, participant="late", levels={"sex": "M"}, by="n", at=T0)


def test_definition_rejects_blocks_that_cannot_balance() -> None:
    with pytest.raises(ValueError, match="multiples of the summed arm ratios"):
        small_definition(block_sizes=[3])
    with pytest.raises(ValueError, match="control_arm"):
        small_definition(control_arm="C")
    with pytest.raises(ValueError, match="overlap"):
        small_definition(visits=[{"id": "a", "day": 0, "window_after": 5}, {"id": "b", "day": 3}])
