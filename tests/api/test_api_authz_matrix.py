"""Authorisation matrix: every /api/v1 route × every kind of caller, generated from the route
table. A route added without a rule here fails ``test_every_route_has_a_rule``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from tests.api.api_support import PASSWORD, ROLES, World, unique, walking_csv

OK = "ok"
#: Rule families: expected status per caller, OK = the request passes authorisation.
PUBLIC = dict.fromkeys(ROLES, OK)
ANY_USER = {**dict.fromkeys(ROLES, OK), "anonymous": 401}
ADMIN = {"anonymous": 401, "client_a": 403, "client_b": 403, "trainer_a": 403, "trainer_b": 403, "admin": OK}
TRAINERS = {
    "anonymous": 401,
    "client_a": 403,
    "client_b": 403,
    "trainer_a": OK,
    "trainer_b": OK,
    "admin": 403,
}
CARE = {"anonymous": 401, "client_a": OK, "client_b": OK, "trainer_a": OK, "trainer_b": OK, "admin": 403}
# Routes on client A's record: B's people must not learn it exists (404); admins are refused by role.
TRAINER_OF_A = {
    "anonymous": 401,
    "client_a": 403,
    "client_b": 404,
    "trainer_a": OK,
    "trainer_b": 404,
    "admin": 403,
}
A_OR_TRAINER = {
    "anonymous": 401,
    "client_a": OK,
    "client_b": 404,
    "trainer_a": OK,
    "trainer_b": 404,
    "admin": 403,
}

# Trials belong to their owner (trainer or admin); client accounts are refused by role.
TRIAL_MANAGERS = {**TRAINERS, "admin": OK}
OWNER_OF_TRIAL_A = {
    "anonymous": 401,
    "client_a": 403,
    "client_b": 403,
    "trainer_a": OK,
    "trainer_b": 404,
    "admin": 404,
}

C = "/api/v1/clients/{client_id}"
T = "/api/v1/trials/{trial_id}"
RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): ANY_USER,
    ("GET", "/api/v1/auth/me"): ANY_USER,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/password-reset"): ADMIN,
    ("POST", "/api/v1/account/password"): PUBLIC,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/clients"): CARE,
    ("POST", "/api/v1/clients"): TRAINERS,
    ("GET", C): A_OR_TRAINER,
    ("PATCH", C): TRAINER_OF_A,
    ("POST", f"{C}/trainers"): TRAINER_OF_A,
    ("POST", f"{C}/invite"): TRAINER_OF_A,
    ("POST", f"{C}/password-link"): TRAINER_OF_A,
    ("GET", f"{C}/audit"): TRAINER_OF_A,
    ("GET", f"{C}/assessments"): TRAINER_OF_A,
    ("POST", f"{C}/assessments"): TRAINER_OF_A,
    ("GET", f"{C}/assessments/{{assessment_id}}"): TRAINER_OF_A,
    ("GET", f"{C}/koos"): A_OR_TRAINER,
    ("POST", f"{C}/koos"): A_OR_TRAINER,
    ("GET", f"{C}/programmes"): A_OR_TRAINER,
    ("POST", f"{C}/programmes"): TRAINER_OF_A,
    ("GET", f"{C}/programmes/current"): A_OR_TRAINER,
    ("POST", f"{C}/programmes/versions"): TRAINER_OF_A,
    ("GET", f"{C}/programmes/compare"): A_OR_TRAINER,
    ("GET", f"{C}/programmes/library"): TRAINER_OF_A,
    ("GET", "/api/v1/dashboard"): TRAINERS,
    ("PUT", f"{C}/archived"): TRAINER_OF_A,
    ("POST", f"{C}/flag-acknowledgements"): TRAINER_OF_A,
    ("GET", f"{C}/messages"): A_OR_TRAINER,
    ("POST", f"{C}/messages"): A_OR_TRAINER,
    ("GET", f"{C}/messages/unread"): A_OR_TRAINER,
    ("GET", f"{C}/adherence"): A_OR_TRAINER,
    ("GET", f"{C}/assessment-visits"): TRAINER_OF_A,
    ("GET", f"{C}/session-logs"): A_OR_TRAINER,
    ("POST", f"{C}/session-logs"): A_OR_TRAINER,
    ("GET", f"{C}/session-logs/next"): A_OR_TRAINER,
    ("GET", f"{C}/session-logs/{{log_id}}"): A_OR_TRAINER,
    ("PATCH", f"{C}/session-logs/{{log_id}}"): A_OR_TRAINER,
    # A client corrects only a log of today; the world's log is older (authorised, then refused).
    ("POST", f"{C}/session-logs/{{log_id}}/corrections"): {**A_OR_TRAINER, "client_a": 403},
    ("GET", f"{C}/red-flags"): A_OR_TRAINER,
    ("POST", f"{C}/red-flags/clearances"): TRAINER_OF_A,
    ("POST", f"{C}/hands-free-signoffs"): TRAINER_OF_A,
    ("GET", f"{C}/decisions"): A_OR_TRAINER,
    ("POST", f"{C}/decisions/{{decision_id}}/approve"): TRAINER_OF_A,
    ("POST", f"{C}/decisions/{{decision_id}}/decline"): TRAINER_OF_A,
    ("PUT", f"{C}/decision-policy"): TRAINER_OF_A,
    ("GET", f"{C}/recordings"): A_OR_TRAINER,
    ("POST", f"{C}/recordings"): A_OR_TRAINER,
    ("GET", f"{C}/recordings/{{recording_id}}"): A_OR_TRAINER,
    ("POST", f"{C}/captures"): A_OR_TRAINER,
    ("GET", f"{C}/captures/{{token}}"): A_OR_TRAINER,
    ("PUT", f"{C}/captures/{{token}}/chunks/{{n}}"): A_OR_TRAINER,
    ("POST", f"{C}/captures/{{token}}/finish"): A_OR_TRAINER,
    ("GET", f"{C}/outcomes"): A_OR_TRAINER,
    ("GET", f"{C}/fhir"): A_OR_TRAINER,
    ("GET", f"{C}/report.pdf"): A_OR_TRAINER,
    ("GET", f"{C}/handout.pdf"): A_OR_TRAINER,
    ("GET", "/api/v1/trials"): TRIAL_MANAGERS,
    ("POST", "/api/v1/trials"): TRIAL_MANAGERS,
    ("GET", T): OWNER_OF_TRIAL_A,
    ("POST", f"{T}/randomise"): OWNER_OF_TRIAL_A,
    ("GET", f"{T}/allocations"): OWNER_OF_TRIAL_A,
    ("POST", f"{T}/allocations"): OWNER_OF_TRIAL_A,
    ("POST", f"{T}/observations"): OWNER_OF_TRIAL_A,
    ("GET", f"{T}/analysis"): OWNER_OF_TRIAL_A,
    ("PUT", "/api/v1/account/contact"): TRAINERS,
    # trainers' own media: for all their clients (their own only) or for a client's item
    ("POST", "/api/v1/exercise-media"): TRAINERS,
    ("GET", "/api/v1/exercise-media"): TRAINERS,
    ("DELETE", "/api/v1/exercise-media/{media_id}"): {**TRAINERS, "trainer_b": 404},
    ("POST", f"{C}/media"): TRAINER_OF_A,
    ("GET", f"{C}/media"): A_OR_TRAINER,
    ("DELETE", f"{C}/media/{{media_id}}"): TRAINER_OF_A,
    ("GET", "/api/v1/media/{media_id}"): A_OR_TRAINER,
    ("GET", "/api/v1/media/{media_id}/poster"): A_OR_TRAINER,
}

#: What "passes authorisation" returns for each route when the request is otherwise valid.
OK_STATUS: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/v1/auth/logout"): {204},
    ("POST", "/api/v1/users"): {201},
    ("POST", "/api/v1/users/{user_id}/password-reset"): {202},
    ("POST", "/api/v1/account/password"): {422},  # authorised (public); the token is made up
    ("POST", "/api/v1/clients"): {201},
    ("POST", f"{C}/invite"): {409},  # likewise: client A already has a login
    ("POST", f"{C}/assessments"): {201},
    ("POST", f"{C}/koos"): {201},
    ("POST", f"{C}/programmes"): {201},
    ("POST", f"{C}/programmes/versions"): {201},
    ("POST", f"{C}/flag-acknowledgements"): {409},  # authorised; client A has no such flag
    ("POST", f"{C}/messages"): {201},
    ("POST", f"{C}/session-logs"): {201},
    ("POST", f"{C}/red-flags/clearances"): {422},  # nothing in force in the world: refused on content
    ("POST", f"{C}/hands-free-signoffs"): {201},
    ("POST", f"{C}/decisions/{{decision_id}}/approve"): {404},  # no decision waits in the world
    ("POST", f"{C}/decisions/{{decision_id}}/decline"): {404},
    ("POST", f"{C}/recordings"): {201},
    ("POST", f"{C}/captures"): {201},
    ("PUT", f"{C}/captures/{{token}}/chunks/{{n}}"): {200, 409},  # 409 once finished
    ("POST", f"{C}/captures/{{token}}/finish"): {200, 201},  # 200: the same recording again
    ("POST", "/api/v1/trials"): {201},
    ("POST", f"{T}/randomise"): {409},  # the world's trial already has its sealed list
    ("POST", f"{T}/allocations"): {201},
    ("POST", f"{T}/observations"): {201},
    ("GET", f"{T}/analysis"): {409},  # authorised; no data uploaded yet at that point
    ("POST", "/api/v1/exercise-media"): {201},
    ("DELETE", "/api/v1/exercise-media/{media_id}"): {204},
    ("POST", f"{C}/media"): {201},
    ("DELETE", f"{C}/media/{{media_id}}"): {204},
}


def _flat_routes(app: FastAPI) -> list[Any]:
    """The app's route table, flattened (FastAPI >= 0.120 nests included routers lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def app_routes(app: FastAPI, keep: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(method, path) of every route whose path ``keep`` accepts (the matrices' row set)."""
    found = []
    for route in _flat_routes(app):
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute) and keep(route.path):
            found.extend((method, route.path) for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}))
    return sorted(found)


def api_routes(world: World) -> list[tuple[str, str]]:
    return app_routes(world.app, lambda path: path.startswith("/api/v1"))


def test_every_route_has_a_rule(world: World) -> None:
    routes = set(api_routes(world))
    assert routes - set(RULES) == set(), "new route(s) without an authorisation rule"
    assert set(RULES) - routes == set(), "rule(s) for routes that no longer exist"


def _request_kwargs(world: World, method: str, path: str) -> dict[str, Any]:
    if path.endswith("/auth/login"):
        return {"json": {"username": world.usernames["trainer_a"], "password": PASSWORD}}
    if path.endswith("/account/password"):
        return {"json": {"token": "x" * 43, "password": PASSWORD}}
    if path == "/api/v1/users" and method == "POST":
        return {"json": {"username": unique("u"), "role": "trainer"}}
    if path.startswith("/api/v1/users/") and method == "PATCH":
        return {"json": {"display_name": "Renamed"}}
    if path == "/api/v1/clients" and method == "POST":
        return {"json": {"name": "New client"}}
    if method == "PATCH" and path == C:
        return {"json": {"notes": "updated"}}
    if path.endswith("/trainers"):
        return {"json": {"username": world.usernames["trainer_a"]}}
    if path.endswith("/invite"):
        return {"json": {"username": unique("inv")}}
    if path.endswith("/assessments") and method == "POST":
        from tests.api.api_support import assessment_inputs

        return {"json": {"inputs": assessment_inputs()}}
    if path.endswith("/koos") and method == "POST":
        return {"json": {"answers": {f"P{i}": 1 for i in range(1, 10)}}}
    if path.endswith("/programmes") and method == "POST":
        return {"json": {"pain_nprs": 3}}
    if path.endswith("/programmes/versions"):
        return {"json": {"items": [{"exercise_id": "forward_walk"}], "reason": "matrix"}}
    if path.endswith("/programmes/compare"):
        return {"params": {"a": 1, "b": 1}}
    if path.endswith("/archived"):
        return {"json": {"archived": False}}
    if path.endswith("/flag-acknowledgements"):
        return {"json": {"flag": "no such flag", "note": "seen"}}
    if path.endswith("/messages") and method == "POST":
        return {"json": {"body": "How is the knee?"}}
    if path.endswith("/session-logs") and method == "POST":
        return {
            "json": {
                "session_date": "2025-03-02",
                "exercise_id": "retro_walk_1",
                "minutes": 6,
                "speed_kmh": 2.0,
                "handrails": "both",
                "pain_during": 2,
                "pain_after": 1,
            }
        }
    if path.endswith("{log_id}") and method == "PATCH":
        return {"json": {"pain_next_morning": 1}}
    if path.endswith("/corrections"):
        return {"json": {"pain_after": 1, "reason": "typed 7 for 1"}}
    if path.endswith("/clearances"):
        return {"json": {"flag_id": "signs_of_dvt", "reason": "seen by the GP, no DVT"}}
    if path.endswith("/hands-free-signoffs"):
        return {"json": {"reason": "steps even on the treadmill today"}}
    if path.endswith("/decision-policy"):
        return {"json": {"policy": "protocol"}}
    if path == "/api/v1/trials" and method == "POST":
        from tests.api.api_support import world_trial

        return {"json": {"definition": world_trial(unique("trial-"))}}
    if path.endswith("/randomise"):
        return {"json": {"seed": 1}}
    if path.endswith("/allocations") and method == "POST":
        return {"json": {"participant": unique("P"), "strata": {"sex": "F"}}}
    if path.endswith("/observations"):
        from tests.api.api_support import world_trial_csv

        return {"files": {"file": ("data.csv", world_trial_csv(unique("P")), "text/csv")}}
    if path.endswith("/captures") and method == "POST":
        return {"json": {"kind": "imu", "placement": "thigh"}}
    if path.endswith("/chunks/{n}"):
        return {"json": {"samples": [[i * 20.0, 0.1, 0.2, 9.8] for i in range(300)]}}  # 6 s at 50 Hz
    if path.endswith("/finish"):
        return {"json": {"chunks": 1}}
    if path.endswith("/account/contact"):
        return {"json": {"contact_phone": "+44 20 7946 0958", "contact_email": "coach@clinic.example"}}
    if path.endswith("media") and method == "POST":
        from tests.api.api_support import photo_bytes

        return {
            "files": {"file": ("p.jpg", photo_bytes(), "image/jpeg")},
            "data": {"exercise_id": "forward_walk"},
        }
    if path.endswith("/recordings") and method == "POST":
        return {"files": {"file": ("walk.csv", walking_csv(), "text/csv")}, "data": {"kind": "imu"}}
    return {}


_CAPTURES: dict[int, str] = {}


def _capture_token(world: World) -> str:
    """One capture on client A's record with its chunk 0 stored, as start + one chunk would leave it."""
    if id(world) not in _CAPTURES:
        import secrets
        from pathlib import Path

        from retrowalk.io.capture import write_chunk
        from retrowalk.storage.captures import Capture

        with world.app.state.db.transaction() as db:
            token = secrets.token_hex(16)
            db.add(Capture(token=token, client_id=world.ids["client_a"], kind="imu", placement="thigh"))
        chunk = Path(world.app.state.settings.data_dir) / "captures" / str(world.ids["client_a"]) / token
        write_chunk(chunk / "000000.json", _request_kwargs(world, "PUT", "/chunks/{n}")["json"])
        _CAPTURES[id(world)] = token
    return _CAPTURES[id(world)]


