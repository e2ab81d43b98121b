"""The KOOS questionnaire page: saves as the client goes, resuming today's partial response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from retrowalk.app import questionnaires
from retrowalk.app.access import Client, client_access
from retrowalk.app.questionnaires import KoosIn
from retrowalk.core.scores.koos import KOOS_ITEMS
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import client_form, page_user
from retrowalk.web.pages._common import render

router = APIRouter()


def _ctx(
    client: Client, answers: Mapping[str, int | None], scores: Mapping[str, Any] | None
) -> dict[str, Any]:
    form = questionnaires.koos_form(answers)
    return {"client": client, "saved": scores is not None, "scores": scores, **vars(form)}


@router.get("/clients/{client_id}/koos", response_class=HTMLResponse)
def koos_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return render(request, "koos.html", _ctx(client, questionnaires.resume_answers(db, client.id), None))


@router.post("/clients/{client_id}/koos", response_class=HTMLResponse)
async def koos_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer", "client")
    answers: dict[str, int | None] = {}
    for item in KOOS_ITEMS:
        raw = form.get(item.id)
        answers[item.id] = int(raw) if isinstance(raw, str) and raw in {"0", "1", "2", "3", "4"} else None
    row = questionnaires.submit_koos(
        db, user, client, KoosIn(answers=answers), continue_today=True, detail="web"
    )
    return render(request, "koos.html", _ctx(client, answers, row.scores.model_dump()))
