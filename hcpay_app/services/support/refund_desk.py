"""The support console's refund and dispute desk: what the console calls to refund a payment,
decide a member's refund request, and list refunds and disputes.

Every function takes the acting staff user's id first and re-checks, from the database, that the
login is a support login (`refunds.require_staff_id`): a member's id is refused with `NotAllowed`
before anything is read. Refused actions write nothing. Refunds are exactly once per idempotency
key (see `payments.refunds`).

    preview_refund(session, staff_user_id, *, payment_reference, amount_cents, today) -> RefundPreview
    refund_payment(session, staff_user_id, *, payment_reference, amount_cents, reason, idempotency_key,
                   now, today) -> RefundView
    refundable_payments(session, staff_user_id, member_id) -> list[RefundablePayment]
    member_refunds(session, staff_user_id, member_id) -> list[RefundView]
    recent_refunds(session, staff_user_id, *, status=None, limit=200) -> list[RefundView]
    member_disputes(session, staff_user_id, member_id) -> list[DisputeView]
    recent_disputes(session, staff_user_id, *, status=None, limit=200) -> list[DisputeView]
    refund_requests(session, staff_user_id, *, waiting_only=True) -> list[RefundRequestView]
    approve_refund_request(session, staff_user_id, *, request_id, now, today) -> list[RefundView]
    decline_refund_request(session, staff_user_id, *, request_id, reason, now) -> RefundRequestView
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app import clock, routes
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    BillingAccount,
    Dispute,
    DisputeStatus,
    Member,
    NoticeKind,
    Payment,
    PaymentStatus,
    Refund,
    RefundRequest,
    RefundRequestStatus,
    RefundStatus,
    SupportTicket,
    TicketMessage,
    TicketStatus,
    User,
)
from hcpay_app.services.accounts import notices
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import audit, dates, money
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.payments import disputes, refunds, statuses
from hcpay_app.services.payments import templates as payment_templates
from hcpay_app.services.payments.disputes import DisputeView
from hcpay_app.services.payments.refunds import RefundPreview, RefundView, require_staff_id
from hcpay_app.services.support import tickets

__all__ = [
    "DisputeView",
    "RefundPreview",
    "RefundRequestView",
    "RefundView",
    "RefundablePayment",
    "approve_refund_request",
    "decline_refund_request",
    "member_disputes",
    "member_refunds",
    "preview_refund",
    "recent_disputes",
    "recent_refunds",
    "refund_payment",
    "refund_requests",
    "refundable_payments",
]

ALREADY_DECIDED = Msg("This refund request was already decided.")

# Staff-facing entry points of `payments.refunds` (both check the staff role themselves).
preview_refund = refunds.preview_refund
refund_payment = refunds.refund_payment


@dataclasses.dataclass(frozen=True)
class RefundablePayment:
    """A member's payment as the refund form lists it."""

    reference: str
    date: str
    amount: str
    refunded: str
    refundable_cents: int
    refundable: str
    method: str
    status_label: str


@dataclasses.dataclass(frozen=True)
class RefundRequestView:
    id: int
    ticket_number: str
    member_name: str
    account_number: str
    amount: str
    amount_cents: int
    credit_now: str
    status: str
    requested: str
    decision_reason: str
    member_language: str = ""  # the member's language, in its own name ("Español"), for staff


def _account_of(session: Session, member_id: object) -> BillingAccount:
    member = session.get(Member, member_id) if type(member_id) is int else None
    account = (
        session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).first() if member else None
    )
    if account is None:
        raise NotFound(Msg("No such member."))
    return account


