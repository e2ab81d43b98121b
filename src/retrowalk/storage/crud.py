"""Data access used by the API, the web pages, the CLI and the interop layer.

Every function takes an open :class:`~sqlalchemy.orm.Session` and never commits: the caller owns
the transaction (one per request), so a failure anywhere leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import chain
from typing import Any, Generic, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    JSON,
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, defer

from retrowalk.core.assessment import AssessmentInput, AssessmentResult
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.scores.koos import KoosScores
from retrowalk.errors import InputError
from retrowalk.gait.summary import GaitSummary
from retrowalk.storage.documents import (
    ASSESSMENT_FINDINGS,
    ASSESSMENT_INPUTS,
    DOCUMENT_COLUMNS,
    KOOS_SCORES,
    PROGRAMME_CONTENT,
    DocumentError,
    DocumentSchema,
    RecordingMetrics,
    RowProblem,
    UnreadableRow,
)
from retrowalk.storage.models import (
    ROLES,
    Assessment,
    AuditEntry,
    AuthSession,
    Base,
    Client,
    FlagAcknowledgement,
    Message,
    PendingDecision,
    Programme,
    QuestionnaireResponse,
    Recording,
    SessionLog,
    TrainerSignOff,
    User,
    client_trainers,
    utcnow,
)

# Statements that run on (nearly) every request are built once, with bind parameters: building a
# statement and its cache key anew costs about as much as executing it on SQLite.

#: argon2id with argon2-cffi's defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
#: Verified against when the username is unknown, so timing does not reveal which users exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def configure_password_hashing(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the argon2id cost for new hashes (existing hashes are upgraded at the next login)."""
    global _hasher, _DUMMY_HASH
    current = _hasher
    if (current.time_cost, current.memory_cost, current.parallelism) == (time_cost, memory_kib, parallelism):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# --- users and passwords -------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    db: Session,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    client_id: int | None = None,
) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if (role == "client") != (client_id is not None):
        raise ValueError("a client account needs exactly one client record; other roles none")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name or username,
        client_id=client_id,
        active=True,
    )
    db.add(user)
    db.flush()
    return user


def get_user(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def get_user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username))


def list_users(db: Session) -> Sequence[User]:
    return db.scalars(select(User).order_by(User.id)).all()


def set_password(db: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    db.execute(delete(AuthSession).where(AuthSession.user_id == user.id))  # log out everywhere
    db.flush()


def login_candidate(db: Session, username: str) -> tuple[int, str, bool] | None:
    """(id, password hash, active) of the user with this name, for a password check."""
    row = db.execute(
        select(User.id, User.password_hash, User.active).where(User.username == username)
    ).first()
    return None if row is None else (row.id, row.password_hash, row.active)


def check_password(candidate: tuple[int, str, bool] | None, password: str) -> tuple[int, str | None] | None:
    """(user id, new hash or None) when the password is right and the user active, else None.

    Pure CPU (argon2), no database: callers run it outside their database turn. An unknown user
    costs the same work, so timing does not reveal which users exist. The new hash is set when
    the stored one uses older argon2 parameters.
    """
    if candidate is None:
        verify_password(_DUMMY_HASH, password)
        return None
    user_id, stored, active = candidate
    if not verify_password(stored, password) or not active:
        return None
    return user_id, hash_password(password) if _hasher.check_needs_rehash(stored) else None


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this password, else None (same work either way)."""
    checked = check_password(login_candidate(db, username), password)
    if checked is None:
        return None
    user = db.get(User, checked[0])
    if user is not None and checked[1] is not None:
        user.password_hash = checked[1]
    return user


def count_users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


# --- login sessions ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_auth_session(db: Session, user: User, *, ttl: timedelta) -> str:
    """Start a login and return its secret token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, created_at=now, expires_at=now + ttl))
    db.flush()
    return token


_USER_FOR_TOKEN = (
    select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.token_hash == bindparam("token_hash"),
        AuthSession.expires_at > bindparam("now"),
        User.active.is_(True),
    )
)


def user_for_token(db: Session, token: str) -> User | None:
    """The active user of an unexpired login (one query: this runs on every request)."""
    return db.scalar(_USER_FOR_TOKEN, {"token_hash": _token_hash(token), "now": datetime.now(UTC)})


def delete_auth_session(db: Session, token: str) -> None:
    db.execute(delete(AuthSession).where(AuthSession.token_hash == _token_hash(token)))


# --- clients and who may see them ----------------------------------------------------------------


def create_client(
    db: Session,
    name: str,
    *,
    trainer: User | None,
    date_of_birth: date | None = None,
    sex: str | None = None,
    notes: str = "",
) -> Client:
    """A new client, linked to ``trainer`` (None: an import nobody is linked to yet)."""
    client = Client(name=name, date_of_birth=date_of_birth, sex=sex, notes=notes)
    if trainer is not None:
        client.trainers.append(trainer)
    db.add(client)
    db.flush()
    return client


def get_client(db: Session, client_id: int) -> Client | None:
    return db.get(Client, client_id)


def list_client_ids(db: Session) -> Sequence[int]:
    return db.scalars(select(Client.id).order_by(Client.id)).all()


_TRAINERS_CLIENT = (
    select(Client)
    .join(client_trainers, client_trainers.c.client_id == Client.id)
    .where(Client.id == bindparam("client_id"), client_trainers.c.trainer_id == bindparam("trainer_id"))
)


_JUDGED_REV = select(Client.__table__.c.judged_rev).where(Client.__table__.c.id == bindparam("client_id"))
_JUDGED_REV_LOCKED = _JUDGED_REV.with_for_update()


