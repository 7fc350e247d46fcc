"""Forms everywhere (issue 13), on a phone: an error clears the moment its field is fixed; a field in
error is marked (aria-invalid and a red border); after a submit focus goes to the first field in
error, after a step change to the new step's heading; password fields have Show password; the
log-in page states the lockout rule before anyone is locked.

Focus and the password toggle run in assets/forms.js, served as a static file under the app's CSP
(no eval): these tests also prove the page runs it without script errors (conftest watches)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member
from tests.e2e.harness import PASSWORD, latest_code, log_in_as
from tests.support.bills import issue_as_scheduled

NEW_PASSWORD = "Lantern-Orchard-Quartz-58"


def active_id(page: Page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def active_text(page: Page) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.textContent : ''")


def wait_for_focus_on(page: Page, field_id: str) -> None:
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=field_id)


def wait_for_focus_on_heading(page: Page, words: str) -> None:
    page.wait_for_function(
        "words => { const el = document.activeElement;"
        " return !!el && /^H[1-6]$/.test(el.tagName) && el.textContent.includes(words); }",
        arg=words,
    )


def field_border(page: Page, field_id: str) -> str:
    """What draws the field's border: the Radix root's inset shadow (its colour and width)."""
    return page.evaluate(
        "id => { const input = document.getElementById(id);"
        " const root = input.closest('.rt-TextFieldRoot') || input;"
        " return getComputedStyle(root).boxShadow; }",
        field_id,
    )


def is_red(shadow: str) -> bool:
    """Radix red 9 (#e5484d) at 2 px, as getComputedStyle reports it."""
    return "rgb(229, 72, 77)" in shadow and "2px" in shadow


def aria_invalid(page: Page, field_id: str) -> str | None:
    return page.evaluate("id => document.getElementById(id).getAttribute('aria-invalid')", field_id)


def fill_identity(page: Page, member: dict) -> None:
    page.get_by_label("First name").fill(member["first_name"])
    page.get_by_label("Last name").fill(member["last_name"])
    page.get_by_label("Date of birth").fill(member["date_of_birth"].isoformat())
    page.get_by_label("Social Security Number").fill(member["ssn"])
    page.get_by_label("Email").fill(member["email"])


def test_create_account_marks_errors_clears_them_when_fixed_and_moves_focus(page: Page, new_member):
    page.goto("/register")
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()

    # Step 1 sent empty: every field is marked, the banner shows, focus goes to the first field.
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#first_name-error")).to_contain_text("Enter your first name")
    wait_for_focus_on(page, "first_name")
    for field_id in ("first_name", "last_name", "date_of_birth", "ssn", "email"):
        assert aria_invalid(page, field_id) == "true", field_id
        assert is_red(field_border(page, field_id)), (field_id, field_border(page, field_id))
    banner = page.get_by_role("alert").filter(has_text="Please correct the highlighted fields")
    expect(banner).to_be_visible()
    page.screenshot(path="/tmp/forms-390-step1-errors.png", full_page=True)

    # Fixing one field clears its error and its marks at once, without a submit.
    page.get_by_label("First name").fill(new_member["first_name"])
    expect(page.locator("#first_name-error")).to_have_count(0)
    expect(page.get_by_label("First name")).to_have_attribute("aria-invalid", "false")
    assert not is_red(field_border(page, "first_name"))
    # A field still wrong for another reason says what is wrong now.
    page.get_by_label("Social Security Number").fill("12345")
    expect(page.locator("#ssn-error")).to_contain_text("9-digit")
    expect(page.get_by_label("Social Security Number")).to_have_attribute("aria-invalid", "true")

    # With everything fixed, the banner goes too.
    fill_identity(page, new_member)
    for field_id in ("last_name", "date_of_birth", "ssn", "email"):
        expect(page.locator(f"#{field_id}-error")).to_have_count(0)
    expect(banner).to_have_count(0)

    # Step 2: focus is on its heading.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 3")).to_be_visible()
    wait_for_focus_on_heading(page, "Choose a username and password")

    # A short password: focus goes to it (the first field in error), marked red.
    page.get_by_label("Username").fill(f"forms.{new_member['member_number'][-5:]}")
    page.get_by_label("Password", exact=True).fill("Qx7v")
    page.get_by_label("Confirm password").fill("Qx7v")
    page.get_by_role("button", name="Continue").click()
    error = page.locator("#password-error")
    expect(error).to_contain_text("Use at least 12 characters")
    wait_for_focus_on(page, "password")
    assert aria_invalid(page, "password") == "true"
    assert is_red(field_border(page, "password"))
    expect(page.get_by_role("alert").filter(has_text="Please correct the highlighted fields")).to_be_visible()

    # A strong password: the red message and the banner go while the member is still typing.
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    expect(page.locator("#password-strength")).to_contain_text(re.compile("Strong|Very strong"))
    expect(error).to_have_count(0)
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "false")
    expect(page.get_by_text("Please correct the highlighted fields")).to_have_count(0)
    page.screenshot(path="/tmp/forms-390-step2-fixed.png", full_page=True)

    # A confirmation that doesn't match is marked; typing it right clears it.
    page.get_by_label("Confirm password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#confirm_password-error")).to_contain_text("don't match")
    wait_for_focus_on(page, "confirm_password")
    page.get_by_label("Confirm password").fill(PASSWORD)
    expect(page.locator("#confirm_password-error")).to_have_count(0)

    # Step 3: focus on its heading; a wrong-format code is marked and focused, then cleared.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 3 of 3")).to_be_visible()
    wait_for_focus_on_heading(page, "Verify your identity")
    page.get_by_label("Verification code").fill("12")
    page.get_by_role("button", name="Verify and create account").click()
    expect(page.locator("#code-error")).to_contain_text("6-digit code")
    wait_for_focus_on(page, "code")
    page.get_by_label("Verification code").fill(latest_code(new_member["email"]))
    expect(page.locator("#code-error")).to_have_count(0)
    page.get_by_role("button", name="Verify and create account").click()
    page.wait_for_url("**/dashboard")


