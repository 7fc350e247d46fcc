"""The console's tables in the state (ConsoleState.sort_table / filter_table): sorting and filtering
run on the server, on the rows stored for the record the agent opened; the browser names only a
table, a column or filter and an option, each checked against the table's spec. Members, tabs
without a session and tabs whose staff session ended get nothing. Data: `console_flow.build_world`
(BOB's billing, a scheduled payment, an open ticket), clock pinned to Tue Nov 24, 2026.
"""

from __future__ import annotations

import re
import secrets

import pytest
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Payment
from hcpay_app.services.accounts import authn
from hcpay_app.services.payments import statuses
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.login import LoginState
from tests.state.console_flow import (
    REASON,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    World,
    assert_no_member_data,
    cached_world,
    snapshot,
    staff_browser,
)
from tests.state.state_harness import ALICE, BOB, Browser, fire, logged_in_browser, resolve, service_login

pytestmark = pytest.mark.asyncio

TABLE_HANDLERS = {
    "sort_table": {"table": "payments", "column": "amount"},
    "filter_table": {"table": "payments", "key": "status", "value": "succeeded"},
}


@pytest.fixture
def world(db, tmp_path_factory) -> World:
    return cached_world(db, tmp_path_factory)


def bob_payments() -> list[Payment]:
    with session_scope() as s:
        account = s.exec(select(BillingAccount).where(BillingAccount.account_number == BOB.account_number)).one()
        return list(s.exec(select(Payment).where(Payment.billing_account_id == account.id)).all())


