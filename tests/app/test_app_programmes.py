"""app.programmes: the one "new programme version" function and the editor's checks, on a real
database; app.outcomes.weekly_adherence against the prescribed frequency."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.api.api_support import assess_and_prescribe

from retrowalk.app import clinical, outcomes, programmes
from retrowalk.app.programmes import ItemIn, VersionIn
from retrowalk.core.exercises import Dose
from retrowalk.core.prescription import Programme as CoreProgramme
from retrowalk.core.prescription import ProgrammeItem
from retrowalk.errors import InputError
from retrowalk.storage import Database, crud
from retrowalk.storage.models import AuditEntry, Client, SessionLog, User
from retrowalk.storage.models import Programme as ProgrammeRow


def _client(db: Any) -> tuple[User, Client]:
    trainer = crud.create_user(db, "t-programmes", "correct horse battery", "trainer")
    client = crud.create_client(db, "Programme client", trainer=trainer)
    assess_and_prescribe(db, client, trainer)
    return trainer, client


def _ids(row: Any) -> list[str]:
    return [i.exercise_id for i in row.content.items]


def test_edit_adds_reorders_redoses_removes_as_a_new_audited_version(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        first = crud.current_programme(db, client.id)
        assert first is not None
        kept = _ids(first)[:2]
        added = next(
            e.exercise.id
            for e in programmes.library_for(db, client, joint="hip")
            if not e.contraindicated and e.exercise.id not in _ids(first)
        )
        body = VersionIn(
            items=[
                ItemIn(exercise_id=added, dose=Dose(sets=3, reps=12)),
                *(ItemIn(exercise_id=e) for e in reversed(kept)),
            ],
            reason="tailored after the first week",
        )
        row = programmes.save_edit(db, user, client, body)
        assert row.version == first.version + 1 and row.source == "editor"
        assert row.reason == "tailored after the first week" and row.created_by == user.id
        assert _ids(row) == [added, *reversed(kept)]
        assert row.content.items[0].dose.sets == 3
        changes = {c.exercise_id: c.change for c in programmes.compare(db, user, client, 1, 2)}
        assert changes[added] == "added"
        assert all(changes[e] == "removed" for e in _ids(first)[2:])
        audit = db.query(AuditEntry).filter_by(action="create", resource="programme").one()
        assert "editor" in audit.detail


def test_contraindicated_item_is_refused_and_nothing_is_stored(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        poor_balance = clinical.demo_assessment_inputs()
        for m in poor_balance["measurements"]:
            if m["test_id"] == "single_leg_stance":
                m["value"] = 2
        inputs, findings = clinical.evaluate_assessment(poor_balance)
        crud.add_assessment(
            db, client.id, inputs=inputs, findings=findings, pain_nprs=3.0, stop=False, by=user
        )
        assert any(f["status"] == "stability deficit" for f in findings["findings"])
        entry = next(e for e in programmes.library_for(db, client) if e.exercise.id == "retro_walk_3")
        assert entry.contraindicated
        with pytest.raises(InputError) as err:
            programmes.save_edit(
                db, user, client, VersionIn(items=[ItemIn(exercise_id="retro_walk_3")], reason="try it")
            )
        assert err.value.field == "items[0].exercise_id" and "contraindicated" in err.value.message
        assert len(crud.list_programmes(db, client.id)) == 1


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (ItemIn(exercise_id="moonwalk"), "items[0].exercise_id"),
        (
            ItemIn(exercise_id="retro_walk_1", dose=Dose(minutes=5, speed_kmh=9, safety_key=True)),
            "items[0].dose",
        ),
    ],
)
def test_unknown_exercise_and_dose_outside_the_safe_band_are_refused(
    database: Database, entry: ItemIn, field: str
) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        with pytest.raises(InputError) as err:
            programmes.save_edit(db, user, client, VersionIn(items=[entry], reason="x"))
        assert err.value.field == field


def test_library_filters_by_joint_quality_and_stage(database: Database) -> None:
    with database.transaction() as db:
        _, client = _client(db)
        found = programmes.library_for(db, client, joint="hip", quality="strength", stage="early")
        assert {e.exercise.id for e in found} == {"glute_bridge", "side_lying_abduction"}
        assert [
            e.exercise.id for e in programmes.library_for(db, client, q="bridge", stage="intermediate")
        ] == ["single_leg_bridge"]


def test_weekly_adherence_counts_session_days_against_the_prescribed_frequency(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        prog = crud.current_programme(db, client.id)
        assert prog is not None
        monday = date(2026, 3, 2)
        prog.created_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
        for offset in (0, 0, 2, 8):
            crud.add_session_log(
                db,
                client.id,
                programme_id=prog.id,
                by=user,
                session_date=monday + timedelta(days=offset),
                exercise_id="forward_walk",
            )
        weeks = outcomes.client_weekly_adherence(db, client, today=monday + timedelta(days=10))
        per_week = weeks[0].per_week
        assert [w.week_start for w in weeks] == [monday, monday + timedelta(days=7)]
        assert [w.done for w in weeks] == [2, 1]
        assert weeks[0].planned == pytest.approx(per_week, abs=0.05)
        assert weeks[1].days == 4 and weeks[1].planned == pytest.approx(per_week * 4 / 7, abs=0.05)
        assert weeks[0].pct == pytest.approx(min(100.0, 200.0 / weeks[0].planned))


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30)),
    span=st.integers(min_value=0, max_value=60),
    offsets=st.lists(st.integers(min_value=-5, max_value=70), max_size=40),
    per_week=st.integers(min_value=1, max_value=7),
)
def test_weekly_adherence_invariants(start: date, span: int, offsets: list[int], per_week: int) -> None:
    """Every completed session day in range is counted once, in its own week; planned is the
    prescribed frequency pro rata; weeks are consecutive Mondays."""
    item = ProgrammeItem(exercise_id="forward_walk", dose=Dose(minutes=10, sessions_per_week=per_week))
    prog = ProgrammeRow(version=1, created_at=datetime(start.year, start.month, start.day, tzinfo=UTC))
    prog.content = CoreProgramme(items=[item])
    today = start + timedelta(days=span)
    logs = [SessionLog(session_date=start + timedelta(days=o), completed=True) for o in offsets]
    weeks = outcomes.weekly_adherence(logs, [prog], today=today)
    in_range = {start + timedelta(days=o) for o in offsets if 0 <= o <= span}
    assert sum(w.done for w in weeks) == len(in_range)
    assert sum(w.days for w in weeks) == span + 1
    for a, b in itertools.pairwise(weeks):
        assert b.week_start - a.week_start == timedelta(days=7)
    for w in weeks:
        assert w.week_start.weekday() == 0 and w.done <= w.days
        assert w.planned == pytest.approx(round(per_week * w.days / 7, 1))
        assert 0 <= w.pct <= 100


def test_an_edited_version_keeps_fall_risk_supervision_and_unchanged_items(database: Database) -> None:
    with database.transaction() as db:
        user, client = _client(db)
        older = clinical.demo_assessment_inputs()
        older["age"] = 72
        for m in older["measurements"]:
            if m["test_id"] == "single_leg_stance":
                m["value"] = 3
        inputs, findings = clinical.evaluate_assessment(older)
        assert findings["fall_risk"]
        crud.add_assessment(
            db, client.id, inputs=inputs, findings=findings, pain_nprs=3.0, stop=False, by=user
        )
        first = crud.current_programme(db, client.id)
        assert first is not None
        kept = first.content.items[0]
        body = VersionIn(
            items=[ItemIn(exercise_id=kept.exercise_id, dose=kept.dose), ItemIn(exercise_id="retro_walk_1")],
            reason="r",
        )
        row = programmes.save_edit(db, user, client, body)
        same, retro = row.content.items
        assert same == kept  # reason, notes and dose_since carried over unchanged
        assert retro.supervised_only and retro.notes


def test_a_decision_outside_the_safe_band_is_held_for_the_trainer_not_applied(database: Database) -> None:
    """Applied decisions pass the editor's checks: one that would prescribe 9 km/h retro-walking
    (outside the protocol's band) is parked for the trainer and the prescription stays as it was."""
    from retrowalk.app import sessions
    from retrowalk.core.progression import Decision, DecisionKind, NextSession

    with database.transaction() as db:
        _user, client = _client(db)
        row = crud.current_programme(db, client.id)
        assert row is not None
        current = row.content
        retro = next(i for i in current.items if i.exercise_id.startswith("retro_walk"))
        unsafe = retro.dose.model_copy(update={"speed_kmh": 9.0})
        items = [i.model_copy(update={"dose": unsafe}) if i is retro else i for i in current.items]
        decision = NextSession(
            decisions=[
                Decision(
                    exercise_id=retro.exercise_id,
                    decision=DecisionKind("progress"),
                    next_exercise_id=retro.exercise_id,
                    next_dose=unsafe,
                    changed=["speed_kmh"],
                    reason="went well twice",
                )
            ],
            programme=current.model_copy(update={"items": items}),
        )
        made, pending = sessions.apply_decision(db, client, row, decision, date(2026, 12, 1))
        assert made is None and pending is not None
        assert "held for the trainer" in pending.reason and "dose" in pending.reason
        after = crud.current_programme(db, client.id)
        assert after is not None and after.id == row.id
