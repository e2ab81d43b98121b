"""End-to-end: a real server (uvicorn subprocess) driven by Debian's Chromium through Playwright.

Scenario: trainer logs in, creates a client, records an assessment, generates a programme; the
client logs a session with pain 7/10 and is told the next session is regressed/held; the trainer
sees the flag. Also: a 375 px phone viewport and the PDF report from the live server.
Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_helpers import chromium, live_app, require_tool

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TRAINER = ("trainer-e2e", "trainer-pass-123")
CLIENT_NAME = "Ada Lovelace-Testclient"
CLIENT = ("ada-e2e", "client-pass-123")
# Every visible form control must have an accessible name (label, aria-label or aria-labelledby).
UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id)"""


def _pdf(page: Any, url: str) -> Any:
    """A PDF as the browser gets it: while its job runs the answer is 202 "being prepared"
    (the page reloads itself after Retry-After), then the PDF."""
    deadline = time.monotonic() + 90
    while (response := page.request.get(url)).status == 202:
        assert "being prepared" in response.text() and time.monotonic() < deadline
        time.sleep(float(response.headers["retry-after"]))
    return response


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    with live_app(data_dir, (*TRAINER, "trainer", "Tess Trainer")) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def _login(page: object, base: str, user: tuple[str, str]) -> None:
    page.goto(base + "/login")  # type: ignore[attr-defined]
    page.fill("#username", user[0])  # type: ignore[attr-defined]
    page.fill("#password", user[1])  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def fill_log(page: object, *, before: int, during: int, after: int, done: str = "Yes, done") -> None:
    """Answer the log form as a client does: tap a pain number per question, done per exercise."""
    for key, value in (("pain_before", before), ("pain_during", during), ("pain_after", after)):
        page.locator(f"#{key} label:has(input[value='{value}'])").click()  # type: ignore[attr-defined]
    for box in page.locator("fieldset.done-choice").all():  # type: ignore[attr-defined]
        box.get_by_text(done, exact=True).click()


def _assert_labelled(page: object) -> None:
    assert page.evaluate(UNLABELLED_JS) == []  # type: ignore[attr-defined]


