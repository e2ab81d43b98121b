"""The trainer's journey in Debian's Chromium (1366 px desktop, 375 px phone), live server.

Seeded: a trainer with three clients; Ben has a poor-balance assessment (so hands-free
retro-walking is contraindicated), a programme and a painful session (a flag). The trainer
searches and archives, acknowledges the flag, edits the programme (add, reorder, re-dose,
remove; a contraindicated add refused), messages Ben (who answers from his phone), and
re-assesses with the comparison against the last visit. The stored data is checked after each
step. Screenshots go to test-artifacts/trainer-*.png.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.live_server import own_data_env
from web_helpers import chromium, uvicorn_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "journey-pass-123"
TRAINER = "tess-day"
CLIENT = "ben-day"

SEED = f"""
from datetime import UTC, datetime, timedelta
from retrowalk.app import clinical
from retrowalk.settings import get_settings
from retrowalk.storage import crud
from retrowalk.storage.db import Database

d = Database(get_settings().resolved_database_url)
d.upgrade()
now = datetime.now(UTC)
with d.transaction() as db:
    t = crud.create_user(db, {TRAINER!r}, {PASSWORD!r}, "trainer", display_name="Tess Trainer")
    ben = crud.create_client(db, "Ben Backwards", trainer=t, notes="Right knee OA; wants to cycle again")
    crud.create_user(db, {CLIENT!r}, {PASSWORD!r}, "client", client_id=ben.id)
    crud.create_client(db, "Cara Quinn", trainer=t, notes="moved away")
    crud.create_client(db, "Dan Smith", trainer=t)
    inputs = clinical.demo_assessment_inputs()
    for m in inputs["measurements"]:
        if m["test_id"] == "single_leg_stance":
            m["value"] = 3
    clean, findings = clinical.evaluate_assessment(inputs)
    a = crud.add_assessment(db, ben.id, inputs=clean, findings=findings, pain_nprs=4.0, stop=False,
                            by=t, affected_side="right")
    a.created_at = now - timedelta(days=20)
    content = clinical.prescribe(findings, pain_nprs=4.0, goals=[])
    p = crud.add_programme(db, ben.id, content=content, assessment_id=a.id, pain_nprs=4.0, goals=[],
                           by=t, reason="prescribed from the latest assessment")
    p.created_at = now - timedelta(days=20)
    for days, pain in ((15, 2), (12, 3), (8, 2), (2, 7)):
        crud.add_session_log(db, ben.id, programme_id=p.id, by=t, exercise_id="forward_walk",
                             session_date=(now - timedelta(days=days)).date(), minutes=10,
                             pain_during=pain, pain_after=pain - 1,
                             notes="stairs hurt afterwards" if pain > 5 else "")
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("trainer-journey")
    env = own_data_env(data_dir)
    subprocess.run([sys.executable, "-c", SEED], env=env, check=True, timeout=120, cwd=ROOT)
    with uvicorn_server(env, data_dir / "server.log") as base:
        yield {"base": base, "data_dir": data_dir, "env": env}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _db(live: dict[str, Any]) -> Any:
    """The server's own database, read from the test (SQLite file under the data directory)."""
    from retrowalk.storage.db import Database

    return Database(f"sqlite:///{(live['data_dir'] / 'retrowalk.sqlite3').resolve()}")


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"trainer-{name}.png"), full_page=True)


