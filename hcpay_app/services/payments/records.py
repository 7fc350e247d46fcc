"""Writing Payment rows and their timeline — shared by the payment flow, autopay and demo data."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, update

from hcpay_app.models import Payment, PaymentEvent, PaymentSource, PaymentStatus
from hcpay_app.services.common import references


def create(
    session: Session,
    *,
    account_id: int,
    amount_cents: int,
    method_kind: str,
    method_label: str,
    payment_date: dt.date,
    status: str,
    now: dt.datetime,
    source: PaymentSource = PaymentSource.MEMBER,
    user_id: int | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    payment_method_id: int | None = None,
    processor_token: str | None = None,
) -> Payment:
    """A new payment with a fresh reference number and the first step of its timeline."""
    if type(amount_cents) is not int or amount_cents <= 0:
        raise ValueError("payment amounts are positive integer cents")
    payment = Payment(
        reference=references.new_reference(),
        billing_account_id=account_id,
        user_id=user_id,
        amount_cents=amount_cents,
        method_kind=method_kind,
        method_label=method_label,
        status=status,
        payment_date=payment_date,
        idempotency_key=idempotency_key,
        source=source,
        created_at=now,
        updated_at=now,
        payment_method_id=payment_method_id,
        processor_token=processor_token,
    )
    session.add(payment)
    session.flush()
    add_event(session, payment, status, note, now)
    return payment


def move(session: Session, payment: Payment, status: str, *, now: dt.datetime, note: str = "") -> None:
    """Change a payment's status and record the step on its timeline."""
    payment.status = status
    payment.updated_at = now
    session.add(payment)
    add_event(session, payment, status, note, now)


def add_event(session: Session, payment: Payment, status: str, note: str, at: dt.datetime) -> None:
    session.add(PaymentEvent(payment_id=payment.id, at=at, status=status, note=note[:300]))


def claim_scheduled(session: Session, payment: Payment, now: dt.datetime) -> bool:
    """Claim a scheduled payment for canceling, in the caller's transaction: a conditional UPDATE,
    so a payment the daily job is charging at this very moment (or another tab canceled) is left
    alone. False, with the transaction rolled back, when it is no longer scheduled."""
    claimed = session.exec(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.SCHEDULED)
        .values(updated_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        return False
    session.refresh(payment)
    return True
