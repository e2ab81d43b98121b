"""Authorisation matrix for the web pages: every page route × the API matrix's callers, generated
from the app's route table, so a page added without a rule fails ``test_every_page_has_a_rule``.

Callers log in through the login form (session cookie + CSRF token), as a browser does. An
anonymous visitor is sent to the login page instead of getting 401.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from tests.api.api_support import PASSWORD, ROLES, World, unique
from tests.api.test_api_authz_matrix import (
    A_OR_TRAINER,
    ADMIN,
    OK,
    OWNER_OF_TRIAL_A,
    TRAINER_OF_A,
    TRAINERS,
    TRIAL_MANAGERS,
    _media_key,
    app_routes,
)
from tests.api.worlds import world_fixture

from retrowalk.http.security import CSRF_COOKIE

#: An anonymous visitor is redirected to the login page (the web's 401).
LOGIN = "login"
ANON = {"anonymous": LOGIN}
PUBLIC = dict.fromkeys(ROLES, OK)
ANY_USER = {**dict.fromkeys(ROLES, OK), **ANON}


def _web(rule: dict[str, Any]) -> dict[str, Any]:
    """The API rule family with the web's answer to anonymous visitors."""
    return {**rule, **ANON}


C = "/clients/{client_id}"
RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    # the service worker and the manifest hold no data: the phone fetches them before any login
    ("GET", "/sw.js"): PUBLIC,
    ("GET", "/manifest.webmanifest"): PUBLIC,
    ("GET", "/account/password"): PUBLIC,  # the page behind a one-time link: the link authorises
    ("POST", "/account/password"): PUBLIC,
    ("POST", "/logout"): ANY_USER,
    ("GET", "/"): ANY_USER,
    ("GET", "/clients/new"): _web(TRAINERS),
    ("POST", "/clients/new"): _web(TRAINERS),
    ("GET", C): _web(A_OR_TRAINER),
    ("GET", f"{C}/report.pdf"): _web(A_OR_TRAINER),
    ("GET", f"{C}/charts/{{name}}.svg"): _web(A_OR_TRAINER),
    ("GET", f"{C}/handout.pdf"): _web(A_OR_TRAINER),
    ("GET", f"{C}/assessment"): _web(TRAINER_OF_A),
    ("POST", f"{C}/assessment"): _web(TRAINER_OF_A),
    ("POST", f"{C}/programme"): _web(TRAINER_OF_A),
    ("GET", f"{C}/programme/edit"): _web(TRAINER_OF_A),
    ("POST", f"{C}/programme/edit"): _web(TRAINER_OF_A),
    ("GET", f"{C}/programme/versions"): _web(TRAINER_OF_A),
    ("GET", f"{C}/assessments"): _web(TRAINER_OF_A),
    ("POST", f"{C}/archive"): _web(TRAINER_OF_A),
    ("POST", f"{C}/flags/ack"): _web(TRAINER_OF_A),
    ("GET", f"{C}/messages"): _web(A_OR_TRAINER),
    ("POST", f"{C}/messages"): _web(A_OR_TRAINER),
    ("GET", f"{C}/koos"): _web(A_OR_TRAINER),
    ("POST", f"{C}/koos"): _web(A_OR_TRAINER),
    ("GET", f"{C}/log"): _web(A_OR_TRAINER),
    ("POST", f"{C}/log"): _web(A_OR_TRAINER),
    ("POST", f"{C}/log/morning"): _web(A_OR_TRAINER),
    ("GET", f"{C}/log/saved"): _web(A_OR_TRAINER),
    ("GET", f"{C}/log/{{log_id}}/correct"): _web(A_OR_TRAINER),
    # A client corrects only a log of today; the world's log is older (authorised, then refused).
    ("POST", f"{C}/log/{{log_id}}/correct"): _web({**A_OR_TRAINER, "client_a": 403}),
    ("GET", f"{C}/progress"): _web(A_OR_TRAINER),
    ("POST", f"{C}/red-flags/clear"): _web(TRAINER_OF_A),
    ("POST", f"{C}/hands-free"): _web(TRAINER_OF_A),
    ("POST", f"{C}/decisions/{{decision_id}}"): _web(TRAINER_OF_A),
    ("POST", f"{C}/decision-policy"): _web(TRAINER_OF_A),
    ("GET", f"{C}/recordings"): _web(A_OR_TRAINER),
    ("POST", f"{C}/recordings"): _web(A_OR_TRAINER),
    ("GET", "/admin"): _web(ADMIN),
    ("POST", "/admin/users"): _web(ADMIN),
    ("POST", "/admin/users/{user_id}/active"): _web(ADMIN),
    ("POST", "/admin/users/{user_id}/reset"): _web(ADMIN),
    ("POST", f"{C}/invite"): _web(TRAINER_OF_A),
    ("POST", f"{C}/password-link"): _web(TRAINER_OF_A),
    ("GET", "/trials"): _web(TRIAL_MANAGERS),
    ("GET", "/trials/{trial_id}"): _web(OWNER_OF_TRIAL_A),
    ("GET", "/trials/new"): _web(TRIAL_MANAGERS),
    ("POST", "/trials/new"): _web(TRIAL_MANAGERS),
    ("POST", "/trials/{trial_id}/randomise"): _web(OWNER_OF_TRIAL_A),
    ("POST", "/trials/{trial_id}/enrol"): _web(OWNER_OF_TRIAL_A),
    ("POST", "/trials/{trial_id}/visits"): _web(OWNER_OF_TRIAL_A),
    ("GET", "/account"): _web(TRAINERS),
    ("POST", "/account"): _web(TRAINERS),
    ("POST", f"{C}/programme/media"): _web(TRAINER_OF_A),
    ("POST", f"{C}/programme/media/{{media_id}}/remove"): _web(TRAINER_OF_A),
    ("GET", "/media/{media_id}"): _web(A_OR_TRAINER),
    ("GET", "/media/{media_id}/poster"): _web(A_OR_TRAINER),
}

