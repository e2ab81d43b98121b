"""The audit trail: admins read all of it; a trainer reads it for one of their clients."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from retrowalk.api.schemas import AuditOut
from retrowalk.app import auth
from retrowalk.app.access import AuditEntry, Client, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, require_role

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditOut])
def read_audit(
    limit: int = Query(200, ge=1, le=5000),
    admin: User = Depends(require_role("admin")),
    db: Session = DbSession,
) -> Sequence[AuditEntry]:
    return auth.read_audit(db, admin, limit=limit)


@router.get("/clients/{client_id}/audit", response_model=list[AuditOut])
def read_client_audit(
    limit: int = Query(200, ge=1, le=5000),
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Sequence[AuditEntry]:
    return auth.read_audit(db, user, client_id=client.id, limit=limit)
