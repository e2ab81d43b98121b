"""Response bodies of the REST API (pydantic v2). Request bodies are the use cases' own input
models (:mod:`retrowalk.app`), re-exported here, so the API, the web forms and the CLI validate
with one set of models and the core's vocabulary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from retrowalk.app.assessments import AssessmentIn
from retrowalk.app.auth import LoginIn, UserCreate, UserUpdate
from retrowalk.app.clients import ClientIn, ClientUpdate, TrainerLinkIn
from retrowalk.app.programmes import ProgrammeIn
from retrowalk.app.questionnaires import KoosIn
from retrowalk.app.sessions import (
    DecisionPolicyIn,
    HandsFreeSignOffIn,
    RedFlagClear,
    SessionLogCorrection,
    SessionLogIn,
    SessionLogUpdate,
)

__all__ = [
    "AssessmentIn",
    "ClientIn",
    "ClientUpdate",
    "DecisionPolicyIn",
    "HandsFreeSignOffIn",
    "KoosIn",
    "LoginIn",
    "ProgrammeIn",
    "RedFlagClear",
    "SessionLogCorrection",
    "SessionLogIn",
    "SessionLogUpdate",
    "TrainerLinkIn",
    "UserCreate",
    "UserUpdate",
]

from retrowalk.core.assessment import AssessmentInput, AssessmentResult, TestChange
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.progression import NextSession
from retrowalk.core.scores.koos import KoosScores
from retrowalk.gait.summary import GaitSummary
from retrowalk.storage.documents import RecordingMetrics

Role = Literal["admin", "trainer", "client"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth and users ----------------------------------------------------------------------------


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    client_id: int | None
    created_at: datetime
    contact_phone: str | None = Field(default=None, description="Trainers: printed on the handout.")
    contact_email: str | None = Field(default=None, description="Trainers: printed on the handout.")


class MediaOut(Out):
    """A trainer's own photo or video of an exercise (the bytes at ``url``, a still at ``poster_url``)."""

    id: int
    exercise_id: str
    client_id: int | None = Field(description="Set: for this client's programme item; null: all clients.")
    kind: Literal["photo", "video"]
    mime: str
    width: int
    height: int
    duration_s: float | None
    size_bytes: int
    created_at: datetime
    url: str
    poster_url: str

    @classmethod
    def of(cls, row: Any) -> MediaOut:
        base = f"/api/v1/media/{row.id}"
        return cls.model_validate(
            {
                **{k: getattr(row, k) for k in cls.model_fields if hasattr(row, k)},
                "url": base,
                "poster_url": f"{base}/poster",
            }
        )


class LoginOut(BaseModel):
    token: str = Field(description="Bearer token for API clients (Authorization: Bearer …).")
    token_type: Literal["bearer"] = "bearer"
    csrf_token: str = Field(description="Send as X-CSRF-Token on state-changing cookie requests.")
    expires_at: datetime
    user: UserOut


# --- clients -----------------------------------------------------------------------------------


class ClientOut(Out):
    id: int
    name: str
    date_of_birth: date | None
    sex: str | None
    notes: str
    created_at: datetime
    trainer_ids: list[int] = []
    has_account: bool = False


# --- assessments and questionnaires ------------------------------------------------------------


class AssessmentOut(Out):
    id: int
    client_id: int
    created_at: datetime
    created_by: int | None
    inputs: AssessmentInput
    findings: AssessmentResult | None = Field(description="None: imported and never evaluated.")
    pain_nprs: float | None
    stop: bool
    affected_side: str | None = None


class KoosOut(Out):
    id: int
    client_id: int
    created_at: datetime
    instrument: str
    answers: dict[str, Any]
    scores: KoosScores


# --- programmes --------------------------------------------------------------------------------


class ProgrammeOut(Out):
    id: int
    client_id: int
    version: int
    created_at: datetime
    created_by: int | None
    assessment_id: int | None
    pain_nprs: float | None
    goals: list[Any]
    content: ProgrammeContent
    based_on_id: int | None = None
    decided_after: date | None = None
    origin: str | None = Field(
        default=None, description='"decision after session <date>" for a decided version.'
    )
    origin_reason: str | None = None
    reason: str = ""
    source: str = "generated"