#: What "passes authorisation" answers when the request is otherwise as sent.
OK_STATUS: dict[tuple[str, str], set[int]] = {
    ("GET", "/login"): {200, 303},  # a logged-in visitor is sent on
    ("POST", "/login"): {303},
    ("POST", "/account/password"): {422},  # authorised (public), then refused: no valid link
    ("POST", "/logout"): {303},
    ("GET", "/"): {200, 303},  # a client account is sent to its own log page
    ("POST", "/clients/new"): {303},
    ("POST", f"{C}/assessment"): {303},
    ("POST", f"{C}/programme"): {303},
    ("POST", f"{C}/programme/edit"): {303},
    ("POST", f"{C}/archive"): {303},
    ("POST", f"{C}/flags/ack"): {303},  # a flag that is not raised (any more): back to the page
    ("POST", f"{C}/messages"): {303},
    ("POST", f"{C}/log/morning"): {303},
    ("POST", "/admin/users"): {303},
    ("POST", "/admin/users/{user_id}/active"): {303},
    ("POST", "/admin/users/{user_id}/reset"): {303},
    ("POST", f"{C}/log"): {303},  # post/redirect/get
    ("POST", f"{C}/log/{{log_id}}/correct"): {303},
    ("POST", f"{C}/red-flags/clear"): {422},  # nothing in force in the world: refused on content
    ("POST", f"{C}/hands-free"): {303},
    ("POST", f"{C}/decisions/{{decision_id}}"): {404},  # no decision waits in the world
    ("POST", f"{C}/decision-policy"): {303},
    ("POST", f"{C}/recordings"): {422},  # authorised, then refused: no file chosen
    ("POST", f"{C}/invite"): {422},  # client A already has a login: authorised, then refused
    ("POST", "/trials/new"): {303},
    ("POST", "/trials/{trial_id}/randomise"): {409},  # trial A is sealed: authorised, then refused
    ("POST", "/trials/{trial_id}/enrol"): {303},
    ("POST", "/trials/{trial_id}/visits"): {422},  # nobody of that code is enrolled
    ("POST", "/account"): {303},
    ("POST", f"{C}/programme/media"): {422},  # authorised, then refused: no file chosen
    ("POST", f"{C}/programme/media/{{media_id}}/remove"): {303},
}


world = world_fixture(scope="module")


def page_routes(world: World) -> list[tuple[str, str]]:
    return app_routes(world.app, lambda path: not path.startswith("/api/"))


def test_every_page_has_a_rule(world: World) -> None:
    routes = set(page_routes(world))
    assert routes - set(RULES) == set(), "new page(s) without an authorisation rule"
    assert set(RULES) - routes == set(), "rule(s) for pages that no longer exist"


def browser(world: World, role: str) -> TestClient:
    """A cookie session for ``role`` (logged in through the form), or an anonymous one."""
    http = TestClient(world.app, follow_redirects=False)
    if role != "anonymous":
        r = http.post("/login", data={"username": world.usernames[role], "password": PASSWORD})
        assert r.status_code == 303, r.text
    return http


