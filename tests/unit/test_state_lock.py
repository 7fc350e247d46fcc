"""The scale-out mode's state lock (`hcpay_app.state_lock`): an event that Reflex cancels while it
takes or holds a member's state lock never leaves the lock behind, so the member's next event does
not wait for the lock's expiry; a release never deletes another event's lock; and a worker holds a
tab's state between its events, giving it up at once to another worker that asks. Against a
throwaway Redis on loopback, with a lock expiry (and so a lease) far longer than any wait here."""

from __future__ import annotations

import asyncio
import dataclasses
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


@dataclasses.dataclass
class Tab:
    """Stands for a tab's states: pickled into Redis under its token, as Reflex's are."""

    events: int = 0


def a_tab() -> StateToken:
    return StateToken(ident=uuid.uuid4().hex, cls=Tab)


async def a_worker(url: str) -> StateManagerRedis:
    """A worker's manager, listening for lock news (as a running app's is before its first lease)."""
    manager = a_manager(CancelSafeStateManagerRedis, url)
    await manager._ensure_lock_task_subscribed(timeout=NEXT_EVENT_WAIT_S)
    return manager


async def one_event(manager: StateManagerRedis, token: StateToken) -> int:
    async with manager.modify_state(token) as tab:
        tab.events += 1
        return tab.events


async def stored(url: str, token: StateToken) -> tuple[Tab | None, bytes | None]:
    """What Redis holds of the tab: its state and its lock's holder."""
    redis = Redis.from_url(url)
    data, lock = await redis.get(str(token)), await redis.get(CancelSafeStateManagerRedis._lock_key(token))
    await redis.aclose()
    return (token.deserialize(data=data) if data else None), lock


def stall_after(manager: StateManagerRedis, command: str) -> asyncio.Event:
    """Redis runs the next `command` but its reply stays on the wire: the window in which Reflex's
    cancel of a superseded page-load chain lands. Returns an event set once Redis has run it."""
    ran, real = asyncio.Event(), getattr(manager.redis, command)

    async def run_then_stall(*args, **kwargs):
        await real(*args, **kwargs)
        ran.set()
        setattr(manager.redis, command, real)
        await asyncio.Event().wait()

    setattr(manager.redis, command, run_then_stall)
    return ran


async def cancel_mid_acquire(manager: StateManagerRedis, token: StateToken) -> bytes | None:
    """Start an event that takes the lock, cancel it while the SET's reply is in flight; returns
    who holds the lock afterwards."""
    applied = stall_after(manager, "set")  # SET NX: the lock

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


async def test_leases_are_on_unless_reflex_switch_turns_them_off(redis_url, monkeypatch):
    monkeypatch.delenv("REFLEX_OPLOCK_ENABLED", raising=False)
    manager = a_manager(CancelSafeStateManagerRedis, redis_url)
    assert manager._oplock_enabled
    monkeypatch.setenv("REFLEX_OPLOCK_ENABLED", "false")
    assert not a_manager(CancelSafeStateManagerRedis, redis_url)._oplock_enabled
    await manager.redis.aclose()


async def cancel_while_starting_a_lease(manager: StateManagerRedis, token: StateToken) -> bytes | None:
    """An event cancelled after taking the lock and before its lease owns it (while Redis answers
    whether another worker waits); returns who holds the lock afterwards."""
    asking = stall_after(manager, "scard")  # how many other workers wait for the lock
    task = asyncio.create_task(one_event(manager, token))
    await asyncio.wait_for(asking.wait(), NEXT_EVENT_WAIT_S)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.05)  # a shielded release finishes on its own
    return await manager.redis.get(manager._lock_key(token))


async def test_reflex_alone_leaves_the_lock_of_an_event_cancelled_while_starting_a_lease(redis_url):
    """Why `_try_modify_state` is ours: if this starts failing, Reflex fixed it and ours can go."""
    manager = a_manager(StateManagerRedis, redis_url)
    manager._oplock_enabled = True
    await manager._ensure_lock_task_subscribed(timeout=NEXT_EVENT_WAIT_S)
    assert await cancel_while_starting_a_lease(manager, a_tab()) is not None
    await manager.close()


async def test_an_event_cancelled_while_starting_a_lease_leaves_no_lock(redis_url):
    manager = await a_worker(redis_url)
    token = a_tab()
    assert await cancel_while_starting_a_lease(manager, token) is None
    assert await asyncio.wait_for(one_event(manager, token), NEXT_EVENT_WAIT_S) == 1
    await manager.close()


async def test_a_worker_holds_a_tabs_state_and_hands_it_over_when_another_worker_asks(redis_url):
    first, second = await a_worker(redis_url), await a_worker(redis_url)
    token = a_tab()
    assert [await one_event(first, token) for _ in range(3)] == [1, 2, 3]
    # Served from the first worker's memory: nothing written yet, and the lock still its own.
    state, lock = await stored(redis_url, token)
    assert state is None and lock is not None

    # A reload that lands on the second worker: the first lets go at once (not after its lease,
    # a minute here) and writes what it held, so nothing the tab did is lost.
    assert await asyncio.wait_for(one_event(second, token), NEXT_EVENT_WAIT_S) == 4
    assert await asyncio.wait_for(one_event(first, token), NEXT_EVENT_WAIT_S) == 5

    # Shutting down writes the held state and frees the lock.
    await first.close()
    await second.close()
    state, lock = await stored(redis_url, token)
    assert state == Tab(events=5) and lock is None


async def test_a_lease_ends_on_its_own_writing_the_state_and_freeing_the_lock(redis_url):
    """A tab left alone: its worker writes what it held and lets the lock go once the lease's hold
    time is over (short here), so the state in Redis is never older than that."""
    manager = CancelSafeStateManagerRedis(
        redis=Redis.from_url(redis_url),
        lock_expiration=LONG_EXPIRY_MS,
        lock_warning_threshold=1_000,
        oplock_hold_time_ms=100,
    )
    await manager._ensure_lock_task_subscribed(timeout=NEXT_EVENT_WAIT_S)
    token = a_tab()
    assert await one_event(manager, token) == 1

    async def written() -> None:
        while await stored(redis_url, token) != (Tab(events=1), None):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(written(), NEXT_EVENT_WAIT_S)
    # The tab's next event takes a new lease and carries on from what was written.
    assert await one_event(manager, token) == 2
    await manager.close()


async def test_events_cancelled_at_any_moment_under_a_lease_leave_the_tab_usable(redis_url):
    """Reflex cancels superseded events: whenever that lands (taking the lock, inside the lease,
    handing it over), the tab's next event on either worker runs, and at the end no lock is left."""
    first, second = await a_worker(redis_url), await a_worker(redis_url)
    turns = random.Random(29)
    token = a_tab()
    for round_ in range(60):
        worker = (first, second)[turns.randint(0, 1)]
        task = asyncio.create_task(one_event(worker, token))
        for _ in range(turns.randint(0, 12)):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.wait_for(one_event((first, second)[round_ % 2], token), NEXT_EVENT_WAIT_S)
    await first.close()
    await second.close()
    state, lock = await stored(redis_url, token)
    assert lock is None
    assert state is not None and 60 <= state.events <= 120
