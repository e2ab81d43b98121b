"""``ClientRecord``: one client's data as it crosses the interop boundary.

The FHIR exporter/importer and the research exports work on this DTO only, so they need neither
the storage models nor the core's internal types; storage adapters convert to and from it.
Timestamps are timezone-aware and normalised to UTC so that export → import → export is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from retrowalk.core.vocab import HoldSeconds, InclinePct, KoosScore, Reps, Sets, Sex, SpeedKmh
from retrowalk.interop.codes import GAIT_CONCEPTS, MEASUREMENT_CONCEPTS, UCUM_UNITS
from retrowalk.interop.koos import KOOS_ITEM_IDS

#: Record ids become FHIR resource ids (with a short prefix), so they follow FHIR's id rule.
RecordId = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-.]{1,48}$")]
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-.]{0,63}$")]
Side = Literal["left", "right", "bilateral"]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatientInfo(_Model):
    """Pseudonymous by default: ``name`` is exported only when identity is asked for."""

    id: RecordId
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    sex: Sex | None = None
    name: Text | None = None


class PractitionerInfo(_Model):
    id: RecordId
    name: Text | None = None


class KoosScores(_Model):
    """Subscale scores 0–100 (100 = no problems); ``None`` when too few items were answered."""

    symptoms: KoosScore | None = None
    pain: KoosScore | None = None
    adl: KoosScore | None = None
    sport_rec: KoosScore | None = None
    qol: KoosScore | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


def _koos_answers(value: dict[str, int]) -> dict[str, int]:
    unknown = sorted(set(value) - KOOS_ITEM_IDS)
    if unknown:
        raise ValueError(f"unknown KOOS item ids {unknown}; use English numbering S1..Q4")
    return value


class KoosResponse(_Model):
    """One completed KOOS: answers 0–4 keyed by English item id; unanswered items are absent."""

    id: RecordId
    authored: UtcDatetime
    answers: Annotated[dict[str, Annotated[int, Field(ge=0, le=4)]], AfterValidator(_koos_answers)]
    scores: KoosScores | None = None

    @model_validator(mode="after")
    def _drop_empty_scores(self) -> KoosResponse:
        if self.scores is not None and self.scores.is_empty():
            object.__setattr__(self, "scores", None)
        return self


PainContext = Literal["baseline", "rest", "before", "during", "after", "next_day"]


class PainObservation(_Model):
    """An NPRS 0–10 rating; ``session_id`` ties ratings taken during a logged session to it."""

    id: RecordId
    effective: UtcDatetime
    value: float = Field(ge=0, le=10, allow_inf_nan=False)
    context: PainContext | None = None
    session_id: RecordId | None = None


def _check_unit(unit: str) -> str:
    if unit not in UCUM_UNITS:
        raise ValueError(f"unit {unit!r} is not one of the supported UCUM codes {sorted(UCUM_UNITS)}")
    return unit


Unit = Annotated[str, AfterValidator(_check_unit)]


class Measurement(_Model):
    """An assessment result keyed by catalogue test id and side."""

    id: RecordId
    effective: UtcDatetime
    test_id: Code
    side: Side | None = None
    value: float = Field(allow_inf_nan=False)
    unit: Unit

    @model_validator(mode="after")
    def _known_test(self) -> Measurement:
        concept = MEASUREMENT_CONCEPTS.get(self.test_id)
        if concept is not None:
            if self.unit != concept.unit:
                raise ValueError(f"{self.test_id} is measured in {concept.unit!r}, not {self.unit!r}")
            if not concept.low <= self.value <= concept.high:
                raise ValueError(
                    f"{self.test_id} value {self.value} outside {concept.low}..{concept.high} {concept.unit}"
                )
        return self


class GaitMetric(_Model):
    """A gait metric from the IMU or pose engine (or entered by hand)."""

    id: RecordId
    effective: UtcDatetime
    metric: Code
    value: float = Field(allow_inf_nan=False)
    unit: Unit
    side: Side | None = None
    direction: Literal["forward", "backward"] | None = None
    source: Literal["imu", "pose", "manual"] | None = None

    @model_validator(mode="after")
    def _known_metric(self) -> GaitMetric:
        concept = GAIT_CONCEPTS.get(self.metric)
        if concept is not None:
            if self.unit != concept.unit:
                raise ValueError(f"{self.metric} is measured in {concept.unit!r}, not {self.unit!r}")
            if not concept.low <= self.value <= concept.high:
                raise ValueError(f"{self.metric} value {self.value} outside {concept.low}..{concept.high}")
        return self


class Dose(_Model):
    sets: Sets | None = None
    reps: Reps | None = None
    hold_s: HoldSeconds | None = None
    duration_min: float | None = Field(default=None, gt=0, le=1440, allow_inf_nan=False)
    distance_m: float | None = Field(default=None, gt=0, le=100000, allow_inf_nan=False)
    load_kg: float | None = Field(default=None, ge=0, le=500, allow_inf_nan=False)
    speed_kmh: SpeedKmh | None = None
    incline_pct: InclinePct | None = None
    handrails: Literal["none", "one", "both"] | None = None
    safety_key: bool | None = None
    per_side: bool | None = None
    frequency_per_week: int | None = Field(default=None, ge=1, le=21)
    notes: Text | None = None

    def describe(self) -> str:
        """Human-readable dose ("3 x 10 reps, 300 s, 3/week") for FHIR narrative fields."""
        parts: list[str] = []
        if self.sets and self.reps:
            parts.append(f"{self.sets} x {self.reps} reps")
        elif self.sets:
            parts.append(f"{self.sets} sets")
        elif self.reps:
            parts.append(f"{self.reps} reps")
        if self.hold_s is not None:
            parts.append(f"{self.hold_s:g} s hold")
        if self.per_side:
            parts.append("each side")
        if self.duration_min is not None:
            parts.append(f"{self.duration_min:g} min")
        if self.distance_m is not None:
            parts.append(f"{self.distance_m:g} m")
        if self.load_kg is not None:
            parts.append(f"{self.load_kg:g} kg")
        if self.speed_kmh is not None:
            parts.append(f"{self.speed_kmh:g} km/h")
        if self.incline_pct is not None:
            parts.append(f"{self.incline_pct:g}% incline")
        if self.handrails is not None:
            parts.append(f"handrails: {self.handrails}")
        if self.frequency_per_week is not None:
            parts.append(f"{self.frequency_per_week}/week")
        if self.notes:
            parts.append(self.notes)
        return ", ".join(parts) or "as tolerated"


class ProgrammeActivity(_Model):
    exercise_id: Code
    name: Text | None = None
    stage: Text | None = None
    dose: Dose = Dose()
    reason: Text | None = None


class Programme(_Model):
    id: RecordId
    created: UtcDatetime
    status: Literal["draft", "active", "on-hold", "completed", "revoked"] = "active"
    title: Text | None = None
    activities: list[ProgrammeActivity] = Field(default_factory=list)


class SessionExercise(_Model):
    exercise_id: Code
    dose: Dose = Dose()
    completed: bool = True


class LoggedSession(_Model):
    id: RecordId
    performed: UtcDatetime
    programme_id: RecordId | None = None
    exercises: list[SessionExercise] = Field(default_factory=list)
    notes: Text | None = None


class ClientRecord(_Model):
    """Everything retrowalk knows about one client, in exchange form."""

    patient: PatientInfo
    practitioner: PractitionerInfo | None = None
    koos: list[KoosResponse] = Field(default_factory=list)
    pain: list[PainObservation] = Field(default_factory=list)
    measurements: list[Measurement] = Field(default_factory=list)
    gait: list[GaitMetric] = Field(default_factory=list)
    programmes: list[Programme] = Field(default_factory=list)
    sessions: list[LoggedSession] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_and_references(self) -> ClientRecord:
        for name in ("koos", "pain", "measurements", "gait", "programmes", "sessions"):
            ids = [item.id for item in getattr(self, name)]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{name}: duplicate ids {dupes}")
        programme_ids = {p.id for p in self.programmes}
        for session in self.sessions:
            if session.programme_id is not None and session.programme_id not in programme_ids:
                raise ValueError(f"sessions[{session.id}].programme_id {session.programme_id!r} is unknown")
        session_ids = {s.id for s in self.sessions}
        for obs in self.pain:
            if obs.session_id is not None and obs.session_id not in session_ids:
                raise ValueError(f"pain[{obs.id}].session_id {obs.session_id!r} is unknown")
        return self
