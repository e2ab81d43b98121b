"""Trainers' own exercise media over HTTP, thin over :mod:`retrowalk.app.media`: upload (multipart)
for all the trainer's clients or for one client's programme item, list, remove, and the files."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from retrowalk.api.schemas import MediaOut
from retrowalk.app import media
from retrowalk.app.access import Client, User
from retrowalk.http import offload
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf, row_id

router = APIRouter(tags=["media"])
ExerciseId = Form(min_length=1, max_length=100, description="the library exercise")
MediaFile = File(description="a photo (JPEG, PNG, WebP) or a short video (MP4/MOV H.264/HEVC, WebM VP8/VP9)")
REFUSALS: dict[int | str, dict[str, str]] = {
    422: {"description": "refused file (too big, wrong type, unreadable, codec, too long) or exercise"}
}


@dataclass
class MediaForm:
    """The multipart upload both upload routes take."""

    exercise_id: str = ExerciseId
    file: UploadFile = MediaFile

    def store(self, request: Request, db: Session, user: User, client: Client | None) -> MediaOut:
        media.check_exercise(db, user, self.exercise_id, client)
        upload = media.MediaUpload(self.file.filename or "upload", self.file.file)
        limits = media.Limits.from_settings(request.app.state.settings)
        prepared = offload.outside_turn(request, db, media.prepare, media.data_dir(db), upload, limits)
        return MediaOut.of(media.store(db, user, self.exercise_id, prepared, client=client))


@router.post(
    "/exercise-media", response_model=MediaOut, status_code=status.HTTP_201_CREATED, responses=REFUSALS
)
def upload_trainer_media(
    request: Request, form: MediaForm = Depends(), user: User = CurrentUser, db: Session = DbSession
) -> MediaOut:
    """For every client of yours (replaces your earlier one of this exercise)."""
    return form.store(request, db, user, None)


@router.get("/exercise-media", response_model=list[MediaOut])
def list_trainer_media(user: User = CurrentUser, db: Session = DbSession) -> list[MediaOut]:
    return [MediaOut.of(r) for r in media.trainer_media(db, user)]


@router.delete("/exercise-media/{media_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_trainer_media(media_id: int = row_id(), user: User = CurrentUser, db: Session = DbSession) -> None:
    media.remove(db, user, media_id)


@router.post(
    "/clients/{client_id}/media",
    response_model=MediaOut,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSALS,
)
def upload_client_media(
    request: Request,
    form: MediaForm = Depends(),
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> MediaOut:
    """For this client's programme item only (removed with the item)."""
    return form.store(request, db, user, client)


@router.get("/clients/{client_id}/media", response_model=list[MediaOut])
def list_client_media(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> list[MediaOut]:
    """What the client's programme shows, one per exercise (the item's own first, else their trainers')."""
    return [MediaOut.of(r) for r in media.client_media(db, user, client)]


@router.delete("/clients/{client_id}/media/{media_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_client_media(
    media_id: int = row_id(), client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> None:
    media.remove(db, user, media_id, client=client)


def _file(db: Session, user: User, media_id: int, part: media.Part) -> Response:
    path, mime = media.file_of(db, media.visible(db, user, media_id), part)
    return FileResponse(path, media_type=mime, headers={"Cache-Control": "private, no-cache"})


@router.get("/media/{media_id}", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def media_file(media_id: int = row_id(), user: User = CurrentUser, db: Session = DbSession) -> Response:
    """The photo or video itself, to whoever may see it (404 otherwise)."""
    return _file(db, user, media_id, "file")


@router.get(
    "/media/{media_id}/poster", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}}
)
def media_poster(media_id: int = row_id(), user: User = CurrentUser, db: Session = DbSession) -> Response:
    """The still picture: the photo, or the video's poster frame."""
    return _file(db, user, media_id, "poster")
