"""CPU-heavy work with the database turn released: read in one turn, compute with none, write in
another.

On SQLite every request takes its turn at the database (:class:`~retrowalk.api.deps.RequestGate`),
so an analysis or a PDF computed inside its turn stalled every other request, ``/health`` too.
:func:`outside_turn` ends the request's (read-only so far) transaction, gives the turn up while
``fn`` runs, and queues for it again; the request then writes in a fresh transaction. Trial
analyses are cached until their stored rows change. When the job queue lands, these are the
calls it replaces.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrowalk.api.deps import RequestGate
from retrowalk.storage import trials as store
from retrowalk.storage.models import Trial, TrialObservation
from retrowalk.trial.analysis import Population, TrialAnalysis, analyse
from retrowalk.trial.data import build_dataset

P = ParamSpec("P")
R = TypeVar("R")
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[Any, ...], TrialAnalysis] = OrderedDict()
_cache_lock = threading.Lock()


def outside_turn(request: Request, db: Session, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn`` (pure computation) from a sync route with no database turn or transaction held.

    Call it before the request's first write: the transaction so far is committed (it only read),
    and the session's objects stay usable (``expire_on_commit=False``).
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


def trial_analysis(
    request: Request, db: Session, trial: Trial, population: Population
) -> TrialAnalysis | None:
    """The stored trial's analysis (None without data): cached until its rows change, computed
    outside the database turn."""
    count, last = db.execute(
        select(func.count(), func.max(TrialObservation.id)).where(TrialObservation.trial_id == trial.id)
    ).one()
    if not count:
        return None
    key = (str(db.get_bind().engine.url), trial.id, count, last, population)  # definitions never change
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    rows = store.stored_rows(db, trial)
    definition = store.definition_of(trial)

    def compute() -> TrialAnalysis:
        return analyse(
            definition, build_dataset(definition, rows, source="stored data"), population=population
        )

    result = outside_turn(request, db, compute)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result
