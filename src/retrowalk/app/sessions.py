"""Log a session and decide the next one: the one path for the web form, the REST route, the
CLI and any offline sync.

Why one place: the web and the API used to compute "next session" from different histories
(all logs with a fallback to other programmes' logs, versus the current programme's last eight
weeks), so the same client got different advice. Here the rule is written once, and this is the
only module that calls the core's progression engine.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from operator import attrgetter, itemgetter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import to_json
from sqlalchemy import Row, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from retrowalk.app import clinical, media, programmes, quotas
from retrowalk.app.access import client_updated, read_one
from retrowalk.app.errors import Conflict, Forbidden, NotFound, found
from retrowalk.core import prescription as core_prescription
from retrowalk.core import progression as core_progression
from retrowalk.core.assessment import AssessmentResult, load_catalogue
from retrowalk.core.exercises import load_library
from retrowalk.core.progression import (
    DecisionKind,
    GaitCheck,
    HandsFreeEvidence,
    NextSession,
    RedFlagClearance,
)
from retrowalk.core.progression import TrainerSignOff as CoreSignOff
from retrowalk.core.vocab import (
    Handrails,
    HoldSeconds,
    InclinePct,
    Minutes,
    Pain,
    Reps,
    Sets,
    SpeedKmh,
    field_bounds,
    field_messages,
)
from retrowalk.errors import InputError
from retrowalk.storage import crud
from retrowalk.storage.models import (
    DECISION_POLICIES,
    Assessment,
    Client,
    PendingDecision,
    Programme,
    Recording,
    SessionLog,
    TrainerSignOff,
    User,
)

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
    red_flags: list[str] = Field(
        default_factory=list, max_length=20, description="Catalogue red-flag ids reported at this session."
    )

    @field_validator("red_flags")
    @classmethod
    def _red_flags(cls, v: list[str]) -> list[str]:
        known = load_catalogue().red_flags
        for flag_id in v:
            if flag_id not in known:
                raise ValueError(f"unknown red flag {flag_id!r}; use one of {sorted(known)}")
        return list(dict.fromkeys(v))

    @field_validator("session_date")
    @classmethod
    def _session_date(cls, v: date) -> date:
        """The one session-date rule: not after tomorrow (time zones), not before 2000."""
        if v > today() + timedelta(days=1):
            raise ValueError("session date is in the future")
        if v < EARLIEST_SESSION:
            raise ValueError(f"session date is before {EARLIEST_SESSION.year}")
        return v


class SessionLogCorrection(LoggedValues):
    """A correction of a stored log (any dose or pain field, done or not); unset fields stay."""

    completed: bool | None = None
    notes: str | None = Field(default=None, max_length=5_000)
    reason: str = Field(default="", max_length=500, description="Why it is corrected (audited).")


class RedFlagClear(BaseModel):
    """A trainer clears a red flag (or the pain stop) in force: why is required."""

    model_config = ConfigDict(extra="forbid")

    flag_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=3, max_length=2_000)


class HandsFreeSignOffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2_000)


class DecisionPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str = Field(description=f"one of {DECISION_POLICIES}")

    @field_validator("policy")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in DECISION_POLICIES:
            raise ValueError(f"use one of {list(DECISION_POLICIES)}")
        return v


class SessionLogUpdate(BaseModel):
    """Later additions to a logged session, typically the next-morning pain."""

    model_config = ConfigDict(extra="forbid")

    pain_next_morning: Pain | None = None
    notes: str | None = Field(default=None, max_length=5_000)


@dataclass(frozen=True)
class Logged:
    """What logging returns: the stored rows and the decision for the next session."""

    #: As stored: ORM objects, or the rows the INSERT returned (the same attributes)
    logs: Sequence[SessionLog | Row[Any]]
    next_session: NextSession | None


_CHECKED_FIELDS = (*DOSE_FIELDS, *PAIN_FIELDS)
_checked_values = attrgetter(*_CHECKED_FIELDS)


def stored_problems(log: Any) -> dict[str, str]:
    """Fields of a stored log outside today's vocabulary (an old row, or one written by an older
    release); empty when the row is valid. Such rows are shown flagged and left out of charts and
    decisions, never allowed to break a page."""
    return dict(_problems(_checked_values(log)))


@lru_cache(maxsize=4096)
def _problems(values: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    """Memoised on the values: a client's year of rows repeats a few doses and pain ratings, and
    the client page checks every row (a model validation each) several times."""
    try:
        LoggedValues.model_validate(dict(zip(_CHECKED_FIELDS, values, strict=True)))
    except ValidationError as exc:
        return tuple(field_messages(exc).items())
    return ()


@cache
def _stored_limits() -> dict[str, tuple[Any, ...]]:
    """The numeric session fields' bounds (the vocabulary's) as the database can test them."""
    limits: dict[str, tuple[Any, ...]] = {}
    for name in (*DOSE_FIELDS, *PAIN_FIELDS):
        b = field_bounds(name) if name != "handrails" else None
        if b is not None:
            limits[name] = (b.min, b.max, b.exclusive_min, b.exclusive_max)
    return limits


def clients_with_stored_problems(db: Session, client_ids: Sequence[int]) -> set[int]:
    """The clients with a stored session row that :func:`stored_problems` flags: the database
    finds the rows outside the numeric bounds (the only way a stored row can fail: the schema
    constrains handrails), this module's model confirms them; no full history is read."""
    candidates = crud.session_logs_outside(db, client_ids, _stored_limits())
    return {log.client_id for log in candidates if stored_problems(log)}


