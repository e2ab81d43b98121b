"""Account pages: the trainer's own account (contact printed on the handout), and the page behind a
one-time link (password reset or invitation): choose a password, then log in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import accounts
from retrowalk.app.access import require_role
from retrowalk.core.vocab import field_messages
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession, rollback_request
from retrowalk.web.pages._auth import checked_form, page_user
from retrowalk.web.pages._common import redirect, text
from retrowalk.web.pages._common import render as _render

router = APIRouter()
CONTACT_FIELDS = {"contact_phone": "Phone", "contact_email": "E-mail"}


@router.get("/account")
def account_page(request: Request, db: Session = DbSession) -> Response:
    user = require_role(page_user(request, db), "trainer")
    values = {f: getattr(user, f) or "" for f in CONTACT_FIELDS}
    saved = request.query_params.get("saved") == "1"
    ctx = {"values": values, "errors": {}, "flash": "Contact saved." if saved else None}
    return _render(request, "account.html", ctx)


@router.post("/account")
async def account_submit(request: Request, db: Session = DbSession) -> Response:
    user = require_role(page_user(request, db), "trainer")
    form = await checked_form(request)
    values = {f: text(form, f) for f in CONTACT_FIELDS}
    try:
        accounts.set_contact(db, user, accounts.ContactIn.model_validate(values))
    except ValidationError as exc:
        rollback_request(db, request)
        errors = {
            k: f"{CONTACT_FIELDS.get(k, k)}: {m.removeprefix('Value error, ')}"
            for k, m in field_messages(exc).items()
        }
        return _render(request, "account.html", {"values": values, "errors": errors}, code=422)
    return redirect("/account?saved=1")


@router.get("/account/password")
def password_page(request: Request, token: str = "") -> Response:
    return _render(request, "account_password.html", {"token": token[:200], "error": None})


@router.post("/account/password")
async def password_submit(request: Request, db: Session = DbSession) -> Response:
    form = await request.form()
    token = str(form.get("token") or "")[:200]
    password = str(form.get("password") or "")
    try:
        if password != str(form.get("confirm") or ""):
            raise InputError("confirm", "the two passwords differ")
        accounts.redeem(db, token, password)
    except InputError as exc:
        rollback_request(db, request)
        ctx = {"token": token, "error": f"{exc.message}" + (f" ({exc.hint})" if exc.hint else "")}
        return _render(request, "account_password.html", ctx, code=422)
    return RedirectResponse("/login?password=set", status_code=303)
