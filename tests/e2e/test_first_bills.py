"""A new member's first bills on a phone: imported today with coverage from the 1st, they register
and see their first premium due on a date still ahead; a card payment turns coverage Active at once;
a bank payment shows as clearing and turns it Active once the debit settles. No late fee, past-due
amount or notice appears anywhere along the way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    Member,
    NoticeKind,
    Notification,
    Payment,
    User,
)
from hcpay_app.services.common import dates, money
from hcpay_app.services.jobs import daily
from tests.e2e.harness import PASSWORD, latest_code, make_member
from tests.e2e.test_payments import enter_bank, enter_card, submit

pytestmark = pytest.mark.core


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def bills_of(identity) -> list[Invoice]:
    account = account_of(identity)
    with session_scope() as session:
        return list(
            session.exec(
                select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.coverage_month)
            ).all()
        )


def nothing_late(identity) -> None:
    """No late fee on the ledger and no past-due notice of any kind."""
    account = account_of(identity)
    with session_scope() as session:
        fees = session.exec(
            select(LedgerEntry).where(
                LedgerEntry.billing_account_id == account.id, LedgerEntry.kind == EntryKind.LATE_FEE
            )
        ).all()
        user = session.exec(select(User).where(User.member_id == account.member_id)).one()
        late_kinds = {NoticeKind.PAST_DUE, NoticeKind.LATE_FEE, NoticeKind.PAST_DUE_WARNING}
        notices = session.exec(
            select(Notification).where(Notification.user_id == user.id, Notification.kind.in_(late_kinds))
        ).all()
    assert fees == [] and notices == []


def create_account(page: Page, member: dict) -> None:
    """Create Account in the browser, as the member guide says, and land on the dashboard."""
    page.goto("/")
    page.get_by_role("link", name="Create Account").click()
    page.get_by_label("First name").fill(member["first_name"])
    page.get_by_label("Last name").fill(member["last_name"])
    page.get_by_label("Date of birth").fill(member["date_of_birth"].isoformat())
    page.get_by_label("Social Security Number").fill(member["ssn"])
    page.get_by_label("Email").fill(member["email"])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 3")).to_be_visible()
    page.get_by_label("Username").fill(f"first.{member['member_number'][-6:]}")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 3 of 3")).to_be_visible()
    page.get_by_label("Verification code").fill(latest_code(member["email"]))
    page.get_by_role("button", name="Verify and create account").click()
    page.wait_for_url("**/dashboard")


def first_premium_is_due_ahead(page: Page, member: dict) -> int:
    """The dashboard of a member who has paid nothing yet: everything billed is due on a date still
    ahead, nothing is past due or 'paid up', coverage waits on the first payment. Returns the
    amount due in cents."""
    today = clock.today()
    bills = bills_of(member)
    # Imported today with coverage from the 1st: the binder, plus next month's bill when its
    # calendar issue date has come — all dated today, all due at least 10 days from now.
    assert bills and bills[0].coverage_month == dates.first_of_month(today)
    assert all(b.issued_on == today and b.due_on >= today + dt.timedelta(days=10) for b in bills)
    first_due = min(b.due_on for b in bills)
    owed = sum(b.premium_cents for b in bills if b.due_on == first_due)

    expect(page.locator("#coverage-status")).to_have_text("Pending first payment")
    expect(page.locator("#amount-due")).to_have_text(money.format_cents(owed))
    expect(page.locator("#due-by")).to_have_text(dates.short_date(first_due))
    expect(page.locator("#summary-due_next")).to_contain_text(f"Due by {dates.short_date(first_due)}")
    expect(page.locator("#summary-past_due")).to_have_count(0)
    expect(page.locator("#summary-paid_up")).to_have_count(0)
    expect(page.get_by_text("all paid up", exact=False)).to_have_count(0)
    return owed


def pay_amount_due(page: Page) -> None:
    page.get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()


def test_a_new_member_pays_the_first_premium_by_card_and_coverage_turns_active(page: Page):
    member = make_member(coverage_start=dates.first_of_month(clock.today()), bill=True)
    create_account(page, member)
    owed = first_premium_is_due_ahead(page, member)

    pay_amount_due(page)
    enter_card(page, "4242424242424242")
    expect(page.get_by_text(money.format_cents(owed), exact=True)).to_be_visible()  # the review's Amount
    reference = submit(page)
    assert reference.startswith("HC-")

    page.goto("/dashboard")
    expect(page.locator("#coverage-status")).to_have_text("Active")
    expect(page.locator("#summary-past_due")).to_have_count(0)
    expect(page.locator("#summary-processing")).to_have_count(0)
    nothing_late(member)

    page.goto("/history")
    expect(page.get_by_text(reference)).to_be_visible()
    expect(page.get_by_text(re.compile("late fee", re.IGNORECASE))).to_have_count(0)


def test_a_first_payment_by_bank_is_clearing_until_it_settles(page: Page):
    member = make_member(coverage_start=dates.first_of_month(clock.today()), bill=True)
    create_account(page, member)
    owed = first_premium_is_due_ahead(page, member)

    pay_amount_due(page)
    enter_bank(page, "000123456789")
    submit(page)

    page.goto("/dashboard")
    account = account_of(member)
    with session_scope() as session:
        payment = session.exec(select(Payment).where(Payment.billing_account_id == account.id)).one()
    settle_on = payment.expected_settle_on
    assert payment.amount_cents == owed and settle_on is not None and settle_on > clock.today()

    # In flight: shown, not counted as received, not credited; coverage says it is clearing.
    expect(page.locator("#coverage-status")).to_have_text("Your first payment is clearing")
    expect(page.locator("#coverage-timeline")).to_contain_text(f"should clear by {dates.short_date(settle_on)}")
    processing = page.locator("#summary-processing")
    expect(processing).to_contain_text(money.format_cents(owed))
    expect(processing).to_contain_text(f"Counts when it clears on {dates.short_date(settle_on)}")
    expect(page.locator("#summary-credit")).to_have_count(0)
    expect(page.locator("#summary-paid_up")).to_have_count(0)

    # The daily job on the settle date clears the debit: coverage is Active.
    daily.run_daily(settle_on)
    page.reload()
    expect(page.locator("#coverage-status")).to_have_text("Active")
    expect(page.locator("#summary-processing")).to_have_count(0)
    nothing_late(member)
