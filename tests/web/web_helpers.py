"""Helpers for the web tests: external tools are skipped locally but required in CI; one way to
start a real server and one way to launch Debian's Chromium, shared by every browser test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.api.live_server import free_port, own_data_env, wait_healthy

#: The checkout (tests write their screenshots and artifacts below it).
ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags Chromium's connections are refused by the closed network.
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} is required in CI (install poppler-utils / chromium)")
        pytest.skip(f"{name} not installed")
    return path


@contextmanager
def uvicorn_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A real ``retrowalk`` app under uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", "retrowalk.api.app:create_app"),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_healthy(proc, port)
            except RuntimeError as exc:
                pytest.fail(f"server did not start ({exc}):\n" + log_path.read_text())
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def live_app(data_dir: Path, first_user: tuple[str, str, str, str], **settings: str) -> Iterator[str]:
    """A real server on its own SQLite data directory, with one account made first the way an
    operator would (storage API, in its own process); ``settings`` are extra environment values."""
    env = own_data_env(data_dir)
    username, password, role, display = first_user
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from retrowalk.settings import get_settings\n"
            "from retrowalk.storage.db import Database\n"
            "from retrowalk.storage import crud\n"
            "d = Database(get_settings().resolved_database_url); d.upgrade()\n"
            "with d.transaction() as db:\n"
            f"    crud.create_user(db, {username!r}, {password!r}, {role!r}, display_name={display!r})\n",
        ],
        env=env,
        check=True,
        timeout=120,
    )
    with uvicorn_server({**env, **settings}, data_dir / "server.log") as base:
        yield base


@contextmanager
def playwright() -> Iterator[Any]:
    """Playwright, once Debian's Chromium is there (skips locally, fails in CI, when it is not)."""
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(p: Any, extra_args: Sequence[str] = ()) -> Any:
    """Debian's Chromium under Playwright (the tool's own browser download does not work here)."""
    return p.chromium.launch(executable_path=CHROMIUM, args=[*CHROME_ARGS, *extra_args])


@contextmanager
def chromium(extra_args: tuple[str, ...] = ()) -> Iterator[Any]:
    """One Chromium for a test module (see :func:`launch`), closed afterwards."""
    with playwright() as p:
        b = launch(p, extra_args)
        try:
            yield b
        finally:
            b.close()
