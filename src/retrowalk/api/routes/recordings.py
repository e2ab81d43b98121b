"""Gait recordings: multipart upload (size and format checked), stored by app.recordings and
analysed in the background (status queued → analysing → analysed, withheld or failed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import RecordingOut
from retrowalk.app import recordings
from retrowalk.app.access import MAX_ID, Client, Recording, User
from retrowalk.gait.imu import Placement
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOrSelf, on_rollback, row_id
from retrowalk.jobs import analyse_later
from retrowalk.settings import Settings

router = APIRouter(prefix="/clients/{client_id}/recordings", tags=["recordings"])


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
    session_log_id: int | None = Form(default=None, ge=1, le=MAX_ID),
    fps: float | None = Form(default=None, gt=0, le=1000, description="pose only: frame rate if not in file"),
    placement: Placement = Form(default="unknown"),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Recording:
    settings: Settings = request.app.state.settings

    upload = recordings.Upload(
        kind, file.filename or "upload", file.file, file.size, session_log_id, fps, placement
    )
    return recordings.upload_recording(
        db,
        user,
        client,
        upload,
        data_dir=settings.data_dir,
        limit=settings.upload_limit_bytes,
        on_rollback=lambda undo: on_rollback(request, undo),
        # analysed in the background (retrowalk.jobs): the upload answers at once with "queued"
        analyse=analyse_later(request.app.state, db),
    )


@router.get("", response_model=list[RecordingOut])
def list_recordings(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Recording]:
    return recordings.list_recordings(db, user, client)


@router.get("/{recording_id}", response_model=RecordingOut)
def get_recording(
    recording_id: int = row_id(),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Recording:
    return recordings.get_recording(db, user, client, recording_id)
