"""Logging in without holding up other requests.

argon2 takes about 0.1 s per check. On SQLite every request takes its turn at the database
(:class:`~retrowalk.api.deps.RequestGate`), so a login that checked its password inside its turn
stalled every other request for that long. Here the stored hash is read in one short turn, the
password is checked with no turn held, and the login is recorded in a second short turn. A login
holds one of the bounded hashing slots (:mod:`retrowalk.app.throttle`) throughout.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from retrowalk.api.deps import RequestGate
from retrowalk.app.throttle import LoginThrottle
from retrowalk.storage import crud
from retrowalk.storage.db import Database
from retrowalk.storage.models import User


async def check_credentials(request: Request, username: str, password: str) -> tuple[int, str | None] | None:
    """(user id, upgraded hash or None) for a right password of an active user, else None."""
    database: Database = request.app.state.db
    gate: RequestGate = request.app.state.db_gate

    def read() -> tuple[int, str, bool] | None:
        with database.transaction() as db:
            return crud.login_candidate(db, username)

    throttle: LoginThrottle = request.app.state.login_throttle
    # The slot first: excess attempts are refused before they queue for the database (where
    # they would delay every other request) and before any hashing (memory, CPU).
    async with throttle.hashing_slot():
        async with gate.turn():
            candidate = await run_in_threadpool(read)
        return await throttle.run_hash(crud.check_password, candidate, password)


async def start_login(
    request: Request, checked: tuple[int, str | None], *, ttl: timedelta, detail: str = ""
) -> tuple[str, User] | None:
    """Record the login (new session token, audit row); None if the user went inactive meanwhile."""
    database: Database = request.app.state.db
    gate: RequestGate = request.app.state.db_gate
    user_id, new_hash = checked

    def record() -> tuple[str, User] | None:
        with database.transaction() as db:
            user = db.get(User, user_id)
            if user is None or not user.active:
                return None
            if new_hash is not None:
                user.password_hash = new_hash
            token = crud.create_auth_session(db, user, ttl=ttl)
            crud.audit(db, user, "login", "session", resource_id=user.id, detail=detail)
            return token, user

    async with gate.turn():
        return await run_in_threadpool(record)
