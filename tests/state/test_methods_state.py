"""Settings → Payment methods (MethodsState): list, add (after a recent log-in, or with the password),
rename, make default, remove — only the member's own, never while a scheduled payment uses the
method, and never a card or account number, CVC or processor token in what the browser receives.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from hcpay_app import clock, routes
from hcpay_app.models import PaymentStatus
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.methods import MethodsState
from hcpay_app.state.pay import PayState
from hcpay_app.state.session import SessionState
from tests.state.billing_seed import TODAY, seed_billing
from tests.state.pay_flow import (
    CVC,
    age_session,
    assert_no_card_data,
    bank_form,
    card_form,
    counts,
    method_row,
    method_rows,
    payment,
    revoke,
    saved_card,
)
from tests.state.state_harness import (
    ALICE,
    BOB,
    PASSWORD,
    Browser,
    Outcome,
    fire,
    logged_in_browser,
    service_login,
)

pytestmark = pytest.mark.asyncio

SETTINGS_REDIRECT = "/?next=%2Fsettings"
NO_METHOD = "We couldn't find that payment method."
NEED_PASSWORD = "Enter your current password to add a payment method."
IN_USE = "A scheduled payment uses this method. Cancel it or choose another method for it first."
BAD_NICKNAME = "Use a short name without long numbers, like “My Visa”."


def defaults() -> dict:
    return Browser().public_of(MethodsState)


def snapshot(*people) -> list[tuple]:
    """Everything a handler could change about these members' saved methods."""
    return [(m.id, m.nickname, m.is_default, m.removed_at, m.processor_token) for p in people for m in method_rows(p)]


