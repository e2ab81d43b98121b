"""All /api/v1 routers."""

from fastapi import APIRouter

from retrowalk.api.routes import (
    assessments,
    audit,
    auth,
    care,
    clients,
    fhir,
    health,
    koos,
    outcomes,
    programmes,
    recordings,
    sessions,
    trials,
    users,
)

api_router = APIRouter()
_ROUTERS = (
    health,
    auth,
    users,
    clients,
    assessments,
    koos,
    programmes,
    sessions,
    recordings,
    outcomes,
    audit,
    trials,
    care,
)
for _module in (*_ROUTERS, fhir):
    api_router.include_router(_module.router)
