"""Next-session decisions for stored session logs.

Storage keeps one row per exercise per day; the core's progression engine wants one
``SessionRecord`` per day with its exercises inside. This adapter groups the rows and calls the
core's ``decide_next``. (``retrowalk.api.clinical.next_session`` is tried first; at the time of
writing it passes the rows ungrouped, which the core rejects, so the grouped call is the fallback.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from retrowalk.api import clinical
from retrowalk.errors import InputError
from retrowalk.storage.models import SessionLog

_DOSE_FIELDS = ("minutes", "speed_kmh", "incline_pct", "sets", "reps")


def _dose(log: SessionLog) -> dict[str, Any] | None:
    dose: dict[str, Any] = {}
    for key in _DOSE_FIELDS:
        value = getattr(log, key)
        if value is not None and value > 0:
            dose[key] = value
    if log.handrails:
        dose["handrails"] = log.handrails
    return dose or None


def session_records(logs: Sequence[SessionLog]) -> list[dict[str, Any]]:
    """One record per session day (days without pain ratings cannot be judged and are left out)."""
    by_day: dict[date, list[SessionLog]] = defaultdict(list)
    for log in logs:
        by_day[log.session_date].append(log)
    records = []
    for day, rows in sorted(by_day.items()):
        during = [r.pain_during for r in rows if r.pain_during is not None]
        after = [r.pain_after for r in rows if r.pain_after is not None]
        morning = [r.pain_next_morning for r in rows if r.pain_next_morning is not None]
        if not during or not after:
            continue
        records.append(
            {
                "date": day.isoformat(),
                "pain_during": max(during),
                "pain_after": max(after),
                "pain_next_morning": max(morning) if morning else None,
                "exercises": [
                    {"exercise_id": r.exercise_id, "completed": r.completed, "dose": _dose(r)} for r in rows
                ],
            }
        )
    return records


def next_session(programme: Mapping[str, Any], logs: Sequence[SessionLog]) -> dict[str, Any] | None:
    """The engine's NextSession as JSON, or None when there is nothing to judge yet."""
    if not logs:
        return None
    try:
        return clinical.next_session(programme, logs)
    except (InputError, ValidationError, TypeError, ValueError):
        pass
    try:
        from retrowalk.core.prescription import Programme
        from retrowalk.core.progression import SessionRecord, decide_next
    except ModuleNotFoundError:
        return None
    records = [SessionRecord.model_validate(r) for r in session_records(logs)]
    if not records:
        return None
    prog = Programme.model_validate(dict(programme))
    return dict(decide_next(prog, records).model_dump(mode="json"))
