"""Server-side time of every page, the PDF report and the main API reads at clinic scale (not a test).

Builds a clinic with ``benchmarks/clinic_data.py`` (5 trainers, 100 clients, a year of records
by default), then calls the real app in-process over ASGI, one request at a time, so the figures
are the server's own time (routing, queries, rendering) without sockets or a load generator.
A trainer's pages cycle through that trainer's clients; client pages use one client's login.
Besides wall time, each request's CPU time (the whole process's, requests run one at a time) is
kept: on a machine shared with other work it shows the server's own cost.
Prints a markdown table of p50/p95/p99 per page: SQLite always, PostgreSQL too when
``RETROWALK_TEST_POSTGRES_URL`` (or ``--postgres-url``) names a server (a throw-away database is
created on it and dropped afterwards).

    python benchmarks/pages.py --requests 20
    python benchmarks/pages.py --sqlite clinic.sqlite3   # reuse (or keep) a generated clinic
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))

import httpx
from clinic_data import ClinicSize, generate
from live_server import postgres_database

from retrowalk.reports.charts import CHART_KEYS
from retrowalk.storage import Database, crud

#: (label, role, path template); {c} is a client id the user may see, {v} the chart's version that
#: the client page named (the page is fetched first, untimed, when a path has one).
PAGES: list[tuple[str, str, str]] = [
    ("web: trainer dashboard", "trainer", "/"),
    ("web: client page", "trainer", "/clients/{c}"),
    # each chart the client page references, fetched as the browser does after the page
    *((f"web: client chart {k}", "trainer", f"/clients/{{c}}/charts/{k}.svg?v={{v}}") for k in CHART_KEYS),
    ("web: assessment form", "trainer", "/clients/{c}/assessment"),
    ("web: KOOS form", "trainer", "/clients/{c}/koos"),
    ("web: session log (trainer)", "trainer", "/clients/{c}/log"),
    ("web: recordings", "trainer", "/clients/{c}/recordings"),
    ("web: new client form", "trainer", "/clients/new"),
    ("web: trials", "trainer", "/trials"),
    ("web: client home", "client", "/"),
    ("web: session log (client)", "client", "/clients/{c}/log"),
    ("web: my progress (client)", "client", "/clients/{c}/progress"),
    ("PDF report", "trainer", "/clients/{c}/report.pdf"),
    ("API: clients", "trainer", "/api/v1/clients"),
    ("API: client", "trainer", "/api/v1/clients/{c}"),
    ("API: assessments", "trainer", "/api/v1/clients/{c}/assessments"),
    ("API: KOOS", "trainer", "/api/v1/clients/{c}/koos"),
    ("API: programmes", "trainer", "/api/v1/clients/{c}/programmes"),
    ("API: current programme", "trainer", "/api/v1/clients/{c}/programmes/current"),
    ("API: session logs", "trainer", "/api/v1/clients/{c}/session-logs"),
    ("API: next session", "trainer", "/api/v1/clients/{c}/session-logs/next"),
    ("API: outcomes", "trainer", "/api/v1/clients/{c}/outcomes"),
    ("API: recordings", "trainer", "/api/v1/clients/{c}/recordings"),
    ("API: FHIR bundle", "trainer", "/api/v1/clients/{c}/fhir"),
]


@dataclass
class Row:
    label: str
    statuses: set[int]
    ms: list[float]
    cpu_ms: list[float]


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)


def _logins(database: Database, trainer: str, client: str) -> tuple[dict[str, str], dict[str, list[int]]]:
    """Bearer tokens per role, and the client ids each may open (through crud, like a login)."""
    tokens: dict[str, str] = {}
    visible: dict[str, list[int]] = {}
    with database.transaction() as db:
        for role, username in (("trainer", trainer), ("client", client)):
            user = crud.get_user_by_username(db, username)
            assert user is not None, username
            tokens[role] = crud.create_auth_session(db, user, ttl=timedelta(hours=4))
            visible[role] = [c.id for c in crud.list_clients_for(db, user)]
    return tokens, visible


async def _path(http: httpx.AsyncClient, headers: dict[str, str], template: str, client_id: int) -> str:
    """The path for one client; a chart's carries the version its client page names."""
    if "{v}" not in template:
        return template.format(c=client_id)
    page = await http.get(f"/clients/{client_id}", headers=headers)
    key = template.split("/charts/")[1].split(".svg")[0]
    version = page.text.split(f"/charts/{key}.svg?v=")[1].split('"')[0]
    return template.format(c=client_id, v=version)


