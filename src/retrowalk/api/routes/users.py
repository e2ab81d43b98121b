"""User administration (admins only)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import UserCreate, UserOut, UserUpdate
from retrowalk.app import auth
from retrowalk.app.access import User
from retrowalk.http.deps import DbSession, require_role, row_id

router = APIRouter(prefix="/users", tags=["users"])
AdminOnly = Depends(require_role("admin"))


@router.get("", response_model=list[UserOut])
def list_users(admin: User = AdminOnly, db: Session = DbSession) -> Sequence[User]:
    return auth.list_users(db, admin)


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "username cannot be used"}},
)
def create_user(request: Request, body: UserCreate, admin: User = AdminOnly, db: Session = DbSession) -> User:
    """Invite: the new user sets their own password through a one-time link."""
    state = request.app.state
    return auth.create_user(db, admin, body, settings=state.settings, quota=state.login_limiter)


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: int = row_id(), admin: User = AdminOnly, db: Session = DbSession) -> User:
    return auth.get_user(db, admin, user_id)


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    body: UserUpdate, user_id: int = row_id(), admin: User = AdminOnly, db: Session = DbSession
) -> User:
    return auth.update_user(db, admin, user_id, body)
