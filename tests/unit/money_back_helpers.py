"""Helpers for refund, dispute and credit tests: a member who overpays through the real payment
flow, a staff login, and the ledger invariant every test checks."""

from __future__ import annotations

from sqlmodel import Session, func, select

from hcpay_app.models import BillingAccount, LedgerEntry, Payment
from hcpay_app.services.billing import ledger, summary
from tests.unit.payment_helpers import TODAY, at, billed_actor, card, submit

CREDIT = 10000  # $100.00 paid beyond everything owed


def overpaid(session: Session, registered_user, number: str | None = None, *, extra: int = CREDIT):
    """The member pays everything owed plus `extra` by card: (who, account, payment)."""
    who, account = billed_actor(session, registered_user)
    owed = ledger.balance(session, account.id)
    choice = card(number) if number else card()
    result = submit(session, who, choice, owed + extra)
    session.expire_all()
    payment = session.exec(select(Payment).where(Payment.reference == result.reference)).one()
    return who, account, payment


def assert_balanced(session: Session, account: BillingAccount) -> None:
    """The ledger stays balanced: the sum of entries is the balance every view shows."""
    session.expire_all()
    total = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(LedgerEntry.billing_account_id == account.id)
    ).one()
    assert ledger.balance(session, account.id) == total
    money = summary.for_account(session, account, TODAY)
    assert money.owed_cents - money.credit_cents == total - ledger.pending_cents(session, account.id)


__all__ = ["CREDIT", "TODAY", "assert_balanced", "at", "overpaid"]