class Tab:
    """A Settings tab with the outcome of every handler fired in it."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.outs: list[Outcome] = []

    @property
    def state(self) -> MethodsState:
        return self.browser.state(MethodsState)

    async def fire(self, name: str, /, **payload) -> Outcome:
        out = await fire(self.browser, MethodsState, name, **payload)
        self.outs.append(out)
        return out

    @property
    def seen(self) -> str:
        return "\n".join([*(o.seen for o in self.outs), self.browser.public()])

    def listed(self) -> list[tuple[int, str, str, bool]]:
        return [(m.id, m.label, m.nickname, m.is_default) for m in self.state.methods]


async def settings(person=ALICE) -> Tab:
    tab = Tab(await logged_in_browser(person, url=routes.SETTINGS))
    out = await tab.fire("load")
    assert out.events == []
    return tab


@pytest.fixture
def two_cards(db) -> tuple[int, int, int]:
    """Alice's default card and a second one, and Bob's card (ids)."""
    return (
        saved_card(ALICE, nickname="Everyday"),
        saved_card(ALICE, "5555555555554444"),
        saved_card(BOB, nickname="Bob's"),
    )


# --------------------------------------------------------------------------------------------
# No live session: redirect to log in, change nothing
# --------------------------------------------------------------------------------------------


def payloads(first: int, second: int) -> dict[str, dict]:
    return {
        "load": {},
        "add_method": {"form_data": {**card_form(), "nickname": "Sneaky", "password": PASSWORD}},
        "rename": {"form_data": {"method_id": str(first), "nickname": "Renamed"}},
        "make_default": {"method_id": second},
        "remove": {"method_id": first},
    }


@pytest.mark.parametrize("handler", ["load", "add_method", "rename", "make_default", "remove"])
@pytest.mark.parametrize("cookie", ["none", "forged", "revoked"])
async def test_without_a_live_session_every_data_handler_redirects_and_changes_nothing(two_cards, handler, cookie):
    first, second, _ = two_cards
    tab = await settings()
    await tab.fire("open_add", kind="card")
    assert tab.state.methods and tab.state.adding
    if cookie == "revoked":
        revoke(tab.browser.cookie())
    else:
        tab.browser.set_cookie("" if cookie == "none" else secrets.token_urlsafe(32))
    before, rows = counts(), snapshot(ALICE, BOB)

    out = await tab.fire(handler, **payloads(first, second)[handler])

    assert out.redirects == [SETTINGS_REDIRECT]
    assert tab.browser.cookie() == ""
    assert counts() == before and snapshot(ALICE, BOB) == rows
    assert tab.browser.public_of(MethodsState) == defaults()
    assert "4242" not in tab.browser.public() and "Everyday" not in tab.browser.public()


@pytest.mark.parametrize("handler", ["load", "add_method", "rename", "make_default", "remove"])
async def test_a_fresh_anonymous_tab_is_sent_to_log_in(two_cards, make_browser, handler):
    first, second, _ = two_cards
    browser = make_browser(routes.SETTINGS)
    before, rows = counts(), snapshot(ALICE, BOB)
    out = await fire(browser, MethodsState, handler, **payloads(first, second)[handler])
    assert out.redirects == [SETTINGS_REDIRECT] and browser.state(SessionState).notice == ""
    assert counts() == before and snapshot(ALICE, BOB) == rows
    assert browser.public_of(MethodsState) == defaults()


# --------------------------------------------------------------------------------------------
# Listing and adding
# --------------------------------------------------------------------------------------------


async def test_load_lists_only_the_members_own_methods_default_first(two_cards):
    first, second, bobs = two_cards
    tab = await settings()
    assert tab.listed() == [(first, "Visa ••••4242", "Everyday", True), (second, "Mastercard ••••4444", "", False)]
    assert tab.state.needs_password is False and tab.state.adding is False
    assert "Bob's" not in tab.seen and all(m.id != bobs for m in tab.state.methods)
    assert_no_card_data(tab.seen, tab.browser, numbers=("5555555555554444",))


async def test_add_a_card_with_a_fresh_session_needs_no_password(db):
    tab = await settings()
    assert tab.state.methods == [] and tab.state.needs_password is False
    await tab.fire("open_add", kind="card")
    assert tab.state.adding is True and tab.state.add_kind == "card"

    out = await tab.fire("add_method", form_data={**card_form(), "nickname": "My Visa"})

    s = tab.state
    assert out.busy == [True] and s.processing is False and out.redirects == []
    assert (s.message, s.errors, s.adding) == ("Visa ••••4242 was added.", {}, False)
    [row] = method_rows(ALICE)
    assert s.methods == [MethodView(row.id, "card", "Visa ••••4242", "My Visa", "12/30", True)]
    assert (row.kind, row.brand, row.last4, row.exp_month, row.exp_year) == ("card", "Visa", "4242", 12, 2030)
    assert row.processor_token.startswith("sbx_card_ok_") and row.processor_token not in tab.seen
    assert_no_card_data(tab.seen, tab.browser)


async def test_add_a_bank_account(db):
    tab = await settings()
    await tab.fire("open_add", kind="bank")
    await tab.fire("add_method", form_data=bank_form())
    assert tab.state.message == "Checking ••••6789 was added." and tab.state.errors == {}
    assert tab.listed() == [(method_rows(ALICE)[0].id, "Checking ••••6789", "", True)]
    assert_no_card_data(tab.seen, tab.browser)


async def test_the_second_method_added_is_not_the_default(two_cards):
    tab = await settings()
    await tab.fire("open_add", kind="card")
    await tab.fire("add_method", form_data=card_form("378282246310005", cvc="9470"))
    assert tab.state.message == "American Express ••••0005 was added."
    assert [m.is_default for m in tab.state.methods] == [True, False, False]


@pytest.mark.parametrize(
    "password",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("wrong-password-123", id="wrong"),
        pytest.param(PASSWORD.lower(), id="wrong-case"),
        pytest.param(["x"], id="list"),
        pytest.param(5, id="number"),
    ],
)
@pytest.mark.parametrize("how", ["clock moved on", "session started long ago"])
async def test_adding_with_a_session_older_than_ten_minutes_needs_the_password(db, how, password):
    browser = await logged_in_browser(ALICE, url=routes.SETTINGS)
    if how == "clock moved on":
        clock.shift(dt.timedelta(minutes=11))  # the db fixture resets the clock after the test
    else:
        age_session(browser.cookie(), dt.timedelta(hours=2))
    tab = Tab(browser)
    await tab.fire("load")
    assert tab.state.needs_password is True
    await tab.fire("open_add", kind="card")

    form = card_form() if password is None else {**card_form(), "password": password}
    out = await tab.fire("add_method", form_data=form)
    assert out.redirects == [] and tab.state.errors == {"password": NEED_PASSWORD}, password
    assert tab.state.adding is True and tab.state.processing is False
    assert method_rows(ALICE) == []

    await tab.fire("add_method", form_data={**card_form(), "password": PASSWORD})
    assert tab.state.message == "Visa ••••4242 was added." and tab.state.errors == {}
    assert len(method_rows(ALICE)) == 1 and tab.state.needs_password is True
    assert PASSWORD not in tab.seen
    assert_no_card_data(tab.seen, tab.browser)


async def test_a_session_ten_minutes_old_still_needs_no_password(db):
    tab = await settings()
    clock.shift(dt.timedelta(minutes=9, seconds=50))
    await tab.fire("add_method", form_data=card_form())
    assert tab.state.errors == {} and len(method_rows(ALICE)) == 1


async def test_a_declining_card_is_still_saved_as_a_method(db):
    """Saving only tokenizes; whether it pays is the processor's answer at charge time."""
    tab = await settings()
    await tab.fire("add_method", form_data=card_form("4000000000009995"))
    assert tab.state.message == "Visa ••••9995 was added."


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (card_form("4242424242424241"), "card_number"),
        (card_form(expiry="10/26"), "expiry"),
        (card_form(cvc="94"), "cvc"),
        (card_form(card_name="<script>"), "card_name"),
        (card_form(billing_zip="ABCDE"), "billing_zip"),
        ({**card_form(), "nickname": "1111111 my card"}, "nickname"),
        ({**card_form(), "nickname": "<b>Visa</b>"}, "nickname"),
    ],
)
async def test_add_with_an_invalid_field_saves_nothing(db, form, field):
    tab = await settings()
    await tab.fire("open_add", kind="card")
    before = counts()
    await tab.fire("add_method", form_data=form)
    assert set(tab.state.errors) == {field} and tab.state.adding is True and tab.state.message == ""
    assert counts() == before
    assert_no_card_data(tab.seen, tab.browser)


