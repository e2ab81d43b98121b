"""Login under flood: failure limits on a shared limiter and a bound on concurrent password hashes.

Every login costs an argon2 hash (64 MiB, ~0.1 s), so a flood of anonymous attempts could take
the server's memory and CPU. Three failure limits, kept in a ``limits`` storage (memory by
default; ``RETROWALK_RATE_LIMIT_STORAGE_URL`` such as ``redis://host:6379`` makes several workers
or hosts share them), are tested before any hashing: per (username, IP), per IP (spraying many
usernames) and per username (one account from many addresses). Attempts that pass still wait for
one of ``login_max_concurrent_hashes`` hashing slots, and give up with 429 after
``login_hash_wait_seconds``; so excess attempts are answered fast, before hashing.

The same storage holds the per-account quota on username probes
(``username_probes_per_account``, used by :func:`retrowalk.app.accounts.username_probe`): a
logged-in trainer or admin learns at most that many times whether a username is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import threading
import time
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.errors import ConfigurationError
from limits.storage import StorageTypes, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from retrowalk.app.errors import TooManyAttempts
from retrowalk.errors import InputError
from retrowalk.settings import Settings

T = TypeVar("T")


class Throttled(TooManyAttempts):
    """An attempt refused before hashing: the edges answer 429 with ``Retry-After``."""

    def __init__(self, reason: str, retry_after_s: float) -> None:
        super().__init__(reason, retry_after=max(1, math.ceil(retry_after_s)))
        self.reason = reason


def _lower_priority() -> None:
    """Hashing threads run at a lower CPU priority (argon2's own lane threads inherit it), so a
    flood of logins cannot starve the event loop and /health. Linux: per thread."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def shared_storage(url: str) -> StorageTypes:
    """The limits storage of ``url``, checked at start-up: a missing client library or an
    unreachable server is one clear error then, not a 500 on every login later."""
    try:
        storage = storage_from_string(url)
    except ConfigurationError as exc:
        raise InputError(
            "rate_limit_storage_url",
            f"cannot use {url.split('://')[0]}:// for the login limits: {exc}",
            hint="for redis:// install the redis extra (pip install 'retrowalk[redis]')",
        ) from None
    if not url.startswith("memory://") and not storage.check():
        raise InputError(
            "rate_limit_storage_url",
            "the login-limits store does not answer",
            hint="start it, or check RETROWALK_RATE_LIMIT_STORAGE_URL",
        )
    return storage


class LoginThrottle:
    """The login limits of one app (the storage may be shared between processes)."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(shared_storage(settings.rate_limit_storage_url))
        window = max(1, math.ceil(settings.login_window_seconds))
        self._pair: list[RateLimitItem] = [RateLimitItemPerSecond(settings.login_max_failures, window)]
        self._ip = parse_many(settings.login_per_ip)
        self._user = parse_many(settings.login_per_username)
        self._probes = parse_many(settings.username_probes_per_account)
        self._slots = settings.login_max_concurrent_hashes
        self._wait_s = settings.login_hash_wait_seconds
        self._executor = ThreadPoolExecutor(
            max_workers=self._slots, thread_name_prefix="password-hash", initializer=_lower_priority
        )
        self._in_flight: Counter[tuple[str, ...]] = Counter()
        self._in_flight_lock = threading.Lock()
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _keys(self, username: str, ip: str) -> list[tuple[list[RateLimitItem], tuple[str, ...], str]]:
        name = username.casefold()
        return [
            (self._pair, ("login-pair", name, ip), "too many failed logins; try again later"),
            (self._ip, ("login-ip", ip), "too many failed logins from this address; try again later"),
            (self._user, ("login-user", name), "too many failed logins for this account; try again later"),
        ]

    def check(self, username: str, ip: str) -> None:
        """Raise :class:`Throttled` if any failure limit is used up (no counting)."""
        for items, key, reason in self._keys(username, ip):
            self._refuse_if_used(items, key, reason)

    @contextmanager
    def attempt(self, username: str, ip: str) -> Iterator[None]:
        """One login attempt, refused (:class:`Throttled`) when the failures recorded plus the
        attempts of this process still in flight would pass a limit. Without the in-flight count
        a burst of concurrent attempts all passed the check before the first failure was
        recorded, however low the limit."""
        with self._counted(self._keys(username, ip)):
            yield

    @contextmanager
    def _counted(self, keys: list[tuple[list[RateLimitItem], tuple[str, ...], str]]) -> Iterator[None]:
        """Refuse when the recorded hits plus this process's attempts in flight on a key use up
        its limit; else count this attempt in flight until it ends (its hit recorded by then)."""
        with self._in_flight_lock:
            for items, key, reason in keys:
                self._refuse_if_used(items, key, reason, pending=self._in_flight[key])
            self._in_flight.update(key for _items, key, _reason in keys)
        try:
            yield
        finally:
            with self._in_flight_lock:
                self._in_flight.subtract(key for _items, key, _reason in keys)
                for _items, key, _reason in keys:
                    if self._in_flight[key] <= 0:
                        del self._in_flight[key]

    def _refuse_if_used(
        self, items: list[RateLimitItem], key: tuple[str, ...], reason: str, *, pending: int = 0
    ) -> None:
        for item in items:
            stats = self._limiter.get_window_stats(item, *key)
            if stats.remaining - pending <= 0:
                raise Throttled(reason, stats.reset_time - time.time())

    def failed(self, username: str, ip: str) -> None:
        for items, key, _reason in self._keys(username, ip):
            for item in items:
                self._limiter.hit(item, *key)

    def succeeded(self, username: str, ip: str) -> None:
        """A right password clears its (username, IP) failures; the wider limits keep counting."""
        for item in self._pair:
            self._limiter.clear(item, "login-pair", username.casefold(), ip)

    @contextmanager
    def probing_username(self, account_id: int) -> Iterator[None]:
        """One step of ``account_id`` that may answer "unavailable": :class:`Throttled` once its
        quota is used up, counting its probes still in flight (as :meth:`attempt` does logins),
        so a concurrent burst cannot pass the check before the first refusal is recorded."""
        reason = "too many unavailable usernames tried; try again later"
        with self._counted([(self._probes, ("username-probe", str(account_id)), reason)]):
            yield

    def username_probe_failed(self, account_id: int) -> None:
        for item in self._probes:
            self._limiter.hit(item, "username-probe", str(account_id))

    async def run_hash(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a password hash or check on the hashing threads (call inside :meth:`hashing_slot`)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @asynccontextmanager
    async def hashing_slot(self) -> AsyncIterator[None]:
        """One of the bounded password-hashing slots, or :class:`Throttled` after a short wait."""
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self._slots)
        try:
            if semaphore.locked():
                await asyncio.wait_for(semaphore.acquire(), self._wait_s)
            else:
                await semaphore.acquire()  # free: no wait (and no timer)
        except TimeoutError:
            raise Throttled("too many logins at once; try again shortly", 1.0) from None
        try:
            yield
        finally:
            semaphore.release()
