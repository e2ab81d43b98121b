"""Trainers' own exercise photos and videos, served to whoever may see them (``app.media.visible``).

Page routes (the login cookie), so ``<img>`` and ``<video>`` on the phone's exercise card and
the editor's thumbnails load them; never cached by shared caches (health data).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from retrowalk.app import media
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import page_user

router = APIRouter()


def media_response(db: Session, row: media.ExerciseMedia, part: media.Part) -> Response:
    """The file as a response (range requests work, so a phone can seek in a video)."""
    path, mime = media.file_of(db, row, part)
    return FileResponse(
        path,
        media_type=mime,
        headers={"Cache-Control": "private, no-cache", "Content-Disposition": "inline"},
    )


@router.get("/media/{media_id}")
def media_file(request: Request, media_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    row = media.visible(db, user, media_id)
    return media_response(db, row, "file")


@router.get("/media/{media_id}/poster")
def media_poster(request: Request, media_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    row = media.visible(db, user, media_id)
    return media_response(db, row, "poster")
