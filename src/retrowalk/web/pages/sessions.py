"""The session log page: the client logs today's session; the reply says what to do next time.

The form is validated through :class:`retrowalk.app.sessions.SessionLogIn` (the API's model, the
core's bounds), and saving and deciding go through :func:`retrowalk.app.sessions.log_session`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from retrowalk.app import captures, records, sessions
from retrowalk.app.access import Client, client_access
from retrowalk.app.sessions import SessionLogIn, SessionLogUpdate, today
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import checked_form, page_user
from retrowalk.web.pages._common import form_errors, number, redirect, render, text

router = APIRouter()

#: Dose boxes the form offers (which ones show per exercise is the template's choice).
FORM_DOSE_FIELDS = ("minutes", "speed_kmh", "incline_pct", "sets", "reps")
WHOLE = frozenset({"sets", "reps"})


def _log_ctx(
    db: Session, client: Client, values: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    view = sessions.log_form(db, client.id)
    return {
        "client": client,
        "programme": view.programme,
        "items": records.programme_items(view.programme.content if view.programme else None),
        "today": view.today,
        "pending_morning": view.pending_morning,
        "values": values,
        "errors": errors,
    }


@router.get("/clients/{client_id}/log", response_class=HTMLResponse)
def log_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return render(request, "log.html", _log_ctx(db, client, {}, {}))


def _entries(form: FormData, items: list[dict[str, Any]], errors: dict[str, str]) -> list[SessionLogIn]:
    """One validated entry per programme item; every refusal lands on its form field."""
    shared: dict[str, Any] = {"notes": text(form, "notes")[:5000]}
    if text(form, "session_date"):
        shared["session_date"] = text(form, "session_date")
    else:
        shared["session_date"] = today()
    for key in ("pain_during", "pain_after"):
        try:
            shared[key] = number(form, key)
        except InputError as exc:
            errors[key] = exc.message
    entries: list[SessionLogIn] = []
    for i, item in enumerate(items):
        prefix = f"ex{i}."
        raw: dict[str, Any] = {
            **shared,
            "exercise_id": item["exercise_id"],
            "completed": form.get(prefix + "completed") == "yes",
        }
        for key in FORM_DOSE_FIELDS:
            try:
                raw[key] = number(form, prefix + key, whole=key in WHOLE)
            except InputError as exc:
                errors[exc.field] = exc.message
        rails = form.get(prefix + "handrails")
        raw["handrails"] = rails if rails in ("none", "one", "both") else None
        try:
            entries.append(SessionLogIn.model_validate(raw))
        except ValidationError as exc:
            for key, message in form_errors(exc, prefix=prefix).items():
                shared_key = key.removeprefix(prefix)
                # session-wide fields (date, pain) are reported once, on their own boxes
                errors.setdefault(shared_key if shared_key in shared else key, message)
    return entries


@router.post("/clients/{client_id}/log", response_class=HTMLResponse)
async def log_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    form = await checked_form(request)
    programme = sessions.log_form(db, client.id).programme
    items = records.programme_items(programme.content if programme else None)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    if not items:
        errors["programme"] = "There is no programme yet; ask your trainer."
    entries = _entries(form, items, errors)
    if errors:
        return render(request, "log.html", _log_ctx(db, client, values, errors), code=422)
    day: date = entries[0].session_date
    # A save queued offline is sent again until an answer arrives: its key stores it once.
    key = text(form, "idempotency_key")
    if captures.already_saved(db, client, key):
        next_session = sessions.next_session(db, client.id, programme)
    else:
        done = sessions.log_session(db, user, client, entries, detail=f"web {day}")
        captures.remember_save(db, client, key, done.logs, text(form, "recording_ids"))
        next_session = done.next_session
    ctx = {
        "client": client,
        "decisions": records.decision_items(next_session),
        "session_date": day,
        "pain": {"pain_during": entries[0].pain_during, "pain_after": entries[0].pain_after},
        "engine": next_session is not None,
    }
    return render(request, "log_saved.html", ctx)


@router.post("/clients/{client_id}/log/morning", response_class=HTMLResponse)
async def morning_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    form = await checked_form(request)
    try:
        day = date.fromisoformat(text(form, "session_date"))
        body = SessionLogUpdate(pain_next_morning=number(form, "pain_next_morning"))
    except (ValueError, InputError):
        raise InputError("pain_next_morning", "missing or invalid", hint="move the slider and save") from None
    if body.pain_next_morning is None:
        raise InputError("pain_next_morning", "missing", hint="move the slider and save")
    sessions.record_morning_pain(db, user, client, day, body)
    return redirect(f"/clients/{client.id}/log?morning=saved")
