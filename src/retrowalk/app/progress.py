"""The client's own "My progress" page: a few facts in plain words that fit a phone.

Why separate from the trainer's client page: the client needs this week's sessions against the
plan, how their pain is going, and today's programme, not the tables a clinician reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean

from sqlalchemy.orm import Session

from retrowalk.app import plain, records, sessions
from retrowalk.storage import crud
from retrowalk.storage.models import Client, SessionLog, User

#: A change in mean pain (0-10) smaller than this is "about the same" (the NPRS's own resolution
#: is one point; below it a change is not one the client would notice).
PAIN_SAME_WITHIN = 1.0


@dataclass(frozen=True)
class DayPain:
    day: date
    during: float | None
    after: float | None
    done: int
    total: int


@dataclass(frozen=True)
class MyProgress:
    done_this_week: int
    planned_per_week: int
    pain_words: str
    days: list[DayPain]
    programme: list[tuple[str, str]]
    next_steps: list[plain.ClientDecision]
    in_force: list[str]


def pain_trend_words(values: list[float]) -> str:
    """The last sessions' pain during exercise, compared with the ones before, in words."""
    if len(values) < 2:
        return "Log a few sessions to see how your pain is going."
    half = len(values) // 2
    before, recent = mean(values[:half]), mean(values[half:])
    if recent <= before - PAIN_SAME_WITHIN:
        return f"Your pain during exercise is going down (about {before:.0f} before, {recent:.0f} lately)."
    if recent >= before + PAIN_SAME_WITHIN:
        return (
            f"Your pain during exercise has gone up (about {before:.0f} before, {recent:.0f} lately). "
            "Your trainer can see this."
        )
    return f"Your pain during exercise is about the same (around {recent:.0f} out of 10)."


def my_progress(db: Session, user: User, client: Client, *, on: date | None = None) -> MyProgress:
    on = on or sessions.today()
    logs = list(sessions.list_logs(db, user, client))
    programme = crud.current_programme(db, client.id)
    monday = on - timedelta(days=on.weekday())
    done_days = {log.session_date for log in logs if log.completed and monday <= log.session_date <= on}
    by_day: dict[date, list[SessionLog]] = {}
    for log in logs:
        by_day.setdefault(log.session_date, []).append(log)
    days: list[DayPain] = []
    for day in sorted(by_day)[-6:]:
        rows = by_day[day]
        during = [r.pain_during for r in rows if r.pain_during is not None]
        after = [r.pain_after for r in rows if r.pain_after is not None]
        days.append(
            DayPain(
                day=day,
                during=max(during) if during else None,
                after=max(after) if after else None,
                done=sum(1 for r in rows if r.completed),
                total=len(rows),
            )
        )
    ns = sessions.next_session(db, client.id, programme)
    items = records.programme_items(programme.content if programme else None)
    return MyProgress(
        done_this_week=len(done_days),
        planned_per_week=records.sessions_per_week(programme.content if programme else None),
        pain_words=pain_trend_words([d.during for d in days if d.during is not None]),
        days=list(reversed(days)),
        programme=[(i["name"], i["dose_text"]) for i in items],
        next_steps=plain.client_decisions(ns, sessions.waiting_ids(db, client.id)),
        in_force=[plain.flag_text(f) for f in (ns.red_flags_in_force if ns else [])],
    )
