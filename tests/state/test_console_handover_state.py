"""A console tab handed over to a member: the agent had a member's record open, then a member
logged in on the same browser (another tab shares the cookie, and `_begin` there revokes the
agent's session). Reflex keeps the console tab's state on the server and re-sends all of it when
that tab hydrates, so the record must be forgotten as soon as the tab sees a session that isn't
staff, exactly as it is when the staff session simply ends.
"""

from __future__ import annotations

import pytest

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import authn
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.session import SessionState
from tests.state.console_flow import World, assert_no_member_data, cached_world, staff_browser
from tests.state.state_harness import ALICE, BOB, Browser, fire, resolve, service_login

pytestmark = pytest.mark.asyncio

HANDOVER_BUG = (
    "staff_login_redirect (console handlers) and SessionState.require_staff answer a *member* session "
    "with a bare redirect and leave ConsoleState as it was, so the previous agent's open member record "
    "stays in the tab and is re-sent to the member's browser on the next hydrate"
)


@pytest.fixture
def world(db, tmp_path_factory) -> World:
    return cached_world(db, tmp_path_factory)


async def handed_over(w: World) -> Browser:
    """A console tab with BOB's record open, now carrying ALICE's session cookie."""
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    await fire(tab, ConsoleState, "open_member", member_id=w.bob_member)
    assert tab.state(ConsoleState).record is not None
    staff_token = tab.cookie()
    with session_scope() as s:  # what LoginState.login → SessionState._begin in the other tab does
        authn.logout(s, staff_token, ip="test", now=clock.utcnow())
    tab.set_cookie(service_login(ALICE))
    return tab


async def test_the_member_is_refused_in_a_handed_over_console_tab(world):
    tab = await handed_over(world)
    out = await fire(tab, ConsoleState, "search", form_data={"query": "Okonkwo"})
    assert out.redirects == [routes.LOGIN]
    assert tab.state(ConsoleState).results == []
    assert resolve(tab.cookie()).username == ALICE.username  # the member is refused, not logged out
    assert_no_member_data(out.seen, BOB)


@pytest.mark.parametrize("handler", ["console-load", "console-search", "require_staff"])
async def test_a_handed_over_console_tab_forgets_the_previous_record(world, handler):
    tab = await handed_over(world)
    if handler == "require_staff":
        out = await fire(tab, SessionState, "require_staff")
        assert out.redirects == [routes.DASHBOARD]
    else:
        name = handler.removeprefix("console-")
        out = await fire(tab, ConsoleState, name, **({"form_data": {"query": "x"}} if name == "search" else {}))
        assert out.redirects == [routes.LOGIN]
    assert tab.state(ConsoleState).record is None
    assert_no_member_data(tab.public(), BOB)  # what the tab's next hydrate would send
