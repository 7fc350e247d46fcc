"""The scale-out mode's state lock (`hcpay_app.state_lock`): an event that Reflex cancels while it
takes or holds a member's state lock never leaves the lock behind, so the member's next event does
not wait for the lock's expiry; and a release never deletes another event's lock. Against a
throwaway Redis on loopback, with a lock expiry far longer than any wait here."""

from __future__ import annotations

import asyncio
import random
import types
import uuid

import pytest
from redis.asyncio import Redis
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import StateToken

from hcpay_app.state_lock import CancelSafeStateManagerRedis, install
from tests.support import services

LONG_EXPIRY_MS = 120_000  # a stale lock would outlast every test's wait
NEXT_EVENT_WAIT_S = 20  # bounds a hung test; far below the expiry above

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def redis_url():
    with services.redis() as url:
        yield url


def a_manager(cls: type[StateManagerRedis], url: str) -> StateManagerRedis:
    return cls(redis=Redis.from_url(url), lock_expiration=LONG_EXPIRY_MS, lock_warning_threshold=1_000)


def a_token() -> StateToken:
    return StateToken(ident=uuid.uuid4().hex, cls=object)


def stall_after_set(manager: StateManagerRedis) -> asyncio.Event:
    """Redis applies the next SET but its reply stays on the wire: the window in which Reflex's
    cancel of a superseded page-load chain lands. Returns an event set once Redis has the lock."""
    applied, real_set = asyncio.Event(), manager.redis.set

    async def set_then_stall(*args, **kwargs):
        await real_set(*args, **kwargs)
        applied.set()
        manager.redis.set = real_set
        await asyncio.Event().wait()

    manager.redis.set = set_then_stall
    return applied


async def cancel_mid_acquire(manager: StateManagerRedis, token: StateToken) -> bytes | None:
    """Start an event that takes the lock, cancel it while the SET's reply is in flight; returns
    who holds the lock afterwards."""
    applied = stall_after_set(manager)

    async def event() -> None:
        async with manager._lock(token, "on_load"):
            pass

    task = asyncio.create_task(event())
    await asyncio.wait_for(applied.wait(), NEXT_EVENT_WAIT_S)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return await manager.redis.get(manager._lock_key(token))


async def test_reflex_alone_leaves_the_lock_of_an_event_cancelled_while_taking_it(redis_url):
    """Why the module exists: if this starts failing, Reflex fixed it and ours can go."""
    manager = a_manager(StateManagerRedis, redis_url)
    holder = await cancel_mid_acquire(manager, a_token())
    assert holder is not None and holder.startswith(b"on_load:")
    await manager.redis.aclose()


async def test_an_event_cancelled_while_taking_the_lock_leaves_no_lock(redis_url):
    manager = a_manager(CancelSafeStateManagerRedis, redis_url)
    token = a_token()
    assert await cancel_mid_acquire(manager, token) is None

    # The member's next event gets the lock now, not after the expiry.
    async def next_event() -> str:
        async with manager._lock(token, "reload") as lock_id:
            return lock_id.decode()

    assert (await asyncio.wait_for(next_event(), NEXT_EVENT_WAIT_S)).startswith("reload:")
    assert await manager.redis.get(manager._lock_key(token)) is None
    await manager.redis.aclose()


async def test_an_event_cancelled_while_holding_the_lock_releases_it(redis_url):
    manager = a_manager(CancelSafeStateManagerRedis, redis_url)
    token, holding = a_token(), asyncio.Event()

    async def event() -> None:
        async with manager._lock(token, "on_load"):
            holding.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(event())
    await asyncio.wait_for(holding.wait(), NEXT_EVENT_WAIT_S)
    task.cancel()
    await asyncio.sleep(0)  # the first cancel reaches the event, which starts releasing
    task.cancel()  # a second cancel (disconnect, then the next page) while the release runs
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)  # the shielded release finishes on its own
    assert await manager.redis.get(manager._lock_key(token)) is None
    await manager.redis.aclose()


async def test_cancels_at_any_moment_leave_no_lock_and_a_waiter_always_gets_it(redis_url):
    """Many events, each cancelled after a random number of loop turns (before, during or after
    taking the lock), with a second event queued behind some of them."""
    manager = a_manager(CancelSafeStateManagerRedis, redis_url)
    turns = random.Random(17)
    for round_ in range(300):
        token = a_token()

        async def event(token=token) -> None:
            async with manager._lock(token, "on_load"):
                await asyncio.sleep(0)

        task = asyncio.create_task(event())
        for _ in range(turns.randint(0, 8)):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if round_ % 10 == 0:

            async def waiter(token=token) -> None:
                async with manager._lock(token, "next"):
                    pass

            await asyncio.wait_for(waiter(), NEXT_EVENT_WAIT_S)
        await asyncio.sleep(0.002)  # a shielded release still running finishes
        assert await manager.redis.get(manager._lock_key(token)) is None, f"round {round_}"
    await manager.redis.aclose()


async def test_a_release_never_deletes_another_events_lock(redis_url):
    """Ours expired mid-event and another event took the lock: leaving must not delete theirs
    (Reflex's GETDEL did)."""
    manager = a_manager(CancelSafeStateManagerRedis, redis_url)
    token = a_token()
    lock_key = manager._lock_key(token)
    async with manager._lock(token, "slow"):
        await manager.redis.set(lock_key, b"other-event")
    assert await manager.redis.get(lock_key) == b"other-event"
    await manager.redis.aclose()


async def test_install_swaps_the_redis_manager_keeping_its_settings(redis_url):
    stock = StateManagerRedis(
        redis=Redis.from_url(redis_url), token_expiration=600, lock_expiration=7_000, lock_warning_threshold=900
    )
    app = types.SimpleNamespace(_state_manager=stock)
    install(app)
    swapped = app._state_manager
    assert type(swapped) is CancelSafeStateManagerRedis
    assert (swapped.redis, swapped.token_expiration, swapped.lock_expiration, swapped.lock_warning_threshold) == (
        stock.redis,
        600,
        7_000,
        900,
    )
    install(app)
    assert app._state_manager is swapped
    await stock.redis.aclose()


async def test_install_leaves_the_one_worker_manager_alone():
    memory = StateManagerMemory()
    app = types.SimpleNamespace(_state_manager=memory)
    install(app)
    assert app._state_manager is memory
