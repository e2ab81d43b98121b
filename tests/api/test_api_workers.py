"""`retrowalk serve --workers N`: several server processes share one login-limits store (Redis),
refuse to start without one, and serve writes from every process into one database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.api.api_support import PASSWORD, free_port, server_env
from tests.api.live_server import redis_server, start_serve

from retrowalk.app.throttle import shared_storage
from retrowalk.errors import InputError
from retrowalk.storage import Database, crud

needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed (scripts/test installs it)"
)


def _world(data: Path) -> int:
    db = Database(f"sqlite:///{(data / 'retrowalk.sqlite3').resolve()}")
    db.upgrade()
    with db.transaction() as s:
        crud.create_user(s, "coach", PASSWORD, "trainer")
        other = crud.create_user(s, "coach2", PASSWORD, "trainer")
        client_id = crud.create_client(s, "Two Workers", trainer=other).id
    db.dispose()
    return client_id


def test_workers_without_a_shared_limits_store_exit_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "retrowalk", "serve", "--port", str(free_port()), "--workers", "2"],
        env=server_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    said = " ".join(run.stderr.split())
    assert "workers" in said and "RETROWALK_RATE_LIMIT_STORAGE_URL" in said, said


def test_an_unusable_limits_store_is_one_clear_error() -> None:
    with pytest.raises(InputError) as unknown:
        shared_storage("nosuch://127.0.0.1:1")
    assert unknown.value.field == "rate_limit_storage_url"
    port = free_port()  # nothing listens there
    with pytest.raises(InputError) as silent:
        shared_storage(f"redis://127.0.0.1:{port}")
    assert silent.value.field == "rate_limit_storage_url" and "does not answer" in silent.value.message


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, int, str, subprocess.Popen[bytes]]]:
    data = tmp_path / "data"
    client_id = _world(data)
    with redis_server() as url:
        env = {**server_env(data), "RETROWALK_RATE_LIMIT_STORAGE_URL": url}
        port = free_port()
        proc = start_serve(data, port, env=env, workers=2)
        try:
            yield f"http://127.0.0.1:{port}/api/v1", client_id, url, proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@needs_redis
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_workers_share_the_login_limits_and_the_database(
    two_workers: tuple[str, int, str, subprocess.Popen[bytes]],
) -> None:
    import redis

    base, client_id, url, proc = two_workers
    children = [
        int(p)
        for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    ]
    assert len(children) >= 2, children  # uvicorn's supervisor and its two server processes
    # failed logins, each on a new connection (any process may take it), count in one store:
    # the limit holds for the username as a whole, not once per process
    statuses = []
    for _ in range(7):
        with httpx.Client(timeout=10) as http:
            r = http.post(f"{base}/auth/login", json={"username": "coach", "password": "wrong password!"})
            statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429], statuses
    assert redis.Redis.from_url(url).keys("*"), "the limits were not kept in the shared store"
    # writes on several connections land in the one database, whichever process answers
    with httpx.Client(timeout=10) as http:
        r = http.post(f"{base}/auth/login", json={"username": "coach2", "password": PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
    days = [f"2026-01-{d:02d}" for d in range(1, 9)]
    for day in days:
        with httpx.Client(timeout=10, headers=headers) as http:
            body = {
                "session_date": day,
                "exercise_id": "forward_walk",
                "minutes": 10,
                "pain_during": 1,
                "pain_after": 1,
            }
            r = http.post(f"{base}/clients/{client_id}/session-logs", json=body)
            assert r.status_code == 201, r.text
    with httpx.Client(timeout=10, headers=headers) as http:
        logged = http.get(f"{base}/clients/{client_id}/session-logs").json()
    assert sorted(row["session_date"] for row in logged) == days
