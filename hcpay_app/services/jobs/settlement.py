"""The daily job's bank settlement: pending bank debits clear or come back returned on their settle
date, and payments a crash left "processing" are finished by asking the processor again."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app.i18n.message import Msg
from hcpay_app.models import BillingAccount, NoticeKind, Payment, PaymentSource, PaymentStatus
from hcpay_app.services.adapters.processor import BankResult, get_processor
from hcpay_app.services.billing import coverage, ledger, paid_notices
from hcpay_app.services.jobs import autopay_runs
from hcpay_app.services.payments import checkout, records
from hcpay_app.services.payments.templates import RETURN_MESSAGES, RETURNED_FALLBACK

STALE_PROCESSING = dt.timedelta(minutes=2)


def settle_bank_payments(session: Session, *, today: dt.date, now: dt.datetime) -> tuple[int, int]:
    """Pending bank debits whose settle date has come: settled → Paid, and the notices about the
    bills it paid resolve; returned → reversed, the invoice reopened and the member told why (a
    notice about its bill was never resolved by a debit still on its way, so none needs undoing).
    Returns (settled, returned)."""
    due = session.exec(
        select(Payment.id).where(Payment.status == PaymentStatus.PENDING, Payment.expected_settle_on <= today)
    ).all()
    settled = returned = 0
    processor = get_processor()
    for payment_id in due:
        payment = session.get(Payment, payment_id)
        outcome = processor.bank_outcome(payment.processor_ref or "")
        new_status = PaymentStatus.SUCCEEDED if outcome.status == BankResult.SETTLED else PaymentStatus.RETURNED
        claimed = session.exec(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING)
            .values(status=new_status, updated_at=now)
        )
        if claimed.rowcount != 1:
            session.rollback()
            continue
        session.refresh(payment)
        account = session.get(BillingAccount, payment.billing_account_id)
        if new_status == PaymentStatus.SUCCEEDED:
            records.add_event(session, payment, new_status, Msg("Cleared by your bank"), now)
            coverage.refresh_after_payment(session, account, today)  # a first payment starts coverage now
            paid_notices.resolve_for_account(session, account.id, now=now)  # the money is here now
            checkout.email_member(session, account, payment, NoticeKind.PAYMENT_SETTLED, now=now)
            checkout.notice_member(session, account, payment, NoticeKind.PAYMENT_SETTLED, now=now)
            settled += 1
        else:
            payment.reason_code = outcome.code
            payment.reason_message = RETURN_MESSAGES.get(outcome.code, RETURNED_FALLBACK)
            session.add(payment)
            records.add_event(
                session, payment, new_status, Msg("Returned by your bank: {reason}", reason=payment.reason_message), now
            )
            ledger.post_reversal(session, payment, effective_on=today, now=now, reason=payment.reason_message)
            consequence = ""
            if payment.source == PaymentSource.AUTOPAY:
                consequence = autopay_runs.payment_returned(session, payment, today=today, now=now)
            checkout.email_member(session, account, payment, NoticeKind.PAYMENT_RETURNED, now=now, lead=consequence)
            if not consequence:  # a returned automatic payment has its notice already (Automatic Payments)
                checkout.notice_member(session, account, payment, NoticeKind.PAYMENT_RETURNED, now=now)
            returned += 1
        session.commit()
    return settled, returned


def reconcile_processing(
    session: Session, *, now: dt.datetime, today: dt.date, older_than: dt.timedelta = STALE_PROCESSING
) -> int:
    """Finish payments left "processing" by a crash or by a processor that gave no answer: ask
    again with the same key (it returns the first result, or charges once if the first call never
    arrived). Returns how many got their answer."""
    stuck = session.exec(
        select(Payment).where(Payment.status == PaymentStatus.PROCESSING, Payment.updated_at <= now - older_than)
    ).all()
    return sum(
        checkout.charge(session, payment, now=now, today=today, member_waiting=False) is not None for payment in stuck
    )