def judged_rev(db: Session, client_id: int, *, lock: bool = False) -> int:
    """The client's decision-input token (:attr:`Client.judged_rev`), read now in this transaction.

    ``lock``: also hold the client's row until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite's writer already holds the whole database), so no other transaction can change the
    inputs, and with them the token, between this read and the commit.
    """
    return int(db.scalar(_JUDGED_REV_LOCKED if lock else _JUDGED_REV, {"client_id": client_id}) or 0)


def visible_client(db: Session, user: User, client_id: int) -> Client | None:
    """The client if ``user`` may see it, else None, in one query: a trainer sees the clients linked
    to them, a client account sees only itself, an administrator sees no clinical data."""
    if user.role == "trainer":
        return db.scalar(_TRAINERS_CLIENT, {"client_id": client_id, "trainer_id": user.id})
    if user.role == "client" and user.client_id == client_id:
        return db.get(Client, client_id)
    return None


def list_clients_for(db: Session, user: User) -> Sequence[Client]:
    if user.role == "trainer":
        stmt = (
            select(Client)
            .join(client_trainers, client_trainers.c.client_id == Client.id)
            .where(client_trainers.c.trainer_id == user.id)
            .order_by(Client.id)
        )
        return db.scalars(stmt).all()
    if user.role == "client" and user.client_id is not None:
        client = db.get(Client, user.client_id)
        return [client] if client else []
    return []


def link_trainer(db: Session, client: Client, trainer: User) -> None:
    if trainer.role != "trainer":
        raise ValueError("only trainers can be linked to a client")
    if trainer not in client.trainers:
        client.trainers.append(trainer)
    db.flush()


R = TypeVar("R", bound=Base)


def _inserted(db: Session, row: R) -> R:
    """``row`` added and flushed, so its id and server defaults are known to the caller."""
    db.add(row)
    db.flush()
    return row


# --- typed documents: reading rows that may not validate ------------------------------------------


@dataclass(frozen=True)
class Loaded(Generic[R]):
    """Rows that could be read, and a :class:`RowProblem` for each one that could not.

    Pages show ``rows`` and list ``problems`` ("assessment 7 cannot be read: ..."), so one bad
    row never takes the whole page down.
    """

    rows: list[R]
    problems: list[RowProblem] = field(default_factory=list)


def _problem(table: str, row_id: int, exc: DocumentError) -> RowProblem:
    column = next(
        (c for (t, c), schema in DOCUMENT_COLUMNS.items() if t == table and schema.name == exc.document),
        exc.document,
    )
    return RowProblem(table=table, row_id=row_id, column=column, message=exc.message)


def _read_rows(db: Session, stmt: Select[Any], params: Mapping[str, Any] | None = None) -> Loaded[Any]:
    """All rows of ``stmt`` (one ORM entity) that validate, plus problems for those that do not.

    The usual case is one query; only when a row fails are the rows read one by one to find it.
    """
    try:
        return Loaded(list(db.scalars(stmt, params).all()))
    except DocumentError:
        pass
    entity = stmt.column_descriptions[0]["entity"]
    rows: list[Any] = []
    problems: list[RowProblem] = []
    for row_id in db.scalars(stmt.with_only_columns(entity.id), params).all():
        try:
            rows.append(db.get_one(entity, row_id))
        except DocumentError as exc:
            problems.append(_problem(entity.__tablename__, row_id, exc))
    return Loaded(rows, problems)


def _read_one(db: Session, stmt: Select[Any], params: Mapping[str, Any] | None = None) -> Any:
    """The first row of ``stmt`` or None; :class:`UnreadableRow` when it does not validate."""
    try:
        return db.scalars(stmt, params).first()
    except DocumentError as exc:
        entity = stmt.column_descriptions[0]["entity"]
        row_id = db.scalar(stmt.with_only_columns(entity.id), params)
        raise UnreadableRow(_problem(entity.__tablename__, int(row_id or 0), exc)) from exc


def _get(db: Session, entity: type[R], row_id: int) -> R | None:
    try:
        return db.get(entity, row_id)
    except DocumentError as exc:
        raise UnreadableRow(_problem(entity.__tablename__, row_id, exc)) from exc


def _all_or_raise(loaded: Loaded[R]) -> list[R]:
    if loaded.problems:
        raise UnreadableRow(loaded.problems[0])
    return loaded.rows


def _document(schema: DocumentSchema[Any], value: Any, field_name: str) -> Any:
    """``value`` validated for storage; InputError naming the field when it does not fit."""
    try:
        return schema.validate(value)
    except DocumentError as exc:
        raise InputError(field_name, exc.message, hint=f"give a valid {schema.model.__name__}") from exc


_CLIENT_DOCUMENT_TABLES: dict[str, type[Base]] = {
    "assessments": Assessment,
    "programmes": Programme,
    "questionnaire_responses": QuestionnaireResponse,
    "recordings": Recording,
}


def client_row_problems(db: Session, client_id: int) -> list[RowProblem]:
    """Every stored document of one client that cannot be read, without loading any model.

    One query per table on the raw JSON: cheap enough for a banner on the client's page.
    """
    problems: list[RowProblem] = []
    for table, entity in _CLIENT_DOCUMENT_TABLES.items():
        columns = [(c, s) for (t, c), s in DOCUMENT_COLUMNS.items() if t == table]
        mapped = entity.__table__.c
        stmt = (
            select(mapped.id, *(type_coerce(mapped[c], JSON).label(c) for c, _s in columns))
            .where(mapped.client_id == client_id)
            .order_by(mapped.id)
        )
        for row in db.execute(stmt):
            for column, schema in columns:
                try:
                    schema.load(getattr(row, column))
                except DocumentError as exc:
                    problems.append(
                        RowProblem(table=table, row_id=row.id, column=column, message=exc.message)
                    )
    return problems


