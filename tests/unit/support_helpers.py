"""Helpers for help-and-support tests: a support-staff actor logged in through the real services,
late fees, tickets, and row counts that prove a refused call wrote nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, func, select

from hcpay_app.models import (
    AuditEvent,
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    LoginThrottle,
    Notification,
    OnceMarker,
    OutboundEmail,
    PasswordResetToken,
    Payment,
    PaymentEvent,
    RateLimitHit,
    SandboxCharge,
    SupportTicket,
    TicketMessage,
)
from hcpay_app.services.accounts import authn
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import ledger
from hcpay_app.services.support import console, tickets
from tests.support import second_factor

STAFF_USERNAME = "sam.support"
STAFF_PASSWORD = "Quartz-Meadow-Lantern-58"
REASON = "Member called, verified identity"

# Every table a support action (or a refused one) could write to.
WATCHED = (
    AuditEvent,
    LedgerEntry,
    TicketMessage,
    SupportTicket,
    LoginThrottle,
    OutboundEmail,
    Notification,
    PasswordResetToken,
    Payment,
    PaymentEvent,
    RateLimitHit,
    SandboxCharge,
    OnceMarker,
)


def make_staff(session: Session, now: dt.datetime, username: str = STAFF_USERNAME) -> SessionUser:
    """A support login made by the operator command, logged in and resolved like any session."""
    user_id = console.create_staff(
        session, username=username, email=f"{username}@connector.example", password=STAFF_PASSWORD, now=now
    )
    second_factor.enrol(session, user_id, now=now)
    with pytest.raises(authn.SecondFactorRequired) as step:
        authn.login(session, username=username, password=STAFF_PASSWORD, ip="10.0.0.5", now=now)
    code = second_factor.next_code(session, user_id, now=now)
    _user_id, token = authn.complete_staff_login(
        session, challenge=step.value.challenge, code=code, ip="10.0.0.5", now=now
    )
    who = authn.resolve(session, token, now=now)
    assert who is not None and who.role == "support" and who.member_id is None
    return who


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {model.__name__: session.exec(select(func.count()).select_from(model)).one() for model in WATCHED}


def snapshot(session: Session) -> dict[str, object]:
    """Row counts plus every payment's and ticket's status: a refused call must change none of it."""
    state: dict[str, object] = dict(counts(session))
    state["payment_status"] = sorted(session.exec(select(Payment.id, Payment.status)).all())
    state["ticket_status"] = sorted(session.exec(select(SupportTicket.id, SupportTicket.status)).all())
    return state


def balance(session: Session, account: BillingAccount) -> int:
    session.expire_all()
    return ledger.balance(session, account.id)


def invoices(session: Session, account: BillingAccount) -> list[Invoice]:
    return list(
        session.exec(select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.due_on)).all()
    )


def add_late_fee(
    session: Session, account: BillingAccount, *, now: dt.datetime, today: dt.date, cents: int = 2500
) -> LedgerEntry:
    """A late fee on the account's newest invoice."""
    newest = invoices(session, account)[-1]
    fee = ledger.post(
        session,
        account_id=account.id,
        kind=EntryKind.LATE_FEE,
        amount_cents=cents,
        effective_on=today,
        now=now,
        invoice_id=newest.id,
        description="Late fee",
    )
    session.commit()
    session.refresh(fee)
    return fee


def audits(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())


def open_one(
    session: Session,
    who: SessionUser,
    *,
    now: dt.datetime,
    topic: str = "billing_question",
    reference: str = "",
    message: str = "Why is my bill higher this month?",
) -> tickets.TicketView:
    return tickets.open_ticket(session, who, topic=topic, reference=reference, message=message, now=now)
