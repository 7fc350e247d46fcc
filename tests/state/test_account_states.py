"""Settings → change password, Forgot Password / Username, the reset link, the dev mailbox."""

from __future__ import annotations

import base64
import secrets

import pytest

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import authn, recovery
from hcpay_app.state.mailbox import MailboxState, MailView
from hcpay_app.state.recovery import (
    ForgotPasswordState,
    ForgotUsernameState,
    ResetPasswordState,
)
from hcpay_app.state.session import SessionState
from hcpay_app.state.settings import SettingsState
from tests.state.state_harness import (
    ALICE,
    BOB,
    Browser,
    emails,
    event_names,
    fire,
    latest_email,
    latest_reset_token,
    logged_in_browser,
    password_hash,
    password_works,
    resolve,
    service_login,
)

pytestmark = pytest.mark.asyncio

NEW_PASSWORD = "Lantern-Orchid-Basalt-19"

# A token of the right shape that the server never issued (fixed, so parallel workers collect the same tests).
FORGED_TOKEN = "Zq3t9xV0mK2-hR7bLw4yNc8sPd1fGj6eUa5oTi0XYZk"


def change_form(current=ALICE.password, new=NEW_PASSWORD, confirm=None) -> dict:
    return {"current_password": current, "new_password": new, "confirm_password": new if confirm is None else confirm}


# --------------------------------------------------------------------------------------------
# SettingsState.change_password
# --------------------------------------------------------------------------------------------


async def test_change_password_for_the_logged_in_member():
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    other_device = service_login(ALICE)
    bob_session = service_login(BOB)

    out = await fire(tab, SettingsState, "change_password", form_data=change_form())

    s = tab.state(SettingsState)
    assert s.saved.startswith("Your password has been changed") and s.errors == {}
    assert s.form_key == 1 and s.processing is False and out.busy[0] is True
    assert not any(name.startswith("_call_") for name in event_names(out))  # server scripts need eval: CSP
    assert password_works(ALICE, NEW_PASSWORD) and not password_works(ALICE, ALICE.password)
    # This session survives, every other one of Alice's ends, Bob is untouched.
    assert resolve(tab.cookie()) is not None
    assert resolve(other_device) is None
    assert resolve(bob_session) is not None
    assert latest_email(ALICE.email, "password_changed") is not None
    for secret in (ALICE.password, NEW_PASSWORD, "$2b$"):
        assert secret not in tab.public() and secret not in out.seen


async def test_change_password_without_a_session_redirects_and_changes_nothing(make_browser):
    before = password_hash(ALICE.username)
    tab = make_browser(routes.SETTINGS)
    out = await fire(tab, SettingsState, "change_password", form_data=change_form())
    assert out.redirects == ["/?next=%2Fsettings"]
    assert password_hash(ALICE.username) == before
    assert tab.state(SettingsState).saved == ""


@pytest.mark.parametrize("forged", [FORGED_TOKEN, "A" * 43, "x", "' OR 1=1 --"])
async def test_change_password_with_a_forged_cookie_changes_nothing(make_browser, forged: str):
    before = {p.username: password_hash(p.username) for p in (ALICE, BOB)}
    tab = make_browser(routes.SETTINGS)
    tab.set_cookie(forged)
    out = await fire(tab, SettingsState, "change_password", form_data=change_form())
    assert out.redirects == ["/?next=%2Fsettings"]
    assert tab.cookie() == ""
    assert {p.username: password_hash(p.username) for p in (ALICE, BOB)} == before
    assert emails(ALICE.email, "password_changed") == []


async def test_change_password_with_a_revoked_cookie_changes_nothing():
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    with session_scope() as s:
        authn.logout(s, tab.cookie(), ip="test", now=clock.utcnow())
    before = password_hash(ALICE.username)
    out = await fire(tab, SettingsState, "change_password", form_data=change_form())
    assert out.redirects == ["/?next=%2Fsettings"]
    assert password_hash(ALICE.username) == before


async def test_change_password_acts_only_on_the_cookies_owner_whatever_the_form_says():
    tab = await logged_in_browser(BOB, url=routes.SETTINGS)
    before = password_hash(ALICE.username)
    form = {**change_form(current=BOB.password), "username": ALICE.username, "user_id": 1, "actor": ALICE.username}
    await fire(tab, SettingsState, "change_password", form_data=form)
    assert password_hash(ALICE.username) == before
    assert password_works(BOB, NEW_PASSWORD)


async def test_change_password_needs_the_current_password():
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    before = password_hash(ALICE.username)
    await fire(tab, SettingsState, "change_password", form_data=change_form(current="Not-The-Password-1"))
    s = tab.state(SettingsState)
    assert s.errors == {"current_password": "Your current password is incorrect."} and s.saved == ""
    assert password_hash(ALICE.username) == before


