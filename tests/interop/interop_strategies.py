"""Hypothesis strategies and a hand-built sample for ClientRecord (shared by the interop tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from retrowalk.core.vocab import field_bounds
from retrowalk.interop.codes import GAIT_CONCEPTS, MEASUREMENT_CONCEPTS, UCUM_UNITS
from retrowalk.interop.koos import KOOS_ITEM_IDS
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

IDS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", min_size=1, max_size=20
)
CODES = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s != ""
)
WHEN = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
SIDE = st.sampled_from([None, "left", "right", "bilateral"])


def _in_range(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


@st.composite
def measurements(draw: st.DrawFn, rid: str) -> Measurement:
    if draw(st.booleans()):
        test_id = draw(st.sampled_from(sorted(MEASUREMENT_CONCEPTS)))
        c = MEASUREMENT_CONCEPTS[test_id]
        value, unit = draw(_in_range(c.low, c.high)), c.unit
    else:
        test_id = draw(CODES.filter(lambda s: s not in MEASUREMENT_CONCEPTS))
        value, unit = draw(_in_range(-1e6, 1e6)), draw(st.sampled_from(sorted(UCUM_UNITS)))
    return Measurement(id=rid, effective=draw(WHEN), test_id=test_id, side=draw(SIDE), value=value, unit=unit)


@st.composite
def gait_metrics(draw: st.DrawFn, rid: str) -> GaitMetric:
    metric = draw(st.sampled_from(sorted(GAIT_CONCEPTS)))
    c = GAIT_CONCEPTS[metric]
    return GaitMetric(
        id=rid,
        effective=draw(WHEN),
        metric=metric,
        value=draw(_in_range(c.low, c.high)),
        unit=c.unit,
        side=draw(SIDE),
        direction=draw(st.sampled_from([None, "forward", "backward"])),
        source=draw(st.sampled_from([None, "imu", "pose", "manual"])),
    )


def _int_bounds(name: str) -> tuple[int, int]:
    b = field_bounds(name)
    return int(b.min or 0), int(b.max or 0)


def _max(name: str) -> float:
    return field_bounds(name).max or 0.0


@st.composite
def doses(draw: st.DrawFn) -> Dose:
    def maybe(s: st.SearchStrategy[object]) -> object:
        return draw(st.none() | s)

    return Dose(
        sets=maybe(st.integers(*_int_bounds("sets"))),
        reps=maybe(st.integers(*_int_bounds("reps"))),
        duration_min=maybe(_in_range(0.01, 1440)),
        distance_m=maybe(_in_range(0.01, 100000)),
        load_kg=maybe(_in_range(0, 500)),
        speed_kmh=maybe(_in_range(0.01, _max("speed_kmh"))),
        incline_pct=maybe(_in_range(field_bounds("incline_pct").min or 0.0, _max("incline_pct"))),
        handrails=maybe(st.sampled_from(["none", "one", "both"])),
        frequency_per_week=maybe(st.integers(1, 21)),
        notes=maybe(TEXT),
    )


def _unique_ids(n: int) -> st.SearchStrategy[list[str]]:
    return st.lists(IDS, min_size=n, max_size=n, unique=True)


@st.composite
def client_records(draw: st.DrawFn) -> ClientRecord:
    n_koos, n_pain, n_meas, n_gait, n_prog, n_sess = (draw(st.integers(0, 3)) for _ in range(6))
    programmes = [
        Programme(
            id=pid,
            created=draw(WHEN),
            status=draw(st.sampled_from(["draft", "active", "completed"])),
            title=draw(st.none() | TEXT),
            activities=[
                ProgrammeActivity(
                    exercise_id=draw(CODES),
                    name=draw(st.none() | TEXT),
                    stage=draw(st.none() | TEXT),
                    dose=draw(doses()),
                    reason=draw(st.none() | TEXT),
                )
                for _ in range(draw(st.integers(0, 3)))
            ],
        )
        for pid in draw(_unique_ids(n_prog))
    ]
    sessions = [
        LoggedSession(
            id=sid,
            performed=draw(WHEN),
            programme_id=draw(st.sampled_from([None, *[p.id for p in programmes]])),
            exercises=[
                SessionExercise(exercise_id=draw(CODES), dose=draw(doses()), completed=draw(st.booleans()))
                for _ in range(draw(st.integers(0, 3)))
            ],
            notes=draw(st.none() | TEXT),
        )
        for sid in draw(_unique_ids(n_sess))
    ]
    koos = []
    for kid in draw(_unique_ids(n_koos)):
        answered = draw(st.lists(st.sampled_from(sorted(KOOS_ITEM_IDS)), unique=True, max_size=42))
        score = st.none() | _in_range(0, 100)
        koos.append(
            KoosResponse(
                id=kid,
                authored=draw(WHEN),
                answers={i: draw(st.integers(0, 4)) for i in answered},
                scores=KoosScores(
                    symptoms=draw(score),
                    pain=draw(score),
                    adl=draw(score),
                    sport_rec=draw(score),
                    qol=draw(score),
                ),
            )
        )
    pain = [
        PainObservation(
            id=oid,
            effective=draw(WHEN),
            value=draw(st.integers(0, 10) | _in_range(0, 10)),
            context=draw(st.sampled_from([None, "baseline", "during", "after", "next_day"])),
            session_id=draw(st.sampled_from([None, *[s.id for s in sessions]])),
        )
        for oid in draw(_unique_ids(n_pain))
    ]
    return ClientRecord(
        patient=PatientInfo(
            id=draw(IDS),
            birth_year=draw(st.none() | st.integers(1900, 2030)),
            sex=draw(st.sampled_from([None, "female", "male", "other", "unknown"])),
            name=draw(st.none() | TEXT),
        ),
        practitioner=draw(st.none() | st.builds(PractitionerInfo, id=IDS, name=st.none() | TEXT)),
        koos=koos,
        pain=pain,
        measurements=[draw(measurements(mid)) for mid in draw(_unique_ids(n_meas))],
        gait=[draw(gait_metrics(gid)) for gid in draw(_unique_ids(n_gait))],
        programmes=programmes,
        sessions=sessions,
    )


T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def sample_record() -> ClientRecord:
    """A realistic record touching every kind of data."""
    return ClientRecord(
        patient=PatientInfo(id="client-7f3a", birth_year=1958, sex="female", name="Ann Example"),
        practitioner=PractitionerInfo(id="trainer-1", name="Pat Physio"),
        koos=[
            KoosResponse(
                id="koos-1",
                authored=T0,
                answers={**{f"P{i}": 2 for i in range(1, 10)}, "S1": 1, "S4": 0, "S5": 3, "Q1": 4, "A1": 2},
                scores=KoosScores(pain=50.0, symptoms=75.0, qol=0.0),
            )
        ],
        pain=[
            PainObservation(id="p0", effective=T0, value=6, context="baseline"),
            PainObservation(
                id="p1", effective=T0 + timedelta(days=7), value=3, context="during", session_id="s1"
            ),
        ],
        measurements=[
            Measurement(
                id="m1", effective=T0, test_id="knee_flexion_rom", side="left", value=118.0, unit="deg"
            ),
            Measurement(
                id="m2",
                effective=T0,
                test_id="hip_abduction_hhd",
                side="right",
                value=1.12,
                unit="N.m/kg",
            ),
            Measurement(
                id="m3", effective=T0, test_id="single_leg_stance", side="left", value=21.5, unit="s"
            ),
            Measurement(id="m4", effective=T0, test_id="chair_stand_30s", value=11, unit="{count}"),
        ],
        gait=[
            GaitMetric(
                id="g1",
                effective=T0,
                metric="cadence",
                value=92.4,
                unit="/min",
                direction="backward",
                source="imu",
            ),
            GaitMetric(
                id="g2", effective=T0, metric="step_time_asymmetry", value=7.5, unit="%", source="imu"
            ),
            GaitMetric(
                id="g3",
                effective=T0,
                metric="knee_extension_stance",
                value=4.0,
                unit="deg",
                side="left",
                source="pose",
            ),
        ],
        programmes=[
            Programme(
                id="prog-1",
                created=T0,
                title="Retro walking, stage 1",
                activities=[
                    ProgrammeActivity(
                        exercise_id="retro_walk_treadmill",
                        name="Backward treadmill walking",
                        stage="1",
                        dose=Dose(
                            duration_min=10,
                            speed_kmh=2.0,
                            incline_pct=0,
                            handrails="both",
                            frequency_per_week=3,
                        ),
                        reason="quadriceps loading with low patellofemoral stress",
                    ),
                    ProgrammeActivity(
                        exercise_id="sit_to_stand", dose=Dose(sets=3, reps=10, frequency_per_week=3)
                    ),
                ],
            )
        ],
        sessions=[
            LoggedSession(
                id="s1",
                performed=T0 + timedelta(days=7),
                programme_id="prog-1",
                exercises=[
                    SessionExercise(
                        exercise_id="retro_walk_treadmill",
                        dose=Dose(duration_min=8, speed_kmh=1.8, handrails="both"),
                    ),
                    SessionExercise(exercise_id="sit_to_stand", dose=Dose(sets=2, reps=10), completed=False),
                ],
                notes="felt fine",
            )
        ],
    )
