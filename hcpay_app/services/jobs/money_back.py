"""The daily job's money going back: refunds a crash left pending are finished, card disputes the
processor reports are received and their outcomes applied, and a terminated member's remaining
credit is refunded `HCPAY_AUTO_REFUND_AFTER_DAYS` days after coverage ended.

Each is once whatever repeats: a refund's idempotency key is `auto-refund-<account>:<payment>`
(unique), a dispute is unique per payment and closes once from "open"."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.models import BillingAccount, CoverageStatus, RefundStatus
from hcpay_app.services.billing import ledger
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.payments import disputes, refunds, templates


def auto_refund_key(account_id: int) -> str:
    return f"auto-refund-{account_id}"


def refund_terminated_credits(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Refund the credit of every account whose coverage ended at least the setting's days ago, to
    the most recent settled payment methods. Returns how many refunds were sent."""
    cutoff = today - dt.timedelta(days=get_settings().auto_refund_after_days)
    ended = select(BillingAccount.id).where(
        BillingAccount.coverage_status == CoverageStatus.TERMINATED,
        BillingAccount.terminated_on.is_not(None),
        BillingAccount.terminated_on <= cutoff,
    )
    # Ended accounts pile up over the years: their settled credit comes from two grouped queries,
    # and only the few with credit left are loaded.
    owed = ledger.balances(session, ended)
    for account_id, pending in ledger.pending_by_account(session, ended).items():
        owed[account_id] = owed.get(account_id, 0) + pending
    with_credit = sorted(account_id for account_id, cents in owed.items() if -cents >= MINIMUM_PAYMENT_CENTS)
    accounts = (
        session.exec(select(BillingAccount).where(BillingAccount.id.in_(with_credit))).all() if with_credit else []
    )
    sent = 0
    for account in accounts:
        credit = ledger.account_position(session, account.id, today, settled=True).credit_cents
        if credit < MINIMUM_PAYMENT_CENTS:
            continue
        done = refunds.refund_credit(
            session,
            account,
            amount_cents=credit,
            reason=templates.auto_refund_reason(account.terminated_on),
            key_prefix=auto_refund_key(account.id),
            staff_user_id=None,
            now=now,
            today=today,
        )
        sent += sum(1 for r in done if r.status == RefundStatus.REFUNDED)
    return sent


def run(session: Session, *, today: dt.date, now: dt.datetime) -> tuple[int, int, int]:
    """(disputes received, disputes closed, refunds sent) for the daily job."""
    refunds.reconcile_pending(session, now=now, today=today)
    received = disputes.receive_all(session, today=today, now=now)
    closed = disputes.settle_all(session, today=today, now=now)
    sent = refund_terminated_credits(session, today=today, now=now)
    return received, closed, sent
