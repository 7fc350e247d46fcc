"""Settings → Automatic Payments (AutopayState), issue 13: a new card or bank account entered in the
set-up is saved for later after the same recent-password check as Settings, and the member stays in
the flow with it chosen; the review restates every term; a pause names what it skips; the rules for
a pause date are there before any error. Never a card or account number, CVC or token in what the
browser receives."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import AutopayMandate
from hcpay_app.state.autopay import AutopayState
from tests.state.billing_seed import TODAY, account_of, pin_clock
from tests.state.pay_flow import (
    age_session,
    assert_no_card_data,
    bank_form,
    card_form,
    counts,
    method_rows,
    revoke,
    saved_card,
)
from tests.state.state_harness import ALICE, PASSWORD, Browser, Outcome, fire, logged_in_browser

pytestmark = pytest.mark.asyncio

NEED_PASSWORD = "Enter your current password to add a payment method."
TERMS = {"amount_rule": "full", "frequency": "monthly", "charge_day": "18"}
AUTOPAY_REDIRECT = "/?next=%2Fsettings%2Fautopay"


class Tab:
    def __init__(self, browser: Browser):
        self.browser = browser
        self.outs: list[Outcome] = []

    @property
    def state(self) -> AutopayState:
        return self.browser.state(AutopayState)

    async def fire(self, name: str, /, **payload) -> Outcome:
        out = await fire(self.browser, AutopayState, name, **payload)
        self.outs.append(out)
        return out

    @property
    def seen(self) -> str:
        return "\n".join([*(o.seen for o in self.outs), self.browser.public()])


@pytest.fixture(autouse=True)
def pinned(db):
    """Every test on Tue Nov 24, 2026 (before anyone logs in); the `db` fixture resets the clock."""
    pin_clock()


async def autopay_page(browser: Browser | None = None) -> Tab:
    tab = Tab(browser or await logged_in_browser(ALICE, url=routes.AUTOPAY))
    out = await tab.fire("load")
    assert out.events == []
    return tab


def mandates() -> list[AutopayMandate]:
    with session_scope() as s:
        return list(
            s.exec(select(AutopayMandate).where(AutopayMandate.billing_account_id == account_of(ALICE).id)).all()
        )


async def test_without_a_saved_method_the_set_up_starts_on_a_new_card(db):
    tab = await autopay_page()
    s = tab.state
    assert (s.mode, s.saved_methods, s.method_id, s.needs_password) == ("setup", [], "new_card", False)
    assert s.pause_rules.startswith("Choose the day Automatic Payments start again: from Nov 25, 2026 to Nov 25, 2027.")
    assert (s.pause_min, s.pause_max) == ("2026-11-25", "2027-11-25")


async def test_a_new_card_is_saved_and_chosen_and_the_member_goes_on_to_the_review(db):
    tab = await autopay_page()
    out = await tab.fire("review", form_data={"method_id": "new_card", **TERMS, **card_form()})

    s = tab.state
    [row] = method_rows(ALICE)
    assert out.busy == [True] and s.processing is False and out.redirects == []
    assert (s.mode, s.errors, s.method_id) == ("review", {}, str(row.id))
    assert s.message == "Visa ••••4242 was saved to your payment methods."
    assert [(m.id, m.label, m.is_default) for m in s.saved_methods] == [(row.id, "Visa ••••4242", True)]
    # Every term, restated.
    assert (s.method_label, s.amount_rule_text, s.frequency_text, s.charge_day_text) == (
        "Visa ••••4242",
        "The full amount due each time",
        "Monthly",
        "The 18th of every month",
    )
    assert s.first_charge.startswith("Dec 18, 2026: $") and len(s.preview) == 3
    assert_no_card_data(tab.seen, tab.browser)

    # Back keeps the new card chosen; Activate uses it.
    await tab.fire("back_to_setup")
    assert (tab.state.mode, tab.state.method_id) == ("setup", str(row.id))
    await tab.fire("review", form_data={"method_id": str(row.id), **TERMS})
    await tab.fire("activate", form_data={"accept": True})
    [mandate] = mandates()
    assert (mandate.payment_method_id, mandate.status) == (row.id, "active")
    assert tab.state.mode == "view" and tab.state.mandate.method == "Visa ••••4242"
    assert len(method_rows(ALICE)) == 1  # saved once


async def test_a_new_bank_account_is_saved_the_same_way(db):
    saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("pick_method", value="new_bank")
    assert tab.state.method_id == "new_bank"
    await tab.fire("review", form_data={"method_id": "new_bank", **TERMS, **bank_form()})
    labels = [m.label for m in tab.state.saved_methods]
    assert labels == ["Visa ••••4242", "Checking ••••6789"]
    assert tab.state.method_label == "Checking ••••6789" and tab.state.mode == "review"
    assert tab.state.method_id == str(method_rows(ALICE)[-1].id)
    assert_no_card_data(tab.seen, tab.browser)


@pytest.mark.parametrize("password", [None, "", "wrong-password-123"])
async def test_an_old_session_needs_the_password_as_in_settings(db, password):
    browser = await logged_in_browser(ALICE, url=routes.AUTOPAY)
    age_session(browser.cookie(), dt.timedelta(hours=2))
    tab = await autopay_page(browser)
    assert tab.state.needs_password is True
    form = {"method_id": "new_card", **TERMS, **card_form()}
    if password is not None:
        form["password"] = password
    before = counts()

    await tab.fire("review", form_data=form)
    assert tab.state.errors == {"password": NEED_PASSWORD} and tab.state.mode == "setup"
    assert counts() == before and method_rows(ALICE) == []

    await tab.fire("review", form_data={**form, "password": PASSWORD})
    assert tab.state.mode == "review" and len(method_rows(ALICE)) == 1
    assert PASSWORD not in tab.seen
    assert_no_card_data(tab.seen, tab.browser)


async def test_terms_in_error_save_no_card(db):
    tab = await autopay_page()
    before = counts()
    await tab.fire(
        "review",
        form_data={
            "method_id": "new_card",
            "amount_rule": "full",
            "frequency": "monthly",
            "charge_day": "31",
            **card_form(),
        },
    )
    assert tab.state.errors == {"charge_day": "Choose a charge day from 1 to 28."}
    assert (tab.state.mode, tab.state.method_id) == ("setup", "new_card")
    assert counts() == before


async def test_a_card_in_error_is_not_saved(db):
    tab = await autopay_page()
    before = counts()
    await tab.fire("review", form_data={"method_id": "new_card", **TERMS, **card_form("4242424242424241")})
    assert set(tab.state.errors) == {"card_number"} and tab.state.mode == "setup"
    assert counts() == before


@pytest.mark.parametrize("value", ["new_cash", "-1", "1e3", ["1"], None, "99999999999999999"])
async def test_pick_method_takes_only_an_id_or_a_new_kind(db, value):
    tab = await autopay_page()
    await tab.fire("pick_method", value=value)
    assert tab.state.method_id == ""


async def test_a_pause_names_the_skipped_charge(db):
    card = saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("review", form_data={"method_id": str(card), **TERMS})
    await tab.fire("activate", form_data={"accept": True})
    await tab.fire("pause", form_data={"paused_until": "2027-01-05"})
    s = tab.state
    assert s.mandate.status == "paused" and s.errors == {}
    assert s.mandate.pay_by_hand.startswith("We won't charge $") and "on Dec 18, 2026" in s.mandate.pay_by_hand
    assert "pay it yourself with Make a Payment" in s.mandate.pay_by_hand
    # Coming back to the page says the same.
    await tab.fire("load")
    assert tab.state.mandate.pay_by_hand == s.mandate.pay_by_hand


async def test_a_pause_date_out_of_range_gives_the_range(db):
    card = saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("review", form_data={"method_id": str(card), **TERMS})
    await tab.fire("activate", form_data={"accept": True})
    await tab.fire("pause", form_data={"paused_until": TODAY.isoformat()})
    assert tab.state.errors == {"paused_until": "Choose a date from Nov 25, 2026 to Nov 25, 2027 to resume on."}


@pytest.mark.parametrize("cookie", ["none", "forged", "revoked"])
async def test_without_a_live_session_review_saves_nothing(db, cookie):
    tab = await autopay_page()
    if cookie == "revoked":
        revoke(tab.browser.cookie())
    else:
        tab.browser.set_cookie("" if cookie == "none" else secrets.token_urlsafe(32))
    before = counts()
    out = await tab.fire("review", form_data={"method_id": "new_card", **TERMS, **card_form(), "password": PASSWORD})
    assert out.redirects == [AUTOPAY_REDIRECT]
    assert counts() == before and method_rows(ALICE) == []
    assert clock.today() == TODAY


# ---- Issue 14: activation binds the reviewed terms --------------------------------------------


async def test_activation_stores_exactly_the_reviewed_terms(db):
    card = saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("pick_rule", value="fixed")
    await tab.fire(
        "review",
        form_data={
            "method_id": str(card),
            "amount_rule": "fixed",
            "fixed_amount": "300.00",
            "frequency": "quarterly",
            "charge_day": "9",
        },
    )
    assert tab.state.mode == "review"
    await tab.fire("activate", form_data={"accept": True})
    [mandate] = mandates()
    assert (mandate.payment_method_id, mandate.amount_rule, mandate.fixed_amount_cents) == (card, "fixed", 30000)
    assert (mandate.frequency, mandate.charge_day) == ("quarterly", 9)


@pytest.mark.parametrize(
    ("handler", "payload"), [("pick_rule", {"value": "fixed"}), ("pick_method", {"value": "new_bank"})]
)
async def test_a_change_after_the_review_sends_the_member_back_to_review(db, handler, payload):
    card = saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("review", form_data={"method_id": str(card), **TERMS})
    await tab.fire(handler, **payload)
    assert tab.state.mode == "setup"
    await tab.fire("activate", form_data={"accept": True})
    assert mandates() == [] and tab.state.message.startswith("Something changed since your review")
    await tab.fire("pick_rule", value="full")
    await tab.fire("review", form_data={"method_id": str(card), **TERMS})
    await tab.fire("activate", form_data={"accept": True})
    assert len(mandates()) == 1


async def test_activate_without_a_review_activates_nothing(db):
    saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("activate", form_data={"accept": True})
    assert mandates() == [] and tab.state.mode == "setup"


async def test_an_unaccepted_authorization_keeps_the_review(db):
    card = saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("review", form_data={"method_id": str(card), **TERMS})
    await tab.fire("activate", form_data={})
    assert mandates() == [] and tab.state.mode == "review" and "accept" in tab.state.errors
    await tab.fire("activate", form_data={"accept": True})
    assert len(mandates()) == 1


async def test_a_fixed_amount_above_the_one_time_maximum_is_refused(db):
    card = saved_card(ALICE)
    tab = await autopay_page()
    await tab.fire("pick_rule", value="fixed")
    form = {
        "method_id": str(card),
        "amount_rule": "fixed",
        "fixed_amount": "9" * 12,
        "frequency": "monthly",
        "charge_day": "18",
    }
    await tab.fire("review", form_data=form)
    assert tab.state.mode == "setup" and tab.state.errors["fixed_amount"].startswith("The most an automatic payment")
    await tab.fire("activate", form_data={"accept": True})
    assert mandates() == []
