"""A guarded page's on-load work as one event (`PageLoadState.open_page`, state/page_load.py).

Every guarded page of the real page table opens with one event that runs its guard and then its
loaders, with the member's session looked up once. The guard still decides: a visitor, a revoked
session or staff on a member page are sent away and no loader runs. Outside that event, each
handler looks the session up itself (a session revoked between two events is noticed).
"""

from __future__ import annotations

import urllib.parse

import pytest
from sqlalchemy import event

from hcpay_app import clock, routes
from hcpay_app.db import get_engine, session_scope
from hcpay_app.pages import page_table
from hcpay_app.services.accounts import authn
from hcpay_app.state.base import ServiceState
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.methods import MethodsState
from hcpay_app.state.page_load import PageLoadState
from hcpay_app.state.refund_request import RefundRequestState
from hcpay_app.state.reminders import RemindersState
from hcpay_app.state.session import SessionState
from tests.state.console_flow import World, cached_world, staff_browser
from tests.state.state_harness import ALICE, Browser, Outcome, fire, logged_in_browser, resolve, service_login
from tests.support.connections import connections_in_use

GUARDED = [spec for spec in page_table() if isinstance(spec.on_load, list)]
MEMBER_PAGES = [spec for spec in GUARDED if spec.on_load[0] == SessionState.require_login]
ENDED = "Your session has ended. Please log in again."


@pytest.fixture(autouse=True)
def registered_pages():
    """The page table's on-load events, as `register_pages` builds them for the app."""
    for spec in GUARDED:
        assert spec.load_event() == PageLoadState.open_page


@pytest.fixture
def world(db, tmp_path_factory) -> World:
    """Members with bills and a support agent (console_flow)."""
    return cached_world(db, tmp_path_factory)


@pytest.fixture
def lookups(monkeypatch) -> list[str]:
    """Every lookup of a session token in the database."""
    seen: list[str] = []
    real = authn.resolve

    def counted(session, token, *, now):
        seen.append(token)
        return real(session, token, now=now)

    monkeypatch.setattr(authn, "resolve", counted)
    return seen


@pytest.fixture
def loaded(monkeypatch) -> list[type]:
    """The states whose service calls ran (every loader works through `ServiceState._call`)."""
    ran: list[type] = []
    real = ServiceState._call

    def recorded(self, fn, /, **kwargs):
        ran.append(type(self))
        return real(self, fn, **kwargs)

    monkeypatch.setattr(ServiceState, "_call", recorded)
    return ran


@pytest.fixture
def checkouts(db) -> list[object]:
    """Every connection the app's engine hands out from its pool (one per database session)."""
    seen: list[object] = []

    def note(_dbapi, record, _proxy) -> None:
        seen.append(record)

    event.listen(get_engine(), "checkout", note)
    yield seen
    event.remove(get_engine(), "checkout", note)


async def opened_by_alice(route: str, *spies: list) -> tuple[Browser, Outcome]:
    """Alice, logged in, opens `route`; the spies see only what opening it did."""
    tab = await logged_in_browser(ALICE, route)
    for spy in spies:
        spy.clear()
    return tab, await fire(tab, PageLoadState, "open_page")


def with_db_logout(token: str) -> None:
    with session_scope() as s:
        authn.logout(s, token, ip="test", now=clock.utcnow())


def test_every_guarded_page_has_its_guard_first_and_something_to_load():
    assert {spec.route for spec in MEMBER_PAGES} >= {routes.DASHBOARD, routes.PAY, routes.HISTORY, routes.SETTINGS}
    assert all(len(spec.on_load) >= 2 for spec in GUARDED)
    assert all(spec.on_load[0] in (SessionState.require_login, SessionState.require_staff) for spec in GUARDED)


@pytest.mark.asyncio
async def test_the_dashboard_opens_in_one_event_with_one_session_lookup(db, lookups, loaded):
    tab, out = await opened_by_alice(routes.DASHBOARD, lookups, loaded)
    assert out.events == []
    assert lookups == [tab.cookie()]  # the guard and both loaders: one lookup
    assert loaded == [DashboardState, RefundRequestState]
    session = tab.state(SessionState)
    assert session.logged_in is True and session.display_name == ALICE.username
    assert tab.state(DashboardState).loaded is True
    assert tab.state(DashboardState).view.profile.first_name == ALICE.first_name
    assert len(out.frames) == 1  # one answer to the browser: one render


