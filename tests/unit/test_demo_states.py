"""The demo data shows the states a member can be in, as the README describes them: María owes a
past-due bill and the next one, Member 04 has a credit, and Jordan (unclaimed) is new, with his
first premium due. Bills of the demo's past are dated on the billing calendar, never back-dated."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from hcpay_app.models import BillingAccount, CoverageStatus, Invoice, Member
from hcpay_app.services.billing import summary, templates
from hcpay_app.services.common import dates
from hcpay_app.services.jobs import demo


def money_of(session, member_number: str, today: dt.date) -> summary.MoneySummary:
    account = session.exec(
        select(BillingAccount)
        .join(Member, Member.id == BillingAccount.member_id)
        .where(Member.member_number == member_number)
    ).one()
    return summary.for_account(session, account, today)


def test_the_demo_shows_past_due_and_due_next_a_credit_and_a_binder(session, now, today):
    demo.seed(session, now=now, today=today)  # Tue Mar 10, 2026
    maria = money_of(session, demo.READY_LOGIN["member_number"], today)
    assert (maria.past_due_since, maria.due_next_on) == (dt.date(2026, 2, 23), dt.date(2026, 3, 23))
    assert maria.past_due_cents == maria.due_next_cents == 51250
    assert [line.label for line in templates.summary_lines(maria)] == ["Past due now", "Due next"]

    credit = money_of(session, demo.CREDIT_LOGIN["member_number"], today)
    assert credit.credit_cents == demo.CREDIT_CENTS and credit.all_paid_up

    jordan = money_of(session, "100000000002", today)
    assert jordan.coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT
    assert (jordan.due_next_on, jordan.due_next_cents, jordan.past_due_cents) == (dt.date(2026, 4, 23), 8900, 0)
    assert templates.coverage_line(jordan).words == "Pending first payment"


def test_demo_bills_are_dated_on_the_calendar_never_before_they_were_issued(session, now, today):
    demo.seed(session, now=now, today=today)
    for invoice in session.exec(select(Invoice)).all():
        assert invoice.issued_on <= today
        assert invoice.issued_on in (dates.issue_date(invoice.coverage_month), today)
        assert invoice.due_on >= invoice.issued_on + dt.timedelta(days=10)