def test_the_same_errors_again_still_move_focus(page: Page):
    """A second submit with the same mistakes changes nothing on the page: focus still goes to them."""
    page.goto("/register")
    page.get_by_role("button", name="Continue").click()
    wait_for_focus_on(page, "first_name")
    page.get_by_label("Email").focus()
    page.get_by_role("button", name="Continue").click()
    wait_for_focus_on(page, "first_name")


def test_show_password_on_log_in_by_keyboard_and_tap(page: Page):
    page.goto("/")
    password = page.get_by_label("Password", exact=True)
    password.fill("Secret-Typed-Here-1")
    toggle = page.get_by_role("button", name="Show password")
    expect(toggle).to_be_visible()
    assert toggle.bounding_box()["height"] >= 44
    toggle.click()
    expect(password).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide password")).to_be_visible()
    expect(page.get_by_role("button", name="Show password")).to_have_count(0)
    # By keyboard: Tab from the field reaches the button; Enter hides again, Space shows.
    password.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('data-password-toggle')") == "password"
    page.keyboard.press("Enter")
    expect(password).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Show password")).to_be_visible()
    page.keyboard.press("Space")
    expect(password).to_have_attribute("type", "text")
    # The button never submits the form.
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(password).to_have_value("Secret-Typed-Here-1")


def test_log_in_page_states_the_lockout_rule_before_any_lock(page: Page):
    page.goto("/")
    rule = page.get_by_text("5 wrong tries lock the log-in for 15 minutes")
    expect(rule).to_be_visible()
    # It is part of the password field's description for screen readers.
    described = page.get_by_label("Password", exact=True).get_attribute("aria-describedby")
    assert "password-hint" in described
    expect(page.locator("#password-hint")).to_contain_text("5 wrong tries")