async def test_change_password_confirmation_must_match_before_any_work():
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    out = await fire(tab, SettingsState, "change_password", form_data=change_form(confirm=NEW_PASSWORD + "!"))
    assert tab.state(SettingsState).errors == {"confirm_password": "The new passwords don't match."}
    assert out.busy == [] and password_works(ALICE, ALICE.password)


@pytest.mark.parametrize("new", [ALICE.password, "password1234", "short", "Ω" * 40])
async def test_change_password_refuses_a_weak_or_unchanged_new_password(new):
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    await fire(tab, SettingsState, "change_password", form_data=change_form(new=new))
    assert set(tab.state(SettingsState).errors) == {"new_password"}
    assert password_works(ALICE, ALICE.password)


HUGE = "z" * 1_000_000


@pytest.mark.parametrize(
    "form_data",
    [
        None,
        0,
        [],
        "current_password=x",
        [change_form()],
        {"current_password": None, "new_password": None, "confirm_password": None},
        {"current_password": 1, "new_password": 2, "confirm_password": 2},
        {"current_password": [ALICE.password], "new_password": [NEW_PASSWORD], "confirm_password": [NEW_PASSWORD]},
        {"current_password": HUGE, "new_password": HUGE, "confirm_password": HUGE},
        {"current_password": ALICE.password, "new_password": HUGE, "confirm_password": HUGE},
    ],
    ids=lambda v: type(v).__name__ + ":" + repr(v)[:24],
)
async def test_change_password_survives_wrong_types(form_data):
    tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    await fire(tab, SettingsState, "change_password", form_data=form_data)
    s = tab.state(SettingsState)
    assert s.errors and s.saved == "" and s.processing is False
    assert password_works(ALICE, ALICE.password)
    assert HUGE[:200] not in tab.public()


# --------------------------------------------------------------------------------------------
# ForgotPasswordState / ForgotUsernameState
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier", [ALICE.username, ALICE.username.upper(), ALICE.email, f"  {ALICE.email.upper()} "]
)
async def test_forgot_password_sends_a_link_for_a_username_or_email(make_browser, identifier):
    tab = make_browser(routes.FORGOT_PASSWORD)
    out = await fire(tab, ForgotPasswordState, "request_reset", form_data={"identifier": identifier})
    s = tab.state(ForgotPasswordState)
    assert s.sent is True and s.errors == {} and s.processing is False and out.busy[0] is True
    assert latest_email(ALICE.email, "password_reset") is not None
    # The token travels only by email.
    assert latest_reset_token(ALICE.email) not in tab.public()


async def test_forgot_password_for_nobody_looks_the_same_and_sends_nothing(make_browser):
    known, unknown = make_browser(routes.FORGOT_PASSWORD), make_browser(routes.FORGOT_PASSWORD)
    await fire(known, ForgotPasswordState, "request_reset", form_data={"identifier": ALICE.username})
    await fire(unknown, ForgotPasswordState, "request_reset", form_data={"identifier": "no.such.person"})
    assert known.public_of(ForgotPasswordState) == unknown.public_of(ForgotPasswordState)
    assert emails("no.such.person", "password_reset") == []


@pytest.mark.parametrize(
    "form_data",
    [
        None,
        5,
        [],
        {},
        {"identifier": None},
        {"identifier": ["alice.w"]},
        {"identifier": "   "},
        {"identifier": {"$ne": 1}},
    ],
)
async def test_forgot_password_asks_for_an_identifier_and_never_raises(make_browser, form_data):
    tab = make_browser(routes.FORGOT_PASSWORD)
    await fire(tab, ForgotPasswordState, "request_reset", form_data=form_data)
    s = tab.state(ForgotPasswordState)
    assert set(s.errors) == {"identifier"} and s.sent is False and s.processing is False


async def test_forgot_password_with_a_huge_identifier_never_raises(make_browser):
    tab = make_browser(routes.FORGOT_PASSWORD)
    await fire(tab, ForgotPasswordState, "request_reset", form_data={"identifier": "q" * 1_000_000})
    assert tab.state(ForgotPasswordState).sent is True
    assert "q" * 300 not in tab.public()


async def test_forgot_password_start_resets_the_page(make_browser):
    tab = make_browser(routes.FORGOT_PASSWORD)
    await fire(tab, ForgotPasswordState, "request_reset", form_data={"identifier": ALICE.username})
    await fire(tab, ForgotPasswordState, "start")
    assert tab.public_of(ForgotPasswordState) == Browser().public_of(ForgotPasswordState)


