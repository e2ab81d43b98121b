"""Capture in Debian's Chromium against a live server with its in-process job worker.

- devicemotion events from the synthetic backward walk (dispatched in real time) → the server's
  analysis reports the steps and direction of that walk;
- a fake camera fed with a rendered walker clip (y4m) → MediaRecorder → keypoints (MediaPipe,
  when installed) → gait metrics, and the video is deleted afterwards;
- offline: the log page opens from the service worker, a save is queued in IndexedDB, and back
  online it is sent: exactly one log; the same key sent again stores nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from tests.api.api_support import assessment_inputs
from tests.api.live_server import own_data_env
from tests.web.web_helpers import launch, playwright, uvicorn_server

from retrowalk.gait.imu.synthetic import make_walk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIENT = ("walker-e2e", "client-pass-123")


def _answer_log(page: Any) -> None:
    """Answer what the log form asks before it saves (nothing is preset): pain before, during and
    after, and done per exercise."""
    for key in ("pain_before", "pain_during", "pain_after"):
        page.locator(f"#{key} label:has(input[value='1'])").click()
    for box in page.locator("fieldset.done-choice").all():
        box.get_by_text("Yes, done", exact=True).click()


def _setup_world(db_url: str) -> tuple[int, int]:
    """A client with a login and a programme; returns (client id, exercises in the programme)."""
    from retrowalk.app import clinical
    from retrowalk.app import records as build
    from retrowalk.storage import crud
    from retrowalk.storage.db import Database

    d = Database(db_url)
    d.upgrade()
    with d.transaction() as db:
        trainer = crud.create_user(db, "trainer-capture", "trainer-pass-123", "trainer")
        client = crud.create_client(db, "Walker Testclient", trainer=trainer)
        crud.create_user(db, CLIENT[0], CLIENT[1], "client", client_id=client.id)
        inputs, findings = clinical.evaluate_assessment(assessment_inputs())
        a = crud.add_assessment(
            db, client.id, inputs=inputs, findings=findings, pain_nprs=3.0, stop=False, by=trainer
        )
        content = clinical.prescribe(findings, pain_nprs=3.0, goals=[])
        prog = crud.add_programme(
            db, client.id, content=content, assessment_id=a.id, pain_nprs=3.0, goals=[], by=trainer
        )
        exercises = len(build.programme_items(prog.content))
        cid = client.id
    d.dispose()
    return cid, exercises


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("capture-e2e")
    db_url = f"sqlite:///{data_dir / 'retrowalk.sqlite3'}"
    client_id, exercises = _setup_world(db_url)
    env = own_data_env(
        data_dir,
        RETROWALK_DATABASE_URL=db_url,
        RETROWALK_JOBS_IN_PROCESS="1",  # what `retrowalk start` does: one worker inside the server
        RETROWALK_JOBS_BACKEND="sqlite",
        RETROWALK_UPLOAD_LIMIT_BYTES=str(60 * 1024 * 1024),
    )
    with uvicorn_server(env, data_dir / "server.log") as base:
        yield {
            "base": base,
            "client_id": client_id,
            "db_url": db_url,
            "data_dir": data_dir,
            "exercises": exercises,
        }


@pytest.fixture(scope="module")
def pw() -> Iterator[Any]:
    with playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(pw: Any) -> Iterator[Any]:
    b = launch(pw)
    try:
        yield b
    finally:
        b.close()


def _login(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", CLIENT[0])
    page.fill("#password", CLIENT[1])
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def _recording(page: Any, live: dict[str, Any], rec_id: int) -> dict[str, Any]:
    r = page.request.get(f"{live['base']}/api/v1/clients/{live['client_id']}/recordings/{rec_id}")
    assert r.ok, r.text()
    return dict(r.json())


DISPATCH_JS = """async ({acc, gyr, fs}) => {
  // A sensor sampled in real time: each timer tick sends the sample due at that instant.
  const t0 = performance.now();
  let sent = 0;
  await new Promise((done) => {
    const id = setInterval(() => {
      const i = Math.floor((performance.now() - t0) / 1000 * fs);
      if (i >= acc.length) { clearInterval(id); done(); return; }
      const [x, y, z] = acc[i];
      const [a, b, g] = gyr[i];
      window.dispatchEvent(new DeviceMotionEvent("devicemotion", {
        accelerationIncludingGravity: {x, y, z}, rotationRate: {alpha: a, beta: b, gamma: g},
        interval: 1000 / fs}));
      sent += 1;
    }, 1000 / fs);
  });
  return sent;
}"""


def test_devicemotion_backward_walk_is_analysed_by_the_server(live: dict[str, Any], browser: Any) -> None:
    walk = make_walk(placement="thigh", direction="backward", walk_s=24, stand_s=3, fs=100, seed=11)
    rec = walk.recording
    assert rec.gyr is not None
    ctx = browser.new_context(viewport={"width": 400, "height": 900})
    page = ctx.new_page()
    _login(page, live["base"])
    page.goto(f"{live['base']}/clients/{live['client_id']}/log")
    page.select_option("#capture-placement", "thigh")
    page.click("[data-capture-start=motion]")
    page.wait_for_selector("[data-capture][data-state=recording]")
    sent = page.evaluate(
        DISPATCH_JS,
        {"acc": np.round(rec.acc, 4).tolist(), "gyr": np.round(np.degrees(rec.gyr), 3).tolist(), "fs": 100},
    )
    assert sent > 0.5 * rec.n_samples
    live_text = page.locator("[data-capture-live]")
    assert float(live_text.get_attribute("data-rate") or 0) > 40
    page.click("[data-capture-stop=motion]")
    item = page.locator("[data-recording-id]")
    item.wait_for(timeout=60_000)
    page.wait_for_selector(
        "[data-recording-id]:not([data-status=queued]):not([data-status=analysing])", timeout=120_000
    )
    rec_id = int(item.get_attribute("data-recording-id") or 0)
    body = _recording(page, live, rec_id)
    assert body["status"] == "analysed", body
    m = body["metrics"]
    assert {b["direction"] for b in m["bouts"]} == {"backward"}
    assert abs(m["steps"] - len(walk.initial_contacts_s)) <= 4
    assert body["quality"]["measures"]["achieved_rate_hz"] > 40
    assert "backward" in item.inner_text() and "steps" in item.inner_text()
    assert page.locator("#log-form input[name=recording_ids]").input_value() == str(rec_id)
    # saving the log ties the recording to the retro-walk exercise's row of that session
    exercise = page.get_attribute("[data-capture]", "data-exercise-id")
    _answer_log(page)
    page.click("#save-session")
    page.wait_for_load_state()
    log_id = _recording(page, live, rec_id)["session_log_id"]
    assert log_id is not None
    r = page.request.get(f"{live['base']}/api/v1/clients/{live['client_id']}/session-logs/{log_id}")
    assert r.ok and r.json()["exercise_id"] == exercise
    ctx.close()


def _y4m(path: Path, size: tuple[int, int], fps: float) -> float:
    """Render the synthetic walker and write it as the raw YUV4MPEG2 Chromium's fake camera plays."""
    cv2 = pytest.importorskip("cv2")
    from retrowalk.gait.pose.synthetic import WalkerSpec
    from retrowalk.io import video as video_io

    mp4 = path.with_suffix(".mp4")
    truth = video_io.render_walker_video(
        mp4, WalkerSpec(direction="backward", fps=fps, duration_s=8.0), size=size
    )
    cap = cv2.VideoCapture(str(mp4))
    w, h = size
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{round(fps)}:1 Ip A1:1 C420jpeg\n".encode())
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            out.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    cap.release()
    return float(truth.cadence_spm)


