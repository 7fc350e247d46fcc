"""Card testing stopped (issue 14, point 2) through the real handlers: guests read one decline
message whatever the reason; after the caps, Make a Payment, guest pay and adding a card refuse
before anything reaches the processor. Billing from `billing_seed` (Alice owes $800.00)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from hcpay_app.db import session_scope
from hcpay_app.models import SandboxCharge
from hcpay_app.services.payments import card_guard
from tests.state.pay_flow import CARD_NSF, card_form
from tests.state.test_guest_state import GuestTab
from tests.state.test_pay_state import journey, today_form

pytestmark = pytest.mark.asyncio

DECLINING = ["4000000000000002", "4000000000009995", "4000000000000069"]  # generic, funds, expired


def processor_charges() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(SandboxCharge)).one()


async def guest_attempt(g: GuestTab, number: str) -> str:
    await g.fire("choose", form_data={"amount": "40", **card_form(number)})
    await g.fire("submit")
    return g.state.message


async def test_guests_read_one_message_whatever_the_reason(billing):
    g = await GuestTab().verified()
    messages = {await guest_attempt(g, number) for number in DECLINING[:2]}
    assert messages == {card_guard.GUEST_DECLINED}


async def test_a_guest_tab_is_refused_after_the_session_cap_before_the_processor(billing):
    g = await GuestTab().verified()
    for number in DECLINING:
        assert await guest_attempt(g, number) == card_guard.GUEST_DECLINED
    charged = processor_charges()
    assert await guest_attempt(g, "4242424242424242") == card_guard.TOO_MANY_DECLINES
    assert processor_charges() == charged and g.state.step != "done"


async def test_one_card_is_refused_in_a_fresh_tab_after_the_card_cap(billing):
    for _ in range(3):
        g = await GuestTab(ip="198.51.100.77").verified()
        assert await guest_attempt(g, CARD_NSF) == card_guard.GUEST_DECLINED
    fresh = await GuestTab(ip="198.51.100.78").verified()
    assert await guest_attempt(fresh, CARD_NSF) == card_guard.TOO_MANY_DECLINES
    ok = await GuestTab(ip="198.51.100.79").verified()  # another card from elsewhere: served
    await guest_attempt(ok, "4242424242424242")
    assert ok.state.step == "done"


async def test_make_a_payment_stops_after_the_accounts_declines_across_tabs(billing):
    for number in [*DECLINING, "4000000000000002", "4000000000009995"]:  # five declines, one tab each
        j = await journey()
        await j.fire("submit_amount", form_data=today_form())
        await j.fire("submit_method", form_data=card_form(number))
        await j.fire("submit_payment")
        assert j.pay.step == "method" and j.pay.message != card_guard.TOO_MANY_DECLINES
    j = await journey()
    await j.fire("submit_amount", form_data=today_form())
    await j.fire("submit_method", form_data=card_form("4242424242424242"))
    charged = processor_charges()
    await j.fire("submit_payment")
    assert j.pay.message == card_guard.TOO_MANY_DECLINES and processor_charges() == charged
