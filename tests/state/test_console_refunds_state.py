"""Refunds on the support console (ConsoleState): an agent fills in the form, reads the review (with
the unpaid-bill warning when the refund is more than the credit), confirms, and the refund is issued
once, as reviewed — the browser can't change the terms after review, and a second Confirm refunds
nothing more. Members' refund requests are approved or declined here. Members never reach any of it.

Data: `console_flow.build_world`, clock pinned to Tue Nov 24, 2026; ALICE then pays everything she
owes plus $100.00 by card through the real checkout, so she has a $100.00 credit.
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Payment, Refund, RefundStatus
from hcpay_app.services.accounts import authn
from hcpay_app.services.billing import ledger
from hcpay_app.services.payments import checkout
from hcpay_app.services.support import refund_review
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.refund_request import RefundRequestState
from tests.state.console_flow import REASON, World, cached_world, staff_browser
from tests.state.state_harness import ALICE, Browser, fire, logged_in_browser, service_login

pytestmark = pytest.mark.asyncio

CREDIT_CENTS = 10000


@pytest.fixture
def world(db, tmp_path_factory) -> World:
    return cached_world(db, tmp_path_factory)


def alice_account() -> BillingAccount:
    with session_scope() as s:
        return s.exec(select(BillingAccount).where(BillingAccount.account_number == ALICE.account_number)).one()


def overpay_by_card(number: str = "4242424242424242") -> str:
    """ALICE pays everything owed (as shown) plus $100.00 by card (the sandbox's good Visa); its reference."""
    account = alice_account()
    with session_scope() as s:
        who = authn.resolve(s, service_login(ALICE), now=clock.utcnow())
        owed = settled_balance(s, account.id)
        choice = checkout.new_card(
            card_number=number,
            expiry="12/30",
            cvc="123",
            name="Alice Member",
            billing_zip="02110",
            save=False,
            today=clock.today(),
        )
        result = checkout.submit(
            s,
            who,
            idempotency_key=checkout.new_idempotency_key(),
            choice=choice,
            amount_cents=owed + CREDIT_CENTS,
            payment_date=clock.today(),
            today=clock.today(),
            now=clock.utcnow(),
        )
        return result.reference


def settled_balance(s, account_id: int) -> int:
    """What the member owes as shown (a pending bank debit doesn't count until it clears)."""
    return ledger.account_position(s, account_id, clock.today(), settled=True).balance_cents


def refunds() -> list[Refund]:
    with session_scope() as s:
        return list(s.exec(select(Refund).order_by(Refund.id)).all())


async def alice_record(w: World) -> Browser:
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    await fire(tab, ConsoleState, "open_member", member_id=w.alice_member)
    return tab


async def test_a_refund_of_the_credit_is_reviewed_confirmed_once_and_shown(world):
    reference = overpay_by_card()
    tab = await alice_record(world)
    c = tab.state(ConsoleState)
    assert reference in [p.reference for p in c.refundable]

    await fire(tab, ConsoleState, "review_refund", form_data={"payment": reference, "amount": "100", "reason": REASON})
    review = c.refund_review
    assert review is not None and c.errors == {}
    assert (review.payment_reference, review.amount, review.reason, review.warning) == (
        reference,
        "$100.00",
        REASON,
        "",
    )
    assert refunds() == []  # nothing happens before Confirm

    await fire(tab, ConsoleState, "confirm_refund")
    await fire(tab, ConsoleState, "confirm_refund")  # a double click: nothing more
    [refund] = refunds()
    assert (refund.amount_cents, refund.status, refund.reason) == (CREDIT_CENTS, RefundStatus.REFUNDED, REASON)
    assert c.message.startswith(f"Refund {refund.reference} of $100.00") and c.refund_review is None
    assert [row["reference"] for row in c.table_rows["refunds"]] == [refund.reference]
    with session_scope() as s:
        assert settled_balance(s, alice_account().id) == 0  # the credit went back; nothing is owed


async def test_a_refund_larger_than_the_credit_warns_before_confirming(world):
    reference = overpay_by_card()
    tab = await alice_record(world)
    await fire(tab, ConsoleState, "review_refund", form_data={"payment": reference, "amount": "150", "reason": REASON})
    review = tab.state(ConsoleState).refund_review
    assert review is not None and "$50.00" in review.warning and refunds() == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"payment": "", "amount": "10", "reason": REASON}, "payment"),
        ({"payment": "HC-NOT-A-REAL-REF", "amount": "10", "reason": REASON}, "payment"),
        ({"amount": "ten", "reason": REASON}, "amount"),
        ({"amount": "10", "reason": "no"}, "reason"),
    ],
)
async def test_a_bad_refund_form_says_which_field_and_reviews_nothing(world, form, field):
    reference = overpay_by_card()
    tab = await alice_record(world)
    await fire(tab, ConsoleState, "review_refund", form_data={"payment": reference, **form})
    c = tab.state(ConsoleState)
    assert field in c.errors and c.refund_review is None
    await fire(tab, ConsoleState, "confirm_refund")
    assert refunds() == []


