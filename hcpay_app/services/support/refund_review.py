"""The console's refund form: what the agent typed, checked and restated for review, then issued
exactly as reviewed (the refund desk does the money; this module reads the form)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select

from hcpay_app.i18n.message import Msg
from hcpay_app.models import BillingAccount, Payment
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.common import money, references
from hcpay_app.services.common.errors import FieldChecks, ValidationError
from hcpay_app.services.payments import refunds
from hcpay_app.services.payments.refunds import RefundView
from hcpay_app.services.support.console import require_staff

PICK_A_PAYMENT = Msg("Choose the payment to refund.")


@dataclasses.dataclass(frozen=True)
class RefundReview:
    """A refund as the agent will confirm it: display-ready, plus the cents it was checked with."""

    payment_reference: str
    method: str
    amount: str
    amount_cents: int
    left_after: str  # what remains of the payment to refund afterwards
    reason: str
    warning: str  # "" unless the refund would leave a bill unpaid


def _members_payment(session: Session, member_id: int, reference: object) -> Payment:
    """The payment, only if it belongs to the member whose record is open."""
    canonical = references.normalize(reference)
    payment = (
        session.exec(
            select(Payment)
            .join(BillingAccount, BillingAccount.id == Payment.billing_account_id)
            .where(Payment.reference == canonical, BillingAccount.member_id == member_id)
        ).first()
        if canonical and type(member_id) is int
        else None
    )
    if payment is None:
        raise ValidationError({"payment": PICK_A_PAYMENT}, PICK_A_PAYMENT)
    return payment


def review(
    session: Session,
    staff: SessionUser,
    *,
    member_id: object,
    payment_reference: object,
    amount: object,
    reason: object,
    today: dt.date,
) -> RefundReview:
    """Check the refund form of the open member's record; every field's mistake at once.

    Raises:
        NotAllowed (not staff), ValidationError (per field: payment, amount, reason).
    """
    require_staff(staff)
    checks = FieldChecks()
    payment = checks.run(lambda: _members_payment(session, member_id, payment_reference))
    cents = checks.run(lambda: _cents(amount), 0)
    why = checks.run(lambda: refunds.clean_reason(reason), "")
    checks.raise_if_any()
    preview = refunds.preview_refund(
        session, staff.user_id, payment_reference=payment.reference, amount_cents=cents, today=today
    )
    return RefundReview(
        payment_reference=payment.reference,
        method=payment.method_label,
        amount=money.format_cents(preview.amount_cents),
        amount_cents=preview.amount_cents,
        left_after=money.format_cents(preview.refundable_cents - preview.amount_cents),
        reason=why,
        warning=preview.warning,
    )


def _cents(amount: object) -> int:
    try:
        return money.parse_dollars(amount)
    except money.AmountError as exc:
        raise ValidationError({"amount": exc.args[0] if exc.args else str(exc)}) from None  # a Msg stays one


def issue(
    session: Session,
    staff: SessionUser,
    *,
    reviewed: RefundReview,
    idempotency_key: str,
    now: dt.datetime,
    today: dt.date,
) -> RefundView:
    """Issue the refund exactly as reviewed (the terms kept on the server, never re-read from the
    browser); the same key again — a double click — returns the same refund."""
    require_staff(staff)
    return refunds.refund_payment(
        session,
        staff.user_id,
        payment_reference=reviewed.payment_reference,
        amount_cents=reviewed.amount_cents,
        reason=reviewed.reason,
        idempotency_key=idempotency_key,
        now=now,
        today=today,
    )
