"""Background jobs on huey: SQLite in the data directory by default, Redis at scale.

One huey task, ``run_job(job_id)``, executes every kind of job; what a job does is a *handler*
registered by name (:func:`handler`). The job's durable row (:mod:`retrowalk.jobs.store`) lives in
the app's own database, so a worker killed mid-job loses nothing: the row stays ``running`` with
a dead owner, and :meth:`JobQueue.recover` (run at every worker start and once a minute by the
worker's scheduler) puts it back. A claim is one atomic UPDATE, so a job pushed twice still runs
once at a time, and a finished job never runs again. Handlers write their results idempotently
(a rerun overwrites with the same values).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event
from sqlalchemy.orm import Session

from retrowalk.errors import InputError
from retrowalk.jobs import _proc
from retrowalk.jobs import store as job_store
from retrowalk.settings import Settings
from retrowalk.storage.db import Database

log = logging.getLogger("retrowalk.jobs")
_PENDING = "retrowalk.jobs.pending"
_HOOKED = "retrowalk.jobs.hooked"


def _forget_pending(db: Session) -> None:
    """A rolled-back transaction's jobs were never stored: nothing to push."""
    db.info.pop(_PENDING, None)


class PermanentError(Exception):
    """A handler's failure that a retry cannot fix (bad input): the job fails at once."""


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    database: Database
    job_id: int
    attempt: int


#: ``handler(ctx, **args) -> JSON-ready result or None``; args are the job row's JSON arguments.
Handler = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class _Registered:
    run: Handler
    #: Called once when the job has failed for good (e.g. mark the recording failed).
    on_failure: Callable[[JobContext, str, dict[str, Any]], None] | None


HANDLERS: dict[str, _Registered] = {}


