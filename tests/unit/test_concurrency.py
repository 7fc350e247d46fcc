"""Many members' requests at once, as the scale-out mode sees them (several workers, PostgreSQL's
read-committed isolation — run with HCPAY_TEST_DATABASE=postgresql — as well as SQLite): twenty
payments on the same invoice post exactly, twenty retries of one payment post once, two daily
jobs at once charge each automatic payment once, and twenty wrong log-ins at once lock after exactly the
threshold (the whole-scenario version is in test_job_once.py)."""

from __future__ import annotations

import collections
import datetime as dt
import threading

import pytest
from sqlmodel import Session, func, select

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    AuditEvent,
    AutopayRun,
    EntryKind,
    LedgerEntry,
    LoginThrottle,
    Payment,
    PaymentStatus,
    SandboxCharge,
)
from hcpay_app.services.accounts import authn
from hcpay_app.services.billing import ledger
from hcpay_app.services.billing.ledger import InvoiceStatus
from hcpay_app.services.common.errors import AccountLocked, AuthenticationFailed
from hcpay_app.services.jobs import daily
from tests.unit.autopay_helpers import PREMIUM, enroll, pay_binder, roster_row, save_card, turn_on
from tests.unit.payment_helpers import TODAY, at, billed_actor, card, new_key, submit

THREADS = 20


def together(count: int, work) -> tuple[list, list[BaseException]]:
    """Run `work(i)` in `count` threads released at once; (results, errors)."""
    start = threading.Barrier(count, timeout=30)
    results, errors, lock = [], [], threading.Lock()

    def one(i: int) -> None:
        start.wait()
        try:
            value = work(i)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(value)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results, errors


def count(session: Session, query) -> int:
    session.expire_all()
    return session.exec(query).one()


def test_twenty_payments_on_the_same_invoice_post_exactly(session, registered_user, db_url):
    who, account = billed_actor(session, registered_user)
    before = ledger.balance(session, account.id)
    oldest = ledger.positions(session, account.id, TODAY)[0]
    assert oldest.status == InvoiceStatus.PAST_DUE and oldest.amount_cents == PREMIUM
    # Nineteen payments of $25.00 and one of $37.50 make exactly the oldest invoice's $512.50.
    amounts = [2500] * (THREADS - 1) + [PREMIUM - 2500 * (THREADS - 1)]

    def pay(i: int):
        with Session(engine_for(db_url), expire_on_commit=False) as own:
            return submit(own, who, card(), amounts[i])

    results, errors = together(THREADS, pay)
    assert errors == []
    assert {r.status for r in results} == {PaymentStatus.SUCCEEDED}
    assert len({r.reference for r in results}) == THREADS
    posted = session.exec(
        select(LedgerEntry.amount_cents).where(
            LedgerEntry.billing_account_id == account.id, LedgerEntry.kind == EntryKind.PAYMENT
        )
    ).all()
    assert sorted(posted) == sorted(-a for a in amounts)
    assert count(session, select(func.count()).select_from(SandboxCharge)) == THREADS
    assert ledger.balance(session, account.id) == before - PREMIUM
    positions = ledger.positions(session, account.id, TODAY)
    assert (positions[0].paid_cents, positions[0].status) == (PREMIUM, InvoiceStatus.PAID)
    assert (positions[1].paid_cents, positions[1].status) == (0, InvoiceStatus.PAST_DUE)


def test_twenty_retries_of_one_payment_post_it_once(session, registered_user, db_url):
    who, account = billed_actor(session, registered_user)
    before = ledger.balance(session, account.id)
    key, choice = new_key(), card()

    def pay(_i: int):
        with Session(engine_for(db_url), expire_on_commit=False) as own:
            return submit(own, who, choice, PREMIUM, key=key)

    results, errors = together(THREADS, pay)
    assert errors == []
    assert len(results) == THREADS and len({r.reference for r in results}) == 1
    # A retry that arrives while the first request is still with the processor sees it processing.
    assert {r.status for r in results} <= {PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED}
    session.expire_all()
    assert session.exec(select(Payment.status)).one() == PaymentStatus.SUCCEEDED
    assert count(session, select(func.count()).select_from(Payment)) == 1
    assert count(session, select(func.count()).select_from(SandboxCharge)) == 1
    assert (
        count(session, select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == EntryKind.PAYMENT)) == 1
    )
    assert ledger.balance(session, account.id) == before - PREMIUM


def test_two_daily_jobs_at_once_charge_each_automatic_payment_once(session):
    members = []
    for n in range(6):
        member = enroll(session, roster_row(n))
        pay_binder(session, member)
        turn_on(session, member, save_card(session, member))
        members.append(member)
    charge_day = dt.date(2026, 3, 18)  # the mandates charge on the 18th

    _results, errors = together(2, lambda _i: daily.run_daily(charge_day, at(charge_day)))
    assert errors == []
    session.expire_all()
    runs = session.exec(select(AutopayRun.mandate_id, AutopayRun.status)).all()
    assert len(runs) == len(members) and {status for _m, status in runs} == {"paid"}
    autopays = session.exec(select(Payment.billing_account_id).where(Payment.source == "autopay")).all()
    assert collections.Counter(autopays) == {m.account_id: 1 for m in members}
    assert count(session, select(func.count()).select_from(SandboxCharge)) == len(members)
    for member in members:
        assert ledger.balance(session, member.account_id) <= 0, "April's premium was paid once, in full"


def test_one_worker_at_a_time_runs_the_daily_job(db_url):
    from hcpay_app.db import exclusive, get_engine

    with exclusive("hcpay-daily-job") as first:
        assert first
        with exclusive("hcpay-daily-job") as second:  # another connection, as another worker's would be
            assert second == (get_engine().dialect.name != "postgresql")
        with exclusive("another-lock") as unrelated:
            assert unrelated
    with exclusive("hcpay-daily-job") as after_release:
        assert after_release


def test_twenty_wrong_log_ins_at_once_lock_after_exactly_the_threshold(
    session, registered_user, db_url, now, monkeypatch
):
    """A burst of wrong passwords for one username, all at the same moment: each attempt claims its
    number before the bcrypt work, so exactly the threshold are checked and counted, the rest are
    refused as locked, nothing crashes, and the right password is refused afterwards."""
    threshold = get_settings().lockout_threshold
    monkeypatch.setenv("HCPAY_BCRYPT_QUEUE", "100")  # every attempt waits for bcrypt (the queue's own test: test_authn)
    get_settings.cache_clear()

    def wrong(i: int) -> str:
        with Session(engine_for(db_url), expire_on_commit=False) as own:
            try:
                authn.login(own, username="renee.oneil", password=f"Wrong-Guess-{i}", ip=f"198.51.100.{i}", now=now)
            except AccountLocked:
                return "locked"
            except AuthenticationFailed:
                return "failed"
            return "in"

    results, errors = together(THREADS, wrong)
    assert errors == []
    assert sorted(results) == ["failed"] * (threshold - 1) + ["locked"] * (THREADS - threshold + 1)
    failed = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_failed")
    locked = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "account_locked")
    assert (count(session, failed), count(session, locked)) == (threshold, 1)
    session.expire_all()
    throttle = session.exec(select(LoginThrottle)).one()
    assert throttle.locked_until is not None and throttle.locked_until > now
    with pytest.raises(AccountLocked):
        authn.login(session, username="renee.oneil", password=registered_user.password, ip="203.0.113.9", now=now)
