"""Login and logout pages: the one login flow of :mod:`retrowalk.app.auth`, rendered as forms."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from retrowalk.app import auth
from retrowalk.app.errors import TooManyAttempts, Unauthorised
from retrowalk.http.deps import DbSession
from retrowalk.http.security import clear_session_cookies, client_ip, csrf_token_for, set_session_cookies
from retrowalk.settings import Settings
from retrowalk.web.pages._auth import checked_form, optional_user, page_user
from retrowalk.web.pages._common import redirect, render, safe_next, text

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", db: Session = DbSession) -> Response:
    if optional_user(request, db) is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    form = await request.form()
    username = text(form, "username")
    password = form.get("password")
    nxt = safe_next(form.get("next"))
    settings: Settings = request.app.state.settings
    state = request.app.state
    ttl = timedelta(hours=settings.session_ttl_hours)
    ctx = {"username": username, "next": nxt}
    try:
        body = auth.LoginIn(username=username, password=password if isinstance(password, str) else "")
        done = await auth.login(
            state.db, state.db_gate, state.login_limiter, body, ip=client_ip(request), ttl=ttl, detail="web"
        )
    except TooManyAttempts:
        error = "Too many failed attempts. Wait a minute and try again."
        return render(request, "login.html", {**ctx, "error": error}, code=429)
    except (Unauthorised, ValueError):
        return render(request, "login.html", {**ctx, "error": "Wrong username or password."}, code=401)
    response = redirect(nxt)
    csrf = csrf_token_for(state.secret_key, done.token)
    max_age = int(ttl.total_seconds())
    set_session_cookies(response, done.token, csrf, max_age=max_age, secure=settings.secure_cookies)
    return response


@router.post("/logout")
async def logout(request: Request, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    await checked_form(request)
    auth.logout(db, user, request.state.session_token, detail="web")
    response = redirect("/login")
    settings: Settings = request.app.state.settings
    clear_session_cookies(response, secure=settings.secure_cookies)
    return response
