"""Refunds from the browser: a member can only ask (RefundRequestState, their own credit, as the
server-side session says), never refund; logged out, nothing runs; and no state handler that
refunds or decides a refund works for a member's tab.

`state_harness` is imported first (through billing_seed) so the test environment is set before
hcpay_app loads."""

from __future__ import annotations

import contextlib
import inspect

import pytest
import reflex as rx
from sqlmodel import func, select

from hcpay_app.db import session_scope
from hcpay_app.models import EntryKind, Refund, RefundRequest, SupportTicket
from hcpay_app.services.billing import ledger
from hcpay_app.state.refund_request import RefundRequestState
from tests.state.billing_seed import NOW, TODAY, Billing, account_of, seed_billing
from tests.state.state_harness import ALICE, BOB, Browser, fire, logged_in_browser

pytestmark = pytest.mark.asyncio


@pytest.fixture
def billing(db) -> Billing:
    seeded = seed_billing()
    with session_scope() as s:  # Bob paid a little more than his bills: a $50.00 credit
        ledger.post(
            s,
            account_id=account_of(BOB).id,
            kind=EntryKind.CREDIT,
            amount_cents=-5000,
            effective_on=TODAY,
            now=NOW,
            description="Overpayment",
        )
        s.commit()
    return seeded


def rows(model) -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()


async def test_logged_out_nothing_runs(billing, make_browser):
    tab: Browser = make_browser("/dashboard")
    out = await fire(tab, RefundRequestState, "request_refund")
    assert out.redirects and out.redirects[0].startswith("/")
    assert (rows(RefundRequest), rows(SupportTicket), rows(Refund)) == (0, 0, 0)
    await fire(tab, RefundRequestState, "load")
    assert tab.state(RefundRequestState).credit == ""


async def test_a_member_with_a_credit_asks_for_it_back(billing):
    tab = await logged_in_browser(BOB)
    await fire(tab, RefundRequestState, "load")
    state = tab.state(RefundRequestState)
    assert state.credit == "$50.00" and state.can_request

    out = await fire(tab, RefundRequestState, "request_refund")

    assert True in out.busy  # the button shows it is working
    assert "We received your refund request T-" in state.message
    assert not state.can_request and state.status == "requested"
    with session_scope() as s:
        request = s.exec(select(RefundRequest)).one()
        assert request.billing_account_id == account_of(BOB).id and request.amount_cents == 5000
        assert s.get(SupportTicket, request.ticket_id).topic == "refund_request"
    # Asking again while it waits writes nothing more; nothing was refunded by asking.
    await fire(tab, RefundRequestState, "request_refund")
    assert (rows(RefundRequest), rows(Refund)) == (1, 0)


async def test_a_member_without_a_credit_cannot_ask(billing):
    tab = await logged_in_browser(ALICE)
    await fire(tab, RefundRequestState, "load")
    assert not tab.state(RefundRequestState).can_request
    await fire(tab, RefundRequestState, "request_refund")
    assert "no credit" in tab.state(RefundRequestState).errors["refund"]
    assert rows(RefundRequest) == 0


async def test_the_members_handlers_take_nothing_from_the_browser():
    """Nothing a browser sends can name an account, an amount or a payment to refund."""
    for name in ("load", "request_refund"):
        handler = RefundRequestState.event_handlers[name]
        assert list(inspect.signature(handler.fn).parameters) == ["self"]


def _refund_handlers() -> list[tuple[type[rx.State], str]]:
    found = []
    for cls in _all_states(rx.State):
        for name in cls.event_handlers:
            if any(word in name for word in ("refund", "dispute")) and cls is not RefundRequestState:
                found.append((cls, name))
    return found


def _all_states(root: type[rx.State]) -> list[type[rx.State]]:
    out = []
    for child in root.get_substates():
        out.append(child)
        out.extend(_all_states(child))
    return out


async def test_members_never_reach_staff_refund_handlers(billing):
    """Every other handler about refunds or disputes (the console's) refuses a member's tab and
    writes nothing, whatever it is sent."""
    import hcpay_app.pages  # noqa: F401  (registers every page's state)

    assert RefundRequestState in _all_states(rx.State)  # the walk sees every state
    for cls, name in _refund_handlers():
        tab = await logged_in_browser(BOB, url="/console")
        handler = cls.event_handlers[name]
        params = [p for p in inspect.signature(handler.fn).parameters if p != "self"]
        payload = {p: ({} if "form" in p else "1") for p in params}
        with contextlib.suppress(Exception):  # a refusal by exception is a refusal too
            await fire(tab, cls, name, **payload)
        assert (rows(Refund), rows(RefundRequest)) == (0, 0), f"{cls.__name__}.{name} worked for a member"
