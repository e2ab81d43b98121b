"""Safe progression that knows the client (issue #13): contraindications, red flags in force, one
stop rule, no defaulted baseline, no change without new evidence, the retro-walking safe band."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrowalk.core.assessment import Intake, Measurement, evaluate, load_catalogue
from retrowalk.core.exercises import FORWARD_WALK_ID, Dose, load_library
from retrowalk.core.prescription import (
    Programme,
    active_conditions,
    contraindicated_by,
    prescribe,
    programme_from_items,
)
from retrowalk.core.progression import (
    PAIN_STOP_FLAG,
    DecisionKind,
    ExerciseLog,
    GaitCheck,
    HandsFreeEvidence,
    RedFlagClearance,
    SessionRecord,
    TrainerSignOff,
    decide_next,
    load_config,
)
from retrowalk.core.scores.nprs import pain_rules
from retrowalk.errors import InputError

LIB = load_library()
DAY0 = dt.date(2026, 3, 2)
SIGNED = HandsFreeEvidence(sign_off=TrainerSignOff(signed_by="A. Trainer", signed_on=DAY0))


def _day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def _log(programme: Programme, n: int, **fields: Any) -> SessionRecord:
    """A session on day ``n``: every item of ``programme`` at settled pain, unless ``fields`` say
    otherwise (other pains, other exercise logs)."""
    values: dict[str, Any] = {"pain_before": 2, "pain_during": 2, "pain_after": 2, "pain_next_morning": 2}
    values["exercises"] = [ExerciseLog(exercise_id=i.exercise_id) for i in programme.items]
    values.update(fields)
    return SessionRecord(date=_day(n), **values)


def _walk(programme: Programme, steps: int, **kwargs: Any) -> list[Programme]:
    """Progress session by session (two settled sessions per step), feeding each programme back."""
    seen = [programme]
    sessions: list[SessionRecord] = []
    for k in range(steps):
        sessions += [_log(programme, 3 * k), _log(programme, 3 * k + 1)]
        programme = decide_next(programme, sessions, **kwargs).programme
        seen.append(programme)
    return seen


OLDER = Intake(
    age=82,
    sex="female",
    pain_at_rest_nprs=2,
    pain_activity_nprs=3,
    measurements=[
        Measurement(test_id="single_leg_stance", side="left", value=3),
        Measurement(test_id="single_leg_stance", side="right", value=4),
        Measurement(test_id="chair_stand_30s", value=5),
        Measurement(test_id="knee_flexion_rom", side="left", value=115),
    ],
)


# ---- 1. progression takes the client's assessment --------------------------------------------------------
def test_older_client_never_reaches_what_prescription_excludes() -> None:
    """The issue's 82-year-old: balance reach, hands-free retro-walking and the 90° decline squat."""
    programme = programme_from_items(
        [
            {"exercise_id": FORWARD_WALK_ID},
            {"exercise_id": "retro_walk_1"},
            {"exercise_id": "balance_tandem"},
            {"exercise_id": "decline_squat_45"},
        ]
    )
    active = active_conditions(evaluate(OLDER), 3, LIB)
    assert {"balance_deficit", "knee_flexion_limited"} <= set(active)
    reached = {
        i.exercise_id for p in _walk(programme, 40, intake=OLDER, hands_free_evidence=SIGNED) for i in p.items
    }
    assert not reached & {"balance_reach", "retro_walk_3", "retro_walk_4", "decline_squat_90"}
    last = decide_next(programme, [_log(programme, 0), _log(programme, 1)], intake=OLDER)
    assert last.programme.item("retro_walk_1") is not None  # the allowed stages still progress


def test_contraindicated_item_is_not_kept_and_the_reason_says_so() -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "decline_squat_90"}])
    res = decide_next(programme, [_log(programme, 0)], intake=OLDER)
    d = next(d for d in res.decisions if d.exercise_id == "decline_squat_90")
    # 90° needs the flexion range; 60° is out for low function too (30-s chair stand 5 < 9)
    assert d.decision is DecisionKind.regress and d.next_exercise_id == "decline_squat_45"
    assert "contraindicated" in d.reason and "knee flexion" in d.reason and "chair stand" in d.reason


TEST_VALUES: dict[str, Any] = {
    "single_leg_stance": st.floats(0, 45),
    "knee_flexion_rom": st.floats(60, 170),
    "knee_extension_deficit": st.floats(0, 30),
    "chair_stand_30s": st.integers(0, 30),
}


