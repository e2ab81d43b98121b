"""Heavy work off the request path: PDFs and trial analyses as cached jobs; CPU steps without the turn.

On SQLite every request takes its turn at the database (:class:`~retrowalk.http.deps.RequestGate`),
so a PDF or an analysis computed inside its turn stalled every other request, ``/health`` too.
Now a request assembles the inputs in its turn (and audits the read), then:

* the result for exactly those inputs is in the cache (``retrowalk.jobs.renders``): served at once;
* otherwise one job is queued for them (a request for the same inputs while it is queued or
  running joins it), and the request waits up to ``render_wait_s`` for it **with no turn held**;
  if the job is not done by then the edge answers "being prepared" (:class:`Preparing`: an HTML
  page that reloads itself, or ``202`` with ``Location`` and ``Retry-After`` on the API).

:func:`outside_turn` runs a pure computation (e.g. parsing an upload) from a sync route with the
turn released.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ParamSpec, TypeVar

from fastapi import Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from retrowalk.app import handouts, records, trial_cache
from retrowalk.app.access import Client, Trial, User
from retrowalk.app.errors import Unavailable
from retrowalk.http.deps import RequestGate
from retrowalk.jobs import queue_for, renders
from retrowalk.reports.handout import PageSize
from retrowalk.trial.analysis import Population, TrialAnalysis

P = ParamSpec("P")
R = TypeVar("R")

#: Seconds a client is told to wait before asking again for a result being prepared.
RETRY_AFTER_S = 2


@dataclass(frozen=True)
class Preparing:
    """The result is not ready yet: the job computing it (``queued`` or ``running``)."""

    what: str
    job_id: int
    status: str
    retry_after: int = RETRY_AFTER_S


def outside_turn(request: Request, db: Session, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn`` (pure computation) from a sync route with no database turn or transaction held.

    The request's transaction so far is committed first (reads, at most its audit row), and the
    session's objects stay usable (``expire_on_commit=False``); later writes get a new one.
    """
    db.commit()
    gate: RequestGate = request.app.state.db_gate
    with gate.released(), _heavy_slot(request):
        return fn(*args, **kwargs)


_slots: dict[int, threading.BoundedSemaphore] = {}


def _heavy_slot(request: Request) -> threading.BoundedSemaphore:
    """At most ``max_concurrent_heavy`` computations at once per app; the others wait in their
    worker threads, holding no turn."""
    key = id(request.app)
    slot = _slots.get(key)
    if slot is None:
        slot = _slots.setdefault(
            key, threading.BoundedSemaphore(request.app.state.settings.max_concurrent_heavy)
        )
    return slot


def prepared(
    request: Request,
    db: Session,
    *,
    what: str,
    key: str,
    job: str,
    args: dict[str, Any],
    inputs: bytes | None = None,
) -> bytes | Preparing:
    """The cached result of ``key``, or the job computing it after a short wait (see module doc).

    Called in the request's turn with its reads (and audit row) done; a miss commits them and
    waits with the turn given up.
    """
    cache = renders.cache_for(request.app.state.settings)
    hit = cache.get(key)
    if hit is not None:
        return hit
    db.commit()
    gate: RequestGate = request.app.state.db_gate
    queue = queue_for(request.app.state)
    with gate.released():
        try:
            for _ in range(2):  # a cached result pruned between the check and the read: queue it again
                waiting = renders.ensure_job(queue, cache, key, job, args, inputs)
                wait_s = 0.0 if waiting is None else float(request.app.state.settings.render_wait_s)
                data = renders.wait_for(cache, key, wait_s)
                if data is not None or waiting is not None:
                    break
        except renders.JobFailed as exc:
            raise Unavailable(f"the {what} could not be prepared: {exc}", retry_after=RETRY_AFTER_S) from None
    if data is not None:
        return data
    if waiting is None:
        raise Unavailable(f"the {what} is being replaced in the cache; try again", retry_after=RETRY_AFTER_S)
    return Preparing(what, waiting.job_id, waiting.status)


def _json_key(model: BaseModel, *, exclude: set[str] | None = None) -> str:
    return model.model_dump_json(exclude=exclude)


def report_pdf(request: Request, db: Session, user: User, client: Client) -> bytes | Preparing:
    """The client's progress report (PDF), rendered by a job and cached until its data changes."""
    data = records.progress_report(db, user, client)
    # generated_at is the render's own time; only its day is part of the key, so the same data
    # is one report a day and the printed "Generated" date is never an earlier day's
    key = renders.key_for(
        "report", _json_key(data, exclude={"generated_at"}), data.generated_at.date().isoformat()
    )
    return prepared(
        request,
        db,
        what="report",
        key=key,
        job="render_document",
        args={"kind": "report"},
        inputs=data.model_dump_json().encode(),
    )


def handout_pdf(
    request: Request, db: Session, user: User, client: Client, *, page: PageSize, day: date | None = None
) -> bytes | Preparing:
    """The client's one-page handout (PDF) for today's programme, cached like the report."""
    log_url = str(request.url_for("log_page", client_id=client.id))
    data = handouts.client_handout(db, user, client, log_url=log_url, day=day)
    inputs = renders.HandoutJob(data=data, page=page).model_dump_json()
    return prepared(
        request,
        db,
        what="handout",
        key=renders.key_for("handout", inputs),
        job="render_document",
        args={"kind": "handout"},
        inputs=inputs.encode(),
    )


def trial_analysis(
    request: Request, db: Session, trial: Trial, population: Population
) -> TrialAnalysis | Preparing | None:
    """The stored trial's analysis (None without data), computed by a job, cached by its rows."""
    tk = trial_cache.key_of(db, trial, population)
    if tk is None:
        return None
    key = renders.key_for("trial", *tk.parts)
    found = prepared(
        request,
        db,
        what="analysis",
        key=key,
        job="analyse_trial",
        args={"trial_id": tk.trial_id, "population": tk.population, "last_id": tk.last_id},
    )
    return found if isinstance(found, Preparing) else trial_cache.parsed(key, found)


def pdf_response(pdf: bytes, kind: str, name: str, client_id: int) -> Response:
    """A PDF shown inline, named after the client (ASCII only) and never cached: health data."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "client"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="retrowalk-{kind}{safe}-{client_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def preparing_headers(request: Request, wait: Preparing) -> dict[str, str]:
    """Where to ask again, and when."""
    return {"Location": str(request.url), "Retry-After": str(wait.retry_after)}


def preparing_json(request: Request, wait: Preparing) -> JSONResponse:
    """``202 Accepted`` for the API: the job's id and status; ask again at ``Location``."""
    return JSONResponse(
        {
            "detail": f"the {wait.what} is being prepared; ask again in {wait.retry_after} s",
            "status": wait.status,
            "job_id": wait.job_id,
        },
        status_code=status.HTTP_202_ACCEPTED,
        headers=preparing_headers(request, wait),
    )
