"""GET /api/v1/clients/{client_id}/fhir: the client's record as a FHIR R4 Bundle.

Same access rule as reading the client record (trainer linked to the client, or the client
themself); every read is written to the audit log.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from retrowalk.app import records
from retrowalk.app.access import Client, User
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOrSelf

router = APIRouter(prefix="/clients/{client_id}/fhir", tags=["interop"])


@router.get("", response_class=JSONResponse, responses={200: {"content": {"application/fhir+json": {}}}})
def client_fhir_bundle(
    identify: bool = False, client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> JSONResponse:
    """Pseudonymous by default; ``?identify=true`` adds the client's name to Patient."""
    bundle = records.fhir_bundle(db, user, client, identify=identify)
    return JSONResponse(bundle, media_type="application/fhir+json")
