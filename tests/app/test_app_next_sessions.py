"""sessions.next_sessions (the dashboard's batched reads) judges each client exactly as the
per-client readers do, and never mixes one client's clearances, evidence or versions into another's."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from retrowalk.app import sessions
from retrowalk.app.sessions import RedFlagClear, SessionLogIn
from retrowalk.core.progression import NextSession
from retrowalk.gait.summary import GaitSummary
from retrowalk.storage import Database, crud

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from clinic_data import ClinicSize, generate

TODAY = datetime.now(UTC).date()


def _one_by_one(db: Any, client_id: int) -> NextSession | None:
    """The decision from the single-client readers (one client's lineage and its window read
    newest first, lists)."""
    programme = crud.current_programme(db, client_id)
    assert programme is not None
    lineages = crud.programme_lineages(db, {client_id: programme})
    logs = crud.decision_window_rows(db, lineages, last_days=sessions.DECISION_WINDOW_DAYS)[client_id]
    # back along the lineage while the version was made by a decision no later session followed
    base = programme
    while (
        base.based_on_id is not None
        and base.decided_after is not None
        and not any(r.session_date > base.decided_after for r in logs)
    ):
        older = crud.get_programme(db, client_id, base.based_on_id)
        if older is None:
            break
        base = older
    return sessions.decision_of(
        sessions.decide_json(
            base,
            logs,
            crud.latest_assessment(db, client_id),
            cleared=sessions.clearances(db, client_id),
            hands_free=sessions.hands_free_evidence(db, client_id),
        )
    )


def test_batched_decisions_equal_each_clients_own(database: Database) -> None:
    clinic = generate(database, ClinicSize(trainers=1, clients=4, days=120), seed=5, today=TODAY)
    flagged, signed, decided, plain = clinic.client_ids
    with database.transaction() as db:
        trainer = crud.get_user(db, clinic.trainer_ids[0])
        account = crud.get_user_by_username(db, clinic.client_usernames[0])
        assert trainer is not None and account is not None
        client = crud.get_client(db, flagged)
        assert client is not None
        # a red flag two days ago, cleared by the trainer: in force for no other client
        entry = SessionLogIn.model_validate(
            {
                "session_date": TODAY - timedelta(days=2),
                "exercise_id": "forward_walk",
                "pain_during": 2.0,
                "pain_after": 1.0,
                "red_flags": ["signs_of_dvt"],
            }
        )
        sessions.log_session(db, account, client, [entry])
        sessions.clear_red_flag(
            db, trainer, client, RedFlagClear(flag_id="signs_of_dvt", reason="GP: no DVT")
        )
        # hands-free evidence and a sign-off for one client only
        other = crud.get_client(db, signed)
        assert other is not None
        crud.add_imported_gait(
            db, signed, when=datetime.now(UTC), summary=GaitSummary(step_length_asymmetry_pct=3.0)
        )
        sessions.sign_off_hands_free(db, trainer, other, sessions.HandsFreeSignOffIn(reason="even steps"))
        # a decision version with no session since: judged from the version it came from
        current = crud.current_programme(db, decided)
        assert current is not None
        crud.add_decision_programme(
            db, current, content=current.content, decided_after=TODAY - timedelta(days=1), reason="progressed"
        )
        db.flush()

        ids = [flagged, signed, decided, plain]
        programmes = crud.current_programmes(db, ids)
        batched = sessions.next_sessions(db, programmes, crud.latest_assessments(db, ids, with_inputs=False))
        for cid in ids:
            assert batched[cid] == _one_by_one(db, cid) == sessions.next_session(db, cid), cid
        evidence = {cid: sessions.hands_free_evidence(db, cid) for cid in ids}
        assert evidence[signed].sign_off is not None
        assert [c.step_asymmetry_pct for c in evidence[signed].recordings][-1] == 3.0
        assert all(evidence[cid].sign_off is None for cid in (flagged, decided, plain))
        assert [c.flag_id for c in sessions.clearances(db, flagged)] == ["signs_of_dvt"]
        assert all(sessions.clearances(db, cid) == [] for cid in (signed, decided, plain))
        assert programmes[decided].based_on_id == current.id


def test_evidence_reads_only_recordings_that_can_count(database: Database) -> None:
    """The batched reader leaves out recordings older than the age limit before the client's
    first judged session (their analyses are never decoded) and clients with nothing to judge,
    yet every decision still equals the per-client reader's, which reads them all; a client who
    stopped logging long ago keeps the evidence from before their last sessions."""
    clinic = generate(database, ClinicSize(trainers=1, clients=2, days=150), seed=9, today=TODAY)
    lapsed, _ = clinic.client_ids
    max_age = sessions.core_progression.hands_free_recording_max_age_days()
    assert max_age > 0
    with database.transaction() as db:
        # the lapsed client stopped a month ago: drop everything logged since
        for log in crud.list_session_logs(db, lapsed):
            if log.session_date > TODAY - timedelta(days=30):
                db.delete(log)
        db.flush()
        programmes = crud.current_programmes(db, clinic.client_ids)
        window = crud.decision_window_rows(
            db, crud.programme_lineages(db, programmes), last_days=sessions.DECISION_WINDOW_DAYS
        )
        first = window[lapsed][0].session_date
        kept = crud.add_imported_gait(
            db,
            lapsed,
            when=datetime.combine(first - timedelta(days=max_age), datetime.min.time(), UTC),
            summary=GaitSummary(step_length_asymmetry_pct=2.0),
        )
        old = crud.add_imported_gait(
            db,
            lapsed,
            when=datetime.combine(first - timedelta(days=max_age + 1), datetime.min.time(), UTC),
            summary=GaitSummary(step_length_asymmetry_pct=2.0),
        )
        db.flush()
        since = {
            cid: datetime.combine(rows[0].session_date - timedelta(days=max_age), datetime.min.time(), UTC)
            for cid, rows in window.items()
            if rows
        }
        read = crud.latest_recordings(db, clinic.client_ids, n=sessions.EVIDENCE_RECORDINGS, since=since)
        ids = {r.id for r in read[lapsed]}
        assert kept.id in ids and old.id not in ids
        batched = sessions.next_sessions(
            db, programmes, crud.latest_assessments(db, clinic.client_ids, with_inputs=False)
        )
        for cid in clinic.client_ids:
            assert batched[cid] == _one_by_one(db, cid), cid
