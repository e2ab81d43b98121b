"""All /api/v1 routers."""

from fastapi import APIRouter

from retrowalk.api.routes import (
    accounts,
    assessments,
    audit,
    auth,
    capture,
    care,
    clients,
    decisions,
    fhir,
    health,
    koos,
    media,
    outcomes,
    programmes,
    recordings,
    reports,
    sessions,
    trials,
    users,
)

api_router = APIRouter()
_ROUTERS = (
    health,
    auth,
    accounts,
    users,
    clients,
    assessments,
    koos,
    programmes,
    sessions,
    decisions,
    recordings,
    media,
    capture,
    outcomes,
    reports,
    audit,
    trials,
    care,
)
for _module in (*_ROUTERS, fhir):
    api_router.include_router(_module.router)
