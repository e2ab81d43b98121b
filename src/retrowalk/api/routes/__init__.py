"""All /api/v1 routers."""

from fastapi import APIRouter

from retrowalk.api.routes import (
    assessments,
    audit,
    auth,
    clients,
    koos,
    outcomes,
    programmes,
    recordings,
    sessions,
    users,
)

api_router = APIRouter()
for _module in (auth, users, clients, assessments, koos, programmes, sessions, recordings, outcomes, audit):
    api_router.include_router(_module.router)
