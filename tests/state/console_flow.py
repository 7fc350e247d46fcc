"""Helpers for the support console, Contact support and guest payment state tests: a support
login made by the operator command and logged in through the log-in form, late fees, tickets, a
scheduled payment and a locked log-in for BOB, row counts that prove a refused call wrote nothing,
and the member data that must never reach a browser that isn't a staff tab.

`state_harness` must be imported first (it sets the test environment before hcpay_app loads);
importing from it below does that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import func, select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import (
    AuditEvent,
    EntryKind,
    Invoice,
    LedgerEntry,
    LoginThrottle,
    Member,
    Notification,
    OnceMarker,
    OutboundEmail,
    PasswordResetToken,
    Payment,
    PaymentStatus,
    RateLimitHit,
    SupportTicket,
    TicketMessage,
    User,
)
from hcpay_app.services.accounts import authn
from hcpay_app.services.billing import ledger
from hcpay_app.services.common.errors import AccountLocked, AuthenticationFailed
from hcpay_app.services.payments import records
from hcpay_app.services.support import console, tickets
from hcpay_app.state.login import LoginState
from tests.state.billing_seed import NOW, TODAY, Billing, account_of, pin_clock, seed_billing
from tests.state.state_harness import (
    ALICE,
    BOB,
    Browser,
    Person,
    fire,
    resolve,
    seeded_once,
    service_login,
)
from tests.support import second_factor

STAFF_USERNAME = "sam.support"
STAFF_EMAIL = "sam.support@connector.example"
STAFF_PASSWORD = "Lantern-Quartz-Meadow-94"
REASON = "Member called, identity verified"
LATE_FEE_CENTS = 2500

# The tables the brief names, plus the others a console action could touch.
WATCHED = (
    AuditEvent,
    LedgerEntry,
    TicketMessage,
    SupportTicket,
    LoginThrottle,
    OutboundEmail,
    Payment,
    Notification,
    PasswordResetToken,
    OnceMarker,
    RateLimitHit,
)


def counts() -> dict[str, int]:
    with session_scope() as s:
        return {t.__name__: s.exec(select(func.count()).select_from(t)).one() for t in WATCHED}


def snapshot() -> dict[str, object]:
    """Row counts plus every payment's and ticket's status and the throttle rows."""
    with session_scope() as s:
        state: dict[str, object] = {t.__name__: s.exec(select(func.count()).select_from(t)).one() for t in WATCHED}
        state["payments"] = sorted(s.exec(select(Payment.id, Payment.status)).all())
        state["tickets"] = sorted(s.exec(select(SupportTicket.id, SupportTicket.status)).all())
        state["throttles"] = sorted(s.exec(select(LoginThrottle.username_key, LoginThrottle.locked_until)).all())
        return state


# ---- people -----------------------------------------------------------------------------


def create_staff(username: str = STAFF_USERNAME) -> int:
    """A support login made by the operator command; returns its user id."""
    with session_scope() as s:
        staff_id = console.create_staff(
            s, username=username, email=f"{username}@connector.example", password=STAFF_PASSWORD, now=clock.utcnow()
        )
        second_factor.enrol(s, staff_id, now=clock.utcnow())
        return staff_id


def staff_code(username: str = STAFF_USERNAME) -> str:
    """The next code the server accepts for this staff login (see tests/support/second_factor.py)."""
    with session_scope() as s:
        staff_id = s.exec(select(User.id).where(User.username_key == username.casefold())).one()
        return second_factor.next_code(s, staff_id, now=clock.utcnow())


async def staff_browser(url: str = routes.CONSOLE, username: str = STAFF_USERNAME) -> Browser:
    """A tab where the support agent logged in through the log-in form (staff land in the console)."""
    tab = Browser("/")
    out = await fire(tab, LoginState, "login", form_data={"username": username, "password": STAFF_PASSWORD})
    assert out.redirects == [] and tab.state(LoginState).needs_code, out
    out = await fire(tab, LoginState, "verify_code", form_data={"code": staff_code(username)})
    assert out.redirects == [routes.CONSOLE], out
    who = resolve(tab.cookie())
    assert who is not None and who.role == "support" and who.member_id is None
    return tab.navigate(url)


def member_id(person: Person) -> int:
    with session_scope() as s:
        return s.exec(select(Member.id).where(Member.member_number == person.member_number)).one()


def user_id(person: Person) -> int:
    with session_scope() as s:
        return s.exec(select(User.id).where(User.username_key == person.username.casefold())).one()


def masked_ssn(person: Person) -> str:
    return f"•••-••-{person.ssn[-4:]}"


def member_data(person: Person) -> list[str]:
    """What identifies `person` in a console record: none of it may reach a non-staff tab."""
    return [
        f"{person.first_name} {person.last_name}",
        person.last_name,
        person.member_number,
        person.account_number,
        masked_ssn(person),
        person.ssn,
        person.ssn_digits,
        person.email,
        person.plan_name,
    ]


def assert_no_member_data(text: str, *people: Person) -> None:
    for person in people:
        for value in member_data(person):
            assert value not in text, f"{person.first_name}'s {value!r} reached the browser"


# ---- billing and support rows --------------------------------------------------------------


def add_late_fee(person: Person, cents: int = LATE_FEE_CENTS) -> int:
    """A late fee on the member's newest invoice; returns the ledger entry id."""
    account = account_of(person)
    with session_scope() as s:
        newest = s.exec(
            select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.due_on.desc())
        ).first()
        fee = ledger.post(
            s,
            account_id=account.id,
            kind=EntryKind.LATE_FEE,
            amount_cents=cents,
            effective_on=TODAY,
            now=clock.utcnow(),
            invoice_id=newest.id,
            description="Late fee",
        )
        s.commit()
        return fee.id


