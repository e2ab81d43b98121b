"""Authentication details: cookies, CSRF, rate limiting, logout, secrets, validation errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.api_support import PASSWORD, World, make_settings

from retrowalk.api.app import create_app
from retrowalk.http.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from retrowalk.settings import Settings
from retrowalk.storage.models import User

LOGIN = "/api/v1/auth/login"


def _cookie_login(world: World, role: str = "trainer_a") -> tuple[TestClient, str]:
    http = TestClient(world.app)
    r = http.post(LOGIN, json={"username": world.usernames[role], "password": PASSWORD})
    assert r.status_code == 200
    return http, str(r.json()["csrf_token"])


def test_login_sets_httponly_samesite_cookie(world: World) -> None:
    r = world.http.post(LOGIN, json={"username": world.usernames["trainer_a"], "password": PASSWORD})
    world.http.cookies.clear()
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    csrf = next(c for c in cookies if c.startswith(CSRF_COOKIE + "="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower() and "Secure" not in session
    assert "HttpOnly" not in csrf  # the page's script must be able to read it (double submit)


def test_secure_cookie_flag_when_behind_tls(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", secure_cookies=True))
    from tests.api.api_support import build_world

    world = build_world(app)
    r = world.http.post(LOGIN, json={"username": world.usernames["trainer_a"], "password": PASSWORD})
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))
    app.state.db.dispose()


def test_cookie_writes_need_the_csrf_token(world: World) -> None:
    http, csrf = _cookie_login(world)
    url = "/api/v1/clients"
    assert http.get(url).status_code == 200  # reads need no token
    assert http.post(url, json={"name": "X"}).status_code == 403
    assert http.post(url, json={"name": "X"}, headers={CSRF_HEADER: "0" * 64}).status_code == 403
    _other, other_csrf = _cookie_login(world, "trainer_b")
    assert http.post(url, json={"name": "X"}, headers={CSRF_HEADER: other_csrf}).status_code == 403
    assert http.post(url, json={"name": "X"}, headers={CSRF_HEADER: csrf}).status_code == 201


def test_bearer_requests_are_exempt_from_csrf(world: World) -> None:
    r = world.http.post("/api/v1/clients", json={"name": "X"}, headers=world.headers["trainer_a"])
    assert r.status_code == 201


def test_login_rate_limit_per_username_and_ip(world: World) -> None:
    user = world.usernames["trainer_b"]
    for _ in range(5):
        assert world.http.post(LOGIN, json={"username": user, "password": "wrong"}).status_code == 401
    blocked = world.http.post(LOGIN, json={"username": user, "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    # Another account from the same address is unaffected.
    ok = world.http.post(LOGIN, json={"username": world.usernames["trainer_a"], "password": PASSWORD})
    assert ok.status_code == 200
    world.http.cookies.clear()


def test_rate_limit_window_expires(tmp_path: Path) -> None:
    import time

    from retrowalk.app.throttle import LoginThrottle, Throttled

    limiter = LoginThrottle(Settings(data_dir=tmp_path, login_max_failures=2, login_window_seconds=1))
    limiter.failed("Ann", "1.2.3.4")
    limiter.failed("ann", "1.2.3.4")  # usernames compare case-insensitively
    with pytest.raises(Throttled) as blocked:
        limiter.check("ANN", "1.2.3.4")
    assert blocked.value.retry_after >= 1
    limiter.check("ann", "5.6.7.8")  # another address is not blocked
    time.sleep(1.1)
    limiter.check("ann", "1.2.3.4")


def test_logout_revokes_the_token(world: World) -> None:
    headers = world.fresh_headers("trainer_a")
    assert world.http.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert world.http.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert world.http.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_password_change_logs_out_everywhere(world: World) -> None:
    from retrowalk.app import accounts

    victim = world.fresh_headers("trainer_b")
    with world.app.state.db.transaction() as db:
        admin = db.get(User, world.ids["user_admin"])
        user = db.get(User, world.ids["user_trainer_b"])
        accounts.request_password_reset(db, world.app.state.settings, admin, user)
    token = _outbox_token(world)
    r = world.http.post("/api/v1/account/password", json={"token": token, "password": "a new long password"})
    assert r.status_code == 204
    assert world.http.get("/api/v1/auth/me", headers=victim).status_code == 401


def _outbox_token(world: World) -> str:
    outbox = Path(world.app.state.settings.data_dir) / "outbox"
    newest = max(outbox.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    return newest.read_text().split("token=")[1].split()[0]


def test_garbage_tokens_are_401(world: World) -> None:
    for value in ("Bearer nonsense", "Bearer ", "Basic abc", "Bearer " + "x" * 5000):
        assert world.http.get("/api/v1/auth/me", headers={"Authorization": value}).status_code == 401


def test_secret_key_file_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app1 = create_app(settings)
    key_file = tmp_path / "d" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    app2 = create_app(settings)
    assert app1.state.secret_key == app2.state.secret_key
    app1.state.db.dispose()
    app2.state.db.dispose()


@pytest.mark.parametrize(("change", "field"), [({"pain_after": 12}, "pain_after"), ({"bogus": 1}, "bogus")])
def test_422_names_the_field(world: World, change: dict[str, int], field: str) -> None:
    """A value out of range and an unknown key are each refused naming that field."""
    log = {"session_date": "2025-01-01", "exercise_id": "retro_walk_1", "pain_during": 2, "pain_after": 1}
    r = world.http.post(
        f"/api/v1/clients/{world.ids['client_a']}/session-logs",
        json={**log, **change},
        headers=world.headers["client_a"],
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field]


def test_input_error_maps_to_422_with_field(world: World) -> None:
    """A foreign session log id on an upload is an InputError naming session_log_id."""
    url = f"/api/v1/clients/{world.ids['client_a']}/recordings"
    r = world.http.post(
        url,
        headers=world.headers["trainer_a"],
        files={"file": ("w.csv", b"time_s,acc_x\n0,1\n", "text/csv")},
        data={"kind": "imu", "session_log_id": str(world.ids["log_b"])},
    )
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "session_log_id"] and detail["hint"]


def test_admin_sees_users_but_no_clinical_data(world: World) -> None:
    admin = world.headers["admin"]
    assert world.http.get("/api/v1/users", headers=admin).status_code == 200
    assert (
        world.http.get(f"/api/v1/clients/{world.ids['client_a']}/outcomes", headers=admin).status_code == 403
    )


def test_deactivated_user_cannot_log_in(world: World, app: FastAPI) -> None:
    uid = world.ids["user_trainer_b"]
    headers = world.fresh_headers("trainer_b")
    r = world.http.patch(f"/api/v1/users/{uid}", json={"active": False}, headers=world.headers["admin"])
    assert r.status_code == 200 and r.json()["active"] is False
    assert world.http.get("/api/v1/auth/me", headers=headers).status_code == 401
    r = world.http.post(LOGIN, json={"username": world.usernames["trainer_b"], "password": PASSWORD})
    assert r.status_code == 401
