"""The page behind a one-time link (password reset or invitation): choose a password, then log in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from retrowalk.app import accounts
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession, rollback_request
from retrowalk.web.pages._common import render as _render

router = APIRouter()


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
