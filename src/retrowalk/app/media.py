"""Trainers' own exercise media: a photo or short video per exercise (for all of the trainer's
clients) or per client-programme item, shown before the generated figure.

The one use-case module the API routes, the pages and the handout call. Uploads are checked and
re-encoded by :mod:`retrowalk.io.media`; files live under the data directory (``media/``, paths
relative to it, found through ``session.info["data_dir"]``, see ``storage.db.Database``); every
upload, removal and read of a client's own media is audited. Files follow the transaction: a
new file is removed if the transaction rolls back, a removed row's files only once it commits.

Who sees what: a client item's media, whoever may see that client (``client_access``); a
trainer-wide medium, its trainer, their clients and the trainers they share a client with (who
see that client's cards). Anyone else gets 404.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from retrowalk.app.access import MAX_ID, client_access, require_role
from retrowalk.app.errors import Forbidden, NotFound
from retrowalk.core.exercises import load_library
from retrowalk.errors import InputError
from retrowalk.io import media as media_io
from retrowalk.io.files import CHUNK, copy_bounded, write_atomic
from retrowalk.settings import Settings
from retrowalk.storage import crud
from retrowalk.storage.models import Client, ExerciseMedia, User, client_trainers

__all__ = ["ExerciseMedia", "Limits", "MediaUpload"]

#: Folder under the data directory that holds every exercise medium.
MEDIA_DIR = "media"
FIELD = "file"
Part = Literal["file", "poster"]
_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4", "video/webm": ".webm"}


@dataclass(frozen=True)
class Limits:
    """Upload limits (settings ``media_max_*``)."""

    photo_bytes: int = media_io.MAX_IMAGE_BYTES
    video_bytes: int = media_io.MAX_VIDEO_BYTES
    video_seconds: float = media_io.MAX_VIDEO_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.media_max_photo_bytes, settings.media_max_video_bytes, settings.media_max_video_seconds
        )


@dataclass(frozen=True)
class MediaUpload:
    """An uploaded photo or video as the edge received it."""

    filename: str
    stream: BinaryIO


# --- files that follow the transaction -------------------------------------------------------------


def data_dir(db: Session) -> Path:
    """The data directory this session's files live in."""
    where = db.info.get("data_dir")
    if where is None:
        raise RuntimeError("this database session knows no data directory (Database(data_dir=...))")
    return Path(where)


