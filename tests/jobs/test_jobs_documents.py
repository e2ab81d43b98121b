"""PDFs and trial analyses as jobs: one job per version of the inputs, served from the cache after,
'being prepared' (web page / 202 JSON) while the job runs, the same access rules on every path."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api.api_support import World, build_world, make_settings
from tests.jobs.job_fixtures import wait_until

from retrowalk.api.app import create_app
from retrowalk.jobs import EmbeddedWorker, Job, queue_for, renders

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _app(tmp_path: Path, **settings: Any) -> FastAPI:
    """An app whose jobs wait in the SQLite queue for a worker the test starts (none runs by itself)."""
    return create_app(
        make_settings(
            tmp_path / "data",
            f"sqlite:///{tmp_path / 'app.sqlite3'}",
            jobs_backend="sqlite",
            **{"render_wait_s": 0.0, "jobs_in_process": False, **settings},
        )
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app = _app(tmp_path)
    try:
        yield build_world(app)
    finally:
        app.state.db.dispose()


@pytest.fixture
def run_jobs(world: World) -> Iterator[Callable[[], None]]:
    """Start one worker (as `retrowalk start` runs in-process) and wait until the queue is empty."""
    workers: list[EmbeddedWorker] = []

    def run() -> None:
        if not workers:
            workers.append(EmbeddedWorker(queue_for(world.app.state)))
            workers[0].start()
        wait_until(lambda: not [j for j in _jobs(world) if j.status in ("queued", "running")], timeout=90)

    yield run
    for w in workers:
        w.stop()


def _jobs(world: World, name: str | None = None) -> list[Job]:
    with world.app.state.db.transaction() as db:
        rows = list(db.scalars(select(Job).order_by(Job.id)).all())
        for r in rows:
            db.expunge(r)
    return [r for r in rows if name is None or r.name == name]


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _log_session(world: World, minutes: float) -> None:
    from retrowalk.app import clinical

    body = {
        "session_date": "2025-03-02",
        "exercise_id": clinical.DEMO_EXERCISE,
        "minutes": minutes,
        "speed_kmh": 2.0,
        "handrails": "both",
        "pain_during": 2,
        "pain_after": 1,
    }
    r = world.http.post(
        f"/api/v1/clients/{world.ids['client_a']}/session-logs", json=body, headers=world.headers["trainer_a"]
    )
    assert r.status_code == 201, r.text


def test_concurrent_requests_share_one_job_then_the_pdf_is_served_from_the_cache(
    world: World, run_jobs: Callable[[], None], tmp_path: Path
) -> None:
    a = world.ids["client_a"]
    web, api = f"/clients/{a}/report.pdf", f"/api/v1/clients/{a}/report.pdf"
    trainer = world.headers["trainer_a"]
    answers: list[Any] = []
    with TestClient(world.app) as http:  # one event loop: the four requests really overlap
        threads = [
            threading.Thread(target=lambda: answers.append(http.get(web, headers=trainer))) for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [r.status_code for r in answers] == [202] * 4
    page = answers[0]
    assert "text/html" in page.headers["content-type"]
    assert '<meta http-equiv="refresh" content="2">' in page.text and "being prepared" in page.text
    assert f'href="http://testserver{web}"' in page.text  # a link to open it by hand
    assert page.headers["retry-after"] == "2" and page.headers["location"].endswith(web)
    (job,) = _jobs(world, "render_document")  # four requests, one job
    assert job.status == "queued"

    pending = world.http.get(api, headers=trainer)  # the API joins the same job
    assert pending.status_code == 202 and pending.headers["location"].endswith(api)
    assert pending.headers["retry-after"] == "2"
    assert pending.json()["job_id"] == job.id and pending.json()["status"] == "queued"

    run_jobs()
    started = time.perf_counter()
    served = world.http.get(web, headers=trainer)
    assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
    assert served.content.startswith(b"%PDF") and served.headers["cache-control"] == "no-store"
    text = _pdf_text(served.content, tmp_path)
    assert "Client A" in text and "Pain over time" in text
    assert time.perf_counter() - started < 5  # served from the cache, no render (which takes ~1 s)
    again = world.http.get(api, headers=trainer)
    assert again.status_code == 200 and again.content == served.content
    assert len(_jobs(world, "render_document")) == 1  # no job for unchanged inputs


def test_new_data_is_a_new_pdf_never_the_cached_one(
    world: World, run_jobs: Callable[[], None], tmp_path: Path
) -> None:
    a = world.ids["client_a"]
    url, trainer = f"/api/v1/clients/{a}/report.pdf", world.headers["trainer_a"]
    assert world.http.get(url, headers=trainer).status_code == 202
    run_jobs()
    first = world.http.get(url, headers=trainer)
    assert first.status_code == 200
    assert "Sessions logged 1 session day " in " ".join(_pdf_text(first.content, tmp_path).split())

    _log_session(world, minutes=6)  # another day's session: the report must show it
    assert world.http.get(url, headers=trainer).status_code == 202  # not the cached PDF
    run_jobs()
    second = world.http.get(url, headers=trainer)
    assert second.status_code == 200 and second.content != first.content
    assert "Sessions logged 2 session days" in " ".join(_pdf_text(second.content, tmp_path).split())
    assert len(_jobs(world, "render_document")) == 2


def test_another_trainers_client_is_hidden_on_the_job_path_and_from_the_cache(
    world: World, run_jobs: Callable[[], None]
) -> None:
    a = world.ids["client_a"]
    for path in (f"/clients/{a}/report.pdf", f"/clients/{a}/handout.pdf"):
        assert world.http.get(path, headers=world.headers["trainer_a"]).status_code == 202
    run_jobs()
    for path in (
        f"/clients/{a}/report.pdf",
        f"/clients/{a}/handout.pdf",
        f"/api/v1/clients/{a}/report.pdf",
        f"/api/v1/clients/{a}/handout.pdf",
    ):
        assert world.http.get(path, headers=world.headers["trainer_a"]).status_code == 200, path
        assert world.http.get(path, headers=world.headers["client_a"]).status_code == 200, path
        for role in ("trainer_b", "client_b"):  # the PDF is cached now: still not theirs to see
            r = world.http.get(path, headers=world.headers[role])
            assert r.status_code == 404, (path, role)
            assert not r.content.startswith(b"%PDF")
        assert world.http.get(path, headers=world.headers["admin"]).status_code == 403, path
        assert world.http.get(path, follow_redirects=False).status_code in (303, 401), path
    assert len(_jobs(world, "render_document")) == 2  # the report and the handout, once each


def test_health_answers_while_a_pdf_job_runs(
    world: World, monkeypatch: pytest.MonkeyPatch, run_jobs: Callable[[], None]
) -> None:
    """The render runs on the worker with no database turn; /health meanwhile answers at once."""
    started, release = threading.Event(), threading.Event()
    real = renders.RENDERERS["report"]

    def held_render(inputs: bytes) -> bytes:
        started.set()
        release.wait(30)  # keeps the job running while the test probes /health
        return real(inputs)

    monkeypatch.setitem(renders.RENDERERS, "report", held_render)
    url = f"/api/v1/clients/{world.ids['client_a']}/report.pdf"
    assert world.http.get(url, headers=world.headers["trainer_a"]).status_code == 202
    runner = threading.Thread(target=run_jobs)
    runner.start()
    try:
        assert started.wait(30), "the render job did not start"
        (job,) = _jobs(world, "render_document")
        assert job.status == "running"
        for _ in range(5):
            t = time.perf_counter()
            assert world.http.get("/api/v1/health").status_code == 200
            assert time.perf_counter() - t < 2.0
        busy = world.http.get(url, headers=world.headers["trainer_a"])  # joins the running job
        assert busy.status_code == 202 and busy.json()["status"] == "running"
    finally:
        release.set()
        runner.join()
    assert world.http.get(url, headers=world.headers["trainer_a"]).status_code == 200


def test_a_request_waits_briefly_and_gets_the_pdf_when_the_job_is_quick(tmp_path: Path) -> None:
    app = _app(tmp_path, render_wait_s=30.0)
    try:
        world = build_world(app)
        worker = EmbeddedWorker(queue_for(app.state))
        worker.start()
        try:
            r = world.http.get(
                f"/api/v1/clients/{world.ids['client_a']}/handout.pdf?page=Letter",
                headers=world.headers["client_a"],
            )
        finally:
            worker.stop()
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
    finally:
        app.state.db.dispose()


def test_a_failed_render_is_a_clear_503_then_retried_after_an_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retrowalk.jobs import PermanentError

    app = create_app(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'app.sqlite3'}"))  # immediate
    try:
        world = build_world(app)

        def broken(_inputs: bytes) -> bytes:
            raise PermanentError("fonts are missing")

        monkeypatch.setitem(renders.RENDERERS, "report", broken)
        url = f"/api/v1/clients/{world.ids['client_a']}/report.pdf"
        r = world.http.get(url, headers=world.headers["trainer_a"])
        assert r.status_code == 503 and "fonts are missing" in r.json()["detail"]
        assert r.headers["retry-after"] == "2"
        again = world.http.get(url, headers=world.headers["trainer_a"])  # the same answer, no new job
        assert again.status_code == 503 and len(_jobs(world, "render_document")) == 1
        monkeypatch.undo()
        monkeypatch.setattr(renders, "FAILED_RETRY_S", 0.0)  # as if the retry interval had passed
        ok = world.http.get(url, headers=world.headers["trainer_a"])
        assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    finally:
        app.state.db.dispose()


def test_trial_analysis_is_a_job_and_repeat_views_read_the_cached_result(
    world: World, run_jobs: Callable[[], None]
) -> None:
    tid, trainer = world.ids["trial_a"], world.headers["trainer_a"]
    lines = [b"participant,arm,sex,visit,outcome,value"]
    for n, who in enumerate(("P1", "P2", "P3", "P4")):
        r = world.http.post(
            f"/api/v1/trials/{tid}/allocations",
            json={"participant": who, "strata": {"sex": "F"}},
            headers=trainer,
        )
        assert r.status_code == 201, r.text
        arm = r.json()["arm"]
        lines += [f"{who},{arm},F,baseline,pain,6".encode(), f"{who},{arm},F,week1,pain,{2 + n}".encode()]
    body = b"\n".join(lines) + b"\n"
    up = world.http.post(
        f"/api/v1/trials/{tid}/observations", files={"file": ("d.csv", body, "text/csv")}, headers=trainer
    )
    assert up.status_code == 201, up.text

    api = f"/api/v1/trials/{tid}/analysis"
    pending = world.http.get(api, headers=trainer)
    assert pending.status_code == 202 and pending.headers["location"].endswith(api)
    page = world.http.get(f"/trials/{tid}", headers=trainer)
    assert page.status_code == 200 and 'id="analysis-preparing"' in page.text
    assert '<meta http-equiv="refresh"' in page.text
    assert len(_jobs(world, "analyse_trial")) == 1  # the page joined the API's job

    run_jobs()
    done = world.http.get(api, headers=trainer)
    assert done.status_code == 200 and done.json()["flow"]["enrolled"] == 4
    for _ in range(3):
        view = world.http.get(f"/trials/{tid}", headers=trainer)
        assert (
            view.status_code == 200 and 'id="consort"' in view.text and "analysis-preparing" not in view.text
        )
    assert len(_jobs(world, "analyse_trial")) == 1  # never recomputed per view
    assert world.http.get(api, headers=world.headers["trainer_b"]).status_code == 404


def test_the_result_cache_stays_within_its_size_least_recently_used_first(tmp_path: Path) -> None:
    cache = renders.ResultCache(tmp_path / "cache", max_bytes=2500)
    keys = [renders.key_for("report", str(i)) for i in range(3)]
    for i, key in enumerate(keys):
        cache.put(key, bytes(1000))
        if i == 0:
            time.sleep(0.02)
    assert cache.get(keys[0]) is None and cache.get(keys[2]) is not None  # the oldest went
    with pytest.raises(ValueError, match="not a cache key"):
        cache.get("../../etc/passwd")


def test_a_key_names_exactly_its_inputs() -> None:
    assert renders.key_for("report", "a") == renders.key_for("report", "a")
    assert (
        len({renders.key_for("report", "a"), renders.key_for("report", "b"), renders.key_for("handout", "a")})
        == 3
    )


def test_the_code_fingerprint_covers_every_source_and_data_file() -> None:
    """A cached PDF or analysis is keyed on the code that made it: the templates, the drawing
    code, and the clinical data it prints (illustrations, MCIDs, trial definitions) alike."""
    from importlib import resources

    names = {name for name, _ in renders._package_files(resources.files("retrowalk"))}
    for wanted in (
        "reports/templates/report.html",
        "reports/charts.py",
        "core/data/illustrations.yaml",
        "core/data/mcid.yaml",
        "trial/definition.py",
        "app/records.py",
    ):
        assert wanted in names, wanted
    assert not any("__pycache__" in name for name in names)
    assert len(renders.code_fingerprint()) == 16


def test_leftovers_of_jobs_that_never_ran_are_removed_after_a_day(tmp_path: Path) -> None:
    import os

    cache = renders.ResultCache(tmp_path / "cache", max_bytes=10_000)
    old, new = renders.key_for("report", "old"), renders.key_for("report", "new")
    cache.put_input(old, b"{}")
    cache.mark_job(old, 1)
    cache.put_input(new, b"{}")
    day_ago = time.time() - renders.ORPHAN_AGE_S - 60
    for suffix in ("in", "job"):
        os.utime(tmp_path / "cache" / f"{old}.{suffix}", (day_ago, day_ago))
    cache.put(renders.key_for("report", "other"), b"pdf")
    assert cache.take_input(old) is None and cache.job_of(old) is None
    assert cache.take_input(new) == b"{}"


def test_the_warm_up_renders_a_blank_report_and_caches_the_empty_charts() -> None:
    pytest.importorskip("weasyprint")
    from retrowalk.reports.charts import ChartInputs, chart_cache
    from retrowalk.reports.pdf import charts_with_data

    assert renders.warm_up() is True
    before = len(chart_cache)
    shown, empty = charts_with_data(ChartInputs())
    assert shown == [] and len(empty) == 5 and len(chart_cache) == before  # all from the cache
