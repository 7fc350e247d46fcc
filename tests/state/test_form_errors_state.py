"""An error clears the moment its field is fixed (issue 13, Forms everywhere): `recheck_field` on
Create Account, the reset link and Settings → change password; the live password meter clears the
password's error; the log-in page's lockout rule comes from the settings.

What the member types is checked and dropped: never stored in a var, never sent back."""

from __future__ import annotations

import pytest

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.state.form_errors import FIELDS_BANNER
from hcpay_app.state.login import LoginState, lockout_rule
from hcpay_app.state.recovery import ForgotPasswordState, ForgotUsernameState, ResetPasswordState
from hcpay_app.state.register import RegisterState
from hcpay_app.state.settings import SettingsState
from tests.state.state_harness import ALICE, CAROL, PASSWORD, Browser, fire, logged_in_browser

pytestmark = pytest.mark.asyncio

WEAK = "short"


async def register_tab_at_credentials() -> Browser:
    tab = Browser(routes.REGISTER, ip="198.51.100.91")
    await fire(tab, RegisterState, "submit_identity", form_data=CAROL.identity_form())
    assert tab.state(RegisterState).step == "credentials"
    return tab


async def test_empty_identity_then_each_fixed_field_loses_its_error_and_the_banner_goes_last():
    tab = Browser(routes.REGISTER, ip="198.51.100.92")
    await fire(tab, RegisterState, "submit_identity", form_data={})
    s = tab.state(RegisterState)
    assert set(s.errors) == {"first_name", "last_name", "date_of_birth", "ssn", "email"}
    assert s.message == FIELDS_BANNER

    form = CAROL.identity_form()
    await fire(tab, RegisterState, "recheck_field", name="first_name", value=form["first_name"], related="")
    assert "first_name" not in s.errors and len(s.errors) == 4
    assert s.message == FIELDS_BANNER  # other fields are still wrong

    # Still wrong, for another reason: the message says what is wrong now.
    await fire(tab, RegisterState, "recheck_field", name="ssn", value="12345", related="")
    assert "9-digit" in s.errors["ssn"]
    await fire(tab, RegisterState, "recheck_field", name="email", value="not-an-email", related="")
    assert s.errors["email"] == "Enter an email address like name@example.com."

    seen = []
    for name in ("last_name", "date_of_birth", "ssn", "email"):
        out = await fire(tab, RegisterState, "recheck_field", name=name, value=form[name], related="")
        seen.append(out.seen)
    assert s.errors == {} and s.message == ""
    # The values were checked and dropped: nothing typed comes back to the browser.
    assert CAROL.ssn not in "".join(seen) and CAROL.ssn_digits not in "".join(seen)
    assert CAROL.ssn not in tab.public()
    assert s.step == "identity"  # a recheck never submits


async def test_a_field_not_in_error_is_not_checked_and_a_roster_refusal_stays():
    tab = Browser(routes.REGISTER, ip="198.51.100.93")
    await fire(tab, RegisterState, "submit_identity", form_data=CAROL.identity_form(date_of_birth="1970-01-01"))
    s = tab.state(RegisterState)
    refusal = s.message
    assert s.errors == {} and "couldn't create an account" in refusal
    await fire(tab, RegisterState, "recheck_field", name="date_of_birth", value="bad", related="")
    assert s.errors == {} and s.message == refusal


async def test_a_strong_password_clears_the_short_password_error_and_the_banner_as_typed():
    tab = await register_tab_at_credentials()
    s = tab.state(RegisterState)
    await fire(
        tab,
        RegisterState,
        "submit_credentials",
        form_data={"username": "carol.forms", "password": WEAK, "confirm_password": WEAK},
    )
    assert s.errors["password"].startswith("Use at least 12 characters")
    assert s.message == FIELDS_BANNER

    # Still short, still the same message; then the live meter's event clears it.
    await fire(tab, RegisterState, "check_password", value="still-short")
    assert s.errors["password"].startswith("Use at least 12 characters")
    out = await fire(tab, RegisterState, "check_password", value=PASSWORD)
    assert s.strength_score >= 3
    assert "password" not in s.errors and s.errors == {} and s.message == ""
    assert PASSWORD not in out.seen and PASSWORD not in tab.public()


async def test_long_but_guessable_password_gets_the_guessable_message_live():
    tab = await register_tab_at_credentials()
    s = tab.state(RegisterState)
    await fire(
        tab,
        RegisterState,
        "submit_credentials",
        form_data={"username": "carol.forms2", "password": WEAK, "confirm_password": WEAK},
    )
    await fire(tab, RegisterState, "check_password", value="passwordpassword")
    assert s.errors["password"].startswith("This password is too easy to guess")


async def test_confirmation_clears_when_it_matches_the_password_typed_above():
    tab = await register_tab_at_credentials()
    s = tab.state(RegisterState)
    await fire(
        tab,
        RegisterState,
        "submit_credentials",
        form_data={"username": "carol.forms3", "password": PASSWORD, "confirm_password": PASSWORD + "x"},
    )
    assert s.errors == {"confirm_password": "The passwords don't match."}
    await fire(tab, RegisterState, "recheck_field", name="confirm_password", value=PASSWORD + "y", related=PASSWORD)
    assert "confirm_password" in s.errors
    await fire(tab, RegisterState, "recheck_field", name="confirm_password", value=PASSWORD, related=PASSWORD)
    assert s.errors == {}


