"""Outcomes: every score and measure of one client as time series, with clinically important change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from retrowalk.app import clinical
from retrowalk.app.errors import NotFound
from retrowalk.app.records import chart_inputs, sessions_per_week
from retrowalk.app.sessions import row_getter
from retrowalk.core.scores.koos import SUBSCALES
from retrowalk.gait.summary import UNITS as GAIT_UNITS
from retrowalk.reports import charts
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Programme, SessionLog, User

KOOS_SUBSCALES = SUBSCALES
PAIN_FIELDS = ("pain_during", "pain_after", "pain_next_morning")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _iso(at: datetime | date) -> str:
    if isinstance(at, datetime):
        return at.isoformat().replace("+00:00", "Z")
    return at.isoformat()


#: Session-log columns charted, read from each row in one call.
_LOG_COLUMNS = ("id", "session_date", "exercise_id", "completed", "minutes", "speed_kmh", *PAIN_FIELDS)


def outcomes_data(db: Session, client_id: int) -> dict[str, Any]:
    """The outcomes as JSON-ready data (the shape of :class:`OutcomesOut`); pure read.

    Built from plain dicts and column rows: a client with hundreds of sessions stays fast to chart.
    Series appear in the order their first point is met.
    """
    series: dict[str, dict[str, Any]] = {}

    def points(name: str, unit: str, better: bool | None) -> list[dict[str, Any]]:
        s = series.get(name)
        if s is None:
            s = series[name] = {"name": name, "unit": unit, "higher_is_better": better, "points": []}
        found: list[dict[str, Any]] = s["points"]
        return found

    for q in crud.list_questionnaires(db, client_id, "koos"):
        at = _iso(q.created_at)
        for sub in KOOS_SUBSCALES:
            value = _number(getattr(q.scores, sub))
            if value is not None:
                points(f"koos_{sub}", "0-100", True).append(
                    {"at": at, "value": value, "source": "koos", "source_id": q.id}
                )
    for a in crud.assessment_pain_series(db, client_id):
        if a.pain_nprs is not None:
            points("assessment_pain_nprs", "0-10", False).append(
                {
                    "at": _iso(a.created_at),
                    "value": float(a.pain_nprs),
                    "source": "assessment",
                    "source_id": a.id,
                }
            )
    minutes_by_day: dict[date, float] = defaultdict(float)
    first_log_of_day: dict[date, int] = {}
    logs = crud.session_log_rows(db, client_id)
    rows = map(row_getter(logs[0], _LOG_COLUMNS), logs) if logs else iter(())
    iso_day: dict[date, str] = {}
    for log_id, day, exercise_id, completed, minutes, speed, *pains in rows:
        day_at = iso_day.get(day)
        if day_at is None:
            day_at = iso_day[day] = day.isoformat()
        for field, value in zip(PAIN_FIELDS, pains, strict=True):
            if value is not None:
                points(f"session_{field}", "0-10", False).append(
                    {"at": day_at, "value": float(value), "source": "session_log", "source_id": log_id}
                )
        if speed is not None:
            points(f"speed_kmh.{exercise_id}", "km/h", True).append(
                {"at": day_at, "value": float(speed), "source": "session_log", "source_id": log_id}
            )
        if completed and minutes is not None:
            minutes_by_day[day] += minutes
            first_log_of_day.setdefault(day, log_id)
    for day in sorted(minutes_by_day):
        points("training_minutes", "min/day", True).append(
            {
                "at": day.isoformat(),
                "value": float(minutes_by_day[day]),
                "source": "session_log",
                "source_id": first_log_of_day[day],
            }
        )
    for r in crud.gait_series(db, client_id).rows:
        at = _iso(r.created_at)
        for field, side, value in r.gait.values() if r.gait else ():
            points(f"gait.{field}" + (f".{side}" if side else ""), GAIT_UNITS[field], None).append(
                {"at": at, "value": value, "source": "recording", "source_id": r.id}
            )

    changes: list[dict[str, Any]] = []
    for s in series.values():
        pts = s["points"]
        if len(pts) >= 2 and (s["name"].startswith("koos_") or s["name"] == "assessment_pain_nprs"):
            measure = "nprs" if s["name"] == "assessment_pain_nprs" else s["name"]
            for flag in clinical.change_flags(measure, pts[0]["value"], pts[-1]["value"]):
                changes.append({"series": s["name"], **flag})
    return {"client_id": client_id, "series": list(series.values()), "changes": changes}


def read_outcomes(db: Session, user: User, client: Client) -> dict[str, Any]:
    crud.audit(db, user, "read", "outcomes", client_id=client.id)
    return outcomes_data(db, client.id)


@dataclass(frozen=True)
class ChartRead:
    """One chart of a client: its current version, and the drawing unless the caller has it."""

    version: str
    chart: charts.Chart | None


def read_chart(
    db: Session, user: User, client: Client, name: str, *, have: Collection[str] = ()
) -> ChartRead:
    """Chart ``name`` (one of :data:`~retrowalk.reports.charts.CHART_KEYS`, else 404) of the
    client's current data; ``have`` are versions the caller already holds (no drawing, no
    audit row then: nothing is disclosed). Audited as a read when drawn."""
    if name not in charts.CHART_KEYS:
        raise NotFound("no such chart")
    inputs = chart_inputs(db, client.id, only=charts.CHART_FIELDS[name])
    version = charts.chart_version(inputs, name)
    if version in have:
        return ChartRead(version, None)
    crud.audit(db, user, "read", "chart", resource_id=name, client_id=client.id)
    return ChartRead(version, charts.chart(inputs, name))


@dataclass(frozen=True)
class WeekAdherence:
    """One calendar week (Monday first) of a programme: completed session days against the plan.

    ``planned`` is the prescribed sessions per week pro rata for the days the programme ran in
    that week (its first week and the week in progress are partial), so a client who started on a
    Friday is not "33 %" for a week they only had three days of.
    """

    week_start: date
    days: int
    per_week: int
    planned: float
    done: int

    @property
    def pct(self) -> float:
        return 0.0 if self.planned <= 0 else min(100.0, 100.0 * self.done / self.planned)


def _day(at: datetime | date) -> date:
    return at.date() if isinstance(at, datetime) else at


def weekly_adherence(
    logs: Sequence[SessionLog], programmes: Sequence[Programme], *, today: date | None = None
) -> list[WeekAdherence]:
    """Adherence per week against the prescribed frequency (``sessions_per_week`` of the version
    in force on each day), from the first programme to ``today``; pure, for pages, API and PDF."""
    if not programmes:
        return []
    today = today or datetime.now(UTC).date()
    ordered = sorted(programmes, key=lambda p: p.version)
    starts = [(_day(p.created_at), sessions_per_week(p.content)) for p in ordered]
    first = starts[0][0]
    done_days = {log.session_date for log in logs if log.completed and first <= log.session_date <= today}
    out: list[WeekAdherence] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= today:
        days = [monday + timedelta(days=i) for i in range(7) if first <= monday + timedelta(days=i) <= today]
        planned = 0.0
        per_week = starts[0][1]
        for day in days:
            per_week = next((n for start, n in reversed(starts) if start <= day), starts[0][1])
            planned += per_week / 7.0
        out.append(
            WeekAdherence(
                week_start=monday,
                days=len(days),
                per_week=per_week,
                planned=round(planned, 1),
                done=sum(1 for d in days if d in done_days),
            )
        )
        monday += timedelta(days=7)
    return out


def client_weekly_adherence(db: Session, client: Client, *, today: date | None = None) -> list[WeekAdherence]:
    """:func:`weekly_adherence` for one stored client (pure read)."""
    return weekly_adherence(
        crud.list_session_logs(db, client.id), crud.list_programmes(db, client.id), today=today
    )
