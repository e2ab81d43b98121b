"""Client pages: a new client (with their login), the client's record (its PDFs: ``handout.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import clients, dashboard, messages, outcomes, records, sessions
from retrowalk.app.access import client_access, require_role
from retrowalk.app.auth import PASSWORD_MIN_LENGTH
from retrowalk.app.clients import NewClient
from retrowalk.app.sessions import today
from retrowalk.core.vocab import SEX_VALUES
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession, rollback_request
from retrowalk.reports.charts import all_charts
from retrowalk.web.pages._auth import checked_form, page_user
from retrowalk.web.pages._common import form_errors, redirect, render, text

router = APIRouter()


def _new_client_page(
    request: Request, values: dict[str, str], errors: dict[str, str], code: int = 200
) -> Response:
    ctx = {"values": values, "errors": errors, "sex_values": SEX_VALUES, "password_min": PASSWORD_MIN_LENGTH}
    return render(request, "client_new.html", ctx, code=code)


@router.get("/clients/new", response_class=HTMLResponse)
def new_client_page(request: Request, db: Session = DbSession) -> Response:
    require_role(page_user(request, db), "trainer")
    return _new_client_page(request, {}, {})


@router.post("/clients/new", response_class=HTMLResponse)
async def new_client_submit(request: Request, db: Session = DbSession) -> Response:
    user = require_role(page_user(request, db), "trainer")
    form = await checked_form(request)
    values = {k: text(form, k) for k in ("name", "date_of_birth", "sex", "notes")}
    raw: dict[str, Any] = {k: values[k] or None for k in ("name", "date_of_birth", "sex")}
    raw["name"] = values["name"]
    raw["notes"] = values["notes"]
    # no login here: the trainer invites the client from their page (a one-time link; the
    # client chooses the password, web/pages/accounts.py)
    try:
        body = NewClient.model_validate(raw)
    except ValidationError as exc:
        errors = {k.removeprefix("account."): v for k, v in form_errors(exc).items()}
        return _new_client_page(request, values, errors, code=422)
    try:
        client = clients.create_client(db, user, body, detail="web")
    except InputError as exc:  # the username cannot be used (one answer, taken or not)
        rollback_request(db, request)
        return _new_client_page(request, values, {exc.field: exc.message}, code=422)
    return redirect(f"/clients/{client.id}?created=1")


@router.get("/clients/{client_id}", response_class=HTMLResponse)
def client_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    view = records.client_view(db, user, client, detail="web page")
    summary = dashboard.with_acknowledgements(
        db,
        dashboard.summary_row(
            client,
            today(),
            logs=view.logs,
            programme=view.programme,
            latest=view.assessment,
            decisions=view.decisions,
        ),
    )
    charts = [{"title": c.title, "svg": Markup(c.svg)} for c in all_charts(view.charts)]
    by_log: dict[int, list[Any]] = {}
    for rec in view.recordings:
        if rec.session_log_id is not None:
            by_log.setdefault(rec.session_log_id, []).append(rec)
    ctx = {**vars(view), "charts": charts, "summary": summary, "recordings_by_log": by_log}
    ctx["safety"] = sessions.safety_view(db, client)
    ctx["weeks"] = outcomes.client_weekly_adherence(db, client)[-8:]
    ctx["unread"] = messages.unread_for(db, user, [client.id]).get(client.id, 0)
    ctx["flash"] = "Client created." if request.query_params.get("created") else None
    if request.query_params.get("cleared"):
        ctx["flash"] = "Cleared. The client can log exercise again unless something else is in force."
    return render(request, "client.html", ctx)
