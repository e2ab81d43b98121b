"""Accounts from the web (#14.5): a trainer invites a client (one-time link shown once to pass
on; the client chooses the password), new-password links, and the admin page (list, invite staff,
deactivate/reactivate, reset link). Nobody types or sees another person's password."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from tests.api.api_support import PASSWORD, World, unique
from tests.api.worlds import world_fixture
from tests.web.test_web_authz_matrix import browser

from retrowalk.http.security import CSRF_COOKIE

NEW_PASSWORD = "a long new passphrase"


world = world_fixture(scope="module")


def _post(http: TestClient, url: str, **data: str) -> Any:
    return http.post(url, data={"csrf_token": http.cookies[CSRF_COOKIE], **data})


def _outbox(world: World) -> list[Path]:
    return sorted((Path(world.app.state.settings.data_dir) / "outbox").glob("*.txt"))


def _redeem(world: World, link: str, password: str) -> Any:
    parts = urlsplit(link)
    anon = TestClient(world.app, follow_redirects=False)
    page = anon.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    token = parts.query.removeprefix("token=")
    return anon.post(parts.path, data={"token": token, "password": password, "confirm": password})


def _can_log_in(world: World, username: str, password: str) -> bool:
    r = TestClient(world.app, follow_redirects=False).post(
        "/login", data={"username": username, "password": password}
    )
    return r.status_code == 303 and not r.headers["location"].startswith("/login")


def test_trainer_invites_a_client_who_sets_their_own_password(world: World) -> None:
    trainer = browser(world, "trainer_a")
    form = trainer.get("/clients/new").text
    assert 'type="password"' not in form  # the trainer never types a client's password
    created = _post(trainer, "/clients/new", name="Invited Client")
    assert created.status_code == 303
    client_url = created.headers["location"].split("?")[0]
    page = trainer.get(client_url).text
    assert 'id="invite-client"' in page
    username = unique("inv")
    handed = _post(trainer, f"{client_url}/invite", username=username)
    assert handed.status_code == 200, handed.text[:400]
    link = re.search(r'id="link" readonly aria-label="One-time link" value="([^"]+)"', handed.text)
    assert link is not None
    assert any(link.group(1) in p.read_text() for p in _outbox(world))  # a copy in the outbox
    assert not _can_log_in(world, username, PASSWORD)  # nobody can log in before the link is used
    done = _redeem(world, link.group(1), NEW_PASSWORD)
    assert done.status_code == 303
    assert _can_log_in(world, username, NEW_PASSWORD)
    assert _redeem(world, link.group(1), "another passphrase 1").status_code == 422  # once only
    # the client page now shows the login and offers a new-password link instead of an invite
    page = trainer.get(client_url).text
    assert username in page and 'id="password-link"' in page and 'id="invite-client"' not in page
    again = _post(trainer, f"{client_url}/invite", username=unique("inv"))
    assert again.status_code == 422 and "already has a login" in again.text
    # a new-password link: the old password works until the link is used, then not
    reset = _post(trainer, f"{client_url}/password-link")
    assert reset.status_code == 200
    reset_link = re.search(r'value="(http[^"]+)"', reset.text)
    assert reset_link is not None
    assert _can_log_in(world, username, NEW_PASSWORD)
    assert _redeem(world, reset_link.group(1), "the client's second one").status_code == 303
    assert not _can_log_in(world, username, NEW_PASSWORD)
    assert _can_log_in(world, username, "the client's second one")
    audit = world.http.get(f"/api/v1{client_url}/audit", headers=world.headers["trainer_a"])
    assert audit.status_code == 200
    actions = {row["action"] for row in audit.json()}
    assert {"invite", "password_reset"} <= actions


def test_another_trainer_cannot_hand_out_links(world: World) -> None:
    other = browser(world, "trainer_b")
    cid = world.ids["client_a"]
    assert _post(other, f"/clients/{cid}/password-link").status_code == 404
    r = world.http.post(f"/api/v1/clients/{cid}/password-link", headers=world.headers["trainer_b"])
    assert r.status_code == 404


def test_admin_page_manages_users_without_seeing_links(world: World) -> None:
    admin = browser(world, "admin")
    assert admin.get("/").headers["location"] == "/admin"
    page = admin.get("/admin").text
    assert world.usernames["trainer_a"] in page and "Send reset link" in page
    before = set(_outbox(world))
    username = unique("staff")
    r = _post(admin, "/admin/users", username=username, role="trainer", display_name="New Trainer")
    assert r.status_code == 303 and r.headers["location"] == "/admin?done=invited"
    new = set(_outbox(world)) - before
    assert len(new) == 1
    link = re.search(r"http\S+token=\S+", next(iter(new)).read_text())
    assert link is not None
    shown = admin.get("/admin?done=invited").text
    assert "Invitation sent" in shown and link.group(0) not in shown
    short = _post(admin, "/admin/users", username="x", role="trainer")
    assert short.status_code == 422
    error = re.search(r'id="f-username-error"[^>]*>([^<]*)<', short.text)
    assert error is not None and "3" in error.group(1), short.text[-1500:]
    taken = _post(admin, "/admin/users", username=world.usernames["trainer_a"], role="trainer")
    assert taken.status_code == 422 and "cannot be used" in taken.text
    # the invited trainer sets a password; deactivation then revokes the login
    assert _redeem(world, link.group(0), NEW_PASSWORD).status_code == 303
    staff = TestClient(world.app, follow_redirects=False)
    assert staff.post("/login", data={"username": username, "password": NEW_PASSWORD}).status_code == 303
    users = world.http.get("/api/v1/users", headers=world.headers["admin"]).json()
    uid = next(u["id"] for u in users if u["username"] == username)
    off = _post(admin, f"/admin/users/{uid}/active", active="0")
    assert off.status_code == 303 and "deactivated" in off.headers["location"]
    assert staff.get("/").status_code == 303  # the old login is gone: back to the login page
    assert not _can_log_in(world, username, NEW_PASSWORD)
    assert "deactivated" in admin.get("/admin").text
    on = _post(admin, f"/admin/users/{uid}/active", active="1")
    assert on.status_code == 303
    assert _can_log_in(world, username, NEW_PASSWORD)
    before = set(_outbox(world))
    sent = _post(admin, f"/admin/users/{uid}/reset")
    assert sent.status_code == 303 and "done=reset" in sent.headers["location"]
    assert len(set(_outbox(world)) - before) == 1
    assert _can_log_in(world, username, NEW_PASSWORD)  # unchanged until the link is used
