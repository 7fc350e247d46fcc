"""Card disputes (chargebacks): the cardholder's bank takes a settled card payment back, weeks
later, and decides later still whether it stays taken.

- Received from the processor (the daily job asks it, or a processor event calls `receive`): the
  payment turns "disputed" and is taken back in the ledger like a returned bank debit, so the bill
  it paid reopens; the dispute fee (`HCPAY_DISPUTE_FEE_CENTS`, 0: none) is charged on that bill;
  the member is told in plain words. One dispute per payment (unique), whatever repeats.
- The outcome, once: won — the payment counts again (and any dispute fee is waived); lost — it
  stays taken back. A conditional UPDATE from "open" makes a repeated outcome change nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    BillingAccount,
    Dispute,
    DisputeStatus,
    EntryKind,
    Invoice,
    LedgerEntry,
    NoticeKind,
    Payment,
    PaymentStatus,
    User,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.adapters import mailer
from hcpay_app.services.adapters.processor import DisputeNotice, DisputeOutcome, get_processor
from hcpay_app.services.billing import ledger, paid_notices, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.common import audit, dates, money, references
from hcpay_app.services.payments import records, templates

REFERENCE_PREFIX = "DP"


@dataclasses.dataclass(frozen=True)
class DisputeView:
    """One dispute, display-ready (the console's dispute table)."""

    id: int
    reference: str
    payment_reference: str
    account_number: str
    amount: str
    amount_cents: int
    fee: str
    status: str
    status_label: str
    reason: str
    opened_on: str
    closed_on: str


def new_reference() -> str:
    chars = "".join(secrets.choice(references.ALPHABET) for _ in range(12))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _fee_invoice(session: Session, payment: Payment) -> int | None:
    """The bill a dispute fee goes on: the newest bill the payment paid, else the newest bill."""
    paid = ledger.invoices_paid_by(session, payment)
    if paid:
        return paid[-1][0].id
    return session.exec(
        select(Invoice.id)
        .where(Invoice.billing_account_id == payment.billing_account_id)
        .order_by(Invoice.due_on.desc(), Invoice.id.desc())
    ).first()


def receive(session: Session, notice: DisputeNotice, *, today: dt.date, now: dt.datetime) -> Dispute | None:
    """Record one dispute the processor reported (once: a repeat, or a payment not settled, changes
    nothing and returns None). Commits."""
    payment = session.exec(select(Payment).where(Payment.processor_ref == notice.charge_ref)).first()
    if payment is None:
        return None
    if session.exec(select(Dispute.id).where(Dispute.payment_id == payment.id)).first() is not None:
        return None
    claimed = session.exec(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.SUCCEEDED)
        .values(status=PaymentStatus.DISPUTED, updated_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        return None
    session.refresh(payment)
    # What was refunded already went back to the member: only the rest is taken back.
    amount = max(min(notice.amount_cents, payment.amount_cents - (payment.refunded_cents or 0)), 0)
    fee = get_settings().dispute_fee_cents
    fee_invoice = _fee_invoice(session, payment) if fee > 0 else None
    dispute = Dispute(
        reference=new_reference(),
        payment_id=payment.id,
        billing_account_id=payment.billing_account_id,
        processor_dispute_ref=notice.dispute_ref,
        amount_cents=amount,
        fee_cents=fee if fee_invoice is not None else 0,
        reason=notice.reason[:60],
        status=DisputeStatus.OPEN,
        opened_on=today,
        created_at=now,
        updated_at=now,
    )
    session.add(dispute)
    try:
        session.flush()
    except IntegrityError:  # another job recorded it at this very moment
        session.rollback()
        return None
    records.add_event(
        session,
        payment,
        PaymentStatus.DISPUTED,
        Msg("Disputed with your card issuer ({reference})", reference=dispute.reference),
        now,
    )
    if amount > 0:
        ledger.post_dispute(session, payment, amount, effective_on=today, now=now, reference=dispute.reference)
    if dispute.fee_cents:
        ledger.post(
            session,
            account_id=payment.billing_account_id,
            kind=EntryKind.DISPUTE_FEE,
            amount_cents=dispute.fee_cents,
            effective_on=today,
            now=now,
            invoice_id=fee_invoice,
            payment_id=payment.id,
            description=Msg("Dispute fee ({reference})", reference=dispute.reference),
        )
    audit.record(
        session,
        "payment_disputed",
        now=now,
        subject_user_id=payment.user_id,
        detail=f"{dispute.reference} {money.format_cents(amount)} of {payment.reference} ({notice.reason})",
    )
    account = session.get(BillingAccount, payment.billing_account_id)
    member = access.account_member(session, account)
    account_now = billing_templates.summary_text(summary.for_account(session, account, today))
    message = templates.payment_disputed(
        first_name=member.first_name,
        amount_cents=amount,
        payment_reference=payment.reference,
        dispute_reference=dispute.reference,
        method_label=payment.method_label,
        fee_cents=dispute.fee_cents,
        account_now=account_now,
    )
    mailer.enqueue_message(session, to=member.email, message=message, kind=NoticeKind.PAYMENT_DISPUTED, now=now)
    _notice(session, account, message, NoticeKind.PAYMENT_DISPUTED, routes.PAY, now)
    session.commit()
    return dispute


def _notice(session: Session, account: BillingAccount, message, kind: NoticeKind, link: str, now: dt.datetime):
    user_id = session.exec(select(User.id).where(User.member_id == account.member_id)).first()
    if user_id is not None:
        notices.notify(session, user_id, message, kind=kind, now=now, link=link, by_email=False)


def apply_outcome(
    session: Session, dispute_id: int, outcome: DisputeOutcome | str, *, today: dt.date, now: dt.datetime
) -> bool:
    """Apply the processor's decision once: won — the payment counts again and a dispute fee is
    waived; lost — it stays taken back. False (nothing changed) when the dispute was already
    closed. Commits."""
    status = DisputeStatus.WON if outcome == DisputeOutcome.WON else DisputeStatus.LOST
    closed = session.exec(
        update(Dispute)
        .where(Dispute.id == dispute_id, Dispute.status == DisputeStatus.OPEN)
        .values(status=status, closed_on=today, updated_at=now)
    )
    if closed.rowcount != 1:
        session.rollback()
        return False
    dispute = session.get(Dispute, dispute_id)
    session.refresh(dispute)
    payment = session.get(Payment, dispute.payment_id)
    account = session.get(BillingAccount, dispute.billing_account_id)
    won = status == DisputeStatus.WON
    if won:
        if dispute.amount_cents > 0:
            ledger.post_dispute_won(
                session, payment, dispute.amount_cents, effective_on=today, now=now, reference=dispute.reference
            )
        if dispute.fee_cents:
            fee = session.exec(
                select(LedgerEntry).where(
                    LedgerEntry.payment_id == payment.id, LedgerEntry.kind == EntryKind.DISPUTE_FEE
                )
            ).first()
            if fee is not None:
                ledger.post(
                    session,
                    account_id=account.id,
                    kind=EntryKind.FEE_WAIVER,
                    amount_cents=-fee.amount_cents,
                    effective_on=today,
                    now=now,
                    invoice_id=fee.invoice_id,
                    description=Msg(
                        "Dispute fee waived: dispute {reference} closed in our favor", reference=dispute.reference
                    ),
                )
        records.move(
            session,
            payment,
            PaymentStatus.SUCCEEDED,
            now=now,
            note=Msg("Dispute {reference} closed", reference=dispute.reference),
        )
        paid_notices.resolve_for_account(session, account.id, now=now)
    else:
        records.add_event(
            session,
            payment,
            PaymentStatus.DISPUTED,
            Msg("Dispute {reference} closed: the issuer kept it", reference=dispute.reference),
            now,
        )
    audit.record(
        session,
        "dispute_won" if won else "dispute_lost",
        now=now,
        subject_user_id=payment.user_id,
        detail=f"{dispute.reference} of {payment.reference}",
    )
    member = access.account_member(session, account)
    message = templates.dispute_closed(
        won=won,
        amount_cents=dispute.amount_cents,
        payment_reference=payment.reference,
        dispute_reference=dispute.reference,
    )
    mailer.enqueue_message(session, to=member.email, message=message, kind=NoticeKind.DISPUTE_CLOSED, now=now)
    _notice(session, account, message, NoticeKind.DISPUTE_CLOSED, routes.HISTORY if won else routes.PAY, now)
    session.commit()
    return True


def receive_all(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """The daily job: record every dispute the processor reports (each once). Returns how many were new."""
    return sum(1 for notice in get_processor().disputes_opened(today) if receive(session, notice, today=today, now=now))


def settle_all(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """The daily job: apply the processor's decision on every open dispute it has decided."""
    processor = get_processor()
    open_disputes = session.exec(select(Dispute).where(Dispute.status == DisputeStatus.OPEN)).all()
    applied = 0
    for dispute in open_disputes:
        outcome = processor.dispute_outcome(dispute.processor_dispute_ref, today)
        if outcome is not None and apply_outcome(session, dispute.id, outcome, today=today, now=now):
            applied += 1
    return applied


def view(session: Session, dispute: Dispute) -> DisputeView:
    payment = session.get(Payment, dispute.payment_id)
    account = session.get(BillingAccount, dispute.billing_account_id)
    return DisputeView(
        id=dispute.id,
        reference=dispute.reference,
        payment_reference=payment.reference,
        account_number=account.account_number,
        amount=money.format_cents(dispute.amount_cents),
        amount_cents=dispute.amount_cents,
        fee=money.format_cents(dispute.fee_cents),
        status=dispute.status,
        status_label=templates.DISPUTE_STATUS_LABELS.get(dispute.status, str(dispute.status)),
        reason=dispute.reason,
        opened_on=dates.short_date(dispute.opened_on),
        closed_on=dates.short_date(dispute.closed_on) if dispute.closed_on else "",
    )
