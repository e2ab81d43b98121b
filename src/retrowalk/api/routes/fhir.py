"""GET /api/v1/clients/{client_id}/fhir: the client's record as a FHIR R4 Bundle.

Same access rule as reading the client record (trainer linked to the client, or the client
themself); every read is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from retrowalk.api.deps import CurrentUser, DbSession, TrainerOrSelf
from retrowalk.interop.fhir_export import export_bundle
from retrowalk.interop.storage_adapter import record_from_db
from retrowalk.storage import crud
from retrowalk.storage.models import Client, User

router = APIRouter(prefix="/clients/{client_id}/fhir", tags=["interop"])


@router.get("", response_class=JSONResponse, responses={200: {"content": {"application/fhir+json": {}}}})
def client_fhir_bundle(
    identify: bool = False, client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> JSONResponse:
    """Pseudonymous by default; ``?identify=true`` adds the client's name to Patient."""
    record = record_from_db(db, client.id)
    bundle: dict[str, Any] = export_bundle(record, identify=identify)
    crud.audit(
        db,
        user,
        "read",
        "fhir",
        resource_id=client.id,
        client_id=client.id,
        detail="identified" if identify else "pseudonymous",
    )
    return JSONResponse(bundle, media_type="application/fhir+json")
