"""The trainer's dashboard: one row per client with flags, due state and this week's progress.

The flag rules live here, not in a page: the pain limit is the core's (nprs.yaml
``limit_above``), the decisions are :func:`retrowalk.app.sessions.next_session`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from retrowalk.app.access import require_role
from retrowalk.app.records import DecisionItem, decision_items, sessions_per_week
from retrowalk.app.sessions import (
    clients_with_stored_problems,
    next_session,
    stored_problems,
)
from retrowalk.core.progression import DecisionKind
from retrowalk.core.scores.nprs import pain_rules
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, Programme, SessionLog, User

#: Pain over the limit in this many recent days flags a flare.
FLAG_WINDOW_DAYS = 7
#: A client with a programme is due this many days after their last session.
DUE_AFTER_DAYS = 2


@dataclass(frozen=True)
class SummaryRow:
    client: Client
    flags: list[str]
    due: bool
    last_session: date | None
    week_done: int
    week_planned: int
    has_programme: bool
    assessed: bool
    decisions: list[DecisionItem] = field(default_factory=list)


def summary_row(
    client: Client,
    on: date,
    *,
    logs: Sequence[SessionLog],
    programme: Programme | None,
    latest: Assessment | None,
    decisions: Sequence[DecisionItem],
) -> SummaryRow:
    """Flags, due state and this week's progress from already-loaded records."""
    recent = [log for log in logs if (on - log.session_date).days < FLAG_WINDOW_DAYS]
    monday = _monday(on)
    return _row(
        client,
        on,
        worst_recent=max(
            (
                v
                for log in recent
                for v in (log.pain_during, log.pain_after, log.pain_next_morning)
                if v is not None
            ),
            default=None,
        ),
        outside_limits=any(stored_problems(log) for log in logs),
        last_day=logs[-1].session_date if logs else None,
        week_done=len({log.session_date for log in logs if log.session_date >= monday and log.completed}),
        programme=programme,
        latest=latest,
        decisions=decisions,
    )


def _monday(on: date) -> date:
    return on - timedelta(days=on.weekday())


def _row(
    client: Client,
    on: date,
    *,
    worst_recent: float | None,
    outside_limits: bool,
    last_day: date | None,
    week_done: int,
    programme: Programme | None,
    latest: Assessment | None,
    decisions: Sequence[DecisionItem],
) -> SummaryRow:
    """The flag and due rules, written once for the client page and the dashboard."""
    flags: list[str] = []
    if worst_recent is not None and pain_rules().above_limit(worst_recent):
        flags.append(f"pain flare: {worst_recent:g}/10 this week")
    if latest is not None and latest.stop:
        flags.append("stop and refer (assessment red flag)")
    if any(d.decision == DecisionKind.stop for d in decisions):
        flags.append("stop and refer (session response)")
    elif any(d.decision == DecisionKind.regress for d in decisions):
        flags.append("next session regressed")
    if outside_limits:
        flags.append("session entries outside today's limits")
    due = programme is not None and (last_day is None or (on - last_day).days >= DUE_AFTER_DAYS)
    return SummaryRow(
        client=client,
        flags=flags,
        due=due,
        last_session=last_day,
        week_done=week_done,
        week_planned=sessions_per_week(programme.content) if programme else 0,
        has_programme=programme is not None,
        assessed=latest is not None,
        decisions=list(decisions),
    )


def client_summary(db: Session, client: Client, on: date) -> SummaryRow:
    """One dashboard row, loading what it needs."""
    logs = list(crud.list_session_logs(db, client.id))
    programme = crud.current_programme(db, client.id)
    latest = crud.latest_assessment(db, client.id)
    decisions = decision_items(next_session(db, client.id, programme))
    return summary_row(client, on, logs=logs, programme=programme, latest=latest, decisions=decisions)


def dashboard(db: Session, user: User, on: date) -> list[SummaryRow]:
    """The trainer's clients, flagged first, then due, then by name.

    The same rows as :func:`client_summary` per client, from a fixed number of queries for all
    clients for the flags and counts (aggregates in SQL): a year of logs per client made the
    page linear in every log ever written. The decision is each client's
    :func:`~retrowalk.app.sessions.next_session` (memoised on its inputs).
    """
    require_role(user, "trainer")
    clients = crud.list_clients_for(db, user)
    ids = [c.id for c in clients]
    programmes = crud.current_programmes(db, ids)
    latest = crud.latest_assessments(db, ids, with_inputs=False)
    stats = crud.session_day_stats(
        db, ids, recent_from=on - timedelta(days=FLAG_WINDOW_DAYS - 1), week_from=_monday(on)
    )
    outside = clients_with_stored_problems(db, ids)
    rows = []
    for client in clients:
        programme = programmes.get(client.id)
        # per client: the decision reads the programme's lineage, clearances and gait evidence
        decision = next_session(db, client.id, programme) if programme else None
        stat = stats.get(client.id)
        worst: list[float] = [w for w in (stat[2:5] if stat else ()) if w is not None]
        rows.append(
            _row(
                client,
                on,
                worst_recent=float(max(worst)) if worst else None,
                outside_limits=client.id in outside,
                last_day=stat.last_day if stat else None,
                week_done=int(stat.week_done) if stat else 0,
                programme=programme,
                latest=latest.get(client.id),
                decisions=decision_items(decision),
            )
        )
    rows.sort(key=lambda r: (not r.flags, not r.due, r.client.name.lower()))
    return rows
