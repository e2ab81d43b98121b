"""SQLAlchemy 2 models: the persistent record of clients, their assessments and their training.

Clinical records are append-only where history matters (programmes are versioned, audit rows are
never updated); timestamps are stored as UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from retrowalk.core.assessment import AssessmentInput, AssessmentResult
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.scores.koos import KoosScores
from retrowalk.gait.summary import GaitSummary
from retrowalk.storage.documents import (
    ASSESSMENT_FINDINGS,
    ASSESSMENT_INPUTS,
    KOOS_SCORES,
    PROGRAMME_CONTENT,
    RECORDING_METRICS,
    Document,
    RecordingMetrics,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "trainer", "client")
RECORDING_KINDS = ("imu", "pose")
HANDRAILS = ("none", "one", "both")
#: How a client's progression decisions reach the programme: "protocol" applies dose changes within
#: the protocol at once and waits for the trainer on stage changes (the default); "approve" waits
#: for the trainer on every change; "auto" applies every change at once.
DECISION_POLICIES = ("protocol", "approve", "auto")
SIGNOFF_KINDS = ("red_flag", "hands_free")
MEDIA_KINDS = ("photo", "video")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC (portable across SQLite and PostgreSQL); hand back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


client_trainers = Table(
    "client_trainers",
    Base.metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("trainer_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'trainer', 'client')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set for client accounts: the client record this login belongs to.
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), unique=True, default=None
    )

    #: How clients reach this trainer (printed on the handout); bounds in ``core.vocab``.
    contact_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)

    client: Mapped[Client | None] = relationship(foreign_keys=[client_id], back_populates="account")


class AuthSession(Base):
    """A login: only the SHA-256 of the token is stored, so a database leak leaks no sessions."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    sex: Mapped[str | None] = mapped_column(String(16), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision_policy: Mapped[str] = mapped_column(String(16), default="protocol", server_default="protocol")
    #: Set when the trainer archives the client (hidden from the default dashboard, never deleted).
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Changed by database triggers (migration 0013) on every write to a row a progression
    #: decision reads (logs, programmes, assessments, sign-offs, recordings): an unchanged value
    #: means the decision inputs are unchanged. Never set by the application.
    judged_rev: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    trainers: Mapped[list[User]] = relationship(secondary=client_trainers)
    account: Mapped[User | None] = relationship(
        foreign_keys="User.client_id", back_populates="client", uselist=False
    )


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What the trainer entered (the core's AssessmentInput).
    inputs: Mapped[AssessmentInput] = mapped_column(Document(ASSESSMENT_INPUTS))
    #: What the core computed from it; None for an imported assessment that was never evaluated.
    findings: Mapped[AssessmentResult | None] = mapped_column(Document(ASSESSMENT_FINDINGS), nullable=False)
    pain_nprs: Mapped[float | None] = mapped_column(Float, default=None)
    stop: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Which knee hurts: "left", "right" or "both" (asked on every assessment).
    affected_side: Mapped[str | None] = mapped_column(String(8), default=None)


class QuestionnaireResponse(Base):
    __tablename__ = "questionnaire_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    instrument: Mapped[str] = mapped_column(String(32), default="koos")
    answers: Mapped[dict[str, Any]]
    scores: Mapped[KoosScores] = mapped_column(Document(KOOS_SCORES))


class Programme(Base):
    """One version of a client's programme; a new version is a new row, never an update."""

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("client_id", "version", name="client_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    pain_nprs: Mapped[float | None] = mapped_column(Float, default=None)
    goals: Mapped[list[Any]]
    content: Mapped[ProgrammeContent] = mapped_column(Document(PROGRAMME_CONTENT))
    #: Set on a version made by a progression decision: the version it was decided from, the
    #: session that caused it ("decision after session <date>") and the decision's reason.
    #: (A plain column, no foreign key: adding one would make SQLite copy the referenced table.)
    based_on_id: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_after: Mapped[date | None] = mapped_column(Date, default=None)
    origin: Mapped[str | None] = mapped_column(String(200), default=None)
    origin_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: Why this version exists and what made it: "generated", "editor" or "decision".
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="generated")


class SessionLog(Base):
    __tablename__ = "session_logs"
    __table_args__ = (
        CheckConstraint("handrails IN ('none', 'one', 'both')", name="handrails"),
        Index("ix_session_logs_client_date", "client_id", "session_date"),
        Index("ix_session_logs_form_key", "client_id", "form_key", "exercise_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_date: Mapped[date] = mapped_column(Date)
    exercise_id: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[float | None] = mapped_column(Float, default=None)
    speed_kmh: Mapped[float | None] = mapped_column(Float, default=None)
    incline_pct: Mapped[float | None] = mapped_column(Float, default=None)
    handrails: Mapped[str | None] = mapped_column(String(8), default=None)
    sets: Mapped[int | None] = mapped_column(Integer, default=None)
    reps: Mapped[int | None] = mapped_column(Integer, default=None)
    hold_s: Mapped[float | None] = mapped_column(Float, default=None)
    pain_before: Mapped[float | None] = mapped_column(Float, default=None)
    pain_during: Mapped[float | None] = mapped_column(Float, default=None)
    pain_after: Mapped[float | None] = mapped_column(Float, default=None)
    pain_next_morning: Mapped[float | None] = mapped_column(Float, default=None)
    completed: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    #: Catalogue red-flag ids reported at this session (in force until a trainer clears them).
    #: No flags is SQL NULL, not JSON ``null``: every judgement reads this column for each session
    #: in the window, and decoding ``null`` was a third of that read's cost (migration 0012).
    red_flags: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    #: The log form's per-form key: a reload or double tap of the same form stores nothing new.
    form_key: Mapped[str | None] = mapped_column(String(64), default=None)


class TrainerSignOff(Base):
    """A trainer's clearance of a red flag (or of the pain stop), or sign-off for hands-free
    retro-walking: who, when and why. Rows are only inserted."""

    __tablename__ = "trainer_signoffs"
    __table_args__ = (CheckConstraint("kind IN ('red_flag', 'hands_free')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    flag_id: Mapped[str | None] = mapped_column(String(100), default=None)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_by_name: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingDecision(Base):
    """A decided programme change waiting for the trainer (stage changes by default)."""

    __tablename__ = "pending_decisions"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'declined', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    decided_after: Mapped[date] = mapped_column(Date)
    content: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class FlagAcknowledgement(Base):
    """A trainer saw a dashboard flag and says what they did about it (audited, never updated)."""

    __tablename__ = "flag_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    flag: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One message in a client's thread; ``read_at`` is set when the other side opens the thread."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_client_created", "client_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The sender's role when sent ("trainer" or "client"): whose side counts it as unread.
    from_role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (CheckConstraint("kind IN ('imu', 'pose', 'imported')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    session_log_id: Mapped[int | None] = mapped_column(ForeignKey("session_logs.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(8))
    original_name: Mapped[str] = mapped_column(String(255))
    #: Relative to the data directory, so the data directory can move.
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    #: "queued"/"analysing" (retrowalk.jobs), "analysed", "withheld" (weak data), "stored" or "failed".
    status: Mapped[str] = mapped_column(String(16), default="stored")
    #: Gait results (summary + the engine's own JSON); None when not analysed.
    metrics: Mapped[RecordingMetrics | None] = mapped_column(Document(RECORDING_METRICS), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def gait(self) -> GaitSummary | None:
        """The engine-independent gait summary every reader uses (None: nothing analysed)."""
        return None if self.metrics is None else self.metrics.summary

    @property
    def quality(self) -> dict[str, Any] | None:
        """Measurement-quality flags of the analysis (retrowalk.gait.quality), None before it."""
        return None if self.metrics is None else self.metrics.quality


class ExerciseMedia(Base):
    """A trainer's own photo or short video of an exercise, shown before the generated figure.

    ``client_id`` set: for that client's programme item only (removed with the item); unset: for
    every client of ``owner_id``. Files live under the data directory (paths relative to it); a
    photo (or a video's poster) is always the re-encoded copy (``io.media``), never the upload.
    """

    __tablename__ = "exercise_media"
    __table_args__ = (
        CheckConstraint("kind IN ('photo', 'video')", name="kind"),
        Index("ix_exercise_media_owner_exercise", "owner_id", "exercise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, default=None
    )
    exercise_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    #: The served file: the re-encoded photo, or the checked video as uploaded.
    path: Mapped[str] = mapped_column(String(500))
    mime: Mapped[str] = mapped_column(String(64))
    #: A video's poster frame (re-encoded image); None for a photo (the photo is its own poster).
    poster_path: Mapped[str | None] = mapped_column(String(500), default=None)
    poster_mime: Mapped[str | None] = mapped_column(String(64), default=None)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who read or changed which client's data, when. Rows are only ever inserted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64), default=None)
    client_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    detail: Mapped[str] = mapped_column(Text, default="")


# --- trials (retrowalk.trial at the storage edge) ---------------------------------------------------


class Trial(Base):
    """A trial definition owned by one trainer/admin; the sealed list lives in ``trial_slots``.

    ``seed`` and the slots' arms are never sent by the API: they are what concealment protects.
    """

    __tablename__ = "trials"
    __table_args__ = (UniqueConstraint("owner_id", "key", name="trial_owner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The definition's own ``id`` (used in data files and the analysis output).
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    #: The validated TrialDefinition as JSON, and the text it was submitted as (YAML or JSON).
    definition: Mapped[dict[str, Any]]
    source_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seed: Mapped[int | None] = mapped_column(Integer, default=None)
    capacity_per_stratum: Mapped[int | None] = mapped_column(Integer, default=None)
    digest: Mapped[str | None] = mapped_column(String(64), default=None)
    randomised_at: Mapped[datetime | None] = mapped_column(default=None)

    owner: Mapped[User] = relationship()


class TrialSlot(Base):
    """One position of the sealed allocation list; ``participant`` is set when it is revealed."""

    __tablename__ = "trial_slots"
    __table_args__ = (
        UniqueConstraint("trial_id", "stratum", "sequence", name="trial_slot_position"),
        UniqueConstraint("trial_id", "participant", name="trial_slot_participant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    stratum: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(Integer)
    block: Mapped[int] = mapped_column(Integer)
    block_size: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str] = mapped_column(String(100))
    participant: Mapped[str | None] = mapped_column(String(100), default=None)
    revealed_at: Mapped[datetime | None] = mapped_column(default=None)
    revealed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class TrialAllocationAudit(Base):
    """Generate / reveal / lookup events on a sealed list (who, when); rows are only inserted."""

    __tablename__ = "trial_allocation_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    by: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    participant: Mapped[str | None] = mapped_column(String(100), default=None)
    stratum: Mapped[str | None] = mapped_column(String(200), default=None)
    sequence: Mapped[int | None] = mapped_column(Integer, default=None)


class TrialObservation(Base):
    """One validated row of the long data file (participant × visit × outcome), kept as entered
    so the analysis re-runs the same validation and gives the same result as the CLI."""

    __tablename__ = "trial_observations"
    __table_args__ = (Index("ix_trial_observations_trial_row", "trial_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    upload: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)
    participant: Mapped[str] = mapped_column(String(100))
    arm: Mapped[str] = mapped_column(String(100))
    visit: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    strata: Mapped[dict[str, Any]]
    #: The optional visit-level columns (day, adherence, medication, deviation, withdrawal) as text.
    extra: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountToken(Base):
    """A one-time link to set a password (admin's reset or invitation): only the SHA-256 of the
    secret is stored; it expires, works once, and dies with a deactivation."""

    __tablename__ = "account_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('reset', 'invite')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
