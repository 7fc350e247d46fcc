"""Guest payment (GuestState): pay without logging in, after proving a billing account with its
ZIP code and the member's date of birth.

A verified guest sees only the member's initials and the amount due; the account's id stays in a
backend-only var; a wrong detail gets one generic answer; each review pays once; failures are
rate-limited per client and per account; every argument is treated as hostile. Billing data comes
from `billing_seed` (clock pinned to Tue Nov 24, 2026; Alice owes $800.00, Bob nothing).
"""

from __future__ import annotations

import json

import pytest
from reflex_base import constants

from hcpay_app import routes
from hcpay_app.models import PaymentStatus
from hcpay_app.services.payments import card_guard, guest
from hcpay_app.state.guest import GuestState
from tests.state.console_flow import assert_no_member_data, snapshot
from tests.state.pay_flow import (
    CARD_NSF,
    CARD_OK,
    REFERENCE_RE,
    assert_no_card_data,
    bank_form,
    card_form,
    payment,
    payments_for,
)
from tests.state.state_harness import ALICE, BOB, Browser, Outcome, fire

pytestmark = pytest.mark.asyncio

RATE_LIMITED = "Too many attempts. For your security, please wait an hour or log in to pay."
BACKEND_VARS = ("_account_id", "account_id", "_maximum", "_amount_cents", "_choice", "_idempotency_key")


def defaults() -> dict:
    return Browser(routes.GUEST_PAY).public_of(GuestState)


def details(person=ALICE, **overrides) -> dict:
    return {
        "account_number": person.account_number,
        "zip_code": "02110",
        "date_of_birth": person.date_of_birth.isoformat(),
        **overrides,
    }


class GuestTab:
    """A guest payment tab that remembers everything the browser received."""

    def __init__(self, ip: str = "203.0.113.50"):
        self.tab = Browser(routes.GUEST_PAY, ip=ip)
        self.outs: list[Outcome] = []

    @property
    def state(self) -> GuestState:
        return self.tab.state(GuestState)

    async def fire(self, name: str, /, **payload) -> Outcome:
        out = await fire(self.tab, GuestState, name, **payload)
        assert out.events == [], out.events
        self.outs.append(out)
        return out

    @property
    def seen(self) -> str:
        return "\n".join([*(o.seen for o in self.outs), self.tab.public()])

    async def verified(self, person=ALICE) -> GuestTab:
        await self.fire("verify", form_data=details(person))
        assert self.state.step == "pay", (self.state.errors, self.state.message)
        return self

    async def reviewed(self, amount: str = "800.00", form: dict | None = None) -> GuestTab:
        await self.fire("choose", form_data={"amount": amount, **(form or card_form())})
        assert self.state.step == "review", self.state.errors
        return self


def guest_keys(text: str) -> set[str]:
    """Every GuestState var name in the frames (one JSON document per line)."""
    marker = constants.state.FIELD_MARKER
    names: set[str] = set()
    for line in filter(None, text.splitlines()):
        names |= {k.removesuffix(marker) for k in json.loads(line).get(GuestState.get_full_name(), {})}
    return names


def assert_only_initials(text: str, person=ALICE) -> None:
    assert_no_member_data(text, person)
    for value in (person.first_name, person.last_name, person.email, person.member_number, person.username):
        assert value not in text, value
    assert "account_id" not in text
    keys = guest_keys(text)
    assert not {k for k in keys if k.startswith("_")} and not keys & set(BACKEND_VARS), keys


async def assert_cannot_pay(g: GuestTab) -> None:
    """No account is verified in this tab: choosing an amount and submitting do nothing."""
    before = snapshot()
    await g.fire("choose", form_data={"amount": "100", **card_form()})
    await g.fire("submit")
    assert g.state.step == "verify" and g.state.amount_text == "" and snapshot() == before


