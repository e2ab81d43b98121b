"""Admins manage accounts without taking them over: one-time links, audit, revocation at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.api.api_support import PASSWORD, World, build_world, make_settings, unique

from retrowalk.api.app import create_app
from retrowalk.app import accounts
from retrowalk.http.security import CSRF_COOKIE
from retrowalk.storage.models import AccountToken, AuditEntry, User

LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a brand new passphrase"


def _links(world: World) -> list[str]:
    outbox = Path(world.app.state.settings.data_dir) / "outbox"
    files = sorted(outbox.iterdir(), key=lambda p: p.stat().st_mtime_ns) if outbox.exists() else []
    return [f.read_text().split("token=")[1].split()[0] for f in files]


def _login(world: World, username: str, password: str) -> int:
    r = world.http.post(LOGIN, json={"username": username, "password": password})
    world.http.cookies.clear()
    return r.status_code


def test_admins_cannot_set_passwords(world: World) -> None:
    uid = world.ids["user_trainer_a"]
    r = world.http.patch(
        f"/api/v1/users/{uid}", json={"password": NEW_PASSWORD}, headers=world.headers["admin"]
    )
    assert r.status_code == 422
    r = world.http.post(
        "/api/v1/users",
        json={"username": unique("u"), "password": NEW_PASSWORD, "role": "trainer"},
        headers=world.headers["admin"],
    )
    assert r.status_code == 422
    assert _login(world, world.usernames["trainer_a"], NEW_PASSWORD) == 401


def test_reset_sends_a_one_time_link_the_admin_never_sees(world: World) -> None:
    uid = world.ids["user_trainer_a"]
    old = world.fresh_headers("trainer_a")
    r = world.http.post(f"/api/v1/users/{uid}/password-reset", headers=world.headers["admin"])
    assert r.status_code == 202
    (token,) = _links(world)
    assert token not in r.text
    outbox = next((Path(world.app.state.settings.data_dir) / "outbox").iterdir())
    assert outbox.stat().st_mode & 0o077 == 0
    with world.app.state.db.transaction() as db:  # stored hashed only
        stored = db.scalars(select(AccountToken.token_hash)).all()
        assert token not in stored and len(stored) == 1
    assert world.http.get("/api/v1/auth/me", headers=old).status_code == 200  # nothing happens yet
    r = world.http.post("/api/v1/account/password", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 204
    assert world.http.get("/api/v1/auth/me", headers=old).status_code == 401  # logged out everywhere
    assert _login(world, world.usernames["trainer_a"], NEW_PASSWORD) == 200
    again = world.http.post(
        "/api/v1/account/password", json={"token": token, "password": "another passphrase"}
    )
    assert again.status_code == 422 and "invalid or has expired" in again.text
    with world.app.state.db.transaction() as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.resource_id == str(uid))).all()
    assert "password_reset" in actions


def test_an_expired_link_is_refused(world: World) -> None:
    uid = world.ids["user_trainer_b"]
    world.http.post(f"/api/v1/users/{uid}/password-reset", headers=world.headers["admin"])
    (token,) = _links(world)
    with world.app.state.db.transaction() as db:
        db.execute(update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = world.http.post("/api/v1/account/password", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 422
    assert _login(world, world.usernames["trainer_b"], PASSWORD) == 200


def test_invitation_creates_an_account_only_its_owner_can_open(world: World) -> None:
    name = unique("invited")
    r = world.http.post(
        "/api/v1/users", json={"username": name, "role": "trainer"}, headers=world.headers["admin"]
    )
    assert r.status_code == 201 and r.json()["username"] == name
    (token,) = _links(world)
    assert _login(world, name, NEW_PASSWORD) == 401
    web = world.http.get(f"/account/password?token={token}")
    assert web.status_code == 200 and 'name="token"' in web.text
    mismatch = world.http.post(
        "/account/password", data={"token": token, "password": NEW_PASSWORD, "confirm": "something else!"}
    )
    assert mismatch.status_code == 422
    done = world.http.post(
        "/account/password",
        data={"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _login(world, name, NEW_PASSWORD) == 200


def test_deactivation_revokes_every_token_and_reactivation_revives_none(world: World) -> None:
    uid = world.ids["user_trainer_b"]
    admin = world.headers["admin"]
    tokens = [world.fresh_headers("trainer_b") for _ in range(3)]
    world.http.post(f"/api/v1/users/{uid}/password-reset", headers=admin)
    (link,) = _links(world)
    assert world.http.patch(f"/api/v1/users/{uid}", json={"active": False}, headers=admin).status_code == 200
    assert world.http.patch(f"/api/v1/users/{uid}", json={"active": True}, headers=admin).status_code == 200
    for headers in tokens:
        assert world.http.get("/api/v1/auth/me", headers=headers).status_code == 401
    r = world.http.post("/api/v1/account/password", json={"token": link, "password": NEW_PASSWORD})
    assert r.status_code == 422  # the pending link died with the deactivation
    assert _login(world, world.usernames["trainer_b"], PASSWORD) == 200
    with world.app.state.db.transaction() as db:
        details = db.scalars(select(AuditEntry.detail).where(AuditEntry.resource_id == str(uid))).all()
    assert any("revoked" in d for d in details) and any("reactivated" in d for d in details)


def test_username_probes_get_one_answer(world: World) -> None:
    taken = world.usernames["trainer_b"]
    r = world.http.post("/api/v1/clients", json={"name": "Probe"}, headers=world.headers["trainer_a"])
    cid = r.json()["id"]
    r = world.http.post(
        f"/api/v1/clients/{cid}/invite", json={"username": taken}, headers=world.headers["trainer_a"]
    )
    assert r.status_code == 422 and accounts.USERNAME_UNAVAILABLE in r.text
    assert "taken" not in r.text and "exists" not in r.text


def test_one_password_policy(world: World) -> None:
    """The web form refuses what the API and CLI refuse (it accepted 8 characters)."""
    assert accounts.password_problem("x" * (accounts.PASSWORD_MIN_LENGTH - 1))
    assert accounts.password_problem("x" * accounts.PASSWORD_MIN_LENGTH) is None
    r = world.http.post(
        "/api/v1/account/password",
        json={"token": "x" * 43, "password": "x" * (accounts.PASSWORD_MIN_LENGTH - 1)},
    )
    assert r.status_code == 422 and "password" in r.text


@pytest.mark.parametrize(
    "password", ["x" * (accounts.PASSWORD_MIN_LENGTH - 1), "x" * (accounts.PASSWORD_MAX_LENGTH + 1)]
)
def test_the_cli_keeps_the_same_password_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    from typer.testing import CliRunner

    from retrowalk.cli.main import app as cli
    from retrowalk.settings import get_settings

    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RETROWALK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(cli, ["user", "add", "boss", "--password-stdin"], input=password + "\n")
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 2 and "password" in r.stderr
    assert accounts.password_problem(password) in r.stderr


def _browser(world: World, role: str) -> TestClient:
    http = TestClient(world.app, follow_redirects=False, headers={"Accept": "text/html"})
    r = http.post("/login", data={"username": world.usernames[role], "password": PASSWORD})
    assert r.status_code == 303, r.text
    return http


def test_username_probes_are_held_to_a_quota_per_account(tmp_path: Path) -> None:
    """Web and API draw on one quota per account; past it even a free name gets 429 and
    nothing is created, and another account's quota is its own."""
    app = create_app(
        make_settings(
            tmp_path / "data", f"sqlite:///{tmp_path / 'db.sqlite3'}", username_probes_per_account="3/hour"
        )
    )
    world = build_world(app)
    ta = world.headers["trainer_a"]
    taken = world.usernames["trainer_b"]
    cid = world.http.post("/api/v1/clients", json={"name": "Probe"}, headers=ta).json()["id"]
    web = _browser(world, "trainer_a")
    page = web.post(
        f"/clients/{cid}/invite", data={"csrf_token": web.cookies[CSRF_COOKIE], "username": taken}
    )
    assert page.status_code == 422 and accounts.USERNAME_UNAVAILABLE in page.text
    r = world.http.post(f"/api/v1/clients/{cid}/invite", json={"username": taken}, headers=ta)
    assert r.status_code == 422
    r = world.http.post(f"/api/v1/clients/{cid}/trainers", json={"username": unique("nobody")}, headers=ta)
    assert r.status_code == 404  # sharing with an unknown trainer is a probe too
    free = unique("free")
    r = world.http.post(f"/api/v1/clients/{cid}/invite", json={"username": free}, headers=ta)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    r = world.http.post(f"/api/v1/clients/{cid}/trainers", json={"username": taken}, headers=ta)
    assert r.status_code == 429
    page = web.post(f"/clients/{cid}/invite", data={"csrf_token": web.cookies[CSRF_COOKIE], "username": free})
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    with app.state.db.transaction() as db:
        assert db.scalar(select(User).where(User.username == free)) is None
    # Trainer B's quota is untouched; the admin's is separate and spent only by failures.
    tb = world.headers["trainer_b"]
    share = {"username": world.usernames["trainer_a"]}
    r = world.http.post(f"/api/v1/clients/{world.ids['client_b']}/trainers", json=share, headers=tb)
    assert r.status_code == 200
    admin = world.headers["admin"]
    for _ in range(4):
        r = world.http.post(
            "/api/v1/users", json={"username": unique("staff"), "role": "trainer"}, headers=admin
        )
        assert r.status_code == 201
    codes = [
        world.http.post(
            "/api/v1/users", json={"username": taken, "role": "trainer"}, headers=admin
        ).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    admin_web = _browser(world, "admin")
    form = {"csrf_token": admin_web.cookies[CSRF_COOKIE], "username": unique("staff"), "role": "trainer"}
    page = admin_web.post("/admin/users", data=form)  # the admin page draws on the same quota
    assert page.status_code == 429 and "Too many" in page.text
    app.state.db.dispose()
