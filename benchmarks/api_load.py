"""Load benchmark for the REST API on loopback (not a test).

Open-loop load at a fixed request rate (latency counted from each request's scheduled start, so
a slow server cannot hide queueing), a bounded number of requests per scenario:
  - "log a session":            POST /api/v1/clients/{id}/session-logs (write + progression engine)
  - "fetch a client's outcomes": GET  /api/v1/clients/{id}/outcomes     (read of every series)

Without --url it starts `retrowalk serve` itself on a free 127.0.0.1 port with a throw-away
SQLite data directory (or, with --postgres-url, a throw-away database on that PostgreSQL server)
and a trainer/clients/programmes, and stops it afterwards. --workers N serves with N processes;
above one they share the login limits through a throw-away redis-server, as production would.

    python benchmarks/api_load.py --rate 200 --requests 2000
    python benchmarks/api_load.py --rate 400 --workers 2 --postgres-url "$RETROWALK_TEST_POSTGRES_URL"
    python benchmarks/api_load.py --url http://127.0.0.1:8000 --username demo-trainer \\
        --password ... --client-id 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))
from live_server import free_port, own_data_env, postgres_database, redis_server, start_serve

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"


def _prepare(database_url: str, clients: int) -> list[int]:
    sys.path.insert(0, str(ROOT / "src"))
    from retrowalk.app import clinical
    from retrowalk.storage import Database, crud

    db = Database(database_url)
    db.upgrade()
    ids = []
    with db.transaction() as s:
        trainer = crud.create_user(s, "bench", PASSWORD, "trainer")
        inputs, findings = clinical.evaluate_assessment(clinical.demo_assessment_inputs())
        content = clinical.prescribe(findings, pain_nprs=4, goals=["walking"])
        for n in range(clients):
            client = crud.create_client(s, f"Load {n}", trainer=trainer)
            a = crud.add_assessment(
                s, client.id, inputs=inputs, findings=findings, pain_nprs=4, stop=False, by=trainer
            )
            crud.add_programme(
                s, client.id, content=content, assessment_id=a.id, pain_nprs=4, goals=[], by=trainer
            )
            ids.append(client.id)
    db.dispose()
    return ids


def _start_server(data_dir: Path, port: int, env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    try:
        return start_serve(data_dir, port, env=env, workers=workers)
    except RuntimeError as exc:
        raise SystemExit("server did not start") from exc


async def _run(rate: float, n: int, call: Callable[[int], Awaitable[int]]) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    t0 = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = t0 + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            ok = await call(i) < 400
        except aiohttp.ClientError:
            ok = False
        latencies.append((time.perf_counter() - scheduled) * 1000)
        errors += 0 if ok else 1

    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t0
    return n / elapsed, latencies, errors


def _cpu_seconds(server_pid: int | None) -> dict[str, float]:
    """CPU seconds (user + system) so far of the server's process tree, of the PostgreSQL server
    processes on this machine (with the backends that exited, which the postmaster has reaped)
    and of this load generator."""

    def used(p: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            return t.user + t.system + t.children_user + t.children_system
        return 0.0

    me = resource.getrusage(resource.RUSAGE_SELF)
    totals = {"server": 0.0, "PostgreSQL": 0.0, "load generator": me.ru_utime + me.ru_stime}
    if server_pid is not None:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(server_pid)
            totals["server"] = sum(used(p) for p in [root, *root.children(recursive=True)])
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in {"postgres", "postmaster"}:
            totals["PostgreSQL"] += used(p)
    return totals


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def main_async(
    args: argparse.Namespace, base: str, client_ids: list[int], server_pid: int | None = None
) -> None:
    # aiohttp rather than httpx: the load generator shares the 2 cores with the server, and
    # httpx spent about as much CPU per request as the server did.
    connector = aiohttp.TCPConnector(limit=args.connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        async with http.post(
            "/api/v1/auth/login", json={"username": args.username, "password": args.password}
        ) as login:
            login.raise_for_status()
            token = (await login.json())["token"]
        http.cookie_jar.clear()
        headers = {"Authorization": f"Bearer {token}"}
        start = date(2025, 1, 1)

        async def log_session(i: int) -> int:
            # Round-robin over the clients, one session day every two logs per client.
            client_id = client_ids[i % len(client_ids)]
            day = start + timedelta(days=(i // len(client_ids)) // 2)
            body = {
                "session_date": day.isoformat(),
                "exercise_id": "retro_walk_1",
                "minutes": 5,
                "speed_kmh": 2.0,
                "handrails": "both",
                "pain_during": 2,
                "pain_after": 2,
                "pain_next_morning": 1,
                "notes": f"load {i}",
            }
            url = f"/api/v1/clients/{client_id}/session-logs"
            async with http.post(url, json=body, headers=headers) as r:
                await r.read()
                return r.status

        async def outcomes(i: int) -> int:
            url = f"/api/v1/clients/{client_ids[i % len(client_ids)]}/outcomes"
            async with http.get(url, headers=headers) as r:
                await r.read()
                return r.status

        async def health(i: int) -> int:
            async with http.get("/api/v1/health") as r:
                await r.read()
                return r.status

        scenarios = [("log a session", log_session), ("fetch a client's outcomes", outcomes)]
        if args.floor:
            scenarios.append(("floor: GET /health", health))
        rows = []
        for name, call in scenarios:
            await _run(args.rate, min(50, args.requests), call)  # warm-up
            before = _cpu_seconds(server_pid)
            achieved, lat, errors = await _run(args.rate, args.requests, call)
            after = _cpu_seconds(server_pid)
            cpu = {k: 1000 * (after[k] - before[k]) / args.requests for k in before}
            rows.append((name, achieved, _pct(lat, 50), _pct(lat, 95), _pct(lat, 99), max(lat), errors, cpu))
    print(
        f"\n{args.requests} requests per scenario, offered {args.rate:g} req/s, "
        f"{args.connections} connections, {base}"
    )
    # CPU per request: where the machine's cores went (server, database, this generator), which
    # says what a rate needs of the machine whatever else was running on it
    print(
        f"| {'scenario':27} | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| CPU ms/req: server | PostgreSQL | load generator |"
    )
    print(f"|{'-' * 29}|------:|-------:|-------:|-------:|-------:|-------:|------:|------:|------:|")
    for name, achieved, p50, p95, p99, worst, errors, cpu in rows:
        cells = f"{achieved:5.0f} | {p50:6.1f} | {p95:6.1f} | {p99:6.1f} | {worst:6.1f} | {errors:6d}"
        measured = {"load generator"} | ({"server"} if server_pid is not None else set())
        if args.postgres_url and server_pid is not None:
            measured.add("PostgreSQL")  # the own server's database is on this machine
        shares = " | ".join(
            f"{cpu[k]:.2f}" if k in measured else "–" for k in ("server", "PostgreSQL", "load generator")
        )
        print(f"| {name:27} | {cells} | {shares} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running server; default: start one on a throw-away SQLite database")
    p.add_argument("--username", default="bench")
    p.add_argument("--password", default=PASSWORD)
    p.add_argument(
        "--client-id", type=int, action="append", help="with --url: client(s) to drive (repeatable)"
    )
    p.add_argument("--clients", type=int, default=20, help="clients to spread the load over (own server)")
    p.add_argument("--rate", type=float, default=200.0, help="offered load, requests per second")
    p.add_argument("--requests", type=int, default=2000, help="requests per scenario (bounded)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=1, help="server processes (own server)")
    p.add_argument("--postgres-url", help="own server on a throw-away database of this PostgreSQL server")
    p.add_argument(
        "--floor",
        action="store_true",
        help="also time GET /api/v1/health (one SELECT 1 through the same stack): the cost of any request",
    )
    args = p.parse_args()
    if args.url:
        if args.client_id is None:
            p.error("--client-id is required with --url")
        asyncio.run(main_async(args, args.url.rstrip("/"), args.client_id))
        return
    with contextlib.ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        extra: dict[str, str] = {}
        if args.postgres_url:
            extra["RETROWALK_DATABASE_URL"] = stack.enter_context(postgres_database(args.postgres_url))
        if args.workers > 1:
            extra["RETROWALK_RATE_LIMIT_STORAGE_URL"] = stack.enter_context(redis_server())
        database_url = extra.get(
            "RETROWALK_DATABASE_URL", f"sqlite:///{(data / 'retrowalk.sqlite3').resolve()}"
        )
        client_ids = _prepare(database_url, args.clients)
        port = free_port()
        proc = _start_server(data, port, own_data_env(data, **extra), args.workers)
        try:
            backend = "PostgreSQL" if args.postgres_url else "SQLite"
            print(f"server: {args.workers} process(es), {backend}, pid {proc.pid}", file=sys.stderr)
            asyncio.run(main_async(args, f"http://127.0.0.1:{port}", client_ids, proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
