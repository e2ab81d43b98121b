"""The client's loop through the web and the REST API without a browser (the Chromium journey is
tests/web/test_web_client_journey.py): nothing preset, one row per form, stop in force → no log."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.api_support import World
from tests.api.worlds import world_fixture
from tests.web.test_web_one_loop import api_decisions, api_next, browser, log_form, new_client, web_decisions

from retrowalk.app import sessions
from retrowalk.storage import crud

TODAY = datetime.now(UTC).date()


world = world_fixture()


def crud_logs(
    world: World, client_id: int
) -> list[tuple[int, float | None, float | None, float | None, float | None]]:
    """(id, pain before, during, after, next morning) of every stored row."""
    with world.app.state.db.transaction() as db:
        return [
            (r.id, r.pain_before, r.pain_during, r.pain_after, r.pain_next_morning)
            for r in crud.list_session_logs(db, client_id)
        ]


def _answered(http: TestClient, client_id: int, **extra: str) -> dict[str, str]:
    form = log_form(http, client_id)
    form.update({"session_date": TODAY.isoformat(), "pain_during": "2", "pain_after": "1", **extra})
    return form


def test_nothing_is_preset_on_the_log_form(world: World) -> None:
    http = browser(world, "client_a")
    page = http.get(f"/clients/{world.ids['client_a']}/log").text
    assert re.search(r"<input[^>]* checked", page) is None
    assert 'type="range"' not in page
    assert len(re.findall(r'name="red_flags"', page)) >= 5


def test_an_unanswered_pain_question_is_refused_and_nothing_stored(world: World) -> None:
    client_id = new_client(world)
    http = browser(world)
    form = _answered(http, client_id)
    del form["pain_before"]
    r = http.post(f"/clients/{client_id}/log", data=form)
    assert r.status_code == 422
    assert 'id="pain_before-error" aria-live="polite">choose a number (0 = no pain)' in r.text
    assert crud_logs(world, client_id) == []


def test_a_reload_or_a_resend_stores_one_session(world: World) -> None:
    http = browser(world)
    client_id = new_client(world)
    form = _answered(http, client_id)
    first = http.post(f"/clients/{client_id}/log", data=form)
    assert first.status_code == 303 and first.headers["location"].startswith(
        f"/clients/{client_id}/log/saved"
    )
    rows = crud_logs(world, client_id)
    assert http.get(first.headers["location"]).status_code == 200
    again = http.post(f"/clients/{client_id}/log", data=form)
    assert again.status_code == 303
    assert crud_logs(world, client_id) == rows
    assert {r[1:] for r in rows} == {(1.0, 2.0, 1.0, None)}


def test_the_saved_page_shows_the_pain_of_the_session_just_saved(world: World) -> None:
    """A second session on a day already logged (or a back-dated one) is shown with its own
    pain, not with the pain of the day's earlier session."""
    http = browser(world)
    client_id = new_client(world)
    assert http.post(f"/clients/{client_id}/log", data=_answered(http, client_id)).status_code == 303
    later = _answered(http, client_id, pain_during="6", pain_after="5")
    r = http.post(f"/clients/{client_id}/log", data=later)
    assert r.status_code == 303
    page = http.get(r.headers["location"]).text
    assert "pain during 6/10, after 5/10" in page and "pain during 2/10" not in page


