"""Account links over HTTP: admins send reset links (invitations: POST /users); the owner sets the password.

Admins never choose or see another user's password (:mod:`retrowalk.app.accounts`).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.api.schemas import UserOut
from retrowalk.app import accounts
from retrowalk.app.access import Client, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, require_role, row_id

router = APIRouter(tags=["users"])
AdminOnly = Depends(require_role("admin"))


class LinkSent(BaseModel):
    user: UserOut
    sent: bool = Field(default=True, description="A one-time link went to the user (not to you).")
    expires_at: datetime


class SetPasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=200, description="From the one-time link.")
    password: str = Field(
        min_length=accounts.PASSWORD_MIN_LENGTH,
        max_length=accounts.PASSWORD_MAX_LENGTH,
        description=f"At least {accounts.PASSWORD_MIN_LENGTH} characters.",
    )


@router.post("/users/{user_id}/password-reset", response_model=LinkSent, status_code=status.HTTP_202_ACCEPTED)
def reset_password(
    request: Request, user_id: int = row_id(), admin: User = AdminOnly, db: Session = DbSession
) -> LinkSent:
    """Send the user a one-time link to choose a new password; nothing is shown to the admin."""
    user, delivery = accounts.reset_password_of(db, request.app.state.settings, admin, user_id)
    return LinkSent(user=UserOut.model_validate(user), expires_at=delivery.expires_at)


@router.post("/account/password", status_code=status.HTTP_204_NO_CONTENT, responses={422: {}})
def set_password(body: SetPasswordIn, db: Session = DbSession) -> None:
    """Use a one-time link (reset or invitation): the link dies and every old login is revoked."""
    accounts.redeem(db, body.token, body.password)


class ClientInviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, description="The client's login name.")


class HandedLinkOut(BaseModel):
    """A client's one-time link for their trainer to pass on (shown once; clients have no mail)."""

    user: UserOut
    link: str
    expires_at: datetime


@router.post("/clients/{client_id}/invite", response_model=HandedLinkOut, status_code=status.HTTP_201_CREATED)
def invite_client(
    request: Request,
    body: ClientInviteIn,
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> HandedLinkOut:
    """The client's own login, opened through a one-time link they get from their trainer."""
    state = request.app.state
    handed = accounts.invite_client(
        db, state.settings, user, client, body.username, quota=state.login_limiter
    )
    return HandedLinkOut(
        user=UserOut.model_validate(handed.user), link=handed.link, expires_at=handed.expires_at
    )


@router.post("/clients/{client_id}/password-link", response_model=HandedLinkOut)
def client_password_link(
    request: Request, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> HandedLinkOut:
    """A one-time link for the client to choose a new password (replaces an unused one)."""
    handed = accounts.client_reset_link(db, request.app.state.settings, user, client)
    return HandedLinkOut(
        user=UserOut.model_validate(handed.user), link=handed.link, expires_at=handed.expires_at
    )


@router.put("/account/contact", response_model=UserOut)
def set_contact(body: accounts.ContactIn, user: User = CurrentUser, db: Session = DbSession) -> User:
    """Your phone and e-mail as printed on your clients' handouts (trainers; empty clears)."""
    return accounts.set_contact(db, user, body)
