"""Background jobs (edge): a huey queue plus a durable job row in the app database.

``JobQueue.submit`` inside a request's transaction; ``retrowalk worker`` (or the worker that
``retrowalk start`` runs in-process) executes them. See :mod:`retrowalk.jobs.queue`.
"""

from retrowalk.jobs.queue import (
    HANDLERS,
    EmbeddedWorker,
    JobContext,
    JobQueue,
    PermanentError,
    analyse_later,
    handler,
    load_handlers,
    queue_for,
)
from retrowalk.jobs.store import JOB_STATUSES, Job

__all__ = [
    "HANDLERS",
    "JOB_STATUSES",
    "EmbeddedWorker",
    "Job",
    "JobContext",
    "JobQueue",
    "PermanentError",
    "analyse_later",
    "handler",
    "load_handlers",
    "queue_for",
]