# --- assessments and questionnaires ---------------------------------------------------------------


def add_assessment(
    db: Session,
    client_id: int,
    *,
    inputs: AssessmentInput | Mapping[str, Any],
    findings: AssessmentResult | Mapping[str, Any] | None,
    pain_nprs: float | None,
    stop: bool,
    by: User | None,
    affected_side: str | None = None,
    created_at: datetime | None = None,
) -> Assessment:
    """Store an assessment; ``findings`` None = imported and not evaluated by the core."""
    row = Assessment(
        client_id=client_id,
        inputs=_document(ASSESSMENT_INPUTS, inputs, "inputs"),
        findings=_document(ASSESSMENT_FINDINGS, findings, "findings"),
        pain_nprs=pain_nprs,
        stop=stop,
        created_by=by.id if by else None,
        affected_side=affected_side,
    )
    if created_at is not None:
        row.created_at = created_at
    return _inserted(db, row)


def _assessments(client_id: int) -> Select[Any]:
    return (
        select(Assessment)
        .where(Assessment.client_id == client_id)
        .order_by(Assessment.created_at, Assessment.id)
    )


def read_assessments(db: Session, client_id: int) -> Loaded[Assessment]:
    """Oldest first, with a problem for each row that cannot be read."""
    return _read_rows(db, _assessments(client_id))


def list_assessments(db: Session, client_id: int) -> Sequence[Assessment]:
    """Oldest first; :class:`UnreadableRow` if any cannot be read (see :func:`read_assessments`)."""
    return _all_or_raise(read_assessments(db, client_id))


_ASSESSMENT_PAIN = (
    select(Assessment.id, Assessment.created_at, Assessment.pain_nprs)
    .where(Assessment.client_id == bindparam("client_id"))
    .order_by(Assessment.created_at, Assessment.id)
)


def assessment_pain_series(db: Session, client_id: int) -> Sequence[Any]:
    """(id, created_at, pain_nprs) per assessment, oldest first, without loading the JSON."""
    return db.execute(_ASSESSMENT_PAIN, {"client_id": client_id}).all()


def get_assessment(db: Session, client_id: int, assessment_id: int) -> Assessment | None:
    """The assessment or None; :class:`UnreadableRow` when it is stored but cannot be read."""
    row = _get(db, Assessment, assessment_id)
    return row if row is not None and row.client_id == client_id else None


_LATEST_ASSESSMENT = (
    select(Assessment)
    .where(Assessment.client_id == bindparam("client_id"))
    .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    .limit(1)
)
_LATEST_ASSESSMENT_FINDINGS = _LATEST_ASSESSMENT.options(defer(Assessment.inputs))


def latest_assessment(db: Session, client_id: int, *, with_inputs: bool = True) -> Assessment | None:
    """The newest assessment or None; :class:`UnreadableRow` when it cannot be read.
    ``with_inputs=False`` leaves the raw test values unread until used (the findings suffice)."""
    stmt = _LATEST_ASSESSMENT if with_inputs else _LATEST_ASSESSMENT_FINDINGS
    row: Assessment | None = _read_one(db, stmt, {"client_id": client_id})
    return row


def add_questionnaire(
    db: Session,
    client_id: int,
    *,
    answers: Mapping[str, Any],
    scores: KoosScores | Mapping[str, Any],
    instrument: str = "koos",
    by: User | None,
    created_at: datetime | None = None,
) -> QuestionnaireResponse:
    row = QuestionnaireResponse(
        client_id=client_id,
        answers=dict(answers),
        scores=_document(KOOS_SCORES, scores, "scores"),
        instrument=instrument,
        created_by=by.id if by else None,
    )
    if created_at is not None:
        row.created_at = created_at
    return _inserted(db, row)


def update_questionnaire(
    db: Session,
    row: QuestionnaireResponse,
    *,
    answers: Mapping[str, Any],
    scores: KoosScores | Mapping[str, Any],
) -> QuestionnaireResponse:
    """Replace a response's answers and scores (completing a partly answered KOOS)."""
    row.answers = dict(answers)
    row.scores = _document(KOOS_SCORES, scores, "scores")
    db.flush()
    return row


@cache
def _questionnaires_statement(*, by_instrument: bool) -> Select[Any]:
    stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.client_id == bindparam("client_id"))
    if by_instrument:
        stmt = stmt.where(QuestionnaireResponse.instrument == bindparam("instrument"))
    return stmt.order_by(QuestionnaireResponse.created_at, QuestionnaireResponse.id)


def read_questionnaires(
    db: Session, client_id: int, instrument: str | None = None
) -> Loaded[QuestionnaireResponse]:
    """Oldest first, with a problem for each row that cannot be read."""
    stmt = _questionnaires_statement(by_instrument=instrument is not None)
    return _read_rows(db, stmt, {"client_id": client_id, "instrument": instrument})


def list_questionnaires(
    db: Session, client_id: int, instrument: str | None = None
) -> Sequence[QuestionnaireResponse]:
    """Oldest first; :class:`UnreadableRow` if any cannot be read (see :func:`read_questionnaires`)."""
    return _all_or_raise(read_questionnaires(db, client_id, instrument))


# --- programmes (versioned, never overwritten) ----------------------------------------------------


