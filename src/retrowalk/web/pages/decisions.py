"""The trainer's controls on the client page (red-flag clearance, decisions waiting for approval,
how decisions apply, hands-free sign-off) and the client's own "My progress" page."""

from __future__ import annotations

from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import plain, progress, sessions
from retrowalk.app.access import client_access
from retrowalk.app.sessions import DecisionPolicyIn, HandsFreeSignOffIn, RedFlagClear
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import page_user, trainer_form
from retrowalk.web.pages._common import form_errors, redirect, render, text

router = APIRouter()
M = TypeVar("M", bound=BaseModel)


@router.get("/clients/{client_id}/progress", response_class=HTMLResponse)
def progress_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return render(
        request,
        "progress.html",
        {"client": client, "p": progress.my_progress(db, user, client), "words": plain},
    )


def _parsed(model: type[M], **fields: str) -> M:
    """The form's fields as the use case's model; a refusal names the field (HTML 422 page)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        field, message = next(iter(form_errors(exc).items()))
        raise InputError(field, message) from None


@router.post("/clients/{client_id}/red-flags/clear", response_class=HTMLResponse)
async def clear_red_flag(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await trainer_form(request, db, client_id)
    body = _parsed(RedFlagClear, flag_id=text(form, "flag_id"), reason=text(form, "reason"))
    sessions.clear_red_flag(db, user, client, body)
    return redirect(f"/clients/{client.id}?cleared=1#safety")


@router.post("/clients/{client_id}/hands-free", response_class=HTMLResponse)
async def hands_free(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await trainer_form(request, db, client_id)
    body = _parsed(HandsFreeSignOffIn, reason=text(form, "reason"))
    sessions.sign_off_hands_free(db, user, client, body)
    return redirect(f"/clients/{client.id}#safety")


@router.post("/clients/{client_id}/decisions/{decision_id}", response_class=HTMLResponse)
async def resolve_decision(
    request: Request, client_id: int, decision_id: int, db: Session = DbSession
) -> Response:
    user, client, form = await trainer_form(request, db, client_id)
    action = text(form, "action")
    if action not in ("approve", "decline"):
        raise InputError("action", "choose approve or decline")
    sessions.resolve_decision(db, user, client, decision_id, approve=action == "approve")
    return redirect(f"/clients/{client.id}#programme")


@router.post("/clients/{client_id}/decision-policy", response_class=HTMLResponse)
async def decision_policy(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await trainer_form(request, db, client_id)
    body = _parsed(DecisionPolicyIn, policy=text(form, "policy"))
    sessions.set_decision_policy(db, user, client, body)
    return redirect(f"/clients/{client.id}#programme")
