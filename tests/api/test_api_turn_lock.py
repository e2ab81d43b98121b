"""The database turn: requests returning from work done outside it go first; a waiter that gives
up never keeps the turn."""

from __future__ import annotations

import asyncio

import pytest

from retrowalk.http.deps import TurnLock


def test_returning_requests_get_the_turn_before_new_ones() -> None:
    async def scenario() -> list[str]:
        lock = TurnLock()
        await lock.acquire()
        order: list[str] = []

        async def waiter(name: str, returning: bool) -> None:
            await lock.acquire(returning=returning)
            order.append(name)
            lock.release()

        new = asyncio.create_task(waiter("new", False))
        await asyncio.sleep(0)
        back = asyncio.create_task(waiter("back", True))
        await asyncio.sleep(0)
        lock.release()
        await asyncio.gather(new, back)
        assert not lock.locked()
        return order

    assert asyncio.run(scenario()) == ["back", "new"]


def test_a_waiter_that_times_out_does_not_keep_the_turn() -> None:
    async def scenario() -> None:
        lock = TurnLock()
        await lock.acquire()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(lock.acquire(), 0.01)
        lock.release()
        assert not lock.locked()
        await asyncio.wait_for(lock.acquire(), 1)  # free for the next one
        lock.release()

    asyncio.run(scenario())


def test_a_waiter_cancelled_as_it_is_handed_the_turn_passes_it_on() -> None:
    async def scenario() -> None:
        lock = TurnLock()
        await lock.acquire()
        first = asyncio.create_task(lock.acquire())
        second = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0)
        lock.release()  # hands the turn to `first` ...
        first.cancel()  # ... which gives up before it runs
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.wait_for(second, 1)  # the turn went on to `second`
        lock.release()
        assert not lock.locked()

    asyncio.run(scenario())
