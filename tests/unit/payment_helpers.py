"""Helpers for payment tests: sandbox numbers, method choices made through the real services, and
small readers for what a payment left behind (ledger entries, processor charges, emails)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select

from hcpay_app.models import (
    BillingAccount,
    LedgerEntry,
    OutboundEmail,
    Payment,
    SandboxCharge,
)
from hcpay_app.services.accounts import authn
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters.processor import Token
from hcpay_app.services.payments import checkout
from tests.unit.billing_helpers import BEN, issue_through

NOW = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)  # the unit conftest's `now`
TODAY = dt.date(2026, 3, 10)  # a Tuesday

ROUTING = "110000000"  # the sandbox routing number
OTHER_ROUTING = "021000021"  # a real, checksum-valid routing number outside the sandbox

CARDS = {
    "ok": "4242424242424242",
    "generic_decline": "4000000000000002",
    "insufficient_funds": "4000000000009995",
    "expired_card": "4000000000000069",
    "incorrect_cvc": "4000000000000127",
    "processing_error": "4000000000000119",
    "card_declined": "4000000000000341",
}
BANKS = {
    "settle": "000123456789",
    "R01": "000222222227",
    "R02": "000111111113",
    "R03": "000111111116",
    "R10": "000333333335",
}
OTHER_ACCOUNT = "4099999992"  # an account number the sandbox doesn't know: settles

# Every full number a test types; none of them may ever reach the database.
ALL_SECRET_NUMBERS = (
    *CARDS.values(),
    *BANKS.values(),
    OTHER_ACCOUNT,
    "378282246310005",
    "5555555555554444",
    "6011111111111117",
)


def at(day: dt.date) -> dt.datetime:
    """1:00 PM (EDT) on `day`, as a UTC timestamp."""
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=dt.UTC)


def actor_for(session: Session, registered, now: dt.datetime = NOW) -> SessionUser:
    who = authn.resolve(session, registered.token, now=now)
    assert who is not None
    return who


def account_of(session: Session, who: SessionUser) -> BillingAccount:
    return session.exec(select(BillingAccount).where(BillingAccount.member_id == who.member_id)).one()


def billed_actor(session: Session, registered, today: dt.date = TODAY) -> tuple[SessionUser, BillingAccount]:
    """The registered member as a session user, with every invoice due by `today` issued."""
    who = actor_for(session, registered)
    account = account_of(session, who)
    issue_through(session, account, today)
    return who, account


def add_ben(session: Session, add_member, register) -> tuple[SessionUser, BillingAccount]:
    """A second member (Ben) with his own login and billed account."""
    add_member(**{f.name: getattr(BEN, f.name) for f in dataclasses.fields(BEN) if f.name != "line"})
    return billed_actor(session, register(BEN, username="ben.okafor"))


def card(
    number: str = CARDS["ok"], *, save: bool = False, cvc: str = "123", expiry: str = "12/30", today: dt.date = TODAY
) -> checkout.MethodChoice:
    return checkout.new_card(
        card_number=number,
        expiry=expiry,
        cvc=cvc,
        name="Renée O’Neil-Dubois",
        billing_zip="02134",
        save=save,
        today=today,
    )


def bank(
    account: str = BANKS["settle"], *, routing: str = ROUTING, save: bool = False, account_type: str = "checking"
) -> checkout.MethodChoice:
    return checkout.new_bank(
        routing_number=routing,
        account_number=account,
        confirm_account_number=account,
        account_type=account_type,
        name="Renée O’Neil-Dubois",
        save=save,
    )


def token_of(choice: checkout.MethodChoice) -> Token:
    """The processor token behind a method choice (what `methods.save` keeps)."""
    return Token(choice.token, choice.kind, choice.brand, choice.last4, choice.exp_month, choice.exp_year)


def new_key() -> str:
    return checkout.new_idempotency_key()


def submit(
    session: Session,
    who: SessionUser,
    choice: checkout.MethodChoice,
    amount_cents: int,
    *,
    key: str | None = None,
    on: dt.date | None = None,
    today: dt.date = TODAY,
    now: dt.datetime | None = None,
) -> checkout.PaymentResult:
    return checkout.submit(
        session,
        who,
        idempotency_key=key or new_key(),
        amount_cents=amount_cents,
        payment_date=on or today,
        choice=choice,
        now=now or at(today),
        today=today,
    )


def payment(session: Session, reference: str) -> Payment:
    session.expire_all()
    return session.exec(select(Payment).where(Payment.reference == reference)).one()


def ledger_entries(session: Session, payment_id: int) -> list[LedgerEntry]:
    session.expire_all()
    return list(
        session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == payment_id).order_by(LedgerEntry.id)).all()
    )


def sandbox_charges(session: Session) -> list[SandboxCharge]:
    session.expire_all()
    return list(session.exec(select(SandboxCharge).order_by(SandboxCharge.id)).all())


def emails(session: Session, kind: str) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.exec(select(OutboundEmail).where(OutboundEmail.kind == kind).order_by(OutboundEmail.id)).all())
