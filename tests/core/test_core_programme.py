"""Exercise library validation, prescription guarantees and progression invariants."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.assessment import AssessmentInput, Measurement, evaluate, load_catalogue
from retrowalk.core.exercises import FORWARD_WALK_ID, Dose, harder_variables, library_from_data, load_library
from retrowalk.core.prescription import active_conditions, contraindicated_by, prescribe, programme_from_items
from retrowalk.core.progression import (
    DecisionKind,
    ExerciseLog,
    HandsFreeEvidence,
    SessionRecord,
    TrainerSignOff,
    decide_next,
    load_config,
    weekly_trend,
    weekly_trends_as_of,
)
from retrowalk.errors import DataFileError, InputError

LIB = load_library()
RAW = load_yaml("exercises.yaml")


# ---- library ---------------------------------------------------------------------------------------------
def test_library_contents() -> None:
    retro = [e for e in LIB.exercises.values() if e.family == "retro_walk"]
    assert [e.id for e in retro] == ["retro_walk_1", "retro_walk_2", "retro_walk_3", "retro_walk_4"]
    first = LIB.get("retro_walk_1").dose
    assert first.handrails == "both" and first.safety_key and 2 <= (first.speed_kmh or 0) <= 3
    assert LIB.get("retro_walk_3").dose.handrails == "none"
    assert (LIB.get("retro_walk_4").dose.incline_pct or 0) > 0
    assert LIB.get("retro_walk_4").graduates_to
    families = {e.family for e in LIB.exercises.values()}
    assert {
        "decline_squat",
        "hip_airplane",
        "short_foot",
        "glute_extension",
        "vmo",
        "balance",
        "forward_walk",
    } <= families
    for e in LIB.exercises.values():
        assert e.source.strip() and e.cues


def _broken(mutate: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    mutate({e["id"]: e for e in raw["exercises"]}, raw)
    return raw


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda ex, raw: ex["retro_walk_1"].update(progression_id="retro_walk_9"), "retro_walk_9"),
        (lambda ex, raw: ex["glute_bridge"].update(regression_id="nope_bridge"), "nope_bridge"),
        (lambda ex, raw: ex["retro_walk_4"].update(graduates_to=["moon_walk"]), "moon_walk"),
        (lambda ex, raw: ex["decline_squat_90"]["contraindications"].append("bad_mood"), "bad_mood"),
        (lambda ex, raw: ex["retro_walk_3"]["dose"].update(minutes=25), "retro_walk_3"),
        (lambda ex, raw: ex["retro_walk_2"]["dose"].update(speed_kmh=4.0), "retro_walk_2"),
        (lambda ex, raw: raw["exercises"].append(dict(ex["glute_bridge"])), "glute_bridge"),
        (lambda ex, raw: ex["forward_walk"].update(contraindications=["severe_pain"]), "forward_walk"),
    ],
)
def test_library_breakage_fails_loudly(mutate: Any, needle: str) -> None:
    with pytest.raises(DataFileError, match=needle):
        library_from_data(_broken(mutate))


def test_progression_link_raising_two_variables_is_rejected() -> None:
    def mutate(ex: dict[str, Any], raw: dict[str, Any]) -> None:
        ex["retro_walk_4"]["dose"].update(minutes=22)
        ex["retro_walk_4"]["progress"][0]["max"] = 24

    with pytest.raises(DataFileError, match="one variable"):
        library_from_data(_broken(mutate))


# ---- prescription ----------------------------------------------------------------------------------------
TEST_VALUES: dict[str, Any] = {
    "knee_to_wall": st.floats(0, 25),
    "navicular_drop": st.floats(0, 30),
    "lateral_step_down": st.integers(0, 6),
    "knee_extension_deficit": st.floats(0, 60),
    "knee_flexion_rom": st.floats(0, 170),
    "hip_internal_rotation": st.floats(0, 70),
    "thomas_hip_angle": st.floats(-30, 45),
    "thomas_knee_angle": st.floats(0, 150),
    "active_knee_extension": st.floats(0, 90),
    "single_leg_stance": st.floats(0, 45),
    "hip_abduction_hhd": st.floats(0.1, 5),
    "hip_extension_hhd": st.floats(0.1, 5),
    "seated_thoracic_rotation": st.floats(0, 90),
}


@st.composite
def intakes(draw: st.DrawFn) -> tuple[AssessmentInput, float, list[str]]:
    measurements = []
    for test_id in draw(st.lists(st.sampled_from(sorted(TEST_VALUES)), unique=True)):
        for side in draw(st.sampled_from([["left"], ["right"], ["left", "right"]])):
            measurements.append(Measurement(test_id=test_id, side=side, value=draw(TEST_VALUES[test_id])))
    if draw(st.booleans()):
        measurements.append(
            Measurement(test_id="chair_stand_30s", side="both", value=draw(st.integers(0, 30)))
        )
    if draw(st.booleans()):
        measurements.append(Measurement(test_id="prone_instability", side="both", value=draw(st.booleans())))
    inp = AssessmentInput(
        age=draw(st.integers(60, 94)),
        sex=draw(st.sampled_from(["female", "male"])),
        pain_at_rest_nprs=draw(st.integers(0, 7)),
        measurements=measurements,
    )
    goals = draw(
        st.lists(st.sampled_from(["stairs", "squatting", "balance", "sport", "walking"]), unique=True)
    )
    return inp, draw(st.floats(0, 10)), goals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intakes())
def test_prescription_guarantees(case: tuple[AssessmentInput, float, list[str]]) -> None:
    inp, pain, goals = case
    result = evaluate(inp)
    programme = prescribe(result, pain_nprs=pain, goals=goals)
    active = active_conditions(result, pain, LIB)
    ids = [i.exercise_id for i in programme.items]
    assert FORWARD_WALK_ID in ids
    assert len(ids) == len(set(ids)) and len(ids) >= 2
    assert any(not i.startswith("retro_walk") for i in ids)
    for item in programme.items:
        assert contraindicated_by(LIB.get(item.exercise_id), active) == []
        assert item.reason
    assert prescribe(result, pain_nprs=pain, goals=goals) == programme  # deterministic


def test_reason_text_and_regression_on_contraindication() -> None:
    inp = AssessmentInput(
        age=70,
        measurements=[
            Measurement(test_id="knee_to_wall", side="left", value=6),
            Measurement(test_id="single_leg_stance", side="left", value=5),
        ],
    )
    programme = prescribe(evaluate(inp), pain_nprs=6, goals=["sport", "squatting"])
    ankle = programme.item("ankle_df_mobilisation")
    assert ankle is not None and "6 cm < 10 cm cut-off → ankle mobility" in ankle.reason
    ids = [i.exercise_id for i in programme.items]
    # pain 6 > 5: hip airplane and decline squat are contraindicated -> regressed down their chains
    assert "hip_airplane_supported" not in ids and "decline_squat_45" not in ids
    assert "banded_side_step" in ids and "vmo_tke" in ids
    assert ids.index("forward_walk") < ids.index("ankle_df_mobilisation")


def test_stop_gives_no_programme_and_unknown_goal_is_named() -> None:
    stopped = prescribe(evaluate(AssessmentInput(red_flags=["signs_of_dvt"])), pain_nprs=3)
    assert stopped.stop and stopped.items == [] and stopped.refer_out
    with pytest.raises(InputError) as exc:
        prescribe(evaluate(AssessmentInput()), pain_nprs=3, goals=["stairs", "flying"])
    assert exc.value.field == "goals[1]"


# ---- progression -----------------------------------------------------------------------------------------
CFG = load_config()


def _session(
    day: int,
    ids: list[str],
    *,
    before: float = 2,
    during: float = 3,
    after: float = 3,
    morning: float | None = 2,
    completed: bool = True,
) -> SessionRecord:
    return SessionRecord(
        date=dt.date(2026, 3, 1) + dt.timedelta(days=day),
        pain_before=before,
        pain_during=during,
        pain_after=after,
        pain_next_morning=morning,
        exercises=[ExerciseLog(exercise_id=i, completed=completed) for i in ids],
    )


SIGNED_OFF = HandsFreeEvidence(sign_off=TrainerSignOff(signed_by="trainer", signed_on=dt.date(2026, 1, 1)))


def test_retro_walking_walks_through_its_stages_then_graduates() -> None:
    programme = programme_from_items([{"exercise_id": "retro_walk_1"}, {"exercise_id": FORWARD_WALK_ID}])
    seen: list[tuple[str, str]] = []
    day = 0
    for _ in range(80):
        sessions = [_session(day, ["retro_walk_1"]), _session(day + 2, ["retro_walk_1"])]
        # Rename logs to the current retro item.
        current = programme.items[0].exercise_id
        sessions = [s.model_copy(update={"exercises": [ExerciseLog(exercise_id=current)]}) for s in sessions]
        nxt = decide_next(programme, sessions, hands_free_evidence=SIGNED_OFF)
        d = nxt.decisions[0]
        assert d.decision is DecisionKind.progress
        seen.append((d.next_exercise_id or "", ",".join(d.changed)))
        if nxt.added:
            assert {a.exercise_id for a in nxt.added} == set(LIB.get("retro_walk_4").graduates_to)
            break
        programme = nxt.programme
        day += 7
    else:
        pytest.fail("retro-walking never graduated")
    stages = [s for s, _ in seen]
    assert stages.index("retro_walk_2") < stages.index("retro_walk_3") < stages.index("retro_walk_4")
    assert ("retro_walk_3", "handrails") in seen and ("retro_walk_4", "incline_pct") in seen


def test_hold_until_next_morning_known_and_repeat_once() -> None:
    programme = programme_from_items([{"exercise_id": "glute_bridge"}])
    assert (
        decide_next(programme, [_session(0, ["glute_bridge"], morning=None)]).decisions[0].decision
        is DecisionKind.hold
    )
    assert decide_next(programme, [_session(0, ["glute_bridge"])]).decisions[0].decision is DecisionKind.hold
    two = decide_next(programme, [_session(0, ["glute_bridge"]), _session(2, ["glute_bridge"])])
    assert two.decisions[0].decision is DecisionKind.progress and two.decisions[0].changed == ["reps"]


def test_stop_and_refer() -> None:
    programme = programme_from_items([{"exercise_id": "glute_bridge"}, {"exercise_id": FORWARD_WALK_ID}])
    res = decide_next(programme, [_session(0, ["glute_bridge"], during=8)])
    assert res.stop and all(d.decision is DecisionKind.stop for d in res.decisions) and res.refer_out
    flagged = _session(0, ["glute_bridge"]).model_copy(update={"red_flags": ["locked_knee"]})
    assert decide_next(programme, [flagged]).stop
    streak = [_session(d, ["glute_bridge"], during=6) for d in (0, 2, 4)]
    res = decide_next(programme, streak)
    assert res.decisions[0].decision is DecisionKind.stop


@given(
    st.lists(
        st.tuples(st.integers(0, 120), st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5, 7.0, 10.0])),
        max_size=40,
    )
)
def test_weekly_trends_as_of_matches_weekly_trend_of_every_prefix(days: list[tuple[int, float]]) -> None:
    ordered = sorted((_session(d, ["glute_bridge"], before=b) for d, b in days), key=lambda s: s.date)
    assert weekly_trends_as_of(ordered) == [weekly_trend(ordered[: k + 1]) for k in range(len(ordered))]


def test_weekly_trend_rising_regresses() -> None:
    programme = programme_from_items([{"exercise_id": "glute_bridge", "dose": {"sets": 2, "reps": 14}}])
    sessions = [
        _session(0, ["glute_bridge"], before=1, morning=1),
        _session(8, ["glute_bridge"], before=3, morning=3),
    ]
    d = decide_next(programme, sessions).decisions[0]
    assert d.decision is DecisionKind.regress and "weekly pain trend" in d.reason
    assert d.next_dose is not None and d.next_dose.reps == 12


def test_one_rising_week_does_not_count_earlier_sessions_as_broken() -> None:
    """Settled sessions in week 1 stay settled when week 2 starts a little higher."""
    programme = programme_from_items([{"exercise_id": "glute_bridge", "dose": {"sets": 2, "reps": 14}}])
    week1 = [_session(d, ["glute_bridge"], before=2, morning=2) for d in (0, 2, 4)]
    week2 = [_session(8, ["glute_bridge"], before=2.5, morning=2.5)]
    d = decide_next(programme, week1 + week2).decisions[0]
    assert d.decision is DecisionKind.regress, d.reason
    assert "weekly pain trend" in d.reason


def test_unknown_ids_in_sessions_are_named() -> None:
    programme = programme_from_items([{"exercise_id": "glute_bridge"}])
    with pytest.raises(InputError) as exc:
        decide_next(programme, [_session(0, ["moon_walk"])])
    assert exc.value.field == "sessions[0].exercises[0].exercise_id"


pains = st.floats(0, 10)


@settings(max_examples=150, deadline=None)
@given(
    exercise_id=st.sampled_from(sorted(LIB.exercises)),
    bump=st.integers(0, 4),
    logs=st.lists(
        st.tuples(pains, pains, pains, st.one_of(st.none(), pains), pains, st.booleans()),
        min_size=1,
        max_size=4,
    ),
)
def test_progression_invariants(exercise_id: str, bump: int, logs: list[tuple[float, ...]]) -> None:
    ex = LIB.get(exercise_id)
    dose = ex.dose
    for step in ex.progress[:1]:
        dose = dose.with_value(step.variable, min(getattr(dose, step.variable) + bump * step.step, step.max))
    programme = programme_from_items([{"exercise_id": exercise_id, "dose": dose.model_dump()}])
    sessions = [
        SessionRecord(
            date=dt.date(2026, 3, 2) + dt.timedelta(days=2 * i),
            pain_before=b,
            pain_during=d,
            pain_after=a,
            pain_next_morning=m,
            exercises=[ExerciseLog(exercise_id=exercise_id, completed=bool(c))],
        )
        for i, (b, d, a, m, _, c) in enumerate(logs)
    ]
    decision = decide_next(programme, sessions).decisions[0]
    last = sessions[-1]
    if decision.decision is DecisionKind.progress:
        assert last.pain_during <= CFG.pain_during_max and last.pain_after <= CFG.pain_after_max
        assert last.pain_next_morning is not None and last.pain_next_morning <= last.pain_before
        assert decision.next_dose is not None
        if decision.next_exercise_id == exercise_id:
            assert len(harder_variables(dose, decision.next_dose)) <= 1
        else:
            target = LIB.get(decision.next_exercise_id or "")
            allowed = 1 if target.family == ex.family == "retro_walk" else 0
            assert len(harder_variables(dose, decision.next_dose)) <= allowed
    elif decision.next_dose is not None:
        assert harder_variables(dose, decision.next_dose) == [] or decision.next_exercise_id != exercise_id


def test_harder_variables() -> None:
    a = Dose(minutes=10, handrails="both", incline_pct=0)
    assert harder_variables(a, Dose(minutes=12, handrails="both", incline_pct=0)) == ["minutes"]
    assert harder_variables(a, Dose(minutes=10, handrails="none", incline_pct=0)) == ["handrails"]
    assert harder_variables(a, Dose(minutes=12, handrails="none", incline_pct=2)) == [
        "minutes",
        "incline_pct",
        "handrails",
    ]


def test_catalogue_red_flags_are_shared() -> None:
    assert "locked_knee" in load_catalogue().red_flags


@pytest.mark.parametrize("bad", [11, -0.5, float("nan"), True, "3"])
def test_session_pain_must_be_a_number_0_to_10(bad: object) -> None:
    record = {"date": "2026-03-01", "pain_during": 2, "pain_after": 2, "exercises": [{"exercise_id": "x"}]}
    with pytest.raises(ValidationError) as exc:
        SessionRecord.model_validate({**record, "pain_after": bad})
    assert exc.value.errors()[0]["loc"] == ("pain_after",)
    with pytest.raises(ValidationError) as exc:
        SessionRecord.model_validate({**record, "exercises": [{"exercise_id": "x", "pain_during": bad}]})
    assert exc.value.errors()[0]["loc"] == ("exercises", 0, "pain_during")
    assert SessionRecord.model_validate({**record, "pain_after": 10}).pain_after == 10.0
