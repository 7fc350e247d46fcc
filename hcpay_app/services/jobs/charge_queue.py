"""The day's charges fan out on a task queue: Dramatiq, on Redis.

Why Dramatiq on Redis: Redis is what the scale-out mode already runs (Reflex's state manager);
Dramatiq is small (nothing beyond redis-py), its workers run a bounded number of threads each, a
counter in Redis holds one rate across every worker on every machine, and its Redis broker
gives a dead worker's unacknowledged messages to the living (heartbeats). Delivery is at least
once; every task is idempotent (claims by conditional UPDATE, the processor's idempotency keys), so
each charge happens exactly once. Without Redis (SQLite, `make run`) the same tasks run on a
bounded pool of the job's own threads, with the same rate limit: nothing new to start.

The daily job claims what is due, sends one message per charge, and works the queue itself while it
waits, so it finishes even with no other worker; `python -m hcpay_app charge-worker` adds workers
on any machine. Progress is counted per batch in Redis and reported with a rate.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import functools
import importlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

from hcpay_app.config import get_settings

log = logging.getLogger(__name__)

QUEUE = "charges"
# Where each kind of charge is done: module and function, imported when the first message arrives
# (the jobs import this module, so naming them here avoids an import cycle).
HANDLERS = {
    "scheduled": ("hcpay_app.services.jobs.scheduled_charges", "charge_claimed"),
    "autopay": ("hcpay_app.services.jobs.autopay_batch", "attempt_runs"),
    "installment": ("hcpay_app.services.jobs.plan_installments", "charge_installment"),
}
# Kinds whose message is a chunk of charges ("12,13,14"): the handler waits for the rate limit
# before each processor call itself.
CHUNKED = frozenset({"autopay"})
# Messages per thread a CHUNKED kind is cut into (each worker takes a few at a time: see _worker).
CHUNKS_PER_THREAD = 4
PROGRESS_EVERY_SECONDS = 5.0
RATE_BUCKET_MS = 1000
COUNT_TTL_SECONDS = 7 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class Charge:
    """One message: its kind (a key of HANDLERS), what identifies its charge (or, for a CHUNKED
    kind, its charges), and how many charges it holds."""

    kind: str
    key: str
    count: int = 1


@dataclasses.dataclass
class BatchReport:
    label: str
    total: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


class _Queue:
    """The Redis broker, the rate limiter shared by every worker, and the batch counters."""

    def __init__(self, redis_url: str) -> None:
        settings = get_settings()
        middleware = [
            AgeLimit(),
            TimeLimit(),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(max_retries=0),
        ]
        self.broker = RedisBroker(
            url=redis_url,
            namespace="hcpay-charges",
            middleware=middleware,
            heartbeat_timeout=settings.queue_heartbeat_ms,
            maintenance_chance=settings.queue_maintenance_chance,
        )
        self.redis = self.broker.client
        self.limiter = (
            RedisLimiter(self.redis, "hcpay-processor-charges", settings.charge_rate_limit, RATE_BUCKET_MS)
            if settings.charge_rate_limit
            else None
        )
        self.actor = dramatiq.actor(
            _run_charge, broker=self.broker, queue_name=QUEUE, max_retries=0, time_limit=600_000
        )
        self.own_worker: dramatiq.Worker | None = None
        self._lock = threading.Lock()

    def work_here(self) -> None:
        """Work the queue in this process too, from the first batch on (daemon threads), unless
        HCPAY_JOB_WORKER_THREADS is 0."""
        threads = get_settings().job_worker_threads
        with self._lock:
            if self.own_worker is None and threads:
                self.own_worker = _worker(self.broker, threads)
                self.own_worker.start()

    def close(self) -> None:
        if self.own_worker is not None:
            self.own_worker.stop()
        self.broker.close()

    def count_done(self, batch: str, charges: int = 1) -> None:
        key = f"hcpay-charges:done:{batch}"
        self.redis.incrby(key, charges)
        self.redis.expire(key, COUNT_TTL_SECONDS)

    def done(self, batch: str) -> int:
        return int(self.redis.get(f"hcpay-charges:done:{batch}") or 0)


class RedisLimiter:
    """One rate across every worker on every machine: a counter per bucket of time in Redis, raised
    with one atomic INCR a call; a call that finds it past the limit waits for the next bucket.
    (Dramatiq's BucketRateLimiter takes SET NX, then WATCH, GET, MULTI … EXEC, again after every
    collision: with a process's many calls at once, 43% of a charge worker's threads' time.)"""

    def __init__(self, client, key: str, limit: int, bucket_ms: int) -> None:
        self.client, self.key, self.limit, self.bucket_ms = client, key, limit, bucket_ms

    def try_acquire(self, now_ms: int | None = None) -> bool:
        """A place in the bucket of `now_ms` (the clock's milliseconds when None), if one is left."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        key = f"{self.key}@{now_ms - now_ms % self.bucket_ms}"
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.pexpire(key, 2 * self.bucket_ms)
            taken, _expiry = pipe.execute()
        return taken <= self.limit


class _LocalLimiter:
    """The charge rate without Redis: one process, one bucket a second."""

    def __init__(self, limit: int) -> None:
        self.limit, self._lock = limit, threading.Lock()
        self._second, self._used = 0, 0

    def wait(self) -> None:
        while True:
            with self._lock:
                second = int(time.monotonic())
                if second != self._second:
                    self._second, self._used = second, 0
                if self._used < self.limit:
                    self._used += 1
                    return
            time.sleep(1 - time.monotonic() % 1 + random.uniform(0.001, 0.02))


@functools.lru_cache(maxsize=1)
def queue() -> _Queue:
    return _Queue(get_settings().redis_url or "")


@functools.lru_cache(maxsize=4)
def _local_limiter(limit: int) -> _LocalLimiter:
    return _LocalLimiter(limit)


def reset() -> None:
    """Forget this process's broker (tests, after changing settings)."""
    if queue.cache_info().currsize:
        queue().close()
    queue.cache_clear()


def chunk_size(charges: int, most: int) -> int:
    """Charges per message for a CHUNKED kind: at most `most`, and few enough for CHUNKS_PER_THREAD
    messages per thread of the job's pool (or of one charge-worker) — every thread of several
    workers gets some, and no worker is left with the others' tail."""
    settings = get_settings()
    threads = settings.job_worker_threads or settings.charge_worker_threads
    return max(1, min(most, -(-charges // (max(threads, 1) * CHUNKS_PER_THREAD))))


def wait_for_rate() -> None:
    """Below the processor's limit, across every worker: wait for a place in this second's bucket."""
    limit = get_settings().charge_rate_limit
    if not limit:
        return
    if not get_settings().redis_url:
        _local_limiter(limit).wait()
        return
    limiter = queue().limiter
    while limiter is not None and not limiter.try_acquire():
        _sleep_till_next_bucket(RATE_BUCKET_MS / 1000)


def _sleep_till_next_bucket(bucket_seconds: float) -> None:
    """This second's places are taken: ask again when the next bucket opens (with a little jitter),
    not every few milliseconds — a process has many calls waiting at once."""
    time.sleep(bucket_seconds - time.time() % bucket_seconds + random.uniform(0.001, 0.02))


def _run_charge(kind: str, key: str, today: str, now: str, batch: str, count: int = 1) -> None:
    """One message: make the charge, or the chunk of them (idempotent), then count them done for
    their batch. A charge that fails here is not retried by the queue: it is left claimed, and the
    next job finishes it with the same idempotency key (interrupted autopay runs, payments left
    processing)."""
    module, function = HANDLERS[kind]
    if kind not in CHUNKED:
        wait_for_rate()
    try:
        handler = getattr(importlib.import_module(module), function)
        handler(key, today=dt.date.fromisoformat(today), now=dt.datetime.fromisoformat(now))
    except Exception:  # noqa: BLE001 — logged; finished by the next job, as after a crash
        log.exception("charge %s %s failed; the next daily job finishes it", kind, key)
    if batch:
        queue().count_done(batch, count)


def worker(threads: int | None = None) -> dramatiq.Worker:
    """A worker of this process on the charges queue, with a bounded number of threads."""
    return _worker(queue().broker, threads or get_settings().charge_worker_threads)


def _worker(broker: RedisBroker, threads: int) -> dramatiq.Worker:
    """A worker that holds at most one message per thread, being worked or waiting (Dramatiq's
    default is two): the first worker to ask would otherwise take twice its share, and of a few
    large chunks all (measured: of 40 chunks, two workers of 32 threads, one got them all and the
    other sat idle)."""
    w = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads)
    w.queue_prefetch = threads
    return w


def run_all(
    label: str,
    charges: Iterable[Charge],
    *,
    today: dt.date,
    now: dt.datetime,
    progress: Callable[[str], None] | None = None,
) -> BatchReport:
    """Send every charge to the queue and return once each is done, working the queue here too
    (HCPAY_JOB_WORKER_THREADS threads; with 0 and Redis, `charge-worker` processes do it all)."""
    charges = list(charges)
    total = sum(charge.count for charge in charges)
    started = time.monotonic()
    if not charges:
        return BatchReport(label, 0, 0.0)
    if not get_settings().redis_url:
        return _run_in_process(label, charges, today=today, now=now, progress=progress)
    q = queue()
    batch = uuid.uuid4().hex
    for charge in charges:
        q.actor.send(charge.kind, charge.key, today.isoformat(), now.isoformat(), batch, charge.count)
    q.work_here()
    last_said = started
    while (done := q.done(batch)) < total:
        time.sleep(0.02)
        if progress and time.monotonic() - last_said >= PROGRESS_EVERY_SECONDS:
            last_said = time.monotonic()
            elapsed = last_said - started
            progress(f"{label}: {done} of {total} charges, {done / elapsed:.1f} a second")
    report = BatchReport(label, total, time.monotonic() - started)
    if progress:
        progress(f"{label}: {report.total} charges in {report.seconds:.1f} s, {report.per_second:.1f} a second")
    return report


def _run_in_process(
    label: str,
    charges: list[Charge],
    *,
    today: dt.date,
    now: dt.datetime,
    progress: Callable[[str], None] | None,
) -> BatchReport:
    """Without Redis: the same tasks on a bounded pool of this process's threads (one charge is
    made on the job's own thread)."""
    started = time.monotonic()
    total = sum(charge.count for charge in charges)
    threads = min(max(get_settings().job_worker_threads, 1), len(charges))
    args = (today.isoformat(), now.isoformat(), "")
    if threads == 1:
        for charge in charges:
            _run_charge(charge.kind, charge.key, *args)
    else:
        with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="hcpay-charge") as pool:
            futures = {pool.submit(_run_charge, charge.kind, charge.key, *args): charge.count for charge in charges}
            last_said, done = started, 0
            for future in concurrent.futures.as_completed(futures):
                done += futures[future]
                if progress and time.monotonic() - last_said >= PROGRESS_EVERY_SECONDS:
                    last_said = time.monotonic()
                    rate = done / (last_said - started)
                    progress(f"{label}: {done} of {total} charges, {rate:.1f} a second")
    report = BatchReport(label, total, time.monotonic() - started)
    if progress:
        progress(f"{label}: {report.total} charges in {report.seconds:.1f} s, {report.per_second:.1f} a second")
    return report
