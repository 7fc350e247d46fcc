"""A processor that takes time, limits its rate and times out (issue 17): the sandbox's network
behaves as configured, and the portal stays right in every case — a timed-out charge is asked
again with the same idempotency key or reconciled, a rate-limited one waits, nothing is charged
twice and nothing is lost."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt

import pytest
from sqlmodel import func, select

from hcpay_app.config import get_settings
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
from hcpay_app.services.adapters import processor as processor_module
from hcpay_app.services.adapters.processor import (
    ChargeStatus,
    ProcessorBusy,
    ProcessorTimedOut,
    SandboxProcessor,
)
from hcpay_app.services.adapters.sandbox_network import Call, Fault, NetworkConditions, SandboxNetwork
from hcpay_app.services.jobs import daily, settlement
from hcpay_app.services.payments import charging, checkout
from tests.unit.autopay_helpers import (
    enroll,
    pay_binder,
    roster_row,
    save_bank,
    save_card,
    turn_on,
)
from tests.unit.payment_helpers import NOW, TODAY, at, billed_actor, card, emails, payment, submit

PREMIUM = 51250


class FakeClock:
    """The network's monotonic clock and everybody's sleep: waiting moves time, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(charging, "_sleep", fake.sleep)
    return fake


@pytest.fixture
def use_network(db_url, monkeypatch, fake_clock):
    """Install a sandbox whose network has `conditions`, as `get_processor` would."""

    def install(**conditions) -> SandboxProcessor:
        network = SandboxNetwork(
            NetworkConditions(**conditions), sleep=fake_clock.sleep, monotonic=fake_clock.monotonic
        )
        sandbox = SandboxProcessor(network)
        monkeypatch.setattr(checkout, "get_processor", lambda: sandbox)
        return sandbox

    return install


def network(fake: FakeClock, **conditions) -> SandboxNetwork:
    return SandboxNetwork(NetworkConditions(**conditions), sleep=fake.sleep, monotonic=fake.monotonic)


# The network itself.


def test_an_ideal_network_costs_nothing(fake_clock):
    calls = [network(fake_clock).call() for _ in range(50)]
    assert {c.fault for c in calls} == {Fault.NONE} and fake_clock.slept == []


def test_each_call_takes_the_latency_plus_jitter(fake_clock):
    net = network(fake_clock, latency_ms=300, jitter_ms=700, seed=7)
    for _ in range(40):
        net.call()
    assert len(fake_clock.slept) == 40
    assert all(0.3 <= s <= 1.0 for s in fake_clock.slept)
    assert max(fake_clock.slept) - min(fake_clock.slept) > 0.2  # jitter, not a constant


def test_over_the_rate_limit_a_call_is_refused_until_the_window_frees(fake_clock):
    net = network(fake_clock, rate_limit_per_second=3)
    assert [net.call().fault for _ in range(3)] == [Fault.NONE] * 3
    refused = net.call()
    assert refused.fault == Fault.BUSY and 0 < refused.retry_after_seconds <= 1
    fake_clock.sleep(refused.retry_after_seconds)
    assert net.call().fault == Fault.NONE


def test_timeouts_come_at_the_configured_rate_before_and_after_the_charge(fake_clock):
    net = network(fake_clock, timeout_rate=0.3, seed=11)
    faults = collections.Counter(net.call().fault for _ in range(2000))
    timed_out = faults[Fault.TIMEOUT_BEFORE] + faults[Fault.TIMEOUT_AFTER]
    assert 500 <= timed_out <= 700
    assert faults[Fault.TIMEOUT_BEFORE] > 150 and faults[Fault.TIMEOUT_AFTER] > 150


