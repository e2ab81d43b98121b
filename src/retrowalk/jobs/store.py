"""The durable job row: the app's own record of every background job.

huey's SQLite and Redis storages delete a message when a worker takes it, so a worker killed
mid-job would lose it. The row here is what survives: a worker claims it atomically
(``queued`` → ``running``), beats a heartbeat while it works, and marks it ``done`` or
``failed``; a ``running`` row whose worker died is put back to ``queued`` and pushed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from retrowalk.storage.models import Base, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        Index("ix_jobs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A handler name registered with :func:`retrowalk.jobs.queue.handler`.
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    #: ``host:pid`` of the worker that holds (or last held) the job.
    worker: Mapped[str | None] = mapped_column(String(128), default=None)


def add_job(db: Session, name: str, args: dict[str, Any], *, max_attempts: int) -> Job:
    row = Job(name=name, args=args, status="queued", attempts=0, max_attempts=max_attempts)
    db.add(row)
    db.flush()
    return row


def claim(db: Session, job_id: int, worker: str) -> bool:
    """Take a queued job for ``worker``; False when another worker has it or it is finished."""
    now = utcnow()
    res = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running", attempts=Job.attempts + 1, worker=worker, started_at=now, heartbeat_at=now)
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def heartbeat(db: Session, job_id: int, worker: str) -> None:
    db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running", Job.worker == worker)
        .values(heartbeat_at=utcnow())
    )


def finish(
    db: Session, job_id: int, worker: str, *, status: str, error: str | None, result: dict[str, Any] | None
) -> bool:
    """Record the outcome; only the worker holding the job may (a reclaimed job's old worker may not)."""
    res = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running", Job.worker == worker)
        .values(
            status=status,
            error=error,
            result=result,
            finished_at=utcnow() if status in ("done", "failed") else None,
        )
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def stale_running(db: Session, *, lease_s: float, host: str, alive: set[int] | None = None) -> Sequence[Job]:
    """Running jobs whose worker is gone: heartbeat older than the lease, or a dead pid on this host.

    ``alive`` is the set of pids on this host known to be running (None: check with the OS).
    """
    from retrowalk.jobs._proc import pid_alive

    cutoff = utcnow() - timedelta(seconds=lease_s)
    out: list[Job] = []
    for job in db.scalars(select(Job).where(Job.status == "running")).all():
        beat = job.heartbeat_at or job.started_at
        owner_host, _, pid = (job.worker or "").rpartition(":")
        dead_here = (
            owner_host == host
            and pid.isdigit()
            and not (int(pid) in alive if alive is not None else pid_alive(int(pid)))
        )
        if dead_here or beat is None or beat < cutoff:
            out.append(job)
    return out


def queued_ids(db: Session) -> list[int]:
    return list(db.scalars(select(Job.id).where(Job.status == "queued").order_by(Job.id)).all())