def test_a_red_flag_in_force_replaces_the_session_and_the_api_answers_409(world: World) -> None:
    http = browser(world)
    client_id = new_client(world)
    form = _answered(http, client_id)
    r = http.post(f"/clients/{client_id}/log", data={**form, "red_flags": "signs_of_infection"})
    assert r.status_code == 303
    page = http.get(f"/clients/{client_id}/log").text
    assert 'id="stop-card"' in page and 'id="save-session"' not in page
    assert "Hot, red, swollen knee" in page
    n = len(crud_logs(world, client_id))
    # a form sent anyway is not stored
    anyway = {**form, "idempotency_key": "another-form-key-1234"}
    assert (
        http.post(f"/clients/{client_id}/log", data=anyway).headers["location"] == f"/clients/{client_id}/log"
    )
    api = world.http
    body = {
        "session_date": TODAY.isoformat(),
        "exercise_id": "retro_walk_1",
        "pain_during": 1,
        "pain_after": 1,
    }
    refused = api.post(
        f"/api/v1/clients/{client_id}/session-logs", json=body, headers=world.headers["trainer_a"]
    )
    assert refused.status_code == 409 and "Hot, red, swollen knee" in refused.json()["detail"]
    assert len(crud_logs(world, client_id)) == n
    # the trainer clears it through the API (why required), and logging works again
    bad = api.post(
        f"/api/v1/clients/{client_id}/red-flags/clearances",
        json={"flag_id": "signs_of_infection"},
        headers=world.headers["trainer_a"],
    )
    assert bad.status_code == 422 and "reason" in bad.text
    ok = api.post(
        f"/api/v1/clients/{client_id}/red-flags/clearances",
        json={"flag_id": "signs_of_infection", "reason": "GP: no infection"},
        headers=world.headers["trainer_a"],
    )
    assert ok.status_code == 201 and ok.json()["signed_on"] == TODAY.isoformat()
    assert (
        api.post(
            f"/api/v1/clients/{client_id}/session-logs", json=body, headers=world.headers["trainer_a"]
        ).status_code
        == 201
    )


def test_the_api_refuses_an_unknown_red_flag_naming_the_field(world: World) -> None:
    body = {
        "session_date": TODAY.isoformat(),
        "exercise_id": "retro_walk_1",
        "pain_during": 1,
        "pain_after": 1,
        "red_flags": ["sore_elbow"],
    }
    r = world.http.post(
        f"/api/v1/clients/{world.ids['client_a']}/session-logs", json=body, headers=world.headers["trainer_a"]
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "red_flags"


def test_the_saved_page_speaks_to_whoever_logged(world: World) -> None:
    """A trainer logging on the client's behalf reads about the client ("Parity client's pain",
    back to the client page); the client reads "your pain" and goes to their progress."""
    client_id = new_client(world)
    http = browser(world)
    sent = http.post(f"/clients/{client_id}/log", data=_answered(http, client_id, pain_during="7"))
    page = http.get(sent.headers["location"]).text
    assert "Parity client's pain went above" in page and "Your pain" not in page
    assert "Parity client's next session" in page
    assert f'href="/clients/{client_id}">Back to Parity client' in page and "See my progress" not in page
    # the trainer reads the engine's decisions with their reasons, the same as the API's
    assert web_decisions(page) == api_decisions(api_next(world, client_id)) != []
    assert "plain-decision" not in page
    own = browser(world, "client_a")
    own_id = world.ids["client_a"]
    sent = own.post(f"/clients/{own_id}/log", data=_answered(own, own_id, pain_during="7"))
    page = own.get(sent.headers["location"]).text
    assert "Your pain went above" in page and "Your next session" in page
    assert "See my progress" in page


def test_the_client_page_judges_the_next_session_once_and_shows_the_flag_in_force(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = browser(world)
    client_id = new_client(world)
    form = _answered(http, client_id)
    assert (
        http.post(f"/clients/{client_id}/log", data={**form, "red_flags": "signs_of_infection"}).status_code
        == 303
    )
    calls: list[int] = []
    judge = sessions.next_session

    def counted(db: Any, cid: int, programme: Any = None) -> Any:
        calls.append(cid)
        return judge(db, cid, programme)

    monkeypatch.setattr(sessions, "next_session", counted)
    page = http.get(f"/clients/{client_id}").text
    assert calls == [client_id]  # one judgement serves the decisions and the safety panel
    assert "Hot, red, swollen knee" in page
