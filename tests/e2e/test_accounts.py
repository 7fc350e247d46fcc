"""Member account journeys on a phone: Create Account, log in/out, lockout, recovery, redirects."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import PASSWORD, latest_code, latest_email, session_is_live

NEW_PASSWORD = "Lantern-Orchard-Quartz-58"


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.core
def test_create_account_then_log_out_and_back_in(page: Page, new_member):
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))

    page.goto("/")
    page.get_by_role("link", name="Create Account").click()
    expect(page.get_by_role("heading", name="Create Account")).to_be_visible()

    # Step 1: personal information, typed as a member would (lower case, SSN with dashes).
    page.get_by_label("First name").fill(new_member["first_name"].lower())
    page.get_by_label("Last name").fill(new_member["last_name"])
    page.get_by_label("Date of birth").fill(new_member["date_of_birth"].isoformat())
    ssn = new_member["ssn"]
    page.get_by_label("Social Security Number").fill(f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}")
    page.get_by_label("Email").fill(new_member["email"])
    page.get_by_role("button", name="Continue").click()

    # Step 2: username and a strong password, with the live meter.
    expect(page.get_by_text("Step 2 of 3")).to_be_visible()
    username = f"new.{new_member['member_number'][-5:]}"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill("password")
    expect(page.locator("#password-strength")).to_contain_text("Very weak")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    expect(page.locator("#password-strength")).to_contain_text(re.compile("Strong|Very strong"))
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    # Step 3: the code goes to the roster email; the page shows it masked.
    expect(page.get_by_text("Step 3 of 3")).to_be_visible()
    expect(page.get_by_text(new_member["email"][0] + "•••@example.com")).to_be_visible()
    code = latest_code(new_member["email"])
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify and create account").click()

    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(page.get_by_text(f"•••-••-{ssn[-4:]}")).to_be_visible()
    expect(page.get_by_text(new_member["account_number"])).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/\?next="))

    log_in(page, username, PASSWORD)
    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()

    # What the member typed travels up; nothing secret may come back down.
    received = "\n".join(frames)
    assert username in received, "the recorded frames should carry the state deltas"
    assert ssn not in received
    assert f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}" not in received
    assert "$2b$" not in received
    assert code not in received
    assert PASSWORD not in received


def test_mismatched_details_get_one_generic_message(page: Page, new_member):
    page.goto("/register")
    page.get_by_label("First name").fill(new_member["first_name"])
    page.get_by_label("Last name").fill(new_member["last_name"])
    page.get_by_label("Date of birth").fill("1970-01-01")
    page.get_by_label("Social Security Number").fill(new_member["ssn"])
    page.get_by_label("Email").fill(new_member["email"])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").filter(has_text="couldn't create an account")).to_be_visible()
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()


def test_bad_input_is_explained_next_to_each_field(page: Page):
    page.goto("/register")
    page.get_by_label("First name").fill("R2-D2")
    page.get_by_label("Social Security Number").fill("12345")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#first_name-error")).to_contain_text("letters, spaces, hyphens")
    expect(page.locator("#last_name-error")).to_contain_text("Enter your last name")
    expect(page.locator("#date_of_birth-error")).to_contain_text("date of birth")
    expect(page.locator("#ssn-error")).to_contain_text("9-digit")
    expect(page.locator("#email-error")).to_contain_text("name@example.com")
    # Nothing typed is lost.
    expect(page.get_by_label("First name")).to_have_value("R2-D2")


@pytest.mark.core
def test_wrong_password_then_lockout(page: Page, new_user):
    page.goto("/")
    log_in(page, new_user["username"], "Wrong-Password-000")
    expect(page.get_by_role("alert").filter(has_text="username or password you entered is incorrect")).to_be_visible()
    for _ in range(4):
        log_in(page, new_user["username"], "Wrong-Password-000")
        page.wait_for_timeout(100)
    expect(page.get_by_role("alert").filter(has_text="log-in is paused until")).to_be_visible()
    # Even the right password is refused while locked.
    log_in(page, new_user["username"], new_user["password"])
    expect(page.get_by_role("alert").filter(has_text="log-in is paused until")).to_be_visible()
    assert "/dashboard" not in page.url


def test_unknown_user_gets_the_same_message(page: Page):
    page.goto("/")
    log_in(page, "nobody.here", "Wrong-Password-000")
    expect(page.get_by_role("alert").filter(has_text="username or password you entered is incorrect")).to_be_visible()


@pytest.mark.core
def test_forgot_password_end_to_end(page: Page, new_user):
    page.goto("/")
    page.get_by_role("link", name="Forgot Password").click()
    page.get_by_label("Username or email").fill(new_user["username"])
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("If an account matches")).to_be_visible()

    link = re.search(
        r"(http\S+reset-password\?token=\S+)", latest_email(new_user["email"], "password_reset").body
    ).group(1)
    page.goto(link.replace(link.split("/reset-password")[0], ""))
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    expect(page).not_to_have_url(re.compile("token="))  # out of the address bar and history at once
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password has been changed")).to_be_visible()
    assert "token=" not in page.url
    latest_email(new_user["email"], "password_changed")

    log_in(page, new_user["username"], new_user["password"])
    expect(page.get_by_role("alert").filter(has_text="incorrect")).to_be_visible()
    log_in(page, new_user["username"], NEW_PASSWORD)
    page.wait_for_url("**/dashboard")

    # The link works once.
    page.goto(link.replace(link.split("/reset-password")[0], ""))
    expect(page.get_by_text("expired or has already been used")).to_be_visible()


def test_forgot_username_is_emailed(page: Page, new_user):
    page.goto("/forgot-username")
    page.get_by_label("Email").fill(new_user["email"])
    page.get_by_role("button", name="Email my username").click()
    expect(page.get_by_text("If an account uses that email address")).to_be_visible()
    assert new_user["username"] in latest_email(new_user["email"], "username_reminder").body


def test_protected_page_redirects_to_log_in_and_back(page: Page, new_user):
    page.goto("/settings")
    page.wait_for_url(re.compile(r"/\?next=%2Fsettings"))
    log_in(page, new_user["username"], new_user["password"])
    page.wait_for_url("**/settings")
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()


@pytest.mark.core
def test_logged_out_token_is_dead_when_replayed(page: Page, new_user):
    page.goto("/")
    log_in(page, new_user["username"], new_user["password"])
    page.wait_for_url("**/dashboard")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "hcpay_session")
    assert session_is_live(token)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    assert not session_is_live(token)

    page.context.add_cookies([{"name": "hcpay_session", "value": token, "url": page.url, "sameSite": "Strict"}])
    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/\?next="))
    expect(page.get_by_text("Welcome")).to_have_count(0)


def test_change_password_in_settings(page: Page, new_user):
    page.goto("/")
    log_in(page, new_user["username"], new_user["password"])
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="Settings").first.click()
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-error")).to_contain_text("incorrect")
    page.get_by_label("Current password").fill(new_user["password"])
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed")).to_be_visible()


def test_dev_mailbox_shows_the_outbox(page: Page, new_user):
    page.goto("/dev/mailbox")
    expect(page.get_by_text("Your Health Connector payment account is ready").first).to_be_visible()
