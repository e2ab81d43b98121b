"""Log a session and decide the next one: the one path for the web form, the REST route, the
CLI and any offline sync.

Why one place: the web and the API used to compute "next session" from different histories
(all logs with a fallback to other programmes' logs, versus the current programme's last eight
weeks), so the same client got different advice. Here the rule is written once, and this is the
only module that calls the core's progression engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy.orm import Session

from retrowalk.app import clinical, quotas
from retrowalk.app.access import read_one
from retrowalk.app.errors import NotFound
from retrowalk.core import prescription as core_prescription
from retrowalk.core import progression as core_progression
from retrowalk.core.assessment import AssessmentResult
from retrowalk.core.progression import NextSession
from retrowalk.core.vocab import (
    Handrails,
    HoldSeconds,
    InclinePct,
    Minutes,
    Pain,
    Reps,
    Sets,
    SpeedKmh,
    field_messages,
)
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, Programme, SessionLog, User

#: History the pain-monitoring model needs: the latest sessions, a streak of a few broken ones and
#: the week-to-week trend. Eight weeks covers all three and keeps each decision's cost bounded.
DECISION_WINDOW_DAYS = 56
#: Earliest session date accepted (older dates are typing mistakes).
EARLIEST_SESSION = date(2000, 1, 1)
#: How many days back the next-morning pain is still asked for.
MORNING_QUESTION_DAYS = 3

DOSE_FIELDS = ("minutes", "speed_kmh", "incline_pct", "handrails", "sets", "reps", "hold_s")
PAIN_FIELDS = ("pain_before", "pain_during", "pain_after", "pain_next_morning")


def today() -> date:
    """Today in UTC, the calendar every session date is checked against."""
    return datetime.now(UTC).date()


class LoggedValues(BaseModel):
    """The dose and pain of one logged exercise, in the core's vocabulary (one set of bounds)."""

    model_config = ConfigDict(extra="forbid")

    minutes: Minutes | None = None
    speed_kmh: SpeedKmh | None = None
    incline_pct: InclinePct | None = None
    handrails: Handrails | None = None
    sets: Sets | None = None
    reps: Reps | None = None
    hold_s: HoldSeconds | None = None
    pain_before: Pain | None = Field(default=None, description="Baseline pain before the session.")
    pain_during: Pain | None = None
    pain_after: Pain | None = None
    pain_next_morning: Pain | None = None


class SessionLogIn(LoggedValues):
    """One exercise of one session as the client (or trainer) logs it."""

    session_date: date
    exercise_id: str = Field(min_length=1, max_length=100)
    pain_during: Pain = Field(description="Worst pain during.")
    pain_after: Pain = Field(description="Pain right after.")
    completed: bool = True
    notes: str = Field(default="", max_length=5_000)

    @field_validator("session_date")
    @classmethod
    def _session_date(cls, v: date) -> date:
        """The one session-date rule: not after tomorrow (time zones), not before 2000."""
        if v > today() + timedelta(days=1):
            raise ValueError("session date is in the future")
        if v < EARLIEST_SESSION:
            raise ValueError(f"session date is before {EARLIEST_SESSION.year}")
        return v


class SessionLogUpdate(BaseModel):
    """Later additions to a logged session, typically the next-morning pain."""

    model_config = ConfigDict(extra="forbid")

    pain_next_morning: Pain | None = None
    notes: str | None = Field(default=None, max_length=5_000)


@dataclass(frozen=True)
class Logged:
    """What logging returns: the stored rows and the decision for the next session."""

    logs: list[SessionLog]
    next_session: NextSession | None


def stored_problems(log: Any) -> dict[str, str]:
    """Fields of a stored log outside today's vocabulary (an old row, or one written by an older
    release); empty when the row is valid. Such rows are shown flagged and left out of charts and
    decisions, never allowed to break a page."""
    try:
        LoggedValues.model_validate({f: getattr(log, f) for f in (*DOSE_FIELDS, *PAIN_FIELDS)})
    except ValidationError as exc:
        return field_messages(exc)
    return {}


# --- the decision ------------------------------------------------------------------------------


_LOG_FIELDS = ("session_date", "exercise_id", "completed", *PAIN_FIELDS, *DOSE_FIELDS)


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


def decide(
    programme: Programme | Any, logs: Sequence[Any], assessment: Assessment | None = None
) -> NextSession | None:
    """The progression engine's decision from a programme, its logs and the client's latest
    assessment (its conditions, pain and red flags); None when no logged day can be judged yet.
    Rows outside today's vocabulary are left out (see :func:`stored_problems`)."""
    records = session_records(logs)
    if not records:
        return None
    content = programme.content
    prog = (
        content
        if isinstance(content, core_prescription.Programme)
        else core_prescription.Programme.model_validate(dict(content))
    )
    try:
        sessions = _session_records_adapter().validate_python(records)
    except ValidationError:
        sessions = _session_records_adapter().validate_python(
            session_records([log for log in logs if not stored_problems(log)])
        )
        if not sessions:
            return None
    result, pain = _assessment_for_engine(assessment)
    return core_progression.decide_next(prog, sessions, assessment=result, pain_nprs=pain)


