"""Refunds: money paid back out of a settled payment, to its original method (a card refund, or an
ACH credit to the bank account), exactly once.

- Each refund has a reason, an audit entry, its own reference (`RF-…`) and a lifecycle: pending
  while the processor is asked, then refunded (a ledger entry, an email and a notice to the member)
  or failed (nothing moves; staff see why).
- Exactly once: a refund request carries an idempotency key (unique on `Refund`): a double click or
  a retried request gets the first refund back. The amount is reserved on the payment by one
  conditional UPDATE (`refunded_cents + amount <= amount_cents`), so two agents refunding the same
  payment at once can never return more than was paid: one succeeds, the other is refused.
- Only a settled payment can be refunded: a returned bank debit never brought money, a disputed
  card payment was already taken back, and a bank debit still on its way can be refunded once it
  clears.

Staff-facing functions take the acting staff user's id and check that login's role themselves
(`require_staff_id`); the daily job's automatic refunds go through `issue` with no staff actor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from hcpay_app import clock, routes
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    BillingAccount,
    NoticeKind,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    Role,
    User,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.adapters import mailer
from hcpay_app.services.adapters.processor import RefundOutcome, get_processor
from hcpay_app.services.billing import ledger, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.common import audit, money, references
from hcpay_app.services.common.errors import DomainError, NotAllowed, NotFound, ValidationError
from hcpay_app.services.payments import records, templates

REFERENCE_PREFIX = "RF"


class RefundKeyReused(DomainError):
    """The same idempotency key came back for a different payment or amount."""


@dataclasses.dataclass(frozen=True)
class RefundPreview:
    """What a refund would do, for staff to read before confirming it."""

    payment_reference: str
    amount_cents: int
    refundable_cents: int  # what is left of the payment to refund
    credit_cents: int  # the member's credit now
    leaves_unpaid_cents: int  # what the refund would leave unpaid on bills (0: the credit covers it)
    warning: str  # plain words for staff; "" when nothing is left unpaid

    @property
    def leaves_bill_unpaid(self) -> bool:
        return self.leaves_unpaid_cents > 0


@dataclasses.dataclass(frozen=True)
class RefundView:
    """One refund, display-ready (the console's refund table, the member's history)."""

    id: int
    reference: str
    payment_reference: str
    account_number: str
    amount: str
    amount_cents: int
    status: str
    status_label: str
    reason: str
    method: str
    created: str
    failure: str = ""


def new_reference() -> str:
    """`RF-XXXX-XXXX-XXXX`: unguessable and easy to read aloud, like a payment's reference."""
    chars = "".join(secrets.choice(references.ALPHABET) for _ in range(12))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def require_staff_id(session: Session, staff_user_id: object) -> User:
    """The acting staff login, re-read from the database: refused unless it is a support login."""
    user = session.get(User, staff_user_id) if type(staff_user_id) is int else None
    if user is None or user.role != Role.SUPPORT:
        raise NotAllowed(Msg("Only support staff can do that."))
    return user


def clean_reason(raw: object) -> str:
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if len(text) < 5:
        raise ValidationError({"reason": Msg("Write the reason for this refund (at least 5 characters).")})
    return text[:300]


def refundable_cents(payment: Payment) -> int:
    """What is left of a payment to refund (0 unless it went through)."""
    if payment.status != PaymentStatus.SUCCEEDED:
        return 0
    return max(payment.amount_cents - (payment.refunded_cents or 0), 0)


def _refusal(payment: Payment) -> str | None:
    """Why this payment can't be refunded at all, or None."""
    if payment.status == PaymentStatus.RETURNED:
        return templates.REFUND_REFUSALS["returned"]
    if payment.status == PaymentStatus.DISPUTED:
        return templates.REFUND_REFUSALS["disputed"]
    if payment.status == PaymentStatus.PENDING:
        return templates.REFUND_REFUSALS["pending"]
    if payment.status != PaymentStatus.SUCCEEDED:
        return templates.REFUND_REFUSALS["other"]
    if refundable_cents(payment) <= 0:
        return templates.REFUND_REFUSALS["nothing_left"]
    return None


