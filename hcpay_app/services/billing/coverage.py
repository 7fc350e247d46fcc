"""Coverage status as the ledger moves it, and how it reads to a member."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from hcpay_app.models import BillingAccount, CoverageStatus, Invoice
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import dates


def binder_paid(session: Session, account: BillingAccount, today: dt.date) -> bool:
    """True once the first coverage month's invoice is paid in full."""
    first = session.exec(
        select(Invoice.id).where(Invoice.billing_account_id == account.id).order_by(Invoice.coverage_month)
    ).first()
    if first is None:
        return False
    position = ledger.statuses_for(session, account.id, [first], today).get(first)
    return position is not None and position.status == ledger.InvoiceStatus.PAID


def refresh_after_payment(session: Session, account: BillingAccount, today: dt.date) -> None:
    """Money arrived: a paid binder activates coverage; a cleared past-due balance ends grace."""
    if account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT and binder_paid(session, account, today):
        account.coverage_status = CoverageStatus.ACTIVE
    elif (
        account.coverage_status == CoverageStatus.IN_GRACE
        and ledger.account_position(session, account.id, today).past_due_cents == 0
    ):
        account.coverage_status, account.grace_ends_on = CoverageStatus.ACTIVE, None
    session.add(account)


def describe(account: BillingAccount, past_due_cents: int) -> tuple[str, str]:
    """(plain words, tone) for the member: Active; Payment due; In grace period until DATE; …"""
    status = account.coverage_status
    if status == CoverageStatus.TERMINATED:
        return "Terminated", "red"
    if status == CoverageStatus.PENDING_FIRST_PAYMENT:
        return "Pending first payment", "orange"
    if status == CoverageStatus.IN_GRACE and account.grace_ends_on:
        return f"In grace period until {dates.short_date(account.grace_ends_on)}", "orange"
    if past_due_cents > 0:
        return "Payment due", "orange"
    return "Active", "green"
