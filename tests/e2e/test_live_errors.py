"""An error clears the moment its field is fixed (issue 13, Forms everywhere), on a phone at 390×844
and 360×640: on Make a Payment, Automatic Payments, guest pay and Contact support a bad value is
submitted, its message shows next to the field (aria-invalid, red border), the member fixes the
value and the message goes — before any second submit — and no "Please correct the highlighted
fields" summary is left behind. The member header keeps one height from the first paint on, with
every link on screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member
from tests.e2e.harness import log_in_as, make_member
from tests.support.bills import issue_as_scheduled

PHONES = {"390x844": {"width": 390, "height": 844}, "360x640": {"width": 360, "height": 640}}
SUMMARY = "Please correct the highlighted fields"
SHOTS = "/tmp/h13-live"

# Every height the header has been painted with since the document started, sampled each frame
# (a frame is drawn only once the render-blocking styles are in): one value means nothing arrived
# late and made it taller, pushing the page down.
HEADER_HEIGHTS = """
(() => {
  const seen = [];
  const layouts = [];
  window.__headerHeights = seen;
  window.__headerLayouts = layouts;
  const started = performance.now();
  const box = (el) => {
    const rect = el.getBoundingClientRect();
    return `${el.tagName.toLowerCase()}@${Math.round(rect.top)}:${Math.round(rect.width)}x${Math.round(rect.height)}`;
  };
  const sample = () => {
    const header = document.querySelector('header');
    if (header) {
      const height = Math.round(header.getBoundingClientRect().height);
      if (height > 0 && seen[seen.length - 1] !== height) {
        seen.push(height);
        // What the header held at that height, for the failure message: its rows' items, when.
        const rows = header.firstElementChild ? [...header.firstElementChild.children].map(box) : [];
        layouts.push(`${height}px at ${Math.round(performance.now() - started)} ms` +
          ` (${document.readyState}, ${document.styleSheets.length} sheets): ${rows.join(' ')}`);
      }
    }
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
})();
"""


@pytest.fixture
def owing_user(new_user):
    """A member whose bills are issued and unpaid: something is due."""
    bill(new_user)
    return new_user


def bill(identity: dict) -> None:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()


def shot(page: Page, phone: str, step: str) -> None:
    page.screenshot(path=f"{SHOTS}-{phone}-{step}.png", full_page=True)


def shows_error(page: Page, field_id: str, words: str) -> None:
    """The message sits next to the field, which is marked for screen readers and by its border."""
    expect(page.locator(f"#{field_id}-error")).to_contain_text(words)
    expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
    described = page.locator(f"#{field_id}").get_attribute("aria-describedby") or ""
    assert f"{field_id}-error" in described.split(), described
    border = page.evaluate(
        "id => { const el = document.getElementById(id);"
        " const root = el.closest('.rt-TextFieldRoot, .rt-TextAreaRoot') || el;"
        " const style = getComputedStyle(root); return style.boxShadow + ' ' + style.borderColor; }",
        field_id,
    )
    assert "rgb(229, 72, 77)" in border, border  # Radix red 9


def error_gone(page: Page, field_id: str) -> None:
    expect(page.locator(f"#{field_id}-error")).to_have_count(0)
    expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "false")
    expect(page.get_by_text(SUMMARY)).to_have_count(0)


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


def header_is_steady_and_fits(page: Page, phone: str) -> None:
    """The logged-in dashboard, loaded afresh: the header's height never changed from the first
    paint on, and every navigation control lies within the screen's width."""
    page.add_init_script(HEADER_HEIGHTS)
    page.goto(routes.DASHBOARD)
    page.locator("#amount-due").wait_for()
    page.wait_for_timeout(800)  # the unread count and anything else late has arrived
    shot(page, phone, "dashboard-header")
    heights = page.evaluate("window.__headerHeights")
    final = round(page.locator("header").bounding_box()["height"])
    assert heights == [final], page.evaluate("window.__headerLayouts")
    width = PHONES[phone]["width"]
    controls = [
        page.get_by_role("link", name="Health Connector Payment Portal home"),
        page.locator("#notifications-bell"),
        page.locator("header").get_by_role("link", name="Dashboard"),
        page.locator("header").get_by_role("link", name="Settings"),
        page.locator("header").get_by_role("link", name="Help"),
        page.get_by_role("button", name="Log out"),
    ]
    tops = []
    for control in controls:
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (control, box)
        tops.append(round(box["y"]))
    # Two rows: the brand with Log out, then the links — Log out never wraps to a row of its own.
    brand, bell, *links, log_out = tops
    assert {bell, *links} == {bell} and log_out < bell and abs(log_out - brand) <= 8, tops
    assert final <= 130, final


@pytest.mark.parametrize("phone", PHONES)
def test_make_a_payment_errors_clear_as_fixed(page: Page, owing_user, phone):
    page.set_viewport_size(PHONES[phone])
    log_in_as(page, owing_user)
    header_is_steady_and_fits(page, phone)

    page.goto(routes.PAY)
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
    page.get_by_label("Another amount").check()
    amount = page.get_by_label("Amount in dollars")
    amount.fill("0.50")
    page.get_by_role("button", name="Continue", exact=True).click()
    shows_error(page, "other_amount", "The smallest payment is $1.00.")
    shot(page, phone, "pay-amount-error")
    amount.fill("125.50")
    error_gone(page, "other_amount")
    shot(page, phone, "pay-amount-fixed")
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()
    page.get_by_label("Credit or debit card").check()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("1230")
    cvc = page.get_by_label("Security code (CVC)")
    cvc.fill("12")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")
    page.get_by_role("button", name="Continue to review").click()
    shows_error(page, "cvc", "Enter the 3- or 4-digit security code")
    shot(page, phone, "pay-method-error")
    cvc.fill("123")
    error_gone(page, "cvc")
    shot(page, phone, "pay-method-fixed")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()


@pytest.mark.parametrize("phone", PHONES)
def test_automatic_payments_errors_clear_as_fixed(page: Page, owing_user, phone):
    page.set_viewport_size(PHONES[phone])
    log_in_as(page, owing_user)
    page.goto(routes.AUTOPAY)
    expect(page.get_by_role("heading", name="Set up Automatic Payments")).to_be_visible()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")
    page.get_by_label("A fixed amount").check()
    fixed = page.get_by_label("Fixed amount in dollars")
    fixed.fill("0.10")
    page.get_by_role("button", name="Review").click()
    shows_error(page, "fixed_amount", "The smallest automatic payment is $1.00.")
    shot(page, phone, "autopay-error")
    fixed.fill("450.00")
    error_gone(page, "fixed_amount")
    shot(page, phone, "autopay-fixed")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Review Automatic Payments")).to_be_visible()


@pytest.mark.parametrize("phone", PHONES)
def test_guest_pay_errors_clear_as_fixed(page: Page, phone):
    page.set_viewport_size(PHONES[phone])
    who = make_member()
    bill(who)
    page.goto(routes.GUEST_PAY)
    page.get_by_label("Billing account number").fill(who["account_number"])
    page.get_by_label("ZIP code").fill("02110")
    page.get_by_role("button", name="Continue").click()
    shows_error(page, "date_of_birth", "Enter your date of birth.")
    shot(page, phone, "guest-verify-error")
    page.get_by_label("Date of birth").fill(who["date_of_birth"].isoformat())
    error_gone(page, "date_of_birth")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#guest-summary")).to_be_visible()
    amount = page.get_by_label("Amount in dollars")
    amount.fill("0.50")
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("A Friend")
    page.get_by_label("Billing ZIP code").fill("02110")
    email = page.get_by_label("Email for your receipt (optional)")
    email.fill("pal@")
    page.get_by_role("button", name="Continue to review").click()
    shows_error(page, "amount", "The smallest payment is $1.00.")
    shows_error(page, "payer_email", "name@example.com")
    shot(page, phone, "guest-pay-error")
    amount.fill("20.00")
    error_gone(page, "amount")
    shows_error(page, "payer_email", "name@example.com")  # only the fixed field's message goes
    email.fill("pal@example.com")
    error_gone(page, "payer_email")
    shot(page, phone, "guest-pay-fixed")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()


@pytest.mark.parametrize("phone", PHONES)
def test_contact_support_errors_clear_as_fixed(page: Page, new_user, phone):
    page.set_viewport_size(PHONES[phone])
    log_in_as(page, new_user)
    page.goto(routes.SUPPORT)
    expect(page.get_by_role("heading", name="Contact support", exact=True)).to_be_visible()
    reference = page.get_by_label("Payment reference number (optional)")
    reference.fill("HC-0000-0000-0000")
    message = page.get_by_label("Your message")
    message.fill("help")
    page.get_by_role("button", name="Send to support").click()
    shows_error(page, "message", "Tell us a little more (at least 10 characters).")
    shows_error(page, "reference", "isn't a payment reference number on your account")
    shot(page, phone, "support-error")
    message.fill("My payment from last week isn't showing yet.")
    error_gone(page, "message")
    expect(page.locator("#reference-error")).to_be_visible()  # untouched: still wrong
    reference.fill("")
    error_gone(page, "reference")
    shot(page, phone, "support-fixed")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Send to support").click()
    expect(page.get_by_text("Your request number is")).to_be_visible()

    # A reply to that request: too short, marked; fixed, and the error is gone before sending.
    number = re.search(r"T-[0-9A-Z]+", page.get_by_text("Your request number is").inner_text()).group(0)
    reply = page.locator(f"#reply-{number}")
    reply.fill("x")
    page.get_by_role("button", name="Send reply").first.click()
    expect(page.locator(f"#reply-{number}-error")).to_have_text("Tell us a little more (at least 2 characters).")
    expect(reply).to_have_attribute("aria-invalid", "true")
    reply.fill("Thank you")
    expect(page.locator(f"#reply-{number}-error")).to_have_count(0)
    expect(reply).to_have_attribute("aria-invalid", "false")
