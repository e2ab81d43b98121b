"""Exercise library as data (data/exercises.yaml), validated loudly at load time.

Cross-references (progression, regression, graduation, contraindication ids) must resolve, and
every progression link may raise at most one variable: the same rule the progression engine obeys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.illustration import check_library_illustrated
from retrowalk.core.vocab import (
    HANDRAIL_LABELS,
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


#: Handrail use as the client's handout says it (the shorthand is ``core.vocab.HANDRAIL_LABELS``).
PLAIN_HANDRAILS: dict[str, str] = {
    "both": "holding both rails",
    "one": "holding one rail",
    "none": "hands free",
}
#: The dose's settings in the order they are said: field, shorthand, the client's words.
DOSE_SETTINGS: tuple[tuple[str, Callable[[Any], str], Callable[[Any], str]], ...] = (
    ("speed_kmh", lambda v: f"{v:g} km/h", lambda v: f"at {v:g} km/h"),
    ("incline_pct", lambda v: f"{v:g}% incline", lambda v: f"{v:g} % incline"),
    ("handrails", HANDRAIL_LABELS.__getitem__, PLAIN_HANDRAILS.__getitem__),
    ("safety_key", lambda _: "safety key", lambda _: "safety key clipped on"),
    ("per_side", lambda _: "per side", lambda _: "on each side"),
    ("sessions_per_week", lambda v: f"{v}×/week", lambda v: f"{v} times a week"),
)


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
        """Every part of the dose in words: sets, reps, hold, minutes, speed, incline, handrails,
        safety key, per side and weekly frequency."""
        parts: list[str] = []
        if self.sets and self.reps:
            parts.append(f"{self.sets}×{self.reps}")
        elif self.sets and self.hold_s:
            parts.append(f"{self.sets}×{self.hold_s:g} s hold")
        elif self.sets and self.minutes:
            parts.append(f"{self.sets}×{self.minutes:g} min")
        elif self.sets:
            parts.append(f"{self.sets} sets")
        elif self.reps:
            parts.append(f"{self.reps} reps")
        if (self.hold_s and self.reps) or (self.hold_s and not self.sets):
            parts.append(f"{self.hold_s:g} s hold")
        if self.minutes and not (self.sets and not self.reps and not self.hold_s):
            parts.append(f"{self.minutes:g} min")
        return ", ".join([*parts, *self.setting_parts()])

    def setting_parts(self, *, plain: bool = False) -> list[str]:
        """The parts after the amount (speed, incline, handrails, safety key, per side, weekly
        frequency), in order: the clinician's shorthand, or with ``plain`` the client's words."""
        return [
            (say if plain else short)(getattr(self, name))
            for name, short, say in DOSE_SETTINGS
            if getattr(self, name)
        ]


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
    """A contraindication condition: current pain at/above a level or above the shared limit, or a
    finding status."""

    model_config = ConfigDict(extra="forbid")

    description: str
    pain_at_least: float | None = None
    pain_above_limit: bool = False
    fall_risk: bool = False
    finding: dict[str, list[str]] | None = None
    source: str
    certainty: Literal["S", "K", "U"]


class SafeBand(BaseModel):
    """The protocol's safe dose band for one family (retro-walking), each limit with its source."""

    model_config = ConfigDict(extra="forbid")

    speed_kmh: tuple[SpeedKmh, SpeedKmh]
    speed_source: str
    incline_pct_max: InclinePct
    incline_source: str
    safety_key_required: bool
    safety_key_source: str
    hands_free_from: str
    hands_free_source: str
    hands_free_max_step_asymmetry_pct: float = Field(gt=0)
    hands_free_recording_max_age_days: int = Field(gt=0)
    hands_free_evidence_source: str
    certainty: Literal["S", "K", "U"]


class ExerciseLibrary(BaseModel):
    exercises: dict[str, Exercise]
    conditions: dict[str, Condition]
    safe_bands: dict[str, SafeBand] = Field(default_factory=dict)

    @property
    def speed_band_kmh(self) -> dict[str, tuple[float, float]]:
        return {family: band.speed_kmh for family, band in self.safe_bands.items()}

    def hands_free_stages(self, family: str) -> set[str]:
        """Exercises of ``family`` allowed without handrails: the band's first hands-free stage on."""
        band = self.safe_bands.get(family)
        if band is None:
            return {e.id for e in self.family(family)}
        out: set[str] = set()
        nxt: str | None = band.hands_free_from
        while nxt is not None and nxt not in out and nxt in self.exercises:
            out.add(nxt)
            nxt = self.exercises[nxt].progression_id
        return out

    def dose_problems(self, exercise: Exercise, dose: Dose) -> list[str]:
        """Every rule of the family's safe band that ``dose`` breaks, in words with the source."""
        band = self.safe_bands.get(exercise.family)
        if band is None:
            return []
        problems: list[str] = []
        lo, hi = band.speed_kmh
        if dose.speed_kmh is None or not lo <= dose.speed_kmh <= hi:
            problems.append(f"speed_kmh must be {lo:g}-{hi:g} km/h ({band.speed_source})")
        if (dose.incline_pct or 0) > band.incline_pct_max:
            problems.append(f"incline_pct must be at most {band.incline_pct_max:g} % ({band.incline_source})")
        if band.safety_key_required and dose.safety_key is not True:
            problems.append(f"safety_key must be true ({band.safety_key_source})")
        if dose.handrails == "none" and exercise.id not in self.hands_free_stages(exercise.family):
            problems.append(
                f"handrails 'none' (hands-free) only from {band.hands_free_from} on "
                f"({band.hands_free_source})"
            )
        return problems

    def check_dose(self, exercise: Exercise, dose: Dose, field: str) -> None:
        """Refuse a dose outside the family's safe band, naming the field and the rule."""
        problems = self.dose_problems(exercise, dose)
        if problems:
            raise InputError(
                field,
                f"{exercise.id} dose outside the protocol's safe band: " + "; ".join(problems),
                hint="use a dose inside the band (see the exercise's library dose)",
            )

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
        for dose in (e.dose, e.top_dose()):
            problems = lib.dose_problems(e, dose)
            if problems:
                raise DataFileError(f"exercises.yaml: {e.id} dose is outside its safe band: {problems}")
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
        bands = {k: SafeBand(**v) for k, v in (raw.get("safe_bands") or {}).items()}
    except (KeyError, TypeError, IndexError, ValidationError) as exc:
        raise DataFileError(f"exercises.yaml is malformed: {exc}") from exc
    ids = [e.id for e in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataFileError(f"exercises.yaml: duplicate exercise ids {dupes}")
    for family, band in bands.items():
        if band.hands_free_from not in {e.id for e in items if e.family == family}:
            raise DataFileError(
                f"exercises.yaml: safe_bands.{family}.hands_free_from is not a {family} stage"
            )
    lib = ExerciseLibrary(exercises={e.id: e for e in items}, conditions=conditions, safe_bands=bands)
    _validate(lib)
    return lib


@lru_cache(maxsize=1)
def load_library() -> ExerciseLibrary:
    lib = library_from_data(load_yaml("exercises.yaml"))
    check_library_illustrated({e.id: e.cues for e in lib.exercises.values()})  # every exercise drawn
    return lib