def _no_sideways_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_trainer_day_journey(live: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    from retrowalk.storage.models import (
        Assessment,
        AuditEntry,
        Client,
        FlagAcknowledgement,
        Message,
        Programme,
    )

    base = live["base"]
    db = _db(live)
    with db.transaction() as s:
        ben_id = s.query(Client).filter_by(name="Ben Backwards").one().id
        cara_id = s.query(Client).filter_by(name="Cara Quinn").one().id
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    _login(page, base, TRAINER)

    # dashboard: Ben's pain flare needs attention; search and archive
    flagged = page.locator("#flagged")
    expect(flagged).to_contain_text("Ben Backwards")
    expect(flagged).to_contain_text("pain flare: 7/10")
    expect(page.locator("#clients > li")).to_have_count(3)
    page.fill("#q", "cara")
    page.click("#apply-filter")
    expect(page.locator("#clients > li")).to_have_count(1)
    page.get_by_role("button", name="Archive Cara Quinn").click()
    expect(page.locator("#show")).to_have_value("archived")
    expect(page.locator("#clients")).to_contain_text("Cara Quinn")
    page.goto(base + "/")
    expect(page.locator("#clients > li")).to_have_count(2)
    expect(page.locator("#clients")).not_to_contain_text("Cara Quinn")
    with db.transaction() as s:
        assert s.get(Client, cara_id).archived_at is not None

    # acknowledge the flag with a note
    flare = page.locator("#flagged .flag", has_text="pain flare")
    flare.locator("summary").click()
    flare.locator("textarea[name=note]").fill("Phoned Ben: stairs at work; keep the dose, review Friday")
    flare.locator(".ack-submit").click()
    expect(page.locator("#flagged .flag", has_text="pain flare")).to_have_count(0)
    expect(page.locator(f"#clients li[data-client='{ben_id}']")).to_contain_text("seen: pain flare")
    with db.transaction() as s:
        ack = s.query(FlagAcknowledgement).filter_by(client_id=ben_id).one()
        assert ack.flag.startswith("pain flare") and "review Friday" in ack.note
        assert s.query(AuditEntry).filter_by(resource="flag_ack", client_id=ben_id).count() == 1
    _shot(page, "01-dashboard-1366")

    # client page: intake and session notes are visible to the trainer, weekly adherence shown
    page.goto(f"{base}/clients/{ben_id}")
    expect(page.locator("#client-notes")).to_contain_text("wants to cycle again")
    expect(page.locator("#session-history")).to_contain_text("stairs hurt afterwards")
    expect(page.locator("#weekly-adherence tbody tr")).to_have_count(4)
    _shot(page, "08-client-page-1366")

    # programme editor
    page.click("#edit-programme")
    items = page.locator("#draft-items > li")
    before = [items.nth(i).get_attribute("data-exercise") for i in range(items.count())]
    assert len(before) >= 3
    page.fill("#q", "retro")
    page.click("#filter-library")
    blocked = page.locator("#library li[data-exercise='retro_walk_3']")
    expect(blocked).to_contain_text("contraindicated")
    expect(blocked.locator("button.add")).to_be_disabled()
    # a forged add (the button re-enabled) is refused by the server too
    blocked.locator("button.add").evaluate("b => b.disabled = false")
    blocked.locator("button.add").click()
    expect(page.locator("#form-errors")).to_contain_text("contraindicated")
    assert "retro_walk_3" not in [items.nth(i).get_attribute("data-exercise") for i in range(items.count())]
    page.fill("#q", "")
    page.select_option("#filter-joint", "hip")
    page.select_option("#filter-quality", "strength")
    page.click("#filter-library")
    added = page.locator("#library li:not(.blocked)").first.get_attribute("data-exercise")
    assert added is not None
    page.locator(f"#library li[data-exercise='{added}'] button.add").click()
    expect(items).to_have_count(len(before) + 1)
    last = len(before)
    assert items.nth(last).get_attribute("data-exercise") == added
    # reorder: the new exercise up two places, the first one down one place
    for pos in (last, last - 1):
        page.locator(f"#draft-items > li[data-exercise='{added}'] button[value='up:{pos}']").click()
    page.locator("#draft-items > li").first.locator("button[value='down:0']").click()
    new_item = page.locator(f"#draft-items > li[data-exercise='{added}']")
    new_item.locator("input[name$='.sets']").fill("3")
    new_item.locator("input[name$='.reps']").fill("12")
    removed = before[-1]
    page.locator(f"#draft-items > li[data-exercise='{removed}'] button[value^='remove:']").click()
    expect(items).to_have_count(len(before))
    expected = [*before[:-2], added, before[-2]]
    expected[0], expected[1] = expected[1], expected[0]
    assert [items.nth(i).get_attribute("data-exercise") for i in range(items.count())] == expected
    _shot(page, "02-programme-editor-1366")
    page.fill("#reason", "Hip strength for the stairs; fewer exercises")
    page.click("#save-programme")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    diff = page.locator("#diff")
    expect(diff.locator("tr.diff-added")).to_have_count(1)
    expect(diff.locator("tr.diff-moved")).to_have_count(2)  # the first two swapped places
    expect(diff.locator("tr.diff-removed")).to_have_count(1)
    expect(page.locator("#versions")).to_contain_text("Hip strength for the stairs")
    expect(page.locator("#versions")).to_contain_text("Tess Trainer")
    _shot(page, "03-programme-versions-diff-1366")
    with db.transaction() as s:
        v2 = s.query(Programme).filter_by(client_id=ben_id, version=2).one()
        ids = [i.exercise_id for i in v2.content.items]
        assert v2.source == "editor" and v2.reason == "Hip strength for the stairs; fewer exercises"
        assert ids == expected
        dose = v2.content.items[ids.index(added)].dose
        assert (dose.sets, dose.reps) == (3, 12)
        assert "retro_walk_3" not in ids and removed not in ids

    # message the client
    page.goto(f"{base}/clients/{ben_id}/messages")
    page.fill("#body", "How did the stairs feel today?")
    page.click("#send-message")
    expect(page.locator("#thread")).to_contain_text("How did the stairs feel today?")
    expect(page.locator("#thread")).to_contain_text("not read yet")

    # the client, on a phone: sees one unread message, reads it and answers
    phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    _login(mobile, base, CLIENT)
    expect(mobile.locator("#nav-messages .count")).to_have_text("1")
    mobile.click("#nav-messages")
    expect(mobile.locator("#thread")).to_contain_text("How did the stairs feel today?")
    expect(mobile.locator("#nav-messages .count")).to_have_count(0)
    mobile.fill("#body", "Better, a bit stiff in the morning")
    mobile.click("#send-message")
    expect(mobile.locator("#thread .msg")).to_have_count(2)
    _shot(mobile, "04-client-messages-375")
    _no_sideways_scroll(mobile, 375)
    phone.close()
    with db.transaction() as s:
        msgs = s.query(Message).filter_by(client_id=ben_id).order_by(Message.id).all()
        assert [(m.from_role, m.read_at is not None) for m in msgs] == [("trainer", True), ("client", False)]

    # the trainer's dashboard counts the unread reply
    page.goto(base + "/")
    expect(page.locator(f"#clients li[data-client='{ben_id}'] .count")).to_have_text("1")
    page.goto(f"{base}/clients/{ben_id}/messages")
    page.goto(base + "/")
    expect(page.locator(f"#clients li[data-client='{ben_id}'] .count")).to_have_count(0)

    # re-assessment: pre-filled from the last visit; the affected knee asked; change vs error
    page.goto(f"{base}/clients/{ben_id}/assessment")
    expect(page.locator("#prefilled")).to_be_visible()
    expect(page.locator("#m-knee_to_wall-left")).to_have_value("7")
    expect(page.locator("input[name=affected_side][value=right]")).to_be_checked()
    page.fill("#pain_at_rest_nprs", "1")
    page.fill("#pain_activity_nprs", "3")
    page.fill("#m-knee_to_wall-left", "9.5")
    page.fill("#m-knee_to_wall-right", "11.5")
    page.fill("#m-single_leg_stance-left", "9")
    page.fill("#m-single_leg_stance-right", "12")
    page.check("input[name=affected_side][value=both]")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.locator("#findings-table")).to_be_visible()
    page.goto(f"{base}/clients/{ben_id}/assessments")
    latest = page.locator("#visit-1")
    expect(latest).to_contain_text("Affected knee: both")
    row_left = latest.locator("tr", has_text="knee-to-wall").filter(has_text="left")
    expect(row_left).to_contain_text("+2.5")
    expect(row_left).to_contain_text("yes (> 1)")
    row_right = latest.locator("tr", has_text="knee-to-wall").filter(has_text="right")
    expect(row_right).to_contain_text("within 1")
    expect(page.locator("#visit-2")).to_contain_text("first visit")
    _shot(page, "05-assessment-comparison-1366")
    with db.transaction() as s:
        rows = s.query(Assessment).filter_by(client_id=ben_id).order_by(Assessment.id).all()
        assert [r.affected_side for r in rows] == ["right", "both"]

    # the same trainer pages on a phone: readable, no sideways scrolling
    small = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    tp = small.new_page()
    _login(tp, base, TRAINER)
    _shot(tp, "06-dashboard-375")
    _no_sideways_scroll(tp, 375)
    tp.goto(f"{base}/clients/{ben_id}/programme/edit")
    _shot(tp, "07-programme-editor-375")
    _no_sideways_scroll(tp, 375)
    small.close()
    ctx.close()
    db.dispose()
