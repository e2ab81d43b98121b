"""Login under flood: failure limits per IP and per username, and a bound on concurrent hashes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from tests.api.api_support import PASSWORD, build_world, make_settings

from retrowalk.api.app import create_app
from retrowalk.app.throttle import LoginThrottle, Throttled
from retrowalk.settings import Settings

LOGIN = "/api/v1/auth/login"


def test_failures_per_ip_block_other_usernames_from_that_address(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", login_per_ip="3/minute"))
    world = build_world(app)
    for i in range(3):
        r = world.http.post(LOGIN, json={"username": f"nobody{i}", "password": "wrong password"})
        assert r.status_code == 401
    # A right password for a real account, but from the spraying address: refused before hashing.
    r = world.http.post(LOGIN, json={"username": world.usernames["trainer_a"], "password": PASSWORD})
    assert r.status_code == 429 and "address" in r.json()["detail"]
    assert int(r.headers["retry-after"]) >= 1
    web = world.http.post("/login", data={"username": "x", "password": "y"})
    assert web.status_code == 429 and "Too many" in web.text
    app.state.db.dispose()


def test_failures_per_username_count_across_addresses(tmp_path: Path) -> None:
    limiter = LoginThrottle(Settings(data_dir=tmp_path, login_per_username="2/minute"))
    limiter.failed("ann", "10.0.0.1")
    limiter.failed("ANN", "10.0.0.2")
    with pytest.raises(Throttled, match="account"):
        limiter.check("ann", "10.0.0.3")
    limiter.check("bob", "10.0.0.3")


def test_hashing_is_bounded_and_excess_is_refused_fast(tmp_path: Path) -> None:
    limiter = LoginThrottle(
        Settings(data_dir=tmp_path, login_max_concurrent_hashes=1, login_hash_wait_seconds=0.05)
    )

    async def scenario() -> float:
        async with limiter.hashing_slot():
            start = time.perf_counter()
            with pytest.raises(Throttled, match="at once"):
                async with limiter.hashing_slot():
                    pass
            waited = time.perf_counter() - start
        async with limiter.hashing_slot():  # released again
            pass
        return waited

    assert asyncio.run(scenario()) < 0.5


def test_rate_strings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Settings(data_dir=tmp_path, login_per_ip="lots")


def test_username_probe_quota_is_per_account_on_the_shared_limiter(tmp_path: Path) -> None:
    limiter = LoginThrottle(Settings(data_dir=tmp_path, username_probes_per_account="2/hour"))
    with limiter.probing_username(7):
        limiter.username_probe_failed(7)
    with limiter.probing_username(7):
        limiter.username_probe_failed(7)
    with pytest.raises(Throttled, match="usernames") as refused, limiter.probing_username(7):
        pass
    assert refused.value.status_code == 429 and (refused.value.retry_after or 0) > 60
    with limiter.probing_username(8):  # another account's quota is its own
        pass
    with pytest.raises(ValueError, match="not a rate"):
        Settings(data_dir=tmp_path, username_probes_per_account="few")


def test_username_probes_in_flight_count_against_the_quota(tmp_path: Path) -> None:
    """Concurrent probes (PostgreSQL has no request gate) cannot all pass the check before the
    first refusal is recorded: those still running count."""
    limiter = LoginThrottle(Settings(data_dir=tmp_path, username_probes_per_account="2/hour"))
    with (
        limiter.probing_username(7),
        limiter.probing_username(7),
        pytest.raises(Throttled, match="usernames"),
        limiter.probing_username(7),
    ):
        pass
    with limiter.probing_username(7):  # both ended without a refusal: the quota is whole again
        pass


def test_attempts_in_flight_count_against_the_limits(tmp_path: Path) -> None:
    limiter = LoginThrottle(Settings(data_dir=tmp_path, login_per_ip="3/minute"))
    with limiter.attempt("a", "10.0.0.1"), limiter.attempt("b", "10.0.0.1"), limiter.attempt("c", "10.0.0.1"):
        with pytest.raises(Throttled, match="address"), limiter.attempt("d", "10.0.0.1"):
            pass
        with limiter.attempt("d", "10.0.0.2"):  # another address is not held back
            pass
    with limiter.attempt("d", "10.0.0.1"):  # the three ended without a failure: room again
        pass


def test_a_concurrent_burst_of_failed_logins_stops_at_the_limit(tmp_path: Path) -> None:
    """Fast hashes and many slots, so nothing but the failure limit holds the burst back."""
    import httpx

    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        login_per_ip="5/minute",
        login_max_concurrent_hashes=64,
    )
    app = create_app(settings)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answers = await asyncio.gather(
                *(
                    http.post(LOGIN, json={"username": f"n{i}", "password": "wrong password"})
                    for i in range(20)
                )
            )
        return sorted(r.status_code for r in answers)

    codes = asyncio.run(burst())
    assert codes.count(401) == 5 and codes.count(429) == 15, codes
    app.state.db.dispose()