def _form(world: World, method: str, path: str) -> dict[str, Any]:
    if method != "POST":
        return {}
    if path == "/login":
        return {"username": world.usernames["trainer_a"], "password": PASSWORD}
    if path == "/clients/new":
        return {"name": "New client"}
    if path == "/trials/new":
        import yaml
        from tests.api.api_support import world_trial

        return {"definition_yaml": yaml.safe_dump(world_trial(unique("t-")))}
    if path.endswith("/enrol"):
        return {"participant": unique("p"), "stratum.sex": "F"}
    if path.endswith("/visits"):
        return {"participant": "nobody", "visit": "baseline", "value.pain": "5"}
    if path == "/admin/users":
        return {"username": unique("staff"), "role": "trainer"}
    if path.endswith("/active"):
        return {"active": "1"}
    if path.endswith("/invite"):
        return {"username": unique("inv")}
    if path.endswith("/assessment"):
        return {
            "age": "58",
            "pain_at_rest_nprs": "2",
            "pain_activity_nprs": "3",
            "m.knee_to_wall.left": "9",
            "affected_side": "left",
        }
    if path.endswith("/programme/edit"):
        return {
            "n": "1",
            "it0.exercise_id": "forward_walk",
            "it0.minutes": "10",
            "reason": "matrix",
            "op": "save",
        }
    if path.endswith("/archive"):
        return {"archived": "0"}
    if path.endswith("/flags/ack"):
        return {"flag": "no such flag", "note": "seen"}
    if path.endswith("/messages"):
        return {"body": "How is the knee?"}
    if path.endswith("/koos"):
        return {"P1": "1", "P2": "2"}
    if path.endswith("/log"):
        return {
            "session_date": "2025-03-03",
            "pain_before": "1",
            "pain_during": "2",
            "pain_after": "1",
            **{f"ex{i}.completed": "yes" for i in range(20)},  # every programme item answered
        }
    if path.endswith("/log/morning"):
        return {"session_date": "2025-03-01", "pain_next_morning": "1"}
    if path.endswith("/correct"):
        return {"pain_after": "1", "reason": "typed 7 for 1"}
    if path.endswith("/red-flags/clear"):
        return {"flag_id": "signs_of_dvt", "reason": "seen by the GP, no DVT"}
    if path.endswith("/hands-free"):
        return {"reason": "even steps today"}
    if path.endswith("/decision-policy"):
        return {"policy": "protocol"}
    if path == "/account":
        return {"contact_phone": "+44 20 7946 0958", "contact_email": "coach@clinic.example"}
    if path.endswith("/programme/media"):
        return {"exercise_id": "forward_walk", "scope": "client"}
    if path.endswith("/remove"):
        return {"scope": "trainer"}
    if "/decisions/" in path:
        return {"action": "approve"}
    return {}


def _url(world: World, path: str) -> str:
    return path.format(
        client_id=world.ids["client_a"],
        trial_id=world.ids["trial_a"],
        log_id=world.ids["log_a"],
        decision_id=2**31 - 1,
        user_id=world.ids["user_trainer_b"],
        name="pain",
        media_id=world.ids[_media_key(path)] if "{media_id}" in path else 0,
    )


def test_page_authorisation_matrix(world: World) -> None:
    failures = []
    sessions = {role: browser(world, role) for role in ROLES}
    for (method, path), role in itertools.product(page_routes(world), ROLES):
        expected = RULES[(method, path)][role]
        # logging in or out changes who the session is: those get a session of their own
        http = browser(world, role) if path in ("/login", "/logout") else sessions[role]
        data = _form(world, method, path)
        csrf = http.cookies.get(CSRF_COOKIE)
        if method == "POST" and csrf:
            data["csrf_token"] = csrf
        r = http.request(method, _url(world, path), data=data or None)
        got = r.status_code
        if got == 303 and r.headers["location"].startswith("/login?next="):
            got_kind: Any = LOGIN
        else:
            got_kind = got
        if expected == OK:
            allowed = OK_STATUS.get((method, path), {200})
            if got_kind == LOGIN or got not in allowed:
                failures.append(f"{role:9} {method:5} {path}: {got} not in {allowed}: {r.text[:200]}")
        elif got_kind != expected:
            where = r.headers.get("location", "")
            failures.append(f"{role:9} {method:5} {path}: {got_kind} != {expected}: {where} {r.text[:200]}")
    assert failures == [], "\n".join(failures)


def test_pages_need_the_csrf_token(world: World) -> None:
    http = browser(world, "trainer_a")
    r = http.post("/clients/new", data={"name": unique("c")})
    assert r.status_code == 403
