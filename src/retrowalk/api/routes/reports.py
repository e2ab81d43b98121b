"""The client's PDFs over the API: the progress report and the one-page handout.

Same data, access and cache as the web's ``/clients/{id}/report.pdf`` (``retrowalk.http.offload``):
``200`` with the PDF when it is ready (at once when the data has not changed since the last one),
else ``202`` with ``Location`` (ask again there) and ``Retry-After``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from retrowalk.app.access import Client, User
from retrowalk.http import offload
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOrSelf

router = APIRouter(prefix="/clients/{client_id}", tags=["reports"])

_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the PDF"},
    202: {"description": "being prepared: ask again at Location after Retry-After seconds"},
}


def _answer(request: Request, result: bytes | offload.Preparing, kind: str, client: Client) -> Response:
    if isinstance(result, offload.Preparing):
        return offload.preparing_json(request, result)
    return offload.pdf_response(result, kind, client.name, client.id)


@router.get("/report.pdf", response_class=Response, responses=_PDF)
def report_pdf(
    request: Request, client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Response:
    """The clinical progress report (A4 PDF), as on the web."""
    return _answer(request, offload.report_pdf(request, db, user, client), "", client)


@router.get("/handout.pdf", response_class=Response, responses=_PDF)
def handout_pdf(
    request: Request,
    page: Literal["A4", "Letter"] = Query("A4", description="Paper size."),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Response:
    """The client's one-page handout for today's programme (pictures, cues, pain rule, QR code)."""
    result = offload.handout_pdf(request, db, user, client, page=page)
    return _answer(request, result, "handout-", client)
