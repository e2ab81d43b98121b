"""Browser captures and offline saves, for both edges.

A capture (motion samples or video, sent in numbered chunks that may repeat or come out of
order) becomes one Recording when it is finished, and its analysis is queued; finishing again
returns the same Recording. A save queued offline carries an idempotency key, so a resend is
stored once.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, event
from sqlalchemy.orm import Session

from retrowalk.app.access import MAX_ID
from retrowalk.app.errors import Conflict, TooLarge, found
from retrowalk.errors import InputError
from retrowalk.gait.imu import Placement
from retrowalk.io import capture as cap_io
from retrowalk.io import recordings as rec_io
from retrowalk.io.files import write_atomic
from retrowalk.storage import captures as store
from retrowalk.storage import crud
from retrowalk.storage.captures import Capture
from retrowalk.storage.models import Client, Recording, SessionLog, User

MAX_CHUNKS = 10_000
VIDEO_TYPES = {"video/webm": ".webm", "video/mp4": ".mp4", "video/x-matroska": ".mkv"}
#: ``analyse(recording_id, options)``: queue the recording's analysis (the edge owns the queue).
Analyse = Callable[[int, dict[str, Any]], None]


class CaptureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["imu", "video"]
    placement: Placement = "unknown"
    session_log_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    exercise_id: str | None = Field(default=None, max_length=100)
    keep_video: bool = Field(
        default=False, description="video: keep the clip after its keypoints are extracted"
    )
    fps: float | None = Field(default=None, gt=0, le=240, description="video: the camera's frame rate")
    mime_type: str | None = Field(default=None, max_length=100, description="video: MediaRecorder's mimeType")


class FinishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chunks: int = Field(ge=1, le=MAX_CHUNKS, description="how many chunks were sent (0 … chunks-1)")


@dataclass(frozen=True)
class CaptureView:
    token: str
    kind: str
    received: list[int]
    bytes: int
    recording: Recording | None


def _dir(data_dir: Path, cap: Capture) -> Path:
    return Path(data_dir) / "captures" / str(cap.client_id) / cap.token


def _chunk_files(d: Path) -> dict[int, Path]:
    if not d.is_dir():
        return {}
    return {int(p.stem): p for p in d.iterdir() if p.suffix in (".json", ".bin") and p.stem.isdigit()}


def _view(db: Session, data_dir: Path, cap: Capture) -> CaptureView:
    files = _chunk_files(_dir(data_dir, cap))
    rec = db.get(Recording, cap.recording_id) if cap.recording_id else None
    return CaptureView(cap.token, cap.kind, sorted(files), sum(p.stat().st_size for p in files.values()), rec)


def _open(db: Session, client: Client, token: str) -> Capture:
    return found(store.get_capture(db, client.id, token), "capture")


def _new_token() -> str:
    """32 hex digits, never all decimal ones: an all-digit path segment reads as an id (beyond
    the range: 404, :mod:`retrowalk.api.hardening`), which would make the capture unreachable."""
    while (token := secrets.token_hex(16)).isdigit():
        pass  # about 3 in 10 million draws
    return token


def start(
    db: Session,
    user: User,
    client: Client,
    *,
    data_dir: Path,
    kind: str,
    placement: str = "unknown",
    session_log_id: int | None = None,
    exercise_id: str | None = None,
    keep_video: bool = False,
    fps: float | None = None,
    mime_type: str | None = None,
) -> CaptureView:
    if session_log_id is not None and crud.get_session_log(db, client.id, session_log_id) is None:
        raise InputError(
            "session_log_id", "no such session log for this client", hint="omit it or fix the id"
        )
    mime = (mime_type or "video/webm").split(";")[0].strip() if kind == "video" else None
    if mime is not None and mime not in VIDEO_TYPES:
        raise InputError(
            "mime_type", f"{mime_type!r} is not a video type this server stores", hint=", ".join(VIDEO_TYPES)
        )
    cap = Capture(
        token=_new_token(),
        client_id=client.id,
        created_by=user.id,
        kind=kind,
        session_log_id=session_log_id,
        exercise_id=exercise_id,
        placement=placement,
        keep_video=keep_video,
        fps=fps,
        mime_type=mime,
        chunks=0,
    )
    db.add(cap)
    db.flush()
    crud.audit(db, user, "create", "capture", resource_id=cap.id, client_id=client.id, detail=kind)
    return _view(db, data_dir, cap)


def status(db: Session, client: Client, token: str, *, data_dir: Path) -> CaptureView:
    return _view(db, data_dir, _open(db, client, token))


def put_chunk(
    db: Session, client: Client, token: str, n: int, body: bytes, *, data_dir: Path, limit: int
) -> CaptureView:
    """Store chunk ``n``; sending it again replaces it. Motion: JSON ``{"samples": [...]}``."""
    cap = _open(db, client, token)
    if cap.recording_id is not None:
        raise Conflict("this capture is finished; start a new one")
    d = _dir(data_dir, cap)
    others = sum(p.stat().st_size for k, p in _chunk_files(d).items() if k != n)
    if others + len(body) > limit:
        raise TooLarge(f"the capture would exceed the upload limit of {limit} bytes")
    if cap.kind == "imu":
        cap_io.write_chunk(d / f"{n:06d}.json", {"samples": cap_io.parse_motion_chunk(body)})
    else:
        if not body:
            raise InputError("body", "an empty video chunk", hint="send MediaRecorder's data as it comes")
        write_atomic(d / f"{n:06d}.bin", body)
    return _view(db, data_dir, cap)


def finish(
    db: Session,
    user: User,
    client: Client,
    token: str,
    chunks: int,
    *,
    data_dir: Path,
    on_rollback: Callable[[Callable[[], None]], None],
    analyse: Analyse,
) -> tuple[Recording, bool]:
    """Assemble the chunks into a Recording and queue its analysis; (recording, newly made)."""
    cap = _open(db, client, token)
    if cap.recording_id is not None:
        done = db.get(Recording, cap.recording_id)
        if done is not None:
            return done, False
    d = _dir(data_dir, cap)
    files = _chunk_files(d)
    missing = [k for k in range(chunks) if k not in files]
    if missing:
        raise InputError(
            "chunks", f"chunks {missing[:20]} have not arrived", hint="send them again, then finish"
        )
    extra = sorted(k for k in files if k >= chunks)
    if extra:
        raise InputError("chunks", f"chunks {extra[:20]} were sent beyond the {chunks} declared")
    ordered = [files[k] for k in range(chunks)]
    if cap.kind == "imu":
        suffix, kind = ".csv", "imu"
    else:
        suffix, kind = VIDEO_TYPES.get(cap.mime_type or "", ".webm"), "pose"
    relative = Path("uploads") / str(client.id) / f"{uuid.uuid4().hex}{suffix}"
    dest = Path(data_dir) / relative
    on_rollback(lambda: dest.unlink(missing_ok=True))
    if cap.kind == "imu":
        cap_io.motion_to_csv([r for p in ordered for r in cap_io.read_motion_chunk(p)], dest)
        try:
            rec_io.check_readable(dest, "imu")
        except InputError as exc:
            raise InputError("samples", exc.message, hint=exc.hint) from exc
    else:
        cap_io.concatenate(ordered, dest)
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
    cap.recording_id, cap.chunks = row.id, chunks
    opts: dict[str, Any] = (
        {"placement": cap.placement} if cap.kind == "imu" else {"fps": cap.fps, "keep_video": cap.keep_video}
    )
    analyse(row.id, opts)
    crud.audit(
        db, user, "create", "recording", resource_id=row.id, client_id=client.id, detail=f"capture {cap.kind}"
    )
    event.listen(db, "after_commit", lambda _s: shutil.rmtree(d, ignore_errors=True), once=True)
    return row, True


# --- offline saves ----------------------------------------------------------------------------------


def check_key(key: str) -> str:
    if key and not store.valid_key(key):
        raise InputError("idempotency_key", "not a valid key", hint="8-64 letters, digits, - or _")
    return key


def already_saved(db: Session, client: Client, key: str) -> bool:
    """True when a save with this key was stored before (a resend after a lost answer)."""
    return bool(check_key(key)) and store.seen_key(db, client.id, key) is not None


def remember_save(
    db: Session,
    client: Client,
    key: str,
    logs: Sequence[SessionLog | Row[Any]],
    recording_ids: str | None = None,
) -> None:
    """After storing a session's rows: remember the key, and tie the session's recordings to them."""
    if not logs:
        return
    if check_key(key):
        store.remember_key(db, client.id, key, "session_log", logs[0].id)
    store.link_recordings(db, client.id, store.parse_ids(recording_ids), {r.exercise_id: r.id for r in logs})
