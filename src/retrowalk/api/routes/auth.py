"""Login (bearer token + HttpOnly session cookie + CSRF token), logout, and who am I."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from retrowalk.api.schemas import LoginIn, LoginOut, UserOut
from retrowalk.app import auth
from retrowalk.app.access import User
from retrowalk.http.deps import CurrentUser, DbSession
from retrowalk.http.security import clear_session_cookies, client_ip, csrf_token_for, set_session_cookies
from retrowalk.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginOut,
    responses={401: {"description": "wrong credentials"}, 429: {"description": "too many failures"}},
)
async def login(body: LoginIn, request: Request, response: Response) -> LoginOut:
    settings: Settings = request.app.state.settings
    ttl = timedelta(hours=settings.session_ttl_hours)
    state = request.app.state
    done = await auth.login(
        state.db, state.db_gate, state.login_limiter, body, ip=client_ip(request), ttl=ttl
    )
    csrf = csrf_token_for(state.secret_key, done.token)
    max_age = int(ttl.total_seconds())
    set_session_cookies(response, done.token, csrf, max_age=max_age, secure=settings.secure_cookies)
    return LoginOut(
        token=done.token, csrf_token=csrf, expires_at=done.expires_at, user=UserOut.model_validate(done.user)
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, user: User = CurrentUser, db: Session = DbSession) -> None:
    auth.logout(db, user, request.state.session_token)
    settings: Settings = request.app.state.settings
    clear_session_cookies(response, secure=settings.secure_cookies)


@router.get("/me", response_model=UserOut)
def me(user: User = CurrentUser) -> User:
    return user
