"""The trainer's day on the web: archive a client, acknowledge a flag, the message thread.

The thread page serves both sides (trainer and the client's own account); opening it marks the
other side's messages read.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import clients, dashboard, messages
from retrowalk.app.access import client_access
from retrowalk.app.dashboard import FlagAckIn
from retrowalk.app.errors import Conflict
from retrowalk.app.messages import MessageIn
from retrowalk.app.sessions import today
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import client_form, page_user
from retrowalk.web.pages._common import form_errors, redirect, render, safe_next, text

router = APIRouter()


@router.post("/clients/{client_id}/archive")
async def archive_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer")
    archived = text(form, "archived") != "0"
    clients.set_archived(db, user, client, archived)
    back = safe_next(form.get("next"))
    return redirect(back if back != "/" else f"/?show={'archived' if archived else 'active'}")


@router.post("/clients/{client_id}/flags/ack", response_class=HTMLResponse)
async def flag_ack_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer")
    back = safe_next(form.get("next"))
    try:
        body = FlagAckIn(flag=text(form, "flag"), note=text(form, "note"))
        dashboard.acknowledge_flag(db, user, client, body, today())
    except ValidationError as exc:
        errors = form_errors(exc)
        return render(
            request,
            "flag_ack_error.html",
            {"client": client, "message": "; ".join(errors.values()), "back": back},
            code=422,
        )
    except Conflict:
        return redirect(back)
    return redirect(back)


def _thread_page(
    request: Request, client_id: int, db: Session, *, error: str = "", draft: str = ""
) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    thread = messages.open_thread(db, user, client)
    request.state.unread = 0  # just read: the navigation's count must not lag behind the page
    ctx = {
        "client": client,
        "thread": thread,
        "error": error,
        "draft": draft,
        "max_len": messages.MESSAGE_MAX,
    }
    return render(request, "messages.html", ctx, code=422 if error else 200)


@router.get("/clients/{client_id}/messages", response_class=HTMLResponse)
def thread_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    return _thread_page(request, client_id, db)


@router.post("/clients/{client_id}/messages", response_class=HTMLResponse)
async def message_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer", "client")
    try:
        body = MessageIn(body=text(form, "body"))
    except ValidationError as exc:
        return _thread_page(request, client_id, db, error=next(iter(form_errors(exc).values())))
    messages.send(db, user, client, body)
    return redirect(f"/clients/{client.id}/messages#latest")
