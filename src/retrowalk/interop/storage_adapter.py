"""ClientRecord ↔ retrowalk.storage: load a client's record, or import one in ONE transaction.

Record ids are derived from database ids with a kind prefix ("qr-3", "log-12-during"), so they
are stable across exports but carry no name. Import creates a NEW client; it never merges into an
existing one (matching patients across systems is out of scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from retrowalk.core.exercises import Dose as CoreDose
from retrowalk.core.vocab import SEX_VALUES
from retrowalk.errors import InputError
from retrowalk.interop import codes as C
from retrowalk.interop.record import (
    ClientRecord,
    Dose,
    GaitMetric,
    KoosResponse,
    KoosScores,
    LoggedSession,
    Measurement,
    PainObservation,
    PatientInfo,
    PractitionerInfo,
    Programme,
    ProgrammeActivity,
    SessionExercise,
)
from retrowalk.storage import models as M
from retrowalk.storage.db import Database

#: core Dose field -> interop Dose field (the rest share names).
_CORE_DOSE = {"minutes": "duration_min", "sessions_per_week": "frequency_per_week"}
_INTEROP_DOSE = {v: k for k, v in _CORE_DOSE.items()}
_CORE_DOSE_FIELDS = tuple(CoreDose.model_fields)
_SESSION_PAIN = {"pain_during": "during", "pain_after": "after", "pain_next_morning": "next_day"}
_SEXES = frozenset(SEX_VALUES)


def _dose_from_core(raw: Any) -> Dose:
    if not isinstance(raw, dict):
        return Dose()
    data = {_CORE_DOSE.get(k, k): v for k, v in raw.items() if k in _CORE_DOSE_FIELDS and v is not None}
    if data.get("per_side") is False:
        data.pop("per_side")  # the core's default; keeps exports free of noise
    return Dose.model_validate(data)


def _dose_to_core(dose: Dose) -> dict[str, Any]:
    out = {}
    for field in Dose.model_fields:
        value = getattr(dose, field)
        core = _INTEROP_DOSE.get(field, field)
        if value is not None and core in _CORE_DOSE_FIELDS:
            out[core] = value
    return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _gait_metric(
    row: M.Recording,
    metric: str,
    value: Any,
    *,
    side: str | None = None,
    unit: str | None = None,
    source: str | None = None,
    direction: str | None = None,
) -> GaitMetric | None:
    """One gait metric of a recording row; None when absent or implausible (kept out of exports)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    concept = C.GAIT_CONCEPTS.get(metric)
    suffix = metric.replace("_", "-") + (f"-{side}" if side else "")
    try:
        return GaitMetric(
            id=f"rec-{row.id}-{suffix}",
            effective=row.created_at,
            metric=metric,
            value=value,
            unit=unit or (concept.unit if concept else "{score}"),
            side=side,
            direction=direction if direction in ("forward", "backward") else None,
            source=source if source in ("imu", "pose", "manual") else None,
        )
    except ValidationError:
        return None


def _gait_from_recording(row: M.Recording) -> list[GaitMetric]:
    """Gait metrics of an analysed upload (engine result JSON) or of an imported row."""
    data = row.metrics or {}
    found: list[GaitMetric | None] = []
    if row.kind == "imported":
        raw_units = data.get("units")
        units: dict[str, Any] = raw_units if isinstance(raw_units, dict) else {}
        for key, value in data.items():
            metric, _, side = key.partition(".")
            found.append(
                _gait_metric(
                    row,
                    metric,
                    value,
                    side=side or None,
                    unit=units.get(key),
                    source=data.get("source"),
                    direction=data.get("direction"),
                )
            )
    elif row.status == "analysed" and row.kind == "imu":
        for field, metric in C.IMU_RESULT_METRICS.items():
            found.append(_gait_metric(row, metric, data.get(field), source="imu"))
    elif row.status == "analysed" and row.kind == "pose":
        direction = data.get("direction")
        for field, metric in C.POSE_RESULT_METRICS.items():
            found.append(_gait_metric(row, metric, data.get(field), source="pose", direction=direction))
        for side in ("left", "right"):
            raw_side = data.get(side)
            per_side: dict[str, Any] = raw_side if isinstance(raw_side, dict) else {}
            for field, metric in C.POSE_SIDE_METRICS.items():
                found.append(
                    _gait_metric(
                        row, metric, per_side.get(field), side=side, source="pose", direction=direction
                    )
                )
    return [g for g in found if g is not None]


def _imported_gait_rows(record: ClientRecord) -> list[tuple[datetime, dict[str, Any]]]:
    """Gait metrics grouped into recording rows by time, source and direction (flat JSON).

    Keys are ``metric`` or ``metric.side`` with numeric values (so the outcomes charts pick them up),
    plus ``source``, ``direction`` and the ``units`` of each key.
    """
    rows: list[tuple[tuple[datetime, str | None, str | None], dict[str, Any]]] = []
    for g in record.gait:
        group = (g.effective, g.source, g.direction)
        key = g.metric + (f".{g.side}" if g.side else "")
        target = next((m for k, m in rows if k == group and key not in m), None)
        if target is None:
            target = {"source": g.source, "direction": g.direction, "units": {}}
            rows.append((group, target))
        target[key] = g.value
        target["units"][key] = g.unit
    return [(group[0], metrics) for group, metrics in rows]