async def _time_pages(
    app: Any, tokens: dict[str, str], visible: dict[str, list[int]], opts: Any
) -> list[Row]:
    rows: list[Row] = []
    transport = httpx.ASGITransport(app=app)  # runs no lifespan: entered below, as uvicorn does
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http,
    ):
        for label, role, template in PAGES:
            if opts.only and not any(word.lower() in label.lower() for word in opts.only):
                continue
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            ids = visible[role]
            row = Row(label, set(), [], [])
            for c in ids if opts.warm else ids[:1]:  # warm-up (first-use caches; --warm: every client)
                await http.get(await _path(http, headers, template, c), headers=headers)
            budget_end = time.perf_counter() + opts.budget_s
            for i in range(opts.requests):
                path = await _path(http, headers, template, ids[i % len(ids)])
                start, cpu = time.perf_counter(), time.process_time()
                response = await http.get(path, headers=headers)
                row.ms.append((time.perf_counter() - start) * 1000)
                row.cpu_ms.append((time.process_time() - cpu) * 1000)
                row.statuses.add(response.status_code)
                if i + 1 >= opts.min_requests and time.perf_counter() > budget_end:
                    break
            rows.append(row)
            print(
                f"  {label}: {len(row.ms)} requests, p50 {statistics.median(row.ms):.1f} ms", file=sys.stderr
            )
    return rows


def _run(database_url: str, data_dir: Path, opts: Any, *, generate_data: bool) -> list[Row]:
    from retrowalk.api.app import create_app
    from retrowalk.settings import Settings

    database = Database(database_url)
    database.upgrade()
    if generate_data:
        size = ClinicSize(opts.trainers, opts.clients, opts.days)
        started = time.perf_counter()
        clinic = generate(database, size, seed=opts.seed)
        print(
            f"generated in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{n} {k}" for k, n in clinic.counts.items()),
            file=sys.stderr,
        )
    tokens, visible = _logins(database, "trainer-00", "client-000")
    database.dispose()
    # PDFs are rendered by jobs (retrowalk.jobs.renders): "immediate" runs each one inside the
    # request that queued it, so a first view times the whole render, a repeat view the cache.
    settings = Settings(
        data_dir=data_dir, database_url=database_url, secret_key="b" * 64, jobs_backend="immediate"
    )
    app = create_app(settings)
    try:
        return asyncio.run(_time_pages(app, tokens, visible, opts))
    finally:
        app.state.db.dispose()


def _table(results: dict[str, list[Row]]) -> str:
    backends = list(results)
    head = "| page | " + " | ".join(f"{b} p50 / p95 / p99 ms | {b} CPU p50 ms" for b in backends) + " | n |"
    lines = [head, "|---|" + "---:|---:|" * len(backends) + "---:|"]
    for i, row in enumerate(results[backends[0]]):
        cells = []
        for b in backends:
            r = results[b][i]
            status = "" if r.statuses == {200} else f" (HTTP {','.join(map(str, sorted(r.statuses)))})"
            p = [_percentile(r.ms, q) for q in (50, 95, 99)]
            cells.append(f"{p[0]:.1f} / {p[1]:.1f} / {p[2]:.1f}{status}")
            cells.append(f"{statistics.median(r.cpu_ms):.1f}")
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {len(row.ms)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--min-requests", type=int, default=5, help="at least this many per page")
    parser.add_argument("--budget-s", type=float, default=30.0, help="stop a page after this (once min)")
    parser.add_argument("--trainers", type=int, default=ClinicSize.trainers)
    parser.add_argument("--clients", type=int, default=ClinicSize.clients)
    parser.add_argument("--days", type=int, default=ClinicSize.days)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sqlite", type=Path, help="SQLite file to reuse (generated there if absent)")
    parser.add_argument("--postgres-url", default=os.environ.get("RETROWALK_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--warm", action="store_true", help="open every page for every client once first (repeat views)"
    )
    parser.add_argument("--only", nargs="*", help="time only pages whose label contains one of these")
    opts = parser.parse_args()
    if opts.no_sqlite and not opts.postgres_url:
        parser.error("--no-sqlite needs --postgres-url or RETROWALK_TEST_POSTGRES_URL")

    results: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="retrowalk-pages-") as tmp:
        sqlite_file = opts.sqlite or Path(tmp) / "clinic.sqlite3"
        fresh = not sqlite_file.exists()
        if not opts.no_sqlite:
            print(f"SQLite: {sqlite_file}{' (generating)' if fresh else ' (reused)'}", file=sys.stderr)
            results["SQLite"] = _run(
                f"sqlite:///{sqlite_file.resolve()}", Path(tmp) / "data", opts, generate_data=fresh
            )
        if opts.postgres_url:
            print("PostgreSQL: generating", file=sys.stderr)
            with postgres_database(opts.postgres_url, "retrowalk_pages") as url:
                results["PostgreSQL"] = _run(url, Path(tmp) / "pg-data", opts, generate_data=True)
    print(
        f"\n{opts.trainers} trainers, {opts.clients} clients, {opts.days} days; trainer-00's pages; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n"
    )
    print(_table(results))


if __name__ == "__main__":
    main()
