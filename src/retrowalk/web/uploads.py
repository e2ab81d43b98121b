"""Recording upload from the web form, delegated to the API's upload handler (one code path)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from retrowalk.api.deps import rollback_request
from retrowalk.errors import InputError
from retrowalk.storage.models import Client, Recording, User

PLACEMENTS = ("unknown", "thigh", "shank", "foot", "waist")


async def store_upload(
    request: Request, db: Session, user: User, client: Client, form: FormData
) -> Recording:
    """Store and analyse the uploaded file; on a bad file, undo everything and raise InputError."""
    from retrowalk.api.routes.recordings import upload_recording

    kind = form.get("kind")
    upload = form.get("file")
    placement = form.get("placement") or "unknown"
    if kind not in ("imu", "pose"):
        raise InputError("kind", "choose IMU (phone/sensor CSV) or pose (video keypoints)")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError("file", "choose a file to upload")
    if placement not in PLACEMENTS:
        raise InputError("placement", f"unknown sensor placement {placement!r}", hint=", ".join(PLACEMENTS))
    fps: float | None = None
    raw_fps = form.get("fps")
    if isinstance(raw_fps, str) and raw_fps.strip():
        try:
            fps = float(raw_fps)
        except ValueError:
            raise InputError("fps", f"{raw_fps!r} is not a number", hint="e.g. 30") from None
        if not 0 < fps <= 1000:
            raise InputError("fps", "frame rate must be between 0 and 1000")
    kwargs: dict[str, Any] = {
        "kind": kind,
        "file": upload,
        "session_log_id": None,
        "fps": fps,
        "placement": placement,
        "client": client,
        "user": user,
        "db": db,
    }
    try:
        row: Recording = await run_in_threadpool(upload_recording, request, **kwargs)
        return row
    except (InputError, HTTPException) as exc:
        rollback_request(db, request)
        if isinstance(exc, HTTPException):
            raise InputError("file", str(exc.detail)) from exc
        raise
