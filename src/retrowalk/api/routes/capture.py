"""Browser capture: start, send numbered chunks (idempotent, resumable), finish → a queued Recording.

Motion chunks are JSON rows of ``devicemotion`` samples; video chunks are the raw pieces
MediaRecorder hands out. A chunk sent twice replaces itself; ``GET`` tells a resuming page which
chunks arrived; ``finish`` assembles them, creates the Recording, queues its analysis, and
returns the same Recording if it is called again.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import uuid
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy import event
from sqlalchemy.orm import Session

from retrowalk.api.deps import CurrentUser, DbSession, TrainerOrSelf, on_rollback
from retrowalk.api.schemas import In, RecordingOut
from retrowalk.errors import InputError
from retrowalk.gait.imu import Placement
from retrowalk.io import capture as cap_io
from retrowalk.jobs import queue_for
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.captures import Capture, get_capture
from retrowalk.storage.models import Client, Recording, User

router = APIRouter(prefix="/clients/{client_id}/captures", tags=["capture"])
MAX_CHUNKS = 10_000
VIDEO_TYPES = {"video/webm": ".webm", "video/mp4": ".mp4", "video/x-matroska": ".mkv"}
Token = PathParam(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")
ChunkNo = PathParam(ge=0, lt=MAX_CHUNKS)


class CaptureIn(In):
    kind: Literal["imu", "video"]
    placement: Placement = "unknown"
    session_log_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    exercise_id: str | None = Field(default=None, max_length=100)
    keep_video: bool = Field(
        default=False, description="video: keep the clip after its keypoints are extracted"
    )
    fps: float | None = Field(default=None, gt=0, le=240, description="video: the camera's frame rate")
    mime_type: str | None = Field(default=None, max_length=100, description="video: MediaRecorder's mimeType")


class MotionChunkIn(In):
    samples: list[list[float | None]] = Field(max_length=20_000)


class FinishIn(In):
    chunks: int = Field(ge=1, le=MAX_CHUNKS, description="how many chunks were sent (0 … chunks-1)")


class CaptureOut(BaseModel):
    token: str
    kind: str
    received: list[int]
    bytes: int
    recording: RecordingOut | None


def _dir(settings: Settings, cap: Capture) -> Path:
    return Path(settings.data_dir) / "captures" / str(cap.client_id) / cap.token


def _chunk_files(d: Path) -> dict[int, Path]:
    if not d.is_dir():
        return {}
    return {int(p.stem): p for p in d.iterdir() if p.suffix in (".json", ".bin") and p.stem.isdigit()}


def _out(db: Session, settings: Settings, cap: Capture) -> CaptureOut:
    files = _chunk_files(_dir(settings, cap))
    rec = db.get(Recording, cap.recording_id) if cap.recording_id else None
    return CaptureOut(
        token=cap.token,
        kind=cap.kind,
        received=sorted(files),
        bytes=sum(p.stat().st_size for p in files.values()),
        recording=RecordingOut.model_validate(rec) if rec is not None else None,
    )


def _open(db: Session, client: Client, token: str) -> Capture:
    cap = get_capture(db, client.id, token)
    if cap is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "capture not found")
    return cap


@router.post("", response_model=CaptureOut, status_code=status.HTTP_201_CREATED)
def start_capture(
    body: CaptureIn,
    request: Request,
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> CaptureOut:
    if body.session_log_id is not None and crud.get_session_log(db, client.id, body.session_log_id) is None:
        raise InputError(
            "session_log_id", "no such session log for this client", hint="omit it or fix the id"
        )
    if body.kind == "video" and body.mime_type and body.mime_type.split(";")[0] not in VIDEO_TYPES:
        raise InputError(
            "mime_type",
            f"{body.mime_type!r} is not a video type this server stores",
            hint=", ".join(VIDEO_TYPES),
        )
    cap = Capture(
        token=secrets.token_hex(16),
        client_id=client.id,
        created_by=user.id,
        kind=body.kind,
        session_log_id=body.session_log_id,
        exercise_id=body.exercise_id,
        placement=body.placement,
        keep_video=body.keep_video,
        fps=body.fps,
        chunks=0,
    )
    if body.kind == "video":
        cap.mime_type = (body.mime_type or "video/webm").split(";")[0]
    db.add(cap)
    db.flush()
    crud.audit(db, user, "create", "capture", resource_id=cap.id, client_id=client.id, detail=body.kind)
    return _out(db, request.app.state.settings, cap)


@router.get("/{token}", response_model=CaptureOut)
def capture_status(
    request: Request,
    token: str = Token,
    client: Client = TrainerOrSelf,
    db: Session = DbSession,
) -> CaptureOut:
    return _out(db, request.app.state.settings, _open(db, client, token))


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
    """Store chunk ``n`` (sending it again replaces it). Motion: JSON ``{"samples": [...]}``;
    video: the raw bytes (``application/octet-stream``)."""
    settings: Settings = request.app.state.settings
    cap = _open(db, client, token)
    if cap.recording_id is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this capture is finished; start a new one")
    body = await request.body()
    d = _dir(settings, cap)
    others = sum(p.stat().st_size for k, p in _chunk_files(d).items() if k != n)
    if others + len(body) > settings.upload_limit_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the capture would exceed the upload limit of {settings.upload_limit_bytes} bytes",
        )
    if cap.kind == "imu":
        try:
            chunk = MotionChunkIn.model_validate_json(body)
        except ValueError as exc:
            raise InputError("samples", f"not a motion chunk: {str(exc).splitlines()[0]}") from exc
        rows = cap_io.check_motion_rows(chunk.samples)
        cap_io.write_chunk(d / f"{n:06d}.json", {"samples": rows})
    else:
        if not body:
            raise InputError("body", "an empty video chunk", hint="send MediaRecorder's data as it comes")
        d.mkdir(parents=True, exist_ok=True)
        part = d / f"{n:06d}.bin.part"
        part.write_bytes(body)
        part.replace(d / f"{n:06d}.bin")
    return _out(db, settings, cap)


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
    settings: Settings = request.app.state.settings
    cap = _open(db, client, token)
    if cap.recording_id is not None:
        done = db.get(Recording, cap.recording_id)
        if done is not None:
            response.status_code = status.HTTP_200_OK
            return done
    d = _dir(settings, cap)
    files = _chunk_files(d)
    missing = [k for k in range(body.chunks) if k not in files]
    if missing:
        raise InputError(
            "chunks", f"chunks {missing[:20]} have not arrived", hint="send them again, then finish"
        )
    extra = sorted(k for k in files if k >= body.chunks)
    if extra:
        raise InputError("chunks", f"chunks {extra[:20]} were sent beyond the {body.chunks} declared")
    ordered = [files[k] for k in range(body.chunks)]
    if cap.kind == "imu":
        suffix, kind = ".csv", "imu"
    else:
        suffix, kind = VIDEO_TYPES.get(cap.mime_type or "", ".webm"), "pose"
    relative = Path("uploads") / str(client.id) / f"{uuid.uuid4().hex}{suffix}"
    dest = Path(settings.data_dir) / relative
    on_rollback(request, lambda: dest.unlink(missing_ok=True))
    if cap.kind == "imu":
        rows = [r for p in ordered for r in cap_io.read_motion_chunk(p)]
        cap_io.motion_to_csv(rows, dest)
        try:
            from retrowalk.io import recordings as rec_io

            rec_io.check_readable(dest, "imu")
        except InputError as exc:
            raise InputError("samples", exc.message, hint=exc.hint) from exc
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as out:
            for p in ordered:
                with p.open("rb") as src:
                    shutil.copyfileobj(src, out)
    digest = hashlib.sha256()
    with dest.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    row = crud.add_recording(
        db,
        client.id,
        by=user,
        kind=kind,
        original_name=f"capture-{cap.id}{suffix}",
        path=str(relative),
        sha256=digest.hexdigest(),
        size_bytes=dest.stat().st_size,
        status="queued",
        metrics=None,
        error=None,
        session_log_id=cap.session_log_id,
    )
    cap.recording_id, cap.chunks = row.id, body.chunks
    args: dict[str, object] = {"recording_id": row.id}
    if cap.kind == "imu":
        args["placement"] = cap.placement
    else:
        args |= {"fps": cap.fps, "keep_video": cap.keep_video}
    queue_for(request.app.state).submit(db, "analyse_recording", **args)
    crud.audit(
        db, user, "create", "recording", resource_id=row.id, client_id=client.id, detail=f"capture {cap.kind}"
    )
    event.listen(db, "after_commit", lambda _s: shutil.rmtree(d, ignore_errors=True), once=True)
    return row
