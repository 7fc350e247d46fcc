"""Counting the app engine's connections in use, whatever its pool (SQLite's has none)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextlib.contextmanager
def connections_in_use(engine: Engine) -> Iterator[Callable[[], int]]:
    """How many connections `engine` has handed out since the block began and not had back."""
    out = [0]

    def taken(*_args) -> None:
        out[0] += 1

    def given_back(*_args) -> None:
        out[0] -= 1

    event.listen(engine, "checkout", taken)
    event.listen(engine, "checkin", given_back)
    try:
        yield lambda: out[0]
    finally:
        event.remove(engine, "checkout", taken)
        event.remove(engine, "checkin", given_back)
