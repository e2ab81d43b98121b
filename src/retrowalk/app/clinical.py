"""The use cases' doorway into the clinical core (retrowalk.core), converting to/from stored JSON.

Stored JSON is what the core's pydantic models dump, so it can be validated back into them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from retrowalk.core import assessment as core_assessment
from retrowalk.core import exercises as core_exercises
from retrowalk.core import prescription as core_prescription
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