# --- the decision ------------------------------------------------------------------------------


_LOG_FIELDS = ("session_date", "exercise_id", "completed", "red_flags", *PAIN_FIELDS, *DOSE_FIELDS)


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
        when, exercise_id, completed, flags, before, during, after, morning, *dose_values = read(log)
        day = by_day.get(when)
        if day is None:
            day = by_day[when] = {
                "pain_before": None,
                "pain_during": None,
                "pain_after": None,
                "pain_next_morning": None,
                "red_flags": [],
                "exercises": [],
            }
        for flag_id in flags or ():
            if flag_id not in day["red_flags"]:
                day["red_flags"].append(flag_id)
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
        # pain_before stays None when not asked: the core then compares with the intake's rest
        # pain or holds; a missing baseline is never read as 0.
        records.append(day)
    return records


def _complete_doses(records: list[dict[str, Any]], programme: core_prescription.Programme) -> None:
    """A logged dose holds only what the form asks (minutes, speed, sets, ...); the parts it does
    not ask (safety key, per side, weekly frequency) are the prescription's. Without this, a dose
    logged exactly as prescribed never equals the prescribed dose and is never progressed."""
    prescribed = {i.exercise_id: i.dose.model_dump(exclude_none=True) for i in programme.items}
    for day in records:
        for ex in day["exercises"]:
            base = prescribed.get(ex["exercise_id"])
            if ex["dose"] and base is not None:
                ex["dose"] = {**{k: v for k, v in base.items() if k not in DOSE_FIELDS}, **ex["dose"]}


@cache
def _session_records_adapter() -> TypeAdapter[list[Any]]:
    # One validation call for the whole history: far cheaper than a model_validate per session.
    return TypeAdapter(list[core_progression.SessionRecord])


class _Rows:
    """The logged rows of a decision as a cache key: equal and hashed by the JSON of the fields a
    decision reads (one serialiser call, about ten times cheaper than hashable copies of every
    row), carrying the rows themselves for the engine."""

    __slots__ = ("key", "rows")

    def __init__(self, key: bytes, rows: Sequence[Any]) -> None:
        self.key, self.rows = key, rows

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rows) and other.key == self.key


#: Decisions kept in memory: one per client whose page, dashboard row or log reply was recent.
DECISION_CACHE_SIZE = 2048


def decide_json(
    programme: Programme | Any,
    logs: Sequence[Any],
    assessment: Assessment | None = None,
    *,
    cleared: Sequence[RedFlagClearance] = (),
    hands_free: HandsFreeEvidence | None = None,
) -> bytes | None:
    """The progression engine's decision from a programme, its logs, the client's latest
    assessment (its conditions, pain and red flags), the trainers' clearances and the hands-free
    evidence; None when no logged day can be judged yet.
    Rows outside today's vocabulary are left out (see :func:`stored_problems`).

    The engine is a pure function of these inputs, so its answer is memoised on exactly what it
    reads (programme content, the rows' logged fields, the assessment's findings and pain, the
    clearances and evidence): the dashboard judges every client on each view, and most have
    logged nothing new since. The answer is the memoised JSON (the same object while it is
    cached; :func:`decision_of` makes each caller its own model, 20 times cheaper than a deep
    copy), so readers can keep their own cache of what they draw from it.
    """
    if not logs:
        return None
    read = row_getter(logs[0], _LOG_FIELDS)
    rows = _Rows(to_json([read(log) for log in logs]), logs)
    # none yet, or imported and never evaluated: the programme's own conditions apply
    findings = None if assessment is None or assessment.findings is None else to_json(assessment.findings)
    pain = None if assessment is None else assessment.pain_nprs
    evidence = None if hands_free is None else to_json(hands_free)
    return _decide_json(to_json(programme.content), rows, findings, pain, to_json(list(cleared)), evidence)


@lru_cache(maxsize=DECISION_CACHE_SIZE)
def _decide_json(
    content: bytes,
    logs: _Rows,
    findings: bytes | None,
    pain_nprs: float | None,
    cleared: bytes,
    hands_free: bytes | None,
) -> bytes | None:
    decision = _decide(content, logs.rows, findings, pain_nprs, cleared, hands_free)
    logs.rows = ()  # the cache keeps the key only, not the rows (nor ORM objects) behind it
    return None if decision is None else decision.model_dump_json().encode()