@pytest.mark.asyncio
async def test_opening_a_page_again_sends_only_what_changed(db, lookups, loaded):
    """The session's own vars are set only when they change: the second open of the page sends the
    browser (and, scale-out, Redis) nothing of SessionState."""
    tab, _first = await opened_by_alice(routes.DASHBOARD, lookups, loaded)
    again = await fire(tab, PageLoadState, "open_page")
    assert again.events == [] and SessionState.get_full_name() not in again.seen
    assert tab.state(SessionState).logged_in is True


@pytest.mark.asyncio
async def test_settings_runs_both_of_its_loaders_in_order(db, lookups, loaded):
    tab, out = await opened_by_alice(routes.SETTINGS, lookups, loaded)
    assert out.events == [] and len(lookups) == 1
    assert loaded == [MethodsState, RemindersState]


@pytest.mark.asyncio
@pytest.mark.parametrize("spec", MEMBER_PAGES, ids=[spec.route for spec in MEMBER_PAGES])
async def test_every_member_page_opens_for_a_member_with_one_lookup(db, lookups, loaded, spec):
    tab, out = await opened_by_alice(spec.route, lookups, loaded)
    assert out.redirects == [] and lookups == [tab.cookie()]
    assert set(loaded) == {loader.state for loader in spec.on_load[1:]}


@pytest.mark.asyncio
@pytest.mark.parametrize("spec", MEMBER_PAGES, ids=[spec.route for spec in MEMBER_PAGES])
async def test_every_member_page_opens_with_one_database_session(db, checkouts, loaded, spec):
    """The guard's lookup, the unread count and every loader's reads: one connection from the pool
    (each had its own, with a ping, a BEGIN and a ROLLBACK), given back when the event ends."""
    with connections_in_use(get_engine()) as in_use:
        tab, out = await opened_by_alice(spec.route, checkouts, loaded)
    assert out.redirects == [] and loaded  # the loaders ran and read the database
    assert len(checkouts) == 1
    assert in_use() == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("spec", MEMBER_PAGES, ids=[spec.route for spec in MEMBER_PAGES])
async def test_a_visitor_is_sent_to_log_in_and_no_loader_runs(db, lookups, loaded, spec):
    tab = Browser(spec.route)
    before = {loader.state: tab.public_of(loader.state) for loader in spec.on_load[1:]}
    out = await fire(tab, PageLoadState, "open_page")
    assert out.redirects == ["/?" + urllib.parse.urlencode({"next": spec.route})]
    assert lookups == [] and loaded == []
    assert {cls: tab.public_of(cls) for cls in before} == before


@pytest.mark.asyncio
async def test_a_revoked_session_is_sent_to_log_in_before_anything_loads(db, loaded):
    token = service_login(ALICE)
    with_db_logout(token)
    tab = Browser(routes.DASHBOARD)
    tab.set_cookie(token)
    out = await fire(tab, PageLoadState, "open_page")
    assert out.redirects == ["/?next=%2Fdashboard"] and loaded == []
    assert tab.state(SessionState).notice == ENDED and tab.cookie() == ""
    assert tab.state(DashboardState).view is None


@pytest.mark.asyncio
async def test_a_session_revoked_between_two_events_is_noticed_by_the_second(db):
    tab = await logged_in_browser(ALICE, routes.DASHBOARD)
    assert (await fire(tab, PageLoadState, "open_page")).events == []
    with_db_logout(tab.cookie())
    out = await fire(tab, PageLoadState, "open_page")  # a reload: its own lookup
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert tab.state(DashboardState).view is None  # what the first load showed is forgotten


@pytest.mark.asyncio
async def test_staff_on_a_member_page_go_to_the_console_and_nothing_loads(world, loaded):
    tab = await staff_browser(routes.DASHBOARD)
    loaded.clear()
    out = await fire(tab, PageLoadState, "open_page")
    assert out.redirects == [routes.CONSOLE] and loaded == []
    assert tab.state(DashboardState).view is None and resolve(tab.cookie()) is not None


@pytest.mark.asyncio
async def test_the_console_opens_for_staff_and_sends_a_member_away(world, loaded):
    staff = await staff_browser(routes.CONSOLE)
    loaded.clear()
    assert (await fire(staff, PageLoadState, "open_page")).redirects == []
    assert loaded == [ConsoleState]

    member = await logged_in_browser(ALICE, routes.CONSOLE)
    loaded.clear()
    out = await fire(member, PageLoadState, "open_page")
    assert out.redirects == [routes.DASHBOARD] and loaded == []


@pytest.mark.asyncio
async def test_a_page_without_guarded_loaders_is_left_alone(db, lookups):
    tab = Browser(routes.HELP)
    tab.set_cookie(service_login(ALICE))
    out = await fire(tab, PageLoadState, "open_page")
    assert out.events == [] and lookups == []
