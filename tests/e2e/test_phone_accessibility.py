"""Every member journey on a small phone (360×640), checked at every step: no horizontal scrolling,
touch targets at least 44×44 CSS px, and axe-core finds no serious or critical violation. Log-in and
Make a Payment done with the keyboard alone; form errors announced to screen readers."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member
from tests.e2e.harness import BASE_URL, make_member, make_user
from tests.support.bills import issue_as_scheduled

SMALL_PHONE = {"width": 360, "height": 640}
MIN_TARGET = 44

# Measures, in the page, what a thumb and a screen reader meet. Controls are what a member taps:
# buttons, inputs, selects, links styled or placed as controls. Links inside running text are
# exempt (WCAG 2.5.8's inline exception); a radio or checkbox counts by its label's box, which is
# what is tapped. Returns human-readable findings naming the element.
PAGE_CHECKS = """
() => {
  const findings = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    findings.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px wide in ${width}px`);
  }
  const visible = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0;
  };
  const name = (el) => (el.getAttribute('aria-label') || el.innerText || el.value || el.id || el.name
                        || el.tagName).trim().slice(0, 40);
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
      findings.push(`overflows the screen: <${el.tagName.toLowerCase()}> "${name(el)}" to ${Math.round(r.right)}px`);
    }
  }
  const controls = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, a[href], [role=button], [role=checkbox], [role=radio], [role=combobox], [role=tab]');
  for (const el of controls) {
    if (!visible(el)) continue;
    let box = el.getBoundingClientRect();
    const fieldRoot = el.closest('.rt-TextFieldRoot, .rt-TextAreaRoot');
    if (fieldRoot) box = fieldRoot.getBoundingClientRect();  // the whole field takes the tap
    if (el.matches('input[type=radio], input[type=checkbox]')) {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) box = label.getBoundingClientRect();
    }
    if (el.tagName === 'A') {
      const block = el.parentElement && getComputedStyle(el.parentElement);
      const inText = el.parentElement && el.parentElement.childNodes.length > 1
        && [...el.parentElement.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (inText) continue;  // a link in a sentence
    }
    if (box.height < 44 - 0.5 || box.width < 44 - 0.5) {
      findings.push(`small target ${Math.round(box.width)}×${Math.round(box.height)}: <${el.tagName.toLowerCase()}> "${name(el)}"`);
    }
  }
  return findings;
}
"""


def axe_findings(page: Page) -> list[str]:
    result = Axe().run(page)
    return [
        f"axe {v['id']} ({v['impact']}): {node['target']} {node['html'][:120]!r} {node.get('failureSummary', '')[-160:]!r}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


class Steps:
    """Checks each step of a journey and keeps every finding, so one run reports them all."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.findings: dict[str, list[str]] = {}

    def check(self, step: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(400)  # let the last delta render and transitions end
        found = self.page.evaluate(PAGE_CHECKS) + axe_findings(self.page)
        if found:
            self.findings[step] = found

    def assert_clean(self) -> None:
        if self.findings:
            pytest.fail(
                "\n".join(f"{step}: {finding}" for step, found in self.findings.items() for finding in found),
                pytrace=False,
            )


@pytest.fixture
def phone(browser, app_server):
    context = browser.new_context(viewport=SMALL_PHONE, base_url=app_server, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def owing(user: dict) -> dict:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == user["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return {**user, "account_number": account.account_number}


def log_in(page: Page, user: dict) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(user["username"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_text("Amount due")).to_be_visible()


def test_public_journeys_fit_a_small_phone(phone: Page):
    steps = Steps(phone)
    member = make_member()
    phone.goto("/")
    steps.check("log in")
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("alert").first).to_be_visible()
    steps.check("log in, errors")

    phone.goto("/register")
    steps.check("create account: identity")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("#ssn-error")).to_be_visible()
    steps.check("create account: identity, errors")
    phone.get_by_label("First name").fill(member["first_name"])
    phone.get_by_label("Last name").fill(member["last_name"])
    phone.get_by_label("Date of birth").fill(member["date_of_birth"].isoformat())
    phone.get_by_label("Social Security Number").fill(member["ssn"])
    phone.get_by_label("Email").fill(member["email"])
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_label("Username")).to_be_visible()
    steps.check("create account: credentials")
    phone.get_by_role("button", name=re.compile("Continue|Create Account")).first.click()
    steps.check("create account: credentials, errors")

    for path, step in (
        ("/forgot-password", "Forgot Password"),
        ("/forgot-username", "Forgot Username"),
        ("/guest-pay", "guest payment"),
        ("/reset-password?token=nope", "expired reset link"),
    ):
        phone.goto(path)
        phone.get_by_role("heading", level=1).wait_for()
        steps.check(step)
    phone.goto("/forgot-password")
    phone.get_by_role("button").filter(has_text=re.compile("Send")).click()
    steps.check("Forgot Password, errors")
    steps.assert_clean()


def test_member_journeys_fit_a_small_phone(phone: Page):
    user = owing(make_user(make_member()))
    steps = Steps(phone)
    log_in(phone, user)
    steps.check("dashboard")

    phone.goto("/pay")
    expect(phone.get_by_role("heading", name="How much, and when?")).to_be_visible()
    steps.check("Make a Payment: amount")
    phone.get_by_label("Another amount").check()
    phone.get_by_label("Amount in dollars").fill("-5")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("alert").first).to_be_visible()
    steps.check("Make a Payment: amount, errors")
    phone.get_by_label("Amount in dollars").fill("25.00")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="How do you want to pay?")).to_be_visible()
    phone.get_by_label("Credit or debit card").check()
    steps.check("Make a Payment: card")
    phone.get_by_role("button", name="Continue to review").click()
    expect(phone.locator("#card_number-error")).to_be_visible()
    steps.check("Make a Payment: card, errors")
    phone.get_by_label("Bank transfer from a new account").check()
    steps.check("Make a Payment: bank")
    phone.get_by_label("Credit or debit card").check()
    phone.get_by_label("Card number").fill("4000000000000002")
    phone.get_by_label("Expiration (MM/YY)").fill("12/30")
    phone.get_by_label("Security code (CVC)").fill("123")
    phone.get_by_label("Name on card").fill("Ana O'Neill")
    phone.get_by_label("Billing ZIP code").fill("02110")
    phone.get_by_role("button", name="Continue to review").click()
    expect(phone.get_by_role("heading", name="Review your payment")).to_be_visible()
    steps.check("Make a Payment: review")
    phone.get_by_role("button", name=re.compile("Submit payment")).click()
    expect(phone.get_by_text(re.compile("declined", re.IGNORECASE)).first).to_be_visible()
    steps.check("Make a Payment: declined")
    phone.get_by_label("Card number").fill("4242424242424242")
    phone.get_by_label("Security code (CVC)").fill("123")
    phone.get_by_role("button", name="Continue to review").click()
    phone.get_by_role("button", name=re.compile("Submit payment")).click()
    expect(phone.locator("#confirmation-reference")).to_have_text(re.compile(r"HC-"))
    steps.check("Make a Payment: confirmation")

    for path, step in (
        ("/history", "history"),
        ("/settings", "Settings"),
        ("/settings/autopay", "Automatic Payments"),
        ("/notifications", "notifications"),
        ("/payment-plan", "payment plan"),
        ("/help", "Help"),
        ("/support", "Contact support"),
    ):
        phone.goto(path)
        phone.get_by_role("heading", level=1).wait_for()
        steps.check(step)
    phone.goto("/history")
    phone.get_by_role("link", name=re.compile("HC-")).first.click()
    expect(phone.locator("#payment-reference")).to_be_visible()
    steps.check("payment detail")

    phone.goto("/support")
    phone.get_by_role("button", name="Send to support").click()
    expect(phone.get_by_role("alert").first).to_be_visible()
    steps.check("Contact support, errors")
    phone.get_by_label("What is it about?").select_option("billing_question")
    phone.get_by_label("Your message").fill("When is my next premium due?")
    phone.get_by_role("button", name="Send to support").click()
    expect(phone.get_by_text(re.compile(r"Your request number is T-"))).to_be_visible()
    steps.check("Contact support: confirmation and My requests")

    phone.goto("/settings")
    phone.get_by_role("button", name="Add a card").click()
    steps.check("Settings: add a card")
    steps.assert_clean()


def announced(page: Page, field_id: str) -> None:
    """The field is marked invalid, described by its error, and the error is a live alert."""
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{field_id}-error")
    expect(error).to_be_visible()
    assert f"{field_id}-error" in (field.get_attribute("aria-describedby") or "").split()
    assert error.get_attribute("role") == "alert" or error.evaluate(
        "(el) => !!el.closest('[aria-live=polite], [aria-live=assertive], [role=alert], [role=status]')"
    )
    assert error.inner_text().strip()


def test_form_errors_are_announced_next_to_their_fields(phone: Page):
    phone.goto("/register")
    phone.get_by_label("Social Security Number").fill("12")
    phone.get_by_role("button", name="Continue").click()
    for field in ("first_name", "ssn", "email"):
        announced(phone, field)

    user = owing(make_user(make_member()))
    log_in(phone, user)
    phone.goto("/pay")
    phone.get_by_label("Another amount").check()
    phone.get_by_label("Amount in dollars").fill("abc")
    phone.get_by_role("button", name="Continue").click()
    announced(phone, "other_amount")

    phone.get_by_label("Amount in dollars").fill("10.00")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Credit or debit card").check()
    phone.get_by_label("Card number").fill("4242424242424241")
    phone.get_by_role("button", name="Continue to review").click()
    for field in ("card_number", "expiry", "cvc"):
        announced(phone, field)


def tab_to(page: Page, accessible_name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element is the one named `accessible_name` (exact label or text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el) return '';
            const label = el.id && document.querySelector(`label[for="${el.id}"]`);
            return (el.getAttribute('aria-label') || (label && label.innerText) || el.innerText || el.value || '').trim();
        }""")
        if focused == accessible_name or focused.startswith(accessible_name):
            visible_focus = page.evaluate("""() => {
                const el = document.activeElement;
                // Radix draws a text field's focus ring on the field around the input.
                const ringed = el.closest('.rt-TextFieldRoot') || el;
                const s = getComputedStyle(ringed);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
            }""")
            assert visible_focus, f"focus on {accessible_name!r} is not visible"
            return
    raise AssertionError(f"Tab never reached {accessible_name!r}")


def test_log_in_and_make_a_payment_with_the_keyboard_alone(phone: Page):
    user = owing(make_user(make_member()))
    keys = phone.keyboard
    phone.goto("/")
    phone.get_by_label("Username").wait_for()
    tab_to(phone, "Username")
    keys.type(user["username"])
    tab_to(phone, "Password")
    keys.type(user["password"])
    keys.press("Enter")
    phone.wait_for_url("**/dashboard")
    expect(phone.get_by_text("Amount due")).to_be_visible()

    tab_to(phone, "Make a Payment")
    keys.press("Enter")
    expect(phone.get_by_role("heading", name="How much, and when?")).to_be_visible()
    tab_to(phone, "Continue")
    keys.press("Enter")
    expect(phone.get_by_role("heading", name="How do you want to pay?")).to_be_visible()
    tab_to(phone, "Credit or debit card")
    keys.press("Space")
    tab_to(phone, "Card number")
    keys.type("4242424242424242")
    tab_to(phone, "Expiration (MM/YY)")
    keys.type("12/30")
    tab_to(phone, "Security code (CVC)")
    keys.type("123")
    tab_to(phone, "Name on card")
    keys.type("Ana O'Neill")
    tab_to(phone, "Billing ZIP code")
    keys.type("02110")
    tab_to(phone, "Continue to review")
    keys.press("Enter")
    expect(phone.get_by_role("heading", name="Review your payment")).to_be_visible()
    tab_to(phone, "Submit payment")
    keys.press("Enter")
    expect(phone.locator("#confirmation-reference")).to_have_text(re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
    assert BASE_URL in phone.url
