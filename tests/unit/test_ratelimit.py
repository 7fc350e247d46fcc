"""Sliding-window counts (services/common/ratelimit.py): `any_reached` answers for several buckets and
windows in one statement exactly what `exceeded` answers for each."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import event

from hcpay_app.services.common import ratelimit
from tests.unit.conftest import NOW

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


@pytest.fixture
def hits(session):
    """Bucket "a": 1 hit 10 minutes ago, 2 more 5 hours ago; "b": 3 hits 30 minutes ago; a long
    bucket name, kept by its first MAX_BUCKET characters: 1 hit now."""
    for bucket, ago, times in (("a", 10, 1), ("a", 300, 2), ("b", 30, 3), ("x" * 200, 0, 1)):
        for _ in range(times):
            ratelimit.hit(session, bucket, now=NOW - dt.timedelta(minutes=ago))
    session.commit()
    return session


def test_each_bucket_is_counted_in_its_own_window(hits):
    assert ratelimit.any_reached(hits, [("a", 2, HOUR)], now=NOW) is False  # 1 in the hour
    assert ratelimit.any_reached(hits, [("a", 3, DAY)], now=NOW) is True  # 3 in the day
    assert ratelimit.any_reached(hits, [("a", 2, HOUR), ("b", 3, HOUR)], now=NOW) is True
    assert ratelimit.any_reached(hits, [("a", 2, HOUR), ("b", 4, DAY)], now=NOW) is False
    assert ratelimit.any_reached(hits, [("x" * 300, 1, HOUR)], now=NOW) is True
    assert ratelimit.any_reached(hits, [("nobody", 1, DAY)], now=NOW) is False
    assert ratelimit.any_reached(hits, [], now=NOW) is False


def test_it_agrees_with_counting_each_bucket_alone(hits):
    cases = [(bucket, limit, window) for bucket in ("a", "b", "c") for limit in (1, 2, 3, 4) for window in (HOUR, DAY)]
    for combination in itertools.combinations(cases, 2):
        alone = any(ratelimit.exceeded(hits, b, limit, now=NOW, window=w) for b, limit, w in combination)
        assert ratelimit.any_reached(hits, combination, now=NOW) is alone, combination


def test_several_buckets_and_windows_are_one_statement(hits):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = hits.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        ratelimit.any_reached(hits, [("a", 2, HOUR), ("b", 4, DAY), ("c", 1, HOUR), ("d", 1, DAY)], now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
