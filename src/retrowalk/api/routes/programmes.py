"""Programmes: generated from the latest assessment; each generation is a new version."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import ProgrammeIn, ProgrammeOut
from retrowalk.app import programmes
from retrowalk.app.access import Client, Programme, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf

router = APIRouter(prefix="/clients/{client_id}/programmes", tags=["programmes"])


@router.post(
    "",
    response_model=ProgrammeOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "no assessment yet, or the assessment says stop and refer"},
        503: {"description": "clinical core not installed"},
    },
)
def generate_programme(
    body: ProgrammeIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> Programme:
    return programmes.generate(db, user, client, body)


@router.get("", response_model=list[ProgrammeOut])
def programme_history(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Programme]:
    return programmes.history(db, user, client)


@router.get("/current", response_model=ProgrammeOut)
def current_programme(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Programme:
    return programmes.current(db, user, client)