@st.composite
def clients(draw: st.DrawFn) -> Intake:
    measurements = []
    for test_id in draw(st.lists(st.sampled_from(sorted(TEST_VALUES)), unique=True)):
        side = "both" if test_id == "chair_stand_30s" else "left"
        measurements.append(Measurement(test_id=test_id, side=side, value=draw(TEST_VALUES[test_id])))
    return Intake(
        age=draw(st.integers(60, 94)),
        sex=draw(st.sampled_from(["female", "male"])),
        pain_at_rest_nprs=draw(st.integers(0, 7)),
        pain_activity_nprs=draw(st.sampled_from([None, 2, 5, 5.5, 7, 7.5])),
        measurements=measurements,
    )


pain = st.sampled_from([0, 1, 2, 3, 4, 5, 6])
any_pain = st.sampled_from([0, 2, 4, 5, 6, 8, 9])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    client=clients(),
    start=st.lists(st.sampled_from(sorted(LIB.exercises)), min_size=1, max_size=5, unique=True),
    path=st.lists(st.tuples(any_pain, pain, st.one_of(st.none(), pain)), min_size=1, max_size=14),
    signed=st.booleans(),
)
def test_no_path_of_sessions_reaches_adds_or_keeps_a_contraindicated_exercise(
    client: Intake, start: list[str], path: list[tuple[int, int, int | None]], signed: bool
) -> None:
    result = evaluate(client)
    pain_now = (
        client.pain_activity_nprs if client.pain_activity_nprs is not None else client.pain_at_rest_nprs
    )
    active = active_conditions(result, pain_now, LIB)
    programme = programme_from_items([{"exercise_id": e} for e in [FORWARD_WALK_ID, *start]])
    sessions: list[SessionRecord] = []
    for n, (during, after, morning) in enumerate(path):
        if programme.stop or not programme.items:
            break
        sessions.append(_log(programme, n, pain_during=during, pain_after=after, pain_next_morning=morning))
        res = decide_next(programme, sessions, intake=client, hands_free_evidence=SIGNED if signed else None)
        for item in [*res.programme.items, *res.added]:
            assert contraindicated_by(LIB.get(item.exercise_id), active) == [], (item.exercise_id, active)
        programme = res.programme


# ---- 2. red flags stay in force until a trainer clears them -----------------------------------------------
def test_dvt_flag_is_not_forgotten_at_the_next_session_and_clears_with_who_when_why() -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "glute_bridge"}])
    flagged = _log(programme, 0).model_copy(update={"red_flags": ["signs_of_dvt"]})
    later = [flagged, _log(programme, 2), _log(programme, 4)]
    res = decide_next(programme, later)
    assert res.stop and not res.can_log_exercise and res.refer_out
    assert [f.flag_id for f in res.red_flags_in_force] == ["signs_of_dvt"]
    assert all(d.decision is DecisionKind.stop for d in res.decisions)
    assert [i.exercise_id for i in res.programme.items] == [FORWARD_WALK_ID, "glute_bridge"]
    too_early = RedFlagClearance(flag_id="signs_of_dvt", cleared_by="Dr B", cleared_on=_day(-1), reason="x")
    assert decide_next(programme, later, red_flags_cleared=[too_early]).stop
    clear = RedFlagClearance(
        flag_id="signs_of_dvt", cleared_by="Dr B", cleared_on=_day(5), reason="duplex scan negative"
    )
    resumed = decide_next(res.programme, later, red_flags_cleared=[clear])
    assert not resumed.stop and resumed.can_log_exercise and not resumed.red_flags_in_force


def test_unknown_clearance_id_is_named() -> None:
    programme = programme_from_items([{"exercise_id": "glute_bridge"}])
    bad = RedFlagClearance(flag_id="bad_luck", cleared_by="x", cleared_on=DAY0, reason="y")
    with pytest.raises(InputError) as exc:
        decide_next(programme, [_log(programme, 0)], red_flags_cleared=[bad])
    assert exc.value.field == "red_flags_cleared[0].flag_id"


flag_ids = st.sampled_from(sorted(load_catalogue().red_flags))