def _decide(
    content: bytes,
    logs: Sequence[Any],
    findings: bytes | None,
    pain_nprs: float | None,
    cleared_json: bytes,
    hands_free_json: bytes | None,
) -> NextSession | None:
    records = session_records(logs)
    if not records:
        return None
    prog = core_prescription.Programme.model_validate(json.loads(content))
    _complete_doses(records, prog)
    try:
        sessions = _session_records_adapter().validate_python(records)
    except ValidationError:
        sessions = _session_records_adapter().validate_python(
            session_records([log for log in logs if not stored_problems(log)])
        )
        if not sessions:
            return None
    result = _assessment_for_engine(findings)
    cleared = [RedFlagClearance.model_validate(c) for c in json.loads(cleared_json)]
    hands_free = None if hands_free_json is None else HandsFreeEvidence.model_validate_json(hands_free_json)
    known = {s.date for s in sessions}
    flags = {f for s in sessions for f in s.red_flags} | {core_progression.PAIN_STOP_FLAG}
    clear = [c for c in cleared if c.flag_id in flags] if known else []
    return core_progression.decide_next(
        prog,
        sessions,
        assessment=result,
        pain_nprs=pain_nprs,
        red_flags_cleared=clear,
        hands_free_evidence=hands_free,
    )


def _assessment_for_engine(findings: bytes | None) -> AssessmentResult | None:
    """The stored assessment's findings as the engine reads them; findings an older core wrote
    and today's no longer validates are left out (the programme's own conditions then apply)."""
    if findings is None:
        return None
    try:
        return AssessmentResult.model_validate(json.loads(findings))
    except ValidationError:
        return None


def clearances(db: Session, client_id: int) -> list[RedFlagClearance]:
    """The trainers' clearances of red flags and pain stops, as the core reads them."""
    return _clearances(crud.list_signoffs(db, client_id, "red_flag"))


def _clearances(signoffs: Sequence[TrainerSignOff]) -> list[RedFlagClearance]:
    return [
        RedFlagClearance(
            flag_id=r.flag_id, cleared_by=r.signed_by_name, cleared_on=r.signed_on, reason=r.reason
        )
        for r in signoffs
        if r.kind == "red_flag" and r.flag_id
    ]


#: Where the gait engines put step asymmetry (%), and the pose engine's forward-lean flag code.
ASYMMETRY_KEYS = ("step_length_asymmetry_pct", "step_time_asymmetry_pct")
TRUNK_LEAN_FLAG = "trunk_forward_lean"
#: The hands-free evidence reads this many of the client's latest recordings.
EVIDENCE_RECORDINGS = 20


def gait_check(rec: Recording) -> GaitCheck | None:
    """A recording's step asymmetry and forward-trunk-lean flag; None when it has no asymmetry."""
    gait = rec.gait
    if gait is None:
        return None
    asym = gait.step_length_asymmetry_pct
    if asym is None:
        asym = gait.step_time_asymmetry_pct
    if asym is None or not 0 <= asym <= 100:
        return None
    lean = any(f.code == TRUNK_LEAN_FLAG for f in gait.flags)
    return GaitCheck(recorded_on=rec.created_at.date(), step_asymmetry_pct=asym, forward_trunk_lean=lean)


def hands_free_evidence(db: Session, client_id: int) -> HandsFreeEvidence:
    """The latest recordings' step asymmetry and trunk lean, and the trainer's latest sign-off."""
    return _hands_free(
        crud.latest_recordings(db, [client_id], n=EVIDENCE_RECORDINGS)[client_id],
        crud.list_signoffs(db, client_id, "hands_free"),
    )


def _hands_free(recordings: Sequence[Recording], signoffs: Sequence[TrainerSignOff]) -> HandsFreeEvidence:
    checks = [c for r in recordings if (c := gait_check(r)) is not None]
    signed = [s for s in signoffs if s.kind == "hands_free"]
    sign = signed[-1] if signed else None
    return HandsFreeEvidence(
        recordings=checks,
        sign_off=CoreSignOff(signed_by=sign.signed_by_name, signed_on=sign.signed_on, note=sign.reason)
        if sign is not None
        else None,
    )


def next_session(db: Session, client_id: int, programme: Programme | None = None) -> NextSession | None:
    """What to do next time: the current programme judged on the sessions logged under it (and
    the versions it was decided from) in the last :data:`DECISION_WINDOW_DAYS` (the one rule for
    every edge).

    When the current version was made by a decision and no session has been logged since, the
    answer is that decision (judged from the version it was decided from), so every edge keeps
    showing why the prescription changed rather than "no new session".
    """
    programme = programme or crud.current_programme(db, client_id)
    if programme is None:
        return None
    return next_sessions(db, {client_id: programme}, {client_id: crud.latest_assessment(db, client_id)})[
        client_id
    ]


def next_sessions(
    db: Session, programmes: Mapping[int, Programme], assessments: Mapping[int, Assessment | None]
) -> dict[int, NextSession | None]:
    """:func:`next_session` of many clients (client id -> current programme, and latest
    assessment) from a fixed number of queries, whatever the number of clients: the dashboard
    judges every client on each view."""
    return {cid: decision_of(d) for cid, d in next_sessions_json(db, programmes, assessments).items()}


def next_sessions_json(
    db: Session, programmes: Mapping[int, Programme], assessments: Mapping[int, Assessment | None]
) -> dict[int, bytes | None]:
    """:func:`next_sessions` as :func:`decide_json`'s JSON (not validated into models)."""
    return _decide_all(db, _judging(db, programmes, assessments))


