"""Accounts from the web: the admin page (list users, invite staff, deactivate/reactivate, send
a reset link) and a trainer's invitation / new-password link for a client.

Nobody types or sees another person's password: staff links go to the outbox only (the admin
is told that a link was sent, never the link); a client's link is shown once to their trainer
to pass on, because clients have no mail address here (:mod:`retrowalk.app.accounts`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import accounts, auth
from retrowalk.app.access import client_access, require_role
from retrowalk.app.auth import UserCreate, UserUpdate
from retrowalk.app.errors import Conflict
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession, rollback_request
from retrowalk.settings import Settings
from retrowalk.web.pages._auth import checked_form, page_user
from retrowalk.web.pages._common import form_errors, input_error_text, redirect, render, text

router = APIRouter()

#: The outcome of the last admin action, named in the redirect (never a link or a secret).
DONE = {
    "invited": "Invitation sent: the new user sets their own password through the one-time link "
    "in the outbox.",
    "reset": "Reset link sent to the user's outbox; their password is unchanged until they use it.",
    "deactivated": "Account deactivated: every login and pending link was revoked.",
    "reactivated": "Account reactivated: the user logs in afresh (old logins stay revoked).",
}


def _admin_page(
    request: Request,
    db: Session,
    admin: Any,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    code: int = 200,
) -> Response:
    users = sorted(auth.list_users(db, admin), key=lambda u: (not u.active, u.role, u.username.lower()))
    done = DONE.get(request.query_params.get("done", ""))
    ctx = {"users": users, "values": values, "errors": errors, "flash": done, "roles": ("trainer", "admin")}
    return render(request, "admin.html", ctx, code=code)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, db: Session = DbSession) -> Response:
    admin = require_role(page_user(request, db), "admin")
    return _admin_page(request, db, admin, values={}, errors={})


@router.post("/admin/users", response_class=HTMLResponse)
async def admin_invite(request: Request, db: Session = DbSession) -> Response:
    admin = require_role(page_user(request, db), "admin")
    form = await checked_form(request)
    values = {k: text(form, k) for k in ("username", "role", "display_name")}
    try:
        body = UserCreate.model_validate(values)
        settings: Settings = request.app.state.settings
        auth.create_user(db, admin, body, settings=settings, quota=request.app.state.login_limiter)
    except ValidationError as exc:
        return _admin_page(request, db, admin, values=values, errors=form_errors(exc), code=422)
    except InputError as exc:
        rollback_request(db, request)
        return _admin_page(
            request, db, admin, values=values, errors={exc.field: input_error_text(exc)}, code=422
        )
    return redirect("/admin?done=invited")


@router.post("/admin/users/{user_id}/active")
async def admin_set_active(request: Request, user_id: int, db: Session = DbSession) -> Response:
    admin = require_role(page_user(request, db), "admin")
    form = await checked_form(request)
    active = text(form, "active") == "1"
    auth.update_user(db, admin, user_id, UserUpdate(active=active))
    return redirect(f"/admin?done={'reactivated' if active else 'deactivated'}#user-{user_id}")


@router.post("/admin/users/{user_id}/reset")
async def admin_reset(request: Request, user_id: int, db: Session = DbSession) -> Response:
    admin = require_role(page_user(request, db), "admin")
    await checked_form(request)
    accounts.reset_password_of(db, request.app.state.settings, admin, user_id)
    return redirect(f"/admin?done=reset#user-{user_id}")


def _link_page(request: Request, client: Any, handed: accounts.HandedLink, purpose: str) -> Response:
    ctx = {"client": client, "handed": handed, "purpose": purpose}
    return render(request, "account_link.html", ctx)


@router.post("/clients/{client_id}/invite", response_class=HTMLResponse)
async def client_invite(request: Request, client_id: int, db: Session = DbSession) -> Response:
    """The client's login: the trainer names it; the one-time link is shown once to pass on."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    form = await checked_form(request)
    username = text(form, "username")
    try:
        state = request.app.state
        handed = accounts.invite_client(db, state.settings, user, client, username, quota=state.login_limiter)
    except (InputError, Conflict) as exc:  # a 429 past the probe quota: the app's error page
        rollback_request(db, request)
        message = input_error_text(exc) if isinstance(exc, InputError) else exc.detail
        return render(request, "account_link.html", {"client": client, "error": message}, code=422)
    return _link_page(request, client, handed, "invite")


@router.post("/clients/{client_id}/password-link", response_class=HTMLResponse)
async def client_password_link(request: Request, client_id: int, db: Session = DbSession) -> Response:
    """A new one-time password link for the client (replaces any unused one)."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    await checked_form(request)
    handed = accounts.client_reset_link(db, request.app.state.settings, user, client)
    return _link_page(request, client, handed, "reset")
