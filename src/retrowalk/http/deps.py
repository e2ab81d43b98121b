"""Request dependencies shared by the REST routes and the web pages: the per-request
transaction, the caller (anonymous → 401 everywhere except login and health), and the client
named in the path, checked by the one access rule in :mod:`retrowalk.app.access`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from fastapi import Depends, HTTPException, Path, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from retrowalk.app import access, auth
from retrowalk.app.access import Client, User
from retrowalk.http.security import CSRF_HEADER, SESSION_COOKIE, csrf_ok
from retrowalk.storage.db import BUSY_TIMEOUT_S, Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestGate:
    """Lets one request at a time into a SQLite database, queueing the rest on the event loop.

    SQLite has a single writer, and every request here writes (at least its audit row), so the
    requests of one process run their database work in turn anyway. Queueing them on an asyncio
    lock — before any worker thread is taken — keeps that turn-taking fair and cheap. Without it
    a request holding the write lock between two worker-thread steps can find every worker thread
    taken by requests blocked on that same lock, and 40 threads contend for the GIL. PostgreSQL
    needs no gate.
    """

    def __init__(self, enabled: bool, timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.enabled = enabled
        self.timeout_s = timeout_s
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if not self.enabled:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout_s)
        except TimeoutError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the database is busy; retry shortly",
                headers={"Retry-After": "1"},
            ) from None
        try:
            yield
        finally:
            lock.release()


def rollback_request(session: Session, request: Request) -> None:
    """Roll back the request's transaction and run its :func:`on_rollback` undos (once)."""
    session.rollback()
    for undo in getattr(request.state, "on_rollback", []):
        undo()  # e.g. delete an uploaded file whose database row was never committed
    request.state.on_rollback = []


def _finish(session: Session, request: Request, *, commit: bool) -> None:
    """Commit (or roll back) and close, in one worker-thread step."""
    with session:
        if commit:
            try:
                session.commit()
                return
            except BaseException:
                rollback_request(session, request)
                raise
        rollback_request(session, request)


async def _get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on any error."""
    database: Database = request.app.state.db
    gate: RequestGate = request.app.state.db_gate
    async with gate.turn():
        session = database.sessionmaker()
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_finish, session, request, commit=False)
            raise
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_finish, session, request, commit=True)


#: ``scope="function"`` makes FastAPI run the commit before it sends the response, so a 2xx
#: always means the write is durable.
DbSession = Depends(_get_db, scope="function")


@dataclass(frozen=True)
class Credentials:
    token: str
    via_cookie: bool


def read_credentials(request: Request) -> Credentials | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return Credentials(value.strip(), via_cookie=False)
        return None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return Credentials(cookie, via_cookie=True)
    return None


def _unauthorised(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate_request(request: Request, db: Session) -> User:
    """The logged-in user, looked up once per request; cookie logins must also present the CSRF
    token on state changes."""
    cached: User | None = getattr(request.state, "api_user", None)
    if cached is not None:
        return cached
    creds = read_credentials(request)
    if creds is None:
        raise _unauthorised()
    user = auth.user_for_token(db, creds.token)
    if user is None:
        raise _unauthorised("session expired or invalid; log in again")
    if creds.via_cookie and request.method not in SAFE_METHODS:
        secret: bytes = request.app.state.secret_key
        if not csrf_ok(secret, creds.token, request.headers.get(CSRF_HEADER)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    request.state.user = user
    request.state.session_token = creds.token
    # Only set here, after the token and CSRF checks (pages set ``state.user`` on their own).
    request.state.api_user = user
    return user


async def get_current_user(request: Request, db: Session = DbSession) -> User:
    """The logged-in user. Async so that a route whose client-access check already looked the
    user up (in the same worker-thread step) does not pay for another thread hop."""
    cached: User | None = getattr(request.state, "api_user", None)
    if cached is not None:
        return cached
    return await run_in_threadpool(authenticate_request, request, db)


CurrentUser = Depends(get_current_user)


def on_rollback(request: Request, undo: Callable[[], None]) -> None:
    """Run ``undo`` if this request's transaction is rolled back (files written outside the DB)."""
    if not hasattr(request.state, "on_rollback"):
        request.state.on_rollback = []
    request.state.on_rollback.append(undo)


def require_role(*roles: str) -> Callable[..., Awaitable[User]]:
    async def dependency(user: User = CurrentUser) -> User:
        return access.require_role(user, *roles)

    return dependency


def require_client_access(*roles: str) -> Callable[..., Client]:
    """The client named by the ``client_id`` path parameter, if the caller may act on it.

    Unknown or foreign client → 404 (never reveal that it exists); a visible client but an
    action the caller's role may not take (e.g. a client account posting an assessment) → 403.
    """

    def dependency(
        request: Request,
        client_id: int = Path(ge=1, le=2**31 - 1),
        db: Session = DbSession,
    ) -> Client:
        # Authentication and the access check share one worker-thread step.
        return access.client_access(db, authenticate_request(request, db), client_id, *roles)

    return dependency


TrainerOnly = Depends(require_client_access("trainer"))
TrainerOrSelf = Depends(require_client_access("trainer", "client"))
