"""Login (bearer token + HttpOnly session cookie + CSRF token), logout, and who am I."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy.orm import Session

from retrowalk.api.deps import CurrentUser, DbSession
from retrowalk.api.login import check_credentials, start_login
from retrowalk.api.schemas import LoginIn, LoginOut, UserOut
from retrowalk.api.security import (
    clear_session_cookies,
    client_ip,
    csrf_token_for,
    set_session_cookies,
)
from retrowalk.app.throttle import LoginThrottle, Throttled
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginOut,
    responses={401: {"description": "wrong credentials"}, 429: {"description": "too many failures"}},
)
async def login(body: LoginIn, request: Request, response: Response) -> LoginOut:
    settings: Settings = request.app.state.settings
    limiter: LoginThrottle = request.app.state.login_throttle
    ip = client_ip(request)
    ttl = timedelta(hours=settings.session_ttl_hours)
    try:
        limiter.check(body.username, ip)
        checked = await check_credentials(request, body.username, body.password)
    except Throttled as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, exc.reason, headers={"Retry-After": str(exc.retry_after)}
        ) from None
    started = await start_login(request, checked, ttl=ttl) if checked is not None else None
    if started is None:
        limiter.failed(body.username, ip)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    limiter.succeeded(body.username, ip)
    token, user = started
    csrf = csrf_token_for(request.app.state.secret_key, token)
    max_age = int(ttl.total_seconds())
    set_session_cookies(response, token, csrf, max_age=max_age, secure=settings.secure_cookies)
    return LoginOut(
        token=token, csrf_token=csrf, expires_at=datetime.now(UTC) + ttl, user=UserOut.model_validate(user)
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, user: User = CurrentUser, db: Session = DbSession) -> None:
    crud.delete_auth_session(db, request.state.session_token)
    crud.audit(db, user, "logout", "session", resource_id=user.id)
    settings: Settings = request.app.state.settings
    clear_session_cookies(response, secure=settings.secure_cookies)


@router.get("/me", response_model=UserOut)
def me(user: User = CurrentUser) -> User:
    return user
