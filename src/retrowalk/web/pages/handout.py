"""The one-page client handout (PDF): today's programme with pictures, cues and the pain rule."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from retrowalk.app import handouts
from retrowalk.app.access import client_access
from retrowalk.http import offload
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import page_user
from retrowalk.web.pages._common import pdf_response

router = APIRouter()


@router.get("/clients/{client_id}/handout.pdf")
def client_handout(
    request: Request, client_id: int, page: Literal["A4", "Letter"] = "A4", db: Session = DbSession
) -> Response:
    """Same access as the client page; rendered with no database turn held (WeasyPrint is slow)."""
    from retrowalk.reports.handout import render_pdf

    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    log_url = str(request.url_for("log_page", client_id=client.id))
    data = handouts.client_handout(db, user, client, log_url=log_url)
    pdf = offload.outside_turn(request, db, render_pdf, data, page=page)
    return pdf_response(pdf, "handout-", client.name, client.id)
