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
# FastAPI matches a request against the routers in this order, each route's pattern in turn:
# the busiest (health checks, session logs) go first. Their paths overlap no other router's.
_ROUTERS = (
    health,
    sessions,
    auth,
    accounts,
    users,
    clients,
    assessments,
    koos,
    programmes,
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
