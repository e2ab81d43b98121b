"""ClientRecord ↔ retrowalk.storage: load a client's record, or import one in ONE transaction.

Record ids are derived from database ids with a kind prefix ("qr-3", "log-12-during"), so they
are stable across exports but carry no name. Import creates a NEW client; it never merges into an
existing one (matching patients across systems is out of scope).

Everything goes through :mod:`retrowalk.storage.crud` and the typed stored documents: gait values
travel as the engine-independent :class:`~retrowalk.gait.summary.GaitSummary`, so an upload and an
import export alike. A stored row that cannot be read stops the export (``UnreadableRow``) rather
than leaving it silently incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from retrowalk.core.exercises import Dose as CoreDose
from retrowalk.core.scores.koos import KoosScores as CoreKoosScores
from retrowalk.core.vocab import SEX_VALUES
from retrowalk.errors import InputError
from retrowalk.gait.summary import GaitSummary, Observation, from_observations, observations
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
from retrowalk.storage import crud
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
    row: M.Recording, obs: Observation, *, source: str | None, direction: str
) -> GaitMetric | None:
    """One gait value of a recording row; None when implausible (kept out of exports)."""
    concept = C.GAIT_CONCEPTS.get(obs.metric)
    suffix = obs.metric.replace("_", "-") + (f"-{obs.side}" if obs.side else "")
    try:
        return GaitMetric(
            id=f"rec-{row.id}-{suffix}",
            effective=row.created_at,
            metric=obs.metric,
            value=obs.value,
            unit=obs.unit or (concept.unit if concept else C.SCORE_UNIT),
            side=obs.side,
            direction=direction if direction in ("forward", "backward") else None,
            source=source,
        )
    except ValidationError:
        return None


def _gait_from_recording(row: M.Recording) -> list[GaitMetric]:
    """The gait values of a recording (analysed upload or import), from its summary."""
    summary = row.gait
    if summary is None:
        return []
    found = [
        _gait_metric(row, obs, source=summary.source, direction=summary.direction)
        for obs in observations(summary)
    ]
    return [g for g in found if g is not None]


def _imported_gait(record: ClientRecord) -> list[tuple[datetime, GaitSummary]]:
    """The record's gait values as summaries: one per time, source and direction."""
    groups: dict[tuple[datetime, str | None, str | None], list[GaitMetric]] = {}
    for g in record.gait:
        groups.setdefault((g.effective, g.source, g.direction), []).append(g)
    out: list[tuple[datetime, GaitSummary]] = []
    for (when, source, direction), metrics in groups.items():
        summaries = from_observations(
            (Observation(metric=g.metric, value=g.value, unit=g.unit, side=g.side) for g in metrics),
            source=source,
            direction=direction,
        )
        out.extend((when, summary) for summary in summaries)
    return out


def record_from_db(db: Session, client_id: int) -> ClientRecord:
    """The client's whole record; raises InputError when the client does not exist."""
    client = crud.get_client(db, client_id)
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
    koos = [
        KoosResponse(
            id=f"qr-{row.id}",
            authored=row.created_at,
            answers={k: int(v) for k, v in (row.answers or {}).items() if v is not None},
            scores=KoosScores.model_validate(row.scores.model_dump()),
        )
        for row in crud.list_questionnaires(db, client_id, "koos")
    ]
    pain: list[PainObservation] = []
    measurements: list[Measurement] = []
    for a in crud.list_assessments(db, client_id):
        inputs = a.inputs
        rest = inputs.pain_at_rest_nprs if "pain_at_rest_nprs" in inputs.model_fields_set else None
        for value, context in ((rest, "rest"), (inputs.pain_activity_nprs, "during")):
            if value is not None:
                pain.append(
                    PainObservation(
                        id=f"a{a.id}-{context}", effective=a.created_at, value=value, context=context
                    )
                )
        for i, m in enumerate(inputs.measurements):
            if isinstance(m.value, bool):
                continue  # positive/negative tests have no FHIR quantity; see docs/interop.md
            concept = C.MEASUREMENT_CONCEPTS.get(m.test_id)
            unit = C.CATALOGUE_UNIT_TO_UCUM.get(m.unit or "", concept.unit if concept else C.SCORE_UNIT)
            measurements.append(
                Measurement(
                    id=f"a{a.id}-{i}",
                    effective=a.created_at,
                    test_id=m.test_id,
                    side="bilateral" if m.side == "both" else m.side,
                    value=m.value,
                    unit=unit,
                )
            )
    programmes = []
    rows = crud.list_programmes(db, client_id)
    for n, p in enumerate(rows):
        activities = [
            ProgrammeActivity(
                exercise_id=item.exercise_id,
                name=item.name or None,
                stage=item.stage or None,
                dose=_dose_from_core(item.dose.model_dump()),
                reason=item.reason or None,
            )
            for item in p.content.items
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
    for log in crud.list_session_logs(db, client_id):
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
    for recording in crud.list_recordings(db, client_id):
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
        return [record_from_db(db, cid) for cid in crud.list_client_ids(db)]


def _group_measurements(record: ClientRecord) -> Iterator[tuple[datetime, list[Measurement]]]:
    groups: dict[datetime, list[Measurement]] = {}
    for m in record.measurements:
        groups.setdefault(m.effective, []).append(m)
    yield from sorted(groups.items())


def _trainer(db: Session, username: str) -> M.User:
    trainer = crud.get_user_by_username(db, username)
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


def _prefixed(exc: InputError, prefix: str) -> InputError:
    return InputError(f"{prefix}.{exc.field}", exc.message, hint=exc.hint)


def import_record(database: Database, record: ClientRecord, *, trainer_username: str | None = None) -> int:
    """Write the record as a new client in one transaction (all or nothing); returns the client id.

    Gait values become recording rows of kind "imported" (no file; their gait summary holds them).
    A programme dose outside the core's bounds fails the whole import (InputError naming it).
    """
    with database.transaction() as db:
        client = crud.create_client(
            db,
            record.patient.name or f"Imported {record.patient.id}",
            trainer=_trainer(db, trainer_username) if trainer_username is not None else None,
            sex=record.patient.sex,
            notes=f"Imported from FHIR (patient {record.patient.id}"
            + (f", birth year {record.patient.birth_year}" if record.patient.birth_year else "")
            + ")",
        )
        for k in record.koos:
            scores = k.scores.model_dump() if k.scores else {}
            crud.add_questionnaire(
                db,
                client.id,
                answers=dict(k.answers),
                scores=CoreKoosScores.model_validate(
                    {sub: scores.get(sub) for sub in CoreKoosScores.model_fields}
                ),
                instrument="koos",
                by=None,
                created_at=k.authored,
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
            crud.add_assessment(
                db,
                client.id,
                inputs=inputs,
                findings=None,
                pain_nprs=None,
                stop=False,
                by=None,
                created_at=when,
            )
        for when, summary in _imported_gait(record):
            crud.add_imported_gait(db, client.id, when=when, summary=summary)
        programme_ids: dict[str, int] = {}
        for p in record.programmes:
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
            try:
                row = crud.add_programme(
                    db,
                    client.id,
                    content=content,
                    assessment_id=None,
                    pain_nprs=None,
                    by=None,
                    created_at=p.created,
                )
            except InputError as exc:
                raise _prefixed(exc, f"programmes[{p.id}]") from exc
            programme_ids[p.id] = row.id
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
            for ex in s.exercises:
                crud.add_session_log(
                    db,
                    client.id,
                    programme_id=programme_ids.get(s.programme_id or ""),
                    by=None,
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
        return client.id
