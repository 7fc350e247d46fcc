"""The Redis state manager of the scale-out mode, with a state lock that a cancelled event never
leaves behind.

Reflex cancels a page's superseded event chain (a reload, a new page, a disconnect). Its
`StateManagerRedis._lock` takes the lock with `SET NX` and only counts it as held once the reply
is back: a cancel that lands while the reply is in flight leaves a lock nobody releases, and the
member's next event waits for its expiry (`redis_lock_expiration`, 10 s). Its release is a
`GETDEL`, which also deletes another event's lock once ours has expired.

Here every way out of taking the lock, and the release, delete the lock only if it is still
ours (one compare-and-delete script), shielded from a second cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from reflex.istate.manager.redis import StateManagerRedis
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


class CancelSafeStateManagerRedis(StateManagerRedis):
    """`StateManagerRedis` whose state lock is released however the event holding it ends."""

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
