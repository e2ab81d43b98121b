"""One clinical loop for every edge: the web pages and the REST API judge a client's history the
same way, and one set of bounds holds everywhere.

Regression tests for issue #12: a 25 km/h session logged through the web used to be accepted (the
form allowed 30), after which the client's page and PDF answered 422 for good; and "next session"
differed between the client page and ``/session-logs/next``.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.api.api_support import PASSWORD, World, assess_and_prescribe, legacy_fast_log
from tests.api.worlds import world_fixture

from retrowalk.app import clinical
from retrowalk.core.exercises import Dose
from retrowalk.core.vocab import field_bounds
from retrowalk.http.security import CSRF_COOKIE
from retrowalk.storage import crud

TODAY = datetime.now(UTC).date()
DECISION = re.compile(
    r'<div class="decision [^"]*"><strong>(.*?): (?:<span[^>]*>)?(.*?)(?:</span>)?</strong>(.*?)<span',
    re.S,
)


world = world_fixture()


def browser(world: World, role: str = "trainer_a") -> TestClient:
    http = TestClient(world.app, follow_redirects=False)
    r = http.post("/login", data={"username": world.usernames[role], "password": PASSWORD})
    assert r.status_code == 303
    return http


def web_decisions(page: str) -> list[tuple[str, str]]:
    """(decision, dose text) per exercise as a page shows them."""
    out = []
    for _name, kind, rest in DECISION.findall(page):
        dose = html.unescape(re.sub(r"<[^>]+>", "", rest)).replace("Next time:", "")
        out.append((html.unescape(kind), dose.strip(" –\n")))
    return out


def api_decisions(decision: dict[str, Any] | None) -> list[tuple[str, str]]:
    if decision is None:
        return []
    return [
        (d["decision"], Dose.model_validate(d["next_dose"]).describe() if d["next_dose"] else "")
        for d in decision["decisions"]
    ]


def api_next(world: World, client_id: int) -> dict[str, Any] | None:
    r = world.http.get(f"/api/v1/clients/{client_id}/session-logs/next", headers=world.headers["trainer_a"])
    assert r.status_code == 200, r.text
    result: dict[str, Any] | None = r.json()
    return result


def api_log(
    world: World, client_id: int, day: date, during: float, after: float, **dose: Any
) -> dict[str, Any] | None:
    """Log one session through the API; None when refused because a stop is in force (409)."""
    body = {
        "session_date": day.isoformat(),
        "exercise_id": clinical.DEMO_EXERCISE,
        "pain_during": during,
        "pain_after": after,
        **dose,
    }
    r = world.http.post(
        f"/api/v1/clients/{client_id}/session-logs", json=body, headers=world.headers["trainer_a"]
    )
    if r.status_code == 409:
        assert "in force" in r.json()["detail"], r.text
        return None
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def new_client(world: World) -> int:
    """A fresh client of trainer A, assessed and with a programme (no sessions yet)."""
    with world.app.state.db.transaction() as db:
        trainer = crud.get_user(db, world.ids["user_trainer_a"])
        assert trainer is not None
        client = crud.create_client(db, "Parity client", trainer=trainer)
        assess_and_prescribe(db, client, trainer)
        return client.id


def assert_same_decisions(world: World, http: TestClient, client_id: int) -> list[tuple[str, str]]:
    page = http.get(f"/clients/{client_id}")
    assert page.status_code == 200, page.text
    expected = api_decisions(api_next(world, client_id))
    assert web_decisions(page.text) == expected
    return expected


SESSION = st.tuples(
    st.integers(0, 90),  # days ago
    st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]),  # pain during
    st.sampled_from([0.0, 1.0, 3.0, 5.0, 7.0]),  # pain after
    st.sampled_from([None, 0.0, 2.0, 6.0]),  # next morning
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(SESSION, min_size=0, max_size=6, unique_by=lambda s: s[0]))
def test_web_and_api_give_the_same_next_session(world: World, history: list[Any]) -> None:
    client_id = new_client(world)
    http = browser(world)
    for days_ago, during, after, morning in sorted(history, reverse=True):
        extra = {"pain_next_morning": morning} if morning is not None else {}
        logged = api_log(
            world,
            client_id,
            TODAY - timedelta(days=days_ago),
            during,
            after,
            minutes=6,
            speed_kmh=2.0,
            **extra,
        )
        if logged is None:  # a pain stop is in force: nothing more can be logged until cleared
            break
    assert_same_decisions(world, http, client_id)


def test_a_new_programme_starts_a_new_history_on_both_edges(world: World) -> None:
    """The web used to fall back to the previous programme's sessions; the API did not."""
    http = browser(world)
    client_id = world.ids["client_a"]
    for k in range(3):
        api_log(world, client_id, TODAY - timedelta(days=2 * k), 2, 1, minutes=6, speed_kmh=2.0)
    assert assert_same_decisions(world, http, client_id) != []
    r = world.http.post(
        f"/api/v1/clients/{client_id}/programmes", json={"pain_nprs": 3}, headers=world.headers["trainer_a"]
    )
    assert r.status_code == 201
    assert assert_same_decisions(world, http, client_id) == []


