"""benchmarks/abuse.py replays every attack of issue #15 end to end (a smoke run at small size:
the figures are not asserted, but no attack may get a 5xx)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_abuse_benchmark_runs_every_attack_without_a_5xx() -> None:
    env = dict(os.environ, RETROWALK_ARGON2_MEMORY_KIB="1024", RETROWALK_ARGON2_TIME_COST="1")
    env.pop("RETROWALK_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "abuse.py"), "--scale", "0.02"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) >= 12  # header + one row per attack
    assert "5xx answers: 0" in result.stdout, result.stdout
    for row in rows[1:]:
        assert row.split("|")[5].strip() == "0", row  # /health never failed
