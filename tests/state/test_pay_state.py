"""Make a Payment (PayState) and cancelling a scheduled payment (DashboardState.cancel_scheduled).

Every data handler re-resolves the member from the server-side session; a payment is made once per
review however often Submit arrives; a decline sends the member back to pick a method with a new
idempotency key; nothing the browser receives ever holds a card or account number, the CVC, a
processor token or the idempotency key; and every argument is treated as hostile. Billing data
comes from `billing_seed` (clock pinned to Tue Nov 24, 2026; Alice owes $800.00, all past due).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

import pytest

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import EntryKind, PaymentStatus
from hcpay_app.services.adapters.processor import get_processor
from hcpay_app.services.billing import ledger
from hcpay_app.services.payments import checkout
from hcpay_app.services.payments.templates import DECLINE_MESSAGES
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.login import LoginState
from hcpay_app.state.pay import PayState
from hcpay_app.state.session import SessionState
from tests.state.billing_seed import TODAY, account_of
from tests.state.pay_flow import (
    CARD_NSF,
    CARD_OK,
    ENDED,
    REFERENCE_RE,
    assert_no_card_data,
    bank_form,
    card_form,
    counts,
    ledger_for_payment,
    method_rows,
    payment,
    payments_for,
    revoke,
    saved_card,
)
from tests.state.state_harness import (
    ALICE,
    BOB,
    Browser,
    Outcome,
    Person,
    fire,
    logged_in_browser,
    resolve,
    service_login,
)

pytestmark = pytest.mark.asyncio

PAY_REDIRECT = "/?next=%2Fpay"
NO_METHOD = "We couldn't find that payment method."
NOT_FOUND = "We couldn't find a payment with that reference number on your account."
IN_8_DAYS = (TODAY + dt.timedelta(days=7)).isoformat()  # Tue Dec 1, 2026


def defaults() -> dict:
    return Browser().public_of(PayState)


def today_form(**overrides) -> dict:
    return {"other_amount": "", "payment_date": TODAY.isoformat(), **overrides}


@dataclasses.dataclass
class Journey:
    """A Make a Payment tab, with every outcome it has seen and the payments it made."""

    tab: Browser
    person: Person = ALICE
    outs: list[Outcome] = dataclasses.field(default_factory=list)
    earlier: set[str] = dataclasses.field(default_factory=set)

    def __post_init__(self) -> None:
        self.earlier = {p.reference for p in payments_for(account_of(self.person).id)}

    @property
    def pay(self) -> PayState:
        return self.tab.state(PayState)

    @property
    def made(self) -> list:
        """The payments this journey made (declined ones too), oldest first."""
        return [p for p in payments_for(account_of(self.person).id) if p.reference not in self.earlier]

    @property
    def keys(self) -> list[str]:
        """The idempotency keys of those payments, as the database holds them."""
        return [p.idempotency_key for p in self.made]

    async def fire(self, name: str, /, **payload) -> Outcome:
        out = await fire(self.tab, PayState, name, **payload)
        self.outs.append(out)
        return out

    @property
    def seen(self) -> str:
        return "\n".join([*(o.seen for o in self.outs), self.tab.public()])

    async def to_method(self, **amount_form) -> None:
        await self.fire("submit_amount", form_data=today_form(**amount_form))
        assert self.pay.step == "method", self.pay.errors

    async def to_review(self, form: dict | None = None, **amount_form) -> None:
        await self.to_method(**amount_form)
        await self.fire("submit_method", form_data=form or card_form())
        assert self.pay.step == "review", self.pay.errors


async def journey(person: Person = ALICE) -> Journey:
    tab = await logged_in_browser(person, url=routes.PAY)
    j = Journey(tab, person)
    out = await j.fire("load")
    assert out.events == [] and j.pay.loaded is True
    return j


# --------------------------------------------------------------------------------------------
# No live session: redirect to log in, write nothing
# --------------------------------------------------------------------------------------------

PAYLOADS = {
    "load": {},
    "submit_amount": {"form_data": today_form()},
    "submit_method": {"form_data": card_form()},
}


@pytest.mark.parametrize("handler", list(PAYLOADS))
@pytest.mark.parametrize("cookie", ["none", "forged", "garbage"])
async def test_a_fresh_tab_without_a_session_is_sent_to_log_in(billing, make_browser, handler, cookie):
    tab = make_browser(routes.PAY)
    tab.set_cookie({"none": "", "forged": secrets.token_urlsafe(32), "garbage": "' OR '1'='1"}[cookie])
    before = counts()
    out = await fire(tab, PayState, handler, **PAYLOADS[handler])
    assert out.redirects == [PAY_REDIRECT]
    assert tab.cookie() == "" and tab.state(SessionState).notice == ("" if cookie == "none" else ENDED)
    assert counts() == before
    assert tab.public_of(PayState) == defaults()
    assert ALICE.account_number not in tab.public() and "$800.00" not in tab.public()


async def test_submit_payment_in_a_fresh_tab_does_nothing(billing, make_browser):
    tab = make_browser(routes.PAY)
    before = counts()
    out = await fire(tab, PayState, "submit_payment")
    assert out.events == [] and counts() == before and tab.public_of(PayState) == defaults()


@pytest.mark.parametrize("handler", [*PAYLOADS, "submit_payment"])
@pytest.mark.parametrize("cookie", ["revoked", "forged", "removed"])
async def test_a_session_that_ended_during_the_review_is_sent_to_log_in(billing, handler, cookie):
    """The member got as far as the review (a token and a key are held server-side), then the
    session was revoked (log-out elsewhere) or the cookie replaced/removed: nothing is paid."""
    j = await journey()
    await j.to_review()
    if cookie == "revoked":
        revoke(j.tab.cookie())
    else:
        j.tab.set_cookie(secrets.token_urlsafe(32) if cookie == "forged" else "")
    before = counts()

    out = await j.fire(handler, **PAYLOADS.get(handler, {}))

    assert out.redirects == [PAY_REDIRECT]
    assert counts() == before
    assert j.tab.public_of(PayState) == defaults()
    assert "$800.00" not in j.tab.public() and "4242" not in j.tab.public()
    # Nothing the review held survives: logged in again in this tab, Submit has nothing to pay.
    await fire(j.tab, LoginState, "login", form_data={"username": ALICE.username, "password": ALICE.password})
    out = await j.fire("submit_payment")
    assert out.events == [] and counts() == before and j.pay.step == "amount"


# --------------------------------------------------------------------------------------------
# The happy path
# --------------------------------------------------------------------------------------------


async def test_load_offers_the_amount_due_and_the_date_limits(billing):
    j = await journey()
    p = j.pay
    assert (p.step, p.account_number) == ("amount", ALICE.account_number)
    assert (p.amount_due, p.past_due) == ("$800.00", "$800.00")
    # Itemised: all of Alice's $800.00 is past due, so "Past due" is the one choice and is picked.
    assert p.has_amount_due and p.has_past_due and p.amount_choice == "past_due"
    assert (p.past_due_label, p.has_current, p.shows_owed, p.has_first_premium) == (
        "Past due: $800.00",
        False,
        False,
        False,
    )
    assert (p.today_iso, p.latest_iso, p.payment_date) == ("2026-11-24", "2027-01-23", "2026-11-24")
    assert p.maximum == "$6,300.00"  # 12 × $450.00 + the $900.00 owed until her $100.00 bank payment clears
    assert p.saved_methods == [] and p.method_kind == "card" and p.selected_method == ""
    assert p.can_save is True


async def test_pay_the_amount_due_by_card(billing):
    j = await journey()
    account_id = account_of(ALICE).id
    before = counts()

    await j.fire("submit_amount", form_data=today_form())
    p = j.pay
    assert (p.step, p.amount_text, p.date_text, p.is_scheduled, p.errors) == (
        "method",
        "$800.00",
        "Nov 24, 2026",
        False,
        {},
    )

    out = await j.fire("submit_method", form_data=card_form())
    assert out.busy == [True] and p.processing is False  # "working…" shown at once, then cleared
    assert (p.step, p.method_label, p.errors, p.message) == ("review", "Visa ••••4242", {}, "")
    assert p.card_name == "Alice Whitfield" and p.billing_zip == "02110" and p.expiry == "12/30"
    with session_scope() as s:
        expected = checkout.invoices_to_pay(s, resolve(j.tab.cookie()), 80000, TODAY)
    assert p.invoices == expected and len(expected) == 2
    assert counts() == before  # nothing is written before Submit

    out = await j.fire("submit_payment")
    assert out.events == []
    assert (p.step, p.result_status, p.message, p.processing) == ("done", "Paid", "", False)
    assert REFERENCE_RE.fullmatch(p.reference) and p.result_message

    made = payment(p.reference)
    key = made.idempotency_key
    assert (made.status, made.amount_cents, made.method_label) == (PaymentStatus.SUCCEEDED, 80000, "Visa ••••4242")
    assert len(key) >= 16 and made.payment_method_id is None  # a one-time card, not saved
    assert made.billing_account_id == account_id and made.payment_date == TODAY
    entries = ledger_for_payment(made.id)
    assert [(e.kind, e.amount_cents) for e in entries] == [(EntryKind.PAYMENT, -80000)]
    after = counts()
    assert after["Payment"] == before["Payment"] + 1 and after["LedgerEntry"] == before["LedgerEntry"] + 1
    assert after["SandboxCharge"] == before["SandboxCharge"] + 1 and get_processor().charges_for(key) == 1
    assert after["PaymentMethod"] == before["PaymentMethod"]  # "save" wasn't ticked
    with session_scope() as s:
        assert ledger.balance(s, account_id) == 0

    # A second Submit (double tap, a retried event) changes nothing.
    out = await j.fire("submit_payment")
    assert out.events == [] and counts() == after and p.step == "done"

    assert_no_card_data(j.seen, j.tab, keys=[key])


async def test_a_retried_submit_of_the_same_review_returns_the_same_payment(billing):
    """The browser re-sends Submit after the first one went through but before it heard back
    (the state still at the review with the same key): the same payment comes back, no charge."""
    j = await journey()
    await j.to_review()
    held = {name: getattr(j.pay, name) for name in ("_choice", "_idempotency_key", "_amount_cents", "_payment_date")}
    await j.fire("submit_payment")
    first, after = j.pay.reference, counts()

    j.pay.step, j.pay.reference = "review", ""
    for name, value in held.items():
        setattr(j.pay, name, value)
    out = await j.fire("submit_payment")

    assert out.events == [] and j.pay.step == "done" and j.pay.reference == first
    assert counts() == after and get_processor().charges_for(held["_idempotency_key"]) == 1


async def test_submit_while_already_processing_is_ignored(billing):
    j = await journey()
    await j.to_review()
    before = counts()
    j.pay.processing = True
    out = await j.fire("submit_payment")
    assert out.events == [] and counts() == before and j.pay.step == "review"


@pytest.mark.parametrize("step", ["amount", "method"])
async def test_submit_payment_before_the_review_does_nothing(billing, step):
    j = await journey()
    if step == "method":
        await j.to_method()
    before = counts()
    out = await j.fire("submit_payment")
    assert out.events == [] and counts() == before and j.pay.step == step


async def test_edit_from_the_review_and_back_pays_the_edited_amount_once(billing):
    j = await journey()
    await j.to_review()
    await j.fire("edit", step="amount")
    assert j.pay.step == "amount"
    await j.fire("pick_amount", value="other")
    await j.fire("submit_amount", form_data=today_form(other_amount="125.50"))
    # The method is still chosen, so the amount step goes straight back to the review.
    assert j.pay.step == "review" and j.pay.amount_text == "$125.50"
    await j.fire("submit_payment")
    await j.fire("submit_payment")
    assert [(p.amount_cents, p.status) for p in j.made] == [(12550, PaymentStatus.SUCCEEDED)]


@pytest.mark.parametrize("value", ["done", "review", None, 3, ["amount"], "x" * 10_000], ids=repr)
async def test_edit_to_anything_but_amount_or_method_is_ignored(billing, value):
    j = await journey()
    await j.to_review()
    await j.fire("edit", step=value)
    assert j.pay.step == "review"


async def test_edit_outside_the_review_is_ignored(billing):
    j = await journey()
    await j.to_review()
    await j.fire("submit_payment")
    await j.fire("edit", step="method")
    assert j.pay.step == "done"


async def test_start_again_goes_back_to_a_fresh_pay_page(billing):
    j = await journey()
    await j.to_review()
    await j.fire("submit_payment")
    out = await j.fire("start_again")
    assert out.redirects == [routes.PAY]
    await j.fire("load")
    assert (j.pay.step, j.pay.reference, j.pay.amount_due) == ("amount", "", "$0.00")


async def test_pay_from_a_bank_account(billing):
    j = await journey()
    await j.to_method()
    await j.fire("pick_method_kind", value="bank")
    await j.fire("submit_method", form_data=bank_form())
    p = j.pay
    assert (p.step, p.method_label) == ("review", "Checking ••••6789")
    assert (p.account_name, p.account_type) == ("Alice Whitfield", "checking")
    await j.fire("submit_payment")
    made = payment(p.reference)
    assert (p.step, p.result_status) == ("done", "Pending")
    assert (made.status, made.method_kind) == (PaymentStatus.PENDING, "bank")
    assert len(ledger_for_payment(made.id)) == 1 and made.expected_settle_on is not None
    assert_no_card_data(j.seen, j.tab, keys=j.keys)


# --------------------------------------------------------------------------------------------
# A decline
# --------------------------------------------------------------------------------------------


async def test_a_declined_card_goes_back_to_the_method_step(billing):
    j = await journey()
    account_id = account_of(ALICE).id
    await j.to_review(card_form(CARD_NSF, card_name="Alice B Whitfield", billing_zip="02139"))
    before = counts()

    out = await j.fire("submit_payment")

    p = j.pay
    assert out.events == [] and p.step == "method" and p.processing is False
    assert "insufficient funds" in p.message and p.message == DECLINE_MESSAGES["insufficient_funds"]
    assert p.reference == "" and p.result_status == ""
    # What the member typed is kept, except what must never be kept.
    assert (p.card_name, p.billing_zip, p.expiry) == ("Alice B Whitfield", "02139", "12/30")
    assert p.amount_text == "$800.00"
    [declined] = j.made
    assert declined.status == PaymentStatus.DECLINED and declined.amount_cents == 80000
    assert declined.reason_code == "insufficient_funds" and ledger_for_payment(declined.id) == []
    after = counts()
    assert after["LedgerEntry"] == before["LedgerEntry"] and after["Payment"] == before["Payment"] + 1
    with session_scope() as s:
        assert ledger.balance(s, account_id) == 80000

    # Submit again without choosing a method: nothing happens.
    out = await j.fire("submit_payment")
    assert out.events == [] and counts() == after

    # Another card: the review opens again with a new key, and this one goes through.
    await j.fire("submit_method", form_data=card_form(CARD_OK, card_name=p.card_name, billing_zip=p.billing_zip))
    assert p.step == "review" and p.message == ""
    await j.fire("submit_payment")
    assert p.step == "done" and payment(p.reference).status == PaymentStatus.SUCCEEDED
    # A new attempt with its own idempotency key: the declined one is not replayed.
    assert [m.status for m in j.made] == [PaymentStatus.DECLINED, PaymentStatus.SUCCEEDED]
    assert len(set(j.keys)) == 2 and counts()["Payment"] == after["Payment"] + 1
    assert_no_card_data(j.seen, j.tab, keys=j.keys)


# --------------------------------------------------------------------------------------------
# Nothing secret reaches the browser
# --------------------------------------------------------------------------------------------


async def test_no_delta_at_any_step_holds_card_data_a_token_or_the_key(billing):
    j = await journey()
    # A card typed with spaces, declined, then a bank account, then a saved card that gets paid.
    await j.to_review(card_form("4000 0000 0000 9995"))
    await j.fire("submit_payment")
    await j.fire("pick_method_kind", value="bank")
    await j.fire("submit_method", form_data=bank_form(confirm_account_number="000123456788"))
    assert j.pay.errors == {"confirm_account_number": "The account numbers don't match."}
    await j.fire("submit_method", form_data=bank_form())
    await j.fire("edit", step="method")
    await j.fire("pick_method_kind", value="card")
    await j.fire("submit_method", form_data={**card_form("4242 4242 4242 4242"), "save_method": True})
    await j.fire("submit_payment")
    assert j.pay.step == "done"
    saved = method_rows(ALICE)[0]
    await j.fire("load")  # nothing due now: "another amount" is offered, the saved card preselected
    assert (j.pay.amount_choice, j.pay.method_kind, j.pay.selected_method) == ("other", "saved", str(saved.id))
    await j.fire("submit_amount", form_data=today_form(other_amount="10.00"))
    assert j.pay.step == "method"
    await j.fire("submit_method", form_data={"saved_method": str(saved.id)})
    await j.fire("submit_payment")
    assert j.pay.step == "done" and len(j.keys) == 3  # declined, paid by card, paid with the saved card
    assert saved.processor_token.startswith("sbx_")

    assert_no_card_data(j.seen, j.tab, keys=j.keys)
    assert saved.processor_token not in j.seen


# --------------------------------------------------------------------------------------------
# Saving the card while paying
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "saved"),
    [
        (True, True),
        ("on", True),
        (False, False),
        ("off", False),
        ("true", False),
        (None, False),
        (1, False),
        (["on"], False),
    ],
    ids=repr,
)
async def test_save_method_checkbox(billing, flag, saved):
    j = await journey()
    await j.to_review({**card_form(), "save_method": flag})
    await j.fire("submit_payment")
    rows = method_rows(ALICE)
    assert len(rows) == int(saved)
    if saved:
        assert (rows[0].brand, rows[0].last4, rows[0].is_default) == ("Visa", "4242", True)
        assert payment(j.pay.reference).payment_method_id == rows[0].id


async def test_an_old_session_cannot_save_the_card_while_paying(billing):
    tab = await logged_in_browser(ALICE, url=routes.PAY)
    clock.shift(dt.timedelta(minutes=11))
    j = Journey(tab)
    await j.fire("load")
    assert j.pay.can_save is False
    await j.to_review({**card_form(), "save_method": True})
    await j.fire("submit_payment")
    assert j.pay.step == "done" and method_rows(ALICE) == []


async def test_saving_while_paying_rechecks_the_recent_log_in(billing):
    j = await journey()
    assert j.pay.can_save is True
    clock.shift(dt.timedelta(minutes=11))  # still one active session (idle limit is 15 minutes)
    await j.to_review({**card_form(), "save_method": True})
    await j.fire("submit_payment")
    assert j.pay.step == "done"
    assert method_rows(ALICE) == []


# --------------------------------------------------------------------------------------------
# Saved methods: only the member's own
# --------------------------------------------------------------------------------------------


async def test_load_preselects_the_default_saved_method_and_pays_with_it(billing):
    own = saved_card(ALICE, nickname="Everyday")
    j = await journey()
    p = j.pay
    assert p.method_kind == "saved" and p.selected_method == str(own)
    assert [(m.id, m.label, m.is_default) for m in p.saved_methods] == [(own, "Visa ••••4242", True)]
    await j.to_review({"saved_method": str(own)})
    assert p.method_label == "Visa ••••4242"
    await j.fire("submit_payment")
    assert payment(p.reference).payment_method_id == own and payment(p.reference).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("which", ["bob", "removed", "junk"])
async def test_a_saved_method_that_isnt_the_members_own_is_refused(billing, which):
    own = saved_card(ALICE)
    bobs = saved_card(BOB)
    removed = saved_card(ALICE)
    with session_scope() as s:
        from hcpay_app.services.payments import methods

        methods.remove(s, resolve(service_login(ALICE)), removed, now=clock.utcnow())
    values = {"bob": [str(bobs)], "removed": [str(removed)]}.get(which) or [
        "abc",
        "-1",
        "0",
        "",
        " 1",
        "1.0",
        "99999",
        "9" * 12,
        f"{own} OR 1=1",
        10**30,
        None,
        own,
        [str(own)],
        {"id": str(own)},
        True,
    ]
    j = await journey()
    await j.to_method()
    assert j.pay.method_kind == "saved"
    before = counts()

    for value in values:
        out = await j.fire("submit_method", form_data={"saved_method": value})
        p = j.pay
        assert out.events == [] and p.errors == {"saved_method": NO_METHOD}, value
        assert p.step == "method" and p.processing is False, value
    out = await j.fire("submit_payment")  # no method was taken: nothing to submit
    assert out.events == [] and j.pay.step == "method" and counts() == before
    assert "sbx_" not in j.seen


@pytest.mark.parametrize("value", ["9" * 20, "7" * 10_000, "²", "1²"], ids=["20-digits", "10k-digits", "sup2", "1sup2"])
async def test_a_saved_method_id_too_long_or_with_odd_digits_is_refused(billing, value):
    saved_card(ALICE)
    j = await journey()
    await j.to_method()
    assert j.pay.method_kind == "saved"
    before = counts()
    await j.fire("submit_method", form_data={"saved_method": value})
    assert j.pay.errors == {"saved_method": NO_METHOD} and j.pay.step == "method" and counts() == before


async def test_a_saved_method_removed_after_the_review_is_not_charged(billing):
    own = saved_card(ALICE)
    j = await journey()
    await j.to_review({"saved_method": str(own)})
    with session_scope() as s:
        from hcpay_app.services.payments import methods

        methods.remove(s, resolve(j.tab.cookie()), own, now=clock.utcnow())
    before = counts()
    await j.fire("submit_payment")
    assert j.pay.step == "review" and j.pay.message == NO_METHOD
    assert counts() == before


# --------------------------------------------------------------------------------------------
# Hostile arguments never raise
# --------------------------------------------------------------------------------------------

JUNK = [None, 7, True, ["x"], {"a": 1}, "x" * 10_000]
JUNK_IDS = ["none", "int", "bool", "list", "dict", "10k"]
CARD_FIELDS = ["card_number", "expiry", "cvc", "card_name", "billing_zip", "save_method"]
BANK_FIELDS = [
    "routing_number",
    "account_number",
    "confirm_account_number",
    "account_type",
    "account_name",
    "save_method",
]


def expect_error(field: str, value) -> bool:
    if field == "save_method":
        return False  # only True or "on" tick it
    if field == "account_type":
        return True  # only "checking" or "savings" is accepted; anything else is asked again
    return True


@pytest.mark.parametrize("value", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize(("kind", "field"), [*(("card", f) for f in CARD_FIELDS), *(("bank", f) for f in BANK_FIELDS)])
async def test_submit_method_with_a_field_of_the_wrong_type(billing, kind, field, value):
    """None, a number, a boolean, a list, an object and 10,000 characters in each field."""
    j = await journey()
    await j.to_method()
    await j.fire("pick_method_kind", value=kind)
    before = counts()

    await j.fire("submit_method", form_data={**(card_form() if kind == "card" else bank_form()), field: value})
    p = j.pay
    assert p.processing is False, value
    if expect_error(field, value):
        assert set(p.errors) == {field} and p.step == "method", value
    else:
        assert p.errors == {} and p.step == "review", value
        await j.fire("edit", step="method")
    assert len(p.card_name) <= 60 and len(p.account_name) <= 60 and len(p.billing_zip) <= 10, value
    assert len(p.expiry) <= 7, value

    assert counts() == before
    assert_no_card_data(j.seen, j.tab, keys=j.keys)


@pytest.mark.parametrize(
    ("kind", "field", "var"), [("bank", "account_type", "account_type"), ("saved", "saved_method", "selected_method")]
)
async def test_echoed_method_fields_are_capped(billing, kind, field, var):
    j = await journey()
    await j.to_method()
    await j.fire("pick_method_kind", value=kind)
    out = await j.fire("submit_method", form_data={**bank_form(), field: "x" * 100_000})
    assert j.pay.errors and j.pay.step == "method"
    assert len(getattr(j.pay, var)) <= 20 and len(out.seen) < 10_000


@pytest.mark.parametrize("form_data", [None, [], "card_number=4242424242424242", 5, {}], ids=repr)
@pytest.mark.parametrize("kind", ["card", "bank", "saved"])
async def test_submit_method_with_junk_form_data(billing, kind, form_data):
    j = await journey()
    await j.to_method()
    await j.fire("pick_method_kind", value=kind)
    await j.fire("submit_method", form_data=form_data)
    assert j.pay.step == "method" and j.pay.errors and j.pay.processing is False
    assert counts()["Payment"] == len(billing.alice.references) + len(billing.bob.references)


@pytest.mark.parametrize("value", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("field", ["other_amount", "payment_date"])
async def test_submit_amount_with_a_field_of_the_wrong_type(billing, field, value):
    j = await journey()
    await j.fire("pick_amount", value="other")
    j.pay.step = "amount"
    await j.fire("submit_amount", form_data={"other_amount": "100.00", "payment_date": TODAY.isoformat(), field: value})
    p = j.pay
    assert len(p.other_amount) <= 20 and len(p.payment_date) <= 10, value
    if field == "payment_date" and not isinstance(value, str):
        assert p.errors == {} and p.step == "method" and p.date_text == "Nov 24, 2026", value  # no date means today
    else:
        assert set(p.errors) == {field} and p.step == "amount", value


@pytest.mark.parametrize("form_data", [None, [], "other_amount=5", 5], ids=repr)
async def test_submit_amount_with_junk_form_data_pays_the_amount_due_today(billing, form_data):
    j = await journey()
    await j.fire("submit_amount", form_data=form_data)
    assert (j.pay.step, j.pay.amount_text, j.pay.date_text) == ("method", "$800.00", "Nov 24, 2026")


@pytest.mark.parametrize("value", [None, 5, ["other"], {"x": 1}, "OTHER", "due ", "x" * 10_000], ids=repr)
async def test_pick_amount_and_method_kind_with_junk(billing, value):
    j = await journey()
    await j.fire("pick_amount", value="other")
    await j.fire("pick_amount", value=value)
    await j.fire("pick_method_kind", value="bank")
    await j.fire("pick_method_kind", value=value)
    assert (j.pay.amount_choice, j.pay.method_kind) == ("due", "card")


# --------------------------------------------------------------------------------------------
# The amount step
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount."),
        ("abc", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("-5", "The amount can't be negative."),
        ("$-5", "The amount can't be negative."),
        ("0.99", "The smallest payment is $1.00."),
        ("0", "The smallest payment is $1.00."),
        (".5", "The smallest payment is $1.00."),  # fifty cents: an amount, just under the minimum
        ("$.5", "The smallest payment is $1.00."),
        (".50", "The smallest payment is $1.00."),
        (".", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        (".555", "Use at most two digits after the decimal point, like 125.50."),
        ("1.234", "Use at most two digits after the decimal point, like 125.50."),
        ("1e3", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("NaN", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("１００", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("6300.01", "The most you can pay at once is $6,300.00 (12 months of premium plus your balance)."),
        ("9" * 12, "The most you can pay at once is $6,300.00 (12 months of premium plus your balance)."),
        ("9" * 13, "That amount is too large."),
        ("1" * 10_000, "That amount is too large."),  # the state keeps 20 characters
    ],
)
async def test_another_amount_that_isnt_an_amount(billing, typed, message):
    j = await journey()
    await j.fire("pick_amount", value="other")
    out = await j.fire("submit_amount", form_data=today_form(other_amount=typed))
    p = j.pay
    assert out.events == [] and p.errors == {"other_amount": message}  # shown next to "Amount in dollars"
    assert p.step == "amount" and p.amount_text == ""


@pytest.mark.parametrize(("typed", "shown"), [("1", "$1.00"), ("$1,234.5", "$1,234.50"), (" 6300.00 ", "$6,300.00")])
async def test_another_amount(billing, typed, shown):
    j = await journey()
    await j.fire("pick_amount", value="other")
    await j.fire("submit_amount", form_data=today_form(other_amount=typed))
    assert j.pay.errors == {} and j.pay.amount_text == shown and j.pay.step == "method"


async def test_the_past_due_amount_only(billing):
    j = await journey()
    await j.fire("pick_amount", value="past_due")
    await j.fire("submit_amount", form_data=today_form())
    assert j.pay.amount_text == "$800.00" and j.pay.step == "method"


async def test_nothing_due_means_another_amount(billing):
    j = await journey(BOB)
    assert j.pay.has_amount_due is False and j.pay.amount_choice == "other"
    j.pay.amount_choice = "due"  # a forged choice
    await j.fire("submit_amount", form_data=today_form())
    assert set(j.pay.errors) == {"amount_choice"} and j.pay.step == "amount"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TODAY + dt.timedelta(days=61), "You can schedule a payment up to 60 days ahead."),
        (TODAY + dt.timedelta(days=3650), "You can schedule a payment up to 60 days ahead."),
        (TODAY - dt.timedelta(days=1), "The payment date can't be in the past."),
        ("2026-02-30", "Choose a payment date."),
        ("11/30/2026", "Choose a payment date."),
    ],
)
async def test_a_payment_date_out_of_range_is_refused(billing, day, message):
    j = await journey()
    await j.fire("submit_amount", form_data=today_form(payment_date=str(day)))
    assert j.pay.errors == {"payment_date": message} and j.pay.step == "amount" and j.pay.is_scheduled is False


async def test_sixty_days_ahead_is_the_latest_date(billing):
    j = await journey()
    await j.fire("submit_amount", form_data=today_form(payment_date=j.pay.latest_iso))
    assert j.pay.errors == {} and j.pay.is_scheduled is True and j.pay.date_text == "Jan 23, 2027"


# --------------------------------------------------------------------------------------------
# Scheduled payments and cancelling them from the dashboard
# --------------------------------------------------------------------------------------------


async def schedule(person: Person, day: str = IN_8_DAYS, amount: str = "50.00") -> tuple[Journey, str]:
    j = await journey(person)
    await j.fire("pick_amount", value="other")
    await j.to_review(
        card_form(card_name=f"{person.first_name} {person.last_name}"), other_amount=amount, payment_date=day
    )
    assert j.pay.is_scheduled is True
    before = counts()
    await j.fire("submit_payment")
    assert j.pay.step == "done" and j.pay.result_status == "Scheduled"
    after = counts()
    assert after["Payment"] == before["Payment"] + 1
    assert after["LedgerEntry"] == before["LedgerEntry"] and after["SandboxCharge"] == before["SandboxCharge"]
    return j, j.pay.reference


async def test_a_future_date_schedules_the_payment_and_the_dashboard_cancels_it(billing):
    j, reference = await schedule(ALICE)
    made = payment(reference)
    assert (made.status, made.amount_cents, made.payment_date) == (PaymentStatus.SCHEDULED, 5000, dt.date(2026, 12, 1))
    assert ledger_for_payment(made.id) == [] and j.pay.date_text == "Dec 1, 2026"

    tab = j.tab.navigate(routes.DASHBOARD)
    await fire(tab, DashboardState, "load")
    assert reference in [s.reference for s in tab.state(DashboardState).scheduled]
    out = await fire(tab, DashboardState, "cancel_scheduled", reference=reference)

    d = tab.state(DashboardState)
    assert d.cancel_message == f"Scheduled payment {reference} was canceled. Nothing was charged."
    assert payment(reference).status == PaymentStatus.CANCELED and ledger_for_payment(made.id) == []
    assert reference not in [s.reference for s in d.scheduled] and out.redirects == []

    out = await fire(tab, DashboardState, "cancel_scheduled", reference=reference)
    assert d.cancel_message == "This payment can no longer be canceled: it has already run or was canceled."


@pytest.mark.parametrize("typed", ["exact", "lower-case", "spaces"])
async def test_cancelling_another_members_scheduled_payment_is_refused(billing, typed):
    _bob, bobs = await schedule(BOB)
    bob_before = payment(bobs)
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "load")
    reference = {"exact": bobs, "lower-case": bobs.lower(), "spaces": bobs.replace("-", " ")}[typed]
    out = await fire(tab, DashboardState, "cancel_scheduled", reference=reference)
    assert tab.state(DashboardState).cancel_message == NOT_FOUND
    bob_after = payment(bobs)
    assert bob_after.status == PaymentStatus.SCHEDULED and bob_after.updated_at == bob_before.updated_at
    assert bobs not in out.seen


@pytest.mark.parametrize("reference", [None, 5, ["HC"], {"r": 1}, "", "HC-0000-0000-0000", "x" * 10_000], ids=repr)
async def test_cancel_scheduled_with_junk(billing, reference):
    tab = await logged_in_browser(ALICE)
    before = counts()
    await fire(tab, DashboardState, "cancel_scheduled", reference=reference)
    assert tab.state(DashboardState).cancel_message == NOT_FOUND and counts() == before


async def test_cancelling_a_payment_that_already_ran_is_refused(billing):
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "cancel_scheduled", reference=billing.alice.latest_succeeded)
    assert tab.state(DashboardState).cancel_message == (
        "This payment can no longer be canceled: it has already run or was canceled."
    )
    assert payment(billing.alice.latest_succeeded).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("cookie", ["none", "forged", "revoked"])
async def test_cancel_scheduled_without_a_live_session(billing, make_browser, cookie):
    reference = billing.alice.scheduled[0]
    tab = make_browser(routes.DASHBOARD)
    if cookie == "forged":
        tab.set_cookie(secrets.token_urlsafe(32))
    elif cookie == "revoked":
        token = service_login(ALICE)
        revoke(token)
        tab.set_cookie(token)
    out = await fire(tab, DashboardState, "cancel_scheduled", reference=reference)
    assert out.redirects == ["/?next=%2Fdashboard"]
    assert payment(reference).status == PaymentStatus.SCHEDULED
