"""Exercise library as data (data/exercises.yaml), validated loudly at load time.

Cross-references (progression, regression, graduation, contraindication ids) must resolve, and
every progression link may raise at most one variable: the same rule the progression engine obeys.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.vocab import (
    Handrails,
    HoldSeconds,
    InclinePct,
    Minutes,
    Reps,
    SessionsPerWeek,
    Sets,
    SpeedKmh,
)
from retrowalk.errors import DataFileError, InputError

Stage = Literal["early", "intermediate", "advanced"]
Group = Literal["warmup", "mobility", "stability", "strength", "balance"]
Variable = Literal["minutes", "sets", "reps", "hold_s", "speed_kmh", "incline_pct"]
GROUP_ORDER: dict[str, int] = {"warmup": 0, "mobility": 1, "stability": 2, "strength": 3, "balance": 4}
NUMERIC_VARIABLES: tuple[Variable, ...] = ("minutes", "sets", "reps", "hold_s", "speed_kmh", "incline_pct")
_HANDRAIL_LEVEL: dict[str, int] = {"both": 0, "one": 1, "none": 2}
#: Exercises of these families differ only by dose (stages of one protocol), so a stage change is
#: itself the one variable raised; in any other family the variant change is the raised variable.
DOSE_STAGED_FAMILIES = frozenset({"retro_walk"})
RETRO_FAMILY = "retro_walk"
FORWARD_WALK_ID = "forward_walk"


class Dose(BaseModel):
    """What to do in one session. Unset fields do not apply to the exercise."""

    model_config = ConfigDict(extra="forbid")

    sets: Sets | None = None
    reps: Reps | None = None
    hold_s: HoldSeconds | None = None
    minutes: Minutes | None = None
    speed_kmh: SpeedKmh | None = None
    incline_pct: InclinePct | None = None
    handrails: Handrails | None = None
    safety_key: bool | None = None
    per_side: bool = False
    sessions_per_week: SessionsPerWeek | None = None

    def with_value(self, variable: str, value: float) -> Dose:
        """A validated copy with one variable changed (sets/reps stay integers)."""
        data = self.model_dump()
        data[variable] = round(value) if variable in ("sets", "reps") else value
        return Dose.model_validate(data)

    def describe(self) -> str:
        parts: list[str] = []
        if self.sets and self.reps:
            parts.append(f"{self.sets}×{self.reps}")
        elif self.sets and self.hold_s and not self.reps:
            parts.append(f"{self.sets}×{self.hold_s:g} s hold")
        elif self.reps:
            parts.append(f"{self.reps} reps")
        if self.hold_s and self.reps:
            parts.append(f"{self.hold_s:g} s hold")
        if self.minutes:
            parts.append(f"{self.minutes:g} min")
        if self.speed_kmh:
            parts.append(f"{self.speed_kmh:g} km/h")
        if self.incline_pct:
            parts.append(f"{self.incline_pct:g}% incline")
        if self.handrails:
            parts.append(
                {"both": "both handrails", "one": "one handrail", "none": "hands-free"}[self.handrails]
            )
        if self.safety_key:
            parts.append("safety key")
        if self.per_side:
            parts.append("per side")
        return ", ".join(parts)


def harder_variables(old: Dose, new: Dose) -> list[str]:
    """Dose variables set in both doses that are harder in ``new`` (handrails: fewer = harder)."""
    raised: list[str] = []
    for name in NUMERIC_VARIABLES:
        a, b = getattr(old, name), getattr(new, name)
        if a is not None and b is not None and b > a + 1e-9:
            raised.append(name)
    if (
        old.handrails is not None
        and new.handrails is not None
        and _HANDRAIL_LEVEL[new.handrails] > _HANDRAIL_LEVEL[old.handrails]
    ):
        raised.append("handrails")
    return raised


class ProgressStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variable: Variable
    step: float = Field(gt=0)
    max: float = Field(gt=0)


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    family: str
    joint: str
    quality: Literal["mobility", "stability", "strength", "balance"]
    stage: Stage
    group: Group
    dose: Dose
    progress: list[ProgressStep] = Field(default_factory=list)
    cues: list[str] = Field(default_factory=list)
    contraindications: list[str] = Field(default_factory=list)
    progression_id: str | None = None
    regression_id: str | None = None
    graduates_to: list[str] = Field(default_factory=list)
    source: str
    certainty: Literal["S", "K", "U"]

    def top_dose(self) -> Dose:
        """The dose once every progress variable has reached its maximum."""
        dose = self.dose
        for p in self.progress:
            dose = dose.with_value(p.variable, p.max)
        return dose


class Condition(BaseModel):
    """A contraindication condition: current pain at/above a level, or a finding status."""

    model_config = ConfigDict(extra="forbid")

    description: str
    pain_at_least: float | None = None
    finding: dict[str, list[str]] | None = None
    source: str
    certainty: Literal["S", "K", "U"]


class ExerciseLibrary(BaseModel):
    exercises: dict[str, Exercise]
    conditions: dict[str, Condition]
    speed_band_kmh: dict[str, tuple[float, float]]

    def get(self, exercise_id: str, field: str = "exercise_id") -> Exercise:
        if exercise_id not in self.exercises:
            raise InputError(
                field, f"unknown exercise id {exercise_id!r}", hint=f"use one of {sorted(self.exercises)}"
            )
        return self.exercises[exercise_id]

    def family(self, family: str) -> list[Exercise]:
        return [e for e in self.exercises.values() if e.family == family]


def _validate(lib: ExerciseLibrary) -> None:
    ex = lib.exercises
    for e in ex.values():
        for ref_name in ("progression_id", "regression_id"):
            ref = getattr(e, ref_name)
            if ref is not None and ref not in ex:
                raise DataFileError(f"exercises.yaml: {e.id}.{ref_name} refers to unknown exercise {ref!r}")
            if ref == e.id:
                raise DataFileError(f"exercises.yaml: {e.id}.{ref_name} refers to itself")
        for ref in e.graduates_to:
            if ref not in ex:
                raise DataFileError(f"exercises.yaml: {e.id}.graduates_to refers to unknown exercise {ref!r}")
        for cond in e.contraindications:
            if cond not in lib.conditions:
                raise DataFileError(
                    f"exercises.yaml: {e.id}.contraindications refers to unknown condition {cond!r}"
                )
        for p in e.progress:
            start = getattr(e.dose, p.variable)
            if start is None or start > p.max:
                raise DataFileError(
                    f"exercises.yaml: {e.id} progresses {p.variable} but its dose "
                    f"{p.variable}={start} is unset or above max {p.max}"
                )
        band = lib.speed_band_kmh.get(e.family)
        if band is not None:
            for dose in (e.dose, e.top_dose()):
                if dose.speed_kmh is None or not band[0] <= dose.speed_kmh <= band[1]:
                    raise DataFileError(
                        f"exercises.yaml: {e.id} speed {dose.speed_kmh} km/h is outside "
                        f"the {e.family} band {band[0]}-{band[1]} km/h"
                    )
        if e.progression_id is not None:
            target = ex[e.progression_id]
            raised = harder_variables(e.top_dose(), target.dose)
            allowed = 1 if (e.family == target.family and e.family in DOSE_STAGED_FAMILIES) else 0
            if len(raised) > allowed:
                raise DataFileError(
                    f"exercises.yaml: progression {e.id} -> {target.id} raises {raised}; "
                    "raise only one variable at a time"
                )
    # Cycles in the progression chain would make progression loop forever.
    for e in ex.values():
        seen = {e.id}
        nxt = e.progression_id
        while nxt is not None:
            if nxt in seen:
                raise DataFileError(f"exercises.yaml: progression cycle through {nxt!r}")
            seen.add(nxt)
            nxt = ex[nxt].progression_id
    if FORWARD_WALK_ID not in ex or ex[FORWARD_WALK_ID].contraindications:
        raise DataFileError(f"exercises.yaml: {FORWARD_WALK_ID!r} must exist and have no contraindications")
    if not lib.family(RETRO_FAMILY):
        raise DataFileError("exercises.yaml: the retro_walk family is missing")


def library_from_data(raw: Mapping[str, Any]) -> ExerciseLibrary:
    """Validate raw library data (packaged or supplied by tests); broken references raise DataFileError."""
    try:
        items = [Exercise(**e) for e in raw["exercises"]]
        conditions = {k: Condition(**v) for k, v in (raw.get("conditions") or {}).items()}
        bands = {k: (float(v[0]), float(v[1])) for k, v in (raw.get("speed_band_kmh") or {}).items()}
    except (KeyError, TypeError, IndexError, ValidationError) as exc:
        raise DataFileError(f"exercises.yaml is malformed: {exc}") from exc
    ids = [e.id for e in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataFileError(f"exercises.yaml: duplicate exercise ids {dupes}")
    lib = ExerciseLibrary(exercises={e.id: e for e in items}, conditions=conditions, speed_band_kmh=bands)
    _validate(lib)
    return lib


@lru_cache(maxsize=1)
def load_library() -> ExerciseLibrary:
    return library_from_data(load_yaml("exercises.yaml"))
