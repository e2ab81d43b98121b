"""Playwright journeys (#14) in Debian's Chromium at 1366 px and 375 px: the admin's (invite a
trainer, who opens the one-time link on a phone; deactivate and reactivate; reset link) and the
trainer's recordings and trial parts (a client invited by link, a .csv.gz and a pose recording
shown in plain words, a trial created, randomised, enrolled and a visit captured). Screenshots go
to test-artifacts/; the data are checked afterwards through the REST API."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_web_e2e import ROOT, _login, _shot
from tests.api.api_support import WALK_TRIAL
from web_helpers import chromium as launch_chromium
from web_helpers import live_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN = ("admin-journey", "admin-pass-12345")
POSE = ROOT / "tests" / "data" / "pose" / "backward_walk_generic.csv"
DESKTOP = {"width": 1366, "height": 900}
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
#: Visible controls under 44 px in either direction (touch targets).
TARGETS = (
    "main a.button, main button, main select, main input:not([type=hidden]), "
    "main fieldset.choices label, header a, header button"
)
SMALL_TARGETS_JS = f"""() => [...document.querySelectorAll('{TARGETS}')]
  .filter(el => el.offsetParent !== null)
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.height < 43.5 && !(el.tagName === 'INPUT' && ['radio','checkbox'].includes(el.type)))
  .map(([el, r]) => (el.id || el.name || el.textContent.trim().slice(0, 30)) + ' ' + Math.round(r.height))"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("journey-data")
    # one analysis worker inside the server
    with live_app(data_dir, (*ADMIN, "admin", "Ada Admin"), RETROWALK_JOBS_IN_PROCESS="true") as base:
        yield base, data_dir


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


def _outbox_link(data_dir: Path, username: str, purpose: str) -> str:
    for path in sorted((data_dir / "outbox").glob(f"*-{purpose}-*.txt"), reverse=True):
        text = path.read_text()
        if text.startswith(f"To: {username}\n"):
            found = re.search(r"/account/password\?token=\S+", text)
            assert found is not None
            return found.group(0)  # the path: the server's public base URL is not this port
    raise AssertionError(f"no {purpose} link for {username} in the outbox")


def _analysed(page: Any, count: int) -> None:
    """Reload until ``count`` recordings are analysed in the background (as the page asks)."""
    deadline = time.monotonic() + 90
    while page.locator("article.recording .badge.ok").count() < count:
        assert time.monotonic() < deadline, page.locator("article.recording").first.inner_text()
        time.sleep(1)
        page.reload()  # a GET: the upload redirected (post/redirect/get)


