"""Ledger invariants: for any sequence of charges, payments, reversals, fees, waivers, credits and
adjustments, the balance is the sum of the entries, invoices are paid oldest-first, statuses follow
from what was paid, and nothing is ever a float."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hcpay_app.models import CoverageStatus, EntryKind, Invoice, LedgerEntry
from hcpay_app.services.billing import ledger
from hcpay_app.services.billing.ledger import InvoiceStatus
from tests.unit.billing_helpers import T0, issue_through, month, new_account, pay

TODAY = dt.date(2026, 3, 10)
_numbers = itertools.count(100_000_000)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.integers(0, 150_000)),
        st.tuples(st.just("pay"), st.integers(1, 400_000)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(st.just("fee"), st.integers(0, 50), st.integers(1, 5_000)),
        st.tuples(st.just("waive"), st.integers(0, 50)),
        st.tuples(st.just("credit"), st.integers(1, 50_000)),
        st.tuples(st.just("adjust"), st.integers(0, 50), st.integers(-20_000, 20_000)),
    ),
    max_size=25,
)


def _apply(session, account, ops):
    invoices: list[Invoice] = []
    payments = []
    fees: dict[int, int] = {}
    due = dt.date(2025, 12, 23)
    for op in ops:
        kind = op[0]
        if kind == "invoice":
            due = due + dt.timedelta(days=30)
            invoice = Invoice(
                billing_account_id=account.id,
                coverage_month=month(2026, 1) + dt.timedelta(days=31 * len(invoices)),
                issued_on=due - dt.timedelta(days=22),
                due_on=due,
                premium_cents=op[1],
                created_at=T0,
            )
            session.add(invoice)
            session.flush()
            ledger.post(
                session,
                account_id=account.id,
                kind=EntryKind.PREMIUM,
                amount_cents=op[1],
                effective_on=invoice.issued_on,
                now=T0,
                invoice_id=invoice.id,
            )
            invoices.append(invoice)
        elif kind == "pay":
            payments.append(pay(session, account, op[1], TODAY))
        elif kind == "reverse" and payments:
            target = payments.pop(op[1] % len(payments))
            ledger.post_reversal(session, target, effective_on=TODAY, now=T0, reason="R01")
        elif kind == "fee" and invoices:
            invoice = invoices[op[1] % len(invoices)]
            ledger.post(
                session,
                account_id=account.id,
                kind=EntryKind.LATE_FEE,
                amount_cents=op[2],
                effective_on=TODAY,
                now=T0,
                invoice_id=invoice.id,
            )
            fees[invoice.id] = fees.get(invoice.id, 0) + op[2]
        elif kind == "waive" and fees:
            invoice_id = sorted(fees)[op[1] % len(fees)]
            current = sum(
                session.exec(select(LedgerEntry.amount_cents).where(LedgerEntry.invoice_id == invoice_id)).all()
            )
            waived = min(fees.pop(invoice_id), current)  # a waiver never takes an invoice below zero
            if waived > 0:
                ledger.post(
                    session,
                    account_id=account.id,
                    kind=EntryKind.FEE_WAIVER,
                    amount_cents=-waived,
                    effective_on=TODAY,
                    now=T0,
                    invoice_id=invoice_id,
                )
        elif kind == "credit":
            ledger.post(
                session, account_id=account.id, kind=EntryKind.CREDIT, amount_cents=-op[1], effective_on=TODAY, now=T0
            )
        elif kind == "adjust" and invoices:
            invoice = invoices[op[1] % len(invoices)]
            current = sum(
                session.exec(select(LedgerEntry.amount_cents).where(LedgerEntry.invoice_id == invoice.id)).all()
            )
            amount = max(op[2], -current)  # an invoice never goes below zero
            if amount:
                ledger.post(
                    session,
                    account_id=account.id,
                    kind=EntryKind.ADJUSTMENT,
                    amount_cents=amount,
                    effective_on=TODAY,
                    now=T0,
                    invoice_id=invoice.id,
                )
    session.commit()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_ledger_invariants_hold_for_any_sequence(session, member, ops):
    account = new_account(session, member, str(next(_numbers)))
    _apply(session, account, ops)

    amounts = session.exec(select(LedgerEntry.amount_cents).where(LedgerEntry.billing_account_id == account.id)).all()
    assert all(type(a) is int for a in amounts)
    total = ledger.balance(session, account.id)
    assert type(total) is int and total == sum(amounts)

    positions = ledger.positions(session, account.id, TODAY)
    pool = -sum(
        session.exec(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.billing_account_id == account.id, LedgerEntry.invoice_id.is_(None)
            )
        ).all()
    )
    invoiced = sum(p.amount_cents for p in positions)
    assert sum(p.unpaid_cents for p in positions) - max(0, pool - invoiced) == total

    seen_unpaid = False
    for p in positions:
        assert type(p.paid_cents) is int and 0 <= p.paid_cents <= max(p.amount_cents, 0)
        if seen_unpaid:
            assert p.paid_cents == 0, "a later invoice was paid before an earlier one"
        seen_unpaid = seen_unpaid or p.unpaid_cents > 0
        if p.unpaid_cents == 0:
            assert p.status == InvoiceStatus.PAID
        elif p.due_on < TODAY:
            assert p.status == InvoiceStatus.PAST_DUE
        else:
            assert p.status == (InvoiceStatus.PARTIALLY_PAID if p.paid_cents else InvoiceStatus.OPEN)

    position = ledger.account_position(session, account.id, TODAY)
    assert position.balance_cents == total
    assert position.amount_due_cents == max(total, 0)
    assert position.past_due_cents == sum(p.unpaid_cents for p in positions if p.due_on < TODAY)
    upcoming_unpaid = [p for p in positions if p.due_on >= TODAY and p.unpaid_cents > 0]
    assert position.next_due_on == (upcoming_unpaid[0].due_on if upcoming_unpaid else None)
    past_unpaid = [p for p in positions if p.due_on < TODAY and p.unpaid_cents > 0]
    assert position.oldest_unpaid_due_on == (past_unpaid[0].due_on if past_unpaid else None)


def test_partial_payment_then_overpayment_credits_the_next_invoice(session, member):
    account = new_account(session, member, "200000001", premium=45000, start=month(2026, 3))
    first, second = issue_through(session, account, dt.date(2026, 3, 1))
    pay(session, account, 20000, dt.date(2026, 2, 20))
    statuses = ledger.statuses_for(session, account.id, [first.id], dt.date(2026, 2, 21))
    assert statuses[first.id].status == InvoiceStatus.PARTIALLY_PAID and statuses[first.id].paid_cents == 20000
    assert (
        ledger.statuses_for(session, account.id, [first.id], dt.date(2026, 2, 24))[first.id].status
        == InvoiceStatus.PAST_DUE
    )

    pay(session, account, 50000, dt.date(2026, 2, 25))  # 25000 finishes March, 25000 goes to April
    positions = {p.invoice_id: p for p in ledger.positions(session, account.id, dt.date(2026, 3, 2))}
    assert positions[first.id].status == InvoiceStatus.PAID
    assert positions[second.id].paid_cents == 25000 and positions[second.id].status == InvoiceStatus.PARTIALLY_PAID
    assert ledger.balance(session, account.id) == 90000 - 70000


def test_overpayment_beyond_every_invoice_is_a_credit(session, member):
    account = new_account(session, member, "200000002", premium=10000, start=month(2026, 3))
    issue_through(session, account, dt.date(2026, 2, 1))
    pay(session, account, 25000, dt.date(2026, 2, 5))
    position = ledger.account_position(session, account.id, dt.date(2026, 2, 6))
    assert position.balance_cents == -15000 and position.credit_cents == 15000 and position.amount_due_cents == 0
    # The next invoice is paid from the credit as soon as it is issued.
    issue_through(session, account, dt.date(2026, 3, 1))
    assert all(p.status == InvoiceStatus.PAID for p in ledger.positions(session, account.id, dt.date(2026, 3, 2)))


def test_a_reversal_reopens_the_invoice_it_paid(session, member):
    account = new_account(session, member, "200000003", premium=30000, start=month(2026, 3))
    (invoice,) = issue_through(session, account, dt.date(2026, 2, 1))
    payment = pay(session, account, 30000, dt.date(2026, 2, 10), method=("bank", "Checking ••••6789"))
    assert (
        ledger.statuses_for(session, account.id, [invoice.id], dt.date(2026, 2, 11))[invoice.id].status
        == InvoiceStatus.PAID
    )
    assert [i.id for i, _ in ledger.invoices_paid_by(session, payment)] == [invoice.id]
    ledger.post_reversal(session, payment, effective_on=dt.date(2026, 2, 12), now=T0, reason="R01")
    session.commit()
    assert (
        ledger.statuses_for(session, account.id, [invoice.id], dt.date(2026, 2, 13))[invoice.id].status
        == InvoiceStatus.OPEN
    )
    assert ledger.balance(session, account.id) == 30000


def test_a_payment_posts_and_reverses_at_most_once(session, member):
    from sqlalchemy.exc import IntegrityError

    account = new_account(session, member, "200000004", premium=30000, start=month(2026, 3))
    payment = pay(session, account, 30000, dt.date(2026, 2, 10))
    with pytest.raises(IntegrityError):
        ledger.post_payment(session, payment, effective_on=dt.date(2026, 2, 10), now=T0)
    session.rollback()
    ledger.post_reversal(session, payment, effective_on=dt.date(2026, 2, 12), now=T0, reason="R01")
    session.commit()
    with pytest.raises(IntegrityError):
        ledger.post_reversal(session, payment, effective_on=dt.date(2026, 2, 12), now=T0, reason="R01")
    session.rollback()


def test_floats_misplaced_invoice_ids_and_negative_invoices_are_refused(session, member):
    account = new_account(session, member, "200000005", start=month(2026, 3))
    (invoice,) = issue_through(session, account, dt.date(2026, 2, 1))
    with pytest.raises(ValueError):
        ledger.post(
            session,
            account_id=account.id,
            kind=EntryKind.ADJUSTMENT,
            amount_cents=-invoice.premium_cents - 1,
            effective_on=TODAY,
            now=T0,
            invoice_id=invoice.id,
        )
    with pytest.raises(TypeError):
        ledger.post(
            session, account_id=account.id, kind=EntryKind.CREDIT, amount_cents=-10.5, effective_on=TODAY, now=T0
        )
    with pytest.raises(ValueError):
        ledger.post(
            session, account_id=account.id, kind=EntryKind.LATE_FEE, amount_cents=500, effective_on=TODAY, now=T0
        )


def test_binder_payment_activates_coverage_only_when_paid_in_full(session, member):
    account = new_account(session, member, "200000006", premium=40000, start=month(2026, 4))
    issue_through(session, account, dt.date(2026, 3, 1))
    assert account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT
    pay(session, account, 39999, dt.date(2026, 3, 5))
    session.refresh(account)
    assert account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT
    pay(session, account, 1, dt.date(2026, 3, 6))
    session.refresh(account)
    assert account.coverage_status == CoverageStatus.ACTIVE


def test_issuing_invoices_is_idempotent_and_follows_the_calendar(session, member):
    account = new_account(session, member, "200000007", premium=12345, start=month(2025, 11))
    invoices = issue_through(session, account, dt.date(2026, 1, 15))
    assert [(i.coverage_month, i.due_on) for i in invoices] == [
        (dt.date(2025, 11, 1), dt.date(2025, 10, 23)),
        (dt.date(2025, 12, 1), dt.date(2025, 11, 23)),
        (dt.date(2026, 1, 1), dt.date(2025, 12, 23)),
        (dt.date(2026, 2, 1), dt.date(2026, 1, 23)),
    ]
    assert len(issue_through(session, account, dt.date(2026, 1, 15))) == 4
    assert ledger.balance(session, account.id) == 4 * 12345