def add_programme(
    db: Session,
    client_id: int,
    *,
    content: ProgrammeContent | Mapping[str, Any],
    assessment_id: int | None,
    pain_nprs: float | None,
    goals: Sequence[str] = (),
    by: User | None,
    reason: str = "",
    source: str = "generated",
    created_at: datetime | None = None,
) -> Programme:
    """Store a new version; earlier versions stay untouched (UNIQUE(client_id, version) guards races)."""
    last = db.scalar(select(func.max(Programme.version)).where(Programme.client_id == client_id))
    row = Programme(
        client_id=client_id,
        version=(last or 0) + 1,
        content=_document(PROGRAMME_CONTENT, content, "content"),
        assessment_id=assessment_id,
        pain_nprs=pain_nprs,
        goals=list(goals),
        created_by=by.id if by else None,
        reason=reason,
        source=source,
    )
    if created_at is not None:
        row.created_at = created_at
    return _inserted(db, row)


_CURRENT_PROGRAMME = (
    select(Programme)
    .where(Programme.client_id == bindparam("client_id"))
    .order_by(Programme.version.desc())
    .limit(1)
)


def current_programme(db: Session, client_id: int) -> Programme | None:
    """The newest version or None; :class:`UnreadableRow` when it cannot be read."""
    row: Programme | None = _read_one(db, _CURRENT_PROGRAMME, {"client_id": client_id})
    return row


def read_programmes(db: Session, client_id: int) -> Loaded[Programme]:
    """Oldest version first, with a problem for each row that cannot be read."""
    return _read_rows(
        db, select(Programme).where(Programme.client_id == client_id).order_by(Programme.version)
    )


#: At most this many versions in a programme's lineage (a guard against a cycle in bad data).
LINEAGE_LIMIT = 200


def _lineage(first: int, based_on: Callable[[int], int | None]) -> list[int]:
    ids = [first]
    nxt = based_on(first)
    while nxt is not None and len(ids) < LINEAGE_LIMIT:
        ids.append(nxt)
        nxt = based_on(nxt)
    return ids


def get_programme(db: Session, client_id: int, programme_id: int) -> Programme | None:
    row = db.get(Programme, programme_id)
    return row if row is not None and row.client_id == client_id else None


def add_decision_programme(
    db: Session, base: Programme, *, content: ProgrammeContent, decided_after: date, reason: str
) -> Programme:
    """A new version made by a progression decision, traceable to its session and reason."""
    row = add_programme(
        db,
        base.client_id,
        content=content,
        assessment_id=base.assessment_id,
        pain_nprs=base.pain_nprs,
        goals=list(base.goals or []),
        by=None,
        reason=reason,
        source="decision",
    )
    row.based_on_id = base.id
    row.decided_after = decided_after
    row.origin = f"decision after session {decided_after.isoformat()}"
    row.origin_reason = reason
    db.flush()
    return row


def add_pending_decision(
    db: Session, base: Programme, *, content: ProgrammeContent, decided_after: date, reason: str
) -> PendingDecision:
    """Park a decision for the trainer; an older pending one for this client is superseded."""
    for old in pending_decisions(db, base.client_id):
        old.status = "superseded"
    row = PendingDecision(
        client_id=base.client_id,
        programme_id=base.id,
        decided_after=decided_after,
        content=content.model_dump(mode="json"),
        reason=reason,
        status="pending",
    )
    return _inserted(db, row)


def pending_decisions(db: Session, client_id: int) -> Sequence[PendingDecision]:
    return db.scalars(
        select(PendingDecision)
        .where(PendingDecision.client_id == client_id, PendingDecision.status == "pending")
        .order_by(PendingDecision.id)
    ).all()


def get_pending_decision(db: Session, client_id: int, decision_id: int) -> PendingDecision | None:
    row = db.get(PendingDecision, decision_id)
    return row if row is not None and row.client_id == client_id else None


def resolve_pending_decision(db: Session, row: PendingDecision, *, status: str, by: User) -> None:
    row.status = status
    row.decided_by = by.id
    row.decided_at = utcnow()
    db.flush()


def add_signoff(
    db: Session,
    client_id: int,
    *,
    kind: str,
    flag_id: str | None,
    by: User,
    signed_on: date,
    reason: str,
) -> TrainerSignOff:
    row = TrainerSignOff(
        client_id=client_id,
        kind=kind,
        flag_id=flag_id,
        signed_by=by.id,
        signed_by_name=by.display_name or by.username,
        signed_on=signed_on,
        reason=reason,
    )
    return _inserted(db, row)


def list_signoffs(db: Session, client_id: int, kind: str | None = None) -> Sequence[TrainerSignOff]:
    stmt = select(TrainerSignOff).where(TrainerSignOff.client_id == client_id)
    if kind is not None:
        stmt = stmt.where(TrainerSignOff.kind == kind)
    return db.scalars(stmt.order_by(TrainerSignOff.signed_on, TrainerSignOff.id)).all()


def list_programmes(db: Session, client_id: int) -> Sequence[Programme]:
    """Oldest version first; :class:`UnreadableRow` if any cannot be read."""
    return _all_or_raise(read_programmes(db, client_id))


# --- session logs --------------------------------------------------------------------------------

SESSION_FIELDS = (
    "session_date",
    "exercise_id",
    "minutes",
    "speed_kmh",
    "incline_pct",
    "handrails",
    "sets",
    "reps",
    "hold_s",
    "pain_before",
    "pain_during",
    "pain_after",
    "pain_next_morning",
    "completed",
    "notes",
    "red_flags",
    "form_key",
)


