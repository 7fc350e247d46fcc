"""The Redis state manager of the scale-out mode, with a state lock that a cancelled event never
leaves behind.

Reflex cancels a page's superseded event chain (a reload, a new page, a disconnect). Its
`StateManagerRedis._lock` takes the lock with `SET NX` and only counts it as held once the reply
is back: a cancel that lands while the reply is in flight leaves a lock nobody releases, and the
member's next event waits for its expiry (`redis_lock_expiration`, 10 s). Its release is a
`GETDEL`, which also deletes another event's lock once ours has expired.

Here every way out of taking the lock, and the release, delete the lock only if it is still
ours (one compare-and-delete script), shielded from a second cancel.

The manager also holds a tab's lock and state between its events (Reflex's opportunistic lock,
on unless `REFLEX_OPLOCK_ENABLED=false`): a tab's socket stays on one worker, so its next events
are served from memory instead of each taking the lock, fetching and unpickling the tab's states
and writing them back. The lease ends after `oplock_hold_time_ms` (Reflex's default: half the
lock's expiry), at once when another worker asks for the lock (a reload that lands there), and at
shutdown; each end writes the state to Redis. Within a lease a tab's state behaves as it does on
one worker, where Reflex keeps it in memory. Reflex's way into a lease has the same fault as its
lock: a cancel that lands after the lock is taken and before the lease owns it leaves the lock
taken (6 of 6 random series of cancels here), so `_try_modify_state` is Reflex's with every way
out of that window letting the lock go.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from reflex.istate.manager.redis import OplockFound, StateManagerRedis
from reflex_base.environment import environment
from reflex_base.utils.exceptions import LockExpiredError

log = logging.getLogger(__name__)

# Deletes KEYS[1] only if it holds ARGV[1]; returns whoever held it (nil if nobody).
_RELEASE_IF_OURS = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
    redis.call('DEL', KEYS[1])
end
return holder
"""


# What `_try_modify_state` does once it has the lock.
_LEASED, _ONE_UPDATE, _AGAIN = "leased", "one update", "again"


def _leases_wanted() -> bool:
    """Reflex's own switch when set; on otherwise (Reflex's default is off)."""
    flag = environment.REFLEX_OPLOCK_ENABLED
    return flag.get() if flag.is_set() else True


@dataclasses.dataclass
class CancelSafeStateManagerRedis(StateManagerRedis):
    """`StateManagerRedis` whose state lock is released however the event holding it ends, and
    which holds a tab's state between its events."""

    _oplock_enabled: bool = dataclasses.field(default_factory=_leases_wanted, init=False)

    @contextlib.asynccontextmanager
    async def _try_modify_state(self, token: Any, **context: Any) -> AsyncIterator[Any]:
        """Reflex's (0.10): the tab's state from this worker's lease, or the lock taken and a lease
        started, or one update under the lock when another worker waits for it; None to try
        again. The difference: the lock taken here is let go whenever the lease does not take
        it over, a cancel included."""
        if not self._oplock_enabled:
            async with super()._try_modify_state(token, **context) as state:
                yield state
            return
        async with self._get_state_cached(token) as cached_state:
            if cached_state is not None:
                yield cached_state
                self._notify_next_waiter(self._lock_key(token))
                return
        event = context.get("event")
        held = contextlib.AsyncExitStack()
        try:
            lock_id = await held.enter_async_context(self._lock(token, event_name=event.name if event else None))
        except OplockFound:  # another event of this worker started a lease meanwhile: use it
            yield None
            return
        try:
            next_step = await self._start_lease(token, lock_id, held, **context)
        except BaseException:
            await asyncio.shield(self._let_go(token, lock_id, held))
            raise
        if next_step == _ONE_UPDATE:
            async with held:
                state = await self.get_state(token)
                yield state
                await self.set_state(token, state, lock_id=lock_id, **context)
            return
        if next_step == _AGAIN:
            await asyncio.shield(held.aclose())
        yield None  # the lease holds the lock now (or it was lost): served from it on the next try

    async def _start_lease(self, token: Any, lock_id: bytes, held: contextlib.AsyncExitStack, **context: Any) -> str:
        """With the lock taken: start this worker's lease on the tab (it owns `held` from then on),
        or say to do one update under the lock (another worker is waiting), or to try again."""
        lock_key = token.lock_key
        if not await self._get_local_lease(lock_key) and await self._n_lock_contenders(self._lock_key(token)) > 0:
            return _ONE_UPDATE
        lease = await self._create_lease_break_task(token, lock_id, cleanup_ctx=held, **context)
        current = await self._get_local_lease(lock_key)
        if lease is not None and lease is current:
            return _LEASED
        if current is None:
            await self._try_extend_lock(self._lock_key(token))
            if await self.redis.get(self._lock_key(token)) == lock_id:
                return _ONE_UPDATE
        return _AGAIN

    async def _let_go(self, token: Any, lock_id: bytes, held: contextlib.AsyncExitStack) -> None:
        """A cancel (or error) landed while starting a lease: end a lease already started for this
        lock (it writes what it holds and lets the lock go), or let the lock go."""
        lease = self._local_leases.get(token.lock_key)
        # Reflex names each lease task after the lock it holds.
        if lease is not None and lease.get_name().endswith(f"|{lock_id.decode()}"):
            lease.cancel()
            with contextlib.suppress(BaseException):
                await lease
            return
        await held.aclose()

    @contextlib.asynccontextmanager
    async def _lock(self, token: Any, event_name: str | None = None) -> AsyncIterator[bytes]:
        lock_key = self._lock_key(token)
        lock_id = (f"{event_name}:{uuid.uuid4().hex}" if event_name else uuid.uuid4().hex).encode()
        try:
            await self._wait_lock(lock_key, lock_id)
        except BaseException:
            # The SET NX may have reached Redis before the cancel (or error) reached us.
            await asyncio.shield(self._release(lock_key, lock_id, held=False))
            raise
        held = True
        try:
            yield lock_id
        except LockExpiredError:
            held = False
            raise
        finally:
            if held:
                await asyncio.shield(self._release(lock_key, lock_id, held=True))

    async def _release(self, lock_key: bytes, lock_id: bytes, *, held: bool) -> None:
        holder = await self.redis.eval(_RELEASE_IF_OURS, 1, lock_key, lock_id)
        if held and holder is not None and holder != lock_id:
            log.warning("State lock %s outlived %s and belongs to %s", lock_key, lock_id, holder)
        # A waiter in this process may have registered after Redis sent the delete notice.
        self._notify_next_waiter(lock_key)


def from_stock(manager: StateManagerRedis) -> CancelSafeStateManagerRedis:
    """The cancel-safe manager with the settings Reflex gave its own (read from rxconfig)."""
    return CancelSafeStateManagerRedis(
        redis=manager.redis,
        token_expiration=manager.token_expiration,
        lock_expiration=manager.lock_expiration,
        lock_warning_threshold=manager.lock_warning_threshold,
        oplock_hold_time_ms=manager.oplock_hold_time_ms,
    )


def install(app: Any) -> None:
    """Swap the app's Redis state manager (scale-out mode) for the cancel-safe one; a no-op on
    one worker, where Reflex keeps state in memory or on disk."""
    manager = app._state_manager
    if type(manager) is StateManagerRedis:
        app._state_manager = from_stock(manager)
