"""Outcomes: every score and measure of one client as time series, with clinically important change."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from retrowalk.api import clinical
from retrowalk.api.deps import CurrentUser, DbSession, TrainerOrSelf
from retrowalk.api.schemas import OutcomesOut
from retrowalk.storage import crud
from retrowalk.storage.models import Client, User

router = APIRouter(prefix="/clients/{client_id}/outcomes", tags=["outcomes"])

KOOS_SUBSCALES = ("pain", "symptoms", "adl", "sport_rec", "qol")
PAIN_FIELDS = ("pain_during", "pain_after", "pain_next_morning")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _iso(at: datetime | date) -> str:
    if isinstance(at, datetime):
        return at.isoformat().replace("+00:00", "Z")
    return at.isoformat()


def outcomes_data(db: Session, client_id: int) -> dict[str, Any]:
    """The outcomes as JSON-ready data (the shape of :class:`OutcomesOut`); pure read.

    Built from plain dicts and column rows: a client with hundreds of sessions stays fast to chart.
    """
    series: dict[str, dict[str, Any]] = {}

    def add(
        name: str,
        unit: str,
        better: bool | None,
        at: datetime | date,
        value: float | None,
        source: str,
        source_id: int,
    ) -> None:
        if value is None:
            return
        s = series.get(name)
        if s is None:
            s = series[name] = {"name": name, "unit": unit, "higher_is_better": better, "points": []}
        s["points"].append({"at": _iso(at), "value": float(value), "source": source, "source_id": source_id})

    for q in crud.list_questionnaires(db, client_id, "koos"):
        for sub in KOOS_SUBSCALES:
            add(f"koos_{sub}", "0-100", True, q.created_at, _number(q.scores.get(sub)), "koos", q.id)
    for a in crud.assessment_pain_series(db, client_id):
        add("assessment_pain_nprs", "0-10", False, a.created_at, a.pain_nprs, "assessment", a.id)
    minutes_by_day: dict[date, float] = defaultdict(float)
    first_log_of_day: dict[date, int] = {}
    for log in crud.session_log_rows(db, client_id):
        for field in PAIN_FIELDS:
            add(
                f"session_{field}",
                "0-10",
                False,
                log.session_date,
                getattr(log, field),
                "session_log",
                log.id,
            )
        add(
            f"speed_kmh.{log.exercise_id}",
            "km/h",
            True,
            log.session_date,
            log.speed_kmh,
            "session_log",
            log.id,
        )
        if log.completed and log.minutes is not None:
            minutes_by_day[log.session_date] += log.minutes
            first_log_of_day.setdefault(log.session_date, log.id)
    for day in sorted(minutes_by_day):
        add(
            "training_minutes",
            "min/day",
            True,
            day,
            minutes_by_day[day],
            "session_log",
            first_log_of_day[day],
        )
    for r in crud.list_recordings(db, client_id):
        for key, value in (r.metrics or {}).items():
            add(f"gait_{r.kind}.{key}", "", None, r.created_at, _number(value), "recording", r.id)

    changes: list[dict[str, Any]] = []
    for s in series.values():
        points = s["points"]
        if len(points) >= 2 and (s["name"].startswith("koos_") or s["name"] == "assessment_pain_nprs"):
            measure = "nprs" if s["name"] == "assessment_pain_nprs" else s["name"]
            for flag in clinical.change_flags(measure, points[0]["value"], points[-1]["value"]):
                changes.append({"series": s["name"], **flag})
    return {"client_id": client_id, "series": list(series.values()), "changes": changes}


def build_outcomes(db: Session, client_id: int) -> OutcomesOut:
    """The outcomes as a validated pydantic model (for Python callers: web pages, reports)."""
    return OutcomesOut.model_validate(outcomes_data(db, client_id))


@router.get("", response_model=OutcomesOut)
def outcomes(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> JSONResponse:
    crud.audit(db, user, "read", "outcomes", client_id=client.id)
    return JSONResponse(outcomes_data(db, client.id))
