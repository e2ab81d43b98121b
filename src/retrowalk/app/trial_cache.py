"""Trial analyses cached until their stored rows change (a 60k-row analysis took minutes and was
recomputed on every view). The computation itself is handed to the caller's ``compute`` so the
edges can run it with no database turn held (``retrowalk.http.offload``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrowalk.storage import trials as store
from retrowalk.storage.models import Trial, TrialObservation
from retrowalk.trial.analysis import Population, TrialAnalysis, analyse
from retrowalk.trial.data import build_dataset

Compute = Callable[[Callable[[], TrialAnalysis]], TrialAnalysis]
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[Any, ...], TrialAnalysis] = OrderedDict()
_lock = threading.Lock()


def analysis(db: Session, trial: Trial, population: Population, compute: Compute) -> TrialAnalysis | None:
    """The stored trial's analysis (None without data), from the cache while its rows are unchanged."""
    count, last = db.execute(
        select(func.count(), func.max(TrialObservation.id)).where(TrialObservation.trial_id == trial.id)
    ).one()
    if not count:
        return None
    key = (str(db.get_bind().engine.url), trial.id, count, last, population)  # definitions never change
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    rows = store.stored_rows(db, trial)
    definition = store.definition_of(trial)

    def run() -> TrialAnalysis:
        return analyse(
            definition, build_dataset(definition, rows, source="stored data"), population=population
        )

    result = compute(run)
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result
