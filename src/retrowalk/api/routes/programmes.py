"""Programmes: generated from the latest assessment; each generation is a new version."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.orm import Session

from retrowalk.api import clinical
from retrowalk.api.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf
from retrowalk.api.schemas import ProgrammeIn, ProgrammeOut
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Programme, User

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
    assessment = crud.latest_assessment(db, client.id)
    if assessment is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "no assessment yet: assess the client first")
    if assessment.stop:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the latest assessment found red flags: refer before prescribing"
        )
    pain = body.pain_nprs if body.pain_nprs is not None else assessment.pain_nprs
    if pain is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "pain_nprs"],
                    "msg": "pain is not in the assessment; give pain_nprs",
                    "type": "missing",
                }
            ],
        )
    content = clinical.prescribe(assessment.findings, pain_nprs=pain, goals=body.goals)
    row = crud.add_programme(
        db, client.id, content=content, assessment_id=assessment.id, pain_nprs=pain, goals=body.goals, by=user
    )
    crud.audit(
        db,
        user,
        "create",
        "programme",
        resource_id=row.id,
        client_id=client.id,
        detail=f"version {row.version}",
    )
    return row


@router.get("", response_model=list[ProgrammeOut])
def programme_history(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Programme]:
    crud.audit(db, user, "read", "programme", client_id=client.id, detail="history")
    return crud.list_programmes(db, client.id)


@router.get("/current", response_model=ProgrammeOut)
def current_programme(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Programme:
    row = crud.current_programme(db, client.id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no programme yet")
    crud.audit(db, user, "read", "programme", resource_id=row.id, client_id=client.id)
    return row
