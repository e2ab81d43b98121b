"""Refusals on page routes are HTML pages with a way back (#14.8, api/hardening.py); the REST
API keeps JSON; a typed-in goal the core does not know is a page naming the field."""

from __future__ import annotations

from typing import Any

from tests.api.api_support import World
from tests.api.worlds import world_fixture
from tests.web.test_web_authz_matrix import browser

from retrowalk.core.prescription import load_rules
from retrowalk.http.security import CSRF_COOKIE

world = world_fixture(scope="module")


HTML = {"Accept": "text/html,application/xhtml+xml"}  # what a browser sends


def _browser(world: World, role: str) -> Any:
    http = browser(world, role)
    http.headers.update(HTML)
    return http


def _is_page(r: Any, code: int, back: str) -> None:
    assert r.status_code == code, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert f"id='back' href='{back}'" in r.text
    assert '"detail"' not in r.text


def test_unknown_and_foreign_clients_are_html_404(world: World) -> None:
    http = _browser(world, "trainer_a")
    _is_page(http.get("/clients/999999"), 404, "/")
    _is_page(http.get(f"/clients/{world.ids['client_b']}/recordings"), 404, "/")
    _is_page(http.get("/no/such/page"), 404, "/")
    # a path parameter that is no number: 422 naming it, still a page
    r = http.get("/clients/abc")
    _is_page(r, 422, "/")
    assert "client_id" in r.text


def test_wrong_role_and_missing_csrf_are_html_403(world: World) -> None:
    client = _browser(world, "client_a")
    _is_page(
        client.get(f"/clients/{world.ids['client_a']}/assessment"), 403, f"/clients/{world.ids['client_a']}"
    )
    trainer = _browser(world, "trainer_a")
    r = trainer.post("/clients/new", data={"name": "x"})
    _is_page(r, 403, "/")
    assert "CSRF" in r.text


def test_api_refusals_stay_json(world: World) -> None:
    r = world.http.get("/api/v1/clients/999999", headers={**world.headers["trainer_a"], **HTML})
    assert r.status_code == 404
    assert r.json() == {"detail": "client not found"}


def test_goals_are_a_choice_list_and_a_typed_goal_is_a_page(world: World) -> None:
    http = _browser(world, "trainer_a")
    cid = world.ids["client_a"]
    page = http.get(f"/clients/{cid}").text
    for goal in load_rules().goals:
        assert f'name="goals" value="{goal}"' in page
    csrf = http.cookies[CSRF_COOKIE]
    ok = http.post(f"/clients/{cid}/programme", data={"csrf_token": csrf, "goals": ["stairs", "balance"]})
    assert ok.status_code == 303
    api = world.http.get(f"/api/v1/clients/{cid}/programmes/current", headers=world.headers["trainer_a"])
    assert api.status_code == 200, api.text
    assert api.json()["goals"] == ["stairs", "balance"]
    bad = http.post(f"/clients/{cid}/programme", data={"csrf_token": csrf, "goals": "walk 30 min, stairs"})
    _is_page(bad, 422, f"/clients/{cid}")
    assert "goals[0]" in bad.text and "stairs" in bad.text
