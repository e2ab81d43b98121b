"""benchmarks/abuse.py replays every attack of issue #15 end to end (a smoke run at small size:
the figures are not asserted, but no attack may get a 5xx)."""

from __future__ import annotations

from tests.api.api_support import run_benchmark, table_rows


def test_abuse_benchmark_runs_every_attack_without_a_5xx() -> None:
    result = run_benchmark("abuse.py", "--scale", "0.02", timeout=600)
    header, *rows = table_rows(result.stdout)
    assert header[0] == "attack" and len(rows) >= 12  # one row per attack
    assert "5xx answers: 0" in result.stdout, result.stdout
    for row in rows:
        assert row[4] == "0", row  # /health never failed
    (probes,) = [row for row in rows if "username probes" in row[0]]
    assert "429" in probes[1], probes  # past the per-account quota
