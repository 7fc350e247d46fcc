"""Run the same work on several threads released at one instant: how the tests make two jobs (or
two claims) race for the same rows."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(count: int, work: Callable[[], object]) -> list[BaseException]:
    """Start `count` threads that call `work` at once; returns what any of them raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors
