"""Session logs: the client (or trainer) logs what was done; the reply says what to do next time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from sqlalchemy.orm import Session

from retrowalk.api import clinical
from retrowalk.api.deps import CurrentUser, DbSession, TrainerOrSelf
from retrowalk.api.schemas import SessionLogCreated, SessionLogIn, SessionLogOut, SessionLogUpdate
from retrowalk.app import quotas
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Programme, SessionLog, User

router = APIRouter(prefix="/clients/{client_id}/session-logs", tags=["session logs"])
LogId = Path(ge=1, le=2**31 - 1)


def decide(db: Session, client_id: int, programme: Programme | None = None) -> dict[str, Any] | None:
    """The progression engine's next session, from the current programme and its logs."""
    programme = programme or crud.current_programme(db, client_id)
    if programme is None:
        return None
    logs = crud.session_log_rows(
        db, client_id, programme_id=programme.id, last_days=clinical.DECISION_WINDOW_DAYS
    )
    return clinical.next_session(programme.content, logs)


@router.post("", response_model=SessionLogCreated, status_code=status.HTTP_201_CREATED)
def log_session(
    body: SessionLogIn,
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> SessionLogCreated:
    clinical.check_exercise(body.exercise_id)
    quotas.check_logs_per_day(db, client.id, body.session_date)
    programme = crud.current_programme(db, client.id)
    row = crud.add_session_log(
        db, client.id, programme_id=programme.id if programme else None, by=user, **body.model_dump()
    )
    crud.audit(db, user, "create", "session_log", resource_id=row.id, client_id=client.id)
    return SessionLogCreated(
        log=SessionLogOut.model_validate(row), next_session=decide(db, client.id, programme)
    )


@router.get("", response_model=list[SessionLogOut])
def list_session_logs(
    limit: int | None = Query(None, ge=1, le=10_000),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Sequence[SessionLog]:
    crud.audit(db, user, "read", "session_log", client_id=client.id, detail="list")
    return crud.list_session_logs(db, client.id, limit=limit)


@router.get("/next", response_model=dict[str, Any] | None)
def next_session(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> dict[str, Any] | None:
    """What to do in the next session, from the current programme and the sessions logged under it."""
    crud.audit(db, user, "read", "next_session", client_id=client.id)
    return decide(db, client.id)


@router.get("/{log_id}", response_model=SessionLogOut)
def get_session_log(
    log_id: int = LogId, client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> SessionLog:
    row = crud.get_session_log(db, client.id, log_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "session log not found")
    crud.audit(db, user, "read", "session_log", resource_id=row.id, client_id=client.id)
    return row


@router.patch("/{log_id}", response_model=SessionLogCreated)
def update_session_log(
    body: SessionLogUpdate,
    log_id: int = LogId,
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> SessionLogCreated:
    """Add what is known later (next-morning pain, notes); the decision is recomputed."""
    row = crud.get_session_log(db, client.id, log_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "session log not found")
    changes = body.model_dump(exclude_unset=True)
    if "notes" in changes and changes["notes"] is None:
        del changes["notes"]
    crud.update_session_log(db, row, **changes)
    crud.audit(
        db,
        user,
        "update",
        "session_log",
        resource_id=row.id,
        client_id=client.id,
        detail=",".join(sorted(changes)),
    )
    return SessionLogCreated(log=SessionLogOut.model_validate(row), next_session=decide(db, client.id))
