"""Coverage status as the ledger moves it, and how it reads to a member."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from hcpay_app.models import BillingAccount, CoverageStatus, Invoice
from hcpay_app.services.billing import ledger


def binder_paid(session: Session, account: BillingAccount, today: dt.date, *, settled: bool = True) -> bool:
    """True once the first coverage month's bill is paid in full — with money that has cleared
    (`settled`), or counting bank debits still on their way (`settled=False`)."""
    first = session.exec(
        select(Invoice.id).where(Invoice.billing_account_id == account.id).order_by(Invoice.coverage_month)
    ).first()
    if first is None:
        return False
    position = ledger.statuses_for(session, account.id, [first], today, settled=settled).get(first)
    return position is not None and position.status == ledger.InvoiceStatus.PAID


def binder_paid_in(books: ledger.Books, today: dt.date, *, settled: bool = True) -> bool:
    """`binder_paid`, from an account's `ledger.Books` (many accounts at once)."""
    first = books.first_invoice()
    if first is None:
        return False
    position = books.statuses([first], today, settled=settled).get(first)
    return position is not None and position.status == ledger.InvoiceStatus.PAID


def refresh_after_payment(session: Session, account: BillingAccount, today: dt.date) -> None:
    """Money arrived: a binder paid with cleared money activates coverage (a bank debit activates it
    when it settles, not when it is sent); a past-due balance paid off ends grace."""
    if account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT and binder_paid(session, account, today):
        account.coverage_status = CoverageStatus.ACTIVE
    elif (
        account.coverage_status == CoverageStatus.IN_GRACE
        and ledger.account_position(session, account.id, today).past_due_cents == 0
    ):
        account.coverage_status, account.grace_ends_on = CoverageStatus.ACTIVE, None
    session.add(account)


def refresh_from_books(account: BillingAccount, books: ledger.Books, today: dt.date) -> bool:
    """`refresh_after_payment` for an account whose `ledger.Books` were read with many others (the
    caller writes the account); True if its coverage changed."""
    if account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT and binder_paid_in(books, today):
        account.coverage_status = CoverageStatus.ACTIVE
        return True
    if account.coverage_status == CoverageStatus.IN_GRACE and books.position(today).past_due_cents == 0:
        account.coverage_status, account.grace_ends_on = CoverageStatus.ACTIVE, None
        return True
    return False
