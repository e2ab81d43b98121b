"""Outcomes: every score and measure of one client as time series, with clinically important change."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic_core import to_json
from sqlalchemy.orm import Session

from retrowalk.api.schemas import OutcomesOut
from retrowalk.app import outcomes as app_outcomes
from retrowalk.app.access import Client, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOrSelf

router = APIRouter(prefix="/clients/{client_id}/outcomes", tags=["outcomes"])


@router.get("", response_model=OutcomesOut)
def outcomes(client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession) -> Response:
    # Serialised in Rust by pydantic-core: several times faster than json.dumps for long series.
    return Response(to_json(app_outcomes.read_outcomes(db, user, client)), media_type="application/json")
