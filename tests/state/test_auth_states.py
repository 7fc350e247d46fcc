"""Log in, the session cookie, the page guards and log out — LoginState and SessionState."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import authn
from hcpay_app.state.autopay import AutopayState
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.login import LoginState
from hcpay_app.state.session import MEMBER_STATES, SessionState
from hcpay_app.state.settings import SettingsState
from tests.state.state_harness import (
    ALICE,
    BOB,
    Browser,
    event_names,
    fire,
    logged_in_browser,
    resolve,
    service_login,
)

pytestmark = pytest.mark.asyncio

LOGIN_FAILED = authn.LOGIN_FAILED
ENTER_BOTH = "Enter your username and password."
ENDED = "Your session has ended. Please log in again."

# A token of the right shape that the server never issued (fixed, so parallel workers collect the same tests).
FORGED_TOKEN = "Zq3t9xV0mK2-hR7bLw4yNc8sPd1fGj6eUa5oTi0XYZk"


def credentials(p=ALICE, **overrides):
    return {"username": p.username, "password": p.password, **overrides}


# --------------------------------------------------------------------------------------------
# LoginState.login
# --------------------------------------------------------------------------------------------


async def test_login_success_sets_a_cookie_that_resolves_and_goes_to_the_dashboard(browser: Browser):
    out = await fire(browser, LoginState, "login", form_data=credentials())

    token = browser.cookie()
    assert token, "no session cookie after a good log-in"
    user = resolve(token)
    assert user is not None and user.username == ALICE.username
    assert out.redirects == [routes.DASHBOARD]
    # The button showed "Logging in…" while bcrypt ran, and is usable again afterwards.
    assert out.busy[0] is True
    login = browser.state(LoginState)
    assert login.processing is False and login.error == ""
    session = browser.state(SessionState)
    assert session.logged_in is True and session.display_name == ALICE.username and session.notice == ""


async def test_login_is_case_insensitive_on_username_and_tolerates_surrounding_spaces(browser: Browser):
    out = await fire(browser, LoginState, "login", form_data=credentials(username=f"  {ALICE.username.upper()} "))
    assert out.redirects == [routes.DASHBOARD]
    assert resolve(browser.cookie()).username == ALICE.username


async def test_each_login_issues_a_new_token(browser: Browser):
    await fire(browser, LoginState, "login", form_data=credentials())
    first = browser.cookie()
    await fire(browser, LoginState, "login", form_data=credentials())
    second = browser.cookie()
    assert first != second and resolve(second) is not None


@pytest.mark.parametrize("target", sorted(routes.PROTECTED))
async def test_login_returns_to_a_protected_page_named_in_next(make_browser, target: str):
    tab = make_browser(f"/?next={target}")
    out = await fire(tab, LoginState, "login", form_data=credentials())
    assert out.redirects == [target]


@pytest.mark.parametrize(
    "next_param",
    [
        "https://evil.example",
        "https%3A%2F%2Fevil.example%2Fdashboard",
        "//evil",
        "//evil.example/dashboard",
        "/\\evil.example",
        "javascript:alert(1)",
        "/dashboard/../../evil",
        "/dashboard?x=1",
        "/dashboard%0d%0aLocation:%20https://evil.example",
        "/register",
        "",
        "%2F%2Fevil.example",
        "http://localhost:3000/settings",
    ],
)
async def test_login_never_follows_next_outside_the_protected_pages(make_browser, next_param: str):
    tab = make_browser(f"/?next={next_param}")
    out = await fire(tab, LoginState, "login", form_data=credentials())
    assert out.redirects == [routes.DASHBOARD]


async def test_login_with_a_repeated_next_uses_a_safe_value_only(make_browser):
    tab = make_browser("/?next=https://evil.example&next=/settings")
    out = await fire(tab, LoginState, "login", form_data=credentials())
    assert out.redirects[0] in routes.PROTECTED


@pytest.mark.parametrize(
    "form",
    [
        {"username": ALICE.username, "password": "Wrong-Password-123"},
        {"username": "nobody-here", "password": ALICE.password},
        {"username": BOB.username, "password": ALICE.password},
        {"username": ALICE.username, "password": ALICE.password.upper()},
    ],
)
async def test_login_failure_shows_one_message_and_sets_no_cookie(browser: Browser, form):
    out = await fire(browser, LoginState, "login", form_data=form)

    login = browser.state(LoginState)
    assert login.error == LOGIN_FAILED
    assert login.processing is False
    assert browser.cookie() == ""
    assert browser.state(SessionState).logged_in is False
    assert out.redirects == []


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"username": "", "password": "x"},
        {"username": "   ", "password": "x"},
        {"username": ALICE.username, "password": ""},
    ],
)
async def test_login_with_a_blank_field_asks_for_both_without_calling_the_service(browser: Browser, form):
    out = await fire(browser, LoginState, "login", form_data=form)
    assert browser.state(LoginState).error == ENTER_BOTH
    assert out.yields == 0 and out.redirects == [] and browser.cookie() == ""


async def test_login_locks_after_repeated_failures_even_with_the_right_password(browser: Browser):
    threshold = get_settings().lockout_threshold
    for _ in range(threshold):
        await fire(browser, LoginState, "login", form_data=credentials(password="Wrong-Password-123"))
    assert "Too many unsuccessful log-in attempts" in browser.state(LoginState).error

    out = await fire(browser, LoginState, "login", form_data=credentials())
    assert "Too many unsuccessful log-in attempts" in browser.state(LoginState).error
    assert out.redirects == [] and browser.cookie() == ""


async def test_a_failed_login_keeps_a_previous_error_cleared_on_success(browser: Browser):
    await fire(browser, LoginState, "login", form_data=credentials(password="nope-nope-nope"))
    assert browser.state(LoginState).error == LOGIN_FAILED
    await fire(browser, LoginState, "login", form_data=credentials())
    assert browser.state(LoginState).error == ""


async def test_login_ignores_a_second_submit_while_the_first_is_running(browser: Browser):
    browser.state(LoginState).processing = True
    out = await fire(browser, LoginState, "login", form_data=credentials())
    assert out.events == [] and out.yields == 0 and browser.cookie() == ""


HUGE = "x" * 1_000_000
WRONG_TYPES = [
    None,
    0,
    12345,
    -1.5,
    True,
    "username=alice.w&password=secret",
    [],
    [ALICE.username, ALICE.password],
    [{"username": ALICE.username, "password": ALICE.password}],
    {"username": None, "password": None},
    {"username": 42, "password": 42},
    {"username": [ALICE.username], "password": [ALICE.password]},
    {"username": {"$ne": ""}, "password": {"$ne": ""}},
    {"username": ALICE.username, "password": None},
    {"username": ALICE.username, "password": 0},
    {"username": ALICE.username, "password": HUGE},
    {"username": HUGE, "password": HUGE},
    {"username": ALICE.username + "\x00", "password": ALICE.password},
    {"username": "' OR 1=1 --", "password": "' OR 1=1 --"},
    {"username": ALICE.username, "password": ALICE.password + "€" * 40},  # > 72 bytes: never truncated to a match
]


@pytest.mark.parametrize("form_data", WRONG_TYPES, ids=lambda v: type(v).__name__ + ":" + repr(v)[:30])
async def test_login_with_wrong_types_never_raises_and_never_logs_in(browser: Browser, form_data):
    out = await fire(browser, LoginState, "login", form_data=form_data)
    login = browser.state(LoginState)
    assert login.error in (ENTER_BOTH, LOGIN_FAILED)
    assert login.processing is False
    assert browser.cookie() == "" and out.redirects == []


async def test_login_clear_resets_the_form_state(browser: Browser):
    await fire(browser, LoginState, "login", form_data=credentials(password="nope-nope-nope"))
    await fire(browser, LoginState, "clear")
    assert browser.state(LoginState).error == "" and browser.state(LoginState).processing is False


# --------------------------------------------------------------------------------------------
# SessionState guards
# --------------------------------------------------------------------------------------------


async def test_redirect_if_logged_in_sends_a_member_with_a_live_session_to_the_dashboard(browser: Browser):
    browser.set_cookie(service_login(ALICE))
    out = await fire(browser, SessionState, "redirect_if_logged_in")
    assert out.redirects == [routes.DASHBOARD]
    assert browser.state(SessionState).logged_in is True


@pytest.mark.parametrize("cookie", ["", "garbage", FORGED_TOKEN, "x" * 5000])
async def test_redirect_if_logged_in_leaves_anyone_else_on_the_login_page(browser: Browser, cookie: str):
    browser.set_cookie(cookie)
    out = await fire(browser, SessionState, "redirect_if_logged_in")
    assert out.events == []
    assert browser.state(SessionState).logged_in is False


async def test_require_login_lets_a_member_in_and_shows_their_name(make_browser):
    tab = make_browser("/settings")
    tab.set_cookie(service_login(ALICE))
    out = await fire(tab, SessionState, "require_login")
    assert out.events == []
    session = tab.state(SessionState)
    assert session.logged_in is True and session.display_name == ALICE.username


@pytest.mark.parametrize("page", [routes.DASHBOARD, routes.SETTINGS])
async def test_require_login_sends_a_visitor_to_log_in_and_back(make_browser, page: str):
    tab = make_browser(page)
    out = await fire(tab, SessionState, "require_login")
    assert out.redirects == [f"/?next=%2F{page.strip('/')}"]
    session = tab.state(SessionState)
    assert session.notice == "" and session.logged_in is False


async def test_require_login_with_a_revoked_cookie_forgets_it_and_says_the_session_ended(make_browser):
    token = service_login(ALICE)
    with_db_logout(token)
    tab = make_browser(routes.DASHBOARD)
    tab.set_cookie(token)
    out = await fire(tab, SessionState, "require_login")
    assert out.redirects == ["/?next=%2Fdashboard"]
    session = tab.state(SessionState)
    assert tab.cookie() == "" and session.notice == ENDED and session.logged_in is False


async def test_an_idle_session_expires(make_browser):
    tab = make_browser(routes.DASHBOARD)
    tab.set_cookie(service_login(ALICE))
    clock.shift(dt.timedelta(seconds=get_settings().session_idle + 1))
    out = await fire(tab, SessionState, "require_login")
    assert out.redirects == ["/?next=%2Fdashboard"] and tab.cookie() == ""


async def test_a_forged_cookie_of_the_right_shape_gets_nothing(make_browser):
    tab = make_browser(routes.SETTINGS)
    tab.set_cookie(secrets.token_urlsafe(32))
    out = await fire(tab, SessionState, "require_login")
    assert out.redirects == ["/?next=%2Fsettings"]
    assert tab.state(SessionState).display_name == ""


def with_db_logout(token: str) -> None:
    with session_scope() as s:
        authn.logout(s, token, ip="test", now=clock.utcnow())


# --------------------------------------------------------------------------------------------
# SessionState.logout
# --------------------------------------------------------------------------------------------


async def test_logout_revokes_the_session_on_the_server_and_forgets_member_data():
    tab = await logged_in_browser(ALICE)
    token = tab.cookie()
    await fire(tab, DashboardState, "load")
    assert tab.state(DashboardState).view.profile.full_name == "Alice Whitfield"
    settings_state = tab.state(SettingsState)
    settings_state.saved, settings_state.errors, settings_state.form_key = "saved!", {"x": "y"}, 3

    out = await fire(tab, SessionState, "logout")

    assert resolve(token) is None, "the token still works after log-out"
    assert out.redirects == [routes.LOGIN]
    session = tab.state(SessionState)
    assert tab.cookie() == "" and session.logged_in is False and session.display_name == ""
    assert session.notice == "You have been logged out."
    assert DashboardState in MEMBER_STATES and SettingsState in MEMBER_STATES
    for cls in MEMBER_STATES:
        assert tab.public_of(cls) == Browser().public_of(cls), f"{cls.__name__} kept member data after log-out"
    # What the browser received says so too: the member's name is gone from the tab.
    assert "Whitfield" not in tab.public()


async def test_a_page_load_that_log_out_overtook_keeps_the_logged_out_notice():
    """The page's on-load event, still in flight when Log out ran, arrives after it: it sends the
    visitor to log in without erasing what Log out said."""
    tab = await logged_in_browser(ALICE)
    await fire(tab, SessionState, "logout")
    out = await fire(tab, SessionState, "require_login")
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert tab.state(SessionState).notice == "You have been logged out."
    # A guard that has something to say still says it: a revoked session's notice replaces it.
    tab = await logged_in_browser(ALICE)
    with_db_logout(tab.cookie())
    await fire(tab, SessionState, "require_login")
    assert tab.state(SessionState).notice == ENDED


async def test_log_in_on_a_fresh_tab_sends_no_member_state_to_the_browser(browser: Browser):
    """Nothing to forget: no member state is reset, so none is sent again (in the scale-out mode,
    none is written back to Redis either)."""
    out = await fire(browser, LoginState, "login", form_data=credentials())
    assert out.redirects == [routes.DASHBOARD]
    for cls in MEMBER_STATES:
        assert cls.get_full_name() not in out.seen, f"{cls.__name__} was reset and sent for nothing"


async def test_log_in_over_another_members_tab_forgets_their_data_backend_vars_included():
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "load")
    assert tab.state(DashboardState).view.profile.full_name == "Alice Whitfield"
    autopay_state = tab.state(AutopayState)
    autopay_state._reviewed = {"mandate": "Alice's reviewed terms"}  # a backend var: never sent, still forgotten
    out = await fire(tab.navigate("/"), LoginState, "login", form_data=credentials(BOB))
    assert out.redirects == [routes.DASHBOARD] and resolve(tab.cookie()).username == BOB.username
    assert "Whitfield" not in tab.public()
    assert tab.public_of(DashboardState) == Browser().public_of(DashboardState)
    assert autopay_state._reviewed == {}


async def test_a_replayed_token_gets_nothing_after_logout():
    tab = await logged_in_browser(ALICE)
    token = tab.cookie()
    await fire(tab, SessionState, "logout")

    thief = Browser("/dashboard", ip="192.0.2.66")
    thief.set_cookie(token)
    out = await fire(thief, DashboardState, "load")
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert thief.state(DashboardState).loaded is False


async def test_logout_only_ends_this_browsers_session():
    tab = await logged_in_browser(ALICE)
    other_device = service_login(ALICE)
    await fire(tab, SessionState, "logout")
    assert resolve(other_device) is not None


async def test_logout_without_a_session_just_goes_to_log_in(browser: Browser):
    out = await fire(browser, SessionState, "logout")
    assert out.redirects == [routes.LOGIN] and browser.cookie() == ""


async def test_logout_with_a_forged_cookie_revokes_nobody(browser: Browser):
    live = service_login(ALICE)
    browser.set_cookie(secrets.token_urlsafe(32))
    await fire(browser, SessionState, "logout")
    assert resolve(live) is not None


async def test_login_then_logout_events_are_plain_redirects(browser: Browser):
    out = await fire(browser, LoginState, "login", form_data=credentials())
    assert event_names(out) == ["_redirect"]
    out = await fire(browser, SessionState, "logout")
    assert event_names(out) == ["_redirect"]
