"""Guest pay and Help on a phone (390×844, and 360×640): the amount starts as what is due, the
review has the authorization words and Edit (which keeps what was typed), the confirmation has the
amount, date, reference and a receipt download that works without an account — for that payment
only; the payer's own receipt goes to the email they give. Help, in the header menu, gives the
phone number, hours, interpreter line, walk-in centers and how soon support answers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member
from hcpay_app.services.common import contact, dates
from hcpay_app.services.payments import checkout, guest
from tests.e2e.harness import latest_email, log_in_as, make_member
from tests.e2e.test_accessibility import serious
from tests.support.bills import issue_as_scheduled

REFERENCE = re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
SUPPORT = contact.support_contact()


@pytest.fixture
def owing_member():
    """A roster member (no portal account) whose bills are issued, so something is due."""
    identity = make_member()
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
        due = checkout.account_options(session, account, clock.today()).amount_due_cents
    assert due >= 100
    return {**identity, "due_cents": due}


def find_account(page: Page, who: dict) -> None:
    page.goto(routes.GUEST_PAY)
    page.get_by_label("Billing account number").fill(who["account_number"])
    page.get_by_label("ZIP code").fill("02110")
    page.get_by_label("Date of birth").fill(who["date_of_birth"].isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#guest-summary")).to_be_visible()


def fill_card(page: Page) -> None:
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("A Friend")
    page.get_by_label("Billing ZIP code").fill("02110")


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


def test_guest_pays_what_is_due_reviews_edits_and_downloads_the_receipt(page: Page, owing_member):
    find_account(page, owing_member)
    amount = page.get_by_label("Amount in dollars")
    expect(amount).to_have_value(guest.plain_dollars(owing_member["due_cents"]))
    amount.fill("20.00")
    fill_card(page)
    page.get_by_label("Email for your receipt (optional)").fill("pal@example.com")
    page.screenshot(path="/tmp/help-guest-details.png", full_page=True)
    page.get_by_role("button", name="Continue to review").click()

    review = page.locator("#guest-authorization")
    expect(review).to_contain_text("By selecting Submit payment, you authorize")
    expect(review).to_contain_text("$20.00")
    expect(review).to_contain_text("Visa ••••4242")
    expect(review).to_contain_text(dates.short_date(clock.today()))
    expect(review).to_contain_text(f"ending {owing_member['account_number'][-4:]}")
    expect(review).to_contain_text(SUPPORT.phone)
    expect(page.locator("#guest-review-email")).to_have_text("pal@example.com")
    page.screenshot(path="/tmp/help-guest-review.png", full_page=True)
    fits_the_screen(page)
    assert serious(page) == []

    # Edit goes back to the details as typed — the card number too — and they can be changed.
    page.get_by_role("button", name="Edit payment details").click()
    expect(page.get_by_label("Card number")).to_have_value("4242424242424242")
    expect(page.get_by_label("Amount in dollars")).to_have_value("20.00")
    expect(page.get_by_label("Email for your receipt (optional)")).to_have_value("pal@example.com")
    page.get_by_label("Amount in dollars").fill("21.00")
    page.get_by_role("button", name="Continue to review").click()
    expect(review).to_contain_text("$21.00")
    page.get_by_role("button", name="Submit payment").click()

    expect(page.locator("#guest-reference")).to_have_text(REFERENCE)
    reference = page.locator("#guest-reference").inner_text()
    expect(page.locator("#guest-done-amount")).to_have_text("$21.00")
    expect(page.locator("#guest-done-date")).to_have_text(dates.short_date(clock.today()))
    expect(page.get_by_text("Status: Paid")).to_be_visible()
    expect(page.get_by_text("We've emailed a copy to pal@example.com")).to_be_visible()
    download = page.get_by_role("link", name="Download receipt (PDF)")
    expect(download).to_be_visible()
    page.screenshot(path="/tmp/help-guest-done.png", full_page=True)
    fits_the_screen(page)
    assert serious(page) == []

    href = download.get_attribute("href")
    assert href.startswith(routes.GUEST_RECEIPT + "/")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="receipt-{reference}.pdf"'
    assert response.body().startswith(b"%PDF")
    for wrong in (href[:-2] + ("AA" if not href.endswith("AA") else "BB"), f"{routes.GUEST_RECEIPT}/{reference}"):
        assert page.request.get(wrong).status == 404, wrong

    mine = latest_email("pal@example.com", "payment_receipt")
    assert reference in mine.body and "Amount: $21.00" in mine.body
    assert mine.body.endswith(contact.footer()) and owing_member["first_name"] not in mine.body
    holder = latest_email(owing_member["email"], "payment_receipt")
    assert reference in holder.body and holder.body.endswith(contact.footer())


def test_guest_bank_payment_on_a_small_phone(page: Page, owing_member):
    page.set_viewport_size({"width": 360, "height": 640})
    find_account(page, owing_member)
    expect(page.get_by_label("Amount in dollars")).to_have_value(guest.plain_dollars(owing_member["due_cents"]))
    page.get_by_text("Bank transfer").click()
    page.get_by_label("Routing number").fill("110000000")
    page.get_by_label("Account number", exact=True).fill("000123456789")
    page.get_by_label("Confirm account number").fill("000123456789")
    page.get_by_label("Name on account").fill("A Friend")
    page.get_by_label("Email for your receipt (optional)").fill("not-an-email")
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_text("Enter an email address like name@example.com.")).to_be_visible()
    expect(page.get_by_label("Email for your receipt (optional)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Email for your receipt (optional)").fill("")
    page.get_by_role("button", name="Continue to review").click()

    review = page.locator("#guest-authorization")
    expect(review).to_contain_text("one-time electronic debit")
    expect(review).to_contain_text("Checking ••••6789")
    expect(review).to_contain_text("To revoke this authorization, call Customer Service")
    fits_the_screen(page)
    page.screenshot(path="/tmp/help-guest-bank-review-360.png", full_page=True)
    page.get_by_role("button", name="Submit payment").click()
    expect(page.locator("#guest-reference")).to_have_text(REFERENCE)
    expect(page.get_by_text("Status: Pending")).to_be_visible()
    expect(page.get_by_role("link", name="Download receipt (PDF)")).to_be_visible()
    expect(page.get_by_text("We've emailed a copy to the account holder.")).to_be_visible()
    fits_the_screen(page)
    page.screenshot(path="/tmp/help-guest-bank-done-360.png", full_page=True)


def test_help_is_in_the_header_and_gives_every_way_to_reach_us(page: Page, new_user):
    log_in_as(page, new_user)
    page.locator("header").get_by_role("link", name="Help", exact=True).click()
    page.wait_for_url("**/help")
    expect(page.get_by_role("heading", name="Help", exact=True)).to_be_visible()
    expect(page.locator("#support-phone")).to_have_text(SUPPORT.phone)
    expect(page.locator("#support-phone")).to_have_attribute("href", SUPPORT.phone_href)
    expect(page.locator("#support-hours")).to_have_text(SUPPORT.hours)
    expect(page.locator("#interpreter-line")).to_have_text(SUPPORT.interpreter_line)
    centres = page.get_by_role("list", name="Walk-in centers")
    for centre in SUPPORT.centres:
        expect(centres).to_contain_text(centre.town)
        expect(centres).to_contain_text(centre.address)
    expect(page.locator("#support-reply-time")).to_have_text(f"We answer support requests within {SUPPORT.reply_time}.")
    fits_the_screen(page)
    assert serious(page) == []
    page.screenshot(path="/tmp/help-help-390.png", full_page=True)
    page.get_by_role("link", name="Contact support").click()
    page.wait_for_url("**/support")
    expect(page.locator("#support-reply-time")).to_contain_text(SUPPORT.reply_time)


def test_help_on_a_small_phone_without_logging_in(page: Page):
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(routes.HELP)
    expect(page.locator("#support-phone")).to_have_text(SUPPORT.phone)
    expect(page.locator("#interpreter-line")).to_be_visible()
    expect(page.get_by_role("list", name="Walk-in centers")).to_be_visible()
    expect(page.locator("#support-reply-time")).to_be_visible()
    fits_the_screen(page)
    page.screenshot(path="/tmp/help-help-360.png", full_page=True)
