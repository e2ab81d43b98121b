"""The trainer's day over REST: dashboard rows (search, filter), archive, flag acknowledgements,
message threads, weekly adherence and assessment visits compared."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from retrowalk.api.schemas import (
    DashboardRowOut,
    FlagOut,
    MessageOut,
    VisitOut,
    WeekAdherenceOut,
)
from retrowalk.app import assessments, clients, dashboard, messages, outcomes
from retrowalk.app.access import Client, User
from retrowalk.app.dashboard import FlagAckIn, Show, SummaryRow
from retrowalk.app.messages import MessageIn
from retrowalk.app.sessions import today
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf, require_role

router = APIRouter(tags=["trainer's day"])
C = "/clients/{client_id}"


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    archived: bool


def _row(r: SummaryRow) -> DashboardRowOut:
    return DashboardRowOut(
        client_id=r.client.id,
        name=r.client.name,
        archived=r.archived,
        due=r.due,
        flags=[FlagOut(flag=f, acknowledged=r.acknowledged.get(f)) for f in r.flags],
        unread=r.unread,
        last_session=r.last_session,
        week_done=r.week_done,
        week_planned=r.week_planned,
    )


@router.get("/dashboard", response_model=list[DashboardRowOut])
def dashboard_rows(
    q: str = Query("", max_length=100),
    show: Show = Query("active"),
    user: User = Depends(require_role("trainer")),
    db: Session = DbSession,
) -> list[DashboardRowOut]:
    return [_row(r) for r in dashboard.dashboard(db, user, today(), q=q, show=show)]


@router.put(f"{C}/archived", response_model=DashboardRowOut)
def set_archived(
    body: ArchiveIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> DashboardRowOut:
    clients.set_archived(db, user, client, body.archived)
    return _row(dashboard.client_summary(db, client, today()))


@router.post(
    f"{C}/flag-acknowledgements",
    response_model=DashboardRowOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "no such flag for this client now"}},
)
def acknowledge_flag(
    body: FlagAckIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> DashboardRowOut:
    return _row(dashboard.acknowledge_flag(db, user, client, body, today()))


@router.get(f"{C}/messages", response_model=list[MessageOut])
def message_thread(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> list[MessageOut]:
    """The thread, oldest first; reading it marks the other side's messages read."""
    return [MessageOut.model_validate(m) for m in messages.open_thread(db, user, client).messages]


@router.post(f"{C}/messages", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
def send_message(
    body: MessageIn, client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> MessageOut:
    return MessageOut.model_validate(messages.send(db, user, client, body))


@router.get(f"{C}/messages/unread", response_model=int)
def unread_messages(client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession) -> int:
    """How many of the other side's messages this caller has not opened."""
    return messages.unread_for(db, user, [client.id]).get(client.id, 0)


@router.get(f"{C}/adherence", response_model=list[WeekAdherenceOut])
def weekly_adherence(client: Client = TrainerOrSelf, db: Session = DbSession) -> list[WeekAdherenceOut]:
    """Completed session days per week against the prescribed sessions per week."""
    return [
        WeekAdherenceOut(**vars(w), pct=round(w.pct, 1)) for w in outcomes.client_weekly_adherence(db, client)
    ]


@router.get(f"{C}/assessment-visits", response_model=list[VisitOut])
def assessment_visits(
    client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> list[VisitOut]:
    """Every assessment, newest first, each test beside the previous visit and its measurement error."""
    return [
        VisitOut(
            assessment_id=v.assessment.id,
            created_at=v.assessment.created_at,
            affected_side=v.assessment.affected_side,
            previous_id=v.previous.id if v.previous else None,
            changes=list(v.changes),
        )
        for v in assessments.visits(db, user, client)
    ]
