"""A real server subprocess on loopback: a free port, and waiting until it answers /health.

Only the standard library and httpx, so benchmarks/api_load.py can import it too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
    data_dir: Path, port: int, host: str = "127.0.0.1", *, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``retrowalk serve`` on ``data_dir`` (``env``: default :func:`own_data_env`), returned once
    healthy (killed, and RuntimeError, if it never is)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrowalk", "serve", "--host", host, "--port", str(port)],
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
