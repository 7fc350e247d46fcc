"""`charge-worker` processes for a benchmark: started with this process's environment (its
DATABASE_URL, REDIS_URL and HCPAY_* settings), ready once each says so, stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hcpay_app.config import get_settings
from hcpay_app.services.adapters import processor
from hcpay_app.services.jobs import charge_queue

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def running(count: int, log_dir: Path) -> Iterator[list[subprocess.Popen]]:
    logs = [log_dir / f"worker{n}.log" for n in range(count)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "hcpay_app", "charge-worker"],
            cwd=ROOT,
            env={**os.environ},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 120
        while not all("charge-worker:" in log.read_text() for log in logs):
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "workers did not start"
            time.sleep(0.2)
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)


@contextlib.contextmanager
def queue_settings(
    monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, settings: dict[str, str]
) -> Iterator[None]:
    """This process, and the workers it starts, on the benchmark's database and Redis with `settings`:
    the job only claims and sends (the workers charge). The cached settings, processor and queue are
    dropped before and after, so neither side sees the other's."""
    for name, value in {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HCPAY_JOB_WORKER_THREADS": "0",
        **settings,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    processor.get_processor.cache_clear()
    charge_queue.reset()
    try:
        yield
    finally:
        charge_queue.reset()
        processor.get_processor.cache_clear()
