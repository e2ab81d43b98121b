"""Gait recordings: multipart upload (size and format checked), stored under the data directory,
analysed in the background by the IMU or pose gait engine (status queued → analysing → analysed,
withheld or failed)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi import Path as PathParam
from sqlalchemy.orm import Session

from retrowalk.api.deps import CurrentUser, DbSession, TrainerOrSelf, on_rollback
from retrowalk.api.schemas import RecordingOut
from retrowalk.errors import InputError
from retrowalk.gait.imu import Placement
from retrowalk.io import recordings as rec_io
from retrowalk.jobs import queue_for
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Recording, User

router = APIRouter(prefix="/clients/{client_id}/recordings", tags=["recordings"])
CHUNK = 1024 * 1024


def _store(upload: UploadFile, dest: Path, limit: int) -> tuple[str, int]:
    """Copy the upload to ``dest`` (fsynced, atomic rename); returns (sha256, size)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    size = 0
    upload.file.seek(0)
    try:
        with part.open("wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        f"file larger than the upload limit of {limit} bytes",
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)
    return digest.hexdigest(), size


@router.post(
    "",
    response_model=RecordingOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"description": "file over the upload limit"},
        415: {"description": "not a recording format for this kind"},
    },
)
def upload_recording(
    request: Request,
    kind: Literal["imu", "pose"] = Form(description="imu: phone/sensor CSV; pose: video keypoints"),
    file: UploadFile = File(description="the exported recording"),
    session_log_id: int | None = Form(default=None, ge=1, le=2**31 - 1),
    fps: float | None = Form(default=None, gt=0, le=1000, description="pose only: frame rate if not in file"),
    placement: Placement = Form(default="unknown"),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Recording:
    settings: Settings = request.app.state.settings
    limit = settings.upload_limit_bytes
    if file.size is not None and file.size > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"file larger than the upload limit of {limit} bytes"
        )
    name = Path(file.filename or "upload").name[:255]
    head = file.file.read(4096)
    try:
        suffix = rec_io.check_format(kind, name, head)
    except rec_io.UnsupportedFormat as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"{exc.message}; {exc.hint}") from exc
    if session_log_id is not None and crud.get_session_log(db, client.id, session_log_id) is None:
        raise InputError(
            "session_log_id", "no such session log for this client", hint="omit it or fix the id"
        )

    relative = Path("uploads") / str(client.id) / f"{uuid.uuid4().hex}{suffix}"
    dest = Path(settings.data_dir) / relative
    on_rollback(request, lambda: dest.unlink(missing_ok=True))
    sha256, size = _store(file, dest, limit)

    opts: dict[str, object] = {"placement": placement} if kind == "imu" else {}
    if kind == "pose" and fps is not None:
        opts["fps"] = fps
    try:
        rec_io.check_readable(dest, kind, **opts)
    except InputError as exc:
        # Unreadable recording: 422 naming the problem inside the file; the rollback removes it.
        # The readers name the stored copy; the uploader knows the file by its own name.
        field = "file" if exc.field in ("file", "path") else f"file.{exc.field}"
        raise InputError(field, exc.message.replace(dest.name, name), hint=exc.hint) from exc
    status_, metrics, error = "queued", None, None
    row = crud.add_recording(
        db,
        client.id,
        by=user,
        kind=kind,
        original_name=name,
        path=str(relative),
        sha256=sha256,
        size_bytes=size,
        status=status_,
        metrics=metrics,
        error=error,
        session_log_id=session_log_id,
    )
    # Analysed in the background (retrowalk.jobs): the upload answers at once with "queued".
    queue_for(request.app.state).submit(db, "analyse_recording", recording_id=row.id, **opts)
    crud.audit(
        db, user, "create", "recording", resource_id=row.id, client_id=client.id, detail=f"{kind} {status_}"
    )
    return row


@router.get("", response_model=list[RecordingOut])
def list_recordings(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Recording]:
    crud.audit(db, user, "read", "recording", client_id=client.id, detail="list")
    return crud.list_recordings(db, client.id)


@router.get("/{recording_id}", response_model=RecordingOut)
def get_recording(
    recording_id: int = PathParam(ge=1, le=2**31 - 1),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Recording:
    row = crud.get_recording(db, client.id, recording_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "recording not found")
    crud.audit(db, user, "read", "recording", resource_id=row.id, client_id=client.id)
    return row