def test_fake_camera_clip_gives_keypoints_and_metrics(live: dict[str, Any], pw: Any, tmp_path: Path) -> None:
    from retrowalk.io import video as video_io

    if not video_io.available():
        pytest.skip("MediaPipe is not installed (pip install 'retrowalk[video]')")
    clip = tmp_path / "walker.y4m"
    cadence = _y4m(clip, (640, 360), 30.0)
    fake = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    browser = launch(pw, fake)
    try:
        ctx = browser.new_context(viewport={"width": 800, "height": 1000}, permissions=["camera"])
        page = ctx.new_page()
        _login(page, live["base"])
        page.goto(f"{live['base']}/clients/{live['client_id']}/log")
        page.click("[data-capture-start=video]")
        page.wait_for_selector("[data-capture][data-state=filming]")
        page.wait_for_timeout(8_000)  # one pass of the clip
        page.click("[data-capture-stop=video]")
        item = page.locator("[data-recording-id]")
        item.wait_for(timeout=60_000)
        page.wait_for_selector(
            "[data-recording-id]:not([data-status=queued]):not([data-status=analysing])", timeout=240_000
        )
        body = _recording(page, live, int(item.get_attribute("data-recording-id") or 0))
        assert body["status"] == "analysed", body["quality"] or body
        m = body["metrics"]
        assert m["direction"] == "backward" and body["quality"]["ok"]
        assert m["cadence_spm"] == pytest.approx(cadence, rel=0.15)
        uploads = list((live["data_dir"] / "uploads").rglob("*"))
        assert not [p for p in uploads if p.suffix in (".webm", ".mp4")]  # the clip was not kept
        assert [p for p in uploads if p.name.endswith(".keypoints.json")]
        ctx.close()
    finally:
        browser.close()


