"""The client's PDFs: the progress report and the one-page handout (today's programme).

Both are rendered by a job and cached until their data changes (:mod:`retrowalk.http.offload`);
when the job is not done within a few seconds the page says so and reloads itself.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from retrowalk.app.access import client_access
from retrowalk.http import offload
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import page_user
from retrowalk.web.pages._common import render

router = APIRouter()


def preparing_page(request: Request, wait: offload.Preparing, back: str, back_label: str) -> Response:
    """``202``: the result is being prepared; the page reloads itself and then shows it."""
    ctx = {
        "what": wait.what,
        "status": wait.status,
        "retry_after": wait.retry_after,
        "url": str(request.url),
        "back": back,
        "back_label": back_label,
    }
    response = render(request, "preparing.html", ctx, code=status.HTTP_202_ACCEPTED)
    response.headers.update(offload.preparing_headers(request, wait))
    return response


def _pdf(
    request: Request, result: bytes | offload.Preparing, kind: str, name: str, client_id: int
) -> Response:
    if isinstance(result, offload.Preparing):
        return preparing_page(request, result, f"/clients/{client_id}", "Back to the client")
    return offload.pdf_response(result, kind, name, client_id)


@router.get("/clients/{client_id}/report.pdf")
def client_report(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return _pdf(request, offload.report_pdf(request, db, user, client), "", client.name, client.id)


@router.get("/clients/{client_id}/handout.pdf")
def client_handout(
    request: Request, client_id: int, page: Literal["A4", "Letter"] = "A4", db: Session = DbSession
) -> Response:
    """Same access as the client page."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    result = offload.handout_pdf(request, db, user, client, page=page)
    return _pdf(request, result, "handout-", client.name, client.id)
