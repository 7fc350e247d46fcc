"""Helpers for the autopay, reminder, missed-payment and payment-plan tests: members put on the
roster and registered through Create Account, methods saved through the processor, the daily job
run day by day, and small readers for what the job left behind.

Everything goes through the real services; nothing here writes rows by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable

from sqlmodel import Session, func, select

from hcpay_app import clock
from hcpay_app.models import (
    AutopayMandate,
    AutopayRun,
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    Notification,
    OnceMarker,
    OutboundEmail,
    Payment,
    PaymentMethod,
    SandboxCharge,
)
from hcpay_app.services.accounts import authn, registration
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.jobs import daily, roster
from hcpay_app.services.payments import methods
from hcpay_app.services.recurring import autopay
from tests.unit.billing_helpers import issue_through, pay
from tests.unit.payment_helpers import (
    BANKS,
    CARDS,
    NOW,
    TODAY,
    account_of,
    at,
    bank,
    card,
    token_of,
)

PREMIUM = 51250  # $512.50 a month
PASSWORD = "Violet-Kayak-Thunder-93"
COVERAGE_START = dt.date(2026, 3, 1)  # March invoice due Feb 23, April invoice due Mar 23, …
NAMES = (
    "Avery",
    "Blake",
    "Casey",
    "Devon",
    "Emery",
    "Finley",
    "Harper",
    "Jordan",
    "Kendall",
    "Logan",
    "Morgan",
    "Parker",
    "Quinn",
    "Reese",
    "Sawyer",
    "Taylor",
)


@dataclasses.dataclass(frozen=True)
class Enrolled:
    """A registered member: the session user the services take, and their billing account."""

    who: SessionUser
    account_id: int
    email: str

    @property
    def user_id(self) -> int:
        return self.who.user_id


def roster_row(
    n: int, *, subsidized: bool = False, premium: int = PREMIUM, coverage_start: dt.date = COVERAGE_START
) -> roster.RosterRow:
    """The n-th test member (0 ≤ n < 16): distinct member id, SSN, email and account number."""
    first = NAMES[n]
    return roster.RosterRow(
        line=20 + n,
        member_number=f"5000000001{n:02d}",
        first_name=first,
        last_name="Whitfield",
        date_of_birth=dt.date(1980, 1, 1 + n),
        ssn=f"2195502{n:02d}",
        email=f"{first.lower()}@example.com",
        zip_code="02134",
        account_number=f"6000001{n:02d}",
        plan_name="Silver Select PPO",
        monthly_premium_cents=premium,
        subsidized=subsidized,
        coverage_start=coverage_start,
    )


def enroll(session: Session, row: roster.RosterRow, *, now: dt.datetime = NOW) -> Enrolled:
    """Put `row` on the roster and run Create Account end to end (details, credentials, code)."""
    report = roster.ImportReport()
    roster.apply_rows(session, [row], report, now)
    assert report.errors == [], report.errors
    today = clock.local_date(now)
    pending = registration.start(
        session,
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth.isoformat(),
        ssn=row.ssn,
        email=row.email,
        client_key=f"198.51.100.{row.line}",
        now=now,
        today=today,
    )
    registration.choose_credentials(
        session, pending_id=pending, username=f"{row.first_name.lower()}.w", password=PASSWORD, now=now
    )
    mail = session.exec(
        select(OutboundEmail)
        .where(OutboundEmail.to_address == row.email, OutboundEmail.kind == "verification_code")
        .order_by(OutboundEmail.id.desc())
    ).first()
    code = re.search(r"verification code is ([0-9]{6})", mail.body).group(1)
    _user_id, token = registration.verify(session, pending_id=pending, code=code, ip="198.51.100.7", now=now)
    who = authn.resolve(session, token, now=now)
    assert who is not None
    return Enrolled(who, account_of(session, who).id, row.email)


def billed(session: Session, member: Enrolled, today: dt.date = TODAY) -> list[Invoice]:
    """Issue every invoice due by `today` for the member's account."""
    return issue_through(session, session.get(BillingAccount, member.account_id), today)


def pay_binder(session: Session, member: Enrolled, today: dt.date = TODAY) -> None:
    """Issue the invoices to date and pay the first month in full: coverage becomes Active."""
    invoices = billed(session, member, today)
    account = session.get(BillingAccount, member.account_id)
    pay(session, account, invoices[0].premium_cents, today)