@dataclass
class _Judging:
    """The decision inputs of several clients as read for :func:`_decide_all`; the sessions
    (and the recordings they can use) can be read again after a write (:func:`_read_window`)."""

    programmes: Mapping[int, Programme]
    assessments: Mapping[int, Assessment | None]
    links: dict[int, crud.ProgrammeLink]
    lineages: dict[int, list[int]]
    signoffs: dict[int, list[TrainerSignOff]]
    logs: dict[int, list[Any]] = field(default_factory=dict)
    recordings: dict[int, list[Recording]] = field(default_factory=dict)
    #: Each client's recordings were read from this bound (None: every one).
    read_from: dict[int, datetime] = field(default_factory=dict)

    def copy(self) -> _Judging:
        """A copy whose parts :func:`_read_window` changes (logs, recordings, bounds) are its own."""
        return _Judging(
            self.programmes,
            self.assessments,
            self.links,
            self.lineages,
            self.signoffs,
            {cid: list(rows) for cid, rows in self.logs.items()},
            {cid: list(rows) for cid, rows in self.recordings.items()},
            dict(self.read_from),
        )


@dataclass(frozen=True)
class _Snapshot:
    rev: int
    programme: Programme
    assessment: Assessment | None
    judging: _Judging
    #: The decision these inputs make (the JSON :func:`_decide_all` gave): what the next log is
    #: checked against before it writes (a red flag or pain stop in force).
    decision: bytes | None


class _Snapshots:
    """One client's decision inputs as the last committed log left them, per database, checked
    against the client's ``judged_rev`` token before use.

    A log read six things before it could judge (programme, assessment, lineage, sign-offs,
    window, recordings): most of its database time, although nothing but its own row changed
    since the previous log. The token is changed by database triggers on every write to those
    tables (migration 0013), whatever wrote it, and it is read with the client's row locked, so an
    equal token means equal inputs; snapshots are only kept once their transaction committed.
    Bounded (least recently used out); each process keeps its own.
    """

    SIZE = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict[int, _Snapshot]] = (
            weakref.WeakKeyDictionary()
        )

    def _items(self, db: Session) -> OrderedDict[int, _Snapshot]:
        engine = db.get_bind()
        assert isinstance(engine, Engine)
        items = self._by_engine.get(engine)
        if items is None:
            items = self._by_engine[engine] = OrderedDict()
        return items

    def get(self, db: Session, client_id: int, rev: int) -> _Snapshot | None:
        """The snapshot at exactly ``rev`` (with its own copy of what a read changes), else None."""
        with self._lock:
            items = self._items(db)
            snap = items.get(client_id)
            if snap is None or snap.rev != rev:
                return None
            items.move_to_end(client_id)
        return _Snapshot(snap.rev, snap.programme, snap.assessment, snap.judging.copy(), snap.decision)

    def put_after_commit(self, db: Session, client_id: int, snap: _Snapshot) -> None:
        """Keep ``snap`` once ``db``'s transaction commits (never if it rolls back)."""
        db.info.setdefault(_PENDING_SNAPSHOTS, []).append((self, client_id, snap))

    def _keep(self, db: Session, client_id: int, snap: _Snapshot) -> None:
        with self._lock:
            items = self._items(db)
            items[client_id] = snap
            items.move_to_end(client_id)
            while len(items) > self.SIZE:
                items.popitem(last=False)


_PENDING_SNAPSHOTS = "retrowalk.pending_snapshots"


# One listener for every session (registering one per log cost more than the snapshot saved).
@event.listens_for(Session, "after_commit")
def _keep_pending_snapshots(db: Session) -> None:
    for store, client_id, snap in db.info.pop(_PENDING_SNAPSHOTS, ()):
        store._keep(db, client_id, snap)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_snapshots(db: Session, _previous: Any) -> None:
    db.info.pop(_PENDING_SNAPSHOTS, None)


_snapshots = _Snapshots()


def _judging(
    db: Session, programmes: Mapping[int, Programme], assessments: Mapping[int, Assessment | None]
) -> _Judging:
    links = crud.programme_links(db, list(programmes))
    judging = _Judging(
        programmes,
        assessments,
        links,
        {cid: crud.lineage_of(p.id, links) for cid, p in programmes.items()},
        crud.signoffs_for(db, list(programmes)),
    )
    _read_window(db, judging)
    return judging


_window_order = attrgetter("session_date", "id")


