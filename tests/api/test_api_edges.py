"""Hardened edges: headers, login CSRF, malformed JSON, out-of-range ids, HTML error pages."""

from __future__ import annotations

import pytest
from tests.api.api_support import PASSWORD, World

LOGIN = "/api/v1/auth/login"


def test_security_headers_on_every_response(world: World) -> None:
    for path, headers in (
        ("/api/v1/health", {}),
        ("/login", {}),
        ("/api/v1/auth/me", world.headers["trainer_a"]),
    ):
        r = world.http.get(path, headers=headers)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["cache-control"] == "no-store", path
    assert "no-store" not in world.http.get("/static/app.css").headers.get("cache-control", "")


@pytest.mark.parametrize("path", ["/login", LOGIN])
def test_login_from_another_site_is_refused(world: World, path: str) -> None:
    body = {"username": world.usernames["trainer_a"], "password": PASSWORD}
    send = (
        (lambda **kw: world.http.post(path, data=body, **kw))
        if path == "/login"
        else (lambda **kw: world.http.post(path, json=body, **kw))
    )
    assert send(headers={"Origin": "https://evil.example"}).status_code == 403
    assert send(headers={"Referer": "https://evil.example/page"}).status_code == 403
    assert send(headers={"Origin": "null"}).status_code == 403
    assert send(headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    ok = send(headers={"Origin": "http://testserver"})
    assert ok.status_code in (200, 303), ok.text
    world.http.cookies.clear()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"username": "a", "password": NaN}',
        b'{"username": "a", "password": Infinity}',
        b'{"username": "a", "password": -Infinity}',
        b'{"username": "a", "password": 1e400}',
        b'{"username": "\\udc80", "password": "x"}',
        b'{"\\ud800": 1}',
        b'{"username": "a", "password": ' + b"9" * 5000 + b"}",
    ],
)
def test_malformed_json_is_422_even_unauthenticated(world: World, raw: bytes) -> None:
    for path in (LOGIN, "/api/v1/clients"):
        r = world.http.post(path, content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        assert r.json()["detail"][0]["loc"][0] == "body"


def test_json_nested_past_the_limit_is_422(world: World) -> None:
    deep = b"[" * 200 + b"]" * 200
    r = world.http.post(LOGIN, content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "max_json_depth" in r.text
    deeper = b"[" * 100_000 + b"]" * 100_000
    r = world.http.post(LOGIN, content=deeper, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "max_json_depth" in r.text


def test_nan_in_a_trial_outcome_bound_is_refused(world: World) -> None:
    text = "id: t\narms: [{id: a}, {id: b}]\ncontrol_arm: a\nvisits: [{id: v0, day: 0}, {id: v1, day: 7}]\n"
    text += "outcomes: [{id: pain, better: lower, min: .nan}]\ntarget_size: 10\n"
    r = world.http.post("/api/v1/trials", json={"definition_yaml": text}, headers=world.headers["trainer_a"])
    assert r.status_code == 422 and "outcomes" in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/clients/9223372036854775808",
        "/clients/2147483648/log",
        "/api/v1/clients/99999999999999999999999",
        "/api/v1/clients/1/recordings/9223372036854775808",
        "/trials/18446744073709551616",
    ],
)
def test_out_of_range_ids_are_404(world: World, path: str) -> None:
    headers = world.headers["trainer_a"]
    r = world.http.get(path, headers=headers)
    assert r.status_code == 404
    r = world.http.post(path, headers=headers)
    assert r.status_code == 404


def test_web_errors_are_html_pages_for_browsers(world: World) -> None:
    headers = {**world.headers["trainer_a"], "Accept": "text/html,application/xhtml+xml"}
    r = world.http.get("/clients/9223372036854775808", headers=headers)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in r.text
    other = world.ids["client_b"]
    r = world.http.get(f"/clients/{other}", headers=headers)
    assert r.status_code == 404 and "<h1>" in r.text
    r = world.http.get("/clients/abc", headers=headers)
    assert r.status_code == 422 and "<h1>Invalid input</h1>" in r.text
    # The API keeps answering JSON.
    r = world.http.get("/api/v1/clients/abc", headers=headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


def test_swagger_ui_is_served_locally_without_inline_script(world: World) -> None:
    page = world.http.get("/api/v1/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "http" not in page.text.replace("http-equiv", "")
    assert "<script>" not in page.text  # only src= scripts: the CSP forbids inline ones
    js = world.http.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert "no-store" not in js.headers.get("cache-control", "")
    init = world.http.get("/api/v1/docs/init.js")
    assert init.status_code == 200 and "/api/v1/openapi.json" in init.text