def test_log_in_marks_the_blank_field_focuses_it_and_clears_it_when_typed(page: Page):
    page.goto("/")
    page.get_by_label("Username").fill("someone.here")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#password-error")).to_have_text("Enter your password.")
    wait_for_focus_on(page, "password")
    assert aria_invalid(page, "password") == "true" and aria_invalid(page, "username") == "false"
    assert is_red(field_border(page, "password"))
    page.get_by_label("Password", exact=True).fill("Something-Typed-1")
    expect(page.locator("#password-error")).to_have_count(0)
    expect(page.get_by_text("Enter your username and password.")).to_have_count(0)
    # A wrong pair blames no field.
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert").filter(has_text="incorrect")).to_be_visible()
    assert aria_invalid(page, "username") == "false" and aria_invalid(page, "password") == "false"


def test_forgot_username_error_clears_when_the_email_is_fixed(page: Page):
    page.goto("/forgot-username")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Email my username").click()
    expect(page.locator("#email-error")).to_contain_text("name@example.com")
    wait_for_focus_on(page, "email")
    page.get_by_label("Email").fill("someone@example.com")
    expect(page.locator("#email-error")).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "false")


def test_create_account_password_fields_have_show_password(page: Page, new_member):
    page.goto("/register")
    fill_identity(page, new_member)
    page.get_by_role("button", name="Continue").click()
    wait_for_focus_on_heading(page, "Choose a username and password")
    expect(page.get_by_role("button", name="Show password")).to_have_count(2)
    page.get_by_role("button", name="Show password").first.click()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "text")
    expect(page.get_by_label("Confirm password")).to_have_attribute("type", "password")


def test_change_password_in_settings_errors_clear_and_focus(page: Page, new_user):
    page.goto("/")
    page.get_by_label("Username").fill(new_user["username"])
    page.get_by_label("Password", exact=True).fill(new_user["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    expect(page.get_by_role("button", name="Show password")).to_have_count(3)

    page.get_by_label("Current password").fill(new_user["password"])
    page.get_by_label("New password", exact=True).fill("too-short")
    page.get_by_label("Confirm new password").fill("too-short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#new_password-error")).to_contain_text("Use at least 12 characters")
    wait_for_focus_on(page, "new_password")
    assert is_red(field_border(page, "new_password"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    expect(page.locator("#new_password-error")).to_have_count(0)
    expect(page.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "false")


@pytest.mark.parametrize("size", [{"width": 360, "height": 640}], ids=["360x640"])
def test_small_phone_marks_focuses_and_shows_password(page: Page, new_member, size):
    page.set_viewport_size(size)
    page.goto("/register")
    page.get_by_role("button", name="Continue").click()
    wait_for_focus_on(page, "first_name")
    assert aria_invalid(page, "first_name") == "true"
    assert is_red(field_border(page, "first_name"))
    page.get_by_label("First name").fill(new_member["first_name"])
    expect(page.locator("#first_name-error")).to_have_count(0)

    fill_identity(page, new_member)
    page.get_by_role("button", name="Continue").click()
    wait_for_focus_on_heading(page, "Choose a username and password")
    toggle = page.get_by_role("button", name="Show password").first
    box = toggle.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
    page.screenshot(path="/tmp/forms-360-step2.png")

    page.goto("/")
    expect(page.get_by_text("5 wrong tries lock the log-in for 15 minutes")).to_be_visible()
    page.get_by_role("button", name="Show password").click()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "text")
    page.screenshot(path="/tmp/forms-360-login.png")


def test_make_a_payment_gets_the_same_focus_without_page_changes(page: Page, new_user):
    """The mechanism is generic: Make a Payment (a page this work did not touch) moves focus to
    each new step's heading and, after a submit, to its first field in error."""
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == new_user["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    log_in_as(page, new_user)
    page.get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    wait_for_focus_on_heading(page, "How do you want to pay?")

    page.get_by_label("Credit or debit card").check()
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.getAttribute('aria-invalid') === 'true'"
    )
    first_invalid = page.evaluate("() => document.querySelector('form [aria-invalid=\"true\"]').id")
    assert active_id(page) == first_invalid
    assert is_red(field_border(page, first_invalid))
