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
    fhir,
)
#: Included into the app one by one under /api/v1 (not through one /api/v1 router): FastAPI walks
#: every router nested under the one it matches on each request, so a level less is less walking.
ROUTERS: tuple[APIRouter, ...] = tuple(m.router for m in _ROUTERS)