@pytest.mark.parametrize(
    "payload",
    [
        {"name": 1, "value": "x", "related": ""},
        {"name": "first_name", "value": None, "related": ""},
        {"name": "first_name", "value": "Carol", "related": ["x"]},
        {"name": "__class__", "value": "x", "related": ""},
        {"name": "processing", "value": "x", "related": ""},
    ],
)
async def test_odd_payloads_change_nothing(payload):
    tab = Browser(routes.REGISTER, ip="198.51.100.94")
    await fire(tab, RegisterState, "submit_identity", form_data={})
    s = tab.state(RegisterState)
    before = dict(s.errors), s.message
    await fire(tab, RegisterState, "recheck_field", **payload)
    assert (s.errors, s.message) == before


async def test_reset_link_page_rechecks_new_password_and_confirmation():
    tab = Browser(routes.RESET_PASSWORD)
    s = tab.state(ResetPasswordState)
    s.errors = {"password": "Use at least 12 characters.", "confirm_password": "The passwords don't match."}
    await fire(tab, ResetPasswordState, "recheck_field", name="password", value=PASSWORD, related="")
    assert s.errors == {"confirm_password": "The passwords don't match."}
    await fire(tab, ResetPasswordState, "recheck_field", name="confirm_password", value=PASSWORD, related=PASSWORD)
    assert s.errors == {}


async def test_settings_change_password_rechecks_and_never_touches_the_current_password():
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    await fire(
        tab,
        SettingsState,
        "change_password",
        form_data={"current_password": ALICE.password, "new_password": WEAK, "confirm_password": WEAK},
    )
    s = tab.state(SettingsState)
    assert s.errors["new_password"].startswith("Use at least 12 characters")
    await fire(tab, SettingsState, "recheck_field", name="new_password", value="Lantern-Orchid-Basalt-19", related="")
    assert "new_password" not in s.errors

    s.errors = {"current_password": "The current password is incorrect."}
    await fire(tab, SettingsState, "recheck_field", name="current_password", value="anything", related="")
    assert s.errors == {"current_password": "The current password is incorrect."}  # only a submit can tell


async def test_the_lockout_rule_reads_the_settings(monkeypatch):
    assert lockout_rule() == "For your security, 5 wrong tries lock the log-in for 15 minutes."
    monkeypatch.setenv("HCPAY_LOCKOUT_THRESHOLD", "3")
    monkeypatch.setenv("HCPAY_LOCKOUT_DURATION", "3600")
    get_settings.cache_clear()
    try:
        assert lockout_rule() == "For your security, 3 wrong tries lock the log-in for 60 minutes."
        monkeypatch.setenv("HCPAY_LOCKOUT_THRESHOLD", "1")
        monkeypatch.setenv("HCPAY_LOCKOUT_DURATION", "60")
        get_settings.cache_clear()
        assert lockout_rule() == "For your security, 1 wrong try locks the log-in for 1 minute."
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_log_in_marks_a_blank_field_clears_it_when_typed_and_never_marks_a_wrong_pair():
    tab = Browser("/")
    await fire(tab, LoginState, "login", form_data={"username": ALICE.username, "password": ""})
    s = tab.state(LoginState)
    assert s.errors == {"password": "Enter your password."} and s.error == "Enter your username and password."
    out = await fire(tab, LoginState, "recheck_field", name="password", value="typed-something", related="")
    assert s.errors == {} and s.error == ""
    assert "typed-something" not in out.seen

    await fire(tab, LoginState, "login", form_data={"username": ALICE.username, "password": "Wrong-Password-000"})
    assert s.errors == {} and "incorrect" in s.error  # one answer for every failure: no field is blamed


async def test_forgot_pages_recheck_their_field_but_a_refusal_stays_until_the_next_submit():
    tab = Browser(routes.FORGOT_USERNAME)
    await fire(tab, ForgotUsernameState, "request_username", form_data={"email": "nope"})
    s = tab.state(ForgotUsernameState)
    assert "name@example.com" in s.errors["email"]
    await fire(tab, ForgotUsernameState, "recheck_field", name="email", value="still-nope", related="")
    assert "email" in s.errors
    await fire(tab, ForgotUsernameState, "recheck_field", name="email", value=ALICE.email, related="")
    assert s.errors == {}

    tab = Browser(routes.FORGOT_PASSWORD)
    await fire(tab, ForgotPasswordState, "request_reset", form_data={"identifier": "  "})
    s = tab.state(ForgotPasswordState)
    assert "identifier" in s.errors
    await fire(tab, ForgotPasswordState, "recheck_field", name="identifier", value=ALICE.username, related="")
    assert s.errors == {}

    s._refused, s.errors = True, {"identifier": "Too many requests."}
    await fire(tab, ForgotPasswordState, "recheck_field", name="identifier", value=ALICE.username, related="")
    assert s.errors == {"identifier": "Too many requests."}