def test_offline_log_is_queued_and_synced_exactly_once(live: dict[str, Any], browser: Any) -> None:
    from retrowalk.storage.captures import IdempotencyKey
    from retrowalk.storage.db import Database
    from retrowalk.storage.models import SessionLog

    ctx = browser.new_context(viewport={"width": 400, "height": 900})
    page = ctx.new_page()
    _login(page, live["base"])
    log_url = f"{live['base']}/clients/{live['client_id']}/log"
    page.goto(log_url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "caches.open('retrowalk-pages-v1').then(c => c.match(location.pathname)).then(Boolean)",
        timeout=20_000,
    )
    page.reload()  # now under the service worker's control
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)

    ctx.set_offline(True)
    page.reload()  # the page opens without a connection
    page.wait_for_selector("form[data-offline-log]")
    page.fill("#notes", "saved at the gym, no signal")
    _answer_log(page)
    page.click("#save-session")
    status = page.locator("[data-sync-status]")
    page.wait_for_selector("[data-sync-status][data-waiting='1']")
    assert "waiting to sync" in status.inner_text()
    saved = page.evaluate("""() => new Promise((ok) => { const r = indexedDB.open('retrowalk-offline');
        r.onsuccess = () => { const q = r.result.transaction('logs').objectStore('logs').getAll();
        q.onsuccess = () => ok(q.result); }; })""")
    assert len(saved) == 1

    database = Database(live["db_url"])
    today = date.today()

    def count(model: Any, *where: Any) -> int:
        with database.transaction() as db:
            return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    assert count(SessionLog, SessionLog.notes == "saved at the gym, no signal") == 0

    ctx.set_offline(False)
    page.wait_for_selector("[data-sync-status][data-waiting='0']", timeout=20_000)
    assert "Synced 1" in status.inner_text()
    rows = count(
        SessionLog, SessionLog.notes == "saved at the gym, no signal", SessionLog.session_date == today
    )
    assert rows == live["exercises"]  # one log: a row per exercise of the programme, saved once

    # a retry of the same save (the answer was lost): nothing more is stored
    status_code = page.evaluate(
        "async ({action, fields}) => (await fetch(action, {method: 'POST', body: new URLSearchParams(fields),"
        " credentials: 'same-origin'})).status",
        {"action": saved[0]["action"], "fields": saved[0]["fields"]},
    )
    assert status_code == 200
    assert count(SessionLog, SessionLog.notes == "saved at the gym, no signal") == rows
    assert count(IdempotencyKey, IdempotencyKey.key == saved[0]["key"]) == 1
    database.dispose()
    ctx.close()


def test_treadmill_data_fills_the_dose_fields(live: dict[str, Any], browser: Any) -> None:
    """What a Treadmill Data notification does on the page (Web Bluetooth itself needs a device)."""
    ctx = browser.new_context(viewport={"width": 400, "height": 900})
    page = ctx.new_page()
    _login(page, live["base"])
    page.goto(f"{live['base']}/clients/{live['client_id']}/log")
    prefix = page.get_attribute("[data-capture]", "data-field-prefix")
    # speed 3.20 km/h, average speed 2.80 km/h, distance 650 m, incline 1.5 %, ramp n/a, 12 min 30 s
    value = bytes.fromhex("0e04400118018a02000f00ff7fee02")
    page.evaluate(
        "(hex) => document.querySelector('[data-capture]').ftmsNotify(new DataView("
        "Uint8Array.from(hex.match(/../g).map((x) => parseInt(x, 16))).buffer))",
        value.hex(),
    )
    field = lambda name: page.locator(f"[name='{prefix}{name}']").input_value()  # noqa: E731
    assert (field("speed_kmh"), field("incline_pct"), field("minutes")) == ("2.8", "1.5", "12.5")
    assert "650 m" in page.locator("[data-treadmill-live]").inner_text()
    ctx.close()