def record_from_db(db: Session, client_id: int) -> ClientRecord:
    """The client's whole record; raises InputError when the client does not exist."""
    client = db.get(M.Client, client_id)
    if client is None:
        raise InputError(
            "client_id", f"no client with id {client_id}", hint="list clients with the API or web UI"
        )
    trainers = sorted(client.trainers, key=lambda u: u.id)
    practitioner = (
        PractitionerInfo(id=f"user-{trainers[0].id}", name=trainers[0].display_name or trainers[0].username)
        if trainers
        else None
    )
    patient = PatientInfo(
        id=f"client-{client.id}",
        birth_year=client.date_of_birth.year if client.date_of_birth else None,
        sex=client.sex if client.sex in _SEXES else None,
        name=client.name or None,
    )
    koos = []
    for row in db.scalars(
        select(M.QuestionnaireResponse)
        .where(M.QuestionnaireResponse.client_id == client_id, M.QuestionnaireResponse.instrument == "koos")
        .order_by(M.QuestionnaireResponse.id)
    ):
        answers = {k: int(v) for k, v in (row.answers or {}).items() if v is not None}
        scores = {k: v for k, v in (row.scores or {}).items() if k in KoosScores.model_fields}
        koos.append(
            KoosResponse(
                id=f"qr-{row.id}",
                authored=row.created_at,
                answers=answers,
                scores=KoosScores.model_validate(scores),
            )
        )
    pain: list[PainObservation] = []
    measurements: list[Measurement] = []
    for a in db.scalars(
        select(M.Assessment).where(M.Assessment.client_id == client_id).order_by(M.Assessment.id)
    ):
        inputs = a.inputs or {}
        for key, context in (("pain_at_rest_nprs", "rest"), ("pain_activity_nprs", "during")):
            if inputs.get(key) is not None:
                pain.append(
                    PainObservation(
                        id=f"a{a.id}-{context}", effective=a.created_at, value=inputs[key], context=context
                    )
                )
        for i, m in enumerate(inputs.get("measurements", [])):
            if isinstance(m.get("value"), bool):
                continue  # positive/negative tests have no FHIR quantity; see docs/interop.md
            concept = C.MEASUREMENT_CONCEPTS.get(m["test_id"])
            unit = C.CATALOGUE_UNIT_TO_UCUM.get(m.get("unit") or "", concept.unit if concept else "{score}")
            side = {"both": "bilateral"}.get(m.get("side", "both"), m.get("side"))
            measurements.append(
                Measurement(
                    id=f"a{a.id}-{i}",
                    effective=a.created_at,
                    test_id=m["test_id"],
                    side=side,
                    value=m["value"],
                    unit=unit,
                )
            )
    programmes = []
    rows = list(
        db.scalars(
            select(M.Programme).where(M.Programme.client_id == client_id).order_by(M.Programme.version)
        )
    )
    for n, p in enumerate(rows):
        activities = [
            ProgrammeActivity(
                exercise_id=item["exercise_id"],
                name=item.get("name") or None,
                stage=item.get("stage") or None,
                dose=_dose_from_core(item.get("dose")),
                reason=item.get("reason") or None,
            )
            for item in (p.content or {}).get("items", [])
        ]
        programmes.append(
            Programme(
                id=f"prog-{p.id}",
                created=p.created_at,
                status="active" if n == len(rows) - 1 else "completed",
                title=f"Programme version {p.version}",
                activities=activities,
            )
        )
    known_programmes = {p.id for p in rows}
    sessions = []
    for log in db.scalars(
        select(M.SessionLog)
        .where(M.SessionLog.client_id == client_id)
        .order_by(M.SessionLog.session_date, M.SessionLog.id)
    ):
        sid = f"log-{log.id}"
        when = _midnight(log.session_date)
        dose = Dose(
            sets=log.sets,
            reps=log.reps,
            duration_min=log.minutes,
            speed_kmh=log.speed_kmh,
            incline_pct=log.incline_pct,
            handrails=log.handrails,
        )
        sessions.append(
            LoggedSession(
                id=sid,
                performed=when,
                programme_id=f"prog-{log.programme_id}" if log.programme_id in known_programmes else None,
                exercises=[SessionExercise(exercise_id=log.exercise_id, dose=dose, completed=log.completed)],
                notes=log.notes or None,
            )
        )
        for column, context in _SESSION_PAIN.items():
            value = getattr(log, column)
            if value is not None:
                pain.append(
                    PainObservation(
                        # FHIR ids allow no underscore ("next_day").
                        id=f"{sid}-{context.replace('_', '-')}",
                        effective=when,
                        value=value,
                        context=context,
                        session_id=sid,
                    )
                )
    gait: list[GaitMetric] = []
    for recording in db.scalars(
        select(M.Recording)
        .where(M.Recording.client_id == client_id)
        .order_by(M.Recording.created_at, M.Recording.id)
    ):
        gait.extend(_gait_from_recording(recording))
    return ClientRecord(
        patient=patient,
        practitioner=practitioner,
        koos=koos,
        pain=pain,
        measurements=measurements,
        gait=gait,
        programmes=programmes,
        sessions=sessions,
    )


