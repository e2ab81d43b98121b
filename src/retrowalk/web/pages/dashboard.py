"""Home: a client goes to their log, an admin to the admin page (/admin), a trainer to the dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from retrowalk.app import dashboard
from retrowalk.app.dashboard import SHOW_VALUES, Show
from retrowalk.app.sessions import today
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import page_user
from retrowalk.web.pages._common import redirect, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    if user.role == "client" and user.client_id is not None:
        return redirect(f"/clients/{user.client_id}/log")
    if user.role != "trainer":
        return redirect("/admin")
    on = today()
    q = request.query_params.get("q", "").strip()[:100]
    raw = request.query_params.get("show", "active")
    show: Show = raw if raw in SHOW_VALUES else "active"  # type: ignore[assignment]
    rows = dashboard.dashboard(db, user, on, q=q, show=show)
    ctx = {"rows": rows, "today": on, "q": q, "show": show, "show_labels": SHOW_LABELS}
    return render(request, "dashboard.html", ctx)


SHOW_LABELS = {
    "active": "Active clients",
    "due": "Due for a session",
    "flagged": "Flagged",
    "archived": "Archived",
    "all": "All clients",
}
