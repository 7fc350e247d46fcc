"""The daily job's scheduled charges: a payment the member scheduled for a later date is charged
on that date, once: it is claimed (scheduled → processing) before it is charged, so two jobs at once
never both charge it. The charges themselves fan out on the task queue (`charge_queue`)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app.db import session_scope
from hcpay_app.i18n.message import Msg
from hcpay_app.models import Payment, PaymentStatus
from hcpay_app.services.jobs import charge_queue
from hcpay_app.services.payments import checkout, records


def run_scheduled(session: Session, *, today: dt.date, now: dt.datetime, progress=None) -> int:
    """Claim every scheduled payment whose date has come, then charge them on the queue."""
    due = session.exec(
        select(Payment.id).where(Payment.status == PaymentStatus.SCHEDULED, Payment.payment_date <= today)
    ).all()
    claimed_ids = []
    for payment_id in due:
        claimed = session.exec(
            update(Payment)
            .where(Payment.id == payment_id, Payment.status == PaymentStatus.SCHEDULED)
            .values(status=PaymentStatus.PROCESSING, updated_at=now)
        )
        if claimed.rowcount != 1:
            session.commit()
            continue
        payment = session.get(Payment, payment_id)
        records.add_event(session, payment, PaymentStatus.PROCESSING, Msg("Scheduled date reached"), now)
        session.commit()
        claimed_ids.append(payment_id)
    charges = [charge_queue.Charge("scheduled", str(payment_id)) for payment_id in claimed_ids]
    charge_queue.run_all("scheduled payments", charges, today=today, now=now, progress=progress)
    return len(claimed_ids)


def charge_claimed(payment_id: str, *, today: dt.date, now: dt.datetime) -> None:
    """The queue's task: charge a claimed payment (still processing), with its own key."""
    with session_scope() as session:
        payment = session.get(Payment, int(payment_id))
        if payment is None or payment.status != PaymentStatus.PROCESSING:
            return  # already finished (a repeated message)
        checkout.charge(session, payment, now=now, today=today, member_waiting=False)
