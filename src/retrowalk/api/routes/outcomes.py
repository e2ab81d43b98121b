"""Outcomes: every score and measure of one client as time series, with clinically important change."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic_core import to_json

from retrowalk.api.schemas import OutcomesOut
from retrowalk.app import outcomes as app_outcomes
from retrowalk.http.deps import ClientStep, TrainerOrSelfStep

router = APIRouter(prefix="/clients/{client_id}/outcomes", tags=["outcomes"])


@router.get("", response_model=OutcomesOut)
async def outcomes(step: ClientStep = TrainerOrSelfStep) -> Response:
    """Every series, read (and its audit row committed) in one worker-thread step."""
    # Serialised in Rust by pydantic-core: several times faster than json.dumps for long series.
    body = await step.run(lambda db, user, client: to_json(app_outcomes.read_outcomes(db, user, client)))
    return Response(body, media_type="application/json")
