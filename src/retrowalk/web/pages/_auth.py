"""Page authentication: the same cookie session, token lookup, CSRF token and client-access rule
as the REST API (:mod:`retrowalk.http`, :mod:`retrowalk.app.access`), with browser-friendly
failures: an anonymous visitor is redirected to the login page instead of getting 401, and HTML
forms send the CSRF token as a hidden ``csrf_token`` field instead of a header.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException, Request, status
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from retrowalk.app import auth, messages
from retrowalk.app.access import Client, User, client_access
from retrowalk.http.deps import read_credentials
from retrowalk.http.security import csrf_ok, csrf_token_for


class LoginRedirect(HTTPException):
    """303 to the login page; browsers follow it whatever the body says."""

    def __init__(self, next_path: str) -> None:
        super().__init__(
            status.HTTP_303_SEE_OTHER,
            "log in first",
            headers={"Location": f"/login?next={quote(next_path, safe='/')}"},
        )


def optional_user(request: Request, db: Session) -> User | None:
    creds = read_credentials(request)
    if creds is None:
        return None
    user = auth.user_for_token(db, creds.token)
    if user is not None:
        request.state.user = user
        request.state.session_token = creds.token
    return user


def page_user(request: Request, db: Session) -> User:
    user = optional_user(request, db)
    if user is None:
        raise LoginRedirect(request.url.path)
    if user.role == "client" and user.client_id is not None:
        # the client's navigation shows their unread messages on every page
        request.state.unread = messages.unread_for(db, user, [user.client_id]).get(user.client_id, 0)
    return user


async def client_form(
    request: Request, db: Session, client_id: int, *roles: str
) -> tuple[User, Client, FormData]:
    """Who posts, the client they may act for (``roles``, the access rule) and the CSRF-checked
    form: the first step of every page that posts about one client."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, *roles)
    return user, client, await checked_form(request)


def csrf_token(request: Request) -> str:
    token: str | None = getattr(request.state, "session_token", None)
    if token is None:
        return ""
    secret: bytes = request.app.state.secret_key
    return csrf_token_for(secret, token)


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def receive_form_first(request: Request) -> None:
    """Receive a posted form before the request queues for the database (a router dependency, so
    it runs first): an upload arriving over a slow connection must not hold the database turn,
    and with it every other request, while its bytes trickle in. The parsed form is cached on the
    request for :func:`checked_form`."""
    if request.method == "POST" and request.headers.get("content-type", "").startswith(FORM_TYPES):
        await request.form()


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matched the login (403 otherwise)."""
    form = await request.form()
    token: str | None = getattr(request.state, "session_token", None)
    presented = form.get("csrf_token")
    secret: bytes = request.app.state.secret_key
    if token is None or not isinstance(presented, str) or not csrf_ok(secret, token, presented):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "form expired or forged (CSRF); reload the page")
    return form


async def trainer_form(request: Request, db: Session, client_id: int) -> tuple[User, Client, FormData]:
    """:func:`client_form` for a control only the client's trainer may use."""
    return await client_form(request, db, client_id, "trainer")
