"""The trainer's dashboard: one row per client with flags, due state and this week's progress.

The flag rules live here, not in a page: the pain limit is the core's (nprs.yaml
``limit_above``), the decisions are :func:`retrowalk.app.sessions.next_session`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app.access import require_role
from retrowalk.app.errors import Conflict
from retrowalk.app.messages import unread_for
from retrowalk.app.records import DecisionItem, decision_items, sessions_per_week
from retrowalk.app.sessions import (
    DECISION_CACHE_SIZE,
    clients_with_stored_problems,
    next_session,
    next_sessions_json,
    stored_problems,
)
from retrowalk.core.progression import DecisionKind, NextSession
from retrowalk.core.scores.nprs import pain_rules
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, FlagAcknowledgement, Programme, SessionLog, User

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
    #: Flag text -> the trainer's acknowledgement note (a changed flag text is a new flag).
    acknowledged: dict[str, str] = field(default_factory=dict)
    unread: int = 0

    @property
    def open_flags(self) -> list[str]:
        """Flags nobody has acknowledged yet: what "needs attention" lists."""
        return [f for f in self.flags if f not in self.acknowledged]

    @property
    def archived(self) -> bool:
        return self.client.archived_at is not None


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
    return with_acknowledgements(
        db, summary_row(client, on, logs=logs, programme=programme, latest=latest, decisions=decisions)
    )


def with_acknowledgements(
    db: Session, row: SummaryRow, acks: Sequence[FlagAcknowledgement] | None = None
) -> SummaryRow:
    """The row with the trainer's notes on those of its flags already acknowledged (``acks``:
    the client's acknowledgements, when already read)."""
    notes = {a.flag: a.note for a in (crud.list_flag_acks(db, row.client.id) if acks is None else acks)}
    row.acknowledged.update({f: notes[f] for f in row.flags if f in notes})
    return row


@lru_cache(maxsize=DECISION_CACHE_SIZE)
def _decision_items(decision: bytes | None) -> tuple[DecisionItem, ...]:
    """The rows' decision items from the memoised decision JSON, kept per decision: a whole
    :class:`NextSession` (with its programme) costs about 0.5 ms to validate, 20 per view."""
    return tuple(decision_items(None if decision is None else NextSession.model_validate_json(decision)))


#: The dashboard's filters: active (not archived) clients, only due, only flagged, archived, all.
Show = Literal["active", "due", "flagged", "archived", "all"]
SHOW_VALUES: tuple[str, ...] = ("active", "due", "flagged", "archived", "all")


def _shown(row: SummaryRow, show: Show) -> bool:
    if show == "all":
        return True
    if show == "archived":
        return row.archived
    if row.archived:
        return False
    return show == "active" or (show == "due" and row.due) or (show == "flagged" and bool(row.open_flags))


def dashboard(db: Session, user: User, on: date, *, q: str = "", show: Show = "active") -> list[SummaryRow]:
    """The trainer's clients matching ``q`` (name or notes) and ``show``: unacknowledged flags
    first, then unread messages, then due, then by name.

    The same rows as :func:`client_summary` per client, from a fixed number of queries for all
    clients (aggregates in SQL): a year of logs per client made the page linear in every log
    ever written, and a query or more per client made it linear in clients. The decisions are
    :func:`~retrowalk.app.sessions.next_sessions` (the engine memoised on its inputs).
    """
    require_role(user, "trainer")
    text = q.strip().lower()
    clients = [
        c
        for c in crud.list_clients_for(db, user)
        if not text or text in c.name.lower() or text in (c.notes or "").lower()
    ]
    ids = [c.id for c in clients]
    unread = unread_for(db, user, ids)
    programmes = crud.current_programmes(db, ids)
    latest = crud.latest_assessments(db, ids, with_inputs=False)
    stats = crud.session_day_stats(
        db, ids, recent_from=on - timedelta(days=FLAG_WINDOW_DAYS - 1), week_from=_monday(on)
    )
    outside = clients_with_stored_problems(db, ids)
    decisions = next_sessions_json(db, programmes, latest)
    acks = crud.flag_acks_for(db, ids)
    rows = []
    for client in clients:
        programme = programmes.get(client.id)
        decision = decisions.get(client.id)
        stat = stats.get(client.id)
        worst: list[float] = [w for w in (stat[2:5] if stat else ()) if w is not None]
        row = _row(
            client,
            on,
            worst_recent=float(max(worst)) if worst else None,
            outside_limits=client.id in outside,
            last_day=stat.last_day if stat else None,
            week_done=int(stat.week_done) if stat else 0,
            programme=programme,
            latest=latest.get(client.id),
            decisions=_decision_items(decision),
        )
        row = with_acknowledgements(
            db, SummaryRow(**{**vars(row), "unread": unread.get(client.id, 0)}), acks[client.id]
        )
        if _shown(row, show):
            rows.append(row)
    rows.sort(key=lambda r: (not r.open_flags, not r.unread, not r.due, r.client.name.lower()))
    return rows


class FlagAckIn(BaseModel):
    """The trainer saw a flag and says what they did (called the client, referred, ...)."""

    model_config = ConfigDict(extra="forbid")

    flag: str = Field(min_length=1, max_length=300)
    note: str = Field(min_length=1, max_length=2000)


def acknowledge_flag(db: Session, user: User, client: Client, body: FlagAckIn, on: date) -> SummaryRow:
    """Record the acknowledgement of one of the client's current flags (404 for a flag not raised)."""
    require_role(user, "trainer")
    row = client_summary(db, client, on)
    if body.flag not in row.flags:
        raise Conflict("no such flag for this client now (it may have cleared)")
    note = body.note.strip()
    ack = crud.add_flag_ack(db, client.id, flag=body.flag, note=note, by=user)
    crud.audit(
        db,
        user,
        "create",
        "flag_ack",
        resource_id=ack.id,
        client_id=client.id,
        detail=f"{body.flag}: {note[:200]}",
    )
    return client_summary(db, client, on)
