"""An error clears the moment its field is fixed (issue 13, Forms everywhere), on Make a Payment,
Automatic Payments, guest pay and Contact support: `recheck_field` checks one field in error with
the validators its submit runs, updates only that field's message, never marks a field that is not
in error, and never submits. What was typed is checked and dropped: never stored, never sent back.

Billing data comes from `billing_seed` (clock pinned to Tue Nov 24, 2026; Alice owes $800.00)."""

from __future__ import annotations

import pytest

from hcpay_app import routes
from hcpay_app.state.autopay import AutopayState
from hcpay_app.state.pay import PayState
from hcpay_app.state.support import SupportState
from tests.state.billing_seed import TODAY, Billing, pin_clock, seed_billing
from tests.state.pay_flow import CARD_OK, CVC, EXPIRY, bank_form, card_form, saved_card
from tests.state.state_harness import ALICE, BOB, Browser, fire, logged_in_browser
from tests.state.test_guest_state import GuestTab

pytestmark = pytest.mark.asyncio

AMEX = "378282246310005"


@pytest.fixture
def billing(db) -> Billing:
    return seed_billing()


async def recheck(tab: Browser, cls, name: str, value: str, related: str = ""):
    return await fire(tab, cls, "recheck_field", name=name, value=value, related=related)


# --- Make a Payment ---------------------------------------------------------------------------


async def pay_tab() -> Browser:
    tab = await logged_in_browser(ALICE, url=routes.PAY)
    await fire(tab, PayState, "load")
    assert tab.state(PayState).loaded
    return tab


async def test_pay_amount_and_date_clear_when_fixed_and_say_what_is_wrong_now(billing):
    tab = await pay_tab()
    p = tab.state(PayState)
    await fire(tab, PayState, "pick_amount", value="other")
    await fire(tab, PayState, "submit_amount", form_data={"other_amount": "0.50", "payment_date": "2020-01-01"})
    assert p.step == "amount"
    assert p.errors == {
        "other_amount": "The smallest payment is $1.00.",
        "payment_date": "The payment date can't be in the past.",
    }

    # Still wrong, for another reason: the message is for what is wrong now (the submit's limit).
    await recheck(tab, PayState, "other_amount", "999999")
    assert p.errors["other_amount"].startswith("The most you can pay at once is")
    out = await recheck(tab, PayState, "other_amount", "125.50")
    assert p.errors == {"payment_date": "The payment date can't be in the past."}
    assert "125.50" not in out.seen and p.other_amount == "0.50"  # checked and dropped, not stored

    await recheck(tab, PayState, "payment_date", "2099-01-01")
    assert p.errors["payment_date"] == "You can schedule a payment up to 60 days ahead."
    await recheck(tab, PayState, "payment_date", TODAY.isoformat())
    assert p.errors == {} and p.message == "" and p.step == "amount"  # a recheck never submits


async def test_pay_a_field_not_in_error_is_never_marked(billing):
    tab = await pay_tab()
    p = tab.state(PayState)
    await recheck(tab, PayState, "other_amount", "abc")
    await recheck(tab, PayState, "card_number", "1234")
    assert p.errors == {}


async def test_pay_new_card_fields_clear_one_by_one_and_the_cvc_follows_the_card_number(billing):
    tab = await pay_tab()
    p = tab.state(PayState)
    await fire(tab, PayState, "submit_amount", form_data={"other_amount": "", "payment_date": TODAY.isoformat()})
    assert p.step == "method" and p.method_kind == "card"
    bad = card_form(number="4242424242424241", expiry="13/30", cvc="12", card_name="", billing_zip="021")
    await fire(tab, PayState, "submit_method", form_data=bad)
    assert p.step == "method"
    assert set(p.errors) == {"card_number", "expiry", "cvc", "card_name", "billing_zip"}

    await recheck(tab, PayState, "card_number", CARD_OK)
    assert "card_number" not in p.errors
    await recheck(tab, PayState, "expiry", "1224")  # a past month: what is wrong now
    assert p.errors["expiry"] == "This card has expired. Use another card."
    await recheck(tab, PayState, "expiry", EXPIRY.replace("/", ""))
    assert "expiry" not in p.errors
    # An Amex number above: its code has 4 digits, as the submit would say.
    await recheck(tab, PayState, "cvc", CVC, AMEX)
    assert p.errors["cvc"] == "The security code on this card has 4 digits."
    await recheck(tab, PayState, "cvc", CVC, CARD_OK)
    assert "cvc" not in p.errors
    await recheck(tab, PayState, "card_name", "Alice Whitfield")
    out = await recheck(tab, PayState, "billing_zip", "02110")
    assert p.errors == {} and p.step == "method" and p.message == ""
    assert CARD_OK not in out.seen and CARD_OK not in tab.public()


