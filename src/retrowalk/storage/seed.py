"""Demo data for a first start: a trainer, a client with an account, an assessment, a programme
and a few logged sessions. Runs only on an empty database; passwords are random and returned
once for printing (only their argon2 hashes are stored)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from retrowalk.core.scores.koos import KOOS_ITEMS
from retrowalk.storage import crud

DEMO_ADMIN = "admin"
DEMO_TRAINER = "demo-trainer"
DEMO_CLIENT = "demo-client"


@dataclass(frozen=True)
class DemoCredentials:
    username: str
    password: str
    role: str


def _password() -> str:
    return secrets.token_urlsafe(12)


def seed_demo(db: Session) -> list[DemoCredentials]:
    """Create the demo accounts and records; returns the credentials, or [] if users exist."""
    from retrowalk.app import clinical

    if crud.count_users(db) > 0:
        return []
    creds = [
        DemoCredentials(DEMO_ADMIN, _password(), "admin"),
        DemoCredentials(DEMO_TRAINER, _password(), "trainer"),
        DemoCredentials(DEMO_CLIENT, _password(), "client"),
    ]
    crud.create_user(db, DEMO_ADMIN, creds[0].password, "admin", display_name="Administrator")
    trainer = crud.create_user(db, DEMO_TRAINER, creds[1].password, "trainer", display_name="Demo Trainer")
    client = crud.create_client(
        db,
        "Demo Client",
        trainer=trainer,
        sex="female",
        notes="Demo record: anterior knee pain, 6 months, keen walker.",
    )
    crud.create_user(
        db, DEMO_CLIENT, creds[2].password, "client", display_name=client.name, client_id=client.id
    )

    inputs, findings = clinical.evaluate_assessment(clinical.demo_assessment_inputs())
    assessment = crud.add_assessment(
        db,
        client.id,
        inputs=inputs,
        findings=findings,
        pain_nprs=4.0,
        stop=bool(findings.get("stop", False)),
        by=trainer,
    )
    content = clinical.prescribe(findings, pain_nprs=4.0, goals=["walking", "stairs"])
    programme = crud.add_programme(
        db,
        client.id,
        content=content,
        assessment_id=assessment.id,
        pain_nprs=4.0,
        goals=["walking", "stairs"],
        by=trainer,
    )
    today = datetime.now(UTC).date()
    for i, (minutes, speed, during, after, morning) in enumerate(
        [(5, 2.0, 3, 2, 1), (6, 2.0, 3, 2, 1), (7, 2.5, 2, 2, 1)]
    ):
        crud.add_session_log(
            db,
            client.id,
            programme_id=programme.id,
            by=trainer,
            session_date=today - timedelta(days=6 - 2 * i),
            exercise_id=clinical.DEMO_EXERCISE,
            minutes=float(minutes),
            speed_kmh=speed,
            incline_pct=0.0,
            handrails="both",
            pain_before=1.0,
            pain_during=float(during),
            pain_after=float(after),
            pain_next_morning=float(morning),
            completed=True,
            notes="demo session",
        )
    for weeks_ago, answer in ((6, 2), (0, 1)):
        answers: dict[str, int | None] = {item.id: answer for item in KOOS_ITEMS}
        row = crud.add_questionnaire(
            db, client.id, answers=dict(answers), scores=clinical.score_koos(answers, "2012"), by=trainer
        )
        row.created_at = datetime.now(UTC) - timedelta(weeks=weeks_ago)
    crud.audit(db, None, "create", "demo_seed", client_id=client.id, detail="first start")
    return creds
