"""Every API operation (from the OpenAPI schema, as schemathesis sees it) against the inputs that
used to give 500s: non-finite numbers, over-long integers and lone surrogates in JSON bodies, and
ids beyond the database's range in paths. Each is a 4xx, authenticated or not."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.api.api_support import World, build_world, make_settings

from retrowalk.api.app import create_app

NASTY = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", '"\\udc80"', '"a\\ud800b"', "9" * 5000]
HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999999999"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("malformed")
    app = create_app(
        make_settings(tmp / "data", f"sqlite:///{tmp / 'db.sqlite3'}", login_max_failures=10_000)
    )
    yield build_world(app)
    app.state.db.dispose()


def _operations(world: World) -> list[tuple[str, str, list[str]]]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.app)
    found = []
    for result in schema.get_all_operations():
        op = result.ok()
        body = op.definition.raw.get("requestBody", {}).get("content", {})
        props: list[str] = []
        if "application/json" in body:
            ref = body["application/json"].get("schema", {})
            resolved = schema.raw_schema["components"]["schemas"].get(ref.get("$ref", "").split("/")[-1], {})
            props = list(resolved.get("properties", {})) or ["x"]
        found.append((op.method.upper(), op.path, props))
    return found


@pytest.mark.parametrize("role", ["anonymous", "trainer_a", "admin"])
def test_malformed_json_bodies_are_422_on_every_operation(world: World, role: str) -> None:
    operations = [(m, p, props) for m, p, props in _operations(world) if props]
    assert operations
    headers = {} if role == "anonymous" else world.headers[role]

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        index=st.integers(0, len(operations) - 1),
        nasty=st.sampled_from(NASTY),
        nested=st.booleans(),
        field=st.integers(0, 20),
    )
    def run(index: int, nasty: str, nested: bool, field: int) -> None:
        method, path, props = operations[index]
        key = json.dumps(props[field % len(props)])
        value = f"[{{{key}: {nasty}}}]" if nested else nasty
        url = "/api/v1" + re.sub(r"\{[^}]+\}", "1", path)
        r = world.http.request(
            method,
            url,
            content=f"{{{key}: {value}}}",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, (method, url, nasty, r.status_code, r.text[:300])
        assert r.json()["detail"][0]["loc"][0] == "body"

    run()


@pytest.mark.parametrize("role", ["anonymous", "trainer_a"])
def test_out_of_range_ids_are_404_on_every_operation(world: World, role: str) -> None:
    headers = {} if role == "anonymous" else world.headers[role]
    seen = 0
    for method, path, _props in _operations(world):
        if "{" not in path:
            continue
        for huge in HUGE_IDS:
            url = "/api/v1" + re.sub(r"\{[^}]+\}", huge, path)
            r = world.http.request(method, url, headers=headers)
            assert r.status_code == 404, (method, url, r.status_code, r.text[:200])
            seen += 1
    assert seen > 20


def _web_paths(world: World) -> list[str]:
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.120 nests included routers
    except ImportError:
        routes = list(world.app.routes)
    else:
        routes = list(iter_route_contexts(world.app.routes))
    paths = {getattr(r, "path", "") for r in routes if "GET" in (getattr(r, "methods", None) or ())}
    return sorted(p for p in paths if "{" in p and not p.startswith("/api"))


def test_out_of_range_ids_on_web_pages_are_html_404(world: World) -> None:
    headers: dict[str, Any] = {**world.headers["trainer_a"], "Accept": "text/html"}
    paths = _web_paths(world)
    assert paths
    for path in paths:
        url = re.sub(r"\{[^}]+\}", "9223372036854775808", path)
        r = world.http.get(url, headers=headers)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), (
            url,
            r.status_code,
        )
