"""Faults: a full or read-only database answers 503 with a clear message and /health reports it;
a bad data directory stops start-up with one line and exit 2; files are owner-only."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event
from tests.api.api_support import World, make_settings, server_env
from tests.api.worlds import world_fixture

from retrowalk.api.app import create_app
from retrowalk.errors import InputError

sqlite_world = world_fixture("sqlite_world", db="data/db.sqlite3")


def _break_storage(world: World, pragma: str) -> None:
    """Every new connection gets ``pragma`` (a real SQLite refusal, as on a full or read-only disk)."""
    engine = world.app.state.db.engine

    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute(pragma)

    engine.dispose()


def test_read_only_database_is_503_and_health_says_so(sqlite_world: World) -> None:
    world = sqlite_world
    assert world.http.get("/api/v1/health").status_code == 200
    _break_storage(world, "PRAGMA query_only = ON")
    r = world.http.get(f"/api/v1/clients/{world.ids['client_a']}", headers=world.headers["trainer_a"])
    assert r.status_code == 503 and "read-only" in r.json()["detail"]
    assert r.headers["retry-after"]
    page = world.http.get("/", headers={**world.headers["trainer_a"], "Accept": "text/html"})
    assert page.status_code == 503 and "<h1>Service unavailable</h1>" in page.text
    health = world.http.get("/api/v1/health")
    assert health.status_code == 503 and "read-only" in health.json()["detail"]


def test_full_database_is_503_and_health_says_so(sqlite_world: World) -> None:
    world = sqlite_world
    with world.app.state.db.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    _break_storage(world, f"PRAGMA max_page_count = {pages}")
    codes = set()
    for _ in range(400):  # audit rows fill the last free pages, then every write fails
        r = world.http.post("/api/v1/clients", json={"name": "x" * 190}, headers=world.headers["trainer_a"])
        codes.add(r.status_code)
        if r.status_code == 503:
            assert "disk is full" in r.json()["detail"]
            break
    assert 503 in codes and 500 not in codes
    assert world.http.get("/api/v1/health").json()["detail"].endswith("the disk is full")


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retrowalk", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_on_a_bad_data_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for bad in (blocker, blocker / "below"):
        result = _serve({**server_env(bad), "COLUMNS": "400"})
        assert result.returncode == 2, result.stderr
        error, *rest = [line for line in result.stderr.splitlines() if line.strip()]
        assert error.startswith("error: data_dir:") and str(blocker) in error
        assert len(rest) <= 1 and "Traceback" not in result.stderr  # the one line and its hint


def test_data_directory_and_database_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # an existing, too open directory is tightened
    app = create_app(make_settings(data, f"sqlite:///{data / 'retrowalk.sqlite3'}"))
    try:
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        db_file = data / "retrowalk.sqlite3"
        assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    finally:
        app.state.db.dispose()


def test_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="secret_key"):
        create_app(
            make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}").model_copy(
                update={"secret_key": "x"}
            )
        )
    env = {**server_env(tmp_path / "data"), "RETROWALK_SECRET_KEY": "short"}
    result = _serve(env)
    assert result.returncode == 2 and "secret_key" in result.stderr and "Traceback" not in result.stderr
