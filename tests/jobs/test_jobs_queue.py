"""Background jobs: enqueue → worker → result, retries, and a SIGKILLed worker's job completing once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tests.jobs.job_fixtures  # noqa: F401  (registers the test handlers)
from sqlalchemy import select
from tests.jobs.job_fixtures import wait_until

from retrowalk.jobs import EmbeddedWorker, Job, JobQueue
from retrowalk.settings import Settings
from retrowalk.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        secret_key="k" * 64,
        jobs_backend="sqlite",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[JobQueue]:
    settings = _settings(tmp_path, jobs_retry_delay_s=0.05, jobs_max_attempts=3)
    db = Database(settings.resolved_database_url)
    db.upgrade()
    yield JobQueue(settings, db)
    db.dispose()


def _submit(q: JobQueue, name: str, **args: object) -> int:
    with q.database.transaction() as db:
        return q.submit(db, name, **args).id


def _job(q: JobQueue, job_id: int) -> Job:
    with q.database.transaction() as db:
        job = db.get(Job, job_id)
        assert job is not None
        db.expunge(job)
        return job


@pytest.fixture
def worker(queue: JobQueue) -> Iterator[EmbeddedWorker]:
    w = EmbeddedWorker(queue)
    w.start()
    yield w
    w.stop()


def test_submitted_job_runs_on_the_worker_and_stores_its_result(
    queue: JobQueue, worker: EmbeddedWorker
) -> None:
    job_id = _submit(queue, "test.add", a=2, b=40)
    wait_until(lambda: _job(queue, job_id).status == "done")
    job = _job(queue, job_id)
    assert job.result == {"sum": 42, "attempt": 1} and job.attempts == 1 and job.error is None


def test_job_is_pushed_only_after_its_transaction_commits(queue: JobQueue) -> None:
    with pytest.raises(RuntimeError), queue.database.transaction() as db:
        queue.submit(db, "test.add", a=1, b=1)
        raise RuntimeError("request failed")
    assert len(queue.huey) == 0  # nothing reached the queue
    with queue.database.transaction() as db:
        assert db.scalars(select(Job)).all() == []


def test_transient_failures_are_retried_until_success(queue: JobQueue, worker: EmbeddedWorker) -> None:
    job_id = _submit(queue, "test.flaky", fail_times=2)
    wait_until(lambda: _job(queue, job_id).status == "done")
    job = _job(queue, job_id)
    assert job.attempts == 3 and job.result == {"attempt": 3}


def test_a_job_failing_every_attempt_ends_failed_with_its_error(
    queue: JobQueue, worker: EmbeddedWorker
) -> None:
    job_id = _submit(queue, "test.flaky", fail_times=99)
    wait_until(lambda: _job(queue, job_id).status == "failed")
    job = _job(queue, job_id)
    assert job.attempts == 3 and "transient failure on attempt 3" in (job.error or "")


def test_a_permanent_error_is_not_retried(queue: JobQueue, worker: EmbeddedWorker) -> None:
    job_id = _submit(queue, "test.flaky", fail_times=1, permanent=True)
    wait_until(lambda: _job(queue, job_id).status == "failed")
    job = _job(queue, job_id)
    assert job.attempts == 1 and "PermanentError" in (job.error or "")


def test_a_duplicate_push_does_not_run_a_finished_job_again(queue: JobQueue, worker: EmbeddedWorker) -> None:
    job_id = _submit(queue, "test.add", a=1, b=2)
    wait_until(lambda: _job(queue, job_id).status == "done")
    queue.push(job_id)
    queue.push(job_id)
    time.sleep(0.5)
    assert _job(queue, job_id).attempts == 1


def _start_worker(tmp_path: Path, log_name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RETROWALK_DATA_DIR": str(tmp_path / "data"),
        "RETROWALK_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "RETROWALK_JOBS_BACKEND": "sqlite",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    log = (tmp_path / log_name).open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "retrowalk", "worker", "--import", "tests.jobs.job_fixtures"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_sigkilled_worker_loses_nothing_and_the_job_completes_once(queue: JobQueue, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "block").touch()
    job_id = _submit(queue, "test.slow", workdir=str(work))

    first = _start_worker(tmp_path, "worker1.log")
    try:
        # its first line written (the file appears when opened, before the line is flushed)
        wait_until(lambda: (work / "started").exists() and bool((work / "started").read_text()), timeout=60)
        assert _job(queue, job_id).status == "running"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _job(queue, job_id).status == "running"  # the dead worker's claim is still there
    assert not (work / "done").exists()
    (work / "block").unlink()

    second = _start_worker(tmp_path, "worker2.log")
    try:
        wait_until(lambda: _job(queue, job_id).status == "done", timeout=60)
        time.sleep(1.0)  # a stray second run would show up in the done file
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    job = _job(queue, job_id)
    assert job.attempts == 2 and job.result == {"attempt": 2}
    assert (work / "started").read_text().split() == ["1", "2"]
    assert (work / "done").read_text().splitlines() == [f"job {job_id} attempt 2"]

    third = _start_worker(tmp_path, "worker3.log")  # a later worker start finds nothing to redo
    try:
        time.sleep(3.0)
    finally:
        third.send_signal(signal.SIGINT)
        third.wait(timeout=30)
    assert (work / "done").read_text().splitlines() == [f"job {job_id} attempt 2"]
    assert _job(queue, job_id).attempts == 2


def test_a_running_worker_requeues_a_dead_workers_job(queue: JobQueue, worker: EmbeddedWorker) -> None:
    import socket

    with queue.database.transaction() as db:
        job = queue.submit(db, "test.add", a=3, b=4)
        job_id = job.id
    wait_until(lambda: _job(queue, job_id).status == "done")
    with queue.database.transaction() as db:  # as if a worker on this host had died holding it
        row = db.get(Job, job_id)
        assert row is not None
        row.status, row.result, row.worker = "running", None, f"{socket.gethostname()}:{2**22 + 12345}"
    # what the worker's minute check does; on a loaded machine that check may run first
    recovered = queue.recover(push_queued=False)
    assert recovered == 1 or _job(queue, job_id).status != "running"
    wait_until(lambda: _job(queue, job_id).status == "done")
    assert _job(queue, job_id).result == {"sum": 7, "attempt": 2}


def test_a_job_whose_workers_keep_dying_is_given_up(queue: JobQueue, worker: EmbeddedWorker) -> None:
    import socket

    with queue.database.transaction() as db:
        job = queue.submit(db, "test.add", a=1, b=1)
        job_id = job.id
    wait_until(lambda: _job(queue, job_id).status == "done")
    with queue.database.transaction() as db:  # three claims, three dead workers
        row = db.get(Job, job_id)
        assert row is not None
        row.status, row.attempts, row.worker = "running", 3, f"{socket.gethostname()}:{2**22 + 54321}"
    queue.recover(push_queued=False)
    wait_until(lambda: _job(queue, job_id).status == "failed")
    assert "gave up after 3 attempts" in (_job(queue, job_id).error or "")
