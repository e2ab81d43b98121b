"""Liveness/readiness for load balancers and scripts: the database answers a trivial query."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.orm import Session

from retrowalk.http.deps import DbSession

router = APIRouter(tags=["health"])


@router.get("/health")
def health(db: Session = DbSession) -> dict[str, str]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}
