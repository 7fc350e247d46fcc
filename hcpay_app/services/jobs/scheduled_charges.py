"""The daily job's scheduled charges: a payment the member scheduled for a later date is charged
on that date, once: it is claimed (scheduled → processing) before it is charged, so two jobs at once
never both charge it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app.i18n.message import Msg
from hcpay_app.models import Payment, PaymentStatus
from hcpay_app.services.payments import checkout, records


def run_scheduled(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Charge every scheduled payment whose date has come. A payment is claimed (scheduled →
    processing) before it is charged, so two jobs at once never both charge it."""
    due = session.exec(
        select(Payment.id).where(Payment.status == PaymentStatus.SCHEDULED, Payment.payment_date <= today)
    ).all()
    charged = 0
    for payment_id in due:
        claimed = session.exec(
            update(Payment)
            .where(Payment.id == payment_id, Payment.status == PaymentStatus.SCHEDULED)
            .values(status=PaymentStatus.PROCESSING, updated_at=now)
        )
        session.commit()
        if claimed.rowcount != 1:
            continue
        payment = session.get(Payment, payment_id)
        records.add_event(session, payment, PaymentStatus.PROCESSING, Msg("Scheduled date reached"), now)
        session.commit()
        checkout.charge(session, payment, now=now, today=today, member_waiting=False)
        charged += 1
    return charged