def _payment(session: Session, reference: object) -> Payment:
    canonical = references.normalize(reference)
    payment = session.exec(select(Payment).where(Payment.reference == canonical)).first() if canonical else None
    if payment is None:
        raise NotFound(Msg("No payment has that reference number."))
    return payment


def _check_amount(payment: Payment, amount_cents: object) -> int:
    if (refusal := _refusal(payment)) is not None:
        raise ValidationError({"payment": refusal}, refusal)
    if type(amount_cents) is not int or amount_cents <= 0:
        raise ValidationError({"amount": Msg("Enter the amount to refund.")})
    remaining = refundable_cents(payment)
    if amount_cents > remaining:
        message = templates.refund_exceeds(remaining)
        raise ValidationError({"amount": message}, message)
    return amount_cents


def preview(session: Session, payment: Payment, amount_cents: object, today: dt.date) -> RefundPreview:
    """What refunding `amount_cents` of `payment` would do (no staff check: see `preview_refund`)."""
    amount = _check_amount(payment, amount_cents)
    position = ledger.account_position(session, payment.billing_account_id, today, settled=True)
    unpaid = max(amount - position.credit_cents, 0)
    return RefundPreview(
        payment_reference=payment.reference,
        amount_cents=amount,
        refundable_cents=refundable_cents(payment),
        credit_cents=position.credit_cents,
        leaves_unpaid_cents=unpaid,
        warning=templates.refund_leaves_unpaid(unpaid) if unpaid else "",
    )


def preview_refund(
    session: Session, staff_user_id: int, *, payment_reference: object, amount_cents: object, today: dt.date
) -> RefundPreview:
    """Before confirming: is the amount allowed, and would the refund leave a bill unpaid?

    Args:
        staff_user_id: the acting staff login (its role is checked here).
        payment_reference: the payment's `HC-…` reference, as typed.
        amount_cents: the amount to refund, integer cents.
        today: the portal's date.

    Raises:
        NotAllowed: not a support login. NotFound: no such payment.
        ValidationError: the payment can't be refunded, or the amount is more than what is left.
    """
    require_staff_id(session, staff_user_id)
    return preview(session, _payment(session, payment_reference), amount_cents, today)


def refund_payment(
    session: Session,
    staff_user_id: int,
    *,
    payment_reference: object,
    amount_cents: object,
    reason: object,
    idempotency_key: object,
    now: dt.datetime,
    today: dt.date,
) -> RefundView:
    """Staff refund all or part of a settled payment to its original method, exactly once.

    Args:
        staff_user_id: the acting staff login (its role is checked here).
        payment_reference: the payment's `HC-…` reference.
        amount_cents: integer cents, at most what is left of the payment.
        reason: why (at least 5 characters); the member reads it.
        idempotency_key: one per refund the agent means (16–64 characters, e.g.
            `checkout.new_idempotency_key()` made when the refund form opens); the same key again
            returns the same refund.
        now, today: the app clock.

    Returns:
        The refund: `refunded`, or `failed` (its `failure` says why, for staff).

    Raises:
        NotAllowed, NotFound, ValidationError (refused: nothing was refunded), RefundKeyReused.
    """
    staff = require_staff_id(session, staff_user_id)
    why = clean_reason(reason)
    payment = _payment(session, payment_reference)
    refund = issue(
        session,
        payment,
        amount_cents=amount_cents,
        reason=why,
        idempotency_key=idempotency_key,
        staff_user_id=staff.id,
        now=now,
        today=today,
    )
    return view(session, refund)


def _clean_key(idempotency_key: object) -> str:
    if not isinstance(idempotency_key, str) or not 16 <= len(idempotency_key) <= 64:
        raise ValidationError({"submit": Msg("Please review the refund again before confirming.")})
    return idempotency_key


def _replay(existing: Refund, payment: Payment, amount_cents: object) -> Refund:
    if existing.payment_id != payment.id or existing.amount_cents != amount_cents:
        raise RefundKeyReused(Msg("This refund was already submitted with different details. Start a new refund."))
    return existing


