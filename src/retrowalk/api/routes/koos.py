"""KOOS questionnaire responses: the client or their trainer submits answers; the core scores them."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import KoosIn, KoosOut
from retrowalk.app import questionnaires
from retrowalk.app.access import Client, QuestionnaireResponse, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOrSelf

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
    return questionnaires.submit_koos(db, user, client, body)


@router.get("", response_model=list[KoosOut])
def list_koos(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[QuestionnaireResponse]:
    return questionnaires.list_koos(db, user, client)
