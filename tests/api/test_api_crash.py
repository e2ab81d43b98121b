"""Crash safety: SIGKILL the real server in the middle of a burst of session-log writes; after a
restart every acknowledged (2xx) write is there and SQLite's integrity check passes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.api_support import PASSWORD, free_port, server_env
from tests.api.live_server import start_serve

from retrowalk.storage import Database, crud


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    # Hundreds of logs of one day: over the per-day cap, which is not what this test is about.
    return start_serve(
        data_dir, port, env={**server_env(data_dir), "RETROWALK_MAX_LOGS_PER_CLIENT_PER_DAY": "100000"}
    )


@pytest.fixture
def server_dir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    data = tmp_path / "data"
    db = Database(f"sqlite:///{(data / 'retrowalk.sqlite3').resolve()}")
    db.upgrade()
    with db.transaction() as s:
        trainer = crud.create_user(s, "coach", PASSWORD, "trainer")
        client_id = crud.create_client(s, "Burst", trainer=trainer).id
    db.dispose()
    yield data, client_id


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_acknowledged_writes_survive_sigkill(server_dir: tuple[Path, int]) -> None:
    data, client_id = server_dir
    port = free_port()
    proc = _start(data, port)
    base = f"http://127.0.0.1:{port}/api/v1"
    token = httpx.post(f"{base}/auth/login", json={"username": "coach", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(headers=headers, timeout=10) as http:
            n = 0
            while not stop.is_set():
                marker = f"w{worker}-{n}"
                n += 1
                try:
                    r = http.post(
                        f"{base}/clients/{client_id}/session-logs",
                        json={
                            "session_date": "2025-04-01",
                            "exercise_id": "retro_walk_1",
                            "minutes": 5,
                            "pain_during": 2,
                            "pain_after": 2,
                            "notes": marker,
                        },
                    )
                except httpx.HTTPError:
                    return  # the server died under us: this write was never acknowledged
                if 200 <= r.status_code < 300:
                    with lock:
                        acked.append(marker)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # mid-burst: writers are still sending
    proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert len(acked) >= 40, "the burst did not get going"

    con = sqlite3.connect(data / "retrowalk.sqlite3")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()

    port = free_port()
    proc = _start(data, port)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        stored = httpx.get(f"{base}/clients/{client_id}/session-logs", headers=headers, timeout=30).json()
        notes = {row["notes"] for row in stored}
        missing = [m for m in acked if m not in notes]
        assert missing == [], f"{len(missing)} acknowledged writes lost"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
