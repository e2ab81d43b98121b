"""Account management that never lets an administrator take an account over.

Admins see no clinical data, so they must not be able to become someone who does. They never
choose or learn another user's password: a reset or an invitation creates a **one-time link**
(its secret stored only as a SHA-256, expiring after ``account_link_ttl_hours``, usable once)
that is delivered to the user, not shown to the admin. Delivery writes the message into the
outbox folder ``data_dir/outbox`` (mode 0600) for the deployment's mail relay to send. Every
admin action is audited. Deactivation revokes every login and every pending link at once, so a
later reactivation revives nothing: the user logs in afresh.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from retrowalk.app.access import MAX_ID, require_role
from retrowalk.app.auth import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from retrowalk.app.errors import Conflict, Forbidden, NotFound
from retrowalk.core.vocab import ContactEmail, ContactPhone
from retrowalk.errors import InputError
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.models import AccountToken, AuthSession, Client, User

#: The new usernames accepted (the one pattern of ``app.auth``, with its length).
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{3,64}$"
#: The one answer to a username that cannot be had, taken or not: no probe learns which.
USERNAME_UNAVAILABLE = "this username cannot be used; choose another"
PURPOSES = ("reset", "invite")


class LinkInvalid(InputError):
    """The one-time link is unknown, used, expired or its user inactive (one answer for all)."""

    def __init__(self) -> None:
        super().__init__("token", "this link is invalid or has expired", hint="ask for a new link")


@dataclass(frozen=True)
class Delivery:
    """Where a link went (never the link itself: the caller is the admin)."""

    user_id: int
    purpose: str
    expires_at: datetime


class ProbeQuota(Protocol):
    """The per-account quota on username probes (:class:`retrowalk.app.throttle.LoginThrottle`)."""

    def probing_username(self, account_id: int) -> AbstractContextManager[None]: ...
    def username_probe_failed(self, account_id: int) -> None: ...


@contextmanager
def username_probe(quota: ProbeQuota, caller: User) -> Iterator[None]:
    """Any step that tells ``caller`` whether a username exists (a new login's name, a trainer to
    share a client with): refused with 429 once the caller's quota of unavailable names is used
    up, and a refusal inside (InputError, NotFound) counts against it. One rule, web and API."""
    with quota.probing_username(caller.id):
        try:
            yield
        except (InputError, NotFound):
            quota.username_probe_failed(caller.id)
            raise


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"at most {PASSWORD_MAX_LENGTH} characters"
    return None


def check_new_username(db: Session, username: str, *, caller: User, quota: ProbeQuota) -> None:
    """InputError naming ``username`` when it cannot be had, with the same words whether it is
    malformed or taken (so a probe learns nothing from the wording), and at most the caller's
    quota of such answers (:func:`username_probe`)."""
    with username_probe(quota, caller):
        malformed = not re.fullmatch(USERNAME_PATTERN, username)
        if malformed or crud.get_user_by_username(db, username) is not None:
            raise InputError("username", USERNAME_UNAVAILABLE, hint="3-64 letters, digits or . _ @ -")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _deliver(settings: Settings, user: User, purpose: str, link: str, expires_at: datetime) -> None:
    """Write the message for the mail relay (one file, owner-only, written atomically)."""
    outbox = Path(settings.data_dir) / "outbox"
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    what = "reset your retrowalk password" if purpose == "reset" else "set up your retrowalk account"
    text = (
        f"To: {user.username}\nSubject: retrowalk: {what}\n\n"
        f"Open this link to {what} (it works once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = outbox / f"{stamp}-{user.id}-{purpose}-{secrets.token_hex(4)}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _issue(db: Session, settings: Settings, admin: User | None, user: User, purpose: str) -> Delivery:
    return _issue_link(db, settings, admin, user, purpose)[0]


def _issue_link(
    db: Session, settings: Settings, admin: User | None, user: User, purpose: str
) -> tuple[Delivery, str]:
    # A new link replaces any earlier unused one of the same purpose.
    db.execute(
        delete(AccountToken).where(
            AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=settings.account_link_ttl_hours)
    db.add(
        AccountToken(
            token_hash=_hash(token),
            user_id=user.id,
            purpose=purpose,
            created_by=admin.id if admin else None,
            created_at=now,
            expires_at=expires,
        )
    )
    db.flush()
    link = f"{settings.public_base_url.rstrip('/')}/account/password?token={token}"
    _deliver(settings, user, purpose, link, expires)
    return Delivery(user.id, purpose, expires), link


def request_password_reset(db: Session, settings: Settings, admin: User, user: User) -> Delivery:
    """Send ``user`` a one-time reset link; the admin never sees it. Existing logins stay until
    the link is used (then :func:`redeem` logs the user out everywhere)."""
    delivery = _issue(db, settings, admin, user, "reset")
    crud.audit(db, admin, "password_reset", "user", resource_id=user.id, detail="one-time link sent")
    return delivery


def reset_password_of(db: Session, settings: Settings, admin: User, user_id: int) -> tuple[User, Delivery]:
    """:func:`request_password_reset` for a user id: NotFound, or Conflict while inactive."""
    user = crud.get_user(db, user_id) if 1 <= user_id <= MAX_ID else None
    if user is None:
        raise NotFound("user not found")
    if not user.active:
        raise Conflict("reactivate the user first")
    return user, request_password_reset(db, settings, admin, user)


def invite(
    db: Session,
    settings: Settings,
    admin: User,
    username: str,
    role: str,
    *,
    quota: ProbeQuota,
    display_name: str = "",
) -> tuple[User, Delivery]:
    """A new admin or trainer account that only its owner can open (via the invitation link)."""
    if role not in ("admin", "trainer"):
        raise InputError("role", f"{role!r} cannot be invited", hint="admin or trainer; trainers add clients")
    check_new_username(db, username, caller=admin, quota=quota)
    # An unknown random password: nobody can log in until the invitation is used.
    user = crud.create_user(db, username, secrets.token_urlsafe(32), role, display_name=display_name)
    delivery = _issue(db, settings, admin, user, "invite")
    crud.audit(db, admin, "invite", "user", resource_id=user.id, detail=f"role={role}")
    return user, delivery


def redeem(db: Session, token: str, new_password: str) -> User:
    """Set the password through a one-time link; the link dies and every login is revoked."""
    problem = password_problem(new_password)
    if problem is not None:
        raise InputError("password", problem)
    now = datetime.now(UTC)
    row = db.scalar(select(AccountToken).where(AccountToken.token_hash == _hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise LinkInvalid
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise LinkInvalid
    # Mark used with a guarded UPDATE: of two concurrent redemptions only one wins.
    used = db.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 1) != 1:
        raise LinkInvalid
    crud.set_password(db, user, new_password)  # also logs the user out everywhere
    crud.audit(db, user, "update", "user", resource_id=user.id, detail=f"password set via {row.purpose} link")
    return user


def revoke_all(db: Session, user: User) -> None:
    """Every login token and every pending link of ``user``, at once."""
    db.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    db.execute(delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None)))


def set_active(db: Session, admin: User, user: User, active: bool) -> None:
    """Deactivate (revoking every token) or reactivate (reviving none); audited either way."""
    if not active and user.id == admin.id:
        raise InputError("active", "an administrator cannot deactivate themselves")
    if user.active == active:
        return
    user.active = active
    if not active:
        revoke_all(db, user)
    db.flush()
    detail = (
        "deactivated; all logins and links revoked" if not active else "reactivated; old logins stay revoked"
    )
    crud.audit(db, admin, "update", "user", resource_id=user.id, detail=detail)


@dataclass(frozen=True)
class HandedLink:
    """A client's one-time link, shown once to their trainer to pass on (clients have no mail
    address here); the same message also goes to the outbox."""

    user: User
    link: str
    expires_at: datetime


def _trainer_of(trainer: User, client: Client) -> None:
    if trainer.role != "trainer" or all(t.id != trainer.id for t in client.trainers):
        raise Forbidden("only the client's trainer can send their links")


def invite_client(
    db: Session, settings: Settings, trainer: User, client: Client, username: str, *, quota: ProbeQuota
) -> HandedLink:
    """The client's own login, opened only by the client through a one-time invitation link:
    the trainer chooses the username, never the password."""
    _trainer_of(trainer, client)
    if client.account is not None:
        raise Conflict("this client already has a login; send a new password link instead")
    check_new_username(db, username, caller=trainer, quota=quota)
    user = crud.create_user(
        db, username, secrets.token_urlsafe(32), "client", display_name=client.name, client_id=client.id
    )
    delivery, link = _issue_link(db, settings, trainer, user, "invite")
    crud.audit(db, trainer, "invite", "user", resource_id=user.id, client_id=client.id, detail="role=client")
    return HandedLink(user, link, delivery.expires_at)


def client_reset_link(db: Session, settings: Settings, trainer: User, client: Client) -> HandedLink:
    """A one-time link for the client to choose a new password (the old one works until then)."""
    _trainer_of(trainer, client)
    user = client.account
    if user is None:
        raise Conflict("this client has no login yet; invite them first")
    if not user.active:
        raise Conflict("this login is deactivated; ask an administrator")
    delivery, link = _issue_link(db, settings, trainer, user, "reset")
    crud.audit(
        db,
        trainer,
        "password_reset",
        "user",
        resource_id=user.id,
        client_id=client.id,
        detail="link handed over",
    )
    return HandedLink(user, link, delivery.expires_at)


# --- the trainer's own account: how clients reach them ---------------------------------------------


class ContactIn(BaseModel):
    """The trainer's contact as printed on the client's handout (either may be left empty)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact_phone: ContactPhone | None = None
    contact_email: ContactEmail | None = None

    @field_validator("contact_phone", "contact_email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def set_contact(db: Session, user: User, body: ContactIn) -> User:
    """Store the trainer's phone and e-mail (audited; the values are not copied into the log)."""
    require_role(user, "trainer")
    user.contact_phone = body.contact_phone
    user.contact_email = body.contact_email
    db.flush()
    crud.audit(db, user, "update", "user", resource_id=user.id, detail="contact")
    return user


def contact_text(user: User) -> str:
    """The contact as one line for print: 'phone · e-mail' (empty when neither is set)."""
    return " · ".join(v for v in (user.contact_phone, user.contact_email) if v)
