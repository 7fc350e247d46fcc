"""Run the same work on several threads released at one instant: how the tests make two jobs (or
two claims) race for the same rows."""

from __future__ import annotations

import threading
from collections.abc import Callable


def results_together(count: int, work: Callable[[], object], *, timeout: float = 60) -> tuple[list, list]:
    """Start `count` threads that call `work` at once; returns (what they returned, what they raised)."""
    start = threading.Barrier(count)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        try:
            value = work()
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(value)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, errors


def run_together(count: int, work: Callable[[], object]) -> list[BaseException]:
    """Start `count` threads that call `work` at once; returns what any of them raised."""
    return results_together(count, work)[1]