def _on(db: Session, outcome: Literal["commit", "rollback"], action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction commits (or rolls back); both lists are
    cleared whichever happens, so an undo never outlives its transaction."""
    pending: dict[str, list[Callable[[], None]]] | None = db.info.get("media_pending")
    if pending is None:
        pending = {"commit": [], "rollback": []}
        db.info["media_pending"] = pending

        def run(which: str) -> Callable[[Session], None]:
            def handler(_session: Session) -> None:
                actions = list(pending[which])
                pending["commit"].clear()
                pending["rollback"].clear()
                for act in actions:
                    act()

            return handler

        event.listen(db, "after_commit", run("commit"))
        event.listen(db, "after_rollback", run("rollback"))
    pending[outcome].append(action)


def _unlink_later(db: Session, root: Path, *relative: str | None) -> None:
    paths = [root / r for r in relative if r]

    def unlink() -> None:
        for p in paths:
            p.unlink(missing_ok=True)

    _on(db, "commit", unlink)


def _write(root: Path, suffix: str, data: bytes) -> tuple[str, str]:
    """Write ``data`` atomically as a new media file; (relative path, sha256)."""
    relative = f"{MEDIA_DIR}/{uuid.uuid4().hex}{suffix}"
    write_atomic(root / relative, data)
    return relative, hashlib.sha256(data).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_video(root: Path, stream: BinaryIO, limit: int) -> tuple[Path, int]:
    """Copy an uploaded video into the media folder (bounded); (path, size)."""
    dest = root / MEDIA_DIR / f"{uuid.uuid4().hex}.part"

    def too_large() -> Exception:
        return InputError(
            FIELD, f"the video is over {limit / 1e6:.0f} MB", hint=f"at most {limit // 10**6} MB"
        )

    _sha, size = copy_bounded(stream, dest, limit, too_large)
    return dest, size


@dataclass(frozen=True)
class Prepared:
    """An upload checked, re-encoded and written to the media folder, not yet stored as a row."""

    original_name: str
    fields: dict[str, Any]
    files: tuple[Path, ...]

    def discard(self) -> None:
        for f in self.files:
            f.unlink(missing_ok=True)


def prepare(root: Path, medium: MediaUpload, limits: Limits | None = None) -> Prepared:
    """The CPU- and disk-heavy part of an upload (bounded copy, metadata blanking, codec check,
    poster frame, photo re-encode), with no database: edges run it outside the database turn
    (:func:`retrowalk.http.offload.outside_turn`). 422 (InputError on ``file``) when refused."""
    lim = limits or Limits()
    name = Path(medium.filename or "upload").name[:255]
    medium.stream.seek(0)
    head = medium.stream.read(64)
    medium.stream.seek(0)
    if not head:
        raise InputError(FIELD, "no file was chosen or it is empty", hint="choose a photo or a short video")
    if media_io.container_of(head) is None:
        data = medium.stream.read(lim.photo_bytes + 1)
        photo = media_io.reencode_image(data, field=FIELD, max_bytes=lim.photo_bytes)
        path, sha256 = _write(root, _SUFFIX[photo.mime], photo.data)
        fields = {
            "kind": "photo",
            "path": path,
            "mime": photo.mime,
            "width": photo.width,
            "height": photo.height,
            "size_bytes": len(photo.data),
            "sha256": sha256,
        }
        return Prepared(name, fields, (root / path,))
    tmp, size = _copy_video(root, medium.stream, lim.video_bytes)
    try:
        if media_io.container_of(head) == "mp4":
            media_io.blank_mp4_metadata(tmp)  # e.g. where it was filmed
        video = media_io.check_video(
            tmp, field=FIELD, max_bytes=lim.video_bytes, max_seconds=lim.video_seconds
        )
    except InputError:
        tmp.unlink(missing_ok=True)
        raise
    sha256 = _sha256(tmp)
    mime = f"video/{video.container}"
    dest = tmp.with_name(tmp.name.removesuffix(".part") + _SUFFIX[mime])
    tmp.replace(dest)
    poster_path, _ = _write(root, _SUFFIX[video.poster.mime], video.poster.data)
    fields = {
        "kind": "video",
        "path": f"{MEDIA_DIR}/{dest.name}",
        "mime": mime,
        "poster_path": poster_path,
        "poster_mime": video.poster.mime,
        "width": video.width,
        "height": video.height,
        "duration_s": round(video.duration_s, 2),
        "size_bytes": size,
        "sha256": sha256,
    }
    return Prepared(name, fields, (dest, root / poster_path))


# --- upload, replace, remove -----------------------------------------------------------------------


def _check_exercise(db: Session, exercise_id: str, client: Client | None) -> str:
    """The library exercise (and, for a client item, one in the client's current programme)."""
    exercise = load_library().get(exercise_id, "exercise_id")
    if client is not None:
        current = crud.current_programme(db, client.id)
        ids = {i.exercise_id for i in current.content.items} if current else set()
        if exercise.id not in ids:
            raise InputError(
                "exercise_id",
                f"{exercise.name} is not in this client's programme",
                hint="add it in the programme editor and save, or upload it for all your clients",
            )
    return exercise.id


def _same_scope(db: Session, user: User, exercise_id: str, client: Client | None) -> list[ExerciseMedia]:
    stmt = select(ExerciseMedia).where(ExerciseMedia.exercise_id == exercise_id)
    if client is None:
        stmt = stmt.where(ExerciseMedia.owner_id == user.id, ExerciseMedia.client_id.is_(None))
    else:
        stmt = stmt.where(ExerciseMedia.client_id == client.id)
    return list(db.scalars(stmt))


def _delete(db: Session, user: User | None, row: ExerciseMedia, detail: str) -> None:
    _unlink_later(db, data_dir(db), row.path, row.poster_path)
    crud.audit(
        db, user, "delete", "exercise_media", resource_id=row.id, client_id=row.client_id, detail=detail
    )
    db.delete(row)


def check_exercise(db: Session, user: User, exercise_id: str, client: Client | None) -> str:
    """Who may upload, and for which exercise (before any file work): a trainer; a library
    exercise, for a client item one in the client's current programme."""
    require_role(user, "trainer")
    return _check_exercise(db, exercise_id, client)


def upload(
    db: Session,
    user: User,
    exercise_id: str,
    medium: MediaUpload,
    *,
    client: Client | None = None,
    limits: Limits | None = None,
) -> ExerciseMedia:
    """Store a trainer's photo or video of an exercise, replacing the one it supersedes.

    ``client`` given: for that client's programme item (the caller checked access); else for
    all the trainer's clients. 422 (InputError on ``file`` or ``exercise_id``) for anything
    refused: too big, not a photo or a phone-playable video, unreadable, too long. Edges that
    hold a database turn call :func:`check_exercise`, :func:`prepare` outside it, then :func:`store`.
    """
    check_exercise(db, user, exercise_id, client)
    return store(db, user, exercise_id, prepare(data_dir(db), medium, limits), client=client)


def store(
    db: Session, user: User, exercise_id: str, prepared: Prepared, *, client: Client | None = None
) -> ExerciseMedia:
    """The row of a :func:`prepare`-d upload (replacing the one it supersedes), audited; its
    files are removed if the transaction rolls back (or this fails)."""
    try:
        eid = check_exercise(db, user, exercise_id, client)
        _on(db, "rollback", prepared.discard)
        for old in _same_scope(db, user, eid, client):
            _delete(db, user, old, "replaced by a new upload")
        row = ExerciseMedia(
            owner_id=user.id,
            client_id=client.id if client else None,
            exercise_id=eid,
            original_name=prepared.original_name,
            **prepared.fields,
        )
        db.add(row)
        db.flush()
    except Exception:
        prepared.discard()
        raise
    scope = "client item" if client else "all my clients"
    crud.audit(
        db,
        user,
        "create",
        "exercise_media",
        resource_id=row.id,
        client_id=row.client_id,
        detail=f"{row.kind} of {eid} ({scope})",
    )
    return row


def get_own(db: Session, user: User, media_id: int, *, client: Client | None = None) -> ExerciseMedia:
    """A medium the trainer may change: their own trainer-wide one, or one of ``client``'s items
    (the caller checked access to the client); 404 for anything else."""
    require_role(user, "trainer")
    row = db.get(ExerciseMedia, media_id) if 1 <= media_id <= MAX_ID else None
    if row is None:
        raise NotFound("media not found")
    if client is None and (row.client_id is not None or row.owner_id != user.id):
        raise NotFound("media not found")
    if client is not None and row.client_id != client.id:
        raise NotFound("media not found")
    return row


def remove(db: Session, user: User, media_id: int, *, client: Client | None = None) -> ExerciseMedia:
    """The trainer removes a medium (file gone once the transaction commits; audited)."""
    row = get_own(db, user, media_id, client=client)
    _delete(db, user, row, "removed by the trainer")
    return row


def prune(db: Session, user: User | None, client: Client) -> int:
    """Remove the client-item media whose exercise left the client's current programme: media
    go with their item. Returns how many went (none when the session knows no data directory:
    the rows then wait for the next change, and are not shown meanwhile)."""
    if db.info.get("data_dir") is None:
        return 0
    current = crud.current_programme(db, client.id)
    kept = {i.exercise_id for i in current.content.items} if current else set()
    gone = [
        row
        for row in db.scalars(select(ExerciseMedia).where(ExerciseMedia.client_id == client.id))
        if row.exercise_id not in kept
    ]
    for row in gone:
        _delete(db, user, row, f"removed with the programme item {row.exercise_id}")
    return len(gone)


# --- what each page shows --------------------------------------------------------------------------


def for_client(db: Session, client: Client, exercise_ids: Iterable[str]) -> dict[str, ExerciseMedia]:
    """Exercise id -> the medium the client sees first: the item's own, else their trainers'
    (newest). Exercises without media are left out."""
    ids = list(dict.fromkeys(exercise_ids))
    if not ids:
        return {}
    trainer_ids = [t.id for t in client.trainers]
    rows = db.scalars(
        select(ExerciseMedia)
        .where(ExerciseMedia.exercise_id.in_(ids))
        .where(
            (ExerciseMedia.client_id == client.id)
            | (ExerciseMedia.client_id.is_(None) & ExerciseMedia.owner_id.in_(trainer_ids))
        )
        .order_by(ExerciseMedia.created_at.desc(), ExerciseMedia.id.desc())
    )
    out: dict[str, ExerciseMedia] = {}
    for row in rows:
        held = out.get(row.exercise_id)
        if held is None or (held.client_id is None and row.client_id is not None):
            out[row.exercise_id] = row
    return out


@dataclass(frozen=True)
class EditorMedia:
    """What the programme editor shows for one item: this client's own and the trainer's."""

    client_item: ExerciseMedia | None
    trainer_wide: ExerciseMedia | None


def for_editor(
    db: Session, user: User, client: Client, exercise_ids: Iterable[str]
) -> dict[str, EditorMedia]:
    ids = list(dict.fromkeys(exercise_ids))
    rows = list(
        db.scalars(
            select(ExerciseMedia)
            .where(ExerciseMedia.exercise_id.in_(ids))
            .where(
                (ExerciseMedia.client_id == client.id)
                | (ExerciseMedia.client_id.is_(None) & (ExerciseMedia.owner_id == user.id))
            )
        )
    )
    return {
        eid: EditorMedia(
            next((r for r in rows if r.exercise_id == eid and r.client_id is not None), None),
            next((r for r in rows if r.exercise_id == eid and r.client_id is None), None),
        )
        for eid in ids
    }


def trainer_media(db: Session, user: User) -> list[ExerciseMedia]:
    """The trainer's own trainer-wide media, newest first."""
    require_role(user, "trainer")
    return list(
        db.scalars(
            select(ExerciseMedia)
            .where(ExerciseMedia.owner_id == user.id, ExerciseMedia.client_id.is_(None))
            .order_by(ExerciseMedia.created_at.desc())
        )
    )


def client_media(db: Session, user: User, client: Client) -> list[ExerciseMedia]:
    """What the client's programme shows (one per item), audited as a read."""
    current = crud.current_programme(db, client.id)
    ids = [i.exercise_id for i in current.content.items] if current else []
    crud.audit(db, user, "read", "exercise_media", client_id=client.id, detail="list")
    return list(for_client(db, client, ids).values())


# --- serving ---------------------------------------------------------------------------------------


def visible(db: Session, user: User, media_id: int) -> ExerciseMedia:
    """The medium if ``user`` may see it (see the module docstring); 404 otherwise, 403 for
    administrators (no clinical data)."""
    if user.role == "admin":
        raise Forbidden("administrators do not access clinical data")
    row = db.get(ExerciseMedia, media_id) if 1 <= media_id <= MAX_ID else None
    if row is None:
        raise NotFound("media not found")
    if row.client_id is not None:
        client_access(db, user, row.client_id, "trainer", "client")
        crud.audit(db, user, "read", "exercise_media", resource_id=row.id, client_id=row.client_id)
        return row
    if user.id == row.owner_id or _shares_a_client(db, user, row.owner_id):
        return row
    raise NotFound("media not found")


def _shares_a_client(db: Session, user: User, owner_id: int) -> bool:
    """Whether ``user`` sees a client that ``owner_id`` trains: the client themself, or a trainer
    linked to the same client (whose view of that client's cards shows the owner's media)."""
    if user.role == "client" and user.client_id is not None:
        client = crud.get_client(db, user.client_id)
        return client is not None and any(t.id == owner_id for t in client.trainers)
    if user.role == "trainer":
        mine, theirs = client_trainers.alias(), client_trainers.alias()
        shared = (
            select(mine.c.client_id)
            .join(theirs, theirs.c.client_id == mine.c.client_id)
            .where(mine.c.trainer_id == user.id, theirs.c.trainer_id == owner_id)
            .limit(1)
        )
        return db.scalar(shared) is not None
    return False


def file_of(db: Session, row: ExerciseMedia, part: Part = "file") -> tuple[Path, str]:
    """(path on disk, MIME type) of a medium's file or its poster (a photo is its own poster)."""
    root = data_dir(db)
    if part == "poster" and row.poster_path:
        path, mime = root / row.poster_path, row.poster_mime or "image/jpeg"
    elif part == "poster" and row.kind != "photo":
        raise NotFound("this video has no poster")
    else:
        path, mime = root / row.path, row.mime
    if not path.is_file():
        raise NotFound("the media file is missing")
    return path, mime


def picture_of(db: Session, row: ExerciseMedia) -> str | None:
    """The still picture for print (the photo, or the video's poster) as a ``data:`` URI; None
    when the file is gone or the session knows no data directory (the handout then shows the
    drawn poses only)."""
    try:
        path, mime = file_of(db, row, "poster")
        st = path.stat()
        return _data_uri(str(path), st.st_mtime_ns, st.st_size, mime)
    except (NotFound, OSError, RuntimeError):
        return None


@lru_cache(maxsize=32)
def _data_uri(path: str, _mtime_ns: int, _size: int, mime: str) -> str:
    # Kept per file version: each view of a handout builds its inputs (the cache key of its PDF)
    # again, and reading and encoding the pictures each time cost more than the cached PDF.
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode()}"
