"""Uploads answer at once with "queued"; the worker (a real huey SQLite queue) analyses them."""

from __future__ import annotations

import time
from pathlib import Path

from tests.api.api_support import build_world, make_settings, walking_csv

from retrowalk.api.app import create_app
from retrowalk.jobs import EmbeddedWorker, queue_for


def test_upload_is_queued_then_analysed_by_the_worker(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'app.sqlite3'}", jobs_backend="sqlite"
    )
    app = create_app(settings)
    world = build_world(app)
    url = f"/api/v1/clients/{world.ids['client_a']}/recordings"
    h = world.headers["client_a"]
    r = world.http.post(
        url, headers=h, files={"file": ("walk.csv", walking_csv(), "text/csv")}, data={"kind": "imu"}
    )
    assert r.status_code == 201 and r.json()["status"] == "queued" and r.json()["metrics"] is None
    rec_id = r.json()["id"]
    worker = EmbeddedWorker(queue_for(app.state))
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while (body := world.http.get(f"{url}/{rec_id}", headers=h).json())["status"] in (
            "queued",
            "analysing",
        ):
            assert time.monotonic() < deadline, body
            time.sleep(0.1)
    finally:
        worker.stop()
        app.state.db.dispose()
    assert body["status"] == "analysed" and body["metrics"]["steps"] > 5
    assert body["quality"]["ok"] is True
