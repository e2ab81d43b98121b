"""Logging in and out, and managing logins: one flow for the web form and the REST route.

Why the two-step login: argon2 takes about 0.1 s per check. On SQLite every request takes its
turn at the database (the edges' request gate), so a login that checked its password inside its
turn stalled every other request for that long. Here the stored hash is read in one short turn,
the password is checked with no turn held, and the login is recorded in a second short turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app.access import MAX_ID
from retrowalk.app.errors import Conflict, NotFound, Unauthorised
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.db import Database
from retrowalk.storage.models import AuditEntry, User

if TYPE_CHECKING:
    from retrowalk.app.accounts import ProbeQuota

#: The one password policy (API, web form, CLI).
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]+$"

Username = Annotated[str, Field(min_length=3, max_length=64, pattern=USERNAME_PATTERN)]
Password = Annotated[
    str,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"At least {PASSWORD_MIN_LENGTH} characters.",
    ),
]
StaffRole = Literal["admin", "trainer"]
T = TypeVar("T")


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class Gate(Protocol):
    """The edge's database turn (see ``retrowalk.http.deps.RequestGate``)."""

    def turn(self) -> AbstractAsyncContextManager[None]: ...


class Limiter(Protocol):
    """Login limits (:class:`retrowalk.app.throttle.LoginThrottle`): failures per (username,
    address), per address and per username, and a bound on concurrent password hashes."""

    def attempt(self, username: str, ip: str) -> AbstractContextManager[None]: ...
    def failed(self, username: str, ip: str) -> None: ...
    def succeeded(self, username: str, ip: str) -> None: ...
    def hashing_slot(self) -> AbstractAsyncContextManager[None]: ...
    async def run_hash(self, fn: Callable[..., T], *args: Any) -> T: ...


@dataclass(frozen=True)
class LoggedIn:
    token: str
    user: User
    expires_at: datetime


async def login(
    database: Database,
    gate: Gate,
    limiter: Limiter,
    body: LoginIn,
    *,
    ip: str,
    ttl: timedelta,
    detail: str = "",
) -> LoggedIn:
    """Check the password and start a login (new token, audit row).

    Raises :class:`TooManyAttempts` while the limiter holds this (username, ip) back and
    :class:`Unauthorised` for a wrong or inactive login.
    """

    def read() -> tuple[int, str, bool] | None:
        with database.transaction() as db:
            return crud.login_candidate(db, body.username)

    def record(user_id: int, new_hash: str | None) -> tuple[str, User] | None:
        with database.transaction() as db:
            user = db.get(User, user_id)
            if user is None or not user.active:
                return None
            if new_hash is not None:
                user.password_hash = new_hash
            token = crud.create_auth_session(db, user, ttl=ttl)
            crud.audit(db, user, "login", "session", resource_id=user.id, detail=detail)
            return token, user

    # TooManyAttempts before any hashing; the attempt counts against the limits until it ends
    # (its failure, if it fails, is recorded before that).
    with limiter.attempt(body.username, ip):
        # A hashing slot first: excess attempts are refused (429) before they queue for the
        # database or cost a hash; hashes run on the limiter's own lower-priority threads.
        async with limiter.hashing_slot():
            async with gate.turn():
                candidate = await anyio.to_thread.run_sync(read)
            checked = await limiter.run_hash(crud.check_password, candidate, body.password)
        started = None
        if checked is not None:
            async with gate.turn():
                started = await anyio.to_thread.run_sync(record, *checked)
        if started is None:
            limiter.failed(body.username, ip)
            raise Unauthorised("wrong username or password")
        limiter.succeeded(body.username, ip)
    return LoggedIn(token=started[0], user=started[1], expires_at=datetime.now(UTC) + ttl)


def logout(db: Session, user: User, token: str, *, detail: str = "") -> None:
    crud.delete_auth_session(db, token)
    crud.audit(db, user, "logout", "session", resource_id=user.id, detail=detail)


# --- user administration (admins) ---------------------------------------------------------------


class UserCreate(BaseModel):
    """An admin or trainer account; its owner sets the password through a one-time link."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    role: StaffRole
    display_name: str = Field(default="", max_length=200)


class UserUpdate(BaseModel):
    """Admins change names and activity, never passwords (``app.accounts``: one-time links)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    active: bool | None = None


def list_users(db: Session, admin: User) -> Sequence[User]:
    crud.audit(db, admin, "read", "users")
    return crud.list_users(db)


def create_user(db: Session, admin: User, body: UserCreate, *, settings: Settings, quota: ProbeQuota) -> User:
    """Invite: the new user sets their own password through a one-time link (audited)."""
    from retrowalk.app import accounts

    user, _delivery = accounts.invite(
        db, settings, admin, body.username, body.role, quota=quota, display_name=body.display_name
    )
    return user


def _user_or_404(db: Session, user_id: int) -> User:
    user = crud.get_user(db, user_id) if 1 <= user_id <= MAX_ID else None
    if user is None:
        raise NotFound("user not found")
    return user


def get_user(db: Session, admin: User, user_id: int) -> User:
    user = _user_or_404(db, user_id)
    crud.audit(db, admin, "read", "user", resource_id=user.id)
    return user


def update_user(db: Session, admin: User, user_id: int, body: UserUpdate) -> User:
    user = _user_or_404(db, user_id)
    if body.active is False and user.id == admin.id:
        raise Conflict("an administrator cannot deactivate themselves")
    from retrowalk.app import accounts

    if body.display_name is not None:
        user.display_name = body.display_name
        crud.audit(db, admin, "update", "user", resource_id=user.id, detail="display_name")
    if body.active is not None:
        accounts.set_active(db, admin, user, body.active)  # deactivation revokes every token
    return user


def read_audit(
    db: Session, user: User, *, client_id: int | None = None, limit: int = 200
) -> Sequence[AuditEntry]:
    """The audit trail: all of it for an admin, one client's for their trainer (checked by caller)."""
    rows = crud.list_audit(db, client_id=client_id, limit=limit)
    crud.audit(db, user, "read", "audit", client_id=client_id)
    return rows


def user_for_token(db: Session, token: str) -> User | None:
    """The active user of an unexpired login (runs on every request)."""
    return crud.user_for_token(db, token)


def configure_password_hashing(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the argon2id cost for new hashes (the server does this once at start-up)."""
    crud.configure_password_hashing(time_cost=time_cost, memory_kib=memory_kib, parallelism=parallelism)