# --- session logs ------------------------------------------------------------------------------


class SessionLogOut(Out):
    id: int
    client_id: int
    programme_id: int | None
    created_at: datetime
    created_by: int | None
    session_date: date
    exercise_id: str
    minutes: float | None
    speed_kmh: float | None
    incline_pct: float | None
    handrails: str | None
    sets: int | None
    reps: int | None
    hold_s: float | None
    pain_before: float | None
    pain_during: float | None
    pain_after: float | None
    pain_next_morning: float | None
    completed: bool
    notes: str
    red_flags: list[str] | None = None


class SignOffOut(Out):
    """A trainer's clearance of a red flag, or sign-off for hands-free walking."""

    id: int
    kind: str
    flag_id: str | None
    signed_by_name: str
    signed_on: date
    reason: str


class RedFlagsOut(BaseModel):
    in_force: list[dict[str, Any]]
    can_log_exercise: bool
    signoffs: list[SignOffOut]


class PendingDecisionOut(Out):
    id: int
    programme_id: int
    decided_after: date
    reason: str
    status: str
    content: dict[str, Any]


class SessionLogCreated(BaseModel):
    log: SessionLogOut
    next_session: NextSession | None = Field(
        description="The progression engine's decision for the next session (None without a programme)."
    )


# --- recordings --------------------------------------------------------------------------------


class RecordingOut(Out):
    id: int
    client_id: int
    session_log_id: int | None
    created_at: datetime
    kind: str
    original_name: str
    sha256: str
    size_bytes: int
    status: str
    metrics: dict[str, Any] | None = Field(
        description="The gait engine's own result (or the imported values)."
    )
    gait: GaitSummary | None = Field(description="The engine-independent gait summary.")
    quality: dict[str, Any] | None = Field(
        default=None, description="Measurement-quality flags; ok false: the numbers are withheld (reason)."
    )
    error: str | None

    @field_validator("metrics", mode="before")
    @classmethod
    def _engine_result(cls, value: Any) -> Any:
        if isinstance(value, RecordingMetrics):
            return value.result if value.result is not None else value.summary.model_dump(mode="json")
        return value


# --- outcomes and audit ------------------------------------------------------------------------


class Point(BaseModel):
    at: datetime | date
    value: float
    source: str
    source_id: int


class Series(BaseModel):
    name: str
    unit: str
    higher_is_better: bool | None
    points: list[Point]


class OutcomesOut(BaseModel):
    client_id: int
    series: list[Series]
    changes: list[dict[str, Any]] = Field(
        default=[], description="Clinically important change flags between first and latest values."
    )


class AuditOut(Out):
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    resource: str
    resource_id: str | None
    client_id: int | None
    detail: str


class Problem(BaseModel):
    detail: Any


# --- programme editor, trainer's day -----------------------------------------------------------


class ItemChangeOut(BaseModel):
    exercise_id: str
    name: str
    change: Literal["added", "removed", "dose", "moved", "same"]
    old: str
    new: str


class LibraryEntryOut(BaseModel):
    exercise_id: str
    name: str
    joint: str
    quality: str
    stage: str
    dose: dict[str, Any]
    dose_text: str
    contraindicated: list[str] = Field(
        description="why this client's assessment rules it out; empty: allowed"
    )


class MessageOut(Out):
    id: int
    client_id: int
    sender_id: int | None
    from_role: str
    body: str
    created_at: datetime
    read_at: datetime | None


class FlagOut(BaseModel):
    flag: str
    acknowledged: str | None = Field(description="the trainer's note, when acknowledged")


class DashboardRowOut(BaseModel):
    client_id: int
    name: str
    archived: bool
    due: bool
    flags: list[FlagOut]
    unread: int
    last_session: date | None
    week_done: int
    week_planned: int


class WeekAdherenceOut(BaseModel):
    week_start: date
    days: int
    per_week: int
    planned: float
    done: int
    pct: float


class VisitOut(BaseModel):
    assessment_id: int
    created_at: datetime
    affected_side: str | None
    previous_id: int | None
    changes: list[TestChange] = Field(description="The core's comparison with the previous visit.")
