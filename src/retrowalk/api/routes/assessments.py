"""Assessments: raw test values in, findings computed by the core out."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import AssessmentIn, AssessmentOut
from retrowalk.app import assessments
from retrowalk.app.access import Assessment, Client, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, row_id

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
    return assessments.record_assessment(db, user, client, body.inputs, affected_side=body.affected_side)


@router.get("", response_model=list[AssessmentOut])
def list_assessments(
    client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Assessment]:
    return assessments.list_assessments(db, user, client)


@router.get("/{assessment_id}", response_model=AssessmentOut)
def get_assessment(
    assessment_id: int = row_id(),
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Assessment:
    return assessments.get_assessment(db, user, client, assessment_id)
