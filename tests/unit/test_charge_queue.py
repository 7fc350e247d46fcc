"""The day's charges fan out on the task queue (issue 17): in-process on SQLite; on PostgreSQL +
Redis, shared by separate `charge-worker` processes, each charge exactly once — with a processor
that is slow and times out, and with a worker killed (-9) mid-run and another started."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    AutopayRun,
    AutopayRunStatus,
    EntryKind,
    LedgerEntry,
    NoticeKind,
    Notification,
    Payment,
    PaymentSource,
    PaymentStatus,
    SandboxCharge,
)
from hcpay_app.services.adapters import processor
from hcpay_app.services.jobs import charge_queue, daily
from tests.support import services
from tests.unit.autopay_helpers import enroll, pay_binder, roster_row, save_card, turn_on
from tests.unit.payment_helpers import at

ROOT = Path(__file__).resolve().parents[2]
CHARGE_DAY = dt.date(2026, 3, 18)


def autopay_members(session: Session, count: int) -> list:
    members = [enroll(session, roster_row(n)) for n in range(count)]
    for member in members:
        pay_binder(session, member)
        turn_on(session, member, save_card(session, member))
    return members


def charged_once_each(session: Session, members) -> None:
    """Every member's period charged exactly once, on both sides; nothing left in flight; the
    ledger has one payment per member; each member told once."""
    session.expire_all()
    payments = session.exec(select(Payment).where(Payment.source == PaymentSource.AUTOPAY)).all()
    keys = {p.idempotency_key: p.billing_account_id for p in payments}
    succeeded = collections.Counter(p.billing_account_id for p in payments if p.status == PaymentStatus.SUCCEEDED)
    charged = collections.Counter(
        keys[c.idempotency_key]
        for c in session.exec(select(SandboxCharge)).all()
        if c.idempotency_key in keys and c.outcome == "succeeded"
    )
    accounts = {m.account_id for m in members}
    assert succeeded == dict.fromkeys(accounts, 1)
    assert charged == dict.fromkeys(accounts, 1)
    assert [p for p in payments if p.status == PaymentStatus.PROCESSING] == []
    statuses = session.exec(select(AutopayRun.status)).all()
    assert sorted(statuses) == [AutopayRunStatus.PAID] * len(members)
    ledger = session.exec(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.kind == EntryKind.PAYMENT, LedgerEntry.payment_id.in_([p.id for p in payments]))
    ).one()
    assert ledger == len(members)
    told = session.exec(select(Notification.user_id).where(Notification.kind == NoticeKind.AUTOPAY_CHARGED)).all()
    assert sorted(told) == sorted(m.user_id for m in members)


# In-process (SQLite, no Redis): what `make run` does.


def test_without_redis_the_job_charges_in_process_and_reports_progress(session, monkeypatch):
    members = autopay_members(session, 4)
    monkeypatch.setattr(charge_queue, "PROGRESS_EVERY_SECONDS", 0.0)
    heard: list[str] = []
    summary = daily.run_daily(CHARGE_DAY, at(CHARGE_DAY), progress=heard.append)
    assert summary.autopay_charged == 4 and summary.autopay_unanswered == 0
    charged_once_each(session, members)
    final = [line for line in heard if line.startswith("automatic payments: 4 charges in")]
    assert len(final) == 1 and "a second" in final[0]


def test_a_charge_whose_task_fails_is_finished_by_the_next_job_not_lost(session, monkeypatch):
    members = autopay_members(session, 2)
    real = charge_queue.HANDLERS["autopay"]
    monkeypatch.setitem(charge_queue.HANDLERS, "autopay", ("builtins", "no_such_function"))
    first = daily.run_daily(CHARGE_DAY, at(CHARGE_DAY))  # every task fails; the job still ends
    assert first.autopay_unanswered == 2
    monkeypatch.setitem(charge_queue.HANDLERS, "autopay", real)
    daily.run_daily(CHARGE_DAY, at(CHARGE_DAY) + dt.timedelta(minutes=5))
    charged_once_each(session, members)


def test_a_repeated_message_charges_and_tells_once(session):
    members = autopay_members(session, 1)
    daily.run_daily(CHARGE_DAY, at(CHARGE_DAY))
    run_id = session.exec(select(AutopayRun.id)).one()
    from hcpay_app.services.jobs import autopay_runs

    autopay_runs.attempt_run(str(run_id), today=CHARGE_DAY, now=at(CHARGE_DAY))  # delivered again
    charged_once_each(session, members)


# PostgreSQL + Redis, with separate worker processes.

_serial = itertools.count(1)


@pytest.fixture
def scale_out(postgres_template, monkeypatch):
    """A fresh PostgreSQL database and a Redis server; this process queues, workers charge."""
    admin_url, template = postgres_template
    name = f"queue{os.getpid()}_{next(_serial)}"
    url = services.create_database(admin_url, name, template)
    with services.redis() as redis_url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("HCPAY_JOB_WORKER_THREADS", "0")  # only the worker processes charge
        monkeypatch.setenv("HCPAY_QUEUE_HEARTBEAT_MS", "2000")  # a killed worker is dead after 2 s
        monkeypatch.setenv("HCPAY_QUEUE_MAINTENANCE_CHANCE", "1000000")  # and its messages requeued soon
        get_settings.cache_clear()
        processor.get_processor.cache_clear()
        charge_queue.reset()
        engine = engine_for(url)
        workers: list[subprocess.Popen] = []
        try:
            with Session(engine) as session:
                yield session, workers
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                worker.wait()
            charge_queue.reset()
            processor.get_processor.cache_clear()
            engine.dispose()
            services.drop_database(admin_url, name)


def start_worker(workers: list, seed: int, *, latency_ms: int, threads: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HCPAY_CHARGE_WORKER_THREADS": str(threads),
        "HCPAY_SANDBOX_LATENCY_MS": str(latency_ms),
        "HCPAY_SANDBOX_JITTER_MS": str(latency_ms),
        "HCPAY_SANDBOX_TIMEOUT_RATE": "0.2",
        "HCPAY_SANDBOX_SEED": str(seed),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "hcpay_app", "charge-worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    workers.append(worker)
    return worker


def run_job_in_background(day: dt.date, now: dt.datetime) -> tuple[threading.Thread, list]:
    out: list = []

    def job() -> None:
        try:
            out.append(daily.run_daily(day, now))
        except BaseException as error:  # noqa: BLE001 — reported by the test
            out.append(error)

    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    return thread, out


def wait_for(thread: threading.Thread, out: list, seconds: float):
    thread.join(seconds)
    assert not thread.is_alive(), "the daily job did not finish"
    assert not isinstance(out[0], BaseException), out[0]
    return out[0]


def until_answered(summary: daily.DailySummary) -> None:
    """Timeouts that outlast the retries leave a charge for the scheduler's next tick: run the job
    again, five minutes apart, until every charge has its answer."""
    later = at(CHARGE_DAY)
    while summary.autopay_unanswered:
        later += dt.timedelta(minutes=5)
        thread, out = run_job_in_background(CHARGE_DAY, later)
        summary = wait_for(thread, out, 120)


@pytest.mark.parametrize("worker_count", [2, 4])
def test_worker_processes_share_the_charges_each_exactly_once(scale_out, tmp_path, worker_count):
    session, workers = scale_out
    members = autopay_members(session, 12)
    for n in range(worker_count):
        start_worker(workers, seed=n + 1, latency_ms=40, threads=3, log=tmp_path / f"worker{n}.log")
    thread, out = run_job_in_background(CHARGE_DAY, at(CHARGE_DAY))
    until_answered(wait_for(thread, out, 120))
    charged_once_each(session, members)
    assert all(w.poll() is None for w in workers), "a worker died"


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(scale_out, tmp_path):
    session, workers = scale_out
    members = autopay_members(session, 10)
    doomed = start_worker(workers, seed=1, latency_ms=300, threads=2, log=tmp_path / "doomed.log")
    thread, out = run_job_in_background(CHARGE_DAY, at(CHARGE_DAY))
    deadline = time.monotonic() + 60
    while session.exec(select(func.count()).select_from(SandboxCharge)).one() < 3:
        assert time.monotonic() < deadline, "the worker charged nothing"
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)  # mid-run: some charges made, some in its hands
    doomed.wait()
    assert thread.is_alive(), "the job must still be waiting for the killed worker's charges"
    start_worker(workers, seed=2, latency_ms=30, threads=3, log=tmp_path / "second.log")
    until_answered(wait_for(thread, out, 120))
    charged_once_each(session, members)


def test_run_daily_on_the_command_line_shows_the_charges_progress(session, capsys, monkeypatch):
    from hcpay_app.__main__ import main

    autopay_members(session, 3)
    monkeypatch.setattr(charge_queue, "PROGRESS_EVERY_SECONDS", 0.0)
    assert main(["run-daily", "--date", CHARGE_DAY.isoformat()]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("automatic payments: 3 charges in") and "a second" in line for line in lines)
    assert lines[-1].startswith(f"daily job {CHARGE_DAY}:") and "autopay=3" in lines[-1]


def test_charge_worker_needs_redis(capsys):
    from hcpay_app.__main__ import main

    assert main(["charge-worker"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err
