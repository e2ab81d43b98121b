"""Request dependencies shared by the REST routes and the web pages: the per-request
transaction, the caller (anonymous → 401 everywhere except login and health), and the client
named in the path, checked by the one access rule in :mod:`retrowalk.app.access`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Path, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from retrowalk.app import access, auth
from retrowalk.app.access import MAX_ID, Client, User
from retrowalk.http.security import CSRF_HEADER, SESSION_COOKIE, csrf_ok
from retrowalk.storage.db import BUSY_TIMEOUT_S, Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TurnLock:
    """An asyncio lock handed over in order, except that a request coming back from work done
    outside its turn (:meth:`RequestGate.released`) goes first: it already queued once, and it
    holds a worker thread while it waits."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._returning: collections.deque[asyncio.Future[None]] = collections.deque()

    def locked(self) -> bool:
        return self._held

    async def acquire(self, *, returning: bool = False) -> None:
        if not self._held and not self._waiting and not self._returning:
            self._held = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._returning if returning else self._waiting
        queue.append(future)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self.release()  # handed the turn just as we gave up: pass it on
            else:
                future.cancel()
                with contextlib.suppress(ValueError):
                    queue.remove(future)
            raise

    def release(self) -> None:
        """Hand the turn to the next waiter (returning ones first), or free it."""
        for queue in (self._returning, self._waiting):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)
                    return
        self._held = False


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
        self._parked = 0
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, TurnLock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> TurnLock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = TurnLock()
        return lock

    async def _acquire(self) -> None:
        try:
            await asyncio.wait_for(self._lock().acquire(), self.timeout_s)
        except TimeoutError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the database is busy; retry shortly",
                headers={"Retry-After": "1"},
            ) from None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if not self.enabled:
            yield
            return
        await self._acquire()
        try:
            yield
        finally:
            self._lock().release()

    @contextmanager
    def released(self) -> Iterator[None]:
        """From a route's worker thread that holds the turn: give it up for a while (CPU-heavy
        work), then queue for it again. The caller must have ended its transaction first.

        A thread parked here holds a worker-thread token while it waits to get the turn back, and
        the request holding the turn may need a token to go on: so at most all tokens but two are
        ever parked; past that the work runs with the turn kept (as before), never deadlocking.
        """
        if not self.enabled or not anyio.from_thread.run_sync(self._park):
            yield
            return
        try:
            yield
        finally:
            # No timeout here: the request must get its turn back to finish (and the enclosing
            # turn() releases exactly what it holds).
            anyio.from_thread.run(self._unpark)

    def _park(self) -> bool:
        """On the event loop: give up the turn if a worker thread would still be free."""
        tokens = anyio.to_thread.current_default_thread_limiter().total_tokens
        if self._parked >= tokens - 2:
            return False
        self._parked += 1
        self._lock().release()
        return True

    async def _unpark(self) -> None:
        await self._lock().acquire(returning=True)
        self._parked -= 1


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
    """One transaction per request: committed before the response is sent, rolled back on any error.

    A route that committed in its own worker-thread step (:class:`ClientStep`) leaves nothing to
    finish: the session is closed here, on the event loop, without another thread hop.
    """
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
        if not session.in_transaction():
            session.close()  # committed and closed in the route's step: no I/O left
            return
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


def row_id() -> Any:
    """A row id in the path: 1 to the largest stored key, so an overlong one is a 422, never a 500.

    A new ``Path`` per parameter: FastAPI writes the parameter's name into the one it is given.
    """
    return Path(ge=1, le=MAX_ID)


def _caller_and_client(
    request: Request, db: Session, client_id: int, roles: tuple[str, ...]
) -> tuple[User, Client]:
    """The authenticated caller and the path's client, by the one access rule."""
    user = authenticate_request(request, db)
    return user, access.client_access(db, user, client_id, *roles)


def require_client_access(*roles: str) -> Callable[..., Client]:
    """The client named by the ``client_id`` path parameter, if the caller may act on it.

    Unknown or foreign client → 404 (never reveal that it exists); a visible client but an
    action the caller's role may not take (e.g. a client account posting an assessment) → 403.
    """

    def dependency(
        request: Request,
        client_id: int = row_id(),
        db: Session = DbSession,
    ) -> Client:
        # Authentication and the access check share one worker-thread step.
        return _caller_and_client(request, db, client_id, roles)[1]

    return dependency


TrainerOnly = Depends(require_client_access("trainer"))
TrainerOrSelf = Depends(require_client_access("trainer", "client"))

T = TypeVar("T")


@dataclass(frozen=True)
class ClientStep:
    """The caller, the client in the path and the request's transaction, used in ONE worker-thread
    step: authenticate, check access (the same rule as :func:`require_client_access`), do the
    work, commit.

    For the busiest writes (a session log): the separate dependencies cost a thread hop each
    (access check, route, commit), and on SQLite's one-at-a-time gate every hop is time the
    database waits. The commit still happens before the response, so a 2xx is durable.
    """

    request: Request
    db: Session
    client_id: int
    roles: tuple[str, ...]

    async def run(self, work: Callable[[Session, User, Client], T]) -> T:
        return await run_in_threadpool(self._step, work)

    def _step(self, work: Callable[[Session, User, Client], T]) -> T:
        done = work(self.db, *_caller_and_client(self.request, self.db, self.client_id, self.roles))
        _finish(self.db, self.request, commit=True)
        return done


def client_step(*roles: str) -> Callable[..., Awaitable[ClientStep]]:
    """A :class:`ClientStep` for the ``client_id`` path parameter and these roles."""

    # async: building the step must not take a worker thread of its own
    async def dependency(request: Request, client_id: int = row_id(), db: Session = DbSession) -> ClientStep:
        return ClientStep(request, db, client_id, roles)

    return dependency


TrainerOrSelfStep = Depends(client_step("trainer", "client"))
