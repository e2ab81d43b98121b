"""Gait recordings: store an upload (size and format checked) under the data directory and
queue its analysis by the IMU or pose gait engine (status queued → analysing → analysed,
withheld or failed; see :mod:`retrowalk.jobs.tasks`)."""

from __future__ import annotations

import gzip
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

from sqlalchemy.orm import Session

from retrowalk.app.access import read_one
from retrowalk.app.errors import TooLarge, UnsupportedMedia
from retrowalk.errors import InputError
from retrowalk.gait.imu import Placement
from retrowalk.io import recordings as rec_io
from retrowalk.io.files import copy_bounded
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Recording, User

Kind = Literal["imu", "pose"]
PLACEMENTS: tuple[str, ...] = ("unknown", "thigh", "shank", "foot", "waist")


@dataclass(frozen=True)
class Upload:
    """An uploaded recording as the edge received it."""

    kind: Kind
    filename: str
    stream: BinaryIO
    size: int | None = None
    session_log_id: int | None = None
    fps: float | None = None
    placement: Placement = "unknown"


def _store(stream: BinaryIO, dest: Path, limit: int) -> tuple[str, int]:
    """Copy the upload to ``dest`` (fsynced, atomic rename); returns (sha256, size)."""
    return copy_bounded(
        stream, dest, limit, lambda: TooLarge(f"file larger than the upload limit of {limit} bytes")
    )


def upload_recording(
    db: Session,
    user: User,
    client: Client,
    upload: Upload,
    *,
    data_dir: Path,
    limit: int,
    on_rollback: Callable[[Callable[[], None]], None],
    analyse: Callable[[int, dict[str, Any]], None],
) -> Recording:
    """Store one recording and queue its analysis (``analyse(recording_id, options)``).

    ``on_rollback`` registers the removal of the stored file should the caller's transaction
    roll back. An unreadable recording raises InputError naming the problem inside the file (it
    is read here, which is cheap; the analysis runs in the background).
    """
    if upload.size is not None and upload.size > limit:
        raise TooLarge(f"file larger than the upload limit of {limit} bytes")
    name = Path(upload.filename or "upload").name[:255]
    head = upload.stream.read(4096)
    try:
        suffix = rec_io.check_format(upload.kind, name, head)
    except rec_io.UnsupportedFormat as exc:
        raise UnsupportedMedia(f"{exc.message}; {exc.hint}") from exc
    if (
        upload.session_log_id is not None
        and crud.get_session_log(db, client.id, upload.session_log_id) is None
    ):
        raise InputError(
            "session_log_id", "no such session log for this client", hint="omit it or fix the id"
        )

    relative = Path("uploads") / str(client.id) / f"{uuid.uuid4().hex}{suffix}"
    dest = Path(data_dir) / relative
    on_rollback(lambda: dest.unlink(missing_ok=True))
    stream: BinaryIO = upload.stream
    if suffix.endswith(".gz"):
        # Stored decompressed: the readers see plain text and the upload limit holds for the
        # text too (a small archive cannot unpack into an unbounded file).
        dest = dest.with_name(dest.name.removesuffix(".gz"))
        relative = relative.with_name(dest.name)
        upload.stream.seek(0)
        stream = cast(BinaryIO, gzip.GzipFile(fileobj=upload.stream, mode="rb"))
    try:
        sha256, size = _store(stream, dest, limit)
    except (OSError, EOFError, zlib.error) as exc:
        if stream is upload.stream:  # not a decompression: a real storage failure
            raise
        raise InputError(
            "file", f"{name}: not a valid gzip file", hint="compress the export with gzip"
        ) from exc

    opts: dict[str, Any] = {"placement": upload.placement} if upload.kind == "imu" else {}
    if upload.kind == "pose" and upload.fps is not None:
        opts["fps"] = upload.fps
    try:
        rec_io.check_readable(dest, upload.kind, **opts)
    except InputError as exc:
        # The readers name the stored copy; the uploader knows the file by its own name.
        field = "file" if exc.field in ("file", "path") else f"file.{exc.field}"
        raise InputError(field, exc.message.replace(dest.name, name), hint=exc.hint) from exc
    status_, metrics, error = "queued", None, None
    row = crud.add_recording(
        db,
        client.id,
        by=user,
        kind=upload.kind,
        original_name=name,
        path=str(relative),
        sha256=sha256,
        size_bytes=size,
        status=status_,
        metrics=metrics,
        error=error,
        session_log_id=upload.session_log_id,
    )
    analyse(row.id, opts)
    crud.audit(
        db,
        user,
        "create",
        "recording",
        resource_id=row.id,
        client_id=client.id,
        detail=f"{upload.kind} {status_}",
    )
    return row


def list_recordings(db: Session, user: User, client: Client, *, detail: str = "list") -> Sequence[Recording]:
    crud.audit(db, user, "read", "recording", client_id=client.id, detail=detail)
    return crud.list_recordings(db, client.id)


def get_recording(db: Session, user: User, client: Client, recording_id: int) -> Recording:
    return read_one(db, user, client, crud.get_recording(db, client.id, recording_id), "recording")


#: How many recent session-log rows the upload form offers to attach a recording to.
SESSION_CHOICES = 60


def session_choices(db: Session, client: Client) -> list[tuple[int, str]]:
    """(session-log id, "2025-03-01 · Backward walking") for the upload form, newest first."""
    from retrowalk.app.records import exercise_label

    logs = crud.list_session_logs(db, client.id, limit=SESSION_CHOICES)
    return [
        (log.id, f"{log.session_date:%Y-%m-%d} · {exercise_label(log.exercise_id)}") for log in reversed(logs)
    ]
