"""Make a Payment's steps (issue 13), through PayState: Back from every step keeps what was typed;
the itemised amount choices and the warnings; review words that match the button and the debit
authorization for a bank payment; the saved method named exactly; the confirmation with the real
date, the balance left, the next due date, a receipt and a prompt for Automatic Payments; a
scheduled payment's confirmation that promises no receipt; the expiry shown as MM/YY.

Billing data comes from `billing_seed` (clock pinned to Tue Nov 24, 2026; Alice owes $800.00, all
past due, with $100.00 on its way from her bank)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import select

from hcpay_app import routes
from hcpay_app.db import get_engine, session_scope
from hcpay_app.models import BillingAccount, CoverageStatus, OutboundEmail
from hcpay_app.services.adapters import processor
from hcpay_app.state.pay import PayState
from tests.state.billing_seed import TODAY, account_of
from tests.state.pay_flow import CARD_NSF, assert_no_card_data, bank_form, card_form, payment, saved_card
from tests.state.state_harness import ALICE, Browser, Outcome, fire, logged_in_browser
from tests.support.connections import connections_in_use

pytestmark = pytest.mark.asyncio

IN_7_DAYS = (TODAY + dt.timedelta(days=7)).isoformat()  # Tue Dec 1, 2026


@dataclasses.dataclass
class Tab:
    tab: Browser
    outs: list[Outcome] = dataclasses.field(default_factory=list)

    @property
    def pay(self) -> PayState:
        return self.tab.state(PayState)

    async def fire(self, name: str, /, **payload) -> Outcome:
        out = await fire(self.tab, PayState, name, **payload)
        self.outs.append(out)
        return out

    @property
    def seen(self) -> str:
        return "\n".join([*(o.seen for o in self.outs), self.tab.public()])


async def open_pay() -> Tab:
    t = Tab(await logged_in_browser(ALICE, url=routes.PAY))
    await t.fire("load")
    assert t.pay.loaded
    return t


def amount_form(other: str = "", day: str = TODAY.isoformat()) -> dict:
    return {"other_amount": other, "payment_date": day}


# --- Back from every step ---------------------------------------------------------------------


async def test_back_works_from_every_step_and_keeps_what_was_typed(billing):
    t = await open_pay()
    await t.fire("pick_amount", value="other")
    await t.fire("submit_amount", form_data=amount_form("125.50", IN_7_DAYS))
    assert t.pay.step == "method"

    await t.fire("back")  # step 2 → step 1: what was typed is still there
    p = t.pay
    assert (p.step, p.amount_choice, p.other_amount, p.payment_date) == ("amount", "other", "125.50", IN_7_DAYS)
    await t.fire("back")  # nothing before step 1
    assert t.pay.step == "amount"

    await t.fire("submit_amount", form_data=amount_form("125.50", IN_7_DAYS))
    await t.fire("submit_method", form_data=card_form(expiry="1230", billing_zip="02134"))
    assert t.pay.step == "review", t.pay.errors
    await t.fire("back")  # review → method
    p = t.pay
    assert (p.step, p.card_name, p.billing_zip, p.expiry) == ("method", "Alice Whitfield", "02134", "12/30")
    await t.fire("edit", step="method")  # already there: nothing changes
    assert t.pay.step == "method"
    await t.fire("edit", step="amount")  # Back's other door
    assert (t.pay.step, t.pay.other_amount) == ("amount", "125.50")
    # Continue again goes straight to the review: the method chosen is still held.
    await t.fire("submit_amount", form_data=amount_form("125.50", IN_7_DAYS))
    assert t.pay.step == "review" and t.pay.method_label == "Visa ••••4242"
    await t.fire("edit", step="amount")
    await t.fire("edit", step="review")  # forward is never a way round the form
    assert t.pay.step == "amount"
    assert_no_card_data(t.seen, t.tab)


@pytest.mark.parametrize("value", [None, 5, "done", "review", ["amount"], "x" * 1000])
async def test_edit_with_junk_goes_nowhere(billing, value):
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form())
    await t.fire("edit", step=value)
    assert t.pay.step == "method"


# --- The amount step ----------------------------------------------------------------------------


async def test_the_choices_are_itemised(billing):
    t = await open_pay()
    p = t.pay
    assert (p.shows_past_due, p.past_due_label, p.amount_choice) == (True, "Past due: $800.00", "past_due")
    assert (p.has_current, p.shows_owed, p.has_first_premium) == (False, False, False)
    for choice in ("current", "all", "first_premium", "past_due", "other"):
        await t.fire("pick_amount", value=choice)
        assert t.pay.amount_choice == choice


async def test_paying_more_than_owed_is_warned_and_may_go_on(billing):
    t = await open_pay()
    await t.fire("pick_amount", value="other")
    await t.fire("submit_amount", form_data=amount_form("5000.00"))
    assert t.pay.warnings == [
        "This is $4,200.00 more than everything you owe ($800.00). "
        "The extra $4,200.00 becomes a credit toward your future bills."
    ]
    await t.fire("submit_method", form_data=card_form())
    assert t.pay.step == "review" and t.pay.warnings  # still shown on the review
    await t.fire("submit_payment")
    assert t.pay.step == "done" and payment(t.pay.reference).amount_cents == 500000


async def test_each_step_of_a_payment_uses_one_database_session(billing, monkeypatch):
    """Every step is one event with one database session: the amount's checks and warnings, the
    card and the review's bills, the payment and what the confirmation says after it. (The sandbox
    processor keeps its own records in sessions of its own, as the real processor's servers would:
    not counted.)"""
    t = await open_pay()
    await t.fire("pick_amount", value="other")
    in_processor = threading.local()
    real_scope = processor.session_scope

    @contextlib.contextmanager
    def processor_scope():
        in_processor.on = True
        try:
            with real_scope() as session:
                yield session
        finally:
            in_processor.on = False

    monkeypatch.setattr(processor, "session_scope", processor_scope)
    began: set[int] = set()

    def note(session, _transaction, _connection) -> None:
        if not getattr(in_processor, "on", False):
            began.add(id(session))

    event.listen(OrmSession, "after_begin", note)
    sessions = []
    try:
        with connections_in_use(get_engine()) as in_use:
            for step, payload in (
                ("submit_amount", {"form_data": amount_form("25.00")}),
                ("submit_method", {"form_data": card_form()}),
                ("submit_payment", {}),
            ):
                began.clear()
                await t.fire(step, **payload)
                sessions.append((step, len(began)))
    finally:
        event.remove(OrmSession, "after_begin", note)
    assert t.pay.step == "done" and payment(t.pay.reference).amount_cents == 2500
    assert sessions == [("submit_amount", 1), ("submit_method", 1), ("submit_payment", 1)]
    assert in_use() == 0


async def test_a_past_due_payment_after_grace_names_the_date(billing):
    with session_scope() as s:
        account = s.get(BillingAccount, account_of(ALICE).id)
        account.coverage_status, account.grace_ends_on = CoverageStatus.IN_GRACE, dt.date(2026, 12, 23)
        s.add(account)
        s.commit()
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form(day="2027-01-20"))
    assert t.pay.step == "method" and len(t.pay.warnings) == 1
    assert "Your grace period ends Dec 23, 2026" in t.pay.warnings[0]
    assert "dated Jan 20, 2027" in t.pay.warnings[0]
    await t.fire("back")
    await t.fire("submit_amount", form_data=amount_form(day="2026-12-23"))
    assert t.pay.warnings == []


# --- Method labels --------------------------------------------------------------------------------


async def test_a_saved_visa_is_named_as_a_visa(billing):
    saved_card(ALICE)
    t = await open_pay()
    assert t.pay.saved_choice_label == "Visa ••••4242"
    saved_card(ALICE, "5555555555554444", nickname="Travel")
    t = await open_pay()
    assert t.pay.saved_choice_label == "Saved: Visa ••••4242 or Mastercard ••••4444"


async def test_a_single_saved_method_shows_its_nickname(billing):
    saved_card(ALICE, nickname="Everyday")
    t = await open_pay()
    assert t.pay.saved_choice_label == "Visa ••••4242 · Everyday"


# --- Review ---------------------------------------------------------------------------------------


async def test_review_words_match_the_button_today_and_scheduled(billing):
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form())
    await t.fire("submit_method", form_data=card_form())
    p = t.pay
    assert (p.submit_label, p.is_bank, p.date_text) == ("Submit payment", False, "Nov 24, 2026")
    assert p.authorization == (
        "By selecting Submit payment, you authorize a one-time charge of $800.00 to Visa ••••4242 on Nov 24, 2026."
    )
    await t.fire("edit", step="amount")
    await t.fire("submit_amount", form_data=amount_form(day=IN_7_DAYS))
    p = t.pay
    assert (p.step, p.submit_label, p.date_text) == ("review", "Schedule payment", "Dec 1, 2026")
    assert p.authorization.startswith("By selecting Schedule payment,") and "Submit payment" not in p.authorization


async def test_a_bank_payment_shows_the_debit_authorization(billing):
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form(day=IN_7_DAYS))
    await t.fire("pick_method_kind", value="bank")
    await t.fire("submit_method", form_data=bank_form())
    p = t.pay
    assert (p.step, p.is_bank, p.method_label) == ("review", True, "Checking ••••6789")
    for part in (
        "By selecting Schedule payment",
        "one-time electronic debit of $800.00",
        "Checking ••••6789",
        "on Dec 1, 2026",
        "revoke this authorization by canceling the payment on your dashboard before Dec 1, 2026",
    ):
        assert part in p.authorization, part
    assert_no_card_data(t.seen, t.tab)


# --- Confirmation ---------------------------------------------------------------------------------


async def test_the_confirmation_has_date_balance_next_due_receipt_and_autopay_prompt(billing):
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form())
    await t.fire("submit_method", form_data=card_form())
    await t.fire("submit_payment")
    p = t.pay
    assert p.step == "done" and p.result_status == "Paid"
    assert p.date_text == "Nov 24, 2026" and "Today" not in p.confirmation_heading
    assert p.confirmation_heading == "Thank you! We received your payment of $800.00 on Nov 24, 2026."
    # $900.00 owed on the settled view, less this $800.00 and the $100.00 still clearing.
    assert (p.balance_left, p.next_due) == ("$0.00", "Dec 23, 2026")
    assert p.receipt_url == f"{routes.RECEIPT}/{p.reference}"
    assert p.email_note == "We've emailed you a receipt."
    assert p.autopay_on is False


async def test_a_scheduled_payment_says_scheduled_for_and_promises_no_receipt(billing):
    t = await open_pay()
    await t.fire("pick_amount", value="other")
    await t.fire("submit_amount", form_data=amount_form("50.00", IN_7_DAYS))
    await t.fire("submit_method", form_data=card_form())
    await t.fire("submit_payment")
    p = t.pay
    assert (p.step, p.result_status) == ("done", "Scheduled")
    assert p.confirmation_heading == "Your payment of $50.00 is scheduled for Dec 1, 2026."
    assert "emailed you a receipt" not in p.email_note and "scheduled" in p.email_note
    assert p.receipt_url == ""
    with session_scope() as s:
        notice = s.exec(select(OutboundEmail).where(OutboundEmail.kind == "payment_scheduled")).one()
    assert p.reference in notice.subject and "scheduled for Dec 1, 2026" in notice.body


async def test_a_bank_payment_is_on_its_way_and_its_receipt_comes_later(billing):
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form())
    await t.fire("pick_method_kind", value="bank")
    await t.fire("submit_method", form_data=bank_form())
    await t.fire("submit_payment")
    p = t.pay
    assert p.step == "done" and p.receipt_url == ""
    assert p.confirmation_heading == "Your bank payment of $800.00 was sent to your bank on Nov 24, 2026."
    assert "Your receipt is ready once it clears" in p.email_note


async def test_a_decline_gives_a_new_method_form(billing):
    t = await open_pay()
    await t.fire("submit_amount", form_data=amount_form())
    await t.fire("submit_method", form_data=card_form(CARD_NSF))
    key = t.pay.method_form_key
    await t.fire("submit_payment")
    assert t.pay.step == "method" and t.pay.message and t.pay.method_form_key == key + 1
    assert t.pay.card_name == "Alice Whitfield"  # kept; the number and CVC never were


# --- The expiry field -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("1224", "12/24"), ("12/24", "12/24"), ("130", "130"), (None, ""), (5, ""), ("9" * 50, "9999999")],
)
async def test_the_expiry_is_shown_as_mm_yy_when_it_loses_focus(billing, typed, shown):
    t = await open_pay()
    before = t.pay.expiry_key
    await t.fire("format_expiry", value=typed)
    assert t.pay.expiry == shown and t.pay.expiry_key == before + 1