def _read_window(
    db: Session, judging: _Judging, written: Mapping[int, Sequence[Row[Any]]] | None = None
) -> None:
    """(Re)read the sessions in each client's decision window and the recordings they can use.
    ``written``: after a write under the current programme, each client's new rows as the INSERT
    returned them (:func:`crud.insert_session_log`): they are added to the window read before
    (the transaction changed nothing else in it), and the window's cut-off moves with them, as a
    fresh read would.

    A recording counts only within the library's age limit before a judged session, and only
    clients with a session in the window are judged: older analyses are never decoded. Recordings
    already read from an earlier bound are narrowed in memory, so a read after a write gives the
    inputs a fresh read would.
    """
    if written is None:
        judging.logs = crud.decision_window_rows(db, judging.lineages, last_days=DECISION_WINDOW_DAYS)
    else:
        for row in (r for rows in written.values() for r in rows):
            if row.programme_id in judging.lineages[row.client_id]:
                judging.logs.setdefault(row.client_id, []).append(row)
        for cid in written:
            newest_first = sorted(judging.logs.get(cid, []), key=_window_order, reverse=True)
            judging.logs[cid] = crud.within_window(newest_first, last_days=DECISION_WINDOW_DAYS)
    max_age = timedelta(days=core_progression.hands_free_recording_max_age_days())
    bounds = {
        cid: datetime.combine(rows[0].session_date - max_age, datetime.min.time(), UTC)
        for cid, rows in judging.logs.items()
        if rows
    }
    unread = {
        cid: b for cid, b in bounds.items() if cid not in judging.read_from or b < judging.read_from[cid]
    }
    judging.recordings.update(crud.latest_recordings(db, list(unread), n=EVIDENCE_RECORDINGS, since=unread))
    judging.read_from.update(unread)
    for cid, bound in bounds.items():
        if cid not in unread:
            kept = [r for r in judging.recordings[cid] if r.created_at >= bound]
            judging.recordings[cid] = kept[-EVIDENCE_RECORDINGS:]


def judged_from(lineage: Sequence[int], links: Mapping[int, crud.ProgrammeLink], logs: Sequence[Any]) -> int:
    """The version the next session is judged from (the one rule): back along the lineage while
    the version was made by a decision and no session in the window came after what it judged.

    So every edge keeps showing why the prescription changed rather than "no new session", and a
    late answer about (or a back-dated log before) the session a decision came from retakes that
    decision from the version it was made from, however many versions it has made since.
    """
    newest = logs[-1].session_date if logs else None
    for pid in lineage[:-1]:
        made_after = links[pid].decided_after if pid in links else None
        if made_after is None or (newest is not None and newest > made_after):
            return pid
    return lineage[-1]


def _decide_all(db: Session, judging: _Judging) -> dict[int, bytes | None]:
    logs, signoffs = judging.logs, judging.signoffs
    judged = {cid: judged_from(judging.lineages[cid], judging.links, logs[cid]) for cid in judging.programmes}
    wanted = {cid: pid for cid, pid in judged.items() if pid != judging.programmes[cid].id}
    based_on = crud.programmes_by_id(db, wanted)
    return {
        cid: decide_json(
            based_on.get(cid, programme),
            logs[cid],
            judging.assessments.get(cid),
            cleared=_clearances(signoffs[cid]),
            hands_free=_hands_free(judging.recordings.get(cid, []), signoffs[cid]),
        )
        for cid, programme in judging.programmes.items()
    }


def decision_of(decision: bytes | None) -> NextSession | None:
    """The model of a :func:`decide_json` answer."""
    return None if decision is None else NextSession.model_validate_json(decision)


def read_next_session(db: Session, user: User, client: Client) -> NextSession | None:
    crud.audit(db, user, "read", "next_session", client_id=client.id)
    return next_session(db, client.id)


# --- logging -----------------------------------------------------------------------------------


def blocked_reason(ns: NextSession | None) -> str | None:
    """Why exercise cannot be logged now (a red flag or pain stop in force), else None."""
    if ns is None or ns.can_log_exercise:
        return None
    flags = "; ".join(f.text for f in ns.red_flags_in_force) or "the programme is stopped"
    return (
        f"exercise cannot be logged while this is in force: {flags}; a trainer clears it on the client page"
    )


@lru_cache(maxsize=DECISION_CACHE_SIZE)
def _blocked_by(decision: bytes | None) -> str | None:
    """:func:`blocked_reason` of a memoised decision, kept per decision: before a log the
    decision is usually the one the previous log made, and validating it again costs more than
    the check."""
    return blocked_reason(decision_of(decision))


def _inputs_at(db: Session, client_id: int, rev: int) -> _Snapshot | None:
    """One client's decision inputs and the decision they make, now: the snapshot its previous
    log left when the token is still ``rev`` (:class:`_Snapshots`), else read afresh; None
    without a programme."""
    kept = _snapshots.get(db, client_id, rev) if rev else None
    if kept is not None:
        return kept
    programme = crud.current_programme(db, client_id)
    if programme is None:
        return None
    latest = crud.latest_assessment(db, client_id, with_inputs=False)
    judging = _judging(db, {client_id: programme}, {client_id: latest})
    return _Snapshot(rev, programme, latest, judging, _decide_all(db, judging)[client_id])


