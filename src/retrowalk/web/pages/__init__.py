"""Server-rendered pages, one module per area; each handler parses the form, calls
:mod:`retrowalk.app` and renders a template."""

from fastapi import APIRouter, Depends

from retrowalk.web.pages import (
    account,
    accounts,
    assessments,
    care,
    clients,
    dashboard,
    decisions,
    handout,
    koos,
    login,
    media,
    offline,
    programmes,
    recordings,
    sessions,
    trials,
)
from retrowalk.web.pages._auth import receive_form_first

router = APIRouter(include_in_schema=False, dependencies=[Depends(receive_form_first)])
_MODULES = (
    login,
    account,
    accounts,
    dashboard,
    clients,
    handout,
    assessments,
    programmes,
    care,
    koos,
    sessions,
    decisions,
    recordings,
    media,
    trials,
    offline,
)
for _module in _MODULES:
    router.include_router(_module.router)