@settings(max_examples=60, deadline=None)
@given(
    n_sessions=st.integers(1, 6),
    raised=st.lists(st.tuples(st.integers(0, 5), flag_ids), min_size=1, max_size=3),
    clearances=st.lists(st.tuples(st.integers(-2, 12), flag_ids), max_size=4),
)
def test_a_red_flag_in_force_always_stops(
    n_sessions: int, raised: list[tuple[int, str]], clearances: list[tuple[int, str]]
) -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "vmo_tke"}])
    sessions = [_log(programme, 2 * k) for k in range(n_sessions)]
    for k, flag in raised:
        k = min(k, n_sessions - 1)
        sessions[k] = sessions[k].model_copy(update={"red_flags": [*sessions[k].red_flags, flag]})
    cleared = [
        RedFlagClearance(flag_id=f, cleared_by="t", cleared_on=_day(d), reason="r") for d, f in clearances
    ]
    last_raise: dict[str, dt.date] = {}
    for s in sessions:
        for f in s.red_flags:
            last_raise[f] = s.date
    expected = {
        f
        for f, when in last_raise.items()
        if not any(c.flag_id == f and c.cleared_on >= when for c in cleared)
    }
    res = decide_next(programme, sessions, red_flags_cleared=cleared)
    assert {f.flag_id for f in res.red_flags_in_force} == expected
    if expected:
        assert res.stop and not res.can_log_exercise and res.refer_out
        assert res.decisions and all(d.decision is DecisionKind.stop for d in res.decisions)
    else:
        assert not res.stop


def test_flags_held_elsewhere_also_stop() -> None:
    programme = programme_from_items([{"exercise_id": "glute_bridge"}])
    assert decide_next(programme, [_log(programme, 0)], red_flags_in_force=["locked_knee"]).stop


# ---- 3. one stop rule, one "above 5" ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "pains",
    [
        {"pain_before": 9},
        {"pain_next_morning": 8},
        {"pain_after": 8.5},
    ],
)
def test_pain_8_or_more_anywhere_in_a_session_stops_with_a_referral(pains: dict[str, float]) -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "retro_walk_1"}])
    res = decide_next(programme, [_log(programme, 0, **pains)])
    assert res.stop and res.refer_out and "refer" in res.refer_out.lower()
    assert [f.flag_id for f in res.red_flags_in_force] == [PAIN_STOP_FLAG]


def test_pain_9_during_one_exercise_stops_instead_of_taking_a_minute_off() -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "retro_walk_1"}])
    s = _log(programme, 0)
    s = s.model_copy(update={"exercises": [ExerciseLog(exercise_id="retro_walk_1", pain_during=9)]})
    res = decide_next(programme, [s])
    assert res.stop and "during retro_walk_1" in res.red_flags_in_force[0].text
    # ... and stays stopped at the next session until a trainer clears it
    assert decide_next(res.programme, [s, _log(programme, 2)]).stop
    clear = RedFlagClearance(flag_id=PAIN_STOP_FLAG, cleared_by="t", cleared_on=_day(1), reason="reviewed")
    assert not decide_next(res.programme, [s], red_flags_cleared=[clear]).stop


def test_assessment_stops_on_activity_pain_at_the_same_threshold() -> None:
    intake = Intake(pain_at_rest_nprs=2, pain_activity_nprs=pain_rules().stop_at_least)
    assert evaluate(intake).stop
    assert (
        load_config().stop_pain_at_least
        == load_catalogue().pain_at_rest_stop_at
        == pain_rules().stop_at_least
    )


def test_one_definition_of_above_5_for_prescription_and_progression() -> None:
    result = evaluate(Intake(pain_at_rest_nprs=2))
    limit = pain_rules().limit_above
    just_above = limit + 0.2
    assert "pain_above_5" in active_conditions(result, just_above, LIB)
    assert "pain_above_5" not in active_conditions(result, limit, LIB)
    cfg = load_config()
    assert cfg.pain_during_max == cfg.pain_after_max == limit
    programme = prescribe(result, pain_nprs=just_above)
    assert all("pain_above_5" not in LIB.get(i.exercise_id).contraindications for i in programme.items)


# ---- 4. baseline pain never defaulted to 0 ----------------------------------------------------------------
def test_missing_baseline_never_regresses_a_stable_client() -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "glute_bridge"}])
    sessions = [_log(programme, 2 * k, pain_before=None) for k in range(4)]
    res = decide_next(programme, sessions)
    assert not res.stop
    assert all(d.decision is DecisionKind.hold for d in res.decisions)
    assert "pain before the session not recorded" in res.decisions[0].reason
    # with the intake's rest pain as the fallback baseline the settled client progresses
    intake = Intake(pain_at_rest_nprs=2)
    kinds = {d.decision for d in decide_next(programme, sessions, intake=intake).decisions}
    assert kinds == {DecisionKind.progress}
    worse = Intake(pain_at_rest_nprs=1)
    d = decide_next(programme, sessions[-1:], intake=worse).decisions[1]
    assert d.decision is DecisionKind.regress and "intake's rest pain 1" in d.reason


