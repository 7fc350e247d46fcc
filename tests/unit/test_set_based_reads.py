"""The daily job's set-based reads agree with the one-account reads they stand in for: what is
unpaid on many invoices at once (`ledger.unpaid_parts`, for late fees and past-due notices) and the
one-payment limit alone (`checkout.maximum_cents`, for each automatic payment)."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hcpay_app.models import EntryKind, Invoice
from hcpay_app.services.billing import ledger
from hcpay_app.services.payments import checkout
from tests.unit.billing_helpers import T0, new_account
from tests.unit.test_ledger import TODAY, _apply, operations

_numbers = itertools.count(300_000_000)


def _twin(session, account, invoice: Invoice, cents: int) -> None:
    """Another bill due the same day as `invoice` (allocation then goes by id)."""
    twin = Invoice(
        billing_account_id=account.id,
        coverage_month=invoice.coverage_month + dt.timedelta(days=400),
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        premium_cents=cents,
        created_at=T0,
    )
    session.add(twin)
    session.flush()
    ledger.post(
        session,
        account_id=account.id,
        kind=EntryKind.PREMIUM,
        amount_cents=cents,
        effective_on=twin.issued_on,
        now=T0,
        invoice_id=twin.id,
    )
    session.commit()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, twin=st.none() | st.integers(0, 150_000), pick=st.integers(0, 2**16))
def test_unpaid_parts_and_the_payment_limit_match_the_one_account_reads(session, member, ops, twin, pick):
    account = new_account(session, member, str(next(_numbers)))
    _apply(session, account, ops)
    invoices = session.exec(select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.id)).all()
    if twin is not None and invoices:
        _twin(session, account, invoices[pick % len(invoices)], twin)
        invoices = session.exec(
            select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.id)
        ).all()
    expected = {i.id: ledger.statuses_for(session, account.id, [i.id], TODAY)[i.id].unpaid_cents for i in invoices}
    assert ledger.unpaid_parts(session, [(account.id, i.id, i.due_on) for i in invoices]) == expected
    if invoices:  # one wanted invoice: only it (and the newer ones) are read
        one = invoices[pick % len(invoices)]
        assert ledger.unpaid_parts(session, [(account.id, one.id, one.due_on)]) == {one.id: expected[one.id]}
    assert (
        checkout.maximum_cents(session, account, TODAY)
        == checkout.account_options(session, account, TODAY).maximum_cents
    )


def test_of_two_bills_due_the_same_day_the_newer_is_left_unpaid_first(session, member):
    account = new_account(session, member, str(next(_numbers)))
    _apply(session, account, [("invoice", 30_000), ("pay", 20_000)])
    first = session.exec(select(Invoice).where(Invoice.billing_account_id == account.id)).one()
    _twin(session, account, first, 30_000)
    second = session.exec(select(Invoice).where(Invoice.billing_account_id == account.id, Invoice.id != first.id)).one()
    wanted = [(account.id, first.id, first.due_on), (account.id, second.id, second.due_on)]
    assert ledger.unpaid_parts(session, wanted) == {first.id: 10_000, second.id: 30_000}
    assert ledger.statuses_for(session, account.id, [first.id], TODAY)[first.id].unpaid_cents == 10_000
