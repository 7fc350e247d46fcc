"""A chunk's processor calls run at once on the process's bounded pool (`jobs.call_pool`): never
more in flight than HCPAY_PROCESSOR_CALLS, each answer kept with its charge, and — with timeouts
and rate limits thrown in — every charge still ends in exactly one outcome and the ledger agrees
with the processor."""

from __future__ import annotations

import collections
import datetime as dt
import threading

import pytest
from sqlmodel import func, select

from hcpay_app.config import get_settings
from hcpay_app.models import (
    AutopayRun,
    AutopayRunStatus,
    EntryKind,
    LedgerEntry,
    NoticeKind,
    Payment,
    PaymentSource,
    PaymentStatus,
    SandboxCharge,
)
from hcpay_app.services.adapters.processor import SandboxProcessor
from hcpay_app.services.adapters.sandbox_network import NetworkConditions, SandboxNetwork
from hcpay_app.services.jobs import autopay_batch, autopay_runs, call_pool, daily
from hcpay_app.services.payments import charging, checkout
from tests.unit.autopay_helpers import emails_to
from tests.unit.payment_helpers import at
from tests.unit.test_charge_queue import autopay_members, charged_once_each

CHARGE_DAY = dt.date(2026, 3, 18)
# A guard, never a measure: how long a call waits for the others it expects beside it.
TOGETHER_TIMEOUT = 30


@pytest.fixture
def calls_at_once(monkeypatch):
    def set_to(count: int) -> None:
        monkeypatch.setenv("HCPAY_PROCESSOR_CALLS", str(count))
        get_settings.cache_clear()

    return set_to


class _InFlight:
    """Counts calls in flight; each call waits until `together` of them are in at once."""

    def __init__(self, together: int) -> None:
        self.barrier = threading.Barrier(together, timeout=TOGETHER_TIMEOUT)
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, item: int) -> int:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            self.barrier.wait()
        finally:
            with self.lock:
                self.now -= 1
        return item * 10


def test_calls_run_at_once_up_to_the_bound_and_answer_in_order(calls_at_once):
    calls_at_once(4)
    in_flight = _InFlight(together=4)
    assert call_pool.map_calls(in_flight, list(range(12))) == [n * 10 for n in range(12)]
    assert in_flight.most == 4  # four met at the barrier; never a fifth beside them


def test_one_call_at_a_time_when_the_bound_is_one(calls_at_once):
    calls_at_once(1)
    in_flight = _InFlight(together=1)
    assert call_pool.map_calls(in_flight, [1, 2, 3]) == [10, 20, 30]
    assert in_flight.most == 1


def test_a_call_runs_in_the_callers_context(calls_at_once):
    import contextvars

    calls_at_once(3)
    who = contextvars.ContextVar("who", default="nobody")
    who.set("the chunk")
    assert call_pool.map_calls(lambda _n: who.get(), [1, 2, 3]) == ["the chunk"] * 3


class _MeetingSandbox(SandboxProcessor):
    """A sandbox whose charge waits until `together` charges are in flight: a chunk asked one call
    after another would never get an answer."""

    def __init__(self, together: int) -> None:
        super().__init__(SandboxNetwork(NetworkConditions()))
        self.in_flight = _InFlight(together)

    def charge(self, token, amount_cents, idempotency_key, now):
        self.in_flight(0)
        return super().charge(token, amount_cents, idempotency_key, now)


def test_a_chunks_charges_are_asked_at_once_and_each_recorded_once(session, monkeypatch, calls_at_once):
    calls_at_once(4)
    members = autopay_members(session, 8)
    sandbox = _MeetingSandbox(together=4)
    monkeypatch.setattr(checkout, "get_processor", lambda: sandbox)
    run_ids = autopay_runs._claim_due(session, today=CHARGE_DAY, now=at(CHARGE_DAY))
    autopay_batch.attempt_runs(",".join(map(str, run_ids)), today=CHARGE_DAY, now=at(CHARGE_DAY))
    assert sandbox.in_flight.most == 4
    charged_once_each(session, members)
    for member in members:
        assert len(emails_to(session, member.email, NoticeKind.PAYMENT_RECEIPT)) == 1


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_with_timeouts_and_rate_limits_each_charge_of_a_chunk_ends_once(session, monkeypatch, calls_at_once, seed):
    """One chunk of twelve asked four at a time through a network that times out (before or after
    charging) and refuses calls over its rate, then the next ticks of the job: every member charged
    once on both sides, one ledger payment each, nothing left processing or charging."""
    calls_at_once(4)
    monkeypatch.setattr(charging, "_sleep", lambda _seconds: None)  # retries at once
    members = autopay_members(session, 12)
    sandbox = SandboxProcessor(
        SandboxNetwork(NetworkConditions(timeout_rate=0.4, rate_limit_per_second=5, seed=seed), sleep=lambda _s: None)
    )
    monkeypatch.setattr(checkout, "get_processor", lambda: sandbox)
    run_ids = autopay_runs._claim_due(session, today=CHARGE_DAY, now=at(CHARGE_DAY))
    autopay_batch.attempt_runs(",".join(map(str, run_ids)), today=CHARGE_DAY, now=at(CHARGE_DAY))
    session.expire_all()
    first_pass = collections.Counter(session.exec(select(AutopayRun.status)).all())
    assert sum(first_pass.values()) == 12  # each run paid or still charging, nothing else
    assert set(first_pass) <= {AutopayRunStatus.PAID, AutopayRunStatus.CHARGING}
    sandbox.network = SandboxNetwork(NetworkConditions(timeout_rate=0.4, seed=seed + 100), sleep=lambda _s: None)
    for tick in range(1, 12):  # the scheduler's next ticks finish what got no answer
        daily.run_daily(CHARGE_DAY, at(CHARGE_DAY) + dt.timedelta(minutes=5 * tick))
        session.expire_all()
        if set(session.exec(select(AutopayRun.status)).all()) == {AutopayRunStatus.PAID}:
            break
    charged_once_each(session, members)
    payments = session.exec(select(Payment).where(Payment.source == PaymentSource.AUTOPAY)).all()
    charged = session.exec(
        select(SandboxCharge.idempotency_key, SandboxCharge.amount_cents).where(SandboxCharge.outcome == "succeeded")
    ).all()
    # The ledger's payments are exactly the processor's charges, cent for cent.
    ledger = session.exec(
        select(func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.kind == EntryKind.PAYMENT, LedgerEntry.payment_id.in_([p.id for p in payments])
        )
    ).one()
    assert -ledger == sum(amount for _key, amount in charged)
    assert {p.idempotency_key for p in payments if p.status == PaymentStatus.SUCCEEDED} == {k for k, _a in charged}
