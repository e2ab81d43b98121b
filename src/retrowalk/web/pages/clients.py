"""Client pages: a new client (with their login), the client's record (its PDFs: ``handout.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
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
from retrowalk.reports import charts as outcome_charts
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
    # each chart is its own URL, versioned by what it draws: not drawn here; the browser fetches
    # them in parallel and keeps them until the data changes (see client_chart)
    charts = outcome_charts.chart_texts(view.charts)
    by_log: dict[int, list[Any]] = {}
    for rec in view.recordings:
        if rec.session_log_id is not None:
            by_log.setdefault(rec.session_log_id, []).append(rec)
    ctx = {**vars(view), "charts": charts, "summary": summary, "recordings_by_log": by_log}
    ctx["safety"] = sessions.safety_view(db, client, judged=(view.next_session, view.programme))
    ctx["weeks"] = outcomes.client_weekly_adherence(db, client)[-8:]
    ctx["unread"] = messages.unread_for(db, user, [client.id]).get(client.id, 0)
    ctx["flash"] = "Client created." if request.query_params.get("created") else None
    if request.query_params.get("cleared"):
        ctx["flash"] = "Cleared. The client can log exercise again unless something else is in force."
    return render(request, "client.html", ctx)


#: A chart URL with its current ``v`` never changes: kept by the browser only (health data), for
#: a day (a browser shared by several staff keeps less), then revalidated (a cheap 304).
CHART_IMMUTABLE = "private, max-age=86400, immutable"
#: A cached chart is reused only by the same login: another session's request reaches the server
#: and its access check.
CHART_VARY = "Cookie, Authorization"


@router.get("/clients/{client_id}/charts/{name}.svg")
def client_chart(request: Request, client_id: int, name: str, db: Session = DbSession) -> Response:
    """One outcome chart of the client page, for whoever may open that page (404 otherwise).

    ``?v=`` is the chart's version (:func:`~retrowalk.reports.charts.chart_version`), which the
    page puts in the URL: a URL with the current version is cached as immutable, and a browser
    revalidating it (``If-None-Match`` equal to ``v``) gets 304 without the data being read,
    since that URL can only ever mean that drawing. Without ``v``, or with an old one, the
    current chart comes back with its ETag and ``no-cache``. Audited as a read when drawn.
    """
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    asked = request.query_params.get("v", "")
    etags = {
        t.strip().removeprefix("W/").strip('"') for t in request.headers.get("if-none-match", "").split(",")
    }
    if asked and asked in etags and name in outcome_charts.CHART_KEYS:
        headers = {"ETag": f'"{asked}"', "Cache-Control": CHART_IMMUTABLE, "Vary": CHART_VARY}
        return Response(status_code=304, headers=headers)
    read = outcomes.read_chart(db, user, client, name, have=etags)
    headers = {
        "ETag": f'"{read.version}"',
        "Cache-Control": CHART_IMMUTABLE if asked == read.version else "private, no-cache",
        "Vary": CHART_VARY,
    }
    if read.chart is None:
        return Response(status_code=304, headers=headers)
    return Response(read.chart.svg, media_type="image/svg+xml", headers=headers)
