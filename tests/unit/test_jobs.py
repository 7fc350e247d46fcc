"""The daily job's payment duties: reconcile interrupted payments, charge scheduled ones on their
date, settle or return bank debits — and a second run for the same date changes nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import func, select

from hcpay_app.config import get_settings
from hcpay_app.models import (
    EntryKind,
    Invoice,
    LedgerEntry,
    OutboundEmail,
    Payment,
    PaymentStatus,
    SandboxCharge,
)
from hcpay_app.services.adapters.processor import get_processor
from hcpay_app.services.billing import ledger
from hcpay_app.services.billing.ledger import InvoiceStatus
from hcpay_app.services.common import dates
from hcpay_app.services.jobs import daily
from hcpay_app.services.payments import records
from hcpay_app.services.payments.templates import RETURN_MESSAGES
from tests.unit.payment_helpers import (
    BANKS,
    CARDS,
    TODAY,
    at,
    bank,
    billed_actor,
    card,
    new_key,
    payment,
    submit,
)


@pytest.fixture(autouse=True)
def _payments_only(monkeypatch):
    """These tests follow the job's payment duties; late fees have their own tests."""
    monkeypatch.setenv("HCPAY_LATE_FEE_AFTER_DAYS", "100000")
    get_settings.cache_clear()


PREMIUM = 51250
WED, THU = dt.date(2026, 3, 11), dt.date(2026, 3, 12)


@pytest.fixture
def renee(session, registered_user):
    return billed_actor(session, registered_user)


def counts(session) -> tuple[int, ...]:
    """Rows the job could add: payments, ledger entries, emails, processor charges, invoices."""
    session.expire_all()
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Payment, LedgerEntry, OutboundEmail, SandboxCharge, Invoice)
    )


def statuses(session) -> dict[str, str]:
    session.expire_all()
    return {p.reference: p.status for p in session.exec(select(Payment)).all()}


def summary_counts(summary: daily.DailySummary) -> tuple[int, int, int, int, int]:
    return summary.invoices, summary.scheduled_charged, summary.settled, summary.returned, summary.reconciled


def test_run_daily_does_each_duty_on_its_date_and_nothing_twice(session, renee):
    who, account = renee
    scheduled = submit(session, who, card(), PREMIUM, on=THU)
    debit = submit(session, who, bank(), PREMIUM)  # Tuesday: settles Thursday
    stuck = records.create(
        session,
        account_id=account.id,
        amount_cents=100,
        method_kind="card",
        method_label="Visa ••••4242",
        payment_date=TODAY,
        status=PaymentStatus.PROCESSING,
        now=at(TODAY),
        user_id=who.user_id,
        idempotency_key=new_key(),
    )
    stuck.processor_token = card().token
    session.add(stuck)
    session.commit()

    first = daily.run_daily(WED, at(WED))
    assert summary_counts(first) == (0, 0, 0, 0, 1)
    assert "reconciled=1" in first.line() and first.date == WED
    assert statuses(session) == {
        scheduled.reference: PaymentStatus.SCHEDULED,
        debit.reference: PaymentStatus.PENDING,
        stuck.reference: PaymentStatus.SUCCEEDED,
    }

    second = daily.run_daily(THU, at(THU))
    assert summary_counts(second) == (0, 1, 1, 0, 0)
    assert set(statuses(session).values()) == {PaymentStatus.SUCCEEDED}
    before = counts(session)
    balance = ledger.balance(session, account.id)

    assert summary_counts(daily.run_daily(THU, at(THU))) == (0, 0, 0, 0, 0)
    assert summary_counts(daily.run_daily(THU, at(THU) + dt.timedelta(hours=3))) == (0, 0, 0, 0, 0)
    assert counts(session) == before
    assert ledger.balance(session, account.id) == balance == 16 * PREMIUM - 2 * PREMIUM - 100
    assert get_processor().charges_for(payment(session, scheduled.reference).idempotency_key) == 1


def test_run_daily_issues_next_months_invoice_once(session, renee):
    _who, account = renee
    april_first = dt.date(2026, 4, 1)
    assert daily.run_daily(april_first, at(april_first)).invoices == 1  # May 2026 coverage
    assert daily.run_daily(april_first, at(april_first)).invoices == 0
    assert ledger.balance(session, account.id) == 17 * PREMIUM