JUNK = [None, 7, True, ["x"], {"a": 1}, "x" * 10_000]
JUNK_IDS = ["none", "int", "bool", "list", "dict", "10k"]
CARD_FIELDS = ["card_number", "expiry", "cvc", "card_name", "billing_zip"]
BANK_FIELDS = ["routing_number", "account_number", "confirm_account_number", "account_type", "account_name"]


@pytest.mark.parametrize("value", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize(("kind", "field"), [*(("card", f) for f in CARD_FIELDS), *(("bank", f) for f in BANK_FIELDS)])
async def test_add_with_a_field_of_the_wrong_type(db, kind, field, value):
    """None, a number, a boolean, a list, an object and 10,000 characters in each field."""
    tab = await settings()
    await tab.fire("open_add", kind=kind)
    await tab.fire("add_method", form_data={**(card_form() if kind == "card" else bank_form()), field: value})
    assert set(tab.state.errors) == {field} and tab.state.processing is False, value
    assert method_rows(ALICE) == []
    assert_no_card_data(tab.seen, tab.browser)


@pytest.mark.parametrize("value", [*JUNK, "7" * 10_000], ids=[*JUNK_IDS, "digits"])
async def test_add_with_a_nickname_of_the_wrong_type(db, value):
    tab = await settings()
    await tab.fire("add_method", form_data={**card_form(), "nickname": value})
    rows = method_rows(ALICE)
    if value == "7" * 10_000:
        assert tab.state.errors == {"nickname": BAD_NICKNAME} and rows == []
    else:
        assert tab.state.errors == {} and len(rows) == 1
        assert rows[0].nickname == ("x" * 40 if value == "x" * 10_000 else "")


@pytest.mark.parametrize("form_data", [None, [], "card_number=4242424242424242", 5, {}], ids=repr)
@pytest.mark.parametrize("kind", ["card", "bank"])
async def test_add_with_junk_form_data(db, kind, form_data):
    tab = await settings()
    await tab.fire("open_add", kind=kind)
    await tab.fire("add_method", form_data=form_data)
    assert tab.state.errors and tab.state.processing is False and method_rows(ALICE) == []


async def test_add_while_already_processing_is_ignored(db):
    tab = await settings()
    tab.state.processing = True
    out = await tab.fire("add_method", form_data=card_form())
    assert out.events == [] and method_rows(ALICE) == []


@pytest.mark.parametrize("kind", [None, 1, "savings", "CARD", ["bank"], "x" * 10_000], ids=repr)
async def test_open_add_with_junk_means_card_and_close_add_closes(db, kind):
    tab = await settings()
    await tab.fire("open_add", kind="bank")
    await tab.fire("open_add", kind=kind)
    assert tab.state.add_kind == "card" and tab.state.adding is True
    tab.state.errors = {"card_number": "x"}
    await tab.fire("close_add")
    assert tab.state.adding is False and tab.state.errors == {}


# --------------------------------------------------------------------------------------------
# Rename, make default, remove: own methods only
# --------------------------------------------------------------------------------------------


async def test_rename_own_method(two_cards):
    first, second, _ = two_cards
    tab = await settings()
    await tab.fire("rename", form_data={"method_id": str(second), "nickname": "  Travel   card "})
    assert tab.state.message == "Nickname saved."
    assert tab.listed()[1] == (second, "Mastercard ••••4444", "Travel card", False)
    assert method_row(second).nickname == "Travel card"


@pytest.mark.parametrize(("nickname", "message"), [("<img src=x>", BAD_NICKNAME), ("4242424242424242", BAD_NICKNAME)])
async def test_rename_with_a_bad_nickname(two_cards, nickname, message):
    first, *_ = two_cards
    tab = await settings()
    rows = snapshot(ALICE)
    await tab.fire("rename", form_data={"method_id": str(first), "nickname": nickname})
    assert tab.state.message == message and snapshot(ALICE) == rows


@pytest.mark.parametrize("which", ["bob", "removed", "junk"])
async def test_rename_anything_but_an_own_method_is_refused(two_cards, which):
    first, second, bobs = two_cards
    tab = await settings()
    await tab.fire("remove", method_id=second)
    values = {"bob": [str(bobs)], "removed": [str(second)]}.get(which) or [
        "abc",
        "-1",
        "0",
        "",
        "1.0",
        " 1",
        "9" * 11,
        "9" * 20,
        "9" * 10_000,
        None,
        first,
        [str(first)],
    ]
    rows = snapshot(ALICE, BOB)
    for value in values:
        tab.state.message = ""
        await tab.fire("rename", form_data={"method_id": value, "nickname": "Mine now"})
        assert tab.state.message == NO_METHOD, value
    assert snapshot(ALICE, BOB) == rows
    assert "Mine now" not in tab.browser.public()


async def test_make_default(two_cards):
    first, second, bobs = two_cards
    tab = await settings()
    await tab.fire("make_default", method_id=second)
    assert tab.state.message == "Default payment method updated."
    assert tab.listed()[0][0] == second and [m.is_default for m in tab.state.methods] == [True, False]
    assert method_row(bobs).is_default is True  # Bob's own default is his business


@pytest.mark.parametrize("handler", ["remove", "make_default"])
async def test_remove_own_method_moves_the_default(two_cards, handler):
    first, second, _ = two_cards
    tab = await settings()
    await tab.fire("remove", method_id=first)
    assert tab.state.message == "Payment method removed."
    assert tab.listed() == [(second, "Mastercard ••••4444", "", True)]
    assert method_row(first).removed_at is not None and method_row(first).is_default is False
    # Removing again, or acting on the removed one, finds nothing.
    await tab.fire(handler, method_id=first)
    assert tab.state.message == NO_METHOD


OTHER_IDS = [
    pytest.param("bob", id="bobs"),
    pytest.param("-1", id="negative-text"),
    pytest.param("0", id="zero-text"),
    pytest.param("abc", id="letters"),
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
    pytest.param(True, id="bool"),
    pytest.param(1.0, id="float"),
    pytest.param(["1"], id="list"),
    pytest.param({"id": 1}, id="dict"),
    pytest.param("9" * 11, id="11-digits"),
    pytest.param(2**63 - 1, id="largest-int64"),
]


@pytest.mark.parametrize("method_id", OTHER_IDS)
@pytest.mark.parametrize("handler", ["make_default", "remove"])
async def test_make_default_or_remove_anything_but_an_own_method_is_refused(two_cards, handler, method_id):
    _first, _second, bobs = two_cards
    tab = await settings()
    listed, rows = tab.listed(), snapshot(ALICE, BOB)
    tab.state.message = ""
    out = await tab.fire(handler, method_id=bobs if method_id == "bob" else method_id)
    assert out.events == [] and tab.state.message == NO_METHOD, method_id
    assert snapshot(ALICE, BOB) == rows and tab.listed() == listed


async def test_a_numeric_string_id_is_coerced_like_the_browser_sends_it(two_cards):
    _first, second, bobs = two_cards
    tab = await settings()
    await tab.fire("make_default", method_id=str(bobs))
    assert tab.state.message == NO_METHOD and method_row(second).is_default is False
    await tab.fire("make_default", method_id=str(second))
    assert tab.state.message == "Default payment method updated." and method_row(second).is_default is True


@pytest.mark.parametrize(
    ("handler", "method_id"),
    [
        # "99999999999999999999" arrives as that int: Reflex coerces it to the annotated int first.
        *((h, v) for h in ("make_default", "remove") for v in (2**63, 10**30, "9" * 20, "²")),
        ("rename", "²"),  # a form carries strings only; 12+ digits are already refused there
    ],
    ids=repr,
)
async def test_an_id_sqlite_cant_hold_or_an_odd_digit_is_refused(two_cards, handler, method_id):
    tab = await settings()
    rows = snapshot(ALICE, BOB)
    if handler == "rename":
        await tab.fire(handler, form_data={"method_id": method_id, "nickname": "x"})
    else:
        await tab.fire(handler, method_id=method_id)
    assert tab.state.message == NO_METHOD and snapshot(ALICE, BOB) == rows


# --------------------------------------------------------------------------------------------
# A method a scheduled payment uses can't be removed
# --------------------------------------------------------------------------------------------


async def test_remove_is_refused_while_a_scheduled_payment_uses_the_method(db):
    billing = seed_billing()
    own = saved_card(ALICE)
    pay = await logged_in_browser(ALICE, url=routes.PAY)
    await fire(pay, PayState, "load")
    assert pay.state(PayState).selected_method == str(own)
    in_a_week = (TODAY + dt.timedelta(days=7)).isoformat()
    await fire(pay, PayState, "submit_amount", form_data={"other_amount": "", "payment_date": in_a_week})
    await fire(pay, PayState, "submit_method", form_data={"saved_method": str(own)})
    await fire(pay, PayState, "submit_payment")
    reference = pay.state(PayState).reference
    scheduled = payment(reference)
    assert (scheduled.status, scheduled.payment_method_id) == (PaymentStatus.SCHEDULED, own)

    tab = await settings()
    out = await tab.fire("remove", method_id=own)
    assert out.events == [] and tab.state.message == IN_USE
    assert method_row(own).removed_at is None and tab.listed()[0][0] == own
    assert payment(reference).status == PaymentStatus.SCHEDULED

    # Cancel the payment from the dashboard; now the method can go.
    await fire(pay.navigate(routes.DASHBOARD), DashboardState, "cancel_scheduled", reference=reference)
    assert payment(reference).status == PaymentStatus.CANCELED
    await tab.fire("remove", method_id=own)
    assert tab.state.message == "Payment method removed." and tab.state.methods == []
    assert billing.alice.scheduled[0] not in tab.seen


async def test_bob_cannot_touch_alices_methods_from_his_tab(two_cards):
    first, second, bobs = two_cards
    tab = await settings(BOB)
    assert tab.listed() == [(bobs, "Visa ••••4242", "Bob's", True)]
    rows = snapshot(ALICE)
    await tab.fire("rename", form_data={"method_id": str(first), "nickname": "Bob was here"})
    await tab.fire("make_default", method_id=second)
    await tab.fire("remove", method_id=first)
    assert tab.state.message == NO_METHOD and snapshot(ALICE) == rows
    assert "Everyday" not in tab.seen and CVC not in tab.seen.replace(tab.browser.cookie(), "")


async def test_the_tab_follows_the_cookie_not_the_tab(two_cards):
    first, _second, bobs = two_cards
    tab = await settings()
    tab.browser.set_cookie(service_login(BOB))
    await tab.fire("load")
    assert [m.id for m in tab.state.methods] == [bobs]
    await tab.fire("remove", method_id=first)
    assert tab.state.message == NO_METHOD and method_row(first).removed_at is None


async def test_a_new_card_field_in_error_clears_the_moment_it_is_fixed(db):
    tab = await settings()
    await tab.fire("open_add", kind="card")
    await tab.fire("add_method", form_data=card_form(billing_zip="1"))
    assert tab.state.errors == {"billing_zip": "Enter the 5-digit billing ZIP code."} and method_rows(ALICE) == []

    await tab.fire("recheck_field", name="card_number", value="123", related="")
    assert tab.state.errors == {
        "billing_zip": "Enter the 5-digit billing ZIP code."
    }  # never marks a field not in error
    await tab.fire("recheck_field", name="billing_zip", value="021", related="")
    assert set(tab.state.errors) == {"billing_zip"}
    await tab.fire("recheck_field", name="billing_zip", value="02110", related="")
    assert tab.state.errors == {} and method_rows(ALICE) == []  # fixed, and nothing was submitted


async def test_a_bank_account_number_clears_when_it_matches_its_confirmation(db):
    tab = await settings()
    await tab.fire("open_add", kind="bank")
    await tab.fire("add_method", form_data={**bank_form(), "confirm_account_number": "000123456780"})
    assert set(tab.state.errors) == {"confirm_account_number"}
    await tab.fire(
        "recheck_field",
        name="confirm_account_number",
        value=bank_form()["account_number"],
        related=bank_form()["account_number"],
    )
    assert tab.state.errors == {}