def all_records(database: Database) -> list[ClientRecord]:
    with database.transaction() as db:
        ids = list(db.scalars(select(M.Client.id).order_by(M.Client.id)))
        return [record_from_db(db, cid) for cid in ids]


def _group_measurements(record: ClientRecord) -> Iterator[tuple[datetime, list[Measurement]]]:
    groups: dict[datetime, list[Measurement]] = {}
    for m in record.measurements:
        groups.setdefault(m.effective, []).append(m)
    yield from sorted(groups.items())


def _trainer(db: Session, username: str) -> M.User:
    trainer = db.scalar(select(M.User).where(M.User.username == username))
    if trainer is None or trainer.role != "trainer" or not trainer.active:
        raise InputError(
            "--trainer",
            f"no active trainer {username!r}",
            hint="give the username of an active trainer account",
        )
    return trainer


def check_trainer(database: Database, username: str) -> None:
    """Raise InputError unless ``username`` is a trainer (lets a dry run catch a wrong --trainer)."""
    with database.transaction() as db:
        _trainer(db, username)


def import_record(database: Database, record: ClientRecord, *, trainer_username: str | None = None) -> int:
    """Write the record as a new client in one transaction (all or nothing); returns the client id.

    Gait metrics become recording rows of kind "imported" (no file; the metrics JSON holds them).
    """
    with database.transaction() as db:
        client = M.Client(
            name=record.patient.name or f"Imported {record.patient.id}",
            date_of_birth=None,
            sex=record.patient.sex,
            notes=f"Imported from FHIR (patient {record.patient.id}"
            + (f", birth year {record.patient.birth_year}" if record.patient.birth_year else "")
            + ")",
        )
        if trainer_username is not None:
            client.trainers.append(_trainer(db, trainer_username))
        db.add(client)
        db.flush()
        for k in record.koos:
            db.add(
                M.QuestionnaireResponse(
                    client_id=client.id,
                    created_at=k.authored,
                    instrument="koos",
                    answers=dict(k.answers),
                    scores=k.scores.model_dump() if k.scores else {},
                )
            )
        for when, group in _group_measurements(record):
            inputs = {
                "measurements": [
                    {
                        "test_id": m.test_id,
                        "side": "both" if m.side in (None, "bilateral") else m.side,
                        "value": m.value,
                    }
                    for m in group
                ]
            }
            db.add(
                M.Assessment(
                    client_id=client.id,
                    created_at=when,
                    inputs=inputs,
                    findings={"imported": True, "evaluated": False},
                )
            )
        for when, metrics in _imported_gait_rows(record):
            db.add(
                M.Recording(
                    client_id=client.id,
                    created_at=when,
                    kind="imported",
                    original_name="FHIR import",
                    path="",
                    sha256="",
                    size_bytes=0,
                    status="imported",
                    metrics=metrics,
                )
            )
        programme_rows: dict[str, M.Programme] = {}
        for version, p in enumerate(record.programmes, start=1):
            content = {
                "items": [
                    {
                        "exercise_id": a.exercise_id,
                        "name": a.name or "",
                        "stage": a.stage or "",
                        "reason": a.reason or "",
                        "dose": _dose_to_core(a.dose),
                    }
                    for a in p.activities
                ]
            }
            row = M.Programme(
                client_id=client.id, version=version, created_at=p.created, goals=[], content=content
            )
            db.add(row)
            programme_rows[p.id] = row
        db.flush()
        pain_by_session: dict[str, dict[str, float]] = {}
        for obs in record.pain:
            if (
                obs.session_id is not None
                and obs.context is not None
                and obs.context in _SESSION_PAIN.values()
            ):
                pain_by_session.setdefault(obs.session_id, {})[obs.context] = obs.value
        columns = {v: k for k, v in _SESSION_PAIN.items()}
        for s in record.sessions:
            pains = {columns[c]: v for c, v in pain_by_session.get(s.id, {}).items()}
            prog = programme_rows.get(s.programme_id or "")
            for ex in s.exercises:
                db.add(
                    M.SessionLog(
                        client_id=client.id,
                        programme_id=prog.id if prog else None,
                        session_date=s.performed.date(),
                        exercise_id=ex.exercise_id,
                        minutes=ex.dose.duration_min,
                        speed_kmh=ex.dose.speed_kmh,
                        incline_pct=ex.dose.incline_pct,
                        handrails=ex.dose.handrails,
                        sets=ex.dose.sets,
                        reps=ex.dose.reps,
                        completed=ex.completed,
                        notes=s.notes or "",
                        **pains,
                    )
                )
        db.flush()
        return client.id