def test_the_web_log_reply_is_the_api_decision(world: World) -> None:
    http = browser(world)
    client_id = world.ids["client_a"]
    form = log_form(http, client_id)
    form.update({"pain_before": "1", "pain_during": "2", "pain_after": "1"})
    r = http.post(f"/clients/{client_id}/log", data=form)
    assert r.status_code == 303, r.text
    saved = http.get(r.headers["location"])
    assert saved.status_code == 200, saved.text
    decision = api_next(world, client_id)
    # the trainer who logged reads the engine's decisions (kind and dose), as the API gives them
    assert web_decisions(saved.text) == api_decisions(decision) != []
    # the client reads the same doses in plain words on the same page
    own = browser(world, "client_a").get(r.headers["location"])
    assert own.status_code == 200, own.text
    doses = [
        html.unescape(d)
        for d in re.findall(r'<p class="next-dose">Next time: <strong>(.*?)</strong>', own.text)
    ]
    assert doses == [dose for _kind, dose in api_decisions(decision) if dose] != []


def log_form(http: TestClient, client_id: int) -> dict[str, str]:
    """The log form as the page offers it (prescribed values pre-filled), with its CSRF token."""
    page = http.get(f"/clients/{client_id}/log").text
    form = {"csrf_token": http.cookies[CSRF_COOKIE]}
    for name, value in re.findall(r'<input id="[^"]*" name="(ex\d+\.\w+)" [^>]*value="([^"]*)"', page):
        form[name] = value
    for name in re.findall(r'name="(ex\d+\.completed)" value="yes"', page):
        form[name] = "yes"
    form["idempotency_key"] = re.findall(r'name="idempotency_key" value="([^"]*)"', page)[0]
    form["pain_before"] = "1"
    return form


# --- one set of bounds ---------------------------------------------------------------------------


def test_a_25_kmh_web_log_is_refused_naming_the_field(world: World) -> None:
    http = browser(world, "client_a")
    client_id = world.ids["client_a"]
    before = len(crud_logs(world, client_id))
    form = log_form(http, client_id)
    speed = next(k for k in form if k.endswith(".speed_kmh"))
    form.update({speed: "25", "pain_during": "2", "pain_after": "1"})
    r = http.post(f"/clients/{client_id}/log", data=form)
    assert r.status_code == 422
    box = speed.replace(".", "-", 1)
    message = re.search(rf'<p class="error" id="{re.escape(box)}-error"[^>]*>(.*?)</p>', r.text)
    assert message is not None
    limit = f"{field_bounds('speed_kmh').max:g}"
    assert "speed" in message.group(1) and limit in message.group(1)
    assert f'max="{limit}"' in r.text  # the form's own bound is the vocabulary's
    assert len(crud_logs(world, client_id)) == before
    # the API refuses the same value with the same bound
    body = {"session_date": TODAY.isoformat(), "exercise_id": "retro_walk_1", "speed_kmh": 25}
    body |= {"pain_during": 2, "pain_after": 1}
    r = world.http.post(
        f"/api/v1/clients/{client_id}/session-logs", json=body, headers=world.headers["client_a"]
    )
    assert r.status_code == 422 and "speed_kmh" in r.text


def crud_logs(world: World, client_id: int) -> list[Any]:
    with world.app.state.db.transaction() as db:
        return list(crud.list_session_logs(db, client_id))


def test_a_stored_row_outside_todays_bounds_is_flagged_not_a_422(world: World) -> None:
    """A row an older release accepted (25 km/h) shows flagged; no page, PDF or API read fails."""
    client_id = world.ids["client_a"]
    with world.app.state.db.transaction() as db:
        trainer = crud.get_user(db, world.ids["user_trainer_a"])
        assert crud.current_programme(db, client_id) is not None
        legacy_fast_log(db, client_id, by=trainer, day=TODAY)
    http = browser(world)
    page = http.get(f"/clients/{client_id}")
    assert page.status_code == 200, page.text
    assert "outside today&#39;s limits" in page.text and "speed" in page.text
    pdf = http.get(f"/clients/{client_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    dash = http.get("/")
    assert dash.status_code == 200 and "outside today" in dash.text
    headers = world.headers["trainer_a"]
    for path in ("session-logs/next", "session-logs", "outcomes"):
        assert world.http.get(f"/api/v1/clients/{client_id}/{path}", headers=headers).status_code == 200