def cents(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


async def bob_tab(w: World) -> Browser:
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    await fire(tab, ConsoleState, "open_member", member_id=w.bob_member)
    return tab


def rows(tab: Browser) -> list[dict[str, str]]:
    return tab.state(ConsoleState).table_rows["payments"]


async def test_opening_a_record_shows_its_payments_newest_first_with_empty_refund_and_dispute_tables(world):
    tab = await bob_tab(world)
    console, stored = tab.state(ConsoleState), bob_payments()
    assert sorted(r["reference"] for r in rows(tab)) == sorted(p.reference for p in stored)
    newest = sorted(stored, key=lambda p: (p.payment_date, p.id), reverse=True)
    assert [r["reference"] for r in rows(tab)] == [p.reference for p in newest]
    assert set(rows(tab)[0]) == {"date", "reference", "method", "amount", "status"}  # display strings only
    assert console.table_rows["refunds"] == [] and console.table_rows["disputes"] == []
    assert console.table_aria["payments.date"] == "descending" and console.table_aria["payments.amount"] == "none"
    assert console.table_summary["payments"] == f"Showing {len(stored)} of {len(stored)}"
    assert console.table_summary["refunds"] == "Showing 0 of 0"
    assert all(not key.startswith("_") for table in console.table_rows.values() for row in table for key in row)
    assert '"_amount"' not in tab.public() and '"_status"' not in tab.public()  # raw sort keys stay on the server


async def test_sort_by_amount_then_reverse_then_by_status(world):
    tab = await bob_tab(world)
    stored = bob_payments()
    await fire(tab, ConsoleState, "sort_table", table="payments", column="amount")
    assert [cents(r["amount"]) for r in rows(tab)] == sorted((p.amount_cents for p in stored), reverse=True)
    assert tab.state(ConsoleState).table_aria["payments.amount"] == "descending"
    assert tab.state(ConsoleState).table_aria["payments.date"] == "none"
    await fire(tab, ConsoleState, "sort_table", table="payments", column="amount")
    assert [cents(r["amount"]) for r in rows(tab)] == sorted(p.amount_cents for p in stored)
    assert tab.state(ConsoleState).table_aria["payments.amount"] == "ascending"
    await fire(tab, ConsoleState, "sort_table", table="payments", column="status")
    assert [r["status"] for r in rows(tab)] == sorted(statuses.LABELS[p.status] for p in stored)


async def test_filter_by_status_and_method_on_the_server(world):
    tab = await bob_tab(world)
    stored = bob_payments()
    assert {p.status for p in stored} >= {"succeeded", "scheduled"}
    await fire(tab, ConsoleState, "filter_table", table="payments", key="status", value="scheduled")
    scheduled = [p.reference for p in stored if p.status == "scheduled"]
    assert [r["reference"] for r in rows(tab)] == scheduled
    assert tab.state(ConsoleState).table_filters["payments.status"] == "scheduled"
    assert tab.state(ConsoleState).table_summary["payments"] == f"Showing {len(scheduled)} of {len(stored)}"
    kinds = {p.method_kind for p in stored if p.status == "scheduled"}
    other = "bank" if "card" in kinds else "card"
    await fire(tab, ConsoleState, "filter_table", table="payments", key="method", value=other)
    assert rows(tab) == []
    await fire(tab, ConsoleState, "filter_table", table="payments", key="status", value="")
    assert sorted(r["reference"] for r in rows(tab)) == sorted(p.reference for p in stored if p.method_kind == other)


@pytest.mark.parametrize(
    ("handler", "payload"),
    [
        ("sort_table", {"table": "payments", "column": "reference"}),
        ("sort_table", {"table": "payments", "column": "_amount"}),
        ("sort_table", {"table": "ledger", "column": "amount"}),
        ("sort_table", {"table": None, "column": None}),
        ("sort_table", {"table": ["payments"], "column": {"x": 1}}),
        ("filter_table", {"table": "payments", "key": "status", "value": "stolen"}),
        ("filter_table", {"table": "payments", "key": "_status", "value": "declined"}),
        ("filter_table", {"table": "payments", "key": "status", "value": 7}),
        ("filter_table", {"table": "users", "key": "status", "value": ""}),
        ("filter_table", {"table": 1, "key": None, "value": None}),
    ],
)
async def test_junk_table_arguments_change_nothing(world, handler, payload):
    tab = await bob_tab(world)
    before = tab.public_of(ConsoleState)
    out = await fire(tab, ConsoleState, handler, **payload)
    assert out.redirects == [] and out.events == []
    assert tab.public_of(ConsoleState) == before


async def test_sorting_without_an_open_record_does_nothing(world):
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    before = tab.public_of(ConsoleState)
    await fire(tab, ConsoleState, "sort_table", table="payments", column="amount")
    assert tab.public_of(ConsoleState) == before and tab.state(ConsoleState).table_rows == {}


async def test_sorting_and_filters_stay_after_an_action_and_reset_for_another_member(world):
    tab = await bob_tab(world)
    await fire(tab, ConsoleState, "sort_table", table="payments", column="amount")
    await fire(tab, ConsoleState, "filter_table", table="payments", key="method", value="card")
    shown = rows(tab)
    await fire(tab, ConsoleState, "unlock", form_data={"reason": REASON})  # an action reloads the record
    assert tab.state(ConsoleState).message.startswith("Done.")
    assert rows(tab) == shown and tab.state(ConsoleState).table_aria["payments.amount"] == "descending"
    await fire(tab, ConsoleState, "open_member", member_id=world.alice_member)
    console = tab.state(ConsoleState)
    assert console.table_aria["payments.date"] == "descending" and console.table_filters["payments.method"] == ""


async def test_the_record_and_queue_carry_flags_and_role_labels(world):
    tab = await bob_tab(world)
    console = tab.state(ConsoleState)
    assert console.record.flags == []  # BOB's history has nothing unusual
    [queued] = [t for t in console.tickets if t.number == world.ticket_number]
    assert (queued.member_name, queued.account_number, queued.flags) == ("Bob Okonkwo", BOB.account_number, [])
    assert queued.age.endswith(("min", "h", "d")) and queued.messages[0].author == "Member — Bob Okonkwo"


# --------------------------------------------------------------------------------------------
# Nobody but a logged-in agent (password and second factor) reaches the table handlers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("handler", list(TABLE_HANDLERS))
@pytest.mark.parametrize("identity", ["none", "forged", "alice"])
async def test_table_handlers_refuse_anyone_but_staff(world, handler, identity):
    if identity == "alice":
        tab = await logged_in_browser(ALICE, url=routes.CONSOLE)
    else:
        tab = Browser(routes.CONSOLE)
        tab.set_cookie({"none": "", "forged": secrets.token_urlsafe(32)}[identity])
    tab.root._clean()
    defaults = Browser().public_of(ConsoleState)
    before = snapshot()
    out = await fire(tab, ConsoleState, handler, **TABLE_HANDLERS[handler])
    assert out.redirects == [routes.LOGIN]
    assert snapshot() == before
    assert tab.public_of(ConsoleState) == defaults
    assert_no_member_data(out.seen, BOB, ALICE)


@pytest.mark.parametrize("handler", list(TABLE_HANDLERS))
@pytest.mark.parametrize("identity", ["revoked", "forged", "alice"])
async def test_a_tab_whose_staff_session_ended_can_no_longer_sort_or_filter(world, handler, identity):
    tab = await bob_tab(world)
    if identity == "revoked":
        with session_scope() as s:
            authn.logout(s, tab.cookie(), ip="test", now=clock.utcnow())
    elif identity == "forged":
        tab.set_cookie(secrets.token_urlsafe(32))
    else:
        tab.set_cookie(service_login(ALICE))
    tab.root._clean()
    out = await fire(tab, ConsoleState, handler, **TABLE_HANDLERS[handler])
    assert out.redirects == [routes.LOGIN]
    assert_no_member_data(out.seen, BOB, ALICE)
    assert tab.state(ConsoleState).table_rows in ({}, {"payments": [], "refunds": [], "disputes": []})


async def test_a_password_without_the_second_factor_is_not_a_staff_session(world):
    """Half a staff log-in (password accepted, code not yet given) reaches no table handler."""
    tab = Browser("/")
    out = await fire(tab, LoginState, "login", form_data={"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
    assert tab.state(LoginState).needs_code and resolve(tab.cookie()) is None  # no session until the code
    tab.navigate(routes.CONSOLE)
    out = await fire(tab, ConsoleState, "sort_table", **TABLE_HANDLERS["sort_table"])
    assert out.redirects == [routes.LOGIN]
    assert_no_member_data(out.seen, BOB)