async def test_pay_bank_account_and_its_confirmation_are_checked_with_each_other(billing):
    tab = await pay_tab()
    p = tab.state(PayState)
    await fire(tab, PayState, "submit_amount", form_data={"other_amount": "", "payment_date": TODAY.isoformat()})
    await fire(tab, PayState, "pick_method_kind", value="bank")
    await fire(
        tab,
        PayState,
        "submit_method",
        form_data=bank_form(routing_number="123", account_number="12", confirm_account_number="12", account_name=""),
    )
    assert set(p.errors) == {"routing_number", "account_number", "account_name"}
    await recheck(tab, PayState, "routing_number", "110000000")
    await recheck(tab, PayState, "account_name", "Alice Whitfield")
    assert set(p.errors) == {"account_number"}
    # A good number that the confirmation below doesn't match yet: the number itself is fixed.
    await recheck(tab, PayState, "account_number", "000123456789", "12")
    assert p.errors == {}

    await fire(tab, PayState, "submit_method", form_data=bank_form(confirm_account_number="000123456780"))
    assert p.errors == {"confirm_account_number": "The account numbers don't match."}
    await recheck(tab, PayState, "confirm_account_number", "000123456789", "000123456789")
    assert p.errors == {}


async def test_pay_picking_an_amount_fixes_the_amount_choice(billing):
    tab = await pay_tab()
    p = tab.state(PayState)
    p.errors = {"amount_choice": "Choose how much to pay.", "payment_date": "Choose a payment date."}
    await fire(tab, PayState, "pick_amount", value="other")
    assert p.errors == {"payment_date": "Choose a payment date."}


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "other_amount", "value": 5, "related": ""},
        {"name": ["other_amount"], "value": "5", "related": ""},
        {"name": "other_amount", "value": "5", "related": None},
        {"name": "_maximum_cents", "value": "5", "related": ""},
    ],
)
async def test_pay_odd_payloads_change_nothing(billing, payload):
    tab = await pay_tab()
    p = tab.state(PayState)
    await fire(tab, PayState, "pick_amount", value="other")
    await fire(tab, PayState, "submit_amount", form_data={"other_amount": "0", "payment_date": TODAY.isoformat()})
    before = dict(p.errors)
    await fire(tab, PayState, "recheck_field", **payload)
    assert p.errors == before and p._maximum_cents > 0


# --- Automatic Payments -----------------------------------------------------------------------


async def autopay_tab() -> Browser:
    pin_clock()
    tab = await logged_in_browser(ALICE, url=routes.AUTOPAY)
    await fire(tab, AutopayState, "load")
    return tab


async def test_autopay_fixed_amount_and_new_card_clear_when_fixed(db):
    tab = await autopay_tab()
    a = tab.state(AutopayState)
    assert a.method_id == "new_card"
    await fire(tab, AutopayState, "pick_rule", value="fixed")
    form = {
        "method_id": "new_card",
        "amount_rule": "fixed",
        "fixed_amount": "0.10",
        "frequency": "monthly",
        "charge_day": "18",
    }
    await fire(tab, AutopayState, "review", form_data={**form, **card_form(billing_zip="1")})
    assert a.mode == "setup" and set(a.errors) == {"fixed_amount"}  # the terms come first
    await recheck(tab, AutopayState, "fixed_amount", "abc")
    assert a.errors["fixed_amount"] != "The smallest automatic payment is $1.00."
    await recheck(tab, AutopayState, "fixed_amount", "450.00")
    assert a.errors == {} and a.mode == "setup"

    await fire(tab, AutopayState, "review", form_data={**form, "fixed_amount": "450.00", **card_form(billing_zip="1")})
    assert a.errors == {"billing_zip": "Enter the 5-digit billing ZIP code."}
    await recheck(tab, AutopayState, "billing_zip", "02110")
    assert a.errors == {} and a.mode == "setup"


async def test_autopay_pause_date_clears_when_a_date_in_range_is_picked(db):
    card = saved_card(ALICE)
    tab = await autopay_tab()
    terms = {"amount_rule": "full", "frequency": "monthly", "charge_day": "18"}
    await fire(tab, AutopayState, "review", form_data={"method_id": str(card), **terms})
    await fire(tab, AutopayState, "activate", form_data={"accept": True})
    await fire(tab, AutopayState, "pause", form_data={"paused_until": TODAY.isoformat()})
    a = tab.state(AutopayState)
    assert set(a.errors) == {"paused_until"}
    await recheck(tab, AutopayState, "paused_until", "2030-01-01")
    assert set(a.errors) == {"paused_until"}
    await recheck(tab, AutopayState, "paused_until", "2027-01-05")
    assert a.errors == {} and a.mandate.status == "active"  # picking a date never pauses


