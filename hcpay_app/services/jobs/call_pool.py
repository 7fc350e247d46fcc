"""A process's processor calls, many at once: one bounded pool of threads shared by every chunk.

A processor answers in 0.3–1 s, so a chunk of charges asked one after another keeps a queue thread
waiting for minutes while the machine idles. A chunk's calls are handed to this pool instead and run
at once; every chunk the process works shares it, so the process never has more than
HCPAY_PROCESSOR_CALLS calls in flight whatever its queue threads (the bound a connection pool and a
processor's concurrency limit need). Each call still waits for its place under the charge rate limit
first — that is the caller's function's business, done on the pool's thread.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
from collections.abc import Callable, Sequence
from typing import TypeVar

from hcpay_app.config import get_settings

Item = TypeVar("Item")
Answer = TypeVar("Answer")


@functools.lru_cache(maxsize=4)
def _pool(size: int) -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="hcpay-processor-call")


def map_calls(call: Callable[[Item], Answer], items: Sequence[Item]) -> list[Answer]:
    """`call` of each item, at most HCPAY_PROCESSOR_CALLS at once across the process; the answers
    in the items' order once all are in. `call` must not raise (an exception is re-raised here, after
    every other call has finished). Each call runs in a copy of the caller's context."""
    size = get_settings().processor_calls
    if size <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    pool = _pool(size)
    futures = [pool.submit(contextvars.copy_context().run, call, item) for item in items]
    concurrent.futures.wait(futures)
    return [future.result() for future in futures]
