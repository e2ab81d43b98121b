"""Programmes: prescribed by the core from the latest assessment; each generation is a new version."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app import clinical
from retrowalk.app.errors import Conflict, NotFound
from retrowalk.core.vocab import Pain
from retrowalk.errors import InputError
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Programme, User


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pain_nprs: Pain | None = Field(
        default=None, description="Current pain; default: the latest assessment's."
    )
    goals: list[str] = Field(default=[], max_length=20)


def generate(db: Session, user: User, client: Client, body: ProgrammeIn, *, detail: str = "") -> Programme:
    """A new programme version; 409 without an assessment or when it says stop and refer."""
    assessment = crud.latest_assessment(db, client.id)
    if assessment is None:
        raise Conflict("no assessment yet: assess the client first")
    if assessment.stop:
        raise Conflict("the latest assessment found red flags: refer before prescribing")
    pain = body.pain_nprs if body.pain_nprs is not None else assessment.pain_nprs
    if pain is None:
        raise InputError("pain_nprs", "pain is not in the assessment; give pain_nprs")
    content = clinical.prescribe(assessment.findings, pain_nprs=pain, goals=body.goals)
    row = crud.add_programme(
        db, client.id, content=content, assessment_id=assessment.id, pain_nprs=pain, goals=body.goals, by=user
    )
    crud.audit(
        db,
        user,
        "create",
        "programme",
        resource_id=row.id,
        client_id=client.id,
        detail=detail or f"version {row.version}",
    )
    return row


def history(db: Session, user: User, client: Client) -> Sequence[Programme]:
    crud.audit(db, user, "read", "programme", client_id=client.id, detail="history")
    return crud.list_programmes(db, client.id)


def current(db: Session, user: User, client: Client) -> Programme:
    row = crud.current_programme(db, client.id)
    if row is None:
        raise NotFound("no programme yet")
    crud.audit(db, user, "read", "programme", resource_id=row.id, client_id=client.id)
    return row