def _api(base: str, user: tuple[str, str]) -> httpx.Client:
    c = httpx.Client(base_url=base)
    r = c.post("/api/v1/auth/login", json={"username": user[0], "password": user[1]})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    c.cookies.clear()  # bearer only
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def test_admin_then_trainer_journey(live: tuple[str, Path], chromium: Any) -> None:
    from playwright.sync_api import expect

    base, data_dir = live
    trainer = ("coach-journey", "coach-pass-12345")
    desk = chromium.new_context(viewport=DESKTOP)
    page = desk.new_page()

    # --- admin, desktop: invite a trainer (the link goes to the outbox, not to the admin) ---
    _login(page, base, ADMIN)
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    page.fill("#f-username", trainer[0])
    page.fill("#f-display_name", "Chris Coach")
    page.select_option("#f-role", "trainer")
    page.click("#invite")
    expect(page.get_by_role("status")).to_contain_text("Invitation sent")
    assert "token=" not in page.content()
    link = _outbox_link(data_dir, trainer[0], "invite")

    # --- the new trainer opens the link on a phone and chooses a password ---
    phone = chromium.new_context(**PHONE)
    mobile = phone.new_page()
    mobile.goto(base + link)
    mobile.fill("#password", trainer[1])
    mobile.fill("#confirm", trainer[1])
    mobile.get_by_role("button", name="Save and go to the login").click()
    _login(mobile, base, trainer)
    expect(mobile.get_by_role("heading", name="Your clients")).to_be_visible()

    # --- admin deactivates (the phone's login is revoked), reactivates, sends a reset link ---
    page.reload()
    row = page.locator("#users tr", has_text=trainer[0])
    row.get_by_role("button", name=f"Deactivate {trainer[0]}").click()
    expect(page.locator("#users tr", has_text=trainer[0])).to_contain_text("deactivated")
    mobile.reload()
    expect(mobile.get_by_role("heading", name="Log in")).to_be_visible()
    page.locator("#users tr", has_text=trainer[0]).get_by_role(
        "button", name=f"Reactivate {trainer[0]}"
    ).click()
    page.locator("#users tr", has_text=trainer[0]).get_by_role(
        "button", name=f"Send a reset link to {trainer[0]}"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Reset link sent")
    _outbox_link(data_dir, trainer[0], "reset")
    _shot(page, "j01-admin-users-1366px")
    admin_phone = chromium.new_context(**PHONE).new_page()
    _login(admin_phone, base, ADMIN)
    expect(admin_phone.get_by_role("heading", name="Administration")).to_be_visible()
    assert admin_phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    # the users table is one card per user there, not a table to scroll sideways
    wide = (
        "(() => { const t = document.querySelector('#users');"
        " return t.scrollWidth - t.parentElement.clientWidth; })()"
    )
    assert admin_phone.evaluate(wide) <= 1
    assert admin_phone.evaluate(SMALL_TARGETS_JS) == []
    _shot(admin_phone, "j02-admin-users-375px")
    page.get_by_role("button", name="Log out").click()

    # --- trainer, desktop: a client invited by link; recordings; a trial ---
    _login(page, base, trainer)
    page.get_by_role("link", name="New client").first.click()
    page.get_by_label("Full name").fill("Rita Recording-Test")
    page.get_by_role("button", name="Create client").click()
    page.fill("#invite-username", "rita-journey")
    page.get_by_role("button", name="Invite to the app").click()
    client_link = page.locator("#link").input_value()
    assert "token=" in client_link
    _shot(page, "j03-client-invite-link-1366px")
    page.get_by_role("link", name="Back to Rita Recording-Test").click()
    client_url = page.url.split("#")[0]
    page.get_by_role("link", name="Recordings").click()
    page.set_input_files("#file", str(WALK_TRIAL))
    page.select_option("#placement", "waist")
    page.click("#upload")
    _analysed(page, 1)
    page.check("input[name=kind][value=pose]")
    page.set_input_files("#file", str(POSE))
    page.fill("#fps", "30")
    page.click("#upload")
    _analysed(page, 2)
    first = page.locator("article.recording").first
    expect(first).to_contain_text("Knee extension in stance")
    expect(first).to_contain_text("toe first")
    expect(first).to_contain_text("Trunk leans forward")
    assert "leg length px" not in page.content() and "toe_first" not in page.content()
    _shot(page, "j04-recordings-1366px")
    rec_phone = phone.new_page()
    _login(rec_phone, base, trainer)
    rec_phone.goto(page.url)
    assert rec_phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    _shot(rec_phone, "j05-recordings-375px")

    page.goto(base + "/trials")
    page.click("#new-trial")
    page.click("#create-trial")  # the template as it stands
    expect(page.get_by_role("status")).to_contain_text("Trial created")
    page.click("#randomise")
    expect(page.get_by_role("status")).to_contain_text("Allocation list sealed")
    for participant, sex in (("R001", "F"), ("R002", "M"), ("R003", "F")):
        page.fill("#participant", participant)
        page.select_option("#stratum-sex", sex)
        page.click("#enrol")
        expect(page.get_by_role("status")).to_contain_text(f"Participant {participant} is allocated to")
    page.reload()  # post/redirect/get: a reload enrols nobody again
    page.select_option("#visit-participant", "R001")
    page.select_option("#visit", "baseline")
    page.fill("#value-pain", "6")
    page.click("#save-visit")
    expect(page.get_by_role("status")).to_contain_text("Values of R001 at baseline saved")
    table = page.locator("#allocations")
    box = table.bounding_box()
    assert box is not None and box["width"] <= 1366
    _shot(page, "j06-trial-1366px")

    # --- the data afterwards, through the REST API ---
    api = _api(base, trainer)
    client_id = int(client_url.rstrip("/").rsplit("/", 1)[1])
    recs = api.get(f"/api/v1/clients/{client_id}/recordings").json()
    assert sorted(r["original_name"] for r in recs) == sorted([WALK_TRIAL.name, POSE.name])
    assert all(r["status"] in ("analysed", "queued", "analysing") for r in recs)
    trials = api.get("/api/v1/trials").json()
    assert len(trials) == 1 and trials[0]["revealed"] == 3 and trials[0]["observations"] == 1
    api.close()
    api = _api(base, ADMIN)
    users = {u["username"]: u for u in api.get("/api/v1/users").json()}
    assert users[trainer[0]]["active"] is True
    assert users["rita-journey"]["role"] == "client"
    api.close()