async def test_autopay_the_current_password_is_only_known_wrong_on_submit(db):
    tab = await autopay_tab()
    a = tab.state(AutopayState)
    a.errors = {"password": "The password is incorrect."}
    await recheck(tab, AutopayState, "password", "anything")
    assert a.errors == {"password": "The password is incorrect."}


# --- Guest pay --------------------------------------------------------------------------------


async def test_guest_amount_email_and_card_clear_when_fixed(billing):
    g = await GuestTab().verified()
    s = g.state
    await g.fire("choose", form_data={"amount": "0", "payer_email": "pal@", **card_form(cvc="")})
    assert s.step == "pay" and set(s.errors) == {"amount", "payer_email", "cvc"}
    await g.fire("recheck_field", name="amount", value="99999999", related="")
    assert s.errors["amount"].startswith("The most you can pay at once is")
    await g.fire("recheck_field", name="amount", value="20.00", related="")
    await g.fire("recheck_field", name="payer_email", value="", related="")  # optional: blank is fine
    assert set(s.errors) == {"cvc"}
    await g.fire("recheck_field", name="cvc", value=CVC, related=CARD_OK)
    assert s.errors == {} and s.step == "pay" and s.message == ""
    assert CVC not in g.seen


async def test_guest_bank_fields_and_verify_date_of_birth(billing):
    g = GuestTab()
    await g.fire("verify", form_data={"account_number": "", "zip_code": "", "date_of_birth": ""})
    s = g.state
    assert set(s.errors) == {"account_number", "zip_code", "date_of_birth"}
    await g.fire("recheck_field", name="date_of_birth", value=ALICE.date_of_birth.isoformat(), related="")
    assert set(s.errors) == {"account_number", "zip_code"}
    await g.fire("recheck_field", name="account_number", value="12345", related="")
    assert s.errors["account_number"] == "Billing account numbers are 9 digits, as shown on your bill."
    await g.fire("recheck_field", name="account_number", value=ALICE.account_number, related="")
    assert set(s.errors) == {"zip_code"}
    await g.fire("recheck_field", name="zip_code", value="02110", related="")
    assert s.errors == {}

    await g.verified()
    await g.fire("pick_method_kind", value="bank")
    await g.fire("choose", form_data={"amount": "20.00", **bank_form(routing_number="110000001")})
    assert set(s.errors) == {"routing_number"}
    await g.fire("recheck_field", name="routing_number", value="110000000", related="")
    assert s.errors == {}


async def test_guest_nothing_is_marked_that_was_not_in_error(billing):
    g = await GuestTab().verified(BOB)
    await g.fire("recheck_field", name="amount", value="0", related="")
    await g.fire("recheck_field", name="payer_email", value="nope", related="")
    assert g.state.errors == {}


# --- Contact support --------------------------------------------------------------------------


async def support_tab() -> Browser:
    tab = await logged_in_browser(ALICE, url=routes.SUPPORT)
    await fire(tab, SupportState, "load")
    return tab


async def test_support_topic_message_and_reference_clear_when_fixed(billing):
    tab = await support_tab()
    s = tab.state(SupportState)
    await fire(tab, SupportState, "submit", form_data={"topic": "", "reference": "HC-NOPE", "message": "help"})
    assert set(s.errors) == {"topic", "reference", "message"}

    await recheck(tab, SupportState, "topic", "billing_question")
    assert "topic" not in s.errors
    await recheck(tab, SupportState, "message", "x" * 2001)
    assert s.errors["message"] == "Please keep your message under 2,000 characters."
    await recheck(tab, SupportState, "message", "My card was declined twice.")
    assert set(s.errors) == {"reference"}

    # The reference is looked up among the member's own payments, as the submit does.
    await recheck(tab, SupportState, "reference", billing.bob.latest_succeeded)
    assert set(s.errors) == {"reference"}
    await recheck(tab, SupportState, "reference", billing.alice.latest_succeeded)
    assert s.errors == {} and s.created == ""  # a recheck opens no request

    await fire(tab, SupportState, "submit", form_data={"topic": "billing_question", "reference": "x", "message": ""})
    await recheck(tab, SupportState, "reference", "")  # optional: blank is fine
    assert set(s.errors) == {"message"}


async def test_support_reference_recheck_needs_a_live_session(billing):
    tab = await support_tab()
    s = tab.state(SupportState)
    s.errors = {"reference": "That isn't a payment reference number on your account."}
    tab.set_cookie("")
    await recheck(tab, SupportState, "reference", billing.alice.latest_succeeded)
    assert set(s.errors) == {"reference"}  # nobody logged in: nothing is looked up, nothing changes
