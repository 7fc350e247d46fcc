"""Helpers for billing tests: accounts, invoices and payments written through the services."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from hcpay_app.models import BillingAccount, Invoice, Member, Payment, PaymentStatus
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.common import dates
from hcpay_app.services.jobs import roster
from hcpay_app.services.payments import records
from tests.support.bills import issue_as_scheduled

T0 = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)


def new_account(
    session: Session, member: Member, number: str, *, premium: int = 45000, start: dt.date = dt.date(2026, 1, 1)
) -> BillingAccount:
    account = BillingAccount(
        account_number=number,
        member_id=member.id,
        plan_name="Test Plan",
        monthly_premium_cents=premium,
        coverage_start=start,
    )
    session.add(account)
    session.commit()
    return account


def issue_through(session: Session, account: BillingAccount, today: dt.date) -> list[Invoice]:
    issue_as_scheduled(session, account, today=today, now=T0)
    session.commit()
    return list(
        session.exec(select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.due_on)).all()
    )


def pay(
    session: Session,
    account: BillingAccount,
    cents: int,
    on: dt.date,
    *,
    method=("card", "Visa ••••4242"),
    status: str = PaymentStatus.SUCCEEDED,
) -> Payment:
    payment = records.create(
        session,
        account_id=account.id,
        amount_cents=cents,
        method_kind=method[0],
        method_label=method[1],
        payment_date=on,
        status=status,
        now=T0,
    )
    if status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING):
        ledger.post_payment(session, payment, effective_on=on, now=T0)
        coverage.refresh_after_payment(session, account, on)
    session.commit()
    return payment


def month(year: int, number: int) -> dt.date:
    return dates.first_of_month(dt.date(year, number, 1))


BEN = roster.RosterRow(
    line=3,
    member_number="123456789013",
    first_name="Ben",
    last_name="Okafor",
    date_of_birth=dt.date(1979, 8, 2),
    ssn="219550124",
    email="ben@example.com",
    zip_code="02134",
    account_number="987654322",
    plan_name="Silver Select PPO",
    monthly_premium_cents=51250,
    subsidized=False,
    coverage_start=dt.date(2025, 1, 1),
)
