"""The clinical flow through the API: assess → prescribe (versioned) → log → next session,
KOOS scoring and outcomes with clinically important change. The core is called for real."""

from __future__ import annotations

from typing import Any

from tests.api.api_support import World, assessment_inputs

from retrowalk.core.prescription import Programme
from retrowalk.core.progression import SessionRecord, decide_next, load_config
from retrowalk.core.scores.koos import KOOS_ITEMS


def _new_client(world: World) -> tuple[str, dict[str, str]]:
    h = world.headers["trainer_a"]
    cid = world.http.post("/api/v1/clients", json={"name": "Flow"}, headers=h).json()["id"]
    return f"/api/v1/clients/{cid}", h


def _assess_and_prescribe(
    world: World, goals: list[str] | None = None
) -> tuple[str, dict[str, str], dict[str, Any]]:
    base, h = _new_client(world)
    r = world.http.post(f"{base}/assessments", json={"inputs": assessment_inputs()}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["pain_nprs"] == assessment_inputs()["pain_activity_nprs"]
    assert r.json()["findings"]["findings"] and r.json()["stop"] is False
    r = world.http.post(f"{base}/programmes", json={"goals": goals or ["walking"]}, headers=h)
    assert r.status_code == 201, r.text
    return base, h, r.json()


def test_programmes_are_new_versions(world: World) -> None:
    base, h, first = _assess_and_prescribe(world)
    second = world.http.post(
        f"{base}/programmes", json={"goals": ["stairs"], "pain_nprs": 2}, headers=h
    ).json()
    assert (first["version"], second["version"]) == (1, 2)
    history = world.http.get(f"{base}/programmes", headers=h).json()
    assert [p["version"] for p in history] == [1, 2]
    assert history[0]["content"] == first["content"]  # the old version is untouched
    assert world.http.get(f"{base}/programmes/current", headers=h).json()["id"] == second["id"]


def _log(world: World, base: str, h: dict[str, str], day: str, pain: float, item: dict[str, Any]) -> Any:
    dose = {
        k: v
        for k, v in item["dose"].items()
        if k in ("minutes", "speed_kmh", "incline_pct", "handrails", "sets", "reps", "hold_s")
        and v is not None
    }
    body = {
        "session_date": day,
        "exercise_id": item["exercise_id"],
        "pain_before": 1,
        "pain_during": pain,
        "pain_after": pain,
        "pain_next_morning": 1,
        **dose,
    }
    r = world.http.post(f"{base}/session-logs", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_session_log_returns_the_progression_engines_decision(world: World) -> None:
    base, h, prog = _assess_and_prescribe(world)
    item = next(i for i in prog["content"]["items"] if i["exercise_id"].startswith("retro_walk"))
    _log(world, base, h, "2025-03-03", 2, item)
    reply = _log(world, base, h, "2025-03-05", 2, item)
    # The same two sessions given straight to the core give the same answer. The logged dose holds
    # what a log asks (minutes, speed, ...); the parts it does not ask (safety key, weekly
    # frequency) are the prescription's, so a dose done as prescribed is the prescribed dose.
    dose = {k: v for k, v in item["dose"].items() if v is not None}
    sessions = [
        SessionRecord.model_validate(
            {
                "date": d,
                "pain_before": 1,
                "pain_during": 2,
                "pain_after": 2,
                "pain_next_morning": 1,
                "exercises": [
                    {"exercise_id": item["exercise_id"], "completed": True, "dose": dose, "pain_during": 2}
                ],
            }
        )
        for d in ("2025-03-03", "2025-03-05")
    ]
    expected = decide_next(Programme.model_validate(prog["content"]), sessions).model_dump(mode="json")
    assert reply["next_session"] == expected
    decided = {d["exercise_id"]: d["decision"] for d in reply["next_session"]["decisions"]}
    assert item["exercise_id"] in decided


def test_severe_pain_stops_and_refers(world: World) -> None:
    base, h, prog = _assess_and_prescribe(world)
    item = prog["content"]["items"][0]
    reply = _log(world, base, h, "2025-03-03", load_config().stop_pain_at_least, item)
    assert reply["next_session"]["stop"] is True
    assert {d["decision"] for d in reply["next_session"]["decisions"]} == {"stop-and-refer"}
    again = world.http.get(f"{base}/session-logs/next", headers=h).json()
    assert again == reply["next_session"]


def test_next_morning_pain_added_later_recomputes(world: World) -> None:
    base, h, prog = _assess_and_prescribe(world)
    log = _log(world, base, h, "2025-03-03", 2, prog["content"]["items"][0])["log"]
    r = world.http.patch(f"{base}/session-logs/{log['id']}", json={"pain_next_morning": 9}, headers=h)
    assert r.status_code == 200 and r.json()["log"]["pain_next_morning"] == 9
    assert r.json()["next_session"]["stop"] is True


def test_bad_clinical_input_is_422_naming_the_field_and_writes_nothing(world: World) -> None:
    base, h = _new_client(world)
    inputs = assessment_inputs()
    inputs["measurements"][0]["test_id"] = "no_such_test"
    r = world.http.post(f"{base}/assessments", json={"inputs": inputs}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:2] == ["body", "inputs"]
    r = world.http.post(
        f"{base}/session-logs",
        headers=h,
        json={"session_date": "2025-03-03", "exercise_id": "moonwalk", "pain_during": 1, "pain_after": 1},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "exercise_id"]
    r = world.http.post(f"{base}/koos", json={"answers": {"P99": 1}}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "answers", "P99"]
    assert world.http.get(f"{base}/assessments", headers=h).json() == []
    assert world.http.get(f"{base}/session-logs", headers=h).json() == []
    assert world.http.get(f"{base}/koos", headers=h).json() == []
    audit = world.http.get(f"{base}/audit", headers=h).json()
    written = {a["resource"] for a in audit if a["action"] == "create"}
    assert written == {"client"}  # only the client's creation; the failed requests left no trace


def test_programme_needs_an_assessment_and_no_red_flags(world: World) -> None:
    base, h = _new_client(world)
    assert world.http.post(f"{base}/programmes", json={}, headers=h).status_code == 409
    inputs = {**assessment_inputs(), "red_flags": ["signs_of_dvt"]}
    r = world.http.post(f"{base}/assessments", json={"inputs": inputs}, headers=h)
    assert r.status_code == 201 and r.json()["stop"] is True
    assert world.http.post(f"{base}/programmes", json={}, headers=h).status_code == 409


def test_koos_scores_and_outcomes_show_important_change(world: World) -> None:
    base, h = _new_client(world)
    ids = [item.id for item in KOOS_ITEMS]
    first = world.http.post(f"{base}/koos", json={"answers": dict.fromkeys(ids, 2)}, headers=h)
    assert first.status_code == 201 and first.json()["scores"]["pain"] == 50.0  # 100 - 2 x 25
    world.http.post(f"{base}/koos", json={"answers": dict.fromkeys(ids, 0)}, headers=h)
    out = world.http.get(f"{base}/outcomes", headers=h).json()
    pain = next(s for s in out["series"] if s["name"] == "koos_pain")
    assert [p["value"] for p in pain["points"]] == [50.0, 100.0] and pain["higher_is_better"] is True
    flags = [c for c in out["changes"] if c["series"] == "koos_pain"]
    assert flags and all(f["improved"] for f in flags)
