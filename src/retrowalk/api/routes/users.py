"""User administration (admins only)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from sqlalchemy.orm import Session

from retrowalk.api.deps import DbSession, require_role
from retrowalk.api.schemas import UserCreate, UserOut, UserUpdate
from retrowalk.app import accounts
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.models import User

router = APIRouter(prefix="/users", tags=["users"])
AdminOnly = Depends(require_role("admin"))
UserId = Path(ge=1, le=2**31 - 1)


@router.get("", response_model=list[UserOut])
def list_users(admin: User = AdminOnly, db: Session = DbSession) -> Sequence[User]:
    crud.audit(db, admin, "read", "users")
    return crud.list_users(db)


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "username cannot be used"}},
)
def create_user(request: Request, body: UserCreate, admin: User = AdminOnly, db: Session = DbSession) -> User:
    """Invite: the new user sets their own password through a one-time link."""
    settings: Settings = request.app.state.settings
    user, _delivery = accounts.invite(
        db, settings, admin, body.username, body.role, display_name=body.display_name
    )
    return user


def _user_or_404(db: Session, user_id: int) -> User:
    user = crud.get_user(db, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
    return user


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: int = UserId, admin: User = AdminOnly, db: Session = DbSession) -> User:
    user = _user_or_404(db, user_id)
    crud.audit(db, admin, "read", "user", resource_id=user.id)
    return user


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    body: UserUpdate, user_id: int = UserId, admin: User = AdminOnly, db: Session = DbSession
) -> User:
    user = _user_or_404(db, user_id)
    if body.active is False and user.id == admin.id:
        raise HTTPException(status.HTTP_409_CONFLICT, "an administrator cannot deactivate themselves")
    if body.display_name is not None:
        user.display_name = body.display_name
        crud.audit(db, admin, "update", "user", resource_id=user.id, detail="display_name")
    if body.active is not None:
        accounts.set_active(db, admin, user, body.active)  # deactivation revokes every token
    return user
