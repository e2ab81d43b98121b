"""The recordings page: list, and upload through :func:`retrowalk.app.recordings.upload_recording`."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from retrowalk.app import recordings
from retrowalk.app.access import Client, User, client_access
from retrowalk.app.errors import AppError
from retrowalk.app.recording_view import describe
from retrowalk.app.recordings import PLACEMENTS, Kind, Upload
from retrowalk.errors import InputError
from retrowalk.gait.imu import Placement
from retrowalk.http.deps import DbSession, on_rollback, rollback_request
from retrowalk.jobs import analyse_later
from retrowalk.settings import Settings
from retrowalk.web.pages._auth import client_form, page_user
from retrowalk.web.pages._common import input_error_text, number, redirect, render

router = APIRouter()


def _page(request: Request, db: Session, user: User, client: Client, error: str | None) -> Response:
    rows = list(reversed(recordings.list_recordings(db, user, client, detail="web page")))
    sessions = recordings.session_choices(db, client)
    labels = dict(sessions)
    shown = [
        {
            "row": r,
            "results": describe(r.gait.model_dump(mode="json") if r.gait else None, r.status),
            "session": labels.get(r.session_log_id or -1),
        }
        for r in rows
    ]
    ctx = {"client": client, "recordings": shown, "sessions": sessions, "error": error}
    return render(request, "recordings.html", ctx, code=422 if error else 200)


@router.get("/clients/{client_id}/recordings", response_class=HTMLResponse)
def recordings_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    return _page(request, db, user, client_access(db, user, client_id, "trainer", "client"), None)


def _upload(form: FormData) -> Upload:
    kind = form.get("kind")
    upload = form.get("file")
    placement = form.get("placement") or "unknown"
    if kind not in ("imu", "pose"):
        raise InputError("kind", "choose IMU (phone/sensor CSV) or pose (video keypoints)")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError("file", "choose a file to upload")
    if placement not in PLACEMENTS:
        raise InputError("placement", f"unknown sensor placement {placement!r}", hint=", ".join(PLACEMENTS))
    fps = number(form, "fps")
    session = number(form, "session_log_id", whole=True)
    if fps is not None and not 0 < fps <= 1000:
        raise InputError("fps", "frame rate must be between 0 and 1000")
    return Upload(
        cast(Kind, kind),
        upload.filename,
        upload.file,
        upload.size,
        None if session is None else int(session),
        fps,
        cast(Placement, placement),
    )


@router.post("/clients/{client_id}/recordings", response_class=HTMLResponse)
async def recordings_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer", "client")
    settings: Settings = request.app.state.settings
    error = None
    try:
        kwargs: dict[str, Any] = {
            "data_dir": settings.data_dir,
            "limit": settings.upload_limit_bytes,
            "on_rollback": lambda undo: on_rollback(request, undo),
            "analyse": analyse_later(request.app.state, db),
        }
        row = await run_in_threadpool(recordings.upload_recording, db, user, client, _upload(form), **kwargs)
    except (InputError, AppError) as exc:
        # a bad file: undo everything (row, audit, stored copy) and say why on the page
        rollback_request(db, request)
        error = (
            f"{exc.field}: {input_error_text(exc)}" if isinstance(exc, InputError) else f"file: {exc.detail}"
        )
        return _page(request, db, user, client, error)
    # post/redirect/get: reloading the result page never uploads the file again
    return redirect(f"/clients/{client.id}/recordings#recording-{row.id}")
