"""Session logs: the client (or trainer) logs what was done; the reply says what to do next time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from retrowalk.api.schemas import (
    SessionLogCorrection,
    SessionLogCreated,
    SessionLogIn,
    SessionLogOut,
    SessionLogUpdate,
)
from retrowalk.app import sessions
from retrowalk.app.access import Client, SessionLog, User
from retrowalk.http.deps import ClientStep, CurrentUser, DbSession, TrainerOrSelf, TrainerOrSelfStep, row_id

router = APIRouter(prefix="/clients/{client_id}/session-logs", tags=["session logs"])


def _created(done: sessions.Logged, status_code: int = status.HTTP_200_OK) -> Response:
    # The engine's models as they are, serialised once in Rust: the decision is the largest part
    # of the reply, and a dict round trip then FastAPI's re-validation cost more than the write.
    reply = SessionLogCreated(log=SessionLogOut.model_validate(done.logs[0]), next_session=done.next_session)
    return Response(reply.model_dump_json(), status_code=status_code, media_type="application/json")


@router.post("", response_model=SessionLogCreated, status_code=status.HTTP_201_CREATED)
async def log_session(
    body: SessionLogIn,
    step: ClientStep = TrainerOrSelfStep,
    idempotency_key: str | None = Header(
        None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Sent again: stored once."
    ),
) -> Response:
    """Log one exercise; 409 while a red flag or pain stop is in force (the reason says which)."""
    done = await step.run(
        lambda db, user, client: sessions.log_session(db, user, client, [body], form_key=idempotency_key)
    )
    return _created(done, status.HTTP_201_CREATED)


@router.get("", response_model=list[SessionLogOut])
def list_session_logs(
    limit: int | None = Query(None, ge=1, le=10_000),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Sequence[SessionLog]:
    return sessions.list_logs(db, user, client, limit=limit)


@router.get("/next", response_model=dict[str, Any] | None)
def next_session(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> dict[str, Any] | None:
    """What to do in the next session, from the current programme and the sessions logged under it."""
    decision = sessions.read_next_session(db, user, client)
    return decision.model_dump(mode="json") if decision is not None else None


@router.get("/{log_id}", response_model=SessionLogOut)
def get_session_log(
    log_id: int = row_id(), client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> SessionLog:
    return sessions.get_log(db, user, client, log_id)


@router.patch("/{log_id}", response_model=SessionLogCreated)
def update_session_log(
    body: SessionLogUpdate,
    log_id: int = row_id(),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Response:
    """Add what is known later (next-morning pain, notes); the decision is recomputed."""
    return _created(sessions.update_log(db, user, client, log_id, body))


@router.post("/{log_id}/corrections", response_model=SessionLogCreated)
def correct_session_log(
    body: SessionLogCorrection,
    log_id: int = row_id(),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Response:
    """Correct a log (a client: their own, on the same day; a trainer: any); audited, judged again."""
    return _created(sessions.correct_log(db, user, client, log_id, body))
