"""Staff second factor on a phone (390×844): the enrolment link create-staff prints shows the QR
code and key once, a current code confirms it and the recovery codes appear once; a staff log-in
then asks for a code after the password, refuses a wrong one, accepts the right one; log out."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from hcpay_app import clock
from hcpay_app.__main__ import main
from hcpay_app.services.accounts import second_factor

STAFF_PASSWORD = "Meadow-Harbor-Quartz-37"


@pytest.fixture
def enrol_link(monkeypatch, capsys) -> tuple[str, str]:
    name = f"agent2fa{clock.utcnow().microsecond}"
    monkeypatch.setenv("HCPAY_STAFF_PASSWORD", STAFF_PASSWORD)
    assert main(["create-staff", "--username", name, "--email", f"{name}@hcpay.example"]) == 0
    link = re.search(r"https?://\S+(/staff/enrol\?token=\S+)", capsys.readouterr().out)
    assert link is not None
    return name, link.group(1)


@pytest.mark.core
def test_staff_enrol_then_log_in_with_a_code(page: Page, enrol_link):
    username, path = enrol_link
    page.set_viewport_size({"width": 390, "height": 844})

    # Before enrolling, the password alone gets nowhere.
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("enrolment link")

    # The link: QR code and key, shown once.
    page.goto(path)
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#staff-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.wait_for_url("**/staff/enrol")  # the token is taken out of the address bar
    page.screenshot(path="/tmp/totp-enrol.png", full_page=True)
    page.get_by_label("Code from your authenticator app").fill("135790")
    page.get_by_role("button", name="Confirm code").click()
    expect(page.get_by_text(second_factor.ENROL_WRONG_CODE)).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(clock.utcnow()))
    page.get_by_role("button", name="Confirm code").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    expect(page.get_by_text(secret)).to_have_count(0)
    page.screenshot(path="/tmp/totp-codes.png", full_page=True)

    # Log in: password, then the code step; a wrong code is refused, the right one lets the agent in.
    page.get_by_role("link", name="Go to log in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    code_field = page.get_by_label("Authenticator code")
    expect(code_field).to_be_visible()
    code_field.fill("135790")
    page.get_by_role("button", name="Verify code").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not correct")
    page.screenshot(path="/tmp/totp-wrong.png", full_page=True)
    used = pyotp.TOTP(secret).at(clock.utcnow() + dt.timedelta(seconds=30))
    code_field.fill(used)
    page.get_by_role("button", name="Verify code").click()
    page.wait_for_url("**/console")

    page.get_by_role("button", name="Log out").first.click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()

    # The same code again: refused (each code is accepted once). The step-on-a-small-phone check: 360×640.
    page.set_viewport_size({"width": 360, "height": 640})
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Authenticator code").fill(used)
    page.get_by_role("button", name="Verify code").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not correct")
    page.screenshot(path="/tmp/totp-360.png", full_page=True)
