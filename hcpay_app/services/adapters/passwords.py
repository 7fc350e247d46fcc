"""bcrypt hashing with equal work on every failure path."""

from __future__ import annotations

import contextlib
import functools
import os
import threading

import bcrypt

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.services.common.errors import TryAgainSoon
from hcpay_app.services.common.validators import PASSWORD_MAX_BYTES

# bcrypt is slow on purpose. At most (cores - 1) hashes at once leave a core for the event loop and
# the database; at most HCPAY_BCRYPT_QUEUE more may wait for a slot. Each waiter holds a thread of
# the pool every handler shares, so past that a burst is refused at once (`TryAgainSoon`) instead
# of starving every other member's taps.
_SLOTS = max(1, (os.cpu_count() or 2) - 1)
_HASHING_SLOTS = threading.BoundedSemaphore(_SLOTS)
BUSY_MESSAGE = Msg("Many people are logging in right now. Please try again in a few seconds.")


def hashing_slots() -> int:
    """How many hashes run at once."""
    return _SLOTS


@functools.cache
def _admission(queue: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(_SLOTS + queue)


@contextlib.contextmanager
def _hashing_slot():
    """A bcrypt slot, waiting in a bounded queue; refused at once when the queue is full."""
    admission = _admission(get_settings().bcrypt_queue)
    if not admission.acquire(blocking=False):
        raise TryAgainSoon(BUSY_MESSAGE)
    try:
        with _HASHING_SLOTS:
            yield
    finally:
        admission.release()


def _encode(password: str) -> bytes | None:
    data = password.encode("utf-8") if isinstance(password, str) else b""
    return data if 0 < len(data) <= PASSWORD_MAX_BYTES else None


def hash_password(password: str) -> str:
    data = _encode(password)
    if data is None:
        raise ValueError("password must be 1–72 bytes")
    with _hashing_slot():
        return bcrypt.hashpw(data, bcrypt.gensalt(rounds=get_settings().bcrypt_cost)).decode()


@functools.lru_cache(maxsize=4)
def _dummy_hash(cost: int) -> bytes:
    with _HASHING_SLOTS:
        return bcrypt.hashpw(b"no-such-user-placeholder", bcrypt.gensalt(rounds=cost))


def verify_password(password: str, stored_hash: str | None) -> bool:
    """True when `password` matches. Always performs one bcrypt check, even with no hash or an
    unusable password, so the time taken tells nothing."""
    data = _encode(password)
    target = stored_hash.encode() if stored_hash else _dummy_hash(get_settings().bcrypt_cost)
    with _hashing_slot():
        ok = bcrypt.checkpw(data if data is not None else b"not-a-usable-password", target)
    return ok and data is not None and stored_hash is not None


def burn_equal_work() -> None:
    """One bcrypt check against the dummy hash, for paths that must cost what a real check costs."""
    verify_password("placeholder", None)
