"""The load benchmark still runs end to end (a smoke run: the figures are not asserted)."""

from __future__ import annotations

from tests.api.api_support import run_benchmark, table_rows


def test_api_load_benchmark_runs_and_reports_both_scenarios() -> None:
    args = ["--rate", "50", "--requests", "40", "--clients", "2", "--connections", "4", "--floor"]
    result = run_benchmark("api_load.py", *args, timeout=300)
    rows = [r for r in table_rows(result.stdout) if not any("ms" in cell for cell in r)]
    assert [r[0] for r in rows] == ["log a session", "fetch a client's outcomes", "floor: GET /health"]
    assert all(r[6] == "0" for r in rows)  # no errors
    # CPU per request of the server and the load generator (no PostgreSQL here: not measured)
    assert all(float(r[7]) > 0 and r[8] == "–" and float(r[9]) > 0 for r in rows)
