"""Assessments: raw test values in, findings computed by the core, stored and audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app import clinical
from retrowalk.app.access import read_one
from retrowalk.app.clinical import demo_assessment_inputs
from retrowalk.core.assessment import TestChange, compare_visits
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, User

__all__ = [
    "AssessmentIn",
    "demo_assessment_inputs",
    "get_assessment",
    "list_assessments",
    "record_assessment",
]


#: Which knee hurts, asked on every assessment.
AffectedSide = Literal["left", "right", "both"]
AFFECTED_SIDES: tuple[str, ...] = ("left", "right", "both")


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Any] = Field(description="The core's AssessmentInput (see retrowalk.core.assessment).")
    affected_side: AffectedSide | None = Field(default=None, description="which knee hurts")


def record_assessment(
    db: Session,
    user: User,
    client: Client,
    inputs: Mapping[str, Any],
    *,
    detail: str = "",
    affected_side: AffectedSide | None = None,
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
        affected_side=affected_side,
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


@dataclass(frozen=True)
class Visit:
    """One assessment beside the one before it."""

    assessment: Assessment
    previous: Assessment | None
    changes: list[TestChange]


def compare(current: Assessment, previous: Assessment | None) -> list[TestChange]:
    """Each test of ``current`` beside ``previous`` with the change and whether it is beyond the
    test's measurement error (the core's :func:`compare_visits`)."""
    return compare_visits(previous.inputs if previous is not None else None, current.inputs)


def visits(db: Session, user: User, client: Client) -> list[Visit]:
    """Every assessment, newest first, each compared with the visit before it (audited read)."""
    rows = sorted(crud.list_assessments(db, client.id), key=lambda a: (a.created_at, a.id))
    crud.audit(db, user, "read", "assessment", client_id=client.id, detail="history")
    out = [
        Visit(a, rows[i - 1] if i else None, compare(a, rows[i - 1] if i else None))
        for i, a in enumerate(rows)
    ]
    return out[::-1]


def prefill(db: Session, client: Client) -> dict[str, Any]:
    """The last assessment's entries as form values (``m.<test>.<side>``, age, mass, side), so a
    re-assessment starts from what was measured last time. Pain and red flags are not carried
    over: they are today's state and must be asked again."""
    last = crud.latest_assessment(db, client.id)
    if last is None:
        return {}
    inputs = last.inputs
    values: dict[str, Any] = {
        key: getattr(inputs, key)
        for key in ("age", "body_mass_kg", "sex")
        if getattr(inputs, key) is not None
    }
    for m in inputs.measurements:
        value = m.value
        values[f"m.{m.test_id}.{m.side}"] = (
            ("yes" if value else "no") if isinstance(value, bool) else f"{value:g}"
        )
    if last.affected_side:
        values["affected_side"] = last.affected_side
    return values
