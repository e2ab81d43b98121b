"""Red flags in force and their clearance, hands-free sign-off, and decisions waiting for the trainer."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import (
    DecisionPolicyIn,
    HandsFreeSignOffIn,
    PendingDecisionOut,
    ProgrammeOut,
    RedFlagClear,
    RedFlagsOut,
    SignOffOut,
)
from retrowalk.app import sessions
from retrowalk.app.access import Client, PendingDecision, Programme, TrainerSignOff, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf, row_id

router = APIRouter(prefix="/clients/{client_id}", tags=["red flags and decisions"])


@router.get("/red-flags", response_model=RedFlagsOut)
def red_flags(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> RedFlagsOut:
    """What is in force now (red flags, pain stop) and every clearance and sign-off so far."""
    ns = sessions.read_next_session(db, user, client)
    return RedFlagsOut(
        in_force=[f.model_dump(mode="json") for f in (ns.red_flags_in_force if ns else [])],
        can_log_exercise=ns.can_log_exercise if ns else True,
        signoffs=[SignOffOut.model_validate(r) for r in sessions.signoffs(db, client)],
    )


@router.post("/red-flags/clearances", response_model=SignOffOut, status_code=status.HTTP_201_CREATED)
def clear_red_flag(
    body: RedFlagClear, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> TrainerSignOff:
    """A trainer clears a red flag or pain stop in force (who and when are recorded, why is required)."""
    return sessions.clear_red_flag(db, user, client, body)


@router.post("/hands-free-signoffs", response_model=SignOffOut, status_code=status.HTTP_201_CREATED)
def sign_off_hands_free(
    body: HandsFreeSignOffIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> TrainerSignOff:
    return sessions.sign_off_hands_free(db, user, client, body)


@router.get("/decisions", response_model=list[PendingDecisionOut])
def pending_decisions(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[PendingDecision]:
    """Decided programme changes waiting for the trainer's approval."""
    return sessions.pending_decisions(db, client)


@router.post("/decisions/{decision_id}/approve", response_model=ProgrammeOut | None)
def approve_decision(
    decision_id: int = row_id(),
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Programme | None:
    return sessions.resolve_decision(db, user, client, decision_id, approve=True)


@router.post("/decisions/{decision_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
def decline_decision(
    decision_id: int = row_id(),
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> None:
    sessions.resolve_decision(db, user, client, decision_id, approve=False)


@router.put("/decision-policy", response_model=DecisionPolicyIn)
def set_decision_policy(
    body: DecisionPolicyIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> DecisionPolicyIn:
    """How decisions reach the programme: protocol (default), approve (every increase) or auto."""
    sessions.set_decision_policy(db, user, client, body)
    return body