def _assessment_for_engine(row: Assessment | None) -> tuple[AssessmentResult | None, float | None]:
    """The stored assessment as the engine reads it; one an older core wrote and today's no longer
    validates is left out (the programme's own pain and conditions then apply)."""
    if row is None or row.findings is None:  # none yet, or imported and never evaluated
        return None, row.pain_nprs if row is not None else None
    try:
        return AssessmentResult.model_validate(row.findings), row.pain_nprs
    except ValidationError:
        return None, row.pain_nprs


def next_session(db: Session, client_id: int, programme: Programme | None = None) -> NextSession | None:
    """What to do next time: the current programme judged on the sessions logged under it in the
    last :data:`DECISION_WINDOW_DAYS` (the one rule for every edge)."""
    programme = programme or crud.current_programme(db, client_id)
    if programme is None:
        return None
    logs = crud.session_log_rows(db, client_id, programme_id=programme.id, last_days=DECISION_WINDOW_DAYS)
    return decide(programme, logs, crud.latest_assessment(db, client_id))


def read_next_session(db: Session, user: User, client: Client) -> NextSession | None:
    crud.audit(db, user, "read", "next_session", client_id=client.id)
    return next_session(db, client.id)


# --- logging -----------------------------------------------------------------------------------


def log_session(
    db: Session, user: User, client: Client, entries: Sequence[SessionLogIn], *, detail: str = ""
) -> Logged:
    """Store one session (one row per exercise), audit it and decide the next session.

    Every entry's exercise must be in the library; the rows are tied to the current programme.
    """
    for entry in entries:
        clinical.check_exercise(entry.exercise_id)
    for day in {entry.session_date for entry in entries}:  # capped: each write re-judges the window
        quotas.check_logs_per_day(db, client.id, day, adding=sum(e.session_date == day for e in entries))
    programme = crud.current_programme(db, client.id)
    rows = [
        crud.add_session_log(
            db, client.id, programme_id=programme.id if programme else None, by=user, **entry.model_dump()
        )
        for entry in entries
    ]
    resource_id = rows[0].id if len(rows) == 1 else None
    crud.audit(db, user, "create", "session_log", resource_id=resource_id, client_id=client.id, detail=detail)
    return Logged(logs=rows, next_session=next_session(db, client.id, programme))


def list_logs(db: Session, user: User, client: Client, *, limit: int | None = None) -> Sequence[SessionLog]:
    crud.audit(db, user, "read", "session_log", client_id=client.id, detail="list")
    return crud.list_session_logs(db, client.id, limit=limit)


def get_log(db: Session, user: User, client: Client, log_id: int) -> SessionLog:
    return read_one(db, user, client, crud.get_session_log(db, client.id, log_id), "session_log")


def update_log(db: Session, user: User, client: Client, log_id: int, body: SessionLogUpdate) -> Logged:
    """Add what is known later (next-morning pain, notes); the decision is recomputed."""
    row = crud.get_session_log(db, client.id, log_id)
    if row is None:
        raise NotFound("session log not found")
    changes = body.model_dump(exclude_unset=True)
    if "notes" in changes and changes["notes"] is None:
        del changes["notes"]
    crud.update_session_log(db, row, **changes)
    crud.audit(
        db,
        user,
        "update",
        "session_log",
        resource_id=row.id,
        client_id=client.id,
        detail=",".join(sorted(changes)),
    )
    return Logged(logs=[row], next_session=next_session(db, client.id))


def pending_morning(logs: Sequence[SessionLog], on: date) -> date | None:
    """Most recent earlier session day still missing its next-morning pain (asked the day after,
    for up to :data:`MORNING_QUESTION_DAYS` days)."""
    for log in reversed(logs):
        if log.session_date < on and (on - log.session_date).days <= MORNING_QUESTION_DAYS:
            if log.pain_next_morning is None:
                return log.session_date
            return None
    return None


def record_morning_pain(db: Session, user: User, client: Client, day: date, body: SessionLogUpdate) -> int:
    """Set the next-morning pain on every exercise logged on ``day``; returns how many rows."""
    changed = 0
    for log in crud.list_session_logs(db, client.id):
        if log.session_date == day:
            crud.update_session_log(db, log, pain_next_morning=body.pain_next_morning)
            changed += 1
    crud.audit(db, user, "update", "session_log", client_id=client.id, detail=f"morning {day}")
    return changed


@dataclass(frozen=True)
class LogForm:
    """What the log page needs: the programme to log against and the morning question."""

    programme: Programme | None
    today: date
    pending_morning: date | None


def log_form(db: Session, client_id: int) -> LogForm:
    on = today()
    logs = crud.list_session_logs(db, client_id)
    return LogForm(crud.current_programme(db, client_id), on, pending_morning(logs, on))
