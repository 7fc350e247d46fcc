"""Guest pay, step by step (GuestState): the amount starts as what is due, the review has the
authorization words and Edit, and the confirmation has the amount, date, reference and a receipt
link whose token opens that payment's receipt only; the payer may give an email for their own copy.
Billing data comes from `billing_seed` (clock pinned to Tue Nov 24, 2026; Alice owes $800.00)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hcpay_app import routes
from hcpay_app.db import session_scope
from hcpay_app.models import GuestReceiptToken, OutboundEmail, PaymentStatus
from hcpay_app.services.adapters import crypto
from hcpay_app.services.payments import guest
from tests.state.pay_flow import CARD_NSF, bank_form, card_form, payment
from tests.state.state_harness import BOB
from tests.state.test_guest_state import GuestTab, assert_only_initials

pytestmark = pytest.mark.asyncio


def emails_to(address: str) -> list[OutboundEmail]:
    with session_scope() as session:
        return list(session.exec(select(OutboundEmail).where(OutboundEmail.to_address == address)).all())


def token_of(url: str) -> str:
    assert url.startswith(routes.GUEST_RECEIPT + "/")
    return url.removeprefix(routes.GUEST_RECEIPT + "/")


async def test_the_amount_starts_as_what_is_due(billing):
    g = await GuestTab().verified()
    assert (g.state.amount_due, g.state.amount_prefill) == ("$800.00", "800.00")


async def test_nothing_due_leaves_the_amount_empty(billing):
    g = await GuestTab().verified(BOB)
    assert g.state.amount_prefill == ""


async def test_the_card_review_has_the_authorization_and_edit_goes_back_keeping_the_choices(billing):
    g = await GuestTab().verified()
    await g.fire("choose", form_data={"amount": "125.50", "payer_email": "pal@example.com", **card_form()})
    s = g.state
    assert s.step == "review" and (s.amount_text, s.method_label, s.payment_date) == (
        "$125.50",
        "Visa ••••4242",
        "Nov 24, 2026",
    )
    assert s.receipt_email == "pal@example.com"
    for part in ("Submit payment", "charge $125.50", "Visa ••••4242", "Nov 24, 2026", "ending", "1-877-555-0142"):
        assert part in s.authorization, part

    await g.fire("edit")
    assert s.step == "pay" and s.amount_text == "$125.50" and s.receipt_email == "pal@example.com"
    await g.fire("submit")  # the edited review can no longer be submitted
    assert s.step == "pay" and s.reference == ""
    await g.fire("choose", form_data={"amount": "130", **card_form()})  # changed the amount, no email now
    assert s.step == "review" and s.amount_text == "$130.00" and s.receipt_email == ""
    await g.fire("submit")
    assert s.step == "done" and payment(s.reference).amount_cents == 13000


async def test_the_bank_review_is_a_debit_authorization_with_how_to_revoke(billing):
    g = await GuestTab().verified()
    await g.fire("pick_method_kind", value="bank")
    await g.fire("choose", form_data={"amount": "50", **bank_form()})
    text = g.state.authorization
    assert "one-time electronic debit of $50.00" in text and "Checking ••••" in text
    assert "To revoke this authorization, call Customer Service at 1-877-555-0142" in text


async def test_edit_does_nothing_outside_the_review(billing):
    g = GuestTab()
    await g.fire("edit")
    assert g.state.step == "verify"
    await g.verified()
    await g.fire("edit")
    assert g.state.step == "pay"


async def test_a_wrong_email_is_shown_next_to_its_field_with_the_other_mistakes(billing):
    g = await GuestTab().verified()
    await g.fire("choose", form_data={"amount": "0.10", "payer_email": "nope", **card_form(cvc="1")})
    assert g.state.step == "pay"
    assert set(g.state.errors) == {"amount", "payer_email", "cvc"}


async def test_the_confirmation_has_amount_date_reference_and_a_receipt_for_this_payment_only(billing):
    first = await (await GuestTab().verified()).reviewed("125.50")
    await first.fire("submit")
    s = first.state
    assert (s.step, s.amount_text, s.payment_date, s.result_status) == ("done", "$125.50", "Nov 24, 2026", "Paid")
    assert s.reference and s.receipt_url and "30 minutes" in s.receipt_note
    token = token_of(s.receipt_url)
    with session_scope() as session:
        [row] = session.exec(select(GuestReceiptToken)).all()
        assert row.token_hash == crypto.hash_token(token)
        opened, _account = guest.receipt_payment(session, token, now=row.created_at)
        assert opened.reference == s.reference and opened.status == PaymentStatus.SUCCEEDED

    second = await (await GuestTab(ip="203.0.113.51").verified()).reviewed("20")
    await second.fire("submit")
    assert second.state.receipt_url != s.receipt_url
    with session_scope() as session:
        other, _ = guest.receipt_payment(session, token_of(second.state.receipt_url), now=row.created_at)
        assert other.reference == second.state.reference != s.reference
    assert_only_initials(first.seen)


async def test_the_payer_gets_their_own_receipt_by_email(billing):
    g = await GuestTab().verified()
    await g.fire("choose", form_data={"amount": "40", "payer_email": "pal@example.com", **card_form()})
    await g.fire("submit")
    assert "We've emailed a copy to pal@example.com, and one to the account holder." in g.state.receipt_note
    [mine] = emails_to("pal@example.com")
    assert g.state.reference in mine.body and "Amount: $40.00" in mine.body


async def test_a_declined_card_gets_no_receipt(billing):
    g = await GuestTab().verified()
    await g.fire("choose", form_data={"amount": "40", "payer_email": "pal@example.com", **card_form(CARD_NSF)})
    await g.fire("submit")
    assert g.state.step == "pay" and g.state.receipt_url == "" and emails_to("pal@example.com") == []


async def test_start_over_forgets_the_receipt(billing):
    g = await (await GuestTab().verified()).reviewed("20")
    await g.fire("submit")
    assert g.state.receipt_url
    await g.fire("start")
    assert (g.state.receipt_url, g.state.reference, g.state.authorization) == ("", "", "")
