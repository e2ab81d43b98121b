"""Test-only job handlers, registered in the test process and in worker subprocesses
(``retrowalk worker --import tests.jobs.job_fixtures``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrowalk.jobs import JobContext, PermanentError, handler


@handler("test.add")
def add(ctx: JobContext, a: int, b: int) -> dict[str, Any]:
    return {"sum": a + b, "attempt": ctx.attempt}


@handler("test.slow")
def slow(ctx: JobContext, workdir: str) -> dict[str, Any]:
    """Says it started, waits while ``block`` exists, then appends one completion line."""
    d = Path(workdir)
    with (d / "started").open("a") as fh:
        fh.write(f"{ctx.attempt}\n")
    while (d / "block").exists():
        time.sleep(0.05)
    with (d / "done").open("a") as fh:
        fh.write(f"job {ctx.job_id} attempt {ctx.attempt}\n")
    return {"attempt": ctx.attempt}


@handler("test.flaky")
def flaky(ctx: JobContext, fail_times: int, permanent: bool = False) -> dict[str, Any]:
    """Fails its first ``fail_times`` attempts (a transient error, or a permanent one)."""
    if ctx.attempt <= fail_times:
        if permanent:
            raise PermanentError("bad input: retrying cannot help")
        raise RuntimeError(f"transient failure on attempt {ctx.attempt}")
    return {"attempt": ctx.attempt}


def wait_until(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``cond`` until it holds (AssertionError after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
