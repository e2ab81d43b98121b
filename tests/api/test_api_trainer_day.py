"""The trainer's day over REST: the same flows as the pages (editor, archive, flags, messages,
adherence, assessment visits), each checked against what is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from tests.api.api_support import World, build_world

from retrowalk.app.clinical import demo_assessment_inputs
from retrowalk.app.sessions import today

C = "/api/v1/clients/{}"


@pytest.fixture
def world(app: FastAPI) -> World:
    return build_world(app)


def _a(world: World) -> str:
    return C.format(world.ids["client_a"])


def _poor_balance() -> dict[str, Any]:
    inputs = demo_assessment_inputs()
    for m in inputs["measurements"]:
        if m["test_id"] == "single_leg_stance":
            m["value"] = 2
    return inputs


def test_programme_version_refuses_contraindicated_and_out_of_band_items(world: World) -> None:
    http, t = world.http, world.headers["trainer_a"]
    r = http.post(
        f"{_a(world)}/assessments", json={"inputs": _poor_balance(), "affected_side": "left"}, headers=t
    )
    assert r.status_code == 201 and r.json()["affected_side"] == "left"
    lib = http.get(f"{_a(world)}/programmes/library", params={"q": "retro"}, headers=t).json()
    assert next(e for e in lib if e["exercise_id"] == "retro_walk_3")["contraindicated"]
    refused = http.post(
        f"{_a(world)}/programmes/versions",
        json={"items": [{"exercise_id": "forward_walk"}, {"exercise_id": "retro_walk_3"}], "reason": "try"},
        headers=t,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "items[1]", "exercise_id"]
    fast = {"minutes": 5, "speed_kmh": 9, "handrails": "both", "safety_key": True}
    too_fast = http.post(
        f"{_a(world)}/programmes/versions",
        json={"items": [{"exercise_id": "retro_walk_1", "dose": fast}], "reason": "faster"},
        headers=t,
    )
    assert too_fast.status_code == 422
    assert too_fast.json()["detail"][0]["loc"][:3] == ["body", "items[0]", "dose"]
    assert len(http.get(f"{_a(world)}/programmes", headers=t).json()) == 1
    ok = http.post(
        f"{_a(world)}/programmes/versions",
        json={"items": [{"exercise_id": "glute_bridge", "dose": {"sets": 3, "reps": 12}}], "reason": "hips"},
        headers=t,
    )
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert (body["version"], body["source"], body["reason"]) == (2, "editor", "hips")
    changes = http.get(f"{_a(world)}/programmes/compare", params={"a": 1, "b": 2}, headers=t).json()
    assert {c["change"] for c in changes} >= {"removed"}
    assert next(c for c in changes if c["exercise_id"] == "glute_bridge")["change"] in ("added", "dose")
    # the client reads the diff of their own programme but may not write a version
    assert (
        http.get(f"{_a(world)}/programmes/compare?a=1&b=2", headers=world.headers["client_a"]).status_code
        == 200
    )
    forbidden = http.post(
        f"{_a(world)}/programmes/versions",
        json={"items": [{"exercise_id": "forward_walk"}], "reason": "mine"},
        headers=world.headers["client_a"],
    )
    assert forbidden.status_code == 403


def test_messages_count_unread_on_both_sides(world: World) -> None:
    http, t, c = world.http, world.headers["trainer_a"], world.headers["client_a"]
    url = f"{_a(world)}/messages"
    assert http.post(url, json={"body": "How is the knee?"}, headers=t).status_code == 201
    assert http.post(url, json={"body": "   "}, headers=t).status_code == 422
    assert http.get(f"{url}/unread", headers=c).json() == 1
    assert http.get(f"{url}/unread", headers=t).json() == 0
    row = next(
        r for r in http.get("/api/v1/dashboard", headers=t).json() if r["client_id"] == world.ids["client_a"]
    )
    assert row["unread"] == 0
    thread = http.get(url, headers=c).json()
    assert [m["from_role"] for m in thread] == ["trainer"] and thread[0]["read_at"] is not None
    assert http.get(f"{url}/unread", headers=c).json() == 0
    assert http.post(url, json={"body": "Better today"}, headers=c).status_code == 201
    row = next(
        r for r in http.get("/api/v1/dashboard", headers=t).json() if r["client_id"] == world.ids["client_a"]
    )
    assert row["unread"] == 1


def test_archive_search_and_flag_acknowledgement(world: World) -> None:
    http, t = world.http, world.headers["trainer_a"]
    cid = world.ids["client_a"]
    rows = http.get("/api/v1/dashboard", headers=t).json()
    assert [r["client_id"] for r in rows] == [cid]
    assert http.get("/api/v1/dashboard", params={"q": "no-such-name"}, headers=t).json() == []
    assert http.put(f"{_a(world)}/archived", json={"archived": True}, headers=t).json()["archived"] is True
    assert http.get("/api/v1/dashboard", headers=t).json() == []
    assert [r["client_id"] for r in http.get("/api/v1/dashboard?show=archived", headers=t).json()] == [cid]
    assert http.get("/api/v1/dashboard?show=nonsense", headers=t).status_code == 422
    http.put(f"{_a(world)}/archived", json={"archived": False}, headers=t)
    # a painful session raises a flag; acknowledging it keeps the note with the flag
    log = {
        "session_date": today().isoformat(),
        "exercise_id": "forward_walk",
        "minutes": 10,
        "pain_during": 8,
        "pain_after": 7,
    }
    assert http.post(f"{_a(world)}/session-logs", json=log, headers=t).status_code == 201
    flags = http.get("/api/v1/dashboard", headers=t).json()[0]["flags"]
    ack = http.post(f"{_a(world)}/flag-acknowledgements", json={"flag": "made up", "note": "x"}, headers=t)
    assert ack.status_code == 409
    if flags:
        first = flags[0]["flag"]
        done = http.post(
            f"{_a(world)}/flag-acknowledgements",
            json={"flag": first, "note": "called; rest two days"},
            headers=t,
        )
        assert done.status_code == 201
        assert {f["flag"]: f["acknowledged"] for f in done.json()["flags"]}[first] == "called; rest two days"


def test_adherence_and_assessment_visits(world: World) -> None:
    http, t = world.http, world.headers["trainer_a"]
    weeks = http.get(f"{_a(world)}/adherence", headers=world.headers["client_a"]).json()
    assert weeks and all(w["planned"] > 0 and 0 <= w["pct"] <= 100 for w in weeks)
    later = demo_assessment_inputs()
    later["measurements"][0]["value"] += 3  # knee-to-wall left: 3 cm, beyond the 1 cm MDC
    assert (
        http.post(
            f"{_a(world)}/assessments", json={"inputs": later, "affected_side": "both"}, headers=t
        ).status_code
        == 201
    )
    visits = http.get(f"{_a(world)}/assessment-visits", headers=t).json()
    assert len(visits) == 2 and visits[0]["affected_side"] == "both" and visits[1]["previous_id"] is None
    ktw = next(c for c in visits[0]["changes"] if c["test_id"] == "knee_to_wall" and c["side"] == "left")
    assert (ktw["change"], ktw["beyond_error"]) == (3.0, True) and ktw["error_source"]