# --------------------------------------------------------------------------------------------
# Verify
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dob", ["iso", "us"])
async def test_the_right_details_show_initials_and_the_amount_due_only(billing, dob):
    g = GuestTab()
    born = ALICE.date_of_birth.isoformat() if dob == "iso" else ALICE.date_of_birth.strftime("%m/%d/%Y")
    await g.fire("verify", form_data=details(date_of_birth=born, zip_code=" 02110 "))
    s = g.state
    assert (s.step, s.initials, s.amount_due, s.errors, s.message) == ("pay", "A. W.", "$800.00", {}, "")
    assert {"initials", "amount_due", "step"} <= guest_keys(g.seen)  # the scan below does see GuestState
    assert_only_initials(g.seen)


async def test_a_member_with_nothing_due_is_verified_with_zero_due(billing):
    g = await GuestTab().verified(BOB)
    assert (g.state.initials, g.state.amount_due) == ("B. O.", "$0.00")
    assert_only_initials(g.seen, BOB)


@pytest.mark.parametrize("wrong", ["zip", "dob", "unknown-account", "other-members-dob", "other-members-account"])
async def test_wrong_details_get_one_generic_answer(billing, wrong):
    form = {
        "zip": details(zip_code="02111"),
        "dob": details(date_of_birth="1984-05-18"),
        "unknown-account": details(account_number="819999999"),
        "other-members-dob": details(date_of_birth=BOB.date_of_birth.isoformat()),
        "other-members-account": details(BOB, date_of_birth=ALICE.date_of_birth.isoformat()),
    }[wrong]
    g = GuestTab()
    before = snapshot()
    await g.fire("verify", form_data=form)
    s = g.state
    assert (s.step, s.message, s.errors, s.initials, s.amount_due) == ("verify", guest.NO_MATCH, {}, "", "")
    assert snapshot()["RateLimitHit"] == before["RateLimitHit"] + 2  # counted against the client and the account
    await assert_cannot_pay(g)
    assert_only_initials(g.seen, ALICE)
    assert_only_initials(g.seen, BOB)


JUNK = [
    None,
    [],
    "account_number=810000001",
    5,
    {"account_number": 810000001, "zip_code": 2110, "date_of_birth": [1984, 5, 17]},
    {"account_number": ["810000001"], "zip_code": {"zip": "02110"}, "date_of_birth": None},
    {"account_number": "81000000１", "zip_code": "0211O", "date_of_birth": "1984-02-30"},
    {"account_number": "810000001 OR 1=1", "zip_code": "02110", "date_of_birth": "yesterday"},
    {"account_number": "8" * 5000, "zip_code": "0" * 5000, "date_of_birth": "1" * 5000},
]


@pytest.mark.parametrize("junk", JUNK, ids=[f"junk{i}" for i in range(len(JUNK))])
async def test_junk_details_never_raise_or_verify(billing, junk):
    g = GuestTab()
    before = snapshot()
    await g.fire("verify", form_data=junk)
    s = g.state
    assert s.step == "verify" and s.initials == ""
    assert s.errors, "junk must be a field error"
    assert snapshot() == before, "a malformed attempt writes nothing (not even a rate-limit hit)"
    await assert_cannot_pay(g)


@pytest.mark.parametrize(
    "value, kind",
    [
        ("bank", "bank"),
        ("card", "card"),
        ("crypto", "card"),
        (None, "card"),
        (["bank"], "card"),
        ({"bank": 1}, "card"),
        (1, "card"),
    ],
)
async def test_pick_method_kind_accepts_only_card_or_bank(billing, value, kind):
    g = GuestTab()
    await g.fire("pick_method_kind", value=value)
    assert g.state.method_kind == kind


# --------------------------------------------------------------------------------------------
# Pay once
# --------------------------------------------------------------------------------------------


