"""KOOS questionnaires: answers in, the core's scores stored and audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app import clinical
from retrowalk.app.sessions import today
from retrowalk.core.scores.koos import KOOS_ITEMS, SUBSCALE_TITLES, KoosItem
from retrowalk.storage import crud
from retrowalk.storage.models import Client, QuestionnaireResponse, User


class KoosIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, int | None] = Field(description="KOOS item id → 0..4 (None = missing).")
    missing_rule: Literal["2012", "1998"] = "2012"


@dataclass(frozen=True)
class KoosForm:
    """The questionnaire grouped by subscale, with the answers to show."""

    groups: list[tuple[str, str, list[KoosItem]]]  # (title, subscale, items)
    answers: dict[str, int | None]
    answered: int
    total: int


def koos_form(answers: Mapping[str, int | None]) -> KoosForm:
    groups: dict[str, list[KoosItem]] = {}
    for item in KOOS_ITEMS:
        groups.setdefault(item.subscale, []).append(item)
    return KoosForm(
        groups=[(SUBSCALE_TITLES[k], k, v) for k, v in groups.items()],
        answers=dict(answers),
        answered=sum(1 for v in answers.values() if v is not None),
        total=len(KOOS_ITEMS),
    )


def _incomplete(row: QuestionnaireResponse) -> bool:
    answers = row.answers or {}
    return any(v is None for v in answers.values()) or len(answers) < len(KOOS_ITEMS)


def _partial_today(db: Session, client_id: int) -> QuestionnaireResponse | None:
    """Today's latest response if it is still incomplete: the form resumes it."""
    previous = crud.list_questionnaires(db, client_id, "koos")
    last = previous[-1] if previous else None
    if last is not None and last.created_at.date() == today() and _incomplete(last):
        return last
    return None


def resume_answers(db: Session, client_id: int) -> dict[str, int | None]:
    """Answers to pre-fill: today's partial questionnaire, else none (a fresh form)."""
    last = _partial_today(db, client_id)
    return dict(last.answers or {}) if last is not None else {}


def submit_koos(
    db: Session, user: User, client: Client, body: KoosIn, *, continue_today: bool = False, detail: str = ""
) -> QuestionnaireResponse:
    """Score and store a response. With ``continue_today`` an incomplete response from today is
    updated instead of adding a second one (the web form saves as the client goes)."""
    scores = clinical.score_koos(body.answers, body.missing_rule)
    last = _partial_today(db, client.id) if continue_today else None
    if last is not None:
        row = crud.update_questionnaire(db, last, answers=dict(body.answers), scores=scores)
    else:
        row = crud.add_questionnaire(
            db, client.id, answers=dict(body.answers), scores=scores, instrument="koos", by=user
        )
    crud.audit(db, user, "create", "questionnaire", resource_id=row.id, client_id=client.id, detail=detail)
    return row


def list_koos(db: Session, user: User, client: Client) -> Sequence[QuestionnaireResponse]:
    crud.audit(db, user, "read", "questionnaire", client_id=client.id, detail="list")
    return crud.list_questionnaires(db, client.id, "koos")