def insert_session_log(
    db: Session, client_id: int, *, programme_id: int | None, by: User | None, **fields: Any
) -> Row[Any]:
    """Store one session row with one ``INSERT ... RETURNING`` and return it as stored.

    The returned row starts with the decision-window columns, in the order
    :func:`decision_window_rows` reads them (so it joins a window read before without reading
    it again), then the rest (author, time, notes, form key). A log's busiest statement: the
    ORM's flush and the read back cost about five times as much.
    """
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ValueError(f"unknown session-log fields: {sorted(unknown)}")
    values = {
        **fields,
        "client_id": client_id,
        "programme_id": programme_id,
        "created_by": by.id if by else None,
    }
    return db.execute(_INSERT_SESSION_LOG, values).one()  # the columns' own defaults fill the rest


def add_session_log(
    db: Session, client_id: int, *, programme_id: int | None, by: User | None, **fields: Any
) -> SessionLog:
    """:func:`insert_session_log`, as the ORM object (for callers that go on to change it)."""
    row = insert_session_log(db, client_id, programme_id=programme_id, by=by, **fields)
    return db.get_one(SessionLog, row.id)


_LOGS_ON_DAY = (
    select(func.count())
    .select_from(SessionLog)
    .where(SessionLog.client_id == bindparam("client_id"), SessionLog.session_date == bindparam("day"))
)


def count_session_logs_on(db: Session, client_id: int, day: date) -> int:
    """How many session rows the client has on ``day`` (every programme)."""
    return int(db.scalar(_LOGS_ON_DAY, {"client_id": client_id, "day": day}) or 0)


def list_session_logs(db: Session, client_id: int, *, limit: int | None = None) -> Sequence[SessionLog]:
    """Oldest first; ``limit`` keeps the most recent."""
    stmt = select(SessionLog).where(SessionLog.client_id == client_id)
    if limit:
        recent = stmt.order_by(SessionLog.session_date.desc(), SessionLog.id.desc()).limit(limit)
        return list(reversed(db.scalars(recent).all()))
    return db.scalars(stmt.order_by(SessionLog.session_date, SessionLog.id)).all()


#: Session-log columns for charts and decisions: timestamps, authors and free text are left out
#: so that they are not decoded for every row.
SESSION_ROW_COLUMNS = tuple(
    c
    for c in SessionLog.__table__.c
    if c.name not in ("client_id", "created_at", "created_by", "notes", "form_key")
)


def _ordered(stmt: Select[Any], *, newest_first: bool) -> Select[Any]:
    table = SessionLog.__table__
    if newest_first:
        return stmt.order_by(table.c.session_date.desc(), table.c.id.desc())
    return stmt.order_by(table.c.session_date, table.c.id)


_SESSION_ROWS = _ordered(
    select(*SESSION_ROW_COLUMNS).where(SessionLog.__table__.c.client_id == bindparam("client_id")),
    newest_first=False,
)


def session_log_rows(db: Session, client_id: int) -> Sequence[Row[Any]]:
    """Every session row of the client as read-only rows (:data:`SESSION_ROW_COLUMNS`, attribute
    access), oldest first: for charts, where ORM objects would only cost time. The decision's
    window (one lineage, the last days) is :func:`decision_window_rows`."""
    return db.execute(_SESSION_ROWS, {"client_id": client_id}).all()


# --- many clients at once (the trainer's dashboard): a fixed number of queries, not per client ---


def _latest_per_client(model: Any, client_ids: Sequence[int], *order: Any) -> Select[Any]:
    """The first row per client in ``order`` (a window function: SQLite 3.25+, PostgreSQL)."""
    ranked = (
        select(model.id, func.row_number().over(partition_by=model.client_id, order_by=order).label("n"))
        .where(model.client_id.in_(client_ids))
        .subquery()
    )
    return select(model).join(ranked, ranked.c.id == model.id).where(ranked.c.n == 1)


def current_programmes(db: Session, client_ids: Sequence[int]) -> dict[int, Programme]:
    """Each client's current (highest-version) programme, by client id; one query."""
    if not client_ids:
        return {}
    stmt = _latest_per_client(Programme, client_ids, Programme.version.desc())
    return {p.client_id: p for p in db.scalars(stmt)}


def latest_assessments(
    db: Session, client_ids: Sequence[int], *, with_inputs: bool = True
) -> dict[int, Assessment]:
    """Each client's latest assessment (as :func:`latest_assessment`), by client id; one query.
    ``with_inputs=False`` leaves the raw test values unread until used (the findings suffice)."""
    if not client_ids:
        return {}
    stmt = _latest_per_client(Assessment, client_ids, Assessment.created_at.desc(), Assessment.id.desc())
    if not with_inputs:
        stmt = stmt.options(defer(Assessment.inputs))
    return {a.client_id: a for a in db.scalars(stmt)}


# Statements on every log's path are built once: building a select (its clauses, then its cache
# key) per call cost more CPU than running it. Lists go in as expanding parameters.
_PROGRAMME_LINKS = select(Programme.id, Programme.based_on_id, Programme.decided_after).where(
    Programme.client_id.in_(bindparam("client_ids", expanding=True))
)


@dataclass(frozen=True)
class ProgrammeLink:
    """How a version was made: the version it was decided from, and the newest session that
    decision judged (None for a version not made by a decision)."""

    based_on_id: int | None
    decided_after: date | None


def programme_links(db: Session, client_ids: Sequence[int]) -> dict[int, ProgrammeLink]:
    """Every version of these clients by id, as links (one query, no documents read)."""
    if not client_ids:
        return {}
    rows = db.execute(_PROGRAMME_LINKS, {"client_ids": list(client_ids)}).all()
    return {pid: ProgrammeLink(based_on, decided) for pid, based_on, decided in rows}


def lineage_of(programme_id: int, links: Mapping[int, ProgrammeLink]) -> list[int]:
    """The version and the versions it was decided from (decision versions point back with
    ``based_on_id``), newest first: the sessions logged under any of them are one history."""
    return _lineage(programme_id, lambda pid: link.based_on_id if (link := links.get(pid)) else None)


