"""What the client reads on their phone, in plain words: the one place for client-facing wording.

Why here: the decisions come out of the core in clinician's notation ("regress", "hold_s 20 → 10",
exercise ids). A client needs "a bit easier next time because …". Templates only print these
strings, so the wording can be reviewed (and translated) in one file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retrowalk.core.exercises import Dose, load_library
from retrowalk.core.progression import PAIN_STOP_FLAG, Decision, DecisionKind, NextSession, RedFlagInForce

#: The headline per decision kind, as the client reads it.
HEADLINE = {
    DecisionKind.progress: "A little more next time",
    DecisionKind.hold: "The same again next time",
    DecisionKind.regress: "A bit easier next time",
    DecisionKind.stop: "Stop this exercise for now",
}

#: Why, in plain words, keyed by what the core's reason says (first match wins).
_WHY = (
    ("in force until a trainer clears", "something you reported needs your trainer's check first"),
    ("consecutive sessions", "your pain has been too high several times in a row"),
    ("next-morning pain not recorded", "we still need to hear how your knee felt the next morning"),
    ("not settled to", "your knee was more sore the next morning"),
    ("weekly pain trend", "your pain has been creeping up week by week"),
    ("pain during", "the exercise hurt more than it should"),
    ("pain after", "your knee hurt more than it should afterwards"),
    ("pain before the session not recorded", "we need your pain before the session to judge it"),
    ("not completed", "the exercise was not finished last time"),
    ("no session logged after", "there is no new session to go on yet"),
    ("no session logged yet", "this is a new exercise"),
    ("repeat once more", "it went well; one more session at this level first"),
    ("pain within limits for", "it went well and your knee settled by the next morning"),
    ("contraindicated", "the next step is not right for your knee yet"),
    ("hands-free", "your trainer wants to see even steps before you let go of the handrails"),
    ("top of this progression", "you have reached the top of this exercise; your trainer will review it"),
    ("never the whole programme", "your trainer will review the programme with you"),
    ("left out", "this exercise is not right for your knee at the moment"),
)

WAITING = "Your trainer will check this change before it starts."
STOPPED_TITLE = "Please do not exercise today"
STOPPED_WHAT_TO_DO = (
    "Rest the knee and do not do the exercises until your trainer has spoken with you. "
    "If you have chest pain, sudden breathlessness, a hot swollen calf or a fever, call your "
    "doctor or emergency services now."
)
PAIN_STOP_TEXT = "Your pain was very high (8 out of 10 or more)."


def exercise_name(exercise_id: str | None) -> str:
    if not exercise_id:
        return ""
    ex = load_library().exercises.get(exercise_id)
    return ex.name if ex is not None else exercise_id.replace("_", " ").capitalize()


#: A progress always means the same thing to the client.
PROGRESS_WHY = "it went well and your knee settled by the next morning"


def why(reason: str, kind: DecisionKind | None = None) -> str:
    """The core's reason, as a client reads it ("because …")."""
    low = reason.lower()
    if kind is DecisionKind.progress:
        return PROGRESS_WHY
    for needle, words in _WHY:
        if needle in low:
            return words
    return "of how your last session went"


@dataclass(frozen=True)
class ClientDecision:
    """One exercise's next step, worded for the client."""

    name: str
    headline: str
    because: str
    next_text: str
    waiting: bool


def client_decisions(ns: NextSession | None, waiting_ids: Sequence[str] = ()) -> list[ClientDecision]:
    """The decision per exercise in plain words; ``waiting_ids`` wait for the trainer."""
    if ns is None:
        return []
    return [_one(d, d.exercise_id in waiting_ids) for d in ns.decisions]


def _one(d: Decision, waiting: bool) -> ClientDecision:
    name = exercise_name(d.exercise_id)
    headline = HEADLINE[d.decision]
    if d.next_exercise_id and d.next_exercise_id != d.exercise_id:
        new = exercise_name(d.next_exercise_id)
        headline = f"{headline}: {new} instead"
    return ClientDecision(
        name=name,
        headline=headline,
        because=f"because {why(d.reason, d.decision)}.",
        next_text=_dose(d.next_dose),
        waiting=waiting,
    )


def _dose(dose: Dose | None) -> str:
    return dose.describe() if dose is not None else ""


def flag_text(flag: RedFlagInForce) -> str:
    """What the client reported, without ids."""
    if flag.flag_id == PAIN_STOP_FLAG:
        return PAIN_STOP_TEXT
    return flag.text[:1].upper() + flag.text[1:]


REACH_TRAINER = "Tell your trainer today, by phone or at your next visit:"
RED_FLAG_QUESTION = "Anything new since last time?"
RED_FLAG_HINT = (
    "Tick any that apply. Your trainer is told at once and the exercises pause until they have "
    "checked with you. Leave all unticked if none apply."
)
