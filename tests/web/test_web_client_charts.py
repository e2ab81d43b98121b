"""The client page's charts are URLs of their own: versioned by what they draw, cached by the
browser, behind the client page's access rule, and drawn in a real browser."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.api_support import ROOT, World, build_world, make_settings
from web_helpers import chromium, live_app

from retrowalk.api.app import create_app
from retrowalk.app import clinical, sessions
from retrowalk.app.sessions import SessionLogIn
from retrowalk.reports.charts import CHART_KEYS
from retrowalk.storage import crud

sys.path.insert(0, str(ROOT / "benchmarks"))

ARTIFACTS = ROOT / "test-artifacts"
SVG_NS = "{http://www.w3.org/2000/svg}"
CHART_URL = re.compile(r'src="(/clients/(\d+)/charts/([a-z-]+)\.svg\?v=([0-9a-f]+))"')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("charts")
    app = create_app(make_settings(tmp / "data", f"sqlite:///{tmp / 'charts.sqlite3'}"))
    try:
        yield build_world(app)
    finally:
        app.state.db.dispose()


def _page_charts(world: World, role: str = "trainer_a") -> dict[str, tuple[str, str]]:
    """Chart key -> (URL, version) as the client page references them."""
    client_id = world.ids["client_a"]
    r = world.http.get(f"/clients/{client_id}", headers=world.headers[role])
    assert r.status_code == 200
    found = {key: (url, v) for url, cid, key, v in CHART_URL.findall(r.text) if int(cid) == client_id}
    assert list(found) == list(CHART_KEYS)
    return found


def test_the_page_references_each_chart_and_each_url_serves_it_cacheably(world: World) -> None:
    for key, (url, version) in _page_charts(world).items():
        r = world.http.get(url, headers=world.headers["trainer_a"])
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith("image/svg+xml")
        assert r.headers["etag"] == f'"{version}"'
        assert "immutable" in r.headers["cache-control"] and "private" in r.headers["cache-control"]
        assert "Cookie" in r.headers["vary"]  # another login's request is checked by the server
        root = ET.fromstring(r.text)
        assert root.get("role") == "img"
        title = root.find(f"{SVG_NS}title")
        assert title is not None and title.text
        assert root.get("aria-labelledby", "").startswith(f"chart-{key}-")


def test_the_page_carries_each_charts_text_alternative(world: World) -> None:
    r = world.http.get(f"/clients/{world.ids['client_a']}", headers=world.headers["trainer_a"])
    for key in CHART_KEYS:
        assert re.search(rf'<img [^>]*aria-describedby="chart-{key}-text"', r.text)
        assert re.search(rf'<figcaption [^>]*id="chart-{key}-text">[^<]+: ', r.text)


def test_the_client_sees_their_own_charts_and_nobody_else_does(world: World) -> None:
    url, _v = _page_charts(world, "client_a")["pain"]
    assert world.http.get(url, headers=world.headers["client_a"]).status_code == 200
    for role in ("trainer_b", "client_b"):
        assert world.http.get(url, headers=world.headers[role]).status_code == 404, role
    assert world.http.get(url, headers=world.headers["admin"]).status_code == 403
    anonymous = TestClient(world.app, follow_redirects=False).get(url)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    # the version does not open another client's chart either
    other = url.replace(f"/clients/{world.ids['client_a']}/", f"/clients/{world.ids['client_b']}/")
    assert world.http.get(other, headers=world.headers["trainer_a"]).status_code == 404


def test_an_unknown_chart_is_not_found(world: World) -> None:
    r = world.http.get(
        f"/clients/{world.ids['client_a']}/charts/weight.svg", headers=world.headers["trainer_a"]
    )
    assert r.status_code == 404


def test_revalidation_answers_304_and_no_audit_row(world: World) -> None:
    url, version = _page_charts(world)["gait"]
    headers = world.headers["trainer_a"]
    with world.app.state.db.transaction() as db:
        before = len(crud.list_audit(db, client_id=world.ids["client_a"], limit=10_000))
    r = world.http.get(url, headers={**headers, "If-None-Match": f'"{version}"'})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["etag"] == f'"{version}"'
    # without ?v=: the current chart, to be revalidated each time, and 304 for its ETag
    bare = url.split("?")[0]
    r = world.http.get(bare, headers=headers)
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache"
    assert world.http.get(bare, headers={**headers, "If-None-Match": r.headers["etag"]}).status_code == 304
    with world.app.state.db.transaction() as db:
        entries = crud.list_audit(db, client_id=world.ids["client_a"], limit=10_000)
    drawn = [e for e in entries[: len(entries) - before] if e.resource == "chart"]
    assert len(entries) - before == 1 and [e.resource_id for e in drawn] == ["gait"]


def test_new_data_gives_only_its_charts_a_new_version(world: World) -> None:
    before = _page_charts(world)
    with world.app.state.db.transaction() as db:
        client = crud.get_client(db, world.ids["client_a"])
        trainer = crud.get_user(db, world.ids["user_trainer_a"])
        assert client is not None and trainer is not None
        entry = {"session_date": date(2025, 3, 4), "exercise_id": clinical.DEMO_EXERCISE, "minutes": 7.0}
        sessions.log_session(db, trainer, client, [SessionLogIn(**entry, pain_during=3.0, pain_after=2.0)])
    after = _page_charts(world)
    changed = {key for key in CHART_KEYS if before[key][1] != after[key][1]}
    assert "pain" in changed and not changed & {"koos", "knee-rom", "gait"}
    # the old URL now answers the current chart, not cacheable as that URL
    old_url = before["pain"][0]
    r = world.http.get(old_url, headers=world.headers["trainer_a"])
    assert r.status_code == 200 and r.headers["etag"] == f'"{after["pain"][1]}"'
    assert r.headers["cache-control"] == "private, no-cache"
    assert "2025-03-04" in ET.fromstring(r.text).findtext(f"{SVG_NS}desc", "")


def _chart_states(page: Any) -> list[dict[str, Any]]:
    return list(
        page.eval_on_selector_all(
            ".charts img",
            "els => els.map(e => ({src: e.getAttribute('src'), done: e.complete, w: e.naturalWidth,"
            " shown: e.getBoundingClientRect().width}))",
        )
    )


def test_charts_render_in_chromium_on_a_wide_and_a_phone_screen(tmp_path: Path) -> None:
    from clinic_data import PASSWORD, ClinicSize, generate

    from retrowalk.settings import Settings
    from retrowalk.storage import Database

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = Database(Settings(data_dir=data_dir).resolved_database_url)
    database.upgrade()
    clinic = generate(database, ClinicSize(trainers=1, clients=1, days=150), seed=3)
    database.dispose()
    client_id = clinic.client_ids[0]
    with live_app(data_dir, ("owner", "owner password 123", "admin", "Owner")) as base, chromium() as browser:
        for width, height in ((1366, 900), (375, 812)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(base + "/login")
            page.fill("#username", clinic.trainer_usernames[0])
            page.fill("#password", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_url(re.compile(r".*/$"))
            page.goto(f"{base}/clients/{client_id}")
            page.locator("#outcomes").scroll_into_view_if_needed()
            page.wait_for_function(
                "[...document.querySelectorAll('.charts img')].every(e => e.complete && e.naturalWidth > 0)"
            )
            states = _chart_states(page)
            assert len(states) == len(CHART_KEYS)
            for state in states:
                assert state["w"] > 0 and 0 < state["shown"] <= width, state
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(".charts").screenshot(path=str(ARTIFACTS / f"client-charts-{width}.png"))
            page.screenshot(path=str(ARTIFACTS / f"client-page-{width}.png"), full_page=True)
            page.close()