async def test_forgot_username_emails_the_username(make_browser):
    tab = make_browser(routes.FORGOT_USERNAME)
    await fire(tab, ForgotUsernameState, "request_username", form_data={"email": ALICE.email.upper()})
    assert tab.state(ForgotUsernameState).sent is True
    message = latest_email(ALICE.email, "username_reminder")
    assert message is not None and ALICE.username in message.body
    assert ALICE.username not in tab.public()


@pytest.mark.parametrize(
    "form_data",
    [
        None,
        1,
        [],
        {},
        {"email": None},
        {"email": "not-an-email"},
        {"email": ["a@example.com"]},
        {"email": "x" * 1_000_000},
    ],
)
async def test_forgot_username_validates_and_never_raises(make_browser, form_data):
    tab = make_browser(routes.FORGOT_USERNAME)
    await fire(tab, ForgotUsernameState, "request_username", form_data=form_data)
    s = tab.state(ForgotUsernameState)
    assert set(s.errors) == {"email"} and s.sent is False and s.processing is False


# --------------------------------------------------------------------------------------------
# ResetPasswordState
# --------------------------------------------------------------------------------------------


def request_reset_for(p=ALICE) -> str:
    with session_scope() as s:
        recovery.request_password_reset(s, identifier=p.username, ip="test", now=clock.utcnow())
    return latest_reset_token(p.email)


@pytest.mark.parametrize(
    "query",
    ["", "?token=", "?token=nope", f"?token={FORGED_TOKEN}", "?token=" + "A" * 500, "?token=%00%00%00", "?tok=abc"],
    ids=["none", "empty", "short", "forged", "huge", "nul", "other-param"],
)
async def test_a_bad_reset_link_stays_invalid_and_set_password_does_nothing(make_browser, query):
    tab = make_browser(routes.RESET_PASSWORD + query)
    out = await fire(tab, ResetPasswordState, "open_link")
    s = tab.state(ResetPasswordState)
    assert s.link_valid is False and s.checked is True
    assert event_names(out) == []  # the page itself cleans the address bar once `checked` (CSP forbids eval)

    before = {p.username: password_hash(p.username) for p in (ALICE, BOB)}
    public_before = tab.public_of(ResetPasswordState)
    out = await fire(
        tab, ResetPasswordState, "set_password", form_data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert out.events == [] and out.yields == 0
    assert tab.public_of(ResetPasswordState) == public_before
    assert {p.username: password_hash(p.username) for p in (ALICE, BOB)} == before


async def test_set_password_without_opening_a_link_does_nothing(make_browser):
    tab = make_browser(routes.RESET_PASSWORD)
    before = password_hash(ALICE.username)
    out = await fire(
        tab, ResetPasswordState, "set_password", form_data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert out.events == [] and password_hash(ALICE.username) == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("link_valid", True, id="link_valid"),
        pytest.param("_token", "x" * 43, id="_token"),
        pytest.param("token", "x" * 43, id="token"),
    ],
)
async def test_the_browser_cannot_mark_a_link_valid(make_browser, name, value):
    tab = make_browser(routes.RESET_PASSWORD + "?token=nope")
    await fire(tab, ResetPasswordState, "open_link")
    with pytest.raises(AttributeError):
        await fire(tab, ResetPasswordState, "setvar", var_name=name, value=value)
    assert tab.state(ResetPasswordState).link_valid is False


