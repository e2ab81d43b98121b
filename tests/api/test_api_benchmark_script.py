"""The load benchmark still runs end to end (a smoke run: the figures are not asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_load_benchmark_runs_and_reports_both_scenarios() -> None:
    env = dict(os.environ, RETROWALK_ARGON2_MEMORY_KIB="1024", RETROWALK_ARGON2_TIME_COST="1")
    env.pop("RETROWALK_DATABASE_URL", None)
    args = ["--rate", "50", "--requests", "40", "--clients", "2", "--connections", "4"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "api_load.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "ms" not in line]
    assert [r.split("|")[1].strip() for r in rows] == ["log a session", "fetch a client's outcomes"]
    assert all(r.split("|")[-2].strip() == "0" for r in rows)  # no errors
