"""Prescription: assessment findings + pain + goals -> an ordered, explained programme.

Rules live in data/prescription.yaml. Guarantees (tested): deterministic; never a contraindicated
exercise; forward walking always kept; retro-walking never the only exercise; stop -> no programme.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.assessment import AssessmentResult, Finding, Intake, evaluate
from retrowalk.core.exercises import (
    FORWARD_WALK_ID,
    GROUP_ORDER,
    RETRO_FAMILY,
    Dose,
    Exercise,
    ExerciseLibrary,
    load_library,
)
from retrowalk.core.scores.nprs import pain_rules, validate_nprs
from retrowalk.errors import DataFileError, InputError


class ProgrammeItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str
    name: str = ""
    stage: str = ""
    group: str = ""
    dose: Dose
    reason: str = ""
    cues: list[str] = Field(default_factory=list)
    source: str = ""
    #: Date of the last session judged when this dose was set: sessions on or before it were done
    #: at an earlier dose, so they never count towards progressing this one.
    dose_since: dt.date | None = None
    #: Shown to the client with the exercise (e.g. supervised-only after a fall-risk screen).
    notes: list[str] = Field(default_factory=list)
    supervised_only: bool = False

    @classmethod
    def from_exercise(
        cls, exercise: Exercise, *, reason: str = "", dose: Dose | None = None, source: str | None = None
    ) -> ProgrammeItem:
        """An item for ``exercise``: its name, stage, group and cues; a copy of its default dose and
        its own source unless ``dose`` / ``source`` are given."""
        return cls(
            exercise_id=exercise.id,
            name=exercise.name,
            stage=exercise.stage,
            group=exercise.group,
            dose=exercise.dose.model_copy() if dose is None else dose,
            reason=reason,
            cues=list(exercise.cues),
            source=exercise.source if source is None else source,
        )


class ExcludedExercise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str
    reason: str


class Programme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ProgrammeItem] = Field(default_factory=list)
    stop: bool = False
    refer_out: str | None = None
    excluded: list[ExcludedExercise] = Field(default_factory=list)
    pain_nprs: float | None = None
    goals: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    #: Date of the last session the progression engine judged; a programme fed back with no later
    #: session comes back unchanged (no change without new evidence).
    judged_through: dt.date | None = None

    def item(self, exercise_id: str) -> ProgrammeItem | None:
        return next((i for i in self.items if i.exercise_id == exercise_id), None)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_ids: list[str]
    statuses: list[str]
    exercise_id: str
    target: str
    source: str


class _Fixed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str
    reason: str
    source: str


class Rules(BaseModel):
    always: list[_Fixed]
    baseline: list[_Fixed]
    rules: list[_Rule]
    goals: dict[str, _Fixed]


def rules_from_data(raw: Mapping[str, Any], library: ExerciseLibrary) -> Rules:
    try:
        rules = Rules(**raw)
    except (TypeError, ValidationError) as exc:
        raise DataFileError(f"prescription.yaml is malformed: {exc}") from exc
    refs = [*rules.always, *rules.baseline, *rules.goals.values()]
    ids = [r.exercise_id for r in refs] + [r.exercise_id for r in rules.rules]
    for exercise_id in ids:
        if exercise_id not in library.exercises:
            raise DataFileError(f"prescription.yaml refers to unknown exercise {exercise_id!r}")
    if FORWARD_WALK_ID not in [r.exercise_id for r in rules.always]:
        raise DataFileError("prescription.yaml: forward_walk must be in `always`")
    return rules


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    return rules_from_data(load_yaml("prescription.yaml"), load_library())


def active_conditions(
    result: AssessmentResult, pain_nprs: float | None, library: ExerciseLibrary
) -> dict[str, str]:
    """Condition id -> why it applies to this client (for contraindication checks).

    ``pain_nprs`` None (not known) leaves the pain conditions out; findings still apply.
    """
    active: dict[str, str] = {}
    limit = pain_rules()
    for cid, cond in library.conditions.items():
        if pain_nprs is not None and (
            (cond.pain_at_least is not None and pain_nprs >= cond.pain_at_least)
            or (cond.pain_above_limit and limit.above_limit(pain_nprs))
        ):
            active[cid] = f"{cond.description} (pain {pain_nprs:g}/10)"
        if cond.fall_risk and result.fall_risk:
            active[cid] = f"{cond.description} ({'; '.join(result.fall_risk_reasons)})"
        if cond.finding is not None:
            tests = set(cond.finding.get("test_ids", []))
            statuses = set(cond.finding.get("statuses", []))
            hit = next((f for f in result.findings if f.test_id in tests and f.status in statuses), None)
            if hit is not None:
                active[cid] = f"{cond.description} ({hit.text})"
    return active


def contraindicated_by(exercise: Exercise, active: Mapping[str, str]) -> list[str]:
    return [c for c in exercise.contraindications if c in active]


def allowed_variant(
    exercise: Exercise, library: ExerciseLibrary, active: Mapping[str, str]
) -> tuple[Exercise | None, list[str]]:
    """The exercise itself or the first allowed one down its regression chain."""
    why: list[str] = []
    current: Exercise | None = exercise
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        blocked = contraindicated_by(current, active)
        if not blocked:
            return current, why
        why.append(f"{current.id} contraindicated: " + "; ".join(active[c] for c in blocked))
        current = library.exercises.get(current.regression_id) if current.regression_id else None
    return None, why


def supervise(
    items: Sequence[ProgrammeItem], result: AssessmentResult, library: ExerciseLibrary
) -> list[ProgrammeItem]:
    """After a positive fall-risk screen, treadmill retro-walking is supervised-only with handrails:
    each retro-walking item is marked and carries the note the client sees."""
    if not result.fall_risk or not result.fall_risk_note:
        return list(items)
    out: list[ProgrammeItem] = []
    for item in items:
        if library.get(item.exercise_id).family == RETRO_FAMILY:
            notes = (
                item.notes if result.fall_risk_note in item.notes else [*item.notes, result.fall_risk_note]
            )
            item = item.model_copy(update={"supervised_only": True, "notes": notes})
        out.append(item)
    return out


def _finding_reason(finding: Finding, target: str) -> str:
    base = finding.text.split(" → ")[0]
    return f"{base} → {target}"


def prescribe(
    result: AssessmentResult,
    *,
    pain_nprs: float,
    goals: Sequence[str] = (),
    library: ExerciseLibrary | None = None,
    rules: Rules | None = None,
) -> Programme:
    """Build the programme. ``pain_nprs`` is the client's current usual pain (0-10)."""
    pain = validate_nprs(pain_nprs, "pain_nprs")
    goal_list = list(goals)
    if result.stop:
        return Programme(
            items=[],
            stop=True,
            refer_out=result.refer_out,
            pain_nprs=pain,
            goals=goal_list,
            notes=["Red flag present: no exercise programme. " + (result.refer_out or "")],
        )
    lib = library or load_library()
    rls = rules or load_rules()
    for i, goal in enumerate(goal_list):
        if goal not in rls.goals:
            raise InputError(f"goals[{i}]", f"unknown goal {goal!r}", hint=f"use one of {sorted(rls.goals)}")
    active = active_conditions(result, pain, lib)
    wanted: list[tuple[str, str, str]] = []  # (exercise_id, reason, source), in rule order
    wanted += [(f.exercise_id, f.reason, f.source) for f in rls.always]
    for rule in rls.rules:
        for finding in result.findings:
            if finding.test_id in rule.test_ids and finding.status in rule.statuses:
                wanted.append((rule.exercise_id, _finding_reason(finding, rule.target), rule.source))
    wanted += [(f.exercise_id, f.reason, f.source) for f in rls.baseline]
    wanted += [(rls.goals[g].exercise_id, rls.goals[g].reason, rls.goals[g].source) for g in goal_list]

    chosen: dict[str, ProgrammeItem] = {}
    excluded: dict[str, ExcludedExercise] = {}
    for exercise_id, reason, source in wanted:
        exercise = lib.get(exercise_id)
        variant, why = allowed_variant(exercise, lib, active)
        if variant is None:
            excluded.setdefault(exercise_id, ExcludedExercise(exercise_id=exercise_id, reason="; ".join(why)))
            continue
        text = reason if variant.id == exercise_id else f"{reason} (regressed to {variant.id}: {why[0]})"
        if variant.id in chosen:
            item = chosen[variant.id]
            if text not in item.reason.split("; "):
                item.reason = f"{item.reason}; {text}"
            continue
        chosen[variant.id] = ProgrammeItem.from_exercise(variant, reason=text, source=source)
    ordered = sorted(enumerate(chosen.values()), key=lambda pair: (GROUP_ORDER[pair[1].group], pair[0]))
    items = supervise([item for _, item in ordered], result, lib)
    notes = [f"Contraindication active: {why}" for why in active.values()]
    notes += [n for f in result.findings for n in f.safety_notes]
    if result.fall_risk_note:
        notes.append(f"Fall-risk screen positive: {result.fall_risk_note}")
    notes.append(
        "Thresholds and doses are defaults for a clinician to approve; the joint-by-joint model is "
        "a heuristic, not a diagnosis."
    )
    return Programme(
        items=items,
        stop=False,
        excluded=list(excluded.values()),
        pain_nprs=pain,
        goals=goal_list,
        notes=notes,
    )


