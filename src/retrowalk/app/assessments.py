"""Assessments: raw test values in, findings computed by the core, stored and audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app import clinical
from retrowalk.app.access import read_one
from retrowalk.app.clinical import demo_assessment_inputs
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, User

__all__ = [
    "AssessmentIn",
    "demo_assessment_inputs",
    "get_assessment",
    "list_assessments",
    "record_assessment",
]


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Any] = Field(description="The core's AssessmentInput (see retrowalk.core.assessment).")


def record_assessment(
    db: Session, user: User, client: Client, inputs: Mapping[str, Any], *, detail: str = ""
) -> Assessment:
    """Judge the inputs with the core (InputError naming ``inputs.<field>`` when refused), store
    inputs and findings, audit."""
    clean, findings = clinical.evaluate_assessment(inputs)
    row = crud.add_assessment(
        db,
        client.id,
        inputs=clean,
        findings=findings,
        pain_nprs=clinical.assessment_pain(clean),
        stop=bool(findings.get("stop", False)),
        by=user,
    )
    crud.audit(db, user, "create", "assessment", resource_id=row.id, client_id=client.id, detail=detail)
    return row


def list_assessments(db: Session, user: User, client: Client) -> Sequence[Assessment]:
    crud.audit(db, user, "read", "assessment", client_id=client.id, detail="list")
    return crud.list_assessments(db, client.id)


def get_assessment(db: Session, user: User, client: Client, assessment_id: int) -> Assessment:
    return read_one(db, user, client, crud.get_assessment(db, client.id, assessment_id), "assessment")


def latest(db: Session, client_id: int) -> Assessment | None:
    return crud.latest_assessment(db, client_id)