async def test_choose_and_submit_pays_once(billing):
    g = await (await GuestTab().verified()).reviewed("125.50")
    s = g.state
    assert (s.amount_text, s.method_label) == ("$125.50", "Visa ••••4242")
    before = snapshot()
    await g.fire("submit")
    assert s.step == "done" and REFERENCE_RE.fullmatch(s.reference) and s.message == ""
    made = payment(s.reference)
    assert (made.amount_cents, made.billing_account_id, made.source, made.user_id) == (
        12550,
        billing.alice.account_id,
        "guest",
        None,
    )
    assert made.status == PaymentStatus.SUCCEEDED
    key = made.idempotency_key
    after = snapshot()
    assert after["Payment"] == before["Payment"] + 1 and after["LedgerEntry"] == before["LedgerEntry"] + 1

    # The paid review, the account and the card token are gone: nothing more can be paid from here.
    for _ in range(3):  # double clicks, a replayed event
        await g.fire("submit")
    await g.fire("choose", form_data={"amount": "125.50", **card_form()})
    await g.fire("submit")
    assert snapshot() == after and len(payments_for(billing.alice.account_id)) == len(billing.alice.references) + 1
    assert g.state.step == "done"
    assert_only_initials(g.seen)
    assert_no_card_data(g.seen, g.tab, keys=[key])


async def test_a_bank_payment_works_too(billing):
    g = await GuestTab().verified()
    await g.fire("pick_method_kind", value="bank")
    await g.reviewed("50", bank_form())
    await g.fire("submit")
    made = payment(g.state.reference)
    assert made.method_kind == "bank" and made.amount_cents == 5000 and made.source == "guest"
    assert_no_card_data(g.seen, g.tab)


async def test_submit_without_a_verified_account_does_nothing(billing):
    g = GuestTab()
    before = snapshot()
    await g.fire("submit")
    await g.fire("choose", form_data={"amount": "100", **card_form()})
    await g.fire("submit")
    assert g.state.step == "verify" and snapshot() == before
    assert g.tab.public_of(GuestState) == defaults()


async def test_submit_before_choosing_does_nothing(billing):
    g = await GuestTab().verified()
    before = snapshot()
    await g.fire("submit")
    assert g.state.step == "pay" and snapshot() == before


async def test_start_over_forgets_the_verified_account(billing):
    g = await (await GuestTab().verified()).reviewed()
    await g.fire("start")
    before = snapshot()
    await g.fire("submit")
    assert g.tab.public_of(GuestState) == defaults() and snapshot() == before
    await assert_cannot_pay(g)


@pytest.mark.parametrize(
    "amount, field", [("0.50", "amount"), ("abc", "amount"), ("99999999", "amount"), ("", "amount")]
)
async def test_a_bad_amount_stays_on_the_pay_step(billing, amount, field):
    g = await GuestTab().verified()
    await g.fire("choose", form_data={"amount": amount, **card_form()})
    assert g.state.step == "pay" and field in g.state.errors and g.state.processing is False


@pytest.mark.parametrize(
    "junk",
    [
        None,
        [],
        "amount=100",
        {"amount": 100, "card_number": int(CARD_OK), "cvc": [947]},
        {"amount": ["100"], "expiry": {"m": 12}},
    ],
)
async def test_junk_in_choose_never_raises(billing, junk):
    g = await GuestTab().verified()
    before = snapshot()
    await g.fire("choose", form_data=junk)
    assert g.state.step == "pay" and g.state.errors and snapshot() == before


async def test_a_declined_card_goes_back_to_pay_then_a_new_card_pays_once(billing):
    g = await (await GuestTab().verified()).reviewed("100", card_form(CARD_NSF))
    await g.fire("submit")
    s = g.state
    assert s.step == "pay" and s.message == card_guard.GUEST_DECLINED and s.reference == ""  # never why
    await g.fire("submit")  # the declined card is forgotten: nothing to submit until a new one is chosen
    await g.reviewed("100")
    await g.fire("submit")
    assert g.state.step == "done"
    declined, paid = payments_for(billing.alice.account_id)[-2:]
    assert (declined.status, paid.status) == (PaymentStatus.DECLINED, PaymentStatus.SUCCEEDED)
    assert declined.idempotency_key != paid.idempotency_key  # a new attempt, not a replay of the declined one
    assert_no_card_data(g.seen, g.tab, keys=[declined.idempotency_key, paid.idempotency_key])


# --------------------------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------------------------


