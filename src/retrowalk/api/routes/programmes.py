"""Programmes: generated from the latest assessment; each generation is a new version."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import ItemChangeOut, LibraryEntryOut, ProgrammeIn, ProgrammeOut
from retrowalk.app import programmes
from retrowalk.app.access import MAX_ID, Client, Programme, User
from retrowalk.app.programmes import VersionIn
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf

router = APIRouter(prefix="/clients/{client_id}/programmes", tags=["programmes"])


@router.post(
    "",
    response_model=ProgrammeOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "no assessment yet, or the assessment says stop and refer"},
        503: {"description": "clinical core not installed"},
    },
)
def generate_programme(
    body: ProgrammeIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> Programme:
    return programmes.generate(db, user, client, body)


@router.get("", response_model=list[ProgrammeOut])
def programme_history(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Sequence[Programme]:
    return programmes.history(db, user, client)


@router.get("/current", response_model=ProgrammeOut)
def current_programme(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> Programme:
    return programmes.current(db, user, client)


@router.post(
    "/versions",
    response_model=ProgrammeOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "the latest assessment says stop and refer"},
        422: {"description": "unknown exercise, dose outside the vocabulary or safe band, contraindicated"},
    },
)
def save_programme_version(
    body: VersionIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> Programme:
    """A hand-edited programme (add, remove, reorder, re-dose) as a new version with the reason."""
    return programmes.save_edit(db, user, client, body)


@router.get("/compare", response_model=list[ItemChangeOut])
def compare_programme_versions(
    a: int = Query(ge=1, le=MAX_ID),
    b: int = Query(ge=1, le=MAX_ID),
    client: Client = TrainerOrSelf,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> list[ItemChangeOut]:
    return [ItemChangeOut.model_validate(vars(c)) for c in programmes.compare(db, user, client, a, b)]


@router.get("/library", response_model=list[LibraryEntryOut])
def programme_library(
    q: str = Query("", max_length=100),
    joint: str = Query("", max_length=50),
    quality: str = Query("", max_length=50),
    stage: str = Query("", max_length=50),
    client: Client = TrainerOnly,
    db: Session = DbSession,
) -> list[LibraryEntryOut]:
    """The exercise library filtered, each entry with this client's contraindication check."""
    return [
        LibraryEntryOut(
            exercise_id=e.exercise.id,
            name=e.exercise.name,
            joint=e.exercise.joint,
            quality=e.exercise.quality,
            stage=e.exercise.stage,
            dose=e.exercise.dose.model_dump(exclude_none=True),
            dose_text=e.dose_text,
            contraindicated=e.contraindicated,
        )
        for e in programmes.library_for(db, client, q=q, joint=joint, quality=quality, stage=stage)
    ]