def test_intake_rest_pain_is_required() -> None:
    with pytest.raises(ValueError, match="pain_at_rest_nprs"):
        Intake.model_validate({"age": 60})


# ---- 5. no change without new evidence -------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    start=st.lists(st.sampled_from(sorted(LIB.exercises)), min_size=1, max_size=4, unique=True),
    path=st.lists(st.tuples(any_pain, pain, st.one_of(st.none(), pain)), min_size=1, max_size=6),
)
def test_feeding_the_programme_back_with_no_new_session_changes_nothing(
    start: list[str], path: list[tuple[int, int, int | None]]
) -> None:
    programme = programme_from_items([{"exercise_id": e} for e in [FORWARD_WALK_ID, *start]])
    sessions: list[SessionRecord] = []
    for n, (during, after, morning) in enumerate(path):
        if not programme.items:
            break
        sessions.append(_log(programme, n, pain_during=during, pain_after=after, pain_next_morning=morning))
        res = decide_next(programme, sessions, hands_free_evidence=SIGNED)
        assert res.programme.judged_through == sessions[-1].date == res.judged_through
        again = decide_next(res.programme, sessions, hands_free_evidence=SIGNED)
        assert again.programme == res.programme
        assert all(d.decision in (DecisionKind.hold, DecisionKind.stop) for d in again.decisions)
        programme = res.programme


def test_dose_does_not_climb_when_next_is_run_again() -> None:
    """15 → 20 → 25 → 30 min with no new session was the bug."""
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID, "dose": {"minutes": 15}}])
    sessions = [_log(programme, 0), _log(programme, 2)]
    once = decide_next(programme, sessions).programme
    assert once.items[0].dose.minutes == 20
    twice = decide_next(once, sessions).programme
    assert twice.items[0].dose.minutes == 20
    # one new settled session at the new dose is not yet two
    thrice = decide_next(twice, [*sessions, _log(programme, 4)]).programme
    assert thrice.items[0].dose.minutes == 20
    assert (
        decide_next(thrice, [*sessions, _log(programme, 4), _log(programme, 6)])
        .programme.items[0]
        .dose.minutes
        == 25
    )


# ---- 6. strict input: the retro-walking safe band --------------------------------------------------------
@pytest.mark.parametrize(
    ("exercise_id", "dose", "rule"),
    [
        (
            "retro_walk_1",
            {"minutes": 5, "speed_kmh": 9, "handrails": "both", "safety_key": True},
            "speed_kmh",
        ),
        (
            "retro_walk_1",
            {"minutes": 5, "speed_kmh": 2, "handrails": "none", "safety_key": True},
            "hands-free",
        ),
        (
            "retro_walk_2",
            {"minutes": 12, "speed_kmh": 2, "handrails": "both", "safety_key": False},
            "safety_key",
        ),
        (
            "retro_walk_4",
            {"minutes": 10, "speed_kmh": 2, "incline_pct": 15, "handrails": "none", "safety_key": True},
            "incline_pct",
        ),
    ],
)
def test_retro_walking_dose_outside_the_safe_band_is_refused_with_the_rule(
    exercise_id: str, dose: dict[str, Any], rule: str
) -> None:
    with pytest.raises(InputError) as exc:
        programme_from_items([{"exercise_id": exercise_id, "dose": dose}])
    assert exc.value.field == "programme[0].dose" and rule in exc.value.message
    assert "method.md" in exc.value.message  # the rule's source is named
    inside = programme_from_items(
        [
            {
                "exercise_id": "retro_walk_3",
                "dose": {**dose, "speed_kmh": 2.5, "incline_pct": 0, "handrails": "none", "safety_key": True},
            }
        ]
    )
    assert inside.items[0].dose.speed_kmh == 2.5
    bad = inside.model_copy(
        update={
            "items": [inside.items[0].model_copy(update={"exercise_id": exercise_id, "dose": Dose(**dose)})]
        }
    )
    with pytest.raises(InputError):
        decide_next(bad, [])


