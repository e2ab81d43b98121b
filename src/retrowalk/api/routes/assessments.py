"""Assessments: raw test values in, findings computed by the core out."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, Path, status
from sqlalchemy.orm import Session

from retrowalk.api import clinical
from retrowalk.api.deps import CurrentUser, DbSession, TrainerOnly
from retrowalk.api.schemas import AssessmentIn, AssessmentOut
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, User

router = APIRouter(prefix="/clients/{client_id}/assessments", tags=["assessments"])


@router.post(
    "",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    responses={503: {"description": "clinical core not installed"}},
)
def create_assessment(
    body: AssessmentIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> Assessment:
    inputs, findings = clinical.evaluate_assessment(body.inputs)
    row = crud.add_assessment(
        db,
        client.id,
        inputs=inputs,
        findings=findings,
        pain_nprs=clinical.assessment_pain(inputs),
        stop=bool(findings.get("stop", False)),
        by=user,
    )
    crud.audit(db, user, "create", "assessment", resource_id=row.id, client_id=client.id)
    return row


@router.get("", response_model=list[AssessmentOut])
def list_assessments(
    client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Assessment]:
    crud.audit(db, user, "read", "assessment", client_id=client.id, detail="list")
    return crud.list_assessments(db, client.id)


@router.get("/{assessment_id}", response_model=AssessmentOut)
def get_assessment(
    assessment_id: int = Path(ge=1, le=2**31 - 1),
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Assessment:
    row = crud.get_assessment(db, client.id, assessment_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "assessment not found")
    crud.audit(db, user, "read", "assessment", resource_id=row.id, client_id=client.id)
    return row
