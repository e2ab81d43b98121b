"""Request and response bodies of the REST API (pydantic v2); inputs reject unknown fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from retrowalk.core.assessment import AssessmentInput, AssessmentResult
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.scores.koos import KoosScores
from retrowalk.gait.summary import GaitSummary
from retrowalk.storage.documents import RecordingMetrics

Role = Literal["admin", "trainer", "client"]
Handrails = Literal["none", "one", "both"]
Pain = Field(default=None, ge=0, le=10, description="NPRS 0 (none) … 10 (worst imaginable).")


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth and users ----------------------------------------------------------------------------


class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    client_id: int | None
    created_at: datetime


class LoginOut(BaseModel):
    token: str = Field(description="Bearer token for API clients (Authorization: Bearer …).")
    token_type: Literal["bearer"] = "bearer"
    csrf_token: str = Field(description="Send as X-CSRF-Token on state-changing cookie requests.")
    expires_at: datetime
    user: UserOut


USERNAME = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
PASSWORD = Field(min_length=10, max_length=1024, description="At least 10 characters.")


class UserCreate(In):
    username: str = USERNAME
    password: str = PASSWORD
    role: Literal["admin", "trainer"]
    display_name: str = Field(default="", max_length=200)


class UserUpdate(In):
    display_name: str | None = Field(default=None, max_length=200)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)


class ClientAccountCreate(In):
    username: str = USERNAME
    password: str = PASSWORD


# --- clients -----------------------------------------------------------------------------------


class ClientIn(In):
    name: str = Field(min_length=1, max_length=200)
    date_of_birth: date | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    notes: str = Field(default="", max_length=10_000)

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth(cls, v: date | None) -> date | None:
        if v is not None and not (date(1900, 1, 1) <= v <= datetime.now(UTC).date()):
            raise ValueError("date of birth must be between 1900-01-01 and today")
        return v


class ClientUpdate(In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)


class ClientOut(Out):
    id: int
    name: str
    date_of_birth: date | None
    sex: str | None
    notes: str
    created_at: datetime
    trainer_ids: list[int] = []
    has_account: bool = False


class TrainerLinkIn(In):
    username: str = Field(min_length=1, max_length=64, description="Username of the trainer to add.")


# --- assessments and questionnaires ------------------------------------------------------------


class AssessmentIn(In):
    inputs: dict[str, Any] = Field(description="The core's AssessmentInput (see retrowalk.core.assessment).")


class AssessmentOut(Out):
    id: int
    client_id: int
    created_at: datetime
    created_by: int | None
    inputs: AssessmentInput
    findings: AssessmentResult | None = Field(description="None: imported and never evaluated.")
    pain_nprs: float | None
    stop: bool


class KoosIn(In):
    answers: dict[str, int | None] = Field(description="KOOS item id → 0..4 (None = missing).")
    missing_rule: Literal["2012", "1998"] = "2012"


class KoosOut(Out):
    id: int
    client_id: int
    created_at: datetime
    instrument: str
    answers: dict[str, Any]
    scores: KoosScores


# --- programmes --------------------------------------------------------------------------------


class ProgrammeIn(In):
    pain_nprs: float | None = Field(
        default=None, ge=0, le=10, description="Current pain; default: the latest assessment's."
    )
    goals: list[str] = Field(default=[], max_length=20)


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


# --- session logs ------------------------------------------------------------------------------


class SessionLogIn(In):
    session_date: date
    exercise_id: str = Field(min_length=1, max_length=100)
    minutes: float | None = Field(default=None, gt=0, le=180)
    speed_kmh: float | None = Field(default=None, gt=0, le=20)
    incline_pct: float | None = Field(default=None, ge=0, le=30)
    handrails: Handrails | None = None
    sets: int | None = Field(default=None, ge=1, le=20)
    reps: int | None = Field(default=None, ge=1, le=100)
    hold_s: float | None = Field(default=None, gt=0, le=600)
    pain_before: float | None = Field(
        default=None, ge=0, le=10, description="Baseline pain before the session."
    )
    pain_during: float = Field(ge=0, le=10, description="Worst pain during (NPRS 0-10).")
    pain_after: float = Field(ge=0, le=10, description="Pain right after (NPRS 0-10).")
    pain_next_morning: float | None = Pain
    completed: bool = True
    notes: str = Field(default="", max_length=5_000)

    @field_validator("session_date")
    @classmethod
    def _not_future(cls, v: date) -> date:
        if v > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError("session date is in the future")
        if v < date(2000, 1, 1):
            raise ValueError("session date is before 2000")
        return v


class SessionLogUpdate(In):
    """Later additions to a logged session, typically the next-morning pain."""

    pain_next_morning: float | None = Pain
    notes: str | None = Field(default=None, max_length=5_000)


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


class SessionLogCreated(BaseModel):
    log: SessionLogOut
    next_session: dict[str, Any] | None = Field(
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
