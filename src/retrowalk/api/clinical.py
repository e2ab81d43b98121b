"""The API's single doorway into the clinical core (retrowalk.core), converting to/from JSON.

Stored JSON is what the core's pydantic models dump, so it can be validated back into them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any

from pydantic import TypeAdapter, ValidationError

from retrowalk.core import assessment as core_assessment
from retrowalk.core import exercises as core_exercises
from retrowalk.core import prescription as core_prescription
from retrowalk.core import progression as core_progression
from retrowalk.core.scores import koos as core_koos
from retrowalk.core.scores import mcid as core_mcid
from retrowalk.errors import InputError


def _prefixed(exc: InputError, prefix: str) -> InputError:
    """Re-anchor a core InputError's field inside the request body (e.g. ``answers.P1``)."""
    return InputError(f"{prefix}.{exc.field}", exc.message, hint=exc.hint)


def evaluate_assessment(inputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate the trainer's inputs with the core and return (inputs, findings) as JSON."""
    mod = core_assessment
    try:
        inp = mod.AssessmentInput.model_validate(dict(inputs))
        result = mod.evaluate(inp)
    except InputError as exc:
        raise _prefixed(exc, "inputs") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(f"inputs.{loc}" if loc else "inputs", first.get("msg", "invalid value")) from exc
    return inp.model_dump(mode="json"), result.model_dump(mode="json")


def assessment_pain(inputs: Mapping[str, Any]) -> float | None:
    """The pain that sets the programme's intensity: on usual activity, else at rest."""
    for key in ("pain_activity_nprs", "pain_at_rest_nprs"):
        value = inputs.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def score_koos(answers: Mapping[str, int | None], missing_rule: str) -> dict[str, Any]:
    mod = core_koos
    try:
        scores = mod.score_koos(dict(answers), missing_rule=missing_rule)
    except InputError as exc:
        if exc.field in ("missing_rule", "answers"):
            raise
        raise _prefixed(exc, "answers") from exc
    return dict(scores.model_dump(mode="json"))


def prescribe(
    findings: core_assessment.AssessmentResult | Mapping[str, Any] | None,
    *,
    pain_nprs: float,
    goals: Sequence[str],
) -> dict[str, Any]:
    assessment = core_assessment
    prescription = core_prescription
    if findings is None:
        raise InputError(
            "assessment",
            "this assessment was imported and never evaluated, so it has no findings to prescribe from",
            hint="record a new assessment for the client first",
        )
    result = (
        findings
        if isinstance(findings, assessment.AssessmentResult)
        else assessment.AssessmentResult.model_validate(dict(findings))
    )
    try:
        programme = prescription.prescribe(result, pain_nprs=pain_nprs, goals=list(goals))
    except InputError as exc:
        if exc.field.startswith("goals") or exc.field == "pain_nprs":
            raise
        raise _prefixed(exc, "programme") from exc
    return dict(programme.model_dump(mode="json"))


def check_exercise(exercise_id: str) -> None:
    """Reject an exercise id the library does not know (InputError on ``exercise_id``)."""
    core_exercises.load_library().get(exercise_id, "exercise_id")


#: History the pain-monitoring model needs: the latest sessions, a streak of a few broken ones and
#: the week-to-week trend. Eight weeks covers all three and keeps each decision's cost bounded.
DECISION_WINDOW_DAYS = 56

DOSE_FIELDS = ("minutes", "speed_kmh", "incline_pct", "handrails", "sets", "reps", "hold_s")


#: Session-log columns the engine reads.
_LOG_FIELDS = (
    "session_date",
    "exercise_id",
    "completed",
    "pain_before",
    "pain_during",
    "pain_after",
    "pain_next_morning",
    *DOSE_FIELDS,
)


def row_getter(sample: Any, names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """Fetch several columns of a row in one C-level call: by position for SQLAlchemy rows (about
    twenty times cheaper than their attribute access), else by attribute (ORM objects)."""
    fields = getattr(sample, "_fields", None)
    if fields is not None:
        return itemgetter(*(fields.index(f) for f in names))
    return attrgetter(*names)


def _worst(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def session_records(logs: Sequence[Any]) -> list[dict[str, Any]]:
    """Stored per-exercise logs grouped into the progression engine's per-day SessionRecords.

    The day's pain is the worst reported that day. A day with no pain during/after recorded
    cannot be judged by the pain-monitoring model and is left out.
    """
    by_day: dict[date, dict[str, Any]] = {}
    if not logs:
        return []
    read = row_getter(logs[0], _LOG_FIELDS)
    for log in logs:
        when, exercise_id, completed, before, during, after, morning, *dose_values = read(log)
        day = by_day.get(when)
        if day is None:
            day = by_day[when] = {
                "pain_before": None,
                "pain_during": None,
                "pain_after": None,
                "pain_next_morning": None,
                "exercises": [],
            }
        for key, value in (
            ("pain_before", before),
            ("pain_during", during),
            ("pain_after", after),
            ("pain_next_morning", morning),
        ):
            day[key] = _worst(day[key], value)
        dose = {f: v for f, v in zip(DOSE_FIELDS, dose_values, strict=True) if v is not None}
        day["exercises"].append(
            {"exercise_id": exercise_id, "completed": completed, "dose": dose or None, "pain_during": during}
        )
    records: list[dict[str, Any]] = []
    for when in sorted(by_day):
        day = by_day[when]
        if day["pain_during"] is None or day["pain_after"] is None:
            continue
        day["date"] = when
        day["pain_before"] = day["pain_before"] or 0.0
        records.append(day)
    return records


@cache
def _session_records_adapter() -> TypeAdapter[list[Any]]:
    # One validation call for the whole history: far cheaper than a model_validate per session.
    return TypeAdapter(list[core_progression.SessionRecord])


def next_session(
    programme: core_prescription.Programme | Mapping[str, Any], logs: Sequence[Any]
) -> dict[str, Any] | None:
    """The progression engine's decision; None when no logged day can be judged yet."""
    records = session_records(logs)
    if not records:
        return None
    prog = (
        programme
        if isinstance(programme, core_prescription.Programme)
        else core_prescription.Programme.model_validate(dict(programme))
    )
    sessions = _session_records_adapter().validate_python(records)
    return dict(core_progression.decide_next(prog, sessions).model_dump(mode="json"))


def change_flags(measure: str, baseline: float, follow_up: float) -> list[dict[str, Any]]:
    """Clinically important change between two values, if the core has MCID values for it."""
    mod = core_mcid
    if measure not in mod.instruments():
        return []
    return [f.model_dump(mode="json") for f in mod.change_flags(measure, baseline, follow_up)]


#: The first retro-walking stage (treadmill, both handrails), used for demo sessions.
DEMO_EXERCISE = "retro_walk_1"


def demo_assessment_inputs() -> dict[str, Any]:
    """A plausible first assessment: restricted left ankle, poor single-leg balance."""

    def m(test_id: str, side: str, value: float) -> dict[str, Any]:
        return {"test_id": test_id, "side": side, "value": value}

    return {
        "age": 58,
        "sex": "female",
        "body_mass_kg": 72,
        "pain_at_rest_nprs": 2,
        "pain_activity_nprs": 4,
        "red_flags": [],
        "measurements": [
            m("knee_to_wall", "left", 7),
            m("knee_to_wall", "right", 11),
            m("single_leg_stance", "left", 8),
            m("single_leg_stance", "right", 12),
            m("chair_stand_30s", "both", 11),
        ],
    }
