"""A realistic clinic for benchmarks: trainers, clients and a year of their records (not a test).

Everything is written through ``retrowalk.storage.crud`` (the same functions the API uses) and
the clinical content comes from the core itself (assessment findings, prescriptions, KOOS
scores, IMU gait metrics of synthetic walks), so the data has the shapes the pages really read
and keeps working when the layers above storage are refactored. Deterministic for a seed.

Per client over ``days``: an assessment and a new programme every 13 weeks, KOOS every 6 weeks,
``sessions_per_week`` sessions logging up to ``exercises_per_session`` programme exercises each
(pain slowly settling, with the occasional flare), and an IMU recording every 4 weeks.

    python benchmarks/clinic_data.py --database-url sqlite:///clinic.sqlite3 --trainers 5 --clients 100
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from retrowalk.core import assessment as core_assessment
from retrowalk.core import prescription as core_prescription
from retrowalk.core.prescription import ProgrammeItem
from retrowalk.core.scores import koos as core_koos
from retrowalk.storage import Database, crud

PASSWORD = "clinic benchmark password"
ASSESS_EVERY = timedelta(weeks=13)
KOOS_EVERY = timedelta(weeks=6)
RECORD_EVERY = timedelta(weeks=4)
GOALS = (["walking", "stairs"], ["walking"], ["stairs"])


@dataclass(frozen=True)
class ClinicSize:
    trainers: int = 5
    clients: int = 100
    days: int = 365
    sessions_per_week: int = 3
    exercises_per_session: int = 3


@dataclass
class Clinic:
    """What was created: ids and logins (all share :data:`PASSWORD`), and row counts."""

    trainer_usernames: list[str] = field(default_factory=list)
    trainer_ids: list[int] = field(default_factory=list)
    client_ids: list[int] = field(default_factory=list)
    client_usernames: list[str] = field(default_factory=list)
    admin_username: str = "clinic-admin"
    counts: Counter[str] = field(default_factory=Counter)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, dtime(hour, 0), tzinfo=UTC)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _assessment_inputs(rng: random.Random, progress: float, sex: str, age: int) -> dict[str, Any]:
    """Inputs of one screen; ``progress`` 0 -> 1 over the year (pain down, measures up)."""

    def m(test_id: str, side: str, value: float) -> dict[str, Any]:
        return {"test_id": test_id, "side": side, "value": round(value, 1)}

    pain = _clamp(rng.gauss(5 - 3 * progress, 1), 0, 9)
    return {
        "age": age,
        "sex": sex,
        "body_mass_kg": round(rng.uniform(55, 105)),
        "pain_at_rest_nprs": round(_clamp(pain - 2, 0, 10)),
        "pain_activity_nprs": round(pain),
        "red_flags": [],
        "measurements": [
            m("knee_to_wall", "left", _clamp(rng.gauss(7 + 3 * progress, 1.5), 0, 20)),
            m("knee_to_wall", "right", _clamp(rng.gauss(10 + 2 * progress, 1.5), 0, 20)),
            m("single_leg_stance", "left", _clamp(rng.gauss(8 + 10 * progress, 3), 0, 60)),
            m("single_leg_stance", "right", _clamp(rng.gauss(12 + 8 * progress, 3), 0, 60)),
            m("chair_stand_30s", "both", round(_clamp(rng.gauss(10 + 4 * progress, 2), 0, 40))),
        ],
    }


def _assess_and_prescribe(
    inputs: dict[str, Any], goals: list[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], float]:
    """(inputs, findings, programme) as the API stores them (the core models' JSON dumps)."""
    inp = core_assessment.AssessmentInput.model_validate(inputs)
    result = core_assessment.evaluate(inp)
    pain = float(inputs["pain_activity_nprs"])
    programme = core_prescription.prescribe(result, pain_nprs=pain, goals=goals)
    return (
        inp.model_dump(mode="json"),
        result.model_dump(mode="json"),
        programme.model_dump(mode="json"),
        pain,
    )


def _koos_answers(rng: random.Random, progress: float) -> dict[str, int | None]:
    level = 2.4 - 1.6 * progress  # 0 = no problems ... 4 = extreme
    answers: dict[str, int | None] = {}
    for item in core_koos.KOOS_ITEMS:
        answers[item.id] = None if rng.random() < 0.02 else round(_clamp(rng.gauss(level, 0.8), 0, 4))
    return answers


@cache
def _gait_metrics(cadence: int, direction: str) -> dict[str, Any]:
    """What the IMU engine stores for a 60 s synthetic walk at this cadence (cached per bucket)."""
    from retrowalk.gait.imu import analyse
    from retrowalk.gait.imu.synthetic import make_walk

    walk = make_walk(cadence_spm=float(cadence), direction=direction, seed=cadence, asymmetry_pct=4.0)
    return dict(analyse(walk.recording, placement="waist").model_dump(mode="json"))


def _dose_fields(item: ProgrammeItem) -> dict[str, Any]:
    dose = item.dose.model_dump()
    return {
        k: dose[k]
        for k in ("minutes", "speed_kmh", "incline_pct", "handrails", "sets", "reps", "hold_s")
        if dose.get(k) is not None
    }


def _add_client(
    db: Any, clinic: Clinic, index: int, trainer: Any, size: ClinicSize, today: date, rng: random.Random
) -> None:
    sex = rng.choice(["female", "male"])
    age = rng.randint(35, 80)
    client = crud.create_client(
        db,
        f"Client {index:03d}",
        trainer=trainer,
        sex=sex,
        date_of_birth=date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)),
        notes="Benchmark record: knee pain, backward-walking programme.",
    )
    username = f"client-{index:03d}"
    crud.create_user(db, username, PASSWORD, "client", display_name=client.name, client_id=client.id)
    clinic.client_ids.append(client.id)
    clinic.client_usernames.append(username)
    start = today - timedelta(days=size.days - rng.randint(0, min(30, size.days // 4)))
    goals = list(rng.choice(GOALS))
    session_days = sorted(rng.sample(range(7), size.sessions_per_week))

    programme: Any = None
    next_assess, next_koos, next_record = start, start + timedelta(days=1), start + timedelta(days=2)
    day = start
    while day <= today:
        progress = (day - start).days / max(size.days, 1)
        if day >= next_assess:
            inputs, findings, content, pain = _assess_and_prescribe(
                _assessment_inputs(rng, progress, sex, age), goals
            )
            stop = bool(findings.get("stop", False))
            a = crud.add_assessment(
                db, client.id, inputs=inputs, findings=findings, pain_nprs=pain, stop=stop, by=trainer
            )
            a.created_at = _at(day, 9)
            programme = crud.add_programme(
                db, client.id, content=content, assessment_id=a.id, pain_nprs=pain, goals=goals, by=trainer
            )
            programme.created_at = _at(day, 9)
            clinic.counts["assessments"] += 1
            clinic.counts["programmes"] += 1
            next_assess = day + ASSESS_EVERY
        if day >= next_koos:
            answers = _koos_answers(rng, progress)
            scores = core_koos.score_koos(dict(answers), missing_rule="2012").model_dump(mode="json")
            q = crud.add_questionnaire(db, client.id, answers=answers, scores=scores, by=trainer)
            q.created_at = _at(day, 11)
            clinic.counts["koos"] += 1
            next_koos = day + KOOS_EVERY
        if day.weekday() in session_days and programme is not None:
            items = programme.content.items[: size.exercises_per_session]
            for item in items:
                pain = _clamp(rng.gauss(3.5 - 2.5 * progress, 1.0), 0, 10)
                if rng.random() < 0.03:
                    pain = _clamp(pain + rng.uniform(3, 5), 0, 10)  # a flare
                log = crud.add_session_log(
                    db,
                    client.id,
                    programme_id=programme.id,
                    by=trainer,
                    session_date=day,
                    exercise_id=item.exercise_id,
                    pain_before=round(_clamp(pain - 1, 0, 10)),
                    pain_during=round(pain),
                    pain_after=round(_clamp(pain - 0.5, 0, 10)),
                    pain_next_morning=None if day == today else round(_clamp(pain - 1.5, 0, 10)),
                    completed=rng.random() > 0.05,
                    notes="",
                    **_dose_fields(item),
                )
                log.created_at = _at(day, 18)
                clinic.counts["session_logs"] += 1
        if day >= next_record:
            cadence = 5 * round(_clamp(rng.gauss(90 + 20 * progress, 6), 60, 130) / 5)
            direction = "backward" if rng.random() < 0.6 else "forward"
            name = f"walk-{client.id}-{day.isoformat()}.csv"
            rec = crud.add_recording(
                db,
                client.id,
                by=trainer,
                kind="imu",
                original_name=name,
                path=f"uploads/{client.id}/{hashlib.sha1(name.encode()).hexdigest()}.csv",
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                size_bytes=rng.randint(200_000, 900_000),
                status="analysed",
                metrics=_gait_metrics(cadence, direction),
            )
            rec.created_at = _at(day, 12)
            clinic.counts["recordings"] += 1
            next_record = day + RECORD_EVERY
        day += timedelta(days=1)


def generate(
    database: Database, size: ClinicSize = ClinicSize(), *, seed: int = 0, today: date | None = None
) -> Clinic:
    """Fill ``database`` (migrated; may hold other data) with one clinic, one transaction per client."""
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    clinic = Clinic()
    with database.transaction() as db:
        if crud.get_user_by_username(db, clinic.admin_username) is None:
            crud.create_user(db, clinic.admin_username, PASSWORD, "admin", display_name="Clinic admin")
        trainers = []
        for t in range(size.trainers):
            username = f"trainer-{t:02d}"
            trainer = crud.create_user(db, username, PASSWORD, "trainer", display_name=f"Trainer {t:02d}")
            trainers.append(trainer)
            clinic.trainer_usernames.append(username)
            clinic.trainer_ids.append(trainer.id)
    for index in range(size.clients):
        with database.transaction() as db:
            trainer = crud.get_user(db, clinic.trainer_ids[index % size.trainers])
            _add_client(db, clinic, index, trainer, size, today, rng)
    clinic.counts["clients"] = size.clients
    clinic.counts["trainers"] = size.trainers
    return clinic


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="e.g. sqlite:///clinic.sqlite3")
    parser.add_argument("--trainers", type=int, default=ClinicSize.trainers)
    parser.add_argument("--clients", type=int, default=ClinicSize.clients)
    parser.add_argument("--days", type=int, default=ClinicSize.days)
    parser.add_argument("--sessions-per-week", type=int, default=ClinicSize.sessions_per_week)
    parser.add_argument("--exercises-per-session", type=int, default=ClinicSize.exercises_per_session)
    parser.add_argument("--seed", type=int, default=0)
    opts = parser.parse_args()
    size = ClinicSize(
        opts.trainers, opts.clients, opts.days, opts.sessions_per_week, opts.exercises_per_session
    )
    database = Database(opts.database_url)
    database.upgrade()
    started = time.perf_counter()
    clinic = generate(database, size, seed=opts.seed)
    database.dispose()
    print(
        f"created in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{n} {k}" for k, n in clinic.counts.items())
    )
    print(
        f"logins (password {PASSWORD!r}): {clinic.admin_username}, "
        f"{clinic.trainer_usernames[0]}, {clinic.client_usernames[0]}"
    )


if __name__ == "__main__":
    main()