def test_misspelt_programme_entry_key_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        programme_from_items([{"exercise_id": "glute_bridge", "dosage": {"sets": 9}}])
    assert exc.value.field == "programme[0].dosage"


# ---- bullets: retro-walking is never the only exercise; hands-free needs evidence ------------------------
def test_retro_walking_alone_is_not_progressed() -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "retro_walk_1"}])
    painful_walk = [
        ExerciseLog(exercise_id="retro_walk_1"),
        ExerciseLog(exercise_id=FORWARD_WALK_ID, pain_during=6),
    ]
    bad_walk = [_log(programme, 2 * k, exercises=painful_walk) for k in range(3)]
    res = decide_next(programme, bad_walk)
    walk, retro = res.decisions
    assert walk.decision is DecisionKind.stop
    assert retro.decision is DecisionKind.hold and "never the whole programme" in retro.reason
    assert res.programme.items[0].dose == programme.items[1].dose


def _at_top_of_stage_2() -> Programme:
    top = LIB.get("retro_walk_2").top_dose()
    return programme_from_items(
        [{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "retro_walk_2", "dose": top.model_dump()}]
    )


@pytest.mark.parametrize(
    ("evidence", "progresses"),
    [
        (None, False),
        (
            HandsFreeEvidence(
                recordings=[GaitCheck(recorded_on=_day(0), step_asymmetry_pct=6, forward_trunk_lean=False)]
            ),
            True,
        ),
        (
            HandsFreeEvidence(
                recordings=[GaitCheck(recorded_on=_day(0), step_asymmetry_pct=14, forward_trunk_lean=False)]
            ),
            False,
        ),
        (
            HandsFreeEvidence(
                recordings=[GaitCheck(recorded_on=_day(0), step_asymmetry_pct=4, forward_trunk_lean=True)]
            ),
            False,
        ),
        (
            HandsFreeEvidence(
                recordings=[GaitCheck(recorded_on=_day(-60), step_asymmetry_pct=4, forward_trunk_lean=False)]
            ),
            False,
        ),
        (SIGNED, True),
    ],
)
def test_hands_free_needs_even_steps_and_upright_trunk_or_a_sign_off(
    evidence: HandsFreeEvidence | None, progresses: bool
) -> None:
    programme = _at_top_of_stage_2()
    res = decide_next(programme, [_log(programme, 0), _log(programme, 2)], hands_free_evidence=evidence)
    retro = res.decisions[1]
    assert (retro.next_exercise_id == "retro_walk_3") is progresses, retro.reason
    if not progresses:
        assert retro.decision is DecisionKind.hold and "hands-free needs" in retro.reason


# ---- 7. older adults and low function --------------------------------------------------------------------
def test_fall_risk_screen_makes_retro_walking_supervised_with_handrails() -> None:
    result = evaluate(OLDER)
    assert result.fall_risk and result.fall_risk_note and "trainer" in result.fall_risk_note
    programme = prescribe(result, pain_nprs=3)
    retro = programme.item("retro_walk_1")
    assert retro is not None and retro.supervised_only and retro.notes == [result.fall_risk_note]
    assert "fall_risk" in active_conditions(result, 3, LIB)
    assert {"retro_walk_3", "retro_walk_4"} <= {
        e.id for e in LIB.exercises.values() if "fall_risk" in e.contraindications
    }
    # progression keeps the supervision and never goes hands-free, even with a trainer's sign-off
    reached = _walk(programme, 30, intake=OLDER, hands_free_evidence=SIGNED)
    last = reached[-1].item("retro_walk_2") or reached[-1].item("retro_walk_1")
    assert last is not None and last.supervised_only and last.dose.handrails == "both"
    young = Intake(
        age=50,
        pain_at_rest_nprs=2,
        measurements=[Measurement(test_id="single_leg_stance", side="left", value=3)],
    )
    assert not evaluate(young).fall_risk


def test_fall_risk_screen_is_applied_by_progression_given_only_the_intake() -> None:
    programme = programme_from_items([{"exercise_id": FORWARD_WALK_ID}, {"exercise_id": "retro_walk_1"}])
    res = decide_next(programme, [_log(programme, 0)], intake=OLDER)
    item = res.programme.item("retro_walk_1")
    assert item is not None and item.supervised_only and item.notes