def log_session(
    db: Session,
    user: User,
    client: Client,
    entries: Sequence[SessionLogIn],
    *,
    detail: str = "",
    form_key: str | None = None,
) -> Logged:
    """Store one session (one row per exercise), audit it, decide the next session and apply the
    decision to the programme (see :func:`apply_decision`).

    Every entry's exercise must be in the library; the rows are tied to the current programme.
    While a red flag or pain stop is in force, exercise cannot be logged (409 with the reason).
    ``form_key`` (the log form's own key): the same form sent again stores nothing new and returns
    the rows the first send stored.
    """
    if form_key:
        earlier = crud.logs_with_form_key(db, client.id, form_key)
        if earlier:
            return Logged(logs=list(earlier), next_session=next_session(db, client.id))
    for entry in entries:
        clinical.check_exercise(entry.exercise_id)
    # the client's row locked first: no other log of this client counts or judges meanwhile
    rev = crud.judged_rev(db, client.id, lock=True)
    for day in {entry.session_date for entry in entries}:  # capped: each write re-judges the window
        quotas.check_logs_per_day(db, client.id, day, adding=sum(e.session_date == day for e in entries))
    # judged before (a red flag in force blocks the log) and after the write, from one read of
    # the inputs the write does not change (lineage, sign-offs, assessment, recordings)
    inputs = _inputs_at(db, client.id, rev)
    if inputs is not None:
        reason = _blocked_by(inputs.decision)
        if reason is not None:
            raise Conflict(reason)
    rows = [
        crud.insert_session_log(
            db,
            client.id,
            programme_id=inputs.programme.id if inputs else None,
            by=user,
            form_key=form_key or None,
            **{**entry.model_dump(), "red_flags": entry.red_flags or None},
        )
        for entry in entries
    ]
    resource_id = rows[0].id if len(rows) == 1 else None
    crud.audit(db, user, "create", "session_log", resource_id=resource_id, client_id=client.id, detail=detail)
    decision = None
    if inputs is not None:
        judging = inputs.judging
        _read_window(db, judging, {client.id: rows})
        decided = _decide_all(db, judging)[client.id]
        decision = decision_of(decided)
        new_row = None
        if decision is not None:
            # decided after the newest session judged, not the day logged: a back-dated log is
            # judged with the later sessions, and the version must not read as made before them
            day = judging.logs[client.id][-1].session_date
            new_row, _ = apply_decision(db, client, inputs.programme, decision, day)
        if new_row is None:  # the inputs the next log will find, unless something changes them
            kept = _Snapshot(
                crud.judged_rev(db, client.id), inputs.programme, inputs.assessment, judging.copy(), decided
            )
            _snapshots.put_after_commit(db, client.id, kept)
    return Logged(logs=rows, next_session=decision)


# --- decisions applied to the programme ---------------------------------------------------------


def _items_key(content: Any) -> list[tuple[str, Any]]:
    return [(i.exercise_id, i.dose) for i in content.items]


def needs_approval(policy: str, decision: NextSession) -> set[str]:
    """Exercise ids whose change waits for the trainer under ``policy``.

    Easing off (regress, stop) always applies at once: safety does not wait. "protocol" (the
    default) waits on moving up to another stage or adding an exercise; "approve" waits on every
    increase; "auto" on nothing.
    """
    if policy == "auto":
        return set()
    out: set[str] = set()
    for d in decision.decisions:
        if d.decision is not DecisionKind.progress:
            continue
        stage_change = d.next_exercise_id is not None and d.next_exercise_id != d.exercise_id
        if policy == "approve" or stage_change:
            out.add(d.exercise_id)
    if decision.added:
        out.add("__added__")
    return out


def apply_decision(
    db: Session, client: Client, programme: Programme, decision: NextSession, day: date
) -> tuple[Programme | None, PendingDecision | None]:
    """Make the decision the next prescription: a new programme version ("decision after session
    <date>", with the reason) for what applies at once, and a pending decision for what waits for
    the trainer (the client's ``decision_policy``). Nothing is stored while stopped or unchanged."""
    if decision.stop and not decision.can_log_exercise:
        return None, None
    current = programme.content
    proposed = decision.programme
    waiting = needs_approval(client.decision_policy or "protocol", decision)
    reasons = "; ".join(
        f"{d.exercise_id}: {d.decision.value} ({d.reason})"
        for d in decision.decisions
        if d.next_exercise_id != d.exercise_id or d.next_dose != _dose_of(current, d.exercise_id)
    )
    applied = proposed
    if waiting:
        keep = {d.exercise_id: d for d in decision.decisions if d.exercise_id in waiting}
        old = {i.exercise_id: i for i in current.items}
        items = []
        for d in decision.decisions:
            if d.exercise_id in keep:
                items.append(old[d.exercise_id])
            elif d.next_exercise_id is not None:
                items.extend(i for i in proposed.items if i.exercise_id == d.next_exercise_id)
        applied = proposed.model_copy(update={"items": list({i.exercise_id: i for i in items}.values())})
    new_row: Programme | None = None
    held = False
    if _items_key(applied) != _items_key(current):
        try:
            applied = programmes.checked_decision(db, client, applied)
        except InputError as exc:  # never stored unchecked: the trainer decides instead
            held, applied = True, current
            reasons = f"held for the trainer ({exc.field}: {exc.message}); {reasons}"
        else:
            new_row = crud.add_decision_programme(
                db, programme, content=applied, decided_after=day, reason=reasons
            )
            media.prune(db, None, client)  # a client item's own photo/video goes with the item
    pending: PendingDecision | None = None
    if (waiting or held) and _items_key(proposed) != _items_key(applied):
        pending = crud.add_pending_decision(
            db,
            new_row or programme,
            content=proposed,
            decided_after=day,
            reason=reasons,
        )
    return new_row, pending


def _dose_of(content: Any, exercise_id: str) -> Any:
    return next((i.dose for i in content.items if i.exercise_id == exercise_id), None)


