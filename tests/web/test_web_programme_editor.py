"""The programme editor's form without a browser: every refusal lands on the field it is about,
nothing is stored until a valid save, and the draft survives each step."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.api.api_support import PASSWORD, World
from tests.api.worlds import world_fixture

from retrowalk.app.access import Programme
from retrowalk.http.security import CSRF_COOKIE

world = world_fixture()


def _trainer(world: World) -> TestClient:
    http = TestClient(world.app, follow_redirects=False)
    r = http.post("/login", data={"username": world.usernames["trainer_a"], "password": PASSWORD})
    assert r.status_code == 303
    return http


def _post(http: TestClient, url: str, **form: str) -> Any:
    return http.post(url, data={**form, "csrf_token": http.cookies.get(CSRF_COOKIE) or ""})


def _versions(world: World) -> list[Programme]:
    with world.app.state.db.transaction() as db:
        return list(
            db.query(Programme).filter_by(client_id=world.ids["client_a"]).order_by(Programme.version)
        )


def test_refusals_name_the_field_and_store_nothing(world: World) -> None:
    http = _trainer(world)
    url = f"/clients/{world.ids['client_a']}/programme/edit"
    retro = {"n": "1", "it0.exercise_id": "retro_walk_1", "it0.minutes": "5", "it0.handrails": "both"}
    retro |= {"it0.safety_key": "on", "reason": "faster belt", "op": "save"}
    # outside the vocabulary (SpeedKmh allows at most 20)
    r = _post(http, url, **retro, **{"it0.speed_kmh": "25"})
    assert r.status_code == 422 and 'id="e-0-speed_kmh">speed, km/h:' in r.text
    # inside the vocabulary, outside the protocol's safe band
    r = _post(http, url, **retro, **{"it0.speed_kmh": "9"})
    assert r.status_code == 422 and "safe band" in r.text
    # no reason
    r = _post(http, url, **{**retro, "reason": "", "it0.speed_kmh": "2"})
    assert r.status_code == 422 and "Say why the programme changes" in r.text
    assert len(_versions(world)) == 1
    r = _post(http, url, **retro, **{"it0.speed_kmh": "2.5"})
    assert r.status_code == 303 and r.headers["location"].endswith("?saved=2")
    saved = _versions(world)[-1].content.items
    assert [(i.exercise_id, i.dose.speed_kmh) for i in saved] == [("retro_walk_1", 2.5)]


def test_draft_steps_keep_what_was_typed(world: World) -> None:
    http = _trainer(world)
    url = f"/clients/{world.ids['client_a']}/programme/edit"
    draft = {
        "n": "2",
        "it0.exercise_id": "forward_walk",
        "it0.minutes": "14",
        "it1.exercise_id": "glute_bridge",
    }
    draft |= {"it1.sets": "3", "it1.reps": "9", "reason": "draft"}
    r = _post(http, url, **draft, op="up:1")
    assert r.status_code == 200
    assert r.text.index('data-exercise="glute_bridge"') < r.text.index('data-exercise="forward_walk"')
    assert 'value="14"' in r.text and 'value="9"' in r.text
    r = _post(http, url, **draft, op="add:sit_to_stand")
    assert r.status_code == 200 and '<input type="hidden" name="n" value="3">' in r.text
    r = _post(http, url, **draft, op="remove:0")
    assert r.status_code == 200 and '<input type="hidden" name="n" value="1">' in r.text
    assert len(_versions(world)) == 1