async def test_a_good_reset_link_sets_the_password_once_and_ends_every_session(make_browser):
    token = request_reset_for(ALICE)
    live = service_login(ALICE)
    tab = make_browser(f"{routes.RESET_PASSWORD}?token={token}")
    tab.set_cookie(live)

    out = await fire(tab, ResetPasswordState, "open_link")
    s = tab.state(ResetPasswordState)
    assert s.link_valid is True and s.checked is True
    assert token not in tab.public() and token not in out.seen  # it stays in the backend var

    out = await fire(
        tab, ResetPasswordState, "set_password", form_data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert out.redirects == [routes.LOGIN]
    assert password_works(ALICE, NEW_PASSWORD)
    assert resolve(live) is None
    session = tab.state(SessionState)
    assert tab.cookie() == "" and session.logged_in is False
    assert session.notice.startswith("Your password has been changed")
    assert tab.public_of(ResetPasswordState) == Browser().public_of(ResetPasswordState)
    for secret in (NEW_PASSWORD, token, "$2b$"):
        assert secret not in tab.public() and secret not in out.seen

    # Single use: the tab forgot the link, and the same link is dead now.
    another = "Another-Fresh-Passphrase-88"
    out = await fire(
        tab, ResetPasswordState, "set_password", form_data={"password": another, "confirm_password": another}
    )
    assert out.events == [] and password_works(ALICE, NEW_PASSWORD)
    again = make_browser(f"{routes.RESET_PASSWORD}?token={token}")
    await fire(again, ResetPasswordState, "open_link")
    assert again.state(ResetPasswordState).link_valid is False


async def test_a_reset_link_that_dies_while_open_reports_it(make_browser):
    token = request_reset_for(ALICE)
    tab = make_browser(f"{routes.RESET_PASSWORD}?token={token}")
    await fire(tab, ResetPasswordState, "open_link")
    assert tab.state(ResetPasswordState).link_valid is True
    # The password changes elsewhere: every outstanding link dies with the old one.
    settings_tab = await logged_in_browser(ALICE, url=routes.SETTINGS)
    await fire(settings_tab, SettingsState, "change_password", form_data=change_form())

    another = "Another-Fresh-Passphrase-88"
    out = await fire(
        tab, ResetPasswordState, "set_password", form_data={"password": another, "confirm_password": another}
    )
    s = tab.state(ResetPasswordState)
    assert s.link_valid is False and s.message == recovery.LINK_DEAD and out.redirects == []
    assert password_works(ALICE, NEW_PASSWORD)


async def test_reset_confirmation_and_strength_are_checked(make_browser):
    token = request_reset_for(ALICE)
    tab = make_browser(f"{routes.RESET_PASSWORD}?token={token}")
    await fire(tab, ResetPasswordState, "open_link")
    await fire(
        tab,
        ResetPasswordState,
        "set_password",
        form_data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "?"},
    )
    assert tab.state(ResetPasswordState).errors == {"confirm_password": "The passwords don't match."}
    await fire(
        tab,
        ResetPasswordState,
        "set_password",
        form_data={"password": "password1234", "confirm_password": "password1234"},
    )
    assert set(tab.state(ResetPasswordState).errors) == {"password"}
    assert tab.state(ResetPasswordState).link_valid is True  # still usable after a weak try
    assert password_works(ALICE, ALICE.password)


@pytest.mark.parametrize(
    "form_data",
    [
        None,
        3,
        [],
        {"password": None, "confirm_password": None},
        {"password": ["x"], "confirm_password": ["x"]},
        {"password": "p" * 1_000_000, "confirm_password": "p" * 1_000_000},
    ],
    ids=lambda v: type(v).__name__ + ":" + repr(v)[:20],
)
async def test_set_password_survives_wrong_types(make_browser, form_data):
    token = request_reset_for(ALICE)
    tab = make_browser(f"{routes.RESET_PASSWORD}?token={token}")
    await fire(tab, ResetPasswordState, "open_link")
    await fire(tab, ResetPasswordState, "set_password", form_data=form_data)
    s = tab.state(ResetPasswordState)
    assert s.errors and s.processing is False and s.link_valid is True
    assert password_works(ALICE, ALICE.password)


# --------------------------------------------------------------------------------------------
# MailboxState (development only)
# --------------------------------------------------------------------------------------------


async def test_mailbox_lists_the_outbox_outside_production(make_browser):
    request_reset_for(ALICE)
    tab = make_browser(routes.DEV_MAILBOX)
    await fire(tab, MailboxState, "load")
    messages = tab.state(MailboxState).messages
    assert messages and messages[0].subject == "Reset your Health Connector password"
    assert messages[0].recipient == ALICE.email


async def test_mailbox_is_empty_in_production(make_browser, monkeypatch):
    request_reset_for(ALICE)
    monkeypatch.setenv("HCPAY_ENV", "production")
    monkeypatch.setenv("SMTP_HOST", "smtp.invalid")
    for name in ("HCPAY_SSN_KEY", "HCPAY_INDEX_KEY", "HCPAY_CODE_KEY"):
        monkeypatch.setenv(name, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    get_settings.cache_clear()
    tab = make_browser(routes.DEV_MAILBOX)
    tab.state(MailboxState).messages = [MailView(1, "x@example.com", "stale", "stale", "now")]
    await fire(tab, MailboxState, "load")
    assert tab.state(MailboxState).messages == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5"])
async def test_mailbox_is_empty_when_the_server_listens_beyond_loopback(make_browser, monkeypatch, host):
    request_reset_for(ALICE)
    monkeypatch.setenv("REFLEX_BACKEND_HOST", host)
    get_settings.cache_clear()
    tab = make_browser(routes.DEV_MAILBOX)
    await fire(tab, MailboxState, "load")
    assert tab.state(MailboxState).messages == []