def programme_lineages(db: Session, programmes: Mapping[int, Programme]) -> dict[int, list[int]]:
    """:func:`lineage_of` each client's programme (client id -> ids), from one query of the
    versions' links (no documents read)."""
    links = programme_links(db, list(programmes))
    return {cid: lineage_of(p.id, links) for cid, p in programmes.items()}


def programmes_by_id(db: Session, client_programme_ids: Mapping[int, int]) -> dict[int, Programme]:
    """Client id -> that client's programme version of the given id (absent when it is not theirs)."""
    if not client_programme_ids:
        return {}
    rows = db.scalars(select(Programme).where(Programme.id.in_(list(client_programme_ids.values()))))
    by_id = {p.id: p for p in rows}
    return {
        cid: by_id[pid]
        for cid, pid in client_programme_ids.items()
        if pid in by_id and by_id[pid].client_id == cid
    }


def decision_window_rows(
    db: Session, lineages: Mapping[int, Sequence[int]], *, last_days: int
) -> dict[int, list[Row[Any]]]:
    """Each client's session rows under its lineage (client id -> the programme ids) from the
    newest day back ``last_days`` days (:func:`within_window`), oldest first. Many clients: two queries (each
    client's latest day, then the rows from the earliest cut-off, each client's kept from its
    own). One client (a log's judgement): one query read newest first, stopped at the cut-off."""
    out: dict[int, list[Row[Any]]] = {cid: [] for cid in lineages}
    if not lineages:
        return out
    if len(lineages) == 1:
        ((cid, programme_ids),) = lineages.items()
        result = db.execute(_WINDOW_OF_ONE, {"client_id": cid, "programme_ids": list(programme_ids)})
        # In chunks (fetchmany): row by row costs more per row than the cut-off saves
        out[cid] = within_window(chain.from_iterable(result.partitions(WINDOW_CHUNK)), last_days=last_days)
        result.close()
        return out
    t = SessionLog.__table__.c
    owner = {pid: cid for cid, ids in lineages.items() for pid in ids}
    scope = t.client_id.in_(list(lineages)) & t.programme_id.in_(list(owner))
    newest = _newest_days(db, scope, owner)
    if not newest:
        return out
    since = {cid: day - timedelta(days=last_days) for cid, day in newest.items()}
    stmt = select(t.client_id, *SESSION_ROW_COLUMNS).where(scope, t.session_date >= min(since.values()))
    for row in db.execute(stmt.order_by(t.client_id, t.session_date, t.id)).all():  # one fetchall
        cid = row.client_id
        if owner[row.programme_id] == cid and row.session_date >= since[cid]:
            out[cid].append(row)
    return out


#: Rows fetched at a time while reading one client's window newest first: about a month of
#: sessions of a two-exercise programme, so most windows end within two chunks.
WINDOW_CHUNK = 64
_WINDOW_OF_ONE = _ordered(
    select(SessionLog.__table__.c.client_id, *SESSION_ROW_COLUMNS).where(
        SessionLog.__table__.c.client_id == bindparam("client_id"),
        SessionLog.__table__.c.programme_id.in_(bindparam("programme_ids", expanding=True)),
    ),
    newest_first=True,
)
_LOG_TABLE = cast(Table, SessionLog.__table__)
_INSERT_SESSION_LOG = insert(_LOG_TABLE).returning(
    _LOG_TABLE.c.client_id,
    *SESSION_ROW_COLUMNS,
    *(c for c in _LOG_TABLE.c if c.name != "client_id" and c not in SESSION_ROW_COLUMNS),
)


def within_window(newest_first: Iterable[Row[Any]], *, last_days: int) -> list[Row[Any]]:
    """The rows (newest first; read lazily) from the newest day back ``last_days`` days, oldest
    first: the one cut-off rule of the decision window."""
    rows: list[Row[Any]] = []
    cutoff: date | None = None
    for row in newest_first:
        if cutoff is None:
            cutoff = row.session_date - timedelta(days=last_days)
        elif row.session_date < cutoff:
            break
        rows.append(row)
    rows.reverse()
    return rows


def _newest_days(db: Session, scope: ColumnElement[bool], owner: Mapping[int, int]) -> dict[int, date]:
    t = SessionLog.__table__.c
    latest = db.execute(
        select(t.client_id, t.programme_id, func.max(t.session_date))
        .where(scope)
        .group_by(t.client_id, t.programme_id)
    ).all()
    newest: dict[int, date] = {}
    for cid, pid, day in latest:
        if owner[pid] == cid and day is not None and (cid not in newest or day > newest[cid]):
            newest[cid] = day
    return newest


def signoffs_for(db: Session, client_ids: Sequence[int]) -> dict[int, list[TrainerSignOff]]:
    """:func:`list_signoffs` (every kind, oldest first) of many clients, by client id; one query."""
    out: dict[int, list[TrainerSignOff]] = {cid: [] for cid in client_ids}
    if client_ids:
        for row in db.scalars(_SIGNOFFS_OF, {"client_ids": list(client_ids)}):
            out[row.client_id].append(row)
    return out


_SIGNOFFS_OF = (
    select(TrainerSignOff)
    .where(TrainerSignOff.client_id.in_(bindparam("client_ids", expanding=True)))
    .order_by(TrainerSignOff.signed_on, TrainerSignOff.id)
)