def test_the_settings_reach_the_configured_processor(monkeypatch, db_url):
    for name, value in {
        "HCPAY_SANDBOX_LATENCY_MS": "300",
        "HCPAY_SANDBOX_JITTER_MS": "700",
        "HCPAY_SANDBOX_RATE_LIMIT": "25",
        "HCPAY_SANDBOX_TIMEOUT_RATE": "0.02",
        "HCPAY_SANDBOX_SEED": "5",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    processor_module.get_processor.cache_clear()
    try:
        conditions = processor_module.get_processor().network.conditions
    finally:
        processor_module.get_processor.cache_clear()
    assert conditions == NetworkConditions(300, 700, 25, 0.02, 5)


def test_ordinary_settings_leave_the_network_ideal(db_url):
    processor_module.get_processor.cache_clear()
    try:
        assert processor_module.get_processor().network.conditions.ideal
    finally:
        processor_module.get_processor.cache_clear()


# The sandbox processor behind it.


@pytest.mark.parametrize(("fault", "charged"), [(Fault.TIMEOUT_BEFORE, 0), (Fault.TIMEOUT_AFTER, 1)])
def test_a_timed_out_charge_may_or_may_not_have_happened(session, fake_clock, monkeypatch, fault, charged):
    sandbox = SandboxProcessor(network(fake_clock))
    monkeypatch.setattr(sandbox.network, "call", lambda: Call(fault))
    with pytest.raises(ProcessorTimedOut):
        sandbox.charge(card().token, PREMIUM, "key-timeout-0000001", NOW)
    assert sandbox.charges_for("key-timeout-0000001") == charged


def test_a_rate_limited_charge_is_refused_and_nothing_happens(session, fake_clock):
    sandbox = SandboxProcessor(network(fake_clock, rate_limit_per_second=1))
    sandbox.charge(card().token, PREMIUM, "key-rate-000000001", NOW)
    with pytest.raises(ProcessorBusy) as refused:
        sandbox.charge(card().token, PREMIUM, "key-rate-000000002", NOW)
    assert refused.value.retry_after > 0
    assert sandbox.charges_for("key-rate-000000002") == 0


# The portal's side: retries with the same key, waits, and the reconciler.


def test_a_timed_out_charge_is_asked_again_with_the_same_key_and_charged_once(session, fake_clock, monkeypatch):
    sandbox = SandboxProcessor(network(fake_clock))
    faults = iter([Fault.TIMEOUT_AFTER, Fault.TIMEOUT_BEFORE, Fault.NONE])
    monkeypatch.setattr(sandbox.network, "call", lambda: Call(next(faults)))
    result = charging.charge(sandbox, card().token, PREMIUM, "key-retry-00000001", NOW)
    assert result is not None and result.status == ChargeStatus.SUCCEEDED
    assert sandbox.charges_for("key-retry-00000001") == 1
    assert fake_clock.slept == [charging.TIMEOUT_BACKOFF_SECONDS, charging.TIMEOUT_BACKOFF_SECONDS * 2]


def test_a_rate_limited_charge_waits_as_asked_then_goes_through(session, fake_clock):
    sandbox = SandboxProcessor(network(fake_clock, rate_limit_per_second=2))
    results = [charging.charge(sandbox, card().token, PREMIUM, f"key-busy-{n:010d}", NOW) for n in range(6)]
    assert all(r is not None and r.status == ChargeStatus.SUCCEEDED for r in results)
    assert len(fake_clock.slept) >= 2 and all(0 < s <= charging.MAX_BUSY_WAIT_SECONDS for s in fake_clock.slept)
    assert session.exec(select(func.count()).select_from(SandboxCharge)).one() == 6


def test_with_no_answer_at_all_the_portal_gives_up_for_now(session, fake_clock, monkeypatch):
    sandbox = SandboxProcessor(network(fake_clock, timeout_rate=1.0, seed=3))
    assert charging.charge(sandbox, card().token, PREMIUM, "key-never-00000001", NOW) is None
    assert len(fake_clock.slept) == charging.TIMEOUT_RETRIES
    assert sandbox.charges_for("key-never-00000001") <= 1


@pytest.fixture
def renee(session, registered_user):
    return billed_actor(session, registered_user)


def test_a_member_whose_charge_gets_no_answer_sees_processing_then_gets_the_result_once(session, renee, use_network):
    who, account = renee
    use_network(timeout_rate=1.0, seed=1)  # every call times out, after the charge or before
    result = submit(session, who, card(), PREMIUM)
    assert result.status == PaymentStatus.PROCESSING and not result.declined
    stuck = payment(session, result.reference)
    assert stuck.status == PaymentStatus.PROCESSING
    assert emails(session, "payment_receipt") == []
    # The reconciler, a minute later: nothing yet (it waits for a charge to be stale).
    assert settlement.reconcile_processing(session, now=NOW + dt.timedelta(seconds=30), today=TODAY) == 0
    sandbox = use_network()  # the processor answers again
    assert settlement.reconcile_processing(session, now=NOW + dt.timedelta(minutes=3), today=TODAY) == 1
    done = payment(session, result.reference)
    assert done.status == PaymentStatus.SUCCEEDED
    assert sandbox.charges_for(done.idempotency_key) == 1
    assert len(emails(session, "payment_receipt")) == 1
    assert settlement.reconcile_processing(session, now=NOW + dt.timedelta(minutes=9), today=TODAY) == 0


def test_the_processing_confirmation_tells_the_member_not_to_pay_again():
    from hcpay_app.services.payments import templates

    heading = templates.confirmation_heading(status=PaymentStatus.PROCESSING, amount="$512.50", date_text="Mar 10")
    assert "being confirmed" in heading
    assert "don't pay again" in templates.confirmation_email_note(PaymentStatus.PROCESSING)


# The daily job against a faulty processor: every charge ends in exactly one outcome.

MEMBERS = 8
CHARGE_DAY = dt.date(2026, 3, 18)


@dataclasses.dataclass
class Outcome:
    runs: list[tuple]
    succeeded_per_account: dict[int, int]
    charges_per_account: dict[int, int]
    ledger_payments: int
    processing: int


def run_autopay_day(session, members, *, reruns: int) -> Outcome:
    """The charge day's job, then `reruns` more runs minutes apart (a scheduler's next ticks)."""
    for n in range(reruns + 1):
        daily.run_daily(CHARGE_DAY, at(CHARGE_DAY) + dt.timedelta(minutes=5 * n))
    session.expire_all()
    payments = session.exec(select(Payment).where(Payment.source == PaymentSource.AUTOPAY)).all()
    by_key = {p.idempotency_key: p for p in payments}
    charges = [c for c in session.exec(select(SandboxCharge)).all() if c.idempotency_key in by_key]
    succeeded = collections.Counter(
        p.billing_account_id for p in payments if p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)
    )
    charged = collections.Counter(
        by_key[c.idempotency_key].billing_account_id
        for c in charges
        if c.outcome in (ChargeStatus.SUCCEEDED, ChargeStatus.PENDING)
    )
    ledger_payments = session.exec(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.kind == EntryKind.PAYMENT, LedgerEntry.payment_id.in_([p.id for p in payments]))
    ).one()
    return Outcome(
        sorted(session.exec(select(AutopayRun.mandate_id, AutopayRun.status)).all()),
        dict(succeeded),
        dict(charged),
        ledger_payments,
        sum(p.status == PaymentStatus.PROCESSING for p in payments),
    )