def add_scheduled_payment(person: Person, cents: int = 20000, days_ahead: int = 10) -> str:
    account = account_of(person)
    with session_scope() as s:
        payment = records.create(
            s,
            account_id=account.id,
            amount_cents=cents,
            method_kind="card",
            method_label="Visa ••••4242",
            payment_date=TODAY + dt.timedelta(days=days_ahead),
            status=PaymentStatus.SCHEDULED,
            now=clock.utcnow(),
            note="Scheduled online",
        )
        s.commit()
        return payment.reference


def open_ticket(
    person: Person,
    message: str = "Where did my payment go? It isn't showing.",
    topic: str = "payment_not_showing",
    reference: str = "",
) -> str:
    """A ticket opened by `person` through the service (as Contact support would); its number."""
    token = service_login(person)
    try:
        with session_scope() as s:
            view = tickets.open_ticket(
                s, resolve(token), topic=topic, reference=reference, message=message, now=clock.utcnow()
            )
            return view.number
    finally:
        with session_scope() as s:
            authn.logout(s, token, ip="test", now=clock.utcnow())


def lock_out(person: Person) -> None:
    """Fail the log-in until the account locks."""
    for _ in range(10):
        with session_scope() as s:
            try:
                authn.login(
                    s, username=person.username, password="Not-The-Password-1", ip="203.0.113.9", now=clock.utcnow()
                )
            except AccountLocked:
                return
            except AuthenticationFailed:
                continue
    raise AssertionError("the account never locked")


def ticket(number: str) -> SupportTicket:
    with session_scope() as s:
        return s.exec(select(SupportTicket).where(SupportTicket.ticket_number == number)).one()


def ticket_messages(number: str) -> list[TicketMessage]:
    with session_scope() as s:
        row = s.exec(select(SupportTicket).where(SupportTicket.ticket_number == number)).one()
        return list(
            s.exec(select(TicketMessage).where(TicketMessage.ticket_id == row.id).order_by(TicketMessage.id)).all()
        )


def audit_rows(action: str | None = None) -> list[AuditEvent]:
    with session_scope() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(s.exec(query).all())


def ledger_rows(person: Person, kind: str | None = None) -> list[LedgerEntry]:
    account = account_of(person)
    with session_scope() as s:
        query = select(LedgerEntry).where(LedgerEntry.billing_account_id == account.id)
        if kind:
            query = query.where(LedgerEntry.kind == kind)
        return list(s.exec(query.order_by(LedgerEntry.id)).all())


def notifications(person: Person) -> list[Notification]:
    with session_scope() as s:
        uid = s.exec(select(User.id).where(User.username_key == person.username.casefold())).one()
        return list(s.exec(select(Notification).where(Notification.user_id == uid).order_by(Notification.id)).all())


def throttle_of(person: Person) -> LoginThrottle | None:
    with session_scope() as s:
        return s.exec(select(LoginThrottle).where(LoginThrottle.username_key == person.username.casefold())).first()


def payment_status(reference: str) -> str:
    with session_scope() as s:
        return s.exec(select(Payment.status).where(Payment.reference == reference)).one()


@dataclasses.dataclass
class World:
    """Billing from `billing_seed`, a support login, and something for every console action to
    act on in BOB's account: a late fee, an open ticket, a scheduled payment and a locked log-in."""

    billing: Billing
    staff_id: int
    bob_member: int
    bob_user: int
    alice_member: int
    fee_id: int
    ticket_number: str
    scheduled: str


def build_world() -> World:
    billing = seed_billing()
    assert clock.utcnow() - NOW < dt.timedelta(minutes=1)
    staff_id = create_staff()
    number = open_ticket(BOB, reference=billing.bob.latest_succeeded)
    fee_id = add_late_fee(BOB)
    scheduled = add_scheduled_payment(BOB)
    lock_out(BOB)
    return World(billing, staff_id, member_id(BOB), user_id(BOB), member_id(ALICE), fee_id, number, scheduled)


def cached_world(db: str, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The world above, on this test's database: built once per run and copied afterwards
    (`state_harness.seeded_once`), with the clock pinned again. Test modules wrap it in their own
    `world` fixture."""
    world = seeded_once("console-world", db, tmp_path_factory, build_world)
    pin_clock()
    return world
