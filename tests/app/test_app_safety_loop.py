"""The client's loop on a real database: red flags in force until cleared, no baseline read as 0,
decisions applied to the programme (at once or after approval), one row per form, corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from tests.api.api_support import assess_and_prescribe, fileless_recording

from retrowalk.app import clinical, sessions
from retrowalk.app.errors import Conflict, Forbidden
from retrowalk.app.sessions import RedFlagClear, SessionLogCorrection, SessionLogIn
from retrowalk.core.exercises import Dose
from retrowalk.core.progression import PAIN_STOP_FLAG
from retrowalk.gait.summary import GaitFlag, GaitSummary
from retrowalk.storage import Database, crud
from retrowalk.storage.documents import RecordingMetrics
from retrowalk.storage.models import AuditEntry, Client, User

TODAY = datetime.now(UTC).date()


def _people(db: Any) -> tuple[User, User, Client]:
    trainer = crud.create_user(db, "t-loop", "correct horse battery", "trainer", display_name="Tess")
    client = crud.create_client(db, "Loop client", trainer=trainer)
    account = crud.create_user(db, "c-loop", "correct horse battery", "client", client_id=client.id)
    assess_and_prescribe(db, client, trainer)
    return trainer, account, client


def _entry(day: date, **values: Any) -> SessionLogIn:
    body = {
        "session_date": day,
        "exercise_id": clinical.DEMO_EXERCISE,
        "pain_before": 1.0,
        "pain_during": 2.0,
        "pain_after": 1.0,
        "pain_next_morning": 1.0,
    }
    return SessionLogIn.model_validate({**body, **values})


def _retro_dose(programme: Any) -> Dose:
    return next(i.dose for i in programme.content.items if i.exercise_id == clinical.DEMO_EXERCISE)


def test_a_red_flag_stays_in_force_until_a_trainer_clears_it(database: Database) -> None:
    with database.transaction() as db:
        trainer, account, client = _people(db)
        sessions.log_session(
            db, account, client, [_entry(TODAY - timedelta(days=2), red_flags=["signs_of_dvt"])]
        )
        stored = crud.list_session_logs(db, client.id)
        assert [log.red_flags for log in stored] == [["signs_of_dvt"]]
        ns = sessions.next_session(db, client.id)
        assert ns is not None and ns.stop and not ns.can_log_exercise
        assert [f.flag_id for f in ns.red_flags_in_force] == ["signs_of_dvt"]
        # the next session cannot be logged: 409 naming what is in force
        with pytest.raises(Conflict) as refused:
            sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=1))])
        assert "deep-vein thrombosis" in str(refused.value.detail)
        assert len(crud.list_session_logs(db, client.id)) == 1
        # a client account cannot clear it; a trainer can, with why (who and when are recorded)
        with pytest.raises(Forbidden):
            sessions.clear_red_flag(db, account, client, RedFlagClear(flag_id="signs_of_dvt", reason="fine"))
        row = sessions.clear_red_flag(
            db, trainer, client, RedFlagClear(flag_id="signs_of_dvt", reason="GP: no DVT on ultrasound")
        )
        assert (row.signed_by_name, row.signed_on, row.reason) == ("Tess", TODAY, "GP: no DVT on ultrasound")
        after = sessions.next_session(db, client.id)
        assert after is not None and after.can_log_exercise and after.red_flags_in_force == []
        sessions.log_session(db, account, client, [_entry(TODAY)])
        assert len(crud.list_session_logs(db, client.id)) == 2


def test_an_unknown_red_flag_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        _entry(TODAY, red_flags=["sore_elbow"])
    assert err.value.errors()[0]["loc"] == ("red_flags",)


def test_pain_8_anywhere_stops_until_cleared(database: Database) -> None:
    with database.transaction() as db:
        trainer, account, client = _people(db)
        sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=1), pain_before=8.0)])
        ns = sessions.next_session(db, client.id)
        assert ns is not None and [f.flag_id for f in ns.red_flags_in_force] == [PAIN_STOP_FLAG]
        with pytest.raises(Conflict):
            sessions.log_session(db, account, client, [_entry(TODAY)])
        sessions.clear_red_flag(
            db, trainer, client, RedFlagClear(flag_id=PAIN_STOP_FLAG, reason="settled, seen")
        )
        sessions.log_session(db, account, client, [_entry(TODAY)])


def test_a_missing_baseline_is_never_read_as_0(database: Database) -> None:
    with database.transaction() as db:
        _trainer, account, client = _people(db)
        sessions.log_session(db, account, client, [_entry(TODAY, pain_before=None)])
        programme = crud.current_programme(db, client.id)
        assert programme is not None
        lineages = crud.programme_lineages(db, {client.id: programme})
        rows = crud.decision_window_rows(db, lineages, last_days=56)
        assert [r.pain_before for r in rows[client.id]] == [None]
        assert [day["pain_before"] for day in sessions.session_records(rows[client.id])] == [None]


def test_the_next_prescription_is_the_decisions_dose(database: Database) -> None:
    """Two settled sessions progress retro-walking within its stage: applied at once, as a new
    version traceable to the session and its reason; the form then offers that dose."""
    with database.transaction() as db:
        _trainer, account, client = _people(db)
        first = crud.current_programme(db, client.id)
        assert first is not None
        before = _retro_dose(first)
        sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=3))])
        assert crud.current_programme(db, client.id).id == first.id  # type: ignore[union-attr]  # a hold changes nothing
        done = sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=1))])
        assert done.next_session is not None
        decision = next(d for d in done.next_session.decisions if d.exercise_id == clinical.DEMO_EXERCISE)
        assert decision.decision.value == "progress" and decision.next_exercise_id == clinical.DEMO_EXERCISE
        current = crud.current_programme(db, client.id)
        assert current is not None and current.version == first.version + 1
        assert current.based_on_id == first.id
        assert current.origin == f"decision after session {(TODAY - timedelta(days=1)).isoformat()}"
        assert clinical.DEMO_EXERCISE in (current.origin_reason or "")
        applied = _retro_dose(current)
        assert applied == decision.next_dose != before
        form = sessions.log_form(db, client.id)
        assert form.programme is not None and form.programme.id == current.id
        # the API's "next" still says why the prescription changed (no new session yet)
        again = sessions.next_session(db, client.id)
        assert again is not None and again.decisions == done.next_session.decisions
        # fed back with no new session: nothing climbs
        assert crud.current_programme(db, client.id).id == current.id  # type: ignore[union-attr]


def test_a_stage_change_waits_for_the_trainer_by_default(database: Database) -> None:
    with database.transaction() as db:
        trainer, account, client = _people(db)
        programme = crud.current_programme(db, client.id)
        assert programme is not None
        # a programme whose retro-walking dose is at the top of stage 1, so the next step is stage 2
        items = [
            i.model_copy(update={"dose": i.dose.model_copy(update={"minutes": 10.0, "speed_kmh": 3.0})})
            if i.exercise_id == clinical.DEMO_EXERCISE
            else i
            for i in programme.content.items
        ]
        content = programme.content.model_copy(update={"items": items})
        top = crud.add_programme(
            db, client.id, content=content, assessment_id=programme.assessment_id, pain_nprs=3.0, by=trainer
        )
        for days in (3, 1):
            sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=days))])
        ns = sessions.next_session(db, client.id)
        assert ns is not None
        step = next(d for d in ns.decisions if d.exercise_id == clinical.DEMO_EXERCISE)
        assert step.decision.value == "progress" and step.next_exercise_id not in (
            None,
            clinical.DEMO_EXERCISE,
        )
        assert _retro_dose(crud.current_programme(db, client.id)).minutes == 10.0
        waiting = sessions.pending_decisions(db, client)
        assert len(waiting) == 1 and sessions.waiting_ids(db, client.id) == [clinical.DEMO_EXERCISE]
        with pytest.raises(Forbidden):
            sessions.resolve_decision(db, account, client, waiting[0].id, approve=True)
        made = sessions.resolve_decision(db, trainer, client, waiting[0].id, approve=True)
        assert made is not None and made.version > top.version
        ids = [i.exercise_id for i in made.content.items]
        assert step.next_exercise_id in ids and clinical.DEMO_EXERCISE not in ids
        assert sessions.pending_decisions(db, client) == []


def test_the_same_form_sent_twice_stores_one_session(database: Database) -> None:
    with database.transaction() as db:
        _trainer, account, client = _people(db)
        entries = [_entry(TODAY), _entry(TODAY, exercise_id="forward_walk")]
        one = sessions.log_session(db, account, client, entries, form_key="form-key-123456")
        two = sessions.log_session(db, account, client, entries, form_key="form-key-123456")
        assert [r.id for r in one.logs] == [r.id for r in two.logs]
        assert len(crud.list_session_logs(db, client.id)) == 2


def test_corrections_are_audited_and_judged_again(database: Database) -> None:
    with database.transaction() as db:
        trainer, account, client = _people(db)
        old = sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=3))]).logs[0]
        new = sessions.log_session(db, account, client, [_entry(TODAY - timedelta(days=1))]).logs[0]
        progressed = crud.current_programme(db, client.id)
        assert progressed is not None and progressed.decided_after == new.session_date
        # a client corrects only today's log
        with pytest.raises(Forbidden):
            sessions.correct_log(db, account, client, old.id, SessionLogCorrection(pain_after=2.0))
        # the trainer corrects the session the progression came from: pain after was 7, not 1
        fixed = sessions.correct_log(
            db, trainer, client, new.id, SessionLogCorrection(pain_after=7.0, reason="typed 1 for 7")
        )
        assert fixed.logs[0].pain_after == 7.0
        entry = db.query(AuditEntry).filter(AuditEntry.detail.like("correction%")).one()
        assert "pain_after: 1.0 → 7.0" in entry.detail and "typed 1 for 7" in entry.detail
        assert fixed.next_session is not None
        step = next(d for d in fixed.next_session.decisions if d.exercise_id == clinical.DEMO_EXERCISE)
        assert step.decision.value == "regress"
        current = crud.current_programme(db, client.id)
        assert current is not None and current.version > progressed.version
        assert _retro_dose(current) == step.next_dose
        today_log = sessions.log_session(db, account, client, [_entry(TODAY)]).logs[0]
        sessions.correct_log(db, account, client, today_log.id, SessionLogCorrection(pain_during=3.0))


def test_hands_free_evidence_comes_from_recordings_and_sign_off(database: Database) -> None:
    with database.transaction() as db:
        trainer, _account, client = _people(db)
        lean = {
            "code": "trunk_forward_lean",
            "message": "lean",
            "value": 12,
            "threshold": 10,
            "unit": "deg",
            "source": "s",
        }
        for asym, flags in ((6.0, []), (4.0, [lean])):
            summary = GaitSummary(step_length_asymmetry_pct=asym, flags=[GaitFlag(**f) for f in flags])
            fileless_recording(
                db,
                client.id,
                kind="pose",
                name="walk.json",
                status="analysed",
                metrics=RecordingMetrics.imported(summary),
            )
        db.flush()
        evidence = sessions.hands_free_evidence(db, client.id)
        assert [(c.step_asymmetry_pct, c.forward_trunk_lean) for c in evidence.recordings] == [
            (6.0, False),
            (4.0, True),
        ]
        assert evidence.sign_off is None
        sessions.sign_off_hands_free(
            db, trainer, client, sessions.HandsFreeSignOffIn(reason="even steps today")
        )
        signed = sessions.hands_free_evidence(db, client.id).sign_off
        assert signed is not None and (signed.signed_by, signed.signed_on) == ("Tess", TODAY)