def waiting_ids(db: Session, client_id: int) -> list[str]:
    """Exercises whose decided change waits for the trainer's approval."""
    pending = crud.pending_decisions(db, client_id)
    if not pending:
        return []
    programme = crud.current_programme(db, client_id)
    current = {i.exercise_id: i.dose for i in programme.content.items} if programme else {}
    proposed = core_prescription.Programme.model_validate(pending[-1].content)
    new = {i.exercise_id: i.dose for i in proposed.items}
    return [eid for eid, dose in current.items() if new.get(eid) != dose]


def pending_decisions(db: Session, client: Client) -> Sequence[PendingDecision]:
    return crud.pending_decisions(db, client.id)


def resolve_decision(
    db: Session, user: User, client: Client, decision_id: int, *, approve: bool
) -> Programme | None:
    """The trainer approves (a new programme version) or declines a pending decision."""
    if user.role != "trainer":
        raise Forbidden("only a trainer approves or declines a decision")
    row = crud.get_pending_decision(db, client.id, decision_id)
    if row is None or row.status != "pending":
        raise NotFound("pending decision not found")
    current = crud.current_programme(db, client.id)
    if current is None or current.id != row.programme_id:
        crud.resolve_pending_decision(db, row, status="superseded", by=user)
        raise Conflict("the programme changed since this decision; it no longer applies")
    crud.resolve_pending_decision(db, row, status="approved" if approve else "declined", by=user)
    made: Programme | None = None
    if approve:
        made = crud.add_decision_programme(
            db,
            current,
            content=programmes.checked_decision(
                db, client, core_prescription.Programme.model_validate(row.content)
            ),
            decided_after=row.decided_after,
            reason=row.reason,
        )
        media.prune(db, user, client)
        made.based_on_id = current.based_on_id or current.id
        made.origin = f"{made.origin}, approved by {user.display_name or user.username}"
    crud.audit(
        db,
        user,
        "update",
        "pending_decision",
        resource_id=row.id,
        client_id=client.id,
        detail="approved" if approve else "declined",
    )
    return made


def set_decision_policy(db: Session, user: User, client: Client, body: DecisionPolicyIn) -> Client:
    if user.role != "trainer":
        raise Forbidden("only a trainer sets how decisions are applied")
    client.decision_policy = body.policy
    db.flush()
    client_updated(db, user, client, f"policy {body.policy}")
    return client


# --- red flags and sign-offs --------------------------------------------------------------------


def clear_red_flag(db: Session, user: User, client: Client, body: RedFlagClear) -> TrainerSignOff:
    """A trainer clears a red flag (or pain stop) in force: who, when and why are stored."""
    if user.role != "trainer":
        raise Forbidden("only a trainer clears a red flag")
    ns = next_session(db, client.id)
    in_force = {f.flag_id: f for f in (ns.red_flags_in_force if ns is not None else [])}
    hit = in_force.get(body.flag_id)
    if hit is None:
        raise InputError(
            "flag_id", f"{body.flag_id!r} is not in force", hint=f"in force: {sorted(in_force) or 'none'}"
        )
    if hit.origin == "assessment":
        raise Conflict("this red flag comes from the assessment: record a new assessment to clear it")
    row = crud.add_signoff(
        db, client.id, kind="red_flag", flag_id=body.flag_id, by=user, signed_on=today(), reason=body.reason
    )
    crud.audit(
        db, user, "create", "red_flag_clearance", resource_id=row.id, client_id=client.id, detail=body.flag_id
    )
    return row


def sign_off_hands_free(db: Session, user: User, client: Client, body: HandsFreeSignOffIn) -> TrainerSignOff:
    if user.role != "trainer":
        raise Forbidden("only a trainer signs off hands-free walking")
    row = crud.add_signoff(
        db, client.id, kind="hands_free", flag_id=None, by=user, signed_on=today(), reason=body.reason
    )
    crud.audit(db, user, "create", "hands_free_signoff", resource_id=row.id, client_id=client.id)
    return row


def signoffs(db: Session, client: Client) -> Sequence[TrainerSignOff]:
    return crud.list_signoffs(db, client.id)


# --- corrections --------------------------------------------------------------------------------


def correct_log(db: Session, user: User, client: Client, log_id: int, body: SessionLogCorrection) -> Logged:
    """Correct a stored log: the client their own on the same day, a trainer any; the change is
    audited (field: old → new) and the session is judged again.

    When the current programme was decided after this very session, the decision is taken again
    from the version it was decided from, and the result is stored as a new version.
    """
    row = found(crud.get_session_log(db, client.id, log_id), "session log")
    if user.role == "client" and row.session_date != today():
        raise Forbidden("a client can correct a log on the day it was done; ask your trainer")
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if k != "reason" and not (k == "notes" and v is None)
    }
    if "completed" in changes and changes["completed"] is None:
        del changes["completed"]
    detail = ", ".join(f"{k}: {getattr(row, k)!r} → {v!r}" for k, v in sorted(changes.items()))
    return _changed(
        db, user, client, row, changes, f"correction {detail}" + (f" ({body.reason})" if body.reason else "")
    )


