"""Helpers shared by the storage and API tests (fixtures are in conftest.py)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.api.live_server import free_port as free_port  # re-exported for the tests
from tests.api.live_server import own_data_env

from retrowalk.settings import Settings
from retrowalk.storage import Database, crud

ROOT = Path(__file__).resolve().parents[2]


def server_env(data_dir: Path) -> dict[str, str]:
    """Environment for a real `retrowalk` server subprocess: own data dir, fast argon2."""
    return own_data_env(
        data_dir,
        RETROWALK_SECRET_KEY="c" * 64,
        RETROWALK_ARGON2_MEMORY_KIB="1024",
        RETROWALK_ARGON2_TIME_COST="1",
        RETROWALK_ARGON2_PARALLELISM="1",
    )


PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


def postgres_base_url() -> str:
    url = os.environ.get("RETROWALK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but RETROWALK_TEST_POSTGRES_URL is unset: PostgreSQL tests cannot run")
        pytest.skip("RETROWALK_TEST_POSTGRES_URL unset (scripts/test starts a throw-away PostgreSQL)")
    return url


def make_settings(data_dir: Path, db_url: str, **overrides: Any) -> Settings:
    # Cheaper argon2id than production (still real hashing and verification) keeps the suite fast.
    fast = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
    # Background jobs run inside the request that submits them (no worker to start in unit tests).
    fast["jobs_backend"] = "immediate"  # type: ignore[assignment]
    return Settings(data_dir=data_dir, database_url=db_url, secret_key="k" * 64, **{**fast, **overrides})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()  # bearer-only from here: the cookie jar must not authenticate later requests
    return str(r.json()["token"])


@dataclass
class World:
    """Two trainers with one client each (A has a login; B too), plus an admin."""

    app: FastAPI
    http: TestClient
    ids: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def fresh_headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return bearer(login(self.http, self.usernames[role]))

    def real_ids(self) -> dict[str, int]:
        """Path parameter name → an id that exists (client A's objects, trainer B's account), so
        that fuzzed requests reach the handlers instead of stopping at "not found"."""
        names = ("client", "assessment", "log", "recording", "trial")
        return {f"{n}_id": self.ids[f"{n}_a"] for n in names} | {"user_id": self.ids["user_trainer_b"]}


ROLES = ("anonymous", "client_a", "client_b", "trainer_a", "trainer_b", "admin")


def assessment_inputs() -> dict[str, Any]:
    from retrowalk.app.clinical import demo_assessment_inputs

    return demo_assessment_inputs()


def world_trial(trial_id: str = "world-trial") -> dict[str, Any]:
    """A small two-arm trial definition (each trainer owns one, already randomised)."""
    return {
        "id": trial_id,
        "arms": [{"id": "usual"}, {"id": "retro"}],
        "control_arm": "usual",
        "outcomes": [{"id": "pain", "better": "lower", "min": 0, "max": 10}],
        "visits": [
            {"id": "baseline", "day": 0},
            {"id": "week1", "day": 7, "window_before": 2, "window_after": 2},
        ],
        "stratification": [{"name": "sex", "levels": ["F", "M"]}],
        "target_size": 8,
        "block_sizes": [2, 4],
    }


def world_trial_csv(participant: str) -> bytes:
    return (
        "participant,arm,sex,visit,outcome,value\n"
        f"{participant},usual,F,baseline,pain,6\n{participant},usual,F,week1,pain,4\n"
    ).encode()


def trainer_and_client(db: Session, client_name: str) -> tuple[Any, Any]:
    """A trainer (``t1``, shown as Tom Trainer) and one client of theirs."""
    trainer = crud.create_user(db, "t1", "trainer-pass-1", "trainer", display_name="Tom Trainer")
    return trainer, crud.create_client(db, client_name, trainer=trainer)


def assess_and_prescribe(
    db: Session,
    client: Any,
    trainer: Any,
    raw: dict[str, Any] | None = None,
    *,
    pain: float = 3.0,
    goals: tuple[str, ...] = (),
) -> tuple[Any, Any]:
    """An assessment (``raw`` inputs; the demo one, pain 3/10, by default) stored the way the
    app stores it, and the programme the core prescribes from it."""
    from retrowalk.app import clinical

    inputs, findings = clinical.evaluate_assessment(raw if raw is not None else assessment_inputs())
    stop = bool(findings.get("stop", False))
    a = crud.add_assessment(
        db, client.id, inputs=inputs, findings=findings, pain_nprs=pain, stop=stop, by=trainer
    )
    content = clinical.prescribe(findings, pain_nprs=pain, goals=list(goals))
    prog = crud.add_programme(
        db, client.id, content=content, assessment_id=a.id, pain_nprs=pain, goals=list(goals), by=trainer
    )
    return a, prog


def fileless_recording(
    db: Session,
    client_id: int,
    *,
    kind: str,
    name: str,
    by: Any = None,
    status: str = "stored",
    sha256: str = "0" * 64,
    **fields: Any,
) -> Any:
    """A recording row whose file was never written (one byte, a dummy hash): for the tests about
    the stored row and its metrics, not the upload."""
    return crud.add_recording(
        db,
        client_id,
        by=by,
        kind=kind,
        original_name=name,
        path=f"uploads/{client_id}/{name}",
        sha256=sha256,
        size_bytes=1,
        status=status,
        **fields,
    )


def legacy_fast_log(db: Session, client_id: int, *, by: Any, day: date) -> Any:
    """A stored log at 25 km/h on the current programme, as the release before issue #12 accepted
    it from the web form (30 km/h there): outside today's vocabulary (20 km/h), otherwise sound."""
    from retrowalk.app import clinical

    programme = crud.current_programme(db, client_id)
    return crud.add_session_log(
        db,
        client_id,
        programme_id=programme.id if programme else None,
        by=by,
        session_date=day,
        exercise_id=clinical.DEMO_EXERCISE,
        minutes=6.0,
        speed_kmh=25.0,
        pain_during=2.0,
        pain_after=1.0,
    )


