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
