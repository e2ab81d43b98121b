"""The API's single doorway into the clinical core (retrowalk.core), converting to/from JSON.

Stored JSON is what the core's pydantic models dump, so it can be validated back into them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from retrowalk.storage.models import SessionLog


class ClinicalEngineMissing(RuntimeError):
    """A clinical engine this request needs is not installed (maps to HTTP 503)."""


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise ClinicalEngineMissing(f"{name} is not available in this installation") from exc
        raise


def evaluate_assessment(inputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate the trainer's inputs with the core and return (inputs, findings) as JSON."""
    mod = _module("retrowalk.core.assessment")
    inp = mod.AssessmentInput.model_validate(dict(inputs))
    result = mod.evaluate(inp)
    return inp.model_dump(mode="json"), result.model_dump(mode="json")


def score_koos(answers: Mapping[str, int | None], missing_rule: str) -> dict[str, Any]:
    mod = _module("retrowalk.core.scores.koos")
    return dict(mod.score_koos(dict(answers), missing_rule=missing_rule).model_dump(mode="json"))


def prescribe(findings: Mapping[str, Any], *, pain_nprs: float, goals: Sequence[str]) -> dict[str, Any]:
    assessment = _module("retrowalk.core.assessment")
    prescription = _module("retrowalk.core.prescription")
    result = assessment.AssessmentResult.model_validate(dict(findings))
    return dict(
        prescription.prescribe(result, pain_nprs=pain_nprs, goals=list(goals)).model_dump(mode="json")
    )


def session_record(log: SessionLog) -> dict[str, Any]:
    """A stored session log as the progression engine's SessionRecord fields."""
    return {
        "date": log.session_date.isoformat(),
        "exercise_id": log.exercise_id,
        "minutes": log.minutes,
        "speed_kmh": log.speed_kmh,
        "incline_pct": log.incline_pct,
        "handrails": log.handrails,
        "sets": log.sets,
        "reps": log.reps,
        "pain_during": log.pain_during,
        "pain_after": log.pain_after,
        "pain_next_morning": log.pain_next_morning,
        "completed": log.completed,
    }


def next_session(programme: Mapping[str, Any], logs: Sequence[SessionLog]) -> dict[str, Any]:
    prescription = _module("retrowalk.core.prescription")
    progression = _module("retrowalk.core.progression")
    prog = prescription.Programme.model_validate(dict(programme))
    records = [progression.SessionRecord.model_validate(session_record(log)) for log in logs]
    return dict(progression.decide_next(prog, records).model_dump(mode="json"))


def change_flags(measure: str, baseline: float, follow_up: float) -> list[dict[str, Any]]:
    """Clinically important change between two values, if the core knows the measure."""
    try:
        mod = _module("retrowalk.core.scores.mcid")
    except ClinicalEngineMissing:
        return []
    flags = mod.change_flags(measure, baseline, follow_up)
    items = flags if isinstance(flags, list) else [flags]
    return [f.model_dump(mode="json") if hasattr(f, "model_dump") else dict(f) for f in items]


#: The retro-walking treadmill exercise id used for demo sessions.
DEMO_EXERCISE = "retro_treadmill"


def demo_assessment_inputs() -> dict[str, Any]:
    """A plausible first assessment (filled in against the core's AssessmentInput)."""
    return {"pain_nprs": 4}