@pytest.fixture
def autopay_members(session):
    members = [enroll(session, roster_row(n)) for n in range(MEMBERS)]
    for n, member in enumerate(members):
        pay_binder(session, member)
        method = save_bank(session, member) if n % 4 == 3 else save_card(session, member)
        turn_on(session, member, method)
    return members


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_timeouts_and_rate_limits_end_every_charge_in_exactly_one_outcome(session, autopay_members, use_network, seed):
    sandbox = use_network(timeout_rate=0.4, rate_limit_per_second=3, seed=seed)
    outcome = run_autopay_day(session, autopay_members, reruns=6)
    accounts = {m.account_id for m in autopay_members}
    # Every member charged once for the period: the portal's record and the processor's agree.
    assert outcome.succeeded_per_account == dict.fromkeys(accounts, 1)
    assert outcome.charges_per_account == dict.fromkeys(accounts, 1)
    assert outcome.ledger_payments == MEMBERS and outcome.processing == 0
    assert {status for _mandate, status in outcome.runs} == {AutopayRunStatus.PAID}
    assert len(outcome.runs) == MEMBERS
    assert sandbox.network.conditions.timeout_rate == 0.4


def test_a_run_interrupted_mid_charge_is_finished_by_the_next_job_without_a_second_charge(
    session, autopay_members, use_network
):
    use_network(timeout_rate=1.0, seed=9)  # the processor never answers on the charge day
    first = daily.run_daily(CHARGE_DAY, at(CHARGE_DAY))
    assert first.autopay_unanswered == MEMBERS and first.autopay_charged == 0
    assert {s for _m, s in session.exec(select(AutopayRun.mandate_id, AutopayRun.status)).all()} == {
        AutopayRunStatus.CHARGING
    }
    use_network()  # answering again
    outcome = run_autopay_day(session, autopay_members, reruns=1)
    accounts = {m.account_id for m in autopay_members}
    assert outcome.succeeded_per_account == dict.fromkeys(accounts, 1)
    assert outcome.charges_per_account == dict.fromkeys(accounts, 1)
    assert {status for _mandate, status in outcome.runs} == {AutopayRunStatus.PAID}
    # Each member heard about the charge once.
    session.expire_all()
    told = session.exec(select(Notification.user_id).where(Notification.kind == NoticeKind.AUTOPAY_CHARGED)).all()
    assert sorted(told) == sorted(m.user_id for m in autopay_members)
