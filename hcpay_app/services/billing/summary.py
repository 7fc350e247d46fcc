"""The one money summary of an account: what is past due, what falls due next and later, what is
on its way from the bank, any credit, and what it means for coverage. The dashboard, Make a
Payment, guest pay, emails and PDFs all read it, so they never disagree.

Amounts are on the settled view of the ledger: a bank debit still on its way is shown as
processing beside what it will pay, not as money received.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from hcpay_app.config import get_settings
from hcpay_app.models import BillingAccount, CoverageStatus, Payment, PaymentStatus
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS


@dataclasses.dataclass(frozen=True)
class MoneySummary:
    """An account's money on a date, in cents and dates (wording: `billing.templates`)."""

    past_due_cents: int
    past_due_since: dt.date | None  # the due date of the oldest bill still unpaid
    due_next_cents: int
    due_next_on: dt.date | None
    later_cents: int  # issued, due after `due_next_on`
    processing_cents: int  # bank debits sent, not yet cleared
    clears_on: dt.date | None  # when the last of them is expected to clear
    credit_cents: int  # cleared money beyond every bill: it pays the next ones
    coverage_status: CoverageStatus
    coverage_start: dt.date
    grace_ends_on: dt.date | None
    terminated_on: dt.date | None
    first_payment_clearing: bool  # the binder is paid only by a debit still on its way
    today: dt.date

    @property
    def owed_cents(self) -> int:
        return self.past_due_cents + self.due_next_cents + self.later_cents

    @property
    def payable_now_cents(self) -> int:
        """What Make a Payment offers as the amount due: past due and due next, less what is on its
        way from the bank (it will pay those first)."""
        return max(self.past_due_cents + self.due_next_cents - self.processing_cents, 0)

    @property
    def has_past_due(self) -> bool:
        return self.past_due_cents >= MINIMUM_PAYMENT_CENTS

    @property
    def has_amount_due(self) -> bool:
        return self.payable_now_cents >= MINIMUM_PAYMENT_CENTS

    @property
    def all_paid_up(self) -> bool:
        """Nothing owed and nothing still clearing, and coverage isn't waiting on a first payment."""
        return (
            self.owed_cents == 0
            and self.processing_cents == 0
            and self.coverage_status != CoverageStatus.PENDING_FIRST_PAYMENT
        )

    @property
    def termination_warning_on(self) -> dt.date | None:
        if self.grace_ends_on is None:
            return None
        return self.grace_ends_on - dt.timedelta(days=get_settings().termination_warning_days)


# Built once: the dashboard, Make a Payment and each payment step read it.
_PROCESSING = select(func.coalesce(func.sum(Payment.amount_cents), 0), func.max(Payment.expected_settle_on)).where(
    Payment.billing_account_id == bindparam("account_id"), Payment.status == PaymentStatus.PENDING
)


def _processing(session: Session, account_id: int) -> tuple[int, dt.date | None]:
    cents, clears_on = session.exec(_PROCESSING, params={"account_id": account_id}).one()
    return int(cents), clears_on


def for_account(session: Session, account: BillingAccount, today: dt.date) -> MoneySummary:
    position = ledger.account_position(session, account.id, today, settled=True)
    processing, clears_on = _processing(session, account.id)
    pending_first = account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT
    clearing = (
        pending_first
        and processing > 0
        and not coverage.binder_paid(session, account, today)
        and coverage.binder_paid(session, account, today, settled=False)
    )
    return _summary(account, position, processing, clears_on, clearing, today)


def for_accounts(session: Session, accounts: list[BillingAccount], today: dt.date) -> dict[int, MoneySummary]:
    """`for_account` of many accounts (a few hundred at a time), from a handful of grouped queries."""
    ids = sorted({account.id for account in accounts})
    books = ledger.books_for(session, ids)
    processing_of = {
        account_id: (int(cents), clears_on)
        for account_id, cents, clears_on in session.exec(
            select(Payment.billing_account_id, func.sum(Payment.amount_cents), func.max(Payment.expected_settle_on))
            .where(Payment.billing_account_id.in_(ids), Payment.status == PaymentStatus.PENDING)
            .group_by(Payment.billing_account_id)
        ).all()
    }
    found = {}
    for account in accounts:
        own = books[account.id]
        processing, clears_on = processing_of.get(account.id, (0, None))
        clearing = (
            account.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT
            and processing > 0
            and not coverage.binder_paid_in(own, today)
            and coverage.binder_paid_in(own, today, settled=False)
        )
        position = own.position(today, settled=True)
        found[account.id] = _summary(account, position, processing, clears_on, clearing, today)
    return found


def _summary(
    account: BillingAccount,
    position: ledger.AccountPosition,
    processing: int,
    clears_on: dt.date | None,
    first_payment_clearing: bool,
    today: dt.date,
) -> MoneySummary:
    return MoneySummary(
        past_due_cents=position.past_due_cents,
        past_due_since=position.oldest_unpaid_due_on,
        due_next_cents=position.next_due_cents,
        due_next_on=position.next_due_on,
        later_cents=position.later_cents,
        processing_cents=processing,
        clears_on=clears_on,
        credit_cents=position.credit_cents,
        coverage_status=account.coverage_status,
        coverage_start=account.coverage_start,
        grace_ends_on=account.grace_ends_on,
        terminated_on=account.terminated_on,
        first_payment_clearing=first_payment_clearing,
        today=today,
    )
