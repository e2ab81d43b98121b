"""Concurrency on SQLite: writers queue (threads on a lock, processes on a file lock) and API
requests take turns on an asyncio gate, so a burst larger than the worker-thread pool neither
deadlocks nor fails."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from tests.api.api_support import PASSWORD, build_world, make_settings

from retrowalk.api.app import create_app
from retrowalk.http.deps import RequestGate
from retrowalk.storage import Database, crud
from retrowalk.storage import db as db_module
from retrowalk.storage.models import AuditEntry


def _audit_count(database: Database) -> int:
    with database.sessionmaker() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _lock_is_free(path: Path) -> bool:
    lock = db_module._write_lock_for(str(path))
    if not lock.acquire(timeout=0.5):
        return False
    lock.release()
    return True


def test_threads_queue_for_the_writer_lock_and_every_write_lands(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with database.transaction() as s:
                    crud.audit(s, None, "create", "test", resource_id=f"{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _audit_count(database) == 8 * 25
    assert _lock_is_free(path)
    database.dispose()


def test_the_writer_lock_is_released_by_rollback_and_close(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    with pytest.raises(RuntimeError), database.transaction() as s:
        crud.audit(s, None, "create", "test")
        s.flush()
        raise RuntimeError("boom")
    assert _lock_is_free(path) and _audit_count(database) == 0
    session = database.sessionmaker()
    session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: takes the lock
    assert not _lock_is_free(path)
    session.close()
    assert _lock_is_free(path)
    database.dispose()


def test_a_writer_that_cannot_get_in_fails_with_database_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_S", 0.2)
    holder = database.sessionmaker()
    holder.execute(text("SELECT 1"))
    failure: list[BaseException] = []

    def blocked() -> None:
        try:
            with database.transaction() as s:
                s.execute(text("SELECT 1"))
        except BaseException as exc:
            failure.append(exc)

    t = threading.Thread(target=blocked)
    t.start()
    t.join(10)
    holder.close()
    assert len(failure) == 1 and isinstance(failure[0], OperationalError)
    assert "locked" in str(failure[0])
    database.dispose()


def _process_writer(url: str, tag: str, n: int) -> None:
    database = Database(url)
    for i in range(n):
        with database.transaction() as s:
            crud.audit(s, None, "create", "test", resource_id=f"{tag}-{i}")
    database.dispose()


def test_processes_queue_on_the_file_lock_and_every_write_lands(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    url = f"sqlite:///{path}"
    database = Database(url)
    database.upgrade()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(url, f"p{k}", 40)) for k in range(3)]
    for p in procs:
        p.start()
    _process_writer(url, "parent", 40)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert _audit_count(database) == 4 * 40
    assert (path.parent / (path.name + "-writer.lock")).exists()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    database.dispose()


def test_another_process_holding_the_file_lock_makes_writers_wait(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    foreign = db_module.WriterLock(str(path.resolve()) + "-writer.lock")  # as another process would
    assert foreign.acquire(timeout=1)
    # A second open file description conflicts like another process's lock would.
    done = threading.Event()

    def write() -> None:
        with database.transaction() as s:
            crud.audit(s, None, "create", "test")
        done.set()

    t = threading.Thread(target=write)
    t.start()
    assert not done.wait(0.3)  # queued behind the file lock
    foreign.release()
    assert done.wait(10)
    t.join()
    assert _audit_count(database) == 1
    database.dispose()


def test_a_burst_larger_than_the_thread_pool_is_served_in_turn(tmp_path: Path) -> None:
    # 60 logs of one day: over the default per-day cap, which is not what this test is about.
    app = create_app(
        make_settings(
            tmp_path / "data", f"sqlite:///{tmp_path / 'b.sqlite3'}", max_logs_per_client_per_day=1000
        )
    )
    world = build_world(app)
    client_id = world.ids["client_a"]
    token = world.http.post(
        "/api/v1/auth/login", json={"username": world.usernames["trainer_a"], "password": PASSWORD}
    ).json()["token"]

    async def burst() -> list[int]:
        # Four worker threads for 60 concurrent requests: before the gate, a request holding the
        # SQLite write lock could wait forever for a thread taken by requests queued on that lock.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 4
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            headers = {"Authorization": f"Bearer {token}"}

            async def one(i: int) -> int:
                r = await http.post(
                    f"/api/v1/clients/{client_id}/session-logs",
                    headers=headers,
                    json={
                        "session_date": "2025-03-02",
                        "exercise_id": "retro_walk_1",
                        "minutes": 5,
                        "pain_during": 2,
                        "pain_after": 2,
                        "notes": f"burst {i}",
                    },
                )
                return r.status_code

            return await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(60))), 120)

    assert asyncio.run(burst()) == [201] * 60
    app.state.db.dispose()


def test_the_gate_answers_503_when_the_wait_is_too_long() -> None:
    gate = RequestGate(enabled=True, timeout_s=0.1)

    async def scenario() -> HTTPException:
        async with gate.turn():
            with pytest.raises(HTTPException) as exc:
                async with gate.turn():
                    pass  # pragma: no cover - never admitted
        async with gate.turn():  # free again afterwards
            pass
        return exc.value

    exc = asyncio.run(scenario())
    assert exc.status_code == 503 and exc.headers == {"Retry-After": "1"}


def test_postgres_needs_no_gate() -> None:
    async def scenario() -> None:
        gate = RequestGate(enabled=False, timeout_s=0.01)
        async with gate.turn(), gate.turn():
            pass

    asyncio.run(scenario())


def test_serving_freezes_start_up_objects_out_of_the_gc(app: FastAPI) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(app) as http:
        assert gc.get_freeze_count() > 0
        assert http.get("/api/v1/health").status_code == 200
    assert gc.get_freeze_count() == 0


def test_a_database_locked_by_another_process_gives_503_not_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "busy.sqlite3"
    app = create_app(make_settings(tmp_path / "data", f"sqlite:///{path}"))
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_S", 0.2)
    foreign = db_module.WriterLock(str(path.resolve()) + "-writer.lock")
    assert foreign.acquire(timeout=1)
    try:
        r = TestClient(app).get("/api/v1/health")
    finally:
        foreign.release()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert TestClient(app).get("/api/v1/health").status_code == 200
    app.state.db.dispose()


def test_a_slowly_arriving_form_does_not_hold_up_other_requests(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 's.sqlite3'}"))

    async def scenario() -> tuple[int, bool, int]:
        release = asyncio.Event()

        async def trickle() -> AsyncIterator[bytes]:
            yield b"username=nobody&"
            await release.wait()  # the rest of the form is still on its way
            yield b"password=wrong&next=/"

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            form = {"content-type": "application/x-www-form-urlencoded"}
            upload = asyncio.create_task(http.post("/login", content=trickle(), headers=form))
            await asyncio.sleep(0.2)
            health = await asyncio.wait_for(http.get("/api/v1/health"), 5)
            still_arriving = not upload.done()
            release.set()
            return health.status_code, still_arriving, (await upload).status_code

    assert asyncio.run(scenario()) == (200, True, 401)
    app.state.db.dispose()


def test_a_login_checks_its_password_without_holding_up_other_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'l.sqlite3'}"))
    world = build_world(app)
    checking, release = threading.Event(), threading.Event()
    real_check = crud.check_password

    def slow_check(candidate: tuple[int, str, bool] | None, password: str) -> tuple[int, str | None] | None:
        checking.set()
        release.wait(10)  # argon2 at production cost takes about 0.1 s
        return real_check(candidate, password)

    monkeypatch.setattr(crud, "check_password", slow_check)

    async def scenario() -> tuple[int, bool, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            body = {"username": world.usernames["trainer_a"], "password": PASSWORD}
            login = asyncio.create_task(http.post("/api/v1/auth/login", json=body))
            for _ in range(500):
                if checking.is_set():
                    break
                await asyncio.sleep(0.01)
            health = await asyncio.wait_for(http.get("/api/v1/health"), 5)
            still_checking = not login.done()
            release.set()
            return health.status_code, still_checking, (await login).status_code

    assert asyncio.run(scenario()) == (200, True, 200)
    app.state.db.dispose()


def test_a_login_upgrades_a_hash_made_with_older_argon2_parameters(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'u.sqlite3'}"))
    database: Database = app.state.db
    old = crud.PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    with database.transaction() as s:
        user = crud.create_user(s, "olduser", PASSWORD, "trainer")
        user.password_hash = old
    r = TestClient(app).post("/api/v1/auth/login", json={"username": "olduser", "password": PASSWORD})
    assert r.status_code == 200
    with database.sessionmaker() as s:
        stored = s.scalar(select(crud.User.password_hash).where(crud.User.username == "olduser"))
    assert stored != old and crud.verify_password(str(stored), PASSWORD)
    database.dispose()
