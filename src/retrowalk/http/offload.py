"""CPU-heavy work with the database turn released: read in one turn, compute with none, write in
another.

On SQLite every request takes its turn at the database (:class:`~retrowalk.http.deps.RequestGate`),
so an analysis or a PDF computed inside its turn stalled every other request, ``/health`` too.
:func:`outside_turn` ends the request's (read-only so far) transaction, gives the turn up while
``fn`` runs, and queues for it again; the request then writes in a fresh transaction. When the
job queue lands, these are the calls it replaces.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from retrowalk.app import trial_cache
from retrowalk.http.deps import RequestGate
from retrowalk.trial.analysis import Population, TrialAnalysis

P = ParamSpec("P")
R = TypeVar("R")


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
    """At most ``max_concurrent_heavy`` computations at once per app (memory stays bounded:
    a PDF render takes ~100 MB); the others wait in their worker threads, holding no turn."""
    key = id(request.app)
    slot = _slots.get(key)
    if slot is None:
        slot = _slots.setdefault(
            key, threading.BoundedSemaphore(request.app.state.settings.max_concurrent_heavy)
        )
    return slot


def trial_analysis(request: Request, db: Session, trial: Any, population: Population) -> TrialAnalysis | None:
    """The stored trial's analysis, cached (``app.trial_cache``), computed with no turn held."""
    return trial_cache.analysis(db, trial, population, lambda run: outside_turn(request, db, run))
