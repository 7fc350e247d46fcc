"""The per-address log-in rate, answered first from this process's own memory.

The database's count (`authn._check_login_rates`) is the rule every worker shares. In a flood from
one address, though, each refusal there costs a database write and a worker thread. This process
remembers the log-in attempts it has seen from each address in the last minute: once those alone
pass the limit, the database would refuse too (it counts every attempt, these among them), so the
attempt is refused here at once, with no I/O. Below the limit nothing is decided here.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading

WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000  # past this, addresses quiet for a whole window are forgotten

_seen: dict[str, collections.deque[float]] = {}
_lock = threading.Lock()


def over_limit(ip: str, limit: int, *, now: dt.datetime) -> bool:
    """Count this attempt from `ip`; True when this process has seen more than `limit` attempts from
    it within the last minute (this one included), so the shared rate refuses it anyway."""
    moment = now.timestamp()
    with _lock:
        attempts = _seen.setdefault(ip, collections.deque())
        while attempts and attempts[0] <= moment - WINDOW_SECONDS:
            attempts.popleft()
        attempts.append(moment)
        if len(_seen) > MAX_ADDRESSES:
            _forget_quiet(moment)
        return len(attempts) > limit


def _forget_quiet(moment: float) -> None:
    for address in [a for a, seen in _seen.items() if not seen or seen[-1] <= moment - WINDOW_SECONDS]:
        del _seen[address]


def forget_all() -> None:
    """For tests: start from an empty memory."""
    with _lock:
        _seen.clear()