def _changed(
    db: Session, user: User, client: Client, row: SessionLog, changes: dict[str, Any], detail: str
) -> Logged:
    """Apply a later change to a stored log, audit it and judge that session again."""
    crud.update_session_log(db, row, **changes)
    crud.audit(db, user, "update", "session_log", resource_id=row.id, client_id=client.id, detail=detail)
    return Logged(logs=[row], next_session=rejudge(db, client))


def rejudge(db: Session, client: Client) -> NextSession | None:
    """Judge again after a correction of (or a later answer about) a stored session, by the rule
    every edge reads (:func:`judged_from`: a decision that came from that session is taken again),
    and apply the result to the programme as a log's decision is."""
    programme = crud.current_programme(db, client.id)
    if programme is None:
        return None
    latest = crud.latest_assessment(db, client.id, with_inputs=False)
    judging = _judging(db, {client.id: programme}, {client.id: latest})
    decision = decision_of(_decide_all(db, judging)[client.id])
    if decision is not None:
        apply_decision(db, client, programme, decision, judging.logs[client.id][-1].session_date)
    return decision


def list_logs(db: Session, user: User, client: Client, *, limit: int | None = None) -> Sequence[SessionLog]:
    crud.audit(db, user, "read", "session_log", client_id=client.id, detail="list")
    return crud.list_session_logs(db, client.id, limit=limit)


def get_log(db: Session, user: User, client: Client, log_id: int) -> SessionLog:
    return read_one(db, user, client, crud.get_session_log(db, client.id, log_id), "session_log")


def update_log(db: Session, user: User, client: Client, log_id: int, body: SessionLogUpdate) -> Logged:
    """Add what is known later (next-morning pain, notes); the decision is recomputed."""
    row = found(crud.get_session_log(db, client.id, log_id), "session log")
    changes = body.model_dump(exclude_unset=True)
    if "notes" in changes and changes["notes"] is None:
        del changes["notes"]
    return _changed(db, user, client, row, changes, ",".join(sorted(changes)))


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
    if changed:
        rejudge(db, client)
    return changed


@dataclass(frozen=True)
class LogForm:
    """What the log page needs: the programme to log against, the morning question, and what
    is in force (when exercise cannot be logged)."""

    programme: Programme | None
    today: date
    pending_morning: date | None
    next_session: NextSession | None
    blocked: str | None
    todays_logs: list[SessionLog]


def log_form(db: Session, client_id: int) -> LogForm:
    on = today()
    logs = crud.list_session_logs(db, client_id)
    programme = crud.current_programme(db, client_id)
    ns = next_session(db, client_id, programme)
    return LogForm(
        programme,
        on,
        pending_morning(logs, on),
        ns,
        blocked_reason(ns),
        [log for log in logs if log.session_date == on],
    )


def red_flag_choices() -> list[tuple[str, str]]:
    """The catalogue's red flags as (id, text) for the log form's choice list."""
    return [(f.id, f.text) for f in load_catalogue().red_flags.values()]


def library_has(exercise_id: str) -> bool:
    return exercise_id in load_library().exercises


def logs_with_form_key(db: Session, client_id: int, key: str) -> Sequence[SessionLog]:
    """The rows an earlier send of the same log form stored (empty: not seen yet)."""
    return crud.logs_with_form_key(db, client_id, key)


@dataclass(frozen=True)
class PendingView:
    """A decision waiting for the trainer, item by item (now → proposed)."""

    id: int
    decided_after: date
    reason: str
    changes: list[tuple[str, str, str]]


@dataclass(frozen=True)
class SafetyView:
    """What the trainer's client page shows about safety and decisions."""

    in_force: list[core_progression.RedFlagInForce]
    signoffs: list[TrainerSignOff]
    pending: list[PendingView]
    policy: str
    policies: tuple[str, ...]
    versions: list[Programme]


def _item_lines(content: core_prescription.Programme | None) -> dict[str, str]:
    from retrowalk.app.records import exercise_label

    items = content.items if content is not None else []
    return {i.exercise_id: f"{exercise_label(i.exercise_id)}: {i.dose.describe()}" for i in items}


def safety_view(
    db: Session,
    client: Client,
    *,
    judged: tuple[NextSession | None, Programme | None] | None = None,
) -> SafetyView:
    """``judged``: the next session and current programme the caller already read (the client
    page judges once for the whole page), else read here."""
    ns, current = (
        judged if judged is not None else (next_session(db, client.id), crud.current_programme(db, client.id))
    )
    now = _item_lines(current.content if current else None)
    pending = []
    for row in crud.pending_decisions(db, client.id):
        proposed = _item_lines(core_prescription.Programme.model_validate(row.content))
        changes = [
            (eid, now.get(eid, "–"), proposed.get(eid, "left out"))
            for eid in dict.fromkeys([*now, *proposed])
            if now.get(eid) != proposed.get(eid)
        ]
        pending.append(PendingView(row.id, row.decided_after, row.reason, changes))
    return SafetyView(
        in_force=list(ns.red_flags_in_force) if ns else [],
        signoffs=list(crud.list_signoffs(db, client.id)),
        pending=pending,
        policy=client.decision_policy or "protocol",
        policies=DECISION_POLICIES,
        versions=list(crud.list_programmes(db, client.id))[-8:],
    )