def save_card(
    session: Session, member: Enrolled, number: str = CARDS["ok"], *, expiry: str = "12/30", now: dt.datetime = NOW
) -> PaymentMethod:
    """Tokenize a sandbox card with the processor and save the token as the member's method."""
    method = methods.save(
        session, member.who, token_of(card(number, expiry=expiry, today=clock.local_date(now))), now=now
    )
    session.commit()
    return method


def save_bank(
    session: Session, member: Enrolled, account: str = BANKS["settle"], *, now: dt.datetime = NOW
) -> PaymentMethod:
    method = methods.save(session, member.who, token_of(bank(account)), now=now)
    session.commit()
    return method


def turn_on(
    session: Session,
    member: Enrolled,
    method: PaymentMethod,
    *,
    rule: str = "full",
    fixed: str = "",
    frequency: str = "monthly",
    charge_day: object = 18,
    now: dt.datetime = NOW,
    today: dt.date = TODAY,
) -> autopay.MandateView:
    """Settings → Automatic Payments → turn on, with the authorization accepted."""
    return autopay.activate(
        session,
        member.who,
        method_id=method.id,
        amount_rule=rule,
        fixed_amount=fixed,
        frequency=frequency,
        charge_day=charge_day,
        accepted=True,
        now=now,
        today=today,
    )


def days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def run_days(
    first: dt.date,
    last: dt.date,
    *,
    before: dict[dt.date, Callable[[dt.date], None]] | None = None,
    after: Callable[[dt.date], None] | None = None,
) -> list[daily.DailySummary]:
    """The daily job for every date from `first` to `last`, as the scheduler would run it.
    `before[day]` runs just before that day's job (what a member does that morning); `after(day)`
    runs after each day's job (to observe)."""
    summaries = []
    for day in days(first, last):
        if before and day in before:
            before[day](day)
        summaries.append(daily.run_daily(day, at(day)))
        if after:
            after(day)
    return summaries


# ---- readers -----------------------------------------------------------------------------------


def notices_of(session: Session, user_id: int, kind: str | None = None) -> list[Notification]:
    session.expire_all()
    query = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.exec(query).all())


def emails_to(session: Session, address: str, kind: str | None = None) -> list[OutboundEmail]:
    session.expire_all()
    query = select(OutboundEmail).where(OutboundEmail.to_address == address).order_by(OutboundEmail.id)
    if kind is not None:
        query = query.where(OutboundEmail.kind == kind)
    return list(session.exec(query).all())


def payments_of(session: Session, account_id: int, source: str | None = None) -> list[Payment]:
    session.expire_all()
    query = select(Payment).where(Payment.billing_account_id == account_id).order_by(Payment.id)
    if source is not None:
        query = query.where(Payment.source == source)
    return list(session.exec(query).all())


def late_fees(session: Session, account_id: int) -> list[LedgerEntry]:
    session.expire_all()
    return list(
        session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.kind == EntryKind.LATE_FEE)
            .order_by(LedgerEntry.id)
        ).all()
    )


def invoices_of(session: Session, account_id: int) -> list[Invoice]:
    session.expire_all()
    return list(
        session.exec(select(Invoice).where(Invoice.billing_account_id == account_id).order_by(Invoice.due_on)).all()
    )


def runs_of(session: Session, mandate_id: int) -> list[AutopayRun]:
    session.expire_all()
    return list(
        session.exec(select(AutopayRun).where(AutopayRun.mandate_id == mandate_id).order_by(AutopayRun.period)).all()
    )


def mandate_of(session: Session, account_id: int) -> AutopayMandate:
    """The account's newest mandate (whatever its status)."""
    session.expire_all()
    return session.exec(
        select(AutopayMandate).where(AutopayMandate.billing_account_id == account_id).order_by(AutopayMandate.id.desc())
    ).first()


def account(session: Session, account_id: int) -> BillingAccount:
    session.expire_all()
    return session.get(BillingAccount, account_id)


def on_day(moment: dt.datetime) -> dt.date:
    """The portal date of a stored timestamp (the job stamps everything with that day's `now`)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return clock.local_date(moment)


COUNTED = (Payment, LedgerEntry, Notification, OutboundEmail, AutopayRun, SandboxCharge, OnceMarker, Invoice)


def row_counts(session: Session) -> dict[str, int]:
    """Rows of everything the daily job can add."""
    session.expire_all()
    return {model.__name__: session.exec(select(func.count()).select_from(model)).one() for model in COUNTED}
