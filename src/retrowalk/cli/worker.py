"""`retrowalk worker`: run background jobs (recording analysis, ...) from the configured queue."""

from __future__ import annotations

import importlib
import logging

import typer

from retrowalk.cli._db import open_database
from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, fail, user_errors
from retrowalk.settings import get_settings


def worker(
    workers: int = typer.Option(1, min=1, max=64, help="Worker threads in this process."),
    imports: list[str] = typer.Option(
        [], "--import", help="Extra module that registers job handlers (repeatable)."
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Run jobs until stopped (Ctrl-C finishes the running job first). Requeues jobs of dead workers."""
    from retrowalk.jobs import JobQueue, load_handlers

    settings = get_settings()
    if settings.jobs_backend == "immediate":
        fail(
            "jobs_backend",
            "immediate runs jobs inside requests; there is nothing for a worker to do",
            hint="set RETROWALK_JOBS_BACKEND=sqlite or redis",
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with user_errors(), open_database() as database:
        for module in imports:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                fail("import", f"cannot import {module!r}: {exc}", hint="a module path on PYTHONPATH")
        load_handlers()
        queue = JobQueue(settings, database)
        pushed = queue.recover()
        emit(
            {"backend": settings.jobs_backend, "workers": workers, "requeued": pushed},
            fmt,
            lambda d: console.print(
                f"job worker on {d['backend']} with {d['workers']} thread(s); {d['requeued']} job(s) waiting"
            ),
        )
        queue.consumer(workers).run()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
