"""Benchmark: the daily job's Automatic Payments fanned out on the task queue, against a processor
that takes 300 ms a charge — PostgreSQL + Redis, two `charge-worker` processes on this machine (8 queue threads and 64
processor calls in flight each).

The issue's goal is the whole job for 300,000 accounts with 100,000 charges in ≤ 15 minutes. This
measures the charging part with HCPAY_BENCH_QUEUE_CHARGES charges (2,000 by default, bounded in
time) and reports charges per second and what 100,000 would take at that rate; one after another
they would take 100,000 × 0.3 s ≈ 8.3 hours.
"""

from __future__ import annotations

import os
import time

from sqlmodel import Session, func, select

from hcpay_app import migrations
from hcpay_app.db import engine_for
from hcpay_app.models import Payment, PaymentStatus, SandboxCharge
from hcpay_app.services.jobs import autopay_runs, daily
from tests.perf import charge_workers
from tests.perf.test_bench_daily_job import NOW, RUN_DAY, _populate
from tests.support import services

CHARGES = int(os.environ.get("HCPAY_BENCH_QUEUE_CHARGES", "2000"))
WORKERS = 2
THREADS = int(os.environ.get("HCPAY_BENCH_QUEUE_THREADS", "8"))  # queue threads per worker process
CALLS = int(os.environ.get("HCPAY_BENCH_PROCESSOR_CALLS", "64"))  # processor calls in flight per process
LATENCY_MS = 300


def test_autopay_charges_fan_out_over_queue_workers(record, tmp_path, monkeypatch):
    with services.postgres() as admin_url, services.redis() as redis_url:
        url = services.create_database(admin_url, "bench_charges")
        queue = {
            "HCPAY_CHARGE_WORKER_THREADS": str(THREADS),
            "HCPAY_PROCESSOR_CALLS": str(CALLS),
            "HCPAY_SANDBOX_LATENCY_MS": str(LATENCY_MS),
        }
        with charge_workers.queue_settings(monkeypatch, url, redis_url, queue):
            migrations.upgrade(url)
            engine = engine_for(url)
            with Session(engine) as session:
                _populate(session, accounts=2 * CHARGES, autopay_every=1)  # every member with a login: autopay
            daily.issue_invoices(RUN_DAY, NOW)  # what the full-amount mandates charge
            heard: list[str] = []
            try:
                with charge_workers.running(WORKERS, tmp_path), Session(engine) as session:
                    started = time.perf_counter()
                    tally = autopay_runs.run_due(session, today=RUN_DAY, now=NOW, progress=heard.append)
                    seconds = time.perf_counter() - started
                    paid = session.exec(
                        select(func.count()).select_from(Payment).where(Payment.status == PaymentStatus.SUCCEEDED)
                    ).one()
                    processor_charges = session.exec(select(func.count()).select_from(SandboxCharge)).one()
            finally:
                engine.dispose()
    rate = tally.charged / seconds
    hundred_thousand = 100_000 / rate if rate else None
    record(
        "autopay_fan_out_postgresql",
        {
            "charges": tally.charged,
            "payments_succeeded": paid,
            "processor_charges": processor_charges,
            "unanswered": tally.unanswered,
            "processor_latency_ms": LATENCY_MS,
            "workers": WORKERS,
            "threads_per_worker": THREADS,
            "processor_calls_per_worker": CALLS,
            "seconds": round(seconds, 1),
            "charges_per_second": round(rate, 1),
            "one_after_another_seconds": round(tally.charged * LATENCY_MS / 1000, 1),
            "speed_up": round(tally.charged * LATENCY_MS / 1000 / seconds, 1),
            "100k_charges_minutes_at_this_rate": round(hundred_thousand / 60, 1) if hundred_thousand else None,
            "goal": "300,000 accounts with 100,000 charges at 300 ms, PostgreSQL, two workers: the whole job <= 15 min",
            "progress_lines": heard[-3:],
        },
    )
    assert tally.charged == CHARGES and processor_charges == CHARGES and paid == CHARGES
