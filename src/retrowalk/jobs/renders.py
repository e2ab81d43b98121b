"""Slow results (PDF reports, handouts, trial analyses) as jobs, cached on disk by their inputs.

Why: a PDF takes about a second of CPU and a 10,000-row trial analysis several; computed inside a
request they stalled every other request, and they were redone on every view. Now the request
assembles the exact inputs (in its database turn), hashes them into a key and either finds the
result in ``DATA_DIR/cache`` or queues one job for that key; a second request for the same key
while the job is queued or running joins it instead of queueing another. Any change to the inputs
(a new session log, an edited name, another day, changed rendering code) is another
key, so a stale result is never served; old entries are evicted oldest-first past
``render_cache_max_bytes``.

Files per key: ``KEY.out`` (the result), ``KEY.in`` (the inputs, until the job has run),
``KEY.job`` (the id of the job computing it), ``KEY.err`` (why the last job failed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import retrowalk
from retrowalk.io.files import write_atomic
from retrowalk.jobs.queue import JobContext, JobQueue, PermanentError, handler
from retrowalk.jobs.store import Job
from retrowalk.reports.handout import HandoutData, PageSize
from retrowalk.settings import Settings

#: What a render job turns its stored inputs into (kind → bytes of the inputs → result bytes).
RENDERERS: dict[str, Callable[[bytes], bytes]] = {}
_RUNNING = ("queued", "running")
#: A failed job's error is the answer for this long; the next request after it queues a new job.
FAILED_RETRY_S = 30.0
#: Inputs and markers of a job that never ran (no worker for a day) are removed after this.
ORPHAN_AGE_S = 24 * 3600.0


#: Files a cached result may depend on besides its inputs: the whole package's code, templates
#: and clinical data (illustrations, MCIDs, trial definitions, ...). Any edit is a new key, so a
#: data directory kept across an upgrade never serves a PDF or analysis made by the old code; a
#: hand-kept list of files missed some.
_RENDER_SUFFIXES = (".py", ".html", ".css", ".svg", ".yaml", ".yml", ".json", ".txt")


def _package_files(root: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _package_files(entry, f"{name}/")
        elif entry.name.endswith(_RENDER_SUFFIXES):
            yield name, entry


@cache
def code_fingerprint() -> str:
    """The release plus every source and data file of the package (read once per process)."""
    digest = hashlib.sha256(retrowalk.__version__.encode())
    for name, entry in _package_files(resources.files("retrowalk")):
        digest.update(b"\0" + name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def key_for(kind: str, *parts: str | bytes) -> str:
    """The cache key of ``kind`` for exactly these inputs (and this release's templates)."""
    digest = hashlib.sha256(f"{kind}\0{code_fingerprint()}".encode())
    for part in parts:
        digest.update(b"\0" + (part.encode() if isinstance(part, str) else part))
    return f"{kind}-{digest.hexdigest()[:40]}"


class ResultCache:
    """Results on disk under one directory, bounded in total size (least recently used go first)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _path(self, key: str, suffix: str) -> Path:
        if not key.replace("-", "").isalnum():  # keys are made by key_for; never a path from outside
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / f"{key}.{suffix}"

    def get(self, key: str) -> bytes | None:
        path = self._path(key, "out")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return data

    def has(self, key: str) -> bool:
        return self._path(key, "out").exists()

    def _write(self, path: Path, data: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, data, durable=False)  # a cache: lost on power loss, made again

    def put(self, key: str, data: bytes) -> None:
        self._write(self._path(key, "out"), data)
        self._path(key, "err").unlink(missing_ok=True)
        self.prune()

    def prune(self) -> None:
        """Delete the least recently used results until the rest fit in ``max_bytes``, and
        leftovers of jobs that never ran (inputs, markers, errors) older than a day."""
        stale = time.time() - ORPHAN_AGE_S
        for path in self.root.iterdir():
            if path.suffix != ".out":
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < stale:
                        path.unlink()
        entries = []
        for path in self.root.glob("*.out"):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size

    def put_input(self, key: str, data: bytes) -> None:
        self._write(self._path(key, "in"), data)

    def take_input(self, key: str) -> bytes | None:
        try:
            return self._path(key, "in").read_bytes()
        except FileNotFoundError:
            return None

    def done(self, key: str) -> None:
        """The job for ``key`` is over: its inputs and job marker go."""
        for suffix in ("in", "job"):
            self._path(key, suffix).unlink(missing_ok=True)

    def mark_job(self, key: str, job_id: int) -> None:
        self._write(self._path(key, "job"), str(job_id).encode())

    def job_of(self, key: str) -> int | None:
        try:
            text = self._path(key, "job").read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def fail(self, key: str, error: str) -> None:
        self._write(self._path(key, "err"), error.encode())
        self.done(key)

    def error(self, key: str) -> str | None:
        """Why the last job for ``key`` failed, for ``FAILED_RETRY_S`` after it did (then a new
        request queues it again: every request in between gets the same answer, not a new job)."""
        path = self._path(key, "err")
        try:
            if path.stat().st_mtime < time.time() - FAILED_RETRY_S:
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None

    def forget_error(self, key: str) -> None:
        self._path(key, "err").unlink(missing_ok=True)


def cache_for(settings: Settings) -> ResultCache:
    return ResultCache(Path(settings.data_dir) / "cache", settings.render_cache_max_bytes)


@dataclass(frozen=True)
class Waiting:
    """The result is not ready: the job computing it, and whether it has started."""

    job_id: int
    status: str


class JobFailed(Exception):
    """The job for this key failed (its error); a later request queues a new one."""


_submit_lock = threading.Lock()


def ensure_job(
    queue: JobQueue, cache: ResultCache, key: str, name: str, args: dict[str, Any], inputs: bytes | None
) -> Waiting | None:
    """Make sure one job computes ``key``: None when the result is already there.

    Called with no database turn held. A job already queued or running for the key is joined
    (one job for any number of concurrent requests); a finished, failed or lost one is replaced.
    """
    with _submit_lock:
        if cache.has(key):
            return None
        error = cache.error(key)
        if error is not None:
            raise JobFailed(error)
        job_id = cache.job_of(key)
        if job_id is not None:
            with queue.database.transaction() as db:
                job = db.get(Job, job_id)
                status = job.status if job is not None else None
            if status in _RUNNING:
                return Waiting(job_id, str(status))
        cache.forget_error(key)
        if inputs is not None:
            cache.put_input(key, inputs)
        with queue.database.transaction() as db:
            job_id = queue.submit(db, name, key=key, **args).id
        # pushed at that commit; the immediate backend has even run it already
        if cache.has(key):
            return None
        cache.mark_job(key, job_id)
        return Waiting(job_id, "queued")


def wait_for(cache: ResultCache, key: str, seconds: float, *, poll_s: float = 0.05) -> bytes | None:
    """The result once it is there, waiting at most ``seconds``; JobFailed when its job failed."""
    deadline = time.monotonic() + seconds
    while True:
        data = cache.get(key)
        if data is not None:
            return data
        error = cache.error(key)
        if error is not None:
            raise JobFailed(error)
        if time.monotonic() >= deadline:
            return None
        time.sleep(min(poll_s, max(deadline - time.monotonic(), 0)))


# --- the handlers ---------------------------------------------------------------------------------


def _failed(ctx: JobContext, error: str, args: dict[str, Any]) -> None:
    cache_for(ctx.settings).fail(str(args["key"]), error)


@handler("render_document", on_failure=_failed)
def render_document(ctx: JobContext, key: str, kind: str) -> dict[str, Any]:
    """Render the stored inputs of ``key`` (a report or handout) and keep the PDF under ``key``."""
    cache = cache_for(ctx.settings)
    if cache.has(key):  # a rerun after the result was written
        cache.done(key)
        return {"key": key, "bytes": 0}
    inputs = cache.take_input(key)
    if inputs is None:
        raise PermanentError(f"the inputs of {key} are gone")
    render = RENDERERS.get(kind)
    if render is None:
        raise PermanentError(f"no renderer {kind!r}")
    out = render(inputs)
    cache.put(key, out)
    cache.done(key)
    return {"key": key, "bytes": len(out)}


@handler("analyse_trial", on_failure=_failed)
def analyse_trial(ctx: JobContext, key: str, trial_id: int, population: str, last_id: int) -> dict[str, Any]:
    """The stored trial's analysis over its rows up to ``last_id`` (rows are only ever added)."""
    from retrowalk.app import trial_cache

    cache = cache_for(ctx.settings)
    with ctx.database.transaction() as db:
        run = trial_cache.prepare(db, trial_id, population, last_id)
    if run is None:
        raise PermanentError(f"trial {trial_id} is gone")
    out = run().model_dump_json().encode()  # computed with no transaction open
    cache.put(key, out)
    cache.done(key)
    return {"key": key, "bytes": len(out)}


def warm_up() -> bool:
    """Render a blank report once: loads WeasyPrint, its fonts and the empty charts (cached), which
    made the first PDF after a start take about 1.2 s more CPU. False when the PDF extra is missing."""
    from retrowalk.extras import MissingExtraError
    from retrowalk.reports.pdf import ReportClient, ReportData, render_pdf

    try:
        render_pdf(ReportData(client=ReportClient(id="0", name="warm-up"), generated_at=datetime.now(UTC)))
    except MissingExtraError:
        return False
    return True


def _report(inputs: bytes) -> bytes:
    from retrowalk.reports.pdf import ReportData, render_pdf

    return render_pdf(ReportData.model_validate_json(inputs))


class HandoutJob(BaseModel):
    """A handout render's inputs: the data and the paper size."""

    data: HandoutData
    page: PageSize = "A4"


def _handout(inputs: bytes) -> bytes:
    from retrowalk.reports.handout import render_pdf

    job = HandoutJob.model_validate_json(inputs)
    return render_pdf(job.data, page=job.page)


RENDERERS.update(report=_report, handout=_handout)