def refundable_payments(session: Session, staff_user_id: int, member_id: object) -> list[RefundablePayment]:
    """A member's settled payments, newest first, with what is left of each to refund."""
    require_staff_id(session, staff_user_id)
    account = _account_of(session, member_id)
    rows = session.exec(
        select(Payment)
        .where(Payment.billing_account_id == account.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
        .limit(200)
    ).all()
    return [
        RefundablePayment(
            reference=p.reference,
            date=dates.short_date(p.payment_date),
            amount=money.format_cents(p.amount_cents),
            refunded=money.format_cents(p.refunded_cents or 0),
            refundable_cents=refunds.refundable_cents(p),
            refundable=money.format_cents(refunds.refundable_cents(p)),
            method=p.method_label,
            status_label=statuses.LABELS.get(p.status, str(p.status)),
        )
        for p in rows
    ]


def member_refunds(session: Session, staff_user_id: int, member_id: object) -> list[RefundView]:
    """Every refund of a member's payments, newest first."""
    require_staff_id(session, staff_user_id)
    account = _account_of(session, member_id)
    rows = session.exec(
        select(Refund).where(Refund.billing_account_id == account.id).order_by(Refund.id.desc()).limit(200)
    ).all()
    return [refunds.view(session, r) for r in rows]


def recent_refunds(
    session: Session, staff_user_id: int, *, status: object = None, limit: int = 200
) -> list[RefundView]:
    """The newest refunds of every member (optionally one status: pending, refunded, failed)."""
    require_staff_id(session, staff_user_id)
    query = select(Refund).order_by(Refund.id.desc()).limit(max(1, min(limit, 500)))
    if status in tuple(RefundStatus):
        query = query.where(Refund.status == status)
    return [refunds.view(session, r) for r in session.exec(query).all()]


def member_disputes(session: Session, staff_user_id: int, member_id: object) -> list[DisputeView]:
    require_staff_id(session, staff_user_id)
    account = _account_of(session, member_id)
    rows = session.exec(
        select(Dispute).where(Dispute.billing_account_id == account.id).order_by(Dispute.id.desc())
    ).all()
    return [disputes.view(session, d) for d in rows]


def recent_disputes(
    session: Session, staff_user_id: int, *, status: object = None, limit: int = 200
) -> list[DisputeView]:
    """The newest disputes of every member (optionally one status: open, won, lost)."""
    require_staff_id(session, staff_user_id)
    query = select(Dispute).order_by(Dispute.id.desc()).limit(max(1, min(limit, 500)))
    if status in tuple(DisputeStatus):
        query = query.where(Dispute.status == status)
    return [disputes.view(session, d) for d in session.exec(query).all()]


def _request_view(session: Session, request: RefundRequest, today: dt.date) -> RefundRequestView:
    account = session.get(BillingAccount, request.billing_account_id)
    member = session.get(Member, account.member_id)
    ticket = session.get(SupportTicket, request.ticket_id)
    credit = ledger.account_position(session, account.id, today, settled=True).credit_cents
    return RefundRequestView(
        id=request.id,
        ticket_number=ticket.ticket_number,
        member_name=f"{member.first_name} {member.last_name}",
        account_number=account.account_number,
        amount=money.format_cents(request.amount_cents),
        amount_cents=request.amount_cents,
        credit_now=money.format_cents(credit),
        status=request.status,
        requested=Dated(clock.local_date(request.created_at)),
        decision_reason=request.decision_reason or "",
        member_language=tickets.language_name(
            session.exec(select(User.language).where(User.id == request.user_id)).first()
        ),
    )


def refund_requests(
    session: Session, staff_user_id: int, *, waiting_only: bool = True, today: dt.date | None = None
) -> list[RefundRequestView]:
    """Members' refund requests, oldest waiting first (or every request, newest first)."""
    require_staff_id(session, staff_user_id)
    query = select(RefundRequest)
    if waiting_only:
        query = query.where(RefundRequest.status == RefundRequestStatus.REQUESTED).order_by(RefundRequest.id)
    else:
        query = query.order_by(RefundRequest.id.desc()).limit(200)
    today = today or clock.today()
    return [_request_view(session, r, today) for r in session.exec(query).all()]


def _claim(session: Session, request_id: object, status: RefundRequestStatus, staff_id: int, reason: str, now):
    request = session.get(RefundRequest, request_id) if type(request_id) is int else None
    if request is None:
        raise NotFound(Msg("No such refund request."))
    claimed = session.exec(
        update(RefundRequest)
        .where(RefundRequest.id == request.id, RefundRequest.status == RefundRequestStatus.REQUESTED)
        .values(status=status, decided_by_user_id=staff_id, decision_reason=reason, decided_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        raise ValidationError({"request": ALREADY_DECIDED}, ALREADY_DECIDED)
    session.refresh(request)
    return request


def _answer(session: Session, request: RefundRequest, staff_id: int, text: str, now: dt.datetime) -> SupportTicket:
    """Support's reply on the request's ticket, which then reads as answered."""
    ticket = session.get(SupportTicket, request.ticket_id)
    session.add(
        TicketMessage(ticket_id=ticket.id, author_user_id=staff_id, from_support=True, body=text, created_at=now)
    )
    ticket.status, ticket.updated_at = TicketStatus.ANSWERED, now
    session.add(ticket)
    return ticket


def approve_refund_request(
    session: Session, staff_user_id: int, *, request_id: object, now: dt.datetime, today: dt.date
) -> list[RefundView]:
    """Approve a member's request: refund their credit now (at most what was asked, and at most the
    credit still there) to the most recent settled payment methods, answer the ticket, and the
    member is told (refund email and notice). Once: a decided request is refused.

    Raises:
        NotAllowed, NotFound, ValidationError (already decided, or no credit left: nothing written).
    """
    staff = require_staff_id(session, staff_user_id)
    request = session.get(RefundRequest, request_id) if type(request_id) is int else None
    if request is None:
        raise NotFound(Msg("No such refund request."))
    if request.status != RefundRequestStatus.REQUESTED:
        raise ValidationError({"request": ALREADY_DECIDED}, ALREADY_DECIDED)
    credit = ledger.account_position(session, request.billing_account_id, today, settled=True).credit_cents
    amount = min(request.amount_cents, credit)
    if amount < MINIMUM_PAYMENT_CENTS:
        message = Msg("There's no credit left on this account to refund: decline the request.")
        raise ValidationError({"request": message}, message)
    request = _claim(session, request_id, RefundRequestStatus.APPROVED, staff.id, "Approved", now)
    ticket = session.get(SupportTicket, request.ticket_id)
    audit.record(
        session,
        "refund_request_approved",
        now=now,
        actor_user_id=staff.id,
        subject_user_id=request.user_id,
        detail=f"{ticket.ticket_number} {money.format_cents(amount)}",
    )
    session.commit()
    account = session.get(BillingAccount, request.billing_account_id)
    done = refunds.refund_credit(
        session,
        account,
        amount_cents=amount,
        reason=f"Refund of your credit (request {ticket.ticket_number})",
        key_prefix=f"refund-request-{request.id}",
        staff_user_id=staff.id,
        now=now,
        today=today,
        refund_request_id=request.id,
    )
    sent = [r for r in done if r.status == RefundStatus.REFUNDED]
    if sent:
        text = payment_templates.refund_request_approved_reply(
            sum(r.amount_cents for r in sent), [r.reference for r in sent]
        )
        _answer(session, request, staff.id, text, now)
        session.commit()
    return [refunds.view(session, r) for r in done]


def decline_refund_request(
    session: Session, staff_user_id: int, *, request_id: object, reason: object, now: dt.datetime
) -> RefundRequestView:
    """Decline a member's request with a reason they read (ticket reply, notice and email)."""
    staff = require_staff_id(session, staff_user_id)
    why = refunds.clean_reason(reason)
    request = _claim(session, request_id, RefundRequestStatus.DECLINED, staff.id, why, now)
    ticket = _answer(session, request, staff.id, why, now)
    message = payment_templates.refund_request_declined(request.amount_cents, ticket.ticket_number, why)
    notices.notify(session, request.user_id, message, kind=NoticeKind.REFUND_DECLINED, now=now, link=routes.SUPPORT)
    audit.record(
        session,
        "refund_request_declined",
        now=now,
        actor_user_id=staff.id,
        subject_user_id=request.user_id,
        detail=f"{ticket.ticket_number}: {why}",
    )
    session.commit()
    return _request_view(session, request, clock.local_date(now))
