"""Make a Payment as members walked it at 390×844 (issue 13), and once at 360×640: Back from every
step keeps what was typed; itemised amounts (past due, everything owed, a new member's first
premium, another amount); a warning for paying more than owed and for a past-due payment after the
grace period; review words that match the button; the bank debit authorization; exact method
labels; a confirmation with the real date, amount, method, balance left, next due date, a receipt
and a prompt for Automatic Payments; a scheduled payment that says so and emails a scheduling
notice; the expiry shown as 12/24 with the numeric keyboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, CoverageStatus, Member
from hcpay_app.services.common import dates, money
from hcpay_app.services.payments import checkout
from tests.e2e.harness import latest_email, log_in_as, make_member, make_user
from tests.support.bills import issue_as_scheduled

CARD_OK = "4242424242424242"
ROUTING = "110000000"
BANK_OK = "000123456789"


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def offered(identity) -> checkout.PaymentOptions:
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(identity).id)
        return checkout.account_options(session, account, clock.today())


@pytest.fixture
def owing_user(new_user):
    """A member from Jan 2026 with every bill issued and nothing paid: a past-due amount."""
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(new_user).id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


def open_pay(page: Page, user) -> None:
    log_in_as(page, user)
    page.get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()


def fill_card(page: Page, *, expiry: str = "1230", save: bool = False) -> None:
    page.get_by_label("Credit or debit card").check()
    page.get_by_label("Card number").fill(CARD_OK)
    page.get_by_label("Expiration (MM/YY)").fill(expiry)
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")
    if save:
        page.get_by_label("Save this method for later").check()


def to_review(page: Page) -> None:
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()


def confirmation_reference(page: Page) -> str:
    reference = page.locator("#confirmation-reference")
    expect(reference).to_have_text(re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
    return reference.inner_text()


def test_back_from_every_step_keeps_what_was_typed_and_a_scheduled_payment_says_so(page: Page, owing_user):
    later = clock.today() + dt.timedelta(days=5)
    when = dates.short_date(later)
    open_pay(page, owing_user)
    page.get_by_label("Another amount").check()
    page.get_by_label("Amount in dollars").fill("12.34")
    page.get_by_label("Payment date").fill(later.isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()

    # The expiry field: the numeric keyboard, and "1230" shown as 12/30 once it loses focus.
    expiry = page.get_by_label("Expiration (MM/YY)")
    expect(expiry).to_have_attribute("inputmode", "numeric")
    fill_card(page, expiry="1230")
    expect(page.get_by_label("Expiration (MM/YY)")).to_have_value("12/30")

    # Back from step 2: step 1 as it was left; Continue: step 2 as it was left.
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
    expect(page.get_by_label("Amount in dollars")).to_have_value("12.34")
    expect(page.get_by_label("Payment date")).to_have_value(later.isoformat())
    expect(page.get_by_label("Another amount")).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_value(CARD_OK)
    expect(page.get_by_label("Name on card")).to_have_value("Ana O'Neill")
    to_review(page)

    # The review's words match its button; Back and Edit return to what was typed.
    button = page.get_by_role("button", name="Schedule payment")
    expect(button).to_be_visible()
    expect(page.get_by_role("button", name="Submit payment")).to_have_count(0)
    expect(page.locator("#payment-authorization")).to_contain_text("By selecting Schedule payment,")
    expect(page.locator("#payment-authorization")).to_contain_text(f"$12.34 to Visa ••••4242 on {when}")
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.get_by_label("Billing ZIP code")).to_have_value("02110")
    to_review(page)
    page.get_by_role("link", name="Edit amount").click()
    expect(page.get_by_label("Amount in dollars")).to_have_value("12.34")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    page.screenshot(path="/tmp/pay-review-scheduled.png", full_page=True)

    page.get_by_role("button", name="Schedule payment").click()
    reference = confirmation_reference(page)
    expect(page.locator("#confirmation-heading")).to_have_text(f"Your payment of $12.34 is scheduled for {when}.")
    expect(page.locator("#confirmation-date")).to_have_text(when)
    expect(page.get_by_text("We've emailed you a receipt.")).to_have_count(0)
    expect(page.locator("#confirmation-email")).to_contain_text("notice that this payment is scheduled")
    expect(page.get_by_role("button", name="Download receipt (PDF)")).to_have_count(0)
    notice = latest_email(owing_user["email"], "payment_scheduled")
    assert reference in notice.subject and f"scheduled for {when}" in notice.body
    page.screenshot(path="/tmp/pay-done-scheduled.png", full_page=True)


def test_itemised_amounts_and_the_warnings(page: Page, owing_user):
    options = offered(owing_user)
    assert options.past_due_cents > 0
    grace_ends = clock.today() + dt.timedelta(days=3)
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(owing_user).id)
        account.coverage_status, account.grace_ends_on = CoverageStatus.IN_GRACE, grace_ends
        session.add(account)
        session.commit()
    open_pay(page, owing_user)
    past_due = page.get_by_label(f"Past due: {money.format_cents(options.past_due_cents)}")
    expect(past_due).to_be_checked()
    expect(page.get_by_label("Another amount")).to_be_visible()
    page.screenshot(path="/tmp/pay-amounts.png", full_page=True)

    # The past-due amount, dated after the grace period ends: a warning naming that date.
    late = clock.today() + dt.timedelta(days=10)
    page.get_by_label("Payment date").fill(late.isoformat())
    page.get_by_role("button", name="Continue").click()
    fill_card(page)
    to_review(page)
    expect(page.get_by_text(f"Your grace period ends {dates.short_date(grace_ends)}.")).to_be_visible()
    page.screenshot(path="/tmp/pay-review-grace.png", full_page=True)

    # More than everything owed: the extra becomes a credit, and the member may go on.
    page.get_by_role("link", name="Edit amount").click()
    page.get_by_label("Another amount").check()
    over = options.owed_cents + 10000
    page.get_by_label("Amount in dollars").fill(f"{over / 100:.2f}")
    page.get_by_label("Payment date").fill(clock.today().isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    expect(page.get_by_text("The extra $100.00 becomes a credit toward your future bills.")).to_be_visible()
    expect(page.get_by_text("Your grace period ends")).to_have_count(0)
    page.get_by_role("button", name="Submit payment").click()
    confirmation_reference(page)
    expect(page.locator("#confirmation-amount")).to_have_text(money.format_cents(over))


def test_a_new_member_is_offered_the_first_premium(page: Page):
    member = make_member(coverage_start=dates.first_of_month(clock.today()), bill=True)
    user = make_user(member)
    options = offered(user)
    amount = money.format_cents(options.first_premium_cents)
    open_pay(page, user)
    first = page.get_by_label(re.compile(r"^First premium: " + re.escape(amount)))
    expect(first).to_be_visible()
    expect(page.get_by_text("Your coverage is Pending first payment until it is paid.")).to_be_visible()
    page.screenshot(path="/tmp/pay-first-premium.png", full_page=True)
    first.check()
    page.get_by_role("button", name="Continue").click()
    fill_card(page)
    to_review(page)
    page.get_by_role("button", name="Submit payment").click()
    confirmation_reference(page)
    expect(page.locator("#confirmation-amount")).to_have_text(amount)
    page.goto("/dashboard")
    expect(page.locator("#coverage-status")).to_have_text("Active")


def test_a_card_payment_confirmation_tells_everything_and_the_receipt_downloads(page: Page, owing_user):
    today = dates.short_date(clock.today())
    open_pay(page, owing_user)
    options = offered(owing_user)
    page.get_by_role("button", name="Continue").click()
    fill_card(page, save=True)
    to_review(page)
    expect(page.locator("#payment-authorization")).to_contain_text("By selecting Submit payment,")
    page.get_by_role("button", name="Submit payment").click()
    reference = confirmation_reference(page)
    expect(page.locator("#confirmation-date")).to_have_text(today)
    expect(page.get_by_text("Today", exact=True)).to_have_count(0)
    # What step 1 picked: what the dashboard calls the amount due.
    expect(page.locator("#confirmation-amount")).to_have_text(money.format_cents(options.amount_due_cents))
    expect(page.locator("#confirmation-method")).to_have_text("Visa ••••4242")
    expect(page.locator("#confirmation-balance")).to_have_text(re.compile(r"^\$[0-9,]+\.[0-9]{2}"))
    expect(page.locator("#confirmation-next-due")).to_have_text(re.compile(r"^[A-Z][a-z]{2} [0-9]{1,2}, 20[0-9]{2}$"))
    expect(page.locator("#confirmation-email")).to_have_text("We've emailed you a receipt.")
    expect(page.get_by_role("link", name="Set up Automatic Payments")).to_be_visible()
    receipt = page.get_by_role("link", name="Download receipt (PDF)")
    expect(receipt).to_have_attribute("href", f"/documents/receipt/{reference}")
    response = page.request.get(f"/documents/receipt/{reference}")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    page.screenshot(path="/tmp/pay-done-card.png", full_page=True)

    # The saved Visa is named as a Visa next time.
    page.goto("/pay")
    page.get_by_label("Another amount").check()
    page.get_by_label("Amount in dollars").fill("5.00")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Visa ••••4242")).to_be_checked()
    expect(page.get_by_text("A saved card or bank account")).to_have_count(0)


def test_a_bank_payment_shows_the_debit_authorization(page: Page, owing_user):
    today = dates.short_date(clock.today())
    open_pay(page, owing_user)
    page.get_by_label("Another amount").check()
    page.get_by_label("Amount in dollars").fill("20.00")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Bank transfer from a new account").check()
    page.get_by_label("Routing number").fill(ROUTING)
    page.get_by_label("Account number", exact=True).fill(BANK_OK)
    page.get_by_label("Confirm account number").fill(BANK_OK)
    page.get_by_label("Checking", exact=True).check()
    page.get_by_label("Name on account").fill("Ana O'Neill")
    to_review(page)
    expect(page.get_by_role("heading", name="Debit authorization")).to_be_visible()
    words = page.locator("#payment-authorization")
    for part in (
        "one-time electronic debit of $20.00",
        "Checking ••••6789",
        f"on {today}",
        "revoke this authorization",
    ):
        expect(words).to_contain_text(part)
    page.screenshot(path="/tmp/pay-review-bank.png", full_page=True)
    page.get_by_role("button", name="Submit payment").click()
    confirmation_reference(page)
    expect(page.locator("#confirmation-status")).to_have_text("Pending")
    expect(page.get_by_role("link", name="Download receipt (PDF)")).to_have_count(0)


def test_the_steps_fit_a_small_phone(page: Page, owing_user):
    """At 360×640: no sideways scrolling on any step, and Back still works."""
    page.set_viewport_size({"width": 360, "height": 640})
    open_pay(page, owing_user)

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    fits()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()
    fill_card(page, expiry="1230")
    expect(page.get_by_label("Expiration (MM/YY)")).to_have_value("12/30")
    fits()
    to_review(page)
    fits()
    page.screenshot(path="/tmp/pay-review-360.png", full_page=True)
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.get_by_label("Card number")).to_have_value(CARD_OK)
    to_review(page)
    page.get_by_role("button", name="Submit payment").click()
    confirmation_reference(page)
    fits()
    page.screenshot(path="/tmp/pay-done-360.png", full_page=True)
