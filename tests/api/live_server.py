"""A real server subprocess on loopback: a free port, and waiting until it answers /health.

Only the standard library and httpx, so benchmarks/api_load.py can import it too.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    """A free TCP port on loopback for a real server subprocess."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout_s: float = 60) -> None:
    """Return once GET /api/v1/health answers 200; RuntimeError if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def own_data_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment for a server subprocess of this checkout: its ``src`` first on the
    path, its own data directory (so its own SQLite: a DATABASE_URL from outside is dropped)."""
    env = {
        **os.environ,
        "RETROWALK_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        **extra,
    }
    if "RETROWALK_DATABASE_URL" not in extra:
        env.pop("RETROWALK_DATABASE_URL", None)
    return env


def start_serve(
    data_dir: Path,
    port: int,
    host: str = "127.0.0.1",
    *,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> subprocess.Popen[bytes]:
    """``retrowalk serve`` on ``data_dir`` (``env``: default :func:`own_data_env`), returned once
    healthy (killed, and RuntimeError, if it never is)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrowalk", "serve", "--host", host, "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        env=own_data_env(data_dir) if env is None else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(proc, port)
    except RuntimeError:
        proc.kill()
        raise
    return proc


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away ``redis-server`` on a free loopback port (no persistence), its URL; stopped
    afterwards. RuntimeError when the binary is missing or it does not answer."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        proc = subprocess.Popen(
            [binary, *args, "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def postgres_database(server_url: str, prefix: str = "retrowalk_bench") -> Iterator[str]:
    """A throw-away database on the PostgreSQL server of ``server_url``; its URL, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
