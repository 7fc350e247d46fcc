"""The sandbox processor's network, made to behave like a real gateway's (issue 17).

A real gateway answers in roughly 0.3–1 s, turns away requests above its rate limit with "try
later", and now and then times out, either before it charged or after. Each is a setting, off by
default so ordinary tests run at full speed:

  HCPAY_SANDBOX_LATENCY_MS            time each call takes (0: none)
  HCPAY_SANDBOX_JITTER_MS             up to this much more, at random
  HCPAY_SANDBOX_RATE_LIMIT            calls a second the sandbox accepts (0: no limit)
  HCPAY_SANDBOX_TIMEOUT_RATE          share of charges that time out, 0.0–1.0
  HCPAY_SANDBOX_SEED                  makes the random choices repeatable

The rate limit is kept per process, as one gateway account's limit is enforced by the gateway.
"""

from __future__ import annotations

import collections
import dataclasses
import random
import threading
import time
from collections.abc import Callable
from enum import StrEnum

RATE_WINDOW_SECONDS = 1.0


class Fault(StrEnum):
    """What the network does to one call."""

    NONE = "none"
    BUSY = "busy"  # rate-limited: refused before anything happened
    TIMEOUT_BEFORE = "timeout_before"  # no answer, and the charge never reached the processor
    TIMEOUT_AFTER = "timeout_after"  # no answer, but the processor charged


@dataclasses.dataclass(frozen=True)
class NetworkConditions:
    latency_ms: int = 0
    jitter_ms: int = 0
    rate_limit_per_second: int = 0
    timeout_rate: float = 0.0
    seed: int | None = None

    @property
    def ideal(self) -> bool:
        return not (self.latency_ms or self.jitter_ms or self.rate_limit_per_second or self.timeout_rate)


@dataclasses.dataclass(frozen=True)
class Call:
    fault: Fault
    retry_after_seconds: float = 0.0


class SandboxNetwork:
    """Decides, per call, how long it takes and whether it is refused or times out."""

    def __init__(
        self,
        conditions: NetworkConditions,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conditions = conditions
        self._sleep, self._monotonic = sleep, monotonic
        self._random = random.Random(conditions.seed)
        self._accepted: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def call(self) -> Call:
        """Spend a charge's latency, then say what happened to it."""
        conditions = self.conditions
        if conditions.ideal:
            return Call(Fault.NONE)
        with self._lock:
            roll, after = self._random.random(), self._random.random() < 0.5
            refused = self._over_limit()
        self.wait()
        if refused is not None:
            return Call(Fault.BUSY, refused)
        if roll < conditions.timeout_rate:
            return Call(Fault.TIMEOUT_AFTER if after else Fault.TIMEOUT_BEFORE)
        return Call(Fault.NONE)

    def wait(self) -> None:
        """Spend one call's latency (with its jitter)."""
        conditions = self.conditions
        if not (conditions.latency_ms or conditions.jitter_ms):
            return
        with self._lock:
            jitter = self._random.uniform(0, conditions.jitter_ms) if conditions.jitter_ms else 0.0
        self._sleep((conditions.latency_ms + jitter) / 1000)

    def _over_limit(self) -> float | None:
        """Seconds until a place frees if this call is over the rate limit, else None (and the
        call is counted). Called under the lock."""
        limit = self.conditions.rate_limit_per_second
        if not limit:
            return None
        now = self._monotonic()
        while self._accepted and self._accepted[0] <= now - RATE_WINDOW_SECONDS:
            self._accepted.popleft()
        if len(self._accepted) >= limit:
            return max(self._accepted[0] + RATE_WINDOW_SECONDS - now, 0.001)
        self._accepted.append(now)
        return None