def build_world(app: FastAPI) -> World:
    from retrowalk.app import clinical
    from retrowalk.storage import trials as trial_store
    from retrowalk.trial.definition import TrialDefinition

    http = TestClient(app)
    world = World(app=app, http=http)
    db_: Database = app.state.db
    with db_.transaction() as db:
        admin = crud.create_user(db, unique("admin"), PASSWORD, "admin")
        ta = crud.create_user(db, unique("trainer_a"), PASSWORD, "trainer")
        tb = crud.create_user(db, unique("trainer_b"), PASSWORD, "trainer")
        ca = crud.create_client(db, "Client A", trainer=ta)
        cb = crud.create_client(db, "Client B", trainer=tb)
        ua = crud.create_user(db, unique("client_a"), PASSWORD, "client", client_id=ca.id)
        ub = crud.create_user(db, unique("client_b"), PASSWORD, "client", client_id=cb.id)
        for key, client, trainer in (("a", ca, ta), ("b", cb, tb)):
            a, prog = assess_and_prescribe(db, client, trainer)
            log = crud.add_session_log(
                db,
                client.id,
                programme_id=prog.id,
                by=trainer,
                session_date=date(2025, 3, 1),
                exercise_id=clinical.DEMO_EXERCISE,
                minutes=5.0,
                speed_kmh=2.0,
                handrails="both",
                pain_during=2.0,
                pain_after=1.0,
            )
            rec = fileless_recording(db, client.id, by=trainer, kind="imu", name="x.csv")
            world.ids[f"client_{key}"] = client.id
            world.ids[f"assessment_{key}"] = a.id
            world.ids[f"log_{key}"] = log.id
            world.ids[f"recording_{key}"] = rec.id
            if key == "a":
                _world_media(db, world, client, trainer)
            trial = trial_store.create_trial(db, trainer, TrialDefinition.model_validate(world_trial()))
            trial_store.randomise(db, trial, trainer, seed=7)
            world.ids[f"trial_{key}"] = trial.id
        for role, user in (
            ("admin", admin),
            ("trainer_a", ta),
            ("trainer_b", tb),
            ("client_a", ua),
            ("client_b", ub),
        ):
            world.usernames[role] = user.username
            world.ids[f"user_{role}"] = user.id
    world.headers = {role: world.fresh_headers(role) for role in ROLES}
    return world


def photo_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A small real JPEG (what a trainer's phone uploads)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG")
    return buf.getvalue()


def _world_media(db: Session, world: World, client: Any, trainer: Any) -> None:
    """Client A's trainer's media: one for client A's item and one for all their clients (each
    with a spare that the matrices' removals may take)."""
    import io

    from retrowalk.app import media

    def put(eid: str, for_client: Any) -> int:
        up = media.MediaUpload("photo.jpg", io.BytesIO(photo_bytes()))
        return media.upload(db, trainer, eid, up, client=for_client).id

    world.ids["media_a"] = put("forward_walk", client)
    world.ids["media_del_a"] = put("glute_bridge", client)
    world.ids["media_wide_a"] = put("forward_walk", None)
    world.ids["media_wide_del_a"] = put("vmo_tke", None)


#: A real 12 s lower-back IMU walking trial (Mobilise-D, see tests/data/mobilised/LICENSE).
WALK_TRIAL = (
    Path(__file__).resolve().parents[1] / "data" / "mobilised" / "HA_001_TimeMeasure1_Test5_Trial1.csv.gz"
)


def walking_csv() -> bytes:
    import gzip

    return gzip.decompress(WALK_TRIAL.read_bytes())


def fuzz_world(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[World]:
    """A module's world for fuzzing: no login or username-probe limit ends the run early."""
    from retrowalk.api.app import create_app

    tmp = tmp_path_factory.mktemp(name)
    settings = make_settings(
        tmp / "data",
        f"sqlite:///{tmp / 'fuzz.sqlite3'}",
        login_max_failures=10_000,
        username_probes_per_account="100000/minute",
    )
    app = create_app(settings)
    try:
        yield build_world(app)
    finally:
        app.state.db.dispose()


def api_operations(app: FastAPI) -> Any:
    """The API's OpenAPI document as schemathesis loads it (a fresh schema: hooks stay local)."""
    import schemathesis

    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


def web_routes(app: FastAPI) -> list[APIRoute]:
    """The page routes (everything outside /api), included routers unfolded."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.120 nests included routers
    except ImportError:
        routes = [(getattr(r, "path", ""), r) for r in app.routes]
    else:  # (the path as served, the route as declared: the pages have no prefix)
        routes = [(ctx.path, ctx.route) for ctx in iter_route_contexts(app.routes)]
    return [r for path, r in routes if isinstance(r, APIRoute) and not path.startswith("/api")]


def run_benchmark(script: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``benchmarks/<script>`` run to the end as a smoke test (cheap argon2, its own SQLite);
    fails the test with the end of its stderr when it does not exit 0."""
    env = dict(os.environ, RETROWALK_ARGON2_MEMORY_KIB="1024", RETROWALK_ARGON2_TIME_COST="1")
    env.pop("RETROWALK_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the Markdown tables in ``text`` (separator rows left out)."""
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
