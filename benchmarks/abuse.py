"""Replays the attacks of issue #15 against a real `retrowalk serve` on loopback (not a test).

Starts the server itself on a free 127.0.0.1 port with a throw-away SQLite data directory, a
trainer and a client (with a programme), production argon2 settings unless overridden, and for
each attack prints the server's peak RSS, the p95 of /health (polled every 50 ms during it) and
the status codes returned. Every attack is bounded in count and time; nothing leaves 127.0.0.1.

    python benchmarks/abuse.py              # the sizes of the issue
    python benchmarks/abuse.py --scale 0.05 # a smoke run (the test suite does this)
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import platform
import sqlite3
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))
from live_server import free_port, start_serve

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "abuse benchmark password"
HOST = "127.0.0.1"
ATTACK_TIMEOUT_S = 120.0


@dataclass
class Result:
    name: str
    codes: Counter[int] = field(default_factory=Counter)
    peak_rss_mb: float = 0.0
    health_ms: list[float] = field(default_factory=list)
    health_failures: int = 0
    seconds: float = 0.0

    def p95(self) -> float:
        if not self.health_ms:
            return float("nan")
        values = sorted(self.health_ms)
        return values[min(len(values) - 1, int(0.95 * len(values)))]


def _poll_health(url: str, stop: Any, out: Any) -> None:
    """In its own process, so the attackers' threads (and their GIL) cannot delay the probe."""
    times: list[float] = []
    failures = 0
    with httpx.Client(timeout=10) as http:
        while not stop.is_set():
            start = time.perf_counter()
            try:
                ok = http.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append((time.perf_counter() - start) * 1000)
            failures += not ok
            time.sleep(0.05)
    out.send((times, failures))


class Watch:
    """Samples the server's RSS (with children) and times /health while an attack runs."""

    def __init__(self, pid: int, base: str, result: Result) -> None:
        self.proc = psutil.Process(pid)
        self.result = result
        self.stop = threading.Event()
        self.rss = threading.Thread(target=self._rss)
        self.probe_stop = multiprocessing.Event()
        self.receive, send = multiprocessing.Pipe(duplex=False)
        self.probe = multiprocessing.Process(
            target=_poll_health, args=(f"{base}/api/v1/health", self.probe_stop, send)
        )

    def _rss(self) -> None:
        while not self.stop.is_set():
            try:
                rss = self.proc.memory_info().rss + sum(c.memory_info().rss for c in self.proc.children(True))
            except psutil.Error:
                rss = 0
            self.result.peak_rss_mb = max(self.result.peak_rss_mb, rss / 2**20)
            time.sleep(0.02)

    def __enter__(self) -> Watch:
        self.rss.start()
        self.probe.start()
        time.sleep(0.2)  # the probe is running before the attack starts
        return self

    def __exit__(self, *_exc: object) -> None:
        time.sleep(0.1)  # one more health sample after the attack
        self.probe_stop.set()
        self.result.health_ms, self.result.health_failures = self.receive.recv()
        self.probe.join()
        self.stop.set()
        self.rss.join()


def _prepare(data_dir: Path) -> tuple[int, int]:
    """A trainer and a client with a login and a programme; returns (client id, trainer id)."""
    sys.path.insert(0, str(ROOT / "src"))
    from retrowalk.app import clinical
    from retrowalk.storage import Database, crud

    db = Database(f"sqlite:///{(data_dir / 'retrowalk.sqlite3').resolve()}")
    db.upgrade()
    with db.transaction() as s:
        crud.create_user(s, "admin", PASSWORD, "admin")
        trainer = crud.create_user(s, "trainer", PASSWORD, "trainer")
        client = crud.create_client(s, "Client", trainer=trainer)
        crud.create_user(s, "client", PASSWORD, "client", client_id=client.id)
        inputs, findings = clinical.evaluate_assessment(clinical.demo_assessment_inputs())
        content = clinical.prescribe(findings, pain_nprs=4, goals=["walking"])
        a = crud.add_assessment(
            s, client.id, inputs=inputs, findings=findings, pain_nprs=4, stop=False, by=trainer
        )
        crud.add_programme(
            s, client.id, content=content, assessment_id=a.id, pain_nprs=4, goals=[], by=trainer
        )
        ids = client.id, trainer.id
    db.dispose()
    return ids


def _render_jobs(data_dir: Path) -> int:
    """PDF render jobs the server has queued so far (its job rows, read beside it)."""
    with sqlite3.connect(f"file:{data_dir / 'retrowalk.sqlite3'}?mode=ro", uri=True) as con:
        return int(con.execute("SELECT count(*) FROM jobs WHERE name = 'render_document'").fetchone()[0])