def latest_recordings(
    db: Session, client_ids: Sequence[int], *, n: int, since: Mapping[int, datetime] | None = None
) -> dict[int, list[Recording]]:
    """Each client's ``n`` newest recordings, oldest first (the tail of :func:`list_recordings`),
    by client id; one query. :class:`UnreadableRow` if one of them cannot be read.
    ``since``: only recordings made at or after each client's bound, and only for the clients
    named there (their analyses are decoded, so older ones are not read at all)."""
    out: dict[int, list[Recording]] = {cid: [] for cid in client_ids}
    wanted = [cid for cid in client_ids if since is None or cid in since]
    if not wanted:
        return out
    newest = (Recording.created_at.desc(), Recording.id.desc())
    if len(wanted) == 1:  # one client (a log's judgement): a plain indexed query, no window
        (cid,) = wanted
        params = {"client_id": cid, "since": None if since is None else since[cid], "n": n}
        rows = _all_or_raise(_read_rows(db, _LATEST_OF_ONE[since is not None], params))
        out[cid] = rows[::-1]
        return out
    scope: ColumnElement[bool] = Recording.client_id.in_(wanted)
    if since is not None:
        bound = {cid: bindparam(None, since[cid], type_=Recording.created_at.type) for cid in wanted}
        scope &= Recording.created_at >= case(bound, value=Recording.client_id)
    ranked = (
        select(
            Recording.id,
            func.row_number().over(partition_by=Recording.client_id, order_by=newest).label("n"),
        )
        .where(scope)
        .subquery()
    )
    stmt = (
        select(Recording)
        .join(ranked, ranked.c.id == Recording.id)
        .where(ranked.c.n <= n)
        .order_by(Recording.created_at, Recording.id)
    )
    for row in _all_or_raise(_read_rows(db, stmt)):
        out[row.client_id].append(row)
    return out


_LATEST_OF_ONE = {
    bounded: select(Recording)
    .where(
        Recording.client_id == bindparam("client_id"),
        *([Recording.created_at >= bindparam("since")] if bounded else []),
    )
    .order_by(Recording.created_at.desc(), Recording.id.desc())
    .limit(bindparam("n"))
    for bounded in (False, True)
}


def flag_acks_for(db: Session, client_ids: Sequence[int]) -> dict[int, list[FlagAcknowledgement]]:
    """:func:`list_flag_acks` of many clients, by client id; one query."""
    out: dict[int, list[FlagAcknowledgement]] = {cid: [] for cid in client_ids}
    if client_ids:
        stmt = select(FlagAcknowledgement).where(FlagAcknowledgement.client_id.in_(list(client_ids)))
        for row in db.scalars(stmt.order_by(FlagAcknowledgement.id)):
            out[row.client_id].append(row)
    return out


def session_day_stats(
    db: Session, client_ids: Sequence[int], *, recent_from: date, week_from: date
) -> dict[int, Any]:
    """Per client, aggregated in SQL: ``last_day`` (latest session date), ``worst_recent`` (worst
    pain during/after/next morning on days from ``recent_from``) and ``week_done`` (completed
    session days from ``week_from``)."""
    if not client_ids:
        return {}
    t = SessionLog.__table__.c
    recent = t.session_date >= recent_from
    worst = [func.max(case((recent, col))) for col in (t.pain_during, t.pain_after, t.pain_next_morning)]
    stmt = (
        select(
            t.client_id,
            func.max(t.session_date).label("last_day"),
            *(w.label(f"worst_{i}") for i, w in enumerate(worst)),
            func.count(
                func.distinct(case((and_(t.session_date >= week_from, t.completed), t.session_date)))
            ).label("week_done"),
        )
        .where(t.client_id.in_(client_ids))
        .group_by(t.client_id)
    )
    return {row.client_id: row for row in db.execute(stmt)}


def session_logs_outside(
    db: Session, client_ids: Sequence[int], limits: Mapping[str, tuple[Any, ...]]
) -> Sequence[SessionLog]:
    """Stored logs with a value outside ``limits`` (column -> (min, max, exclusive_min,
    exclusive_max), None = open): candidates for the caller's
    own validation, found by the database instead of reading every row."""
    if not client_ids:
        return []
    t = SessionLog.__table__.c
    outside: list[Any] = []
    for name, (lo, hi, ex_lo, ex_hi) in limits.items():
        col = t[name]
        if lo is not None:
            outside.append(col <= lo if ex_lo else col < lo)
        if hi is not None:
            outside.append(col >= hi if ex_hi else col > hi)
    stmt = select(SessionLog).where(SessionLog.client_id.in_(client_ids), or_(false(), *outside))
    return db.scalars(stmt.order_by(SessionLog.id)).all()


def logs_with_form_key(db: Session, client_id: int, key: str) -> Sequence[SessionLog]:
    """The rows an earlier submission of the same log form stored (empty: not seen yet)."""
    return db.scalars(
        select(SessionLog)
        .where(SessionLog.client_id == client_id, SessionLog.form_key == key)
        .order_by(SessionLog.id)
    ).all()


def get_session_log(db: Session, client_id: int, log_id: int) -> SessionLog | None:
    row = db.get(SessionLog, log_id)
    return row if row is not None and row.client_id == client_id else None


def update_session_log(db: Session, row: SessionLog, **fields: Any) -> SessionLog:
    for key, value in fields.items():
        if key not in SESSION_FIELDS:
            raise ValueError(f"unknown session-log field {key!r}")
        setattr(row, key, value)
    db.flush()
    return row


# --- recordings ----------------------------------------------------------------------------------


def _metrics(kind: str, metrics: RecordingMetrics | Mapping[str, Any] | None) -> RecordingMetrics | None:
    """Typed metrics: engine result JSON (as ``io.recordings.analyse_file`` returns it) is turned
    into :class:`RecordingMetrics` here, so callers may hand over either."""
    if metrics is None or isinstance(metrics, RecordingMetrics):
        return metrics
    try:
        return RecordingMetrics.from_engine(kind, metrics)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InputError("metrics", f"not a {kind} gait result: {exc}") from exc