def test_run_daily_returns_an_r01_debit_and_reopens_the_invoice(session, renee):
    who, account = renee
    owed = ledger.balance(session, account.id)
    debit = submit(session, who, bank(BANKS["R01"]), PREMIUM)
    assert ledger.positions(session, account.id, TODAY)[0].status == InvoiceStatus.PAID
    assert summary_counts(daily.run_daily(WED, at(WED))) == (0, 0, 0, 0, 0)
    assert payment(session, debit.reference).status == PaymentStatus.PENDING

    assert summary_counts(daily.run_daily(THU, at(THU))) == (0, 0, 0, 1, 0)
    returned = payment(session, debit.reference)
    assert (returned.status, returned.reason_code) == (PaymentStatus.RETURNED, "R01")
    kinds = session.exec(
        select(LedgerEntry.kind, LedgerEntry.amount_cents)
        .where(LedgerEntry.payment_id == returned.id)
        .order_by(LedgerEntry.id)
    ).all()
    assert [tuple(k) for k in kinds] == [(EntryKind.PAYMENT, -PREMIUM), (EntryKind.REVERSAL, PREMIUM)]
    assert ledger.balance(session, account.id) == owed
    assert ledger.positions(session, account.id, THU)[0].status == InvoiceStatus.PAST_DUE
    notices = session.exec(select(OutboundEmail).where(OutboundEmail.kind == "payment_returned")).all()
    assert len(notices) == 1 and RETURN_MESSAGES["R01"] in notices[0].body
    assert summary_counts(daily.run_daily(THU, at(THU))) == (0, 0, 0, 0, 0)


def test_a_scheduled_card_declined_by_the_job_is_recorded(session, renee):
    who, account = renee
    owed = ledger.balance(session, account.id)
    scheduled = submit(session, who, card(CARDS["insufficient_funds"]), PREMIUM, on=WED)
    assert daily.run_daily(WED, at(WED)).scheduled_charged == 1
    declined = payment(session, scheduled.reference)
    assert (declined.status, declined.reason_code) == (PaymentStatus.DECLINED, "insufficient_funds")
    assert ledger.balance(session, account.id) == owed
    assert daily.run_daily(WED, at(WED)).scheduled_charged == 0


def test_a_scheduled_card_declined_by_the_job_is_emailed_to_the_member(session, renee):
    who, account = renee
    owed = ledger.balance(session, account.id)
    scheduled = submit(session, who, card(CARDS["insufficient_funds"]), PREMIUM, on=WED)
    assert daily.run_daily(WED, at(WED)).scheduled_charged == 1
    declined = payment(session, scheduled.reference)
    assert (declined.status, declined.reason_code) == (PaymentStatus.DECLINED, "insufficient_funds")
    assert ledger.balance(session, account.id) == owed
    mail = session.exec(select(OutboundEmail).where(OutboundEmail.kind == "payment_declined")).all()
    assert len(mail) == 1 and scheduled.reference in mail[0].body


def test_two_daily_jobs_at_once_charge_and_post_everything_once(session, renee):
    day = THU
    who, account = renee
    keys = [new_key() for _ in range(3)]
    for key in keys:
        submit(session, who, card(), PREMIUM, key=key, on=THU)
    debit = submit(session, who, bank(), PREMIUM)
    start = threading.Barrier(2)
    summaries, errors = [], []

    def one_job():
        start.wait()
        try:
            summaries.append(daily.run_daily(day, at(day)))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one_job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(s.scheduled_charged for s in summaries) == 3 and sum(s.settled for s in summaries) == 1
    assert [get_processor().charges_for(key) for key in keys] == [1, 1, 1]
    assert set(statuses(session).values()) == {PaymentStatus.SUCCEEDED}
    assert payment(session, debit.reference).status == PaymentStatus.SUCCEEDED
    session.expire_all()
    payments_posted = session.exec(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == EntryKind.PAYMENT)
    ).one()
    assert payments_posted == 4


def test_a_daily_job_that_races_another_on_an_invoice_date_still_completes(session, renee, monkeypatch):
    """Deterministic replay of two jobs on April 1: this job reads which invoices exist, then the other
    job issues May's invoice and commits, then this job tries to insert it."""
    _who, account = renee
    april_first = dt.date(2026, 4, 1)
    real = dates.issue_date
    raced = []

    def issue_date_after_the_other_job_ran(*args, **kwargs):
        if not raced:
            raced.append(True)
            assert daily.issue_invoices(april_first, at(april_first)) == 1  # the other job
        return real(*args, **kwargs)

    monkeypatch.setattr(dates, "issue_date", issue_date_after_the_other_job_ran)
    summary = daily.run_daily(april_first, at(april_first))
    assert summary.invoices == 0
    assert ledger.balance(session, account.id) == 17 * PREMIUM