def _url(world: World, path: str) -> str:
    return path.format(
        token=_capture_token(world) if "{token}" in path else "",
        n=0,
        client_id=world.ids["client_a"],
        assessment_id=world.ids["assessment_a"],
        log_id=world.ids["log_a"],
        recording_id=world.ids["recording_a"],
        user_id=world.ids["user_trainer_a"],
        trial_id=world.ids["trial_a"],
        decision_id=2**31 - 1,
        media_id=world.ids[_media_key(path)] if "{media_id}" in path else 0,
    )


def _media_key(path: str) -> str:
    """Which of the world's media a route acts on: the removals take spares."""
    if path.startswith("/api/v1/exercise-media/") or path.endswith("/remove"):
        return "media_wide_del_a"
    if "/clients/" in path:
        return "media_del_a"
    return "media_a"


def test_authorisation_matrix(world: World) -> None:
    failures = []
    for (method, path), role in itertools.product(api_routes(world), ROLES):
        expected = RULES[(method, path)][role]
        headers = world.fresh_headers(role) if path.endswith("/logout") else world.headers[role]
        r = world.http.request(
            method, _url(world, path), headers=headers, **_request_kwargs(world, method, path)
        )
        world.http.cookies.clear()  # a login sets cookies; every case authenticates by header only
        if expected == OK:
            allowed = OK_STATUS.get((method, path), {200})
            if r.status_code not in allowed:
                failures.append(
                    f"{role:9} {method:5} {path}: {r.status_code} not in {allowed}: {r.text[:200]}"
                )
        elif r.status_code != expected:
            failures.append(f"{role:9} {method:5} {path}: {r.status_code} != {expected}: {r.text[:200]}")
    assert failures == []