async def test_ten_failures_from_one_client_lock_that_client_out(billing):
    g = GuestTab(ip="198.51.100.77")
    for i in range(guest.PER_CLIENT_PER_HOUR):
        await g.fire("verify", form_data=details(account_number=f"8199999{i:02d}"))
        assert g.state.message == guest.NO_MATCH
    await g.fire("verify", form_data=details())  # even the right details, now
    s = g.state
    assert (s.step, s.message, s.initials) == ("verify", RATE_LIMITED, "")
    await assert_cannot_pay(g)
    assert_only_initials(g.seen)
    other = await GuestTab(ip="198.51.100.78").verified()  # another client is unaffected
    assert other.state.initials == "A. W."


async def test_nine_failures_do_not_lock_the_client_out(billing):
    g = GuestTab(ip="198.51.100.79")
    for i in range(guest.PER_CLIENT_PER_HOUR - 1):
        await g.fire("verify", form_data=details(account_number=f"8199999{i:02d}"))
    await g.verified()


async def test_five_failures_on_one_account_lock_that_account_from_any_client(billing):
    for i in range(guest.PER_ACCOUNT_PER_HOUR):
        g = GuestTab(ip=f"192.0.2.{i + 1}")
        await g.fire("verify", form_data=details(date_of_birth=f"1984-05-{i + 1:02d}"))
        assert g.state.message == guest.NO_MATCH
    g = GuestTab(ip="192.0.2.99")
    await g.fire("verify", form_data=details())
    assert g.state.message == RATE_LIMITED
    await assert_cannot_pay(g)
    await GuestTab(ip="192.0.2.100").verified(BOB)  # other accounts are unaffected


async def test_malformed_attempts_do_not_count_towards_the_limit(billing):
    g = GuestTab(ip="198.51.100.80")
    for _ in range(guest.PER_CLIENT_PER_HOUR + 5):
        await g.fire("verify", form_data=details(zip_code="abc"))
    await g.verified()


# --------------------------------------------------------------------------------------------
# Coverage re-checked on submit, and cents typed without the leading zero
# --------------------------------------------------------------------------------------------


def terminate(account_id: int) -> None:
    """The daily job ends the account's coverage (between the guest's review and the click)."""
    from hcpay_app.db import session_scope
    from hcpay_app.models import BillingAccount, CoverageStatus
    from tests.state.billing_seed import TODAY

    with session_scope() as s:
        row = s.get(BillingAccount, account_id)
        row.coverage_status, row.terminated_on = CoverageStatus.TERMINATED, TODAY
        s.add(row)
        s.commit()


@pytest.mark.parametrize("kind", ["card", "bank"])
async def test_coverage_ended_before_submit_charges_nothing_and_says_why(billing, kind):
    from tests.state.pay_flow import counts as payment_counts

    g = await GuestTab().verified()
    await g.fire("pick_method_kind", value=kind)
    await g.reviewed("800.00", card_form() if kind == "card" else bank_form())
    terminate(billing.alice.account_id)
    before, rows_before = snapshot(), payment_counts()

    await g.fire("submit")

    s = g.state
    assert s.message == guest.coverage_ended_message()
    assert s.message.startswith("The coverage on this billing account has ended")
    assert "Nothing was charged." in s.message
    assert (s.step, s.reference, s.processing, s.initials, s.amount_due) == ("verify", "", False, "", "")
    assert snapshot() == before and payment_counts() == rows_before
    await g.fire("submit")  # nothing left to submit: the account and the card token were forgotten
    assert payment_counts() == rows_before
    await assert_cannot_pay(g)
    assert_only_initials(g.seen)


@pytest.mark.parametrize("typed", [".5", "$.5", "0.5", ".50"])
async def test_fifty_cents_typed_any_way_gets_the_minimum_message(billing, typed):
    g = await GuestTab().verified()
    await g.fire("choose", form_data={"amount": typed, **card_form()})
    assert g.state.errors == {"amount": "The smallest payment is $1.00."} and g.state.step == "pay"
