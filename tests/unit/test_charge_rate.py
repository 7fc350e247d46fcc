"""The charge rate across every worker (`charge_queue.RedisLimiter`): at most the limit in each
bucket of time, however many calls ask at once and from however many workers; a new bucket brings
new places. Against a throwaway Redis on loopback; the clock is given, never read."""

from __future__ import annotations

import threading

import pytest
import redis

from hcpay_app.services.jobs.charge_queue import RedisLimiter
from tests.support import services

BUCKET_MS = 1000
AN_INSTANT = 1_900_000_000_250  # milliseconds, a quarter into its bucket


@pytest.fixture(scope="module")
def client():
    with services.redis() as url:
        connection = redis.Redis.from_url(url)
        yield connection
        connection.close()


def asked_at_once(limiters: list[RedisLimiter], calls: int, now_ms: int) -> int:
    """`calls` threads, spread over the limiters, ask at one instant; how many got a place."""
    start, granted, lock = threading.Barrier(calls), [], threading.Lock()

    def ask(limiter: RedisLimiter) -> None:
        start.wait()
        got = limiter.try_acquire(now_ms)
        with lock:
            granted.append(got)

    threads = [threading.Thread(target=ask, args=(limiters[n % len(limiters)],)) for n in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sum(granted)


def test_many_calls_at_once_get_the_limit_and_no_more(client):
    limiter = RedisLimiter(client, "test-rate-one", 5, BUCKET_MS)
    assert asked_at_once([limiter], 24, AN_INSTANT) == 5
    assert not limiter.try_acquire(AN_INSTANT + 700)  # later in the same bucket: still full


def test_workers_share_one_rate(client):
    workers = [RedisLimiter(client, "test-rate-shared", 7, BUCKET_MS) for _ in range(3)]
    assert asked_at_once(workers, 30, AN_INSTANT) == 7


def test_the_next_bucket_brings_new_places(client):
    limiter = RedisLimiter(client, "test-rate-next", 3, BUCKET_MS)
    assert asked_at_once([limiter], 6, AN_INSTANT) == 3
    assert asked_at_once([limiter], 6, AN_INSTANT + BUCKET_MS) == 3


def test_a_bucket_is_forgotten_after_it_is_over(client):
    limiter = RedisLimiter(client, "test-rate-ttl", 2, BUCKET_MS)
    limiter.try_acquire(AN_INSTANT)
    key = f"test-rate-ttl@{AN_INSTANT - AN_INSTANT % BUCKET_MS}"
    assert 0 < client.pttl(key) <= 2 * BUCKET_MS