def test_low_function_excludes_the_demanding_exercises() -> None:
    low = [e.id for e in LIB.exercises.values() if "low_function" in e.contraindications]
    assert {"decline_squat_60", "decline_squat_90", "hip_airplane", "balance_reach"} <= set(low)
    result = evaluate(
        Intake(
            age=70,
            sex="female",
            pain_at_rest_nprs=1,
            measurements=[Measurement(test_id="chair_stand_30s", value=6)],
        )
    )
    assert "low_function" in active_conditions(result, 1, LIB)
    assert any("Fewer than 8 unassisted stands" in n for n in result.notes)


@pytest.mark.parametrize("age", [100, 104, 110])
def test_age_bands_cover_100_plus(age: int) -> None:
    res = evaluate(Intake(age=age, sex="male", pain_at_rest_nprs=1, measurements=[
        Measurement(test_id="chair_stand_30s", value=5),
        Measurement(test_id="single_leg_stance", side="left", value=2),
    ]))  # fmt: skip
    assert {f.test_id: f.status for f in res.findings} == {
        "chair_stand_30s": "stability deficit",
        "single_leg_stance": "stability deficit",
    }
    assert any("no norms above 94" in n for n in res.notes)


# ---- 8. surgery, post-operative extension rule, complete dose text ---------------------------------------
def test_surgery_is_recorded_and_an_extension_deficit_keeps_decline_squats_out() -> None:
    intake = Intake.model_validate(
        {
            "age": 68,
            "pain_at_rest_nprs": 2,
            "surgery": {"type": "total_knee_replacement", "side": "left", "date": "2026-01-12"},
            "measurements": [{"test_id": "knee_extension_deficit", "side": "left", "value": 15}],
            "goals": ["squatting"],
        }
    )
    result = evaluate(intake)
    assert result.surgery[0].type == "total_knee_replacement" and any(
        "Post-operative" in n for n in result.notes
    )
    programme = prescribe(result, pain_nprs=2, goals=["squatting"])
    ids = [i.exercise_id for i in programme.items]
    assert not any(i.startswith("decline_squat") for i in ids)
    assert "knee_extension_mobilisation" in ids
    finding = next(f for f in result.findings if f.test_id == "knee_extension_deficit")
    assert finding.safety_notes and "full extension" in finding.safety_notes[0]
    with pytest.raises(ValueError, match="surgery"):
        Intake.model_validate(
            {"pain_at_rest_nprs": 2, "surgery": {"type": "tkr", "side": "left", "date": "2026-01-12"}}
        )


@pytest.mark.parametrize(
    ("dose", "text"),
    [
        (Dose(sets=3, minutes=2, per_side=True), "3×2 min, per side"),
        (Dose(minutes=10, sessions_per_week=5), "10 min, 5×/week"),
        (
            Dose(sets=2, reps=10, hold_s=3, per_side=True, sessions_per_week=3),
            "2×10, 3 s hold, per side, 3×/week",
        ),
        (Dose(sets=3), "3 sets"),
    ],
)
def test_every_dose_prints_all_its_parts(dose: Dose, text: str) -> None:
    assert dose.describe() == text


def test_extension_exercise_dose_text_keeps_its_sets() -> None:
    assert LIB.get("knee_extension_mobilisation").dose.describe().startswith("3×")


# ---- 10. cut-offs re-checked against their sources -------------------------------------------------------
def test_cut_offs_do_not_over_flag_healthy_values() -> None:
    healthy = evaluate(Intake(age=25, pain_at_rest_nprs=0, measurements=[
        Measurement(test_id="single_leg_stance", side="left", value=43),
        Measurement(test_id="hip_internal_rotation", side="left", value=33),
        Measurement(test_id="knee_extension_deficit", side="left", value=4),
    ]))  # fmt: skip
    assert {f.test_id: f.status for f in healthy.findings} == {
        "single_leg_stance": "ok",
        "hip_internal_rotation": "ok",
        "knee_extension_deficit": "ok",
    }


def test_catalogue_safety_notes_are_shown_with_the_finding() -> None:
    res = evaluate(
        Intake(
            pain_at_rest_nprs=1,
            measurements=[Measurement(test_id="hip_internal_rotation", side="right", value=12)],
        )
    )
    (finding,) = res.findings
    assert finding.status == "mobility deficit"
    assert (
        finding.safety_notes and "ACR" in finding.safety_notes[0] and "Altman 1991" in finding.safety_notes[0]
    )
    assert any("ACR" in n for n in prescribe(res, pain_nprs=1).notes)
