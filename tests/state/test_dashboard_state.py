"""DashboardState.load: only for a live session, only the member's own data, secrets masked."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

import pytest

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import authn
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.login import LoginState
from hcpay_app.state.session import SessionState
from tests.state.state_harness import (
    ALICE,
    BOB,
    Browser,
    fire,
    logged_in_browser,
    resolve,
    service_login,
)

pytestmark = pytest.mark.asyncio

ENDED = "Your session has ended. Please log in again."


def revoke(token: str) -> None:
    with session_scope() as s:
        authn.logout(s, token, ip="test", now=clock.utcnow())


def assert_nothing_loaded(tab: Browser) -> None:
    assert tab.public_of(DashboardState) == Browser().public_of(DashboardState)
    for person in (ALICE, BOB):
        assert person.member_number not in tab.public()
        assert person.last_name not in tab.public()


async def test_load_without_a_cookie_redirects_to_log_in_and_loads_nothing(make_browser):
    tab = make_browser(routes.DASHBOARD)
    out = await fire(tab, DashboardState, "load")
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert tab.state(SessionState).notice == ""
    assert_nothing_loaded(tab)


@pytest.mark.parametrize(
    "cookie",
    [
        "not-a-token",
        secrets.token_urlsafe(32),  # the right shape, issued by nobody
        "A" * 43,
        "x" * 101,
        "x" * 1_000_000,
        "' OR '1'='1",
        "\u202e" * 30,
    ],
    ids=["garbage", "forged", "uniform", "too-long", "huge", "sql", "bidi"],
)
async def test_load_with_an_invalid_cookie_redirects_clears_it_and_loads_nothing(make_browser, cookie: str):
    tab = make_browser(routes.DASHBOARD)
    tab.set_cookie(cookie)
    out = await fire(tab, DashboardState, "load")
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert tab.cookie() == ""
    assert tab.state(SessionState).notice == ENDED
    assert_nothing_loaded(tab)


async def test_load_with_a_revoked_cookie_redirects_and_loads_nothing(make_browser):
    token = service_login(ALICE)
    revoke(token)
    tab = make_browser(routes.DASHBOARD)
    tab.set_cookie(token)
    out = await fire(tab, DashboardState, "load")
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert tab.cookie() == ""
    assert_nothing_loaded(tab)


async def test_load_after_the_idle_timeout_redirects_and_loads_nothing(make_browser):
    tab = make_browser(routes.DASHBOARD)
    tab.set_cookie(service_login(ALICE))
    clock.shift(dt.timedelta(seconds=get_settings().session_idle + 5))
    out = await fire(tab, DashboardState, "load")
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert_nothing_loaded(tab)


async def test_load_with_a_live_session_shows_the_members_own_masked_overview():
    tab = await logged_in_browser(ALICE)
    out = await fire(tab, DashboardState, "load")

    assert out.events == []
    d = tab.state(DashboardState)
    assert d.loaded is True
    me = d.view.profile
    assert me.first_name == "Alice" and me.full_name == "Alice Whitfield"
    assert me.member_number == ALICE.member_number
    assert me.account_number == ALICE.account_number
    assert me.plan_name == ALICE.plan_name
    assert me.monthly_premium == "$450.00"
    assert d.view.coverage_text == "Pending first payment"
    assert re.fullmatch(r"•••-••-\d{4}", me.masked_ssn) and me.masked_ssn.endswith(ALICE.ssn[-4:])
    assert me.masked_email == "a•••@example.com"
    # The full SSN, the email and the date of birth never reach the browser, in any form.
    seen = tab.public() + out.seen
    born = ALICE.date_of_birth
    for secret in (
        ALICE.ssn,
        ALICE.ssn_digits,
        ALICE.ssn_digits[:5],
        ALICE.email,
        born.isoformat(),
        born.strftime("%m/%d/%Y"),
    ):
        assert secret not in seen


async def test_the_view_the_browser_receives_holds_only_what_the_dashboard_shows():
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "load")
    dashboard = json.loads(tab.public())[DashboardState.get_full_name()]
    sent = next(value for key, value in dashboard.items() if key.startswith("view"))
    assert set(sent["profile"]) == {
        "first_name",
        "full_name",
        "member_number",
        "masked_ssn",
        "masked_email",
        "account_number",
        "plan_name",
        "monthly_premium",
    }
    assert ALICE.username not in json.dumps(dashboard)


async def test_each_member_sees_only_their_own_overview():
    alice_tab = await logged_in_browser(ALICE)
    bob_tab = await logged_in_browser(BOB)
    await fire(alice_tab, DashboardState, "load")
    await fire(bob_tab, DashboardState, "load")
    assert alice_tab.state(DashboardState).view.profile.member_number == ALICE.member_number
    assert bob_tab.state(DashboardState).view.profile.member_number == BOB.member_number
    assert BOB.member_number not in alice_tab.public() and "Okonkwo" not in alice_tab.public()
    assert ALICE.member_number not in bob_tab.public() and "Whitfield" not in bob_tab.public()


async def test_load_follows_the_cookie_not_the_tab():
    """Re-resolving the user on every handler: swapping the cookie swaps whose data loads."""
    tab = await logged_in_browser(ALICE)
    tab.set_cookie(service_login(BOB))
    await fire(tab, DashboardState, "load")
    assert tab.state(DashboardState).view.profile.member_number == BOB.member_number


async def test_load_keeps_the_session_alive():
    tab = await logged_in_browser(ALICE)
    clock.shift(dt.timedelta(seconds=get_settings().session_idle - 60))
    await fire(tab, DashboardState, "load")
    clock.shift(dt.timedelta(seconds=120))  # idle since the load: 2 minutes, not 16
    assert resolve(tab.cookie()) is not None


async def test_an_ended_session_also_forgets_the_member_data_already_in_the_tab():
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "load")
    assert tab.state(DashboardState).view.profile.full_name == "Alice Whitfield"

    revoke(tab.cookie())  # e.g. the password was reset on another device, or the session went idle
    out = await fire(tab, DashboardState, "load")

    assert out.redirects == ["/?next=%2Fdashboard"]
    assert_nothing_loaded(tab)


async def test_a_new_login_in_the_same_tab_starts_without_the_previous_members_data():
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "load")
    clock.shift(dt.timedelta(seconds=get_settings().session_idle + 5))  # Alice walks away

    tab.navigate("/")
    await fire(tab, LoginState, "login", form_data={"username": BOB.username, "password": BOB.password})

    assert resolve(tab.cookie()).username == BOB.username
    assert "Whitfield" not in tab.public() and ALICE.member_number not in tab.public()