_ENTRY_KEYS = frozenset({"exercise_id", "dose", "reason"})


def programme_from_items(
    entries: Sequence[Mapping[str, Any]], *, library: ExerciseLibrary | None = None, field: str = "programme"
) -> Programme:
    """Programme from hand-written entries ({exercise_id, dose?}); names/cues come from the library."""
    lib = library or load_library()
    items: list[ProgrammeItem] = []
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        raise InputError(field, "expected a list of {exercise_id, dose} entries")
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or "exercise_id" not in entry:
            raise InputError(f"{field}[{i}]", "each entry needs an exercise_id")
        unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
        if unknown:
            raise InputError(
                f"{field}[{i}].{unknown[0]}", "unknown key", hint=f"an entry has only {sorted(_ENTRY_KEYS)}"
            )
        exercise = lib.get(str(entry["exercise_id"]), f"{field}[{i}].exercise_id")
        dose_raw = entry.get("dose")
        if dose_raw is not None and not isinstance(dose_raw, Mapping):
            raise InputError(f"{field}[{i}].dose", "expected a mapping of dose fields")
        try:
            dose = exercise.dose.model_copy() if dose_raw is None else Dose(**dose_raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            raise InputError(f"{field}[{i}].dose.{loc}", str(first.get("msg", "invalid value"))) from exc
        lib.check_dose(exercise, dose, f"{field}[{i}].dose")
        items.append(ProgrammeItem.from_exercise(exercise, dose=dose, reason=str(entry.get("reason", ""))))
    return Programme(items=items)


class AssessmentReport(BaseModel):
    assessment: AssessmentResult
    programme: Programme


def assess_and_prescribe(intake: Intake) -> AssessmentReport:
    """Evaluate the intake and prescribe from it (pain = activity pain if given, else resting pain)."""
    result = evaluate(intake)
    pain = intake.pain_activity_nprs if intake.pain_activity_nprs is not None else intake.pain_at_rest_nprs
    return AssessmentReport(
        assessment=result, programme=prescribe(result, pain_nprs=pain, goals=intake.goals)
    )