@pytest.mark.parametrize("kind", ["log", "assessment", "recording"])
def test_foreign_object_under_own_client_is_404(world: World, kind: str) -> None:
    """Trainer A cannot reach client B's object by putting its id under client A's path."""
    path = {"log": "session-logs", "assessment": "assessments", "recording": "recordings"}[kind]
    url = f"/api/v1/clients/{world.ids['client_a']}/{path}/{world.ids[f'{kind}_b']}"
    assert world.http.get(url, headers=world.headers["trainer_a"]).status_code == 404
    own = f"/api/v1/clients/{world.ids['client_a']}/{path}/{world.ids[f'{kind}_a']}"
    assert world.http.get(own, headers=world.headers["trainer_a"]).status_code == 200


def test_lists_only_show_own_clients(world: World) -> None:
    ids = {c["id"] for c in world.http.get("/api/v1/clients", headers=world.headers["trainer_a"]).json()}
    assert world.ids["client_a"] in ids and world.ids["client_b"] not in ids
    mine = world.http.get("/api/v1/clients", headers=world.headers["client_b"]).json()
    assert [c["id"] for c in mine] == [world.ids["client_b"]]


def test_every_client_data_access_is_audited(world: World) -> None:
    before = len(world.http.get("/api/v1/audit?limit=5000", headers=world.headers["admin"]).json())
    world.http.get(f"/api/v1/clients/{world.ids['client_a']}/outcomes", headers=world.headers["client_a"])
    rows = world.http.get("/api/v1/audit?limit=5000", headers=world.headers["admin"]).json()
    assert len(rows) == before + 2  # the outcomes read and the admin's previous audit read
    read = next(r for r in rows if r["resource"] == "outcomes")
    assert read["username"] == world.usernames["client_a"] and read["client_id"] == world.ids["client_a"]
