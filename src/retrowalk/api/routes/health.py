"""Liveness/readiness for load balancers and scripts: the database answers a trivial query."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from retrowalk.api.hardening import health_report
from retrowalk.http.deps import DbSession

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "storage cannot take writes (named)"}})
def health(request: Request, db: Session = DbSession) -> JSONResponse:
    db.execute(text("SELECT 1"))
    code, body = health_report(request)
    return JSONResponse(body, status_code=code)
