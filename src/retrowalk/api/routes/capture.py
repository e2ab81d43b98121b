"""Browser capture: start, send numbered chunks (idempotent, resumable), finish → a queued Recording.

Motion chunks are JSON rows of ``devicemotion`` samples; video chunks are the raw pieces
MediaRecorder hands out. The flow is :mod:`retrowalk.app.captures`; the analysis is queued on
:mod:`retrowalk.jobs`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi import Path as PathParam
from pydantic import BaseModel
from sqlalchemy.orm import Session

from retrowalk.api.schemas import RecordingOut
from retrowalk.app import captures
from retrowalk.app.access import Client, Recording, User
from retrowalk.app.captures import CaptureIn, FinishIn
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOrSelf, on_rollback
from retrowalk.jobs import analyse_later
from retrowalk.settings import Settings

router = APIRouter(prefix="/clients/{client_id}/captures", tags=["capture"])
Token = PathParam(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")
ChunkNo = PathParam(ge=0, lt=captures.MAX_CHUNKS)


class CaptureOut(BaseModel):
    token: str
    kind: str
    received: list[int]
    bytes: int
    recording: RecordingOut | None


def _out(view: captures.CaptureView) -> CaptureOut:
    rec = RecordingOut.model_validate(view.recording) if view.recording is not None else None
    return CaptureOut(
        token=view.token, kind=view.kind, received=view.received, bytes=view.bytes, recording=rec
    )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("", response_model=CaptureOut, status_code=status.HTTP_201_CREATED)
def start_capture(
    body: CaptureIn,
    request: Request,
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> CaptureOut:
    view = captures.start(db, user, client, data_dir=_settings(request).data_dir, **body.model_dump())
    return _out(view)


@router.get("/{token}", response_model=CaptureOut)
def capture_status(
    request: Request, token: str = Token, client: Client = TrainerOrSelf, db: Session = DbSession
) -> CaptureOut:
    return _out(captures.status(db, client, token, data_dir=_settings(request).data_dir))


@router.put(
    "/{token}/chunks/{n}",
    response_model=CaptureOut,
    responses={
        409: {"description": "the capture is already finished"},
        413: {"description": "over the limit"},
    },
)
async def put_chunk(
    request: Request,
    token: str = Token,
    n: int = ChunkNo,
    client: Client = TrainerOrSelf,
    db: Session = DbSession,
) -> CaptureOut:
    """Store chunk ``n`` (sending it again replaces it). Motion: JSON ``{"samples": [[t_ms, ax,
    ay, az, gx, gy, gz], ...]}``; video: the raw bytes (``application/octet-stream``, ≤ 1 MiB)."""
    settings = _settings(request)
    body = await request.body()
    view = captures.put_chunk(
        db, client, token, n, body, data_dir=settings.data_dir, limit=settings.upload_limit_bytes
    )
    return _out(view)


@router.post(
    "/{token}/finish",
    response_model=RecordingOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "already finished: the same recording"}},
)
def finish_capture(
    body: FinishIn,
    request: Request,
    response: Response,
    token: str = Token,
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> Recording:
    row, created = captures.finish(
        db,
        user,
        client,
        token,
        body.chunks,
        data_dir=_settings(request).data_dir,
        on_rollback=lambda undo: on_rollback(request, undo),
        analyse=analyse_later(request.app.state, db),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return row
