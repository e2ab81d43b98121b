"""Trial analyses keyed by exactly the rows they read (a 10,000-row analysis takes seconds, and
it was recomputed on every view).

Observations are only ever added and a definition never changes, so (trial, row count, highest
row id, population) names the analysis exactly: the edges look the key up in the result cache
(``retrowalk.jobs.renders``), and on a miss queue the ``analyse_trial`` job, which reads the rows
up to that id with :func:`prepare` and computes with no transaction open. Parsed results are also
kept in memory for repeat views.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrowalk.storage import trials as store
from retrowalk.storage.models import Trial, TrialObservation
from retrowalk.trial.analysis import Population, TrialAnalysis, analyse
from retrowalk.trial.data import build_dataset

_CACHE_SIZE = 32
_parsed: OrderedDict[str, TrialAnalysis] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class TrialKey:
    """What one analysis reads: the trial's rows up to ``last_id`` for ``population``."""

    trial_id: int
    population: Population
    rows: int
    last_id: int
    #: Names these inputs in the result cache (with the database, so two databases never mix).
    parts: tuple[str, ...]


def key_of(db: Session, trial: Trial, population: Population) -> TrialKey | None:
    """The analysis's key, or None while the trial has no data."""
    count, last = db.execute(
        select(func.count(), func.max(TrialObservation.id)).where(TrialObservation.trial_id == trial.id)
    ).one()
    if not count:
        return None
    where = str(db.get_bind().engine.url)  # the database, with no password in the key
    parts = (where, str(trial.id), str(count), str(last), population)
    return TrialKey(trial.id, population, int(count), int(last), parts)


def prepare(db: Session, trial_id: int, population: str, last_id: int) -> Callable[[], TrialAnalysis] | None:
    """Read the definition and rows (in ``db``); the returned call computes (no database needed)."""
    trial = db.get(Trial, trial_id)
    if trial is None:
        return None
    definition = store.definition_of(trial)
    rows = store.stored_rows(db, trial, up_to=last_id)
    pop: Population = "per-protocol" if population == "per-protocol" else "itt"

    def run() -> TrialAnalysis:
        return analyse(definition, build_dataset(definition, rows, source="stored data"), population=pop)

    return run


def parsed(key: str, raw: bytes) -> TrialAnalysis:
    """The cached result ``raw`` of ``key`` as a model (parsed once per process)."""
    with _lock:
        hit = _parsed.get(key)
        if hit is not None:
            _parsed.move_to_end(key)
            return hit
    result = TrialAnalysis.model_validate_json(raw)
    with _lock:
        _parsed[key] = result
        while len(_parsed) > _CACHE_SIZE:
            _parsed.popitem(last=False)
    return result
