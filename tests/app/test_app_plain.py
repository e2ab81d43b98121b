"""The client's wording: plain words, no ids, no clinician's notation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from retrowalk.app import plain
from retrowalk.core.exercises import load_library
from retrowalk.core.prescription import Programme
from retrowalk.core.progression import Decision, DecisionKind, NextSession

IDS = sorted(load_library().exercises)
#: Reasons as the core writes them (progression.py), one per rule.
REASONS = [
    "pain during 7/10 > 5 → reduce load: minutes 6 → 5",
    "next-morning pain 4/10 not settled to baseline 1 → reduce load: back to the previous stage vmo_tke",
    "pain within limits for 2 sessions, settled next morning → minutes 5 → 6",
    "pain within limits (1 of 2 sessions at this dose): repeat once more before progressing",
    "no session logged after 2026-01-01: unchanged (no change without new evidence)",
    "pain rules broken in 3 consecutive sessions (pain after 7/10 > 5) → stop this exercise and refer",
    "in force until a trainer clears it: pain 8/10 during the session → stop and refer",
    "something new the core may say one day",
]


@given(
    exercise=st.sampled_from(IDS),
    target=st.sampled_from(IDS),
    kind=st.sampled_from(list(DecisionKind)),
    reason=st.sampled_from(REASONS),
)
def test_client_decisions_carry_no_ids_or_notation(
    exercise: str, target: str, kind: DecisionKind, reason: str
) -> None:
    ns = NextSession(
        decisions=[
            Decision(
                exercise_id=exercise, decision=kind, next_exercise_id=target, next_dose=None, reason=reason
            )
        ],
        programme=Programme(items=[], pain_nprs=3),
    )
    (d,) = plain.client_decisions(ns)
    words = f"{d.name} {d.headline} {d.because}"
    assert "regress" not in words.lower() and "→" not in words and "hold_s" not in words
    assert exercise not in words and target not in words.replace(d.name, "")
    assert d.because.startswith("because ") and d.because.endswith(".")


def test_a_progress_is_never_explained_by_a_sore_morning() -> None:
    assert plain.why(REASONS[2], DecisionKind.progress) == plain.PROGRESS_WHY
    assert "sore the next morning" in plain.why(REASONS[1], DecisionKind.regress)