def add_recording(
    db: Session,
    client_id: int,
    *,
    by: User | None,
    kind: str,
    metrics: RecordingMetrics | Mapping[str, Any] | None = None,
    **fields: Any,
) -> Recording:
    row = Recording(
        client_id=client_id,
        created_by=by.id if by else None,
        kind=kind,
        metrics=_metrics(kind, metrics),
        **fields,
    )
    return _inserted(db, row)


def set_recording_result(
    db: Session,
    row: Recording,
    *,
    status: str,
    metrics: RecordingMetrics | Mapping[str, Any] | None = None,
    error: str | None = None,
) -> Recording:
    """Record an analysis outcome on an existing row (e.g. a background re-analysis): engine result
    JSON is typed here, as in :func:`add_recording`."""
    row.metrics = _metrics(row.kind, metrics)
    row.status = status
    row.error = error
    db.flush()
    return row


def add_imported_gait(
    db: Session, client_id: int, *, when: datetime, summary: GaitSummary, by: User | None = None
) -> Recording:
    """Gait values that came in through an import: a recording row without a file."""
    return add_recording(
        db,
        client_id,
        by=by,
        kind="imported",
        created_at=when,
        original_name="FHIR import",
        path="",
        sha256="",
        size_bytes=0,
        status="imported",
        metrics=RecordingMetrics.imported(summary),
    )


def get_recording(db: Session, client_id: int, recording_id: int) -> Recording | None:
    """The recording or None; :class:`UnreadableRow` when it is stored but cannot be read."""
    row = _get(db, Recording, recording_id)
    return row if row is not None and row.client_id == client_id else None


_RECORDINGS = (
    select(Recording)
    .where(Recording.client_id == bindparam("client_id"))
    .order_by(Recording.created_at, Recording.id)
)


def read_recordings(db: Session, client_id: int) -> Loaded[Recording]:
    """Oldest first, with a problem for each row that cannot be read."""
    return _read_rows(db, _RECORDINGS, {"client_id": client_id})


def list_recordings(db: Session, client_id: int) -> Sequence[Recording]:
    """Oldest first; :class:`UnreadableRow` if any cannot be read (see :func:`read_recordings`)."""
    return _all_or_raise(read_recordings(db, client_id))


def gait_series(db: Session, client_id: int) -> Loaded[Recording]:
    """Recordings with a gait summary (analysed uploads and imports), oldest first: what the
    charts, the PDF and the API outcomes read, through ``Recording.gait``."""
    loaded = read_recordings(db, client_id)
    return Loaded([r for r in loaded.rows if r.gait is not None], loaded.problems)


# --- audit ---------------------------------------------------------------------------------------


_AUDIT_INSERT = insert(cast(Table, AuditEntry.__table__))


def audit(
    db: Session,
    user: User | None,
    action: str,
    resource: str,
    *,
    resource_id: object = None,
    client_id: int | None = None,
    detail: str = "",
) -> None:
    """Record who read or changed what; written in the same transaction as the access itself.

    A plain INSERT of the table (no ORM object, nor the ORM's bulk-insert path), built once:
    every request writes one, so it should be cheap.
    """
    db.execute(
        _AUDIT_INSERT,
        {
            "at": datetime.now(UTC),
            "user_id": user.id if user else None,
            "username": user.username if user else "-",
            "action": action,
            "resource": resource,
            "resource_id": None if resource_id is None else str(resource_id),
            "client_id": client_id,
            "detail": detail,
        },
    )


def list_audit(db: Session, *, client_id: int | None = None, limit: int = 200) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry)
    if client_id is not None:
        stmt = stmt.where(AuditEntry.client_id == client_id)
    return db.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)).all()


# --- trainer's day: flag acknowledgements, messages ----------------------------------------------


def add_flag_ack(db: Session, client_id: int, *, flag: str, note: str, by: User) -> FlagAcknowledgement:
    row = FlagAcknowledgement(client_id=client_id, flag=flag, note=note, created_by=by.id)
    return _inserted(db, row)


def list_flag_acks(db: Session, client_id: int) -> Sequence[FlagAcknowledgement]:
    return db.scalars(
        select(FlagAcknowledgement)
        .where(FlagAcknowledgement.client_id == client_id)
        .order_by(FlagAcknowledgement.id)
    ).all()


def add_message(db: Session, client_id: int, *, by: User, body: str) -> Message:
    row = Message(client_id=client_id, sender_id=by.id, from_role=by.role, body=body)
    return _inserted(db, row)


def list_messages(db: Session, client_id: int) -> Sequence[Message]:
    return db.scalars(select(Message).where(Message.client_id == client_id).order_by(Message.id)).all()


def unread_counts(db: Session, client_ids: Sequence[int], *, from_role: str) -> dict[int, int]:
    """Unread messages per client sent by ``from_role`` (what the other side has not opened)."""
    if not client_ids:
        return {}
    rows = db.execute(
        select(Message.client_id, func.count())
        .where(Message.client_id.in_(client_ids), Message.from_role == from_role, Message.read_at.is_(None))
        .group_by(Message.client_id)
    ).all()
    return {int(cid): int(n) for cid, n in rows}


def mark_read(db: Session, client_id: int, *, from_role: str) -> int:
    """Mark the thread's messages from ``from_role`` read; returns how many were unread."""
    result = db.execute(
        update(Message)
        .where(Message.client_id == client_id, Message.from_role == from_role, Message.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)