def test_trainer_and_client_journey(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = ctx.new_page()

    # trainer: login → dashboard
    _login(page, server, TRAINER)
    expect(page.get_by_role("heading", name="Your clients")).to_be_visible()
    _shot(page, "01-dashboard-empty")

    # create the client, with a login for their phone
    page.get_by_role("link", name="Add a client").click()
    _assert_labelled(page)
    page.get_by_label("Full name").fill(CLIENT_NAME)
    page.get_by_label("Date of birth").fill("1958-03-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", name=CLIENT_NAME)).to_be_visible()
    client_url = page.url.split("?")[0]
    client_id = int(client_url.rstrip("/").rsplit("/", 1)[1])
    # the client's login: the trainer names it and passes on a one-time link (no password typed)
    page.fill("#invite-username", CLIENT[0])
    page.get_by_role("button", name="Invite to the app").click()
    invite_link = page.locator("#link").input_value()
    page.goto(client_url)

    # assessment: inline validation first (out of range value is refused next to the field)
    page.get_by_role("link", name="New assessment").click()
    _assert_labelled(page)
    page.fill("#m-knee_flexion_rom-left", "400")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.locator("#m-knee_flexion_rom-left-error")).not_to_be_empty()
    assert page.url.endswith("/assessment")  # nothing was posted
    _shot(page, "02-assessment-inline-error")
    page.fill("#pain_at_rest_nprs", "3")
    page.fill("#pain_activity_nprs", "6")
    for test_id, left, right in (
        ("knee_to_wall", 7, 11),
        ("knee_extension_deficit", 8, 2),
        ("knee_flexion_rom", 110, 135),
        ("lateral_step_down", 4, 1),
    ):
        page.fill(f"#m-{test_id}-left", str(left))
        page.fill(f"#m-{test_id}-right", str(right))
    page.check("input[name=affected_side][value=left]")
    page.get_by_role("button", name="Save assessment").click()
    findings = page.locator("#findings-table")
    expect(findings).to_contain_text("mobility deficit")
    expect(findings).to_contain_text("Knee extension deficit")

    # programme with reasons and cues
    page.get_by_role("button", name="Generate programme").click()
    items = page.locator("#programme-items > li")
    expect(items.first).to_be_visible()
    assert items.count() >= 2
    expect(page.locator("#programme-items")).to_contain_text("Why:")
    _shot(page, "03-client-page-trainer")
    page.get_by_role("button", name="Log out").click()

    # client on a phone: log a session with pain 7/10
    phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    mobile = phone.new_page()
    mobile.goto(server + invite_link[invite_link.index("/account/password") :])
    mobile.fill("#password", CLIENT[1])
    mobile.fill("#confirm", CLIENT[1])
    mobile.get_by_role("button", name="Save and go to the login").click()
    _login(mobile, server, CLIENT)
    expect(mobile.get_by_role("heading", name="Today's session")).to_be_visible()
    _assert_labelled(mobile)
    # no horizontal scrolling at 375 px
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    fill_log(mobile, before=2, during=7, after=6)
    expect(mobile.locator("#pain_during input[value='7']")).to_be_checked()
    _shot(mobile, "04-session-log-375px")
    mobile.get_by_role("button", name="Save session").click()
    expect(mobile.get_by_role("heading", name="Session saved")).to_be_visible()
    kinds = [k.strip() for k in mobile.locator(".headline").all_inner_texts()]
    assert kinds, "no next-session decision shown"
    assert not any(k.startswith("A little more") for k in kinds), kinds  # above 5/10 never progresses
    expect(mobile.locator("main")).to_contain_text("pain during 7/10")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(mobile, "05-next-session-decision-375px")
    # the client may not see another client's page, nor trainer-only forms
    assert mobile.goto(f"{server}/clients/{client_id + 999}").status == 404  # type: ignore[union-attr]
    assert mobile.goto(f"{server}/clients/{client_id}/assessment").status == 403  # type: ignore[union-attr]
    phone.close()

    # trainer sees the flag on the dashboard and the client page
    _login(page, server, TRAINER)
    flagged = page.locator("#flagged")
    expect(flagged).to_contain_text(CLIENT_NAME)
    expect(flagged).to_contain_text("pain flare: 7/10")
    _shot(page, "06-dashboard-flag")
    page.goto(client_url)
    expect(page.locator("#client-flags")).to_contain_text("pain flare")
    expect(page.locator("#session-history")).to_contain_text("7")
    _shot(page, "07-client-page-after-session")

    # KOOS: partial answers are saved and offered again
    page.goto(f"{client_url}/koos")
    _assert_labelled(page)
    page.locator("#q-P1 input[value='2']").check()
    page.locator("#q-P2 input[value='1']").check()
    page.get_by_role("button", name="Save questionnaire").click()
    expect(page.locator("#koos-saved")).to_contain_text("Saved 2 of 42 answers")
    page.goto(f"{client_url}/koos")
    expect(page.locator("#q-P1 input[value='2']")).to_be_checked()

    # the printable report, fetched with the trainer's session
    pdftotext = require_tool("pdftotext")
    response = _pdf(page, f"{client_url}/report.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = ARTIFACTS / "e2e-report.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert CLIENT_NAME in text
    assert "Joint-by-joint findings" in text and "Pain over time" in text

    # the client's one-page picture handout, linked from the client page
    handout = _pdf(page, f"{client_url}/handout.pdf?page=Letter")
    assert handout.status == 200 and handout.headers["content-type"] == "application/pdf"
    pdf = ARTIFACTS / "e2e-handout.pdf"
    pdf.write_bytes(handout.body())
    info = subprocess.run(
        [require_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M) and "612 x 792" in info  # one Letter page
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Your exercises for today" in text and "Pain rule" in text
    ctx.close()


def test_anonymous_visitors_are_sent_to_login_and_forms_need_csrf(server: str) -> None:
    r = httpx.get(server + "/clients/1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/clients/1")
    assert httpx.get(server + "/clients/1/report.pdf", follow_redirects=False).status_code == 303
    with httpx.Client(base_url=server) as c:
        assert c.post("/login", data={"username": TRAINER[0], "password": TRAINER[1]}).status_code == 303
        # a logged-in trainer posting without the form's CSRF token is refused
        assert c.post("/clients/new", data={"name": "Forged"}).status_code == 403
        assert c.post("/login", data={"username": TRAINER[0], "password": "wrong"}).status_code == 401
        # open redirects after login are not followed
        r = c.post("/login", data={"username": TRAINER[0], "password": TRAINER[1], "next": "//evil.example"})
        assert r.headers["location"] == "/"
