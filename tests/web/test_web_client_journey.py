"""The client's journey on a real server, in Debian's Chromium at 1366 px and 375 px.

A client logs two sessions and the next-morning pain on their phone; the data afterwards: no
duplicate rows after a reload or a resend of the same form, pain stored only as entered, the
prescribed dose equals the applied decision; then a red flag reported at a session replaces the
session with what to do now until the trainer clears it. Screenshots go to test-artifacts/ and
two phone screenshots to docs/img/ (with RETROWALK_UPDATE_DOCS=1).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.web.test_web_e2e import ARTIFACTS, ROOT, TRAINER, _login, browser, server

from retrowalk.core.exercises import Dose

__all__ = ["browser", "server"]  # the live server and Chromium fixtures of the e2e journey

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIENT = ("phone-client", "phone-pass-12345")
RETRO = "retro_walk_1"
TODAY = datetime.now(UTC).date()
MIN_TARGET_PX = 44
#: Visible controls a thumb taps, with their rendered height (CSS px).
SMALL_TARGETS_JS = """(min) => [...document.querySelectorAll(
    'main button, main .button, main summary, main input[type=number], main input[type=date],'
    + ' main select, main textarea, main .pain-scale span, main .done-choice span, main label.check span,'
    + ' header nav a, header nav button')]
  .filter(el => el.checkVisibility())
  .map(el => [el.textContent.trim().slice(0, 30) || el.name || el.tagName, el.getBoundingClientRect().height])
  .filter(([, h]) => h < min)"""


def _shot(page: Any, name: str, *, docs: str | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("RETROWALK_UPDATE_DOCS") == "1":  # never rewrite docs/ on a plain run
        shutil.copyfile(path, ROOT / "docs" / "img" / docs)


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[tuple[httpx.Client, int]]:
    """The trainer's API session and a client with a login, an assessment and a programme."""
    from tests.api.api_support import assessment_inputs

    http = httpx.Client(base_url=server + "/api/v1", timeout=30)
    token = http.post("/auth/login", json={"username": TRAINER[0], "password": TRAINER[1]}).json()["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    http.cookies.clear()  # bearer only: a cookie session would need the CSRF header
    client_id = http.post("/clients", json={"name": "Phone Client"}).json()["id"]
    # the client's login: a one-time invitation link; the client sets their own password
    invite = http.post(f"/clients/{client_id}/invite", json={"username": CLIENT[0]})
    assert invite.status_code == 201, invite.text
    token = invite.json()["link"].split("token=", 1)[1]
    redeemed = http.post("/account/password", json={"token": token, "password": CLIENT[1]})
    assert redeemed.status_code < 300, redeemed.text
    assert (
        http.post(f"/clients/{client_id}/assessments", json={"inputs": assessment_inputs()}).status_code
        == 201
    )
    assert http.post(f"/clients/{client_id}/programmes", json={"pain_nprs": 3}).status_code == 201
    try:
        yield http, client_id
    finally:
        http.close()


def _logs(api: tuple[httpx.Client, int]) -> list[dict[str, Any]]:
    http, client_id = api
    rows: list[dict[str, Any]] = http.get(f"/clients/{client_id}/session-logs").json()
    return rows


def _fill(page: Any, *, day: str, before: int, during: int, after: int) -> None:
    page.fill("#session_date", day)
    for key, value in (("pain_before", before), ("pain_during", during), ("pain_after", after)):
        page.locator(f"#{key} label:has(input[value='{value}'])").click()
    for box in page.locator("fieldset.done-choice").all():
        box.get_by_text("Yes, done", exact=True).click()


def _morning(page: Any, value: int) -> None:
    page.locator(f"#pain_next_morning label:has(input[value='{value}'])").click()
    page.get_by_role("button", name="Save morning pain").click()
    page.wait_for_url("**/log?morning=saved")


def _prescribed(page: Any, exercise_name: str) -> str:
    card = page.locator("fieldset.exercise", has=page.get_by_text(exercise_name, exact=True))
    return str(card.locator(".prescribed span").inner_text()).strip()


def test_the_client_journey_on_the_phone(server: str, browser: Any, api: tuple[httpx.Client, int]) -> None:
    from playwright.sync_api import expect

    http, client_id = api
    phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _login(page, server, CLIENT)
    expect(page.get_by_role("heading", name="Today's session")).to_be_visible()
    # nothing is preset: no pain answer, no "done"
    assert page.locator("input[type=radio]:checked").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate(SMALL_TARGETS_JS, MIN_TARGET_PX) == []
    expect(page.locator("[data-timer]").first).to_be_visible()  # minutes or holds get a timer
    _shot(page, "client-01-log-375px", docs="client-log-375px.png")

    # an untouched save stores nothing and says what is missing
    page.get_by_role("button", name="Save session").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#pain_before-error")).to_contain_text("0 = no pain")
    assert _logs(api) == []

    # session 1, three days ago, then its next-morning pain
    day1 = (TODAY - timedelta(days=3)).isoformat()
    _fill(page, day=day1, before=1, during=2, after=1)
    form = {
        el["name"]: el["value"]
        for el in page.eval_on_selector_all(
            "#log-form input:not([type=radio]), #log-form input[type=radio]:checked",
            "els => els.map(e => ({name: e.name, value: e.value}))",
        )
    }
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("heading", name="Session saved")).to_be_visible()
    items = len(_logs(api))
    assert items >= 2
    # a reload of the answer, and the same form sent again (a double tap, a resend), store nothing
    page.reload()
    expect(page.get_by_role("heading", name="Session saved")).to_be_visible()
    resend = page.request.post(f"{server}/clients/{client_id}/log", form=form, max_redirects=0)
    assert resend.status == 303
    rows = _logs(api)
    assert len(rows) == items
    # pain stored only as entered (no baseline or morning made up)
    assert {(r["pain_before"], r["pain_during"], r["pain_after"], r["pain_next_morning"]) for r in rows} == {
        (1.0, 2.0, 1.0, None)
    }
    page.goto(f"{server}/clients/{client_id}/log")
    _morning(page, 1)

    # session 2, yesterday, and its morning: two settled sessions → the decision is applied
    _fill(page, day=(TODAY - timedelta(days=1)).isoformat(), before=1, during=2, after=1)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("heading", name="Session saved")).to_be_visible()
    page.goto(f"{server}/clients/{client_id}/log")
    _morning(page, 1)
    decision = http.get(f"/clients/{client_id}/session-logs/next").json()
    step = next(d for d in decision["decisions"] if d["exercise_id"] == RETRO)
    assert step["decision"] == "progress" and step["next_exercise_id"] == RETRO
    applied = Dose.model_validate(step["next_dose"])
    current = http.get(f"/clients/{client_id}/programmes/current").json()
    assert current["origin"].startswith("decision after session")
    stored = next(i for i in current["content"]["items"] if i["exercise_id"] == RETRO)
    assert Dose.model_validate(stored["dose"]) == applied
    retro_name = next(i.get("name") for i in current["content"]["items"] if i["exercise_id"] == RETRO)
    assert _prescribed(page, retro_name) == applied.describe()
    minutes = page.locator("fieldset.exercise", has=page.get_by_text(retro_name, exact=True)).locator(
        "input[name$='.minutes']"
    )
    expect(minutes).to_have_value(f"{applied.minutes:g}")

    # the plain-language answer and "My progress" fit the phone
    page.goto(f"{server}/clients/{client_id}/log/saved?day={(TODAY - timedelta(days=1)).isoformat()}")
    text = page.locator("main").inner_text()
    assert "regress" not in text and RETRO not in text and "A little more next time" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(page, "client-02-next-session-375px")
    page.get_by_role("link", name="See my progress").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("document.documentElement.scrollHeight") < 3000
    _shot(page, "client-03-my-progress-375px", docs="client-progress-375px.png")

    # today: a red flag reported with the session → the session is replaced by what to do now
    page.goto(f"{server}/clients/{client_id}/log")
    _fill(page, day=TODAY.isoformat(), before=1, during=2, after=1)
    page.locator("label.check", has_text="deep-vein thrombosis").click()
    page.get_by_role("button", name="Save session").click()
    expect(page.locator("#stop-card")).to_be_visible()
    page.goto(f"{server}/clients/{client_id}/log")
    expect(page.locator("#stop-card")).to_contain_text("deep-vein thrombosis")
    assert page.locator("#save-session").count() == 0
    _shot(page, "client-04-stopped-375px", docs="client-stopped-375px.png")
    before = len(_logs(api))
    refused = http.post(
        f"/clients/{client_id}/session-logs",
        json={"session_date": TODAY.isoformat(), "exercise_id": RETRO, "pain_during": 1, "pain_after": 1},
    )
    assert refused.status_code == 409 and "in force" in refused.json()["detail"]
    assert len(_logs(api)) == before
    phone.close()

    # the trainer at 1366 px clears it (why is required) and the client can log again
    desk = browser.new_context(viewport={"width": 1366, "height": 900})
    trainer = desk.new_page()
    _login(trainer, server, TRAINER)
    trainer.goto(f"{server}/clients/{client_id}")
    expect(trainer.locator("#in-force")).to_contain_text("deep-vein thrombosis")
    _shot(trainer, "client-05-trainer-in-force-1366px")
    trainer.locator("form.clear-form textarea").first.fill("GP saw her today: no DVT on ultrasound")
    trainer.get_by_role("button", name="Clear and let the client resume").first.click()
    expect(trainer.locator("#nothing-in-force")).to_be_visible()
    _shot(trainer, "client-06-trainer-cleared-1366px")
    desk.close()
    red = http.get(f"/clients/{client_id}/red-flags").json()
    assert red["can_log_exercise"] and red["signoffs"][0]["reason"].startswith("GP saw her")
