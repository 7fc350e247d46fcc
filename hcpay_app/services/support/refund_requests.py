"""Members ask for their credit back: a request opens a support ticket linked to it; staff decide
(`refund_desk`); the member sees the outcome in the portal, by email and under My requests.

Only the logged-in member's own account is ever read or changed here; staff never act through
this module, and nothing here issues a refund.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select

from hcpay_app import routes
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    NoticeKind,
    RefundRequest,
    RefundRequestStatus,
    SupportTicket,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import audit, money
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.payments import templates as payment_templates
from hcpay_app.services.support import tickets

TOPIC = "refund_request"
NO_CREDIT = Msg("There's no credit on your account to refund.")
STATUS_WORDS = {
    RefundRequestStatus.REQUESTED: Msg("We're reviewing your request"),
    RefundRequestStatus.APPROVED: Msg("Approved: refund sent"),
    RefundRequestStatus.DECLINED: Msg("Declined"),
}


@dataclasses.dataclass(frozen=True)
class CreditRefundState:
    """What the dashboard shows beside a credit: the amount, whether "Request a refund" is offered,
    and the latest request's outcome in plain words."""

    credit_cents: int
    credit: str
    can_request: bool
    ticket_number: str = ""  # the latest request's ticket
    status: str = ""  # requested / approved / declined
    status_words: str = ""
    decision_reason: str = ""


def _latest(session: Session, account_id: int) -> tuple[RefundRequest | None, SupportTicket | None]:
    request = session.exec(
        select(RefundRequest)
        .where(RefundRequest.billing_account_id == account_id)
        .order_by(RefundRequest.id.desc())
        .limit(1)
    ).first()
    ticket = session.get(SupportTicket, request.ticket_id) if request else None
    return request, ticket


def credit_refund_state(session: Session, actor: SessionUser, today: dt.date) -> CreditRefundState:
    """The member's own credit and refund request, for the dashboard's money summary."""
    account = access.member_account(session, actor)
    credit = ledger.account_position(session, account.id, today, settled=True).credit_cents
    request, ticket = _latest(session, account.id)
    waiting = request is not None and request.status == RefundRequestStatus.REQUESTED
    return CreditRefundState(
        credit_cents=credit,
        credit=money.format_cents(credit),
        can_request=credit >= MINIMUM_PAYMENT_CENTS and not waiting,
        ticket_number=ticket.ticket_number if ticket else "",
        status=request.status if request else "",
        status_words=STATUS_WORDS.get(request.status, "") if request else "",
        decision_reason=(request.decision_reason or "")
        if request and request.status == RefundRequestStatus.DECLINED
        else "",
    )


def request_credit_refund(session: Session, actor: SessionUser, *, now: dt.datetime, today: dt.date) -> str:
    """Ask for the whole credit back: opens a support ticket linked to the request (counted against
    the day's request limit). Returns the ticket number. Refused while a request is waiting or when
    there is no credit; nothing is written then."""
    account = access.member_account(session, actor)
    tickets._check_daily_limit(session, actor, now, "refund", lock=True)  # also locks the member's login row
    credit = ledger.account_position(session, account.id, today, settled=True).credit_cents
    if credit < MINIMUM_PAYMENT_CENTS:
        session.rollback()
        raise ValidationError({"refund": NO_CREDIT}, NO_CREDIT)
    request, ticket = _latest(session, account.id)
    if request is not None and request.status == RefundRequestStatus.REQUESTED:
        session.rollback()
        message = Msg(
            "You already asked for a refund (request {number}). We'll tell you the outcome.",
            number=ticket.ticket_number,
        )
        raise ValidationError({"refund": message}, message)
    amount = money.format_cents(credit)
    ticket = tickets._new_ticket(
        session,
        actor,
        account,
        topic=TOPIC,
        payment_id=None,
        text=payment_templates.REFUND_REQUEST_MESSAGE.format(amount=amount),
        now=now,
    )
    session.add(
        RefundRequest(
            billing_account_id=account.id,
            user_id=actor.user_id,
            ticket_id=ticket.id,
            amount_cents=credit,
            status=RefundRequestStatus.REQUESTED,
            created_at=now,
        )
    )
    member = access.account_member(session, account)
    notices.notify(
        session,
        actor.user_id,
        payment_templates.refund_requested(member.first_name, credit, ticket.ticket_number),
        kind=NoticeKind.REFUND_REQUESTED,
        now=now,
        link=routes.SUPPORT,
        by_email=False,  # the request's acknowledgment email is already on its way
    )
    audit.record(
        session,
        "refund_request_opened",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=f"{ticket.ticket_number} {amount}",
    )
    session.commit()
    return ticket.ticket_number