def _npz_bomb(uncompressed: int) -> bytes:
    """A .npz whose one member expands to ``uncompressed`` zero bytes (written in chunks)."""
    import numpy as np

    n = uncompressed // 8
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("keypoints.npy", "w", force_zip64=True) as member,
    ):
        member.write(header.getvalue())
        chunk = bytes(1 << 20)
        left = n * 8
        while left > 0:
            member.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return buf.getvalue()


def _trial_csv(rows: int) -> bytes:
    lines = ["participant,arm,sex,visit,outcome,value"]
    lines += [f"p{i},usual,F,baseline,pain,{i % 10}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the issue's attack sizes")
    args = p.parse_args()
    scale = max(0.01, min(1.0, args.scale))

    def n(full: int, least: int = 1) -> int:
        return max(least, int(full * scale))

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        client_id, trainer_id = _prepare(data)
        port = free_port()
        server = start_serve(data, port, HOST)
        base = f"http://{HOST}:{port}"
        try:
            results = _attacks(server.pid, base, client_id, trainer_id, n, data)
        finally:
            server.terminate()
            server.wait(timeout=30)
    _print(results)


def _attacks(
    pid: int, base: str, client_id: int, trainer_id: int, n: Callable[..., int], data: Path
) -> list[Result]:
    api = f"{base}/api/v1"
    http = httpx.Client(timeout=ATTACK_TIMEOUT_S)

    def token(username: str) -> dict[str, str]:
        r = http.post(f"{api}/auth/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['token']}"}

    client_h, trainer_h, admin_h = token("client"), token("trainer"), token("admin")
    trial = http.post(
        f"{api}/trials",
        headers=trainer_h,
        json={
            "definition": {
                "id": "abuse",
                "arms": [{"id": "usual"}, {"id": "retro"}],
                "control_arm": "usual",
                "outcomes": [{"id": "pain", "better": "lower", "min": 0, "max": 10}],
                "visits": [{"id": "baseline", "day": 0}, {"id": "week1", "day": 7}],
                "stratification": [{"name": "sex", "levels": ["F", "M"]}],
                "target_size": 8,
            }
        },
    )
    trial.raise_for_status()
    trial_id = trial.json()["id"]
    results: list[Result] = []

    def attack(name: str, calls: list[Callable[[], int]], concurrency: int = 1) -> None:
        result = Result(name)
        start = time.perf_counter()
        with Watch(pid, base, result), ThreadPoolExecutor(concurrency) as pool:
            for code in pool.map(lambda call: call(), calls, timeout=ATTACK_TIMEOUT_S):
                result.codes[code] += 1
        result.seconds = time.perf_counter() - start
        results.append(result)
        print(f"  {name}: {dict(result.codes)} in {result.seconds:.1f} s", file=sys.stderr, flush=True)

    def upload(content: bytes, filename: str, kind: str) -> Callable[[], int]:
        def call() -> int:
            return http.post(
                f"{api}/clients/{client_id}/recordings",
                headers=client_h,
                files={"file": (filename, content, "application/octet-stream")},
                data={"kind": kind},
            ).status_code

        return call

    def post_json(url: str, body: bytes, headers: dict[str, str] | None = None) -> Callable[[], int]:
        return lambda: (
            http.post(
                url, content=body, headers={**(headers or {}), "Content-Type": "application/json"}
            ).status_code
        )

    wide = b"time_s," + b",".join([b"acc_x"] * 40_000) + b"\n0,1,2,3\n"  # ~240 KB header
    attack("IMU CSV, 40,000 duplicate columns", [upload(wide, "wide.csv", "imu")] * n(5))
    strata = [{"name": f"f{i}", "levels": [str(j) for j in range(10)]} for i in range(8)]
    definition = {
        "id": "bomb",
        "arms": [{"id": "a"}, {"id": "b"}],
        "control_arm": "a",
        "outcomes": [{"id": "pain", "better": "lower"}],
        "visits": [{"id": "v0", "day": 0}, {"id": "v1", "day": 7}],
        "stratification": strata,
        "target_size": 10,
    }
    attack(
        "trial definition, 10^8 strata",
        [post_json(f"{api}/trials", json.dumps({"definition": definition}).encode(), trainer_h)] * n(5),
    )
    bomb = _npz_bomb(n(1024, 64) * 2**20)
    attack(
        f".npz bomb ({len(bomb) // 1024} KiB → {n(1024, 64)} MiB)", [upload(bomb, "bomb.npz", "pose")] * n(3)
    )
    big = _trial_csv(n(60_000, 2_000))
    attack(
        f"trial upload, {n(60_000, 2_000):,} rows",
        [
            lambda: (
                http.post(
                    f"{api}/trials/{trial_id}/observations",
                    headers=trainer_h,
                    files={"file": ("big.csv", big, "text/csv")},
                ).status_code
            )
        ]
        * n(2),
    )
    # PDFs are jobs (retrowalk.jobs.renders): four concurrent requests join one render job and get
    # the PDF when it is done (or 202 "being prepared" after render_wait_s); the same data again is
    # served from the cache, with no new job.
    pdf = [lambda: http.get(f"{base}/clients/{client_id}/report.pdf", headers=client_h).status_code] * 4
    jobs_before = _render_jobs(data)
    attack("report.pdf, 4 concurrent from one client", pdf, concurrency=4)
    rendered = _render_jobs(data) - jobs_before
    results[-1].name += f" (first view: {rendered} render job)"
    attack("report.pdf, 4 concurrent again, data unchanged", pdf, concurrency=4)
    results[-1].name += f" ({_render_jobs(data) - jobs_before - rendered} new jobs: from the cache)"
    logins = [
        post_json(
            f"{api}/auth/login", json.dumps({"username": f"nobody{i}", "password": "wrong password"}).encode()
        )
        for i in range(n(80, 8))
    ]
    attack(f"{n(80, 8)} concurrent anonymous logins", logins, concurrency=n(80, 8))
    nasty = [
        b'{"username": "a", "password": NaN}',
        b'{"username": "a", "password": 1e400}',
        b'{"username": "\\udc80", "password": "x"}',
    ]
    attack(
        "NaN / 1e400 / lone surrogate JSON, anonymous",
        [post_json(f"{api}/auth/login", b) for b in nasty] * n(10),
    )
    attack(
        "out-of-range ids (web and API)",
        [
            lambda: http.get(f"{base}/clients/9223372036854775808", headers=client_h).status_code,
            lambda: http.get(f"{api}/clients/99999999999999999999", headers=client_h).status_code,
        ]
        * n(10),
    )
    probes = [
        post_json(
            f"{api}/clients/{client_id}/trainers", json.dumps({"username": f"who{i}"}).encode(), trainer_h
        )
        for i in range(n(50, 12))
    ]
    attack(f"{n(50, 12)} username probes by one trainer", probes)
    attack(
        "login CSRF (cross-origin POST /login)",
        [
            lambda: (
                http.post(
                    f"{base}/login",
                    data={"username": "trainer", "password": PASSWORD},
                    headers={"Origin": "https://evil.example"},
                ).status_code
            )
        ]
        * n(5),
    )
    body = json.dumps(
        {
            "session_date": time.strftime("%Y-%m-%d"),
            "exercise_id": "retro_walk_1",
            "pain_during": 1,
            "pain_after": 1,
        }
    ).encode()
    attack(
        f"{n(300, 120)} session logs for one day",
        [post_json(f"{api}/clients/{client_id}/session-logs", body, client_h)] * n(300, 120),
        concurrency=8,
    )
    attack(
        "admin sets a user's password",
        [
            lambda: (
                http.patch(
                    f"{api}/users/{trainer_id}", json={"password": "taken over, again"}, headers=admin_h
                ).status_code
            )
        ]
        * n(3),
    )
    http.close()
    return results


def _print(results: list[Result]) -> None:
    cpu = platform.processor() or platform.machine()
    ram = psutil.virtual_memory().total / 2**30
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), {ram:.0f} GiB RAM, Python {platform.python_version()}")
    print("| attack | status codes | server peak RSS | /health p95 | /health failures | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        codes = ", ".join(f"{code}×{count}" for code, count in sorted(r.codes.items()))
        cells = [
            r.name,
            codes,
            f"{r.peak_rss_mb:.0f} MB",
            f"{r.p95():.0f} ms",
            r.health_failures,
            f"{r.seconds:.1f}",
        ]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    worst = max((r.p95() for r in results), default=0.0)
    peak = max((r.peak_rss_mb for r in results), default=0.0)
    fives = sum(count for r in results for code, count in r.codes.items() if code >= 500)
    print(f"worst /health p95 {worst:.0f} ms; peak RSS {peak:.0f} MB; 5xx answers: {fives}")


if __name__ == "__main__":
    main()
