"""`retrowalk db upgrade|backup`, `retrowalk user ...` and the first-start demo seed."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.api.api_support import free_port, server_env
from tests.api.live_server import wait_healthy
from typer.testing import CliRunner

from retrowalk.cli.main import app
from retrowalk.settings import get_settings
from retrowalk.storage import Database, crud
from retrowalk.storage.db import head_revision
from retrowalk.storage.seed import seed_demo

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RETROWALK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_db_upgrade_and_backup(data_dir: Path, tmp_path: Path) -> None:
    r = runner.invoke(app, ["db", "upgrade", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["revision"] == head_revision()
    r = runner.invoke(app, ["db", "backup", str(tmp_path / "bk.sqlite3"), "--format", "json"])
    assert r.exit_code == 0, r.output
    con = sqlite3.connect(tmp_path / "bk.sqlite3")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    r = runner.invoke(app, ["db", "backup", str(tmp_path)])
    assert r.exit_code == 2 and "path" in r.stderr


def test_user_add_and_set_password(data_dir: Path) -> None:
    r = runner.invoke(
        app,
        ["user", "add", "boss", "--role", "admin", "--password-stdin", "--format", "json"],
        input="a long admin password\n",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["role"] == "admin"
    r = runner.invoke(app, ["user", "add", "boss", "--password-stdin"], input="another long password\n")
    assert r.exit_code == 2 and "username" in r.stderr
    r = runner.invoke(app, ["user", "add", "x", "--password-stdin"], input="short\n")
    assert r.exit_code == 2 and "password" in r.stderr
    r = runner.invoke(
        app, ["user", "set-password", "boss", "--password-stdin"], input="a newer long password\n"
    )
    assert r.exit_code == 0
    db = Database(get_settings().resolved_database_url)
    with db.transaction() as s:
        assert crud.authenticate(s, "boss", "a newer long password") is not None
    db.dispose()


def test_demo_seed_only_on_an_empty_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'seed.sqlite3'}")
    db.upgrade()
    with db.transaction() as s:
        creds = seed_demo(s)
    assert {c.role for c in creds} == {"admin", "trainer", "client"}
    with db.transaction() as s:
        for c in creds:
            user = crud.authenticate(s, c.username, c.password)
            assert user is not None and c.password not in user.password_hash
        trainer = crud.get_user_by_username(s, "demo-trainer")
        assert trainer is not None
        (client,) = crud.list_clients_for(s, trainer)
        assert crud.list_assessments(s, client.id) and crud.current_programme(s, client.id) is not None
        assert len(crud.list_session_logs(s, client.id)) >= 3
        assert seed_demo(s) == []  # never twice
    db.dispose()


def test_start_format_json_prints_only_json_and_the_logins_work(tmp_path: Path) -> None:
    """`retrowalk start --format json`: stdout is one JSON document (logs go to stderr)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrowalk", "start", "--port", str(port), "--format", "json"],
        env=server_env(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(proc, port)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    info = json.loads(out)
    assert info["url"] == f"http://127.0.0.1:{port}/"
    roles = {c["role"]: c for c in info["demo_logins"]}
    assert set(roles) == {"admin", "trainer", "client"}
    # The printed password is the real one: it logs in against the seeded database.
    with subprocess.Popen(
        [sys.executable, "-m", "retrowalk", "serve", "--port", str(port), "--format", "json"],
        env=server_env(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as again:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    r = httpx.post(
                        f"http://127.0.0.1:{port}/api/v1/auth/login",
                        json={k: roles["trainer"][k] for k in ("username", "password")},
                        timeout=2,
                    )
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                pytest.fail("serve did not come up")
            assert r.status_code == 200, r.text
        finally:
            again.send_signal(signal.SIGINT)
            served, _ = again.communicate(timeout=30)
    assert json.loads(served)["url"] == f"http://127.0.0.1:{port}/"