async def test_more_than_is_left_of_the_payment_is_refused(world):
    reference = overpay_by_card()
    with session_scope() as s:
        paid = s.exec(select(Payment.amount_cents).where(Payment.reference == reference)).one()
    tab = await alice_record(world)
    too_much = f"{(paid + 1) / 100:.2f}"
    await fire(
        tab, ConsoleState, "review_refund", form_data={"payment": reference, "amount": too_much, "reason": REASON}
    )
    c = tab.state(ConsoleState)
    assert "left to refund" in c.errors["amount"] and c.refund_review is None


async def test_another_members_payment_cannot_be_refunded_from_this_record(world):
    reference = overpay_by_card()  # ALICE's payment, tried from BOB's record
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    await fire(tab, ConsoleState, "open_member", member_id=world.bob_member)
    await fire(tab, ConsoleState, "review_refund", form_data={"payment": reference, "amount": "10", "reason": REASON})
    c = tab.state(ConsoleState)
    assert c.errors.get("payment") == refund_review.PICK_A_PAYMENT and c.refund_review is None


async def test_confirm_issues_the_reviewed_terms_whatever_the_browser_sends_later(world):
    reference = overpay_by_card()
    tab = await alice_record(world)
    await fire(tab, ConsoleState, "review_refund", form_data={"payment": reference, "amount": "20", "reason": REASON})
    tab.state(ConsoleState).refund_review = None  # what a tampering browser could touch: the public copy
    await fire(tab, ConsoleState, "confirm_refund")
    [refund] = refunds()
    assert refund.amount_cents == 2000


@pytest.mark.parametrize("handler", ["review_refund", "confirm_refund", "approve_refund_request"])
async def test_members_never_reach_the_refund_handlers(world, handler):
    overpay_by_card()
    member = await logged_in_browser(ALICE)
    payload = {
        "review_refund": {"form_data": {"payment": "x", "amount": "100", "reason": REASON}},
        "confirm_refund": {},
        "approve_refund_request": {"request_id": 1},
    }[handler]
    out = await fire(member, ConsoleState, handler, **payload)
    assert out.redirects, "a member must be sent away"
    assert refunds() == []
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Refund)).one() == 0


async def ask_for_the_credit() -> None:
    """ALICE selects "Request a refund" beside her credit on the dashboard."""
    member = await logged_in_browser(ALICE)
    await fire(member, RefundRequestState, "load")
    await fire(member, RefundRequestState, "request_refund")


async def test_staff_approve_a_members_refund_request_from_the_queue(world):
    overpay_by_card()
    await ask_for_the_credit()
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    c = tab.state(ConsoleState)
    [waiting] = c.refund_requests
    assert waiting.amount == "$100.00"

    await fire(tab, ConsoleState, "approve_refund_request", request_id=waiting.id)
    await fire(tab, ConsoleState, "approve_refund_request", request_id=waiting.id)  # a second click
    [refund] = refunds()
    assert refund.amount_cents == CREDIT_CENTS and refund.status == RefundStatus.REFUNDED
    assert c.refund_requests == []


async def test_staff_decline_a_refund_request_with_a_reason(world):
    overpay_by_card()
    await ask_for_the_credit()
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    [waiting] = tab.state(ConsoleState).refund_requests
    await fire(tab, ConsoleState, "decline_refund_request", form_data={"request_id": str(waiting.id), "reason": ""})
    assert "reason" in tab.state(ConsoleState).errors and tab.state(ConsoleState).refund_requests != []
    reason = "Your January bill is due next week; the credit pays it."
    await fire(tab, ConsoleState, "decline_refund_request", form_data={"request_id": str(waiting.id), "reason": reason})
    assert tab.state(ConsoleState).refund_requests == [] and refunds() == []


async def test_a_refund_the_processor_cannot_send_is_told_to_every_agent(world):
    reference = overpay_by_card("4000000000005126")  # the sandbox card whose refunds fail
    tab = await alice_record(world)
    await fire(tab, ConsoleState, "review_refund", form_data={"payment": reference, "amount": "100", "reason": REASON})
    await fire(tab, ConsoleState, "confirm_refund")
    [refund] = refunds()
    assert refund.status == RefundStatus.FAILED
    assert "Refund failed" in tab.state(ConsoleState).message
    other_agent = await staff_browser()
    await fire(other_agent, ConsoleState, "load")
    [told] = other_agent.state(ConsoleState).failed_refunds
    assert told.reference == refund.reference and told.failure
