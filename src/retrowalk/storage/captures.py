"""Browser captures in progress, and idempotency keys for saves queued offline.

A capture (motion samples or a video, sent in numbered chunks) becomes a Recording when it is
finished; its row remembers which recording, so a repeated "finish" returns the same one. An
idempotency key remembers which row a client-generated key created, so a log saved offline and
sent again after a lost answer is stored once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from retrowalk.storage.models import Base, Recording, utcnow

CAPTURE_KINDS = ("imu", "video")
#: Client-made keys: a UUID or similar; letters, digits, '-' and '_'.
IDEMPOTENCY_KEY_MAX = 64


class Capture(Base):
    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable handle the browser uses in chunk URLs.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(8))
    session_log_id: Mapped[int | None] = mapped_column(ForeignKey("session_logs.id", ondelete="SET NULL"))
    exercise_id: Mapped[str | None] = mapped_column(String(100), default=None)
    placement: Mapped[str] = mapped_column(String(16), default="unknown")
    keep_video: Mapped[bool] = mapped_column(Boolean, default=False)
    fps: Mapped[float | None] = mapped_column(Float, default=None)
    mime_type: Mapped[str | None] = mapped_column(String(100), default=None)
    #: Chunks the finish call declared (0 while open).
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client_id", "key", name="idempotency_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX))
    resource: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def get_capture(db: Session, client_id: int, token: str) -> Capture | None:
    row = db.scalar(select(Capture).where(Capture.token == token))
    return row if row is not None and row.client_id == client_id else None


def seen_key(db: Session, client_id: int, key: str) -> IdempotencyKey | None:
    """The earlier save made with this key, if any."""
    return db.scalar(
        select(IdempotencyKey).where(IdempotencyKey.client_id == client_id, IdempotencyKey.key == key)
    )


def remember_key(db: Session, client_id: int, key: str, resource: str, resource_id: int) -> None:
    """Record the save; a concurrent duplicate fails on the unique constraint (HTTP 409), so one wins."""
    db.add(IdempotencyKey(client_id=client_id, key=key, resource=resource, resource_id=resource_id))
    db.flush()


def valid_key(key: str) -> bool:
    return 8 <= len(key) <= IDEMPOTENCY_KEY_MAX and all(c.isalnum() or c in "-_" for c in key)


def parse_ids(text: str | None) -> list[int]:
    """The log form's ``recording_ids`` field ("12,13"); anything else is ignored."""
    return [int(x) for x in (text or "").split(",") if x.strip().isdigit()][:50]


def link_recordings(
    db: Session, client_id: int, recording_ids: Iterable[int], log_ids: dict[str, int]
) -> int:
    """Attach this client's recordings made during the session to the saved log row of the
    exercise they were captured for (else the first row); returns how many were linked."""
    if not log_ids:
        return 0
    first = next(iter(log_ids.values()))
    n = 0
    for rid in recording_ids:
        rec = db.get(Recording, rid)
        if rec is None or rec.client_id != client_id:
            continue
        cap = db.scalar(select(Capture).where(Capture.recording_id == rid))
        rec.session_log_id = log_ids.get(cap.exercise_id or "", first) if cap is not None else first
        n += 1
    return n