def issue(
    session: Session,
    payment: Payment,
    *,
    amount_cents: object,
    reason: str,
    idempotency_key: object,
    staff_user_id: int | None,
    now: dt.datetime,
    today: dt.date,
    refund_request_id: int | None = None,
) -> Refund:
    """Refund `amount_cents` of `payment` exactly once per key (callers check who is acting).

    Writes the refund as pending with the amount reserved on the payment (one commit), asks the
    processor, then records its answer (`finish`)."""
    key = _clean_key(idempotency_key)
    existing = session.exec(select(Refund).where(Refund.idempotency_key == key)).first()
    if existing is not None:
        return _replay(existing, payment, amount_cents)
    amount = _check_amount(payment, amount_cents)
    # The reservation: refused when another refund got there first and too little is left.
    claimed = session.exec(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.refunded_cents + amount <= Payment.amount_cents,
        )
        .values(refunded_cents=Payment.refunded_cents + amount, updated_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        session.refresh(payment)
        _check_amount(payment, amount)  # says why (returned meanwhile, or too little left)
        raise ValidationError({"amount": templates.refund_exceeds(refundable_cents(payment))})
    refund = Refund(
        reference=new_reference(),
        payment_id=payment.id,
        billing_account_id=payment.billing_account_id,
        amount_cents=amount,
        status=RefundStatus.PENDING,
        reason=reason[:300],
        idempotency_key=key,
        staff_user_id=staff_user_id,
        refund_request_id=refund_request_id,
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    try:
        session.flush()
        audit.record(
            session,
            "refund_requested",
            now=now,
            actor_user_id=staff_user_id,
            subject_user_id=payment.user_id,
            detail=f"{refund.reference} {money.format_cents(amount)} of {payment.reference}: {reason}",
        )
        session.commit()
    except IntegrityError:
        # The same key raced in from another request: that refund is the one (and our reservation
        # rolled back with it).
        session.rollback()
        existing = session.exec(select(Refund).where(Refund.idempotency_key == key)).one()
        return _replay(existing, payment, amount_cents)
    return send(session, refund, now=now, today=today)


def send(session: Session, refund: Refund, *, now: dt.datetime, today: dt.date) -> Refund:
    """Ask the processor to pay a pending refund (again, with the same key, after a crash: the
    processor answers the first result) and record the answer."""
    payment = session.get(Payment, refund.payment_id)
    result = get_processor().refund(
        payment.processor_ref or "", payment.processor_token or "", refund.amount_cents, refund.idempotency_key, now
    )
    refunded = result.status == RefundOutcome.REFUNDED
    finished = session.exec(
        update(Refund)
        .where(Refund.id == refund.id, Refund.status == RefundStatus.PENDING)
        .values(
            status=RefundStatus.REFUNDED if refunded else RefundStatus.FAILED,
            processor_ref=result.processor_ref,
            failure_code=None if refunded else result.code,
            updated_at=now,
        )
    )
    if finished.rowcount != 1:  # another worker finished it
        session.rollback()
        session.refresh(refund)
        return refund
    session.refresh(refund)
    account = session.get(BillingAccount, refund.billing_account_id)
    if refunded:
        ledger.post_refund(
            session,
            account_id=account.id,
            refund_id=refund.id,
            amount_cents=refund.amount_cents,
            description=Msg(
                "Refund {reference} of payment {payment}", reference=refund.reference, payment=payment.reference
            ),
            effective_on=today,
            now=now,
        )
        records.add_event(
            session,
            payment,
            payment.status,
            Msg(
                "Refunded {amount} ({reference})",
                amount=money.format_cents(refund.amount_cents),
                reference=refund.reference,
            ),
            now,
        )
        audit.record(
            session,
            "refund_issued",
            now=now,
            actor_user_id=refund.staff_user_id,
            subject_user_id=payment.user_id,
            detail=f"{refund.reference} {money.format_cents(refund.amount_cents)} of {payment.reference}",
        )
        _tell_member(session, account, payment, refund, now)
    else:
        # Nothing moved: release the reservation so the amount can be refunded another way.
        session.exec(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(refunded_cents=Payment.refunded_cents - refund.amount_cents, updated_at=now)
        )
        audit.record(
            session,
            "refund_failed",
            now=now,
            actor_user_id=refund.staff_user_id,
            subject_user_id=payment.user_id,
            detail=f"{refund.reference} {money.format_cents(refund.amount_cents)} of {payment.reference}: "
            f"{result.code}",
        )
    session.commit()
    session.refresh(refund)
    return refund


def _tell_member(session: Session, account: BillingAccount, payment: Payment, refund: Refund, now: dt.datetime):
    member = access.account_member(session, account)
    account_now = billing_templates.summary_text(summary.for_account(session, account, clock.local_date(now)))
    message = templates.refund_issued(
        first_name=member.first_name,
        amount_cents=refund.amount_cents,
        refund_reference=refund.reference,
        payment_reference=payment.reference,
        method_label=payment.method_label,
        method_kind=payment.method_kind,
        reason=refund.reason,
        account_now=account_now,
    )
    mailer.enqueue_message(session, to=member.email, message=message, kind=NoticeKind.REFUND_ISSUED, now=now)
    user_id = session.exec(select(User.id).where(User.member_id == account.member_id)).first()
    if user_id is not None:
        notice = templates.refund_notice(
            amount_cents=refund.amount_cents, refund_reference=refund.reference, method_label=payment.method_label
        )
        notices.notify(
            session, user_id, notice, kind=NoticeKind.REFUND_ISSUED, now=now, link=routes.HISTORY, by_email=False
        )


def refund_credit(
    session: Session,
    account: BillingAccount,
    *,
    amount_cents: int,
    reason: str,
    key_prefix: str,
    staff_user_id: int | None,
    now: dt.datetime,
    today: dt.date,
    refund_request_id: int | None = None,
) -> list[Refund]:
    """Pay back `amount_cents` of an account's credit to the methods it was paid with, the most
    recent settled payment first (then the one before, when one payment holds too little).
    Keys are `key_prefix:payment id`, so running it again refunds nothing twice. Stops at the first
    failure (it is in the list)."""
    left = amount_cents
    done: list[Refund] = []
    payments = session.exec(
        select(Payment)
        .where(Payment.billing_account_id == account.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
    ).all()
    for payment in payments:
        if left <= 0:
            break
        share = min(left, refundable_cents(payment))
        if share <= 0:
            continue
        refund = issue(
            session,
            payment,
            amount_cents=share,
            reason=reason,
            idempotency_key=f"{key_prefix}:{payment.id}"[:64].ljust(16, "-"),
            staff_user_id=staff_user_id,
            now=now,
            today=today,
            refund_request_id=refund_request_id,
        )
        done.append(refund)
        if refund.status == RefundStatus.FAILED:
            break
        left -= share
    return done


def reconcile_pending(session: Session, *, now: dt.datetime, today: dt.date) -> int:
    """Finish refunds a crash left pending (older than a couple of minutes) by asking the processor
    again with the same key: it pays out once whatever happened."""
    stuck = session.exec(
        select(Refund).where(Refund.status == RefundStatus.PENDING, Refund.updated_at <= now - dt.timedelta(minutes=2))
    ).all()
    for refund in stuck:
        send(session, refund, now=now, today=today)
    return len(stuck)


def view(session: Session, refund: Refund) -> RefundView:
    payment = session.get(Payment, refund.payment_id)
    account = session.get(BillingAccount, refund.billing_account_id)
    failure = Msg("The processor couldn't send this refund. Nothing was refunded.") if refund.failure_code else ""
    return RefundView(
        id=refund.id,
        reference=refund.reference,
        payment_reference=payment.reference,
        account_number=account.account_number,
        amount=money.format_cents(refund.amount_cents),
        amount_cents=refund.amount_cents,
        status=refund.status,
        status_label=templates.REFUND_STATUS_LABELS.get(refund.status, str(refund.status)),
        reason=refund.reason,
        method=payment.method_label,
        created=Msg(
            "{day} {time}",
            day=Dated(clock.local_date(refund.created_at)),
            time=clock.format_local_time(refund.created_at),
        ),
        failure=failure,
    )