def handler(
    name: str, *, on_failure: Callable[[JobContext, str, dict[str, Any]], None] | None = None
) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the job ``name``: ``fn(ctx, **args) -> JSON-ready result or None``.

    The pattern for any slow work (analysis, PDF rendering, trial analysis): a handler reads its
    inputs by id, computes outside any transaction, and writes its outputs idempotently.
    """

    def register(fn: Handler) -> Handler:
        if name in HANDLERS and HANDLERS[name].run is not fn:
            raise ValueError(f"job handler {name!r} is already registered")
        HANDLERS[name] = _Registered(fn, on_failure)
        return fn

    return register


def _make_huey(settings: Settings) -> Huey:
    backend = settings.jobs_backend
    if backend == "immediate":
        return MemoryHuey("retrowalk", immediate=True, results=False)
    if backend == "redis":
        if not settings.jobs_redis_url:
            raise InputError(
                "jobs_redis_url", "the redis job backend needs a URL", hint="redis://host:6379/0"
            )
        return RedisHuey("retrowalk", url=settings.jobs_redis_url, results=False)
    path = settings.data_dir / "jobs.sqlite3"
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return SqliteHuey("retrowalk", filename=str(path), results=False, fsync=True)


class _EmbeddedConsumer(Consumer):
    """huey's consumer without its signal handlers: it runs inside the web server's process."""

    def _set_signal_handlers(self) -> None:
        return None


class JobQueue:
    """The huey instance for these settings plus the app database that holds the job rows."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.huey = _make_huey(settings)
        self._run_task = self.huey.task(name="run_job")(self._run)
        if settings.jobs_backend != "immediate":
            self.huey.periodic_task(crontab(minute="*"), name="recover_jobs")(self._recover_stale)

    # --- submitting ---------------------------------------------------------------------------

    def submit(self, db: Session, name: str, **args: Any) -> job_store.Job:
        """Add the job's row in ``db``'s transaction; it is pushed to the queue once that commits.

        If the process dies between the commit and the push, the row stays ``queued`` and the
        next worker start pushes it (:meth:`recover`).
        """
        if name not in HANDLERS:
            raise ValueError(f"no job handler {name!r}")
        row = job_store.add_job(db, name, args, max_attempts=self.settings.jobs_max_attempts)
        if not db.info.get(_HOOKED):
            event.listen(db, "after_commit", self._after_commit)
            event.listen(db, "after_rollback", _forget_pending)
            db.info[_HOOKED] = True
        db.info.setdefault(_PENDING, []).append(row.id)
        return row

    def _after_commit(self, db: Session) -> None:
        for job_id in db.info.pop(_PENDING, []):
            try:
                self.push(job_id)
            except Exception:  # the row is durable; a worker start pushes it later
                log.exception("could not push job %s; a worker start will pick it up", job_id)

    def push(self, job_id: int, *, delay_s: float | None = None) -> None:
        if delay_s:
            self._run_task.schedule(args=(job_id,), delay=delay_s)
        else:
            self._run_task(job_id)

    # --- running ------------------------------------------------------------------------------

    def _run(self, job_id: int) -> None:
        worker = _proc.worker_id()
        with self.database.transaction() as db:
            if not job_store.claim(db, job_id, worker):
                return  # finished, running elsewhere, or gone: a duplicate push is harmless
            job = db.get(job_store.Job, job_id)
            assert job is not None
            name, args, attempt, max_attempts = job.name, dict(job.args), job.attempts, job.max_attempts
        ctx = JobContext(self.settings, self.database, job_id, attempt)
        registered = HANDLERS.get(name)
        if attempt > max_attempts:  # its workers kept dying (e.g. out of memory): stop trying
            error = f"gave up after {max_attempts} attempts whose workers died"
            with self.database.transaction() as db:
                owned = job_store.finish(db, job_id, worker, status="failed", error=error, result=None)
            if owned and registered is not None and registered.on_failure is not None:
                registered.on_failure(ctx, error, args)
            return
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job_id, worker, stop), daemon=True)
        beat.start()
        try:
            if registered is None:
                raise PermanentError(f"no handler {name!r} in this worker")
            result = registered.run(ctx, **args)
        except Exception as exc:
            stop.set()
            beat.join()
            permanent = isinstance(exc, PermanentError | InputError)
            error = f"{type(exc).__name__}: {exc}"
            log.warning("job %s (%s) attempt %s failed: %s", job_id, name, attempt, error)
            final = permanent or attempt >= max_attempts
            with self.database.transaction() as db:
                owned = job_store.finish(
                    db, job_id, worker, status="failed" if final else "queued", error=error, result=None
                )
            if not owned:
                return
            if final:
                if registered is not None and registered.on_failure is not None:
                    registered.on_failure(ctx, error, args)
                log.debug("%s", traceback.format_exc())
            else:
                self.push(job_id, delay_s=self.settings.jobs_retry_delay_s * 2 ** (attempt - 1))
            return
        stop.set()
        beat.join()
        with self.database.transaction() as db:
            job_store.finish(db, job_id, worker, status="done", error=None, result=result)

    def _beat(self, job_id: int, worker: str, stop: threading.Event) -> None:
        interval = max(self.settings.jobs_lease_s / 4, 0.5)
        while not stop.wait(interval):
            try:
                with self.database.transaction() as db:
                    job_store.heartbeat(db, job_id, worker)
            except Exception:  # a busy database: the next beat will do
                log.exception("heartbeat for job %s failed", job_id)

    def recover(self, *, push_queued: bool = True) -> int:
        """Requeue running jobs whose worker is gone and push them; returns how many were pushed.

        ``push_queued`` (at worker start) also pushes every queued job, covering a push lost
        between a commit and a crash; duplicates are harmless (the claim is atomic). The minute
        check leaves queued jobs alone, so their messages and retry delays stand.
        """
        with self.database.transaction() as db:
            stale = job_store.stale_running(db, lease_s=self.settings.jobs_lease_s, host=_proc.this_host())
            for job in stale:
                log.warning("job %s was running on %s, which is gone: requeued", job.id, job.worker)
                job.status = "queued"
            ids = job_store.queued_ids(db) if push_queued else [job.id for job in stale]
        for job_id in ids:
            self.push(job_id)
        return len(ids)

    def _recover_stale(self) -> int:
        return self.recover(push_queued=False)

    def consumer(self, workers: int = 1, *, embedded: bool = False) -> Consumer:
        cls = _EmbeddedConsumer if embedded else Consumer
        return cls(self.huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=True)


def load_handlers() -> None:
    """Import the modules that register the built-in handlers."""
    import retrowalk.jobs.renders
    import retrowalk.jobs.tasks  # noqa: F401


_QUEUES: dict[int, JobQueue] = {}


def queue_for(app_state: Any) -> JobQueue:
    """The app's queue (one per app, built on first use from its settings and database)."""
    q: JobQueue | None = getattr(app_state, "jobs", None)
    if q is None:
        load_handlers()
        q = JobQueue(app_state.settings, app_state.db)
        app_state.jobs = q
    return q


def analyse_later(app_state: Any, db: Session) -> Callable[[int, dict[str, Any]], None]:
    """The ``analyse(recording_id, options)`` callback the recording flows take: queue the job
    in ``db``'s transaction (pushed once it commits)."""

    def analyse(recording_id: int, opts: dict[str, Any]) -> None:
        queue_for(app_state).submit(db, "analyse_recording", recording_id=recording_id, **opts)

    return analyse


class EmbeddedWorker:
    """One worker thread inside the web server (``retrowalk start``): no extra process to run."""

    def __init__(self, queue: JobQueue, workers: int = 1) -> None:
        self.queue = queue
        self.consumer = queue.consumer(workers, embedded=True)

    def start(self) -> None:
        self.queue.recover()
        self.consumer.start()

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
