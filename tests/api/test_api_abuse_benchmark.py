"""benchmarks/abuse.py replays every attack of issue #15 end to end (a smoke run at small size:
the figures are not asserted, but no attack may get a 5xx)."""

from __future__ import annotations

from tests.api.api_support import run_benchmark


def test_abuse_benchmark_runs_every_attack_without_a_5xx() -> None:
    out, rows = run_benchmark("abuse.py", "--scale", "0.02", timeout=600)
    assert len(rows) >= 12  # header + one row per attack
    assert "5xx answers: 0" in out, out
    for row in rows[1:]:
        assert row[4] == "0", row  # /health never failed
