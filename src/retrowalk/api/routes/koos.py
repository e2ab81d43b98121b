"""KOOS questionnaire responses: the client or their trainer submits answers; the core scores them."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from retrowalk.api import clinical
from retrowalk.api.deps import CurrentUser, DbSession, TrainerOrSelf
from retrowalk.api.schemas import KoosIn, KoosOut
from retrowalk.storage import crud
from retrowalk.storage.models import Client, QuestionnaireResponse, User

router = APIRouter(prefix="/clients/{client_id}/koos", tags=["questionnaires"])


@router.post(
    "",
    response_model=KoosOut,
    status_code=status.HTTP_201_CREATED,
    responses={503: {"description": "clinical core not installed"}},
)
def submit_koos(
    body: KoosIn, client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> QuestionnaireResponse:
    scores = clinical.score_koos(body.answers, body.missing_rule)
    row = crud.add_questionnaire(
        db, client.id, answers=dict(body.answers), scores=scores, instrument="koos", by=user
    )
    crud.audit(db, user, "create", "questionnaire", resource_id=row.id, client_id=client.id)
    return row


@router.get("", response_model=list[KoosOut])
def list_koos(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[QuestionnaireResponse]:
    crud.audit(db, user, "read", "questionnaire", client_id=client.id, detail="list")
    return crud.list_questionnaires(db, client.id, "koos")
