"""Payment history, a payment's status page, document downloads and the dashboard's billing figures.

Every handler re-resolves the member from the server-side session, reads only their own account,
treats every argument as hostile, and never puts another member's records, a full SSN or a
password hash into anything the browser receives. Billing data comes from `billing_seed` (clock
pinned to Nov 24, 2026).
"""

from __future__ import annotations

import json
import secrets

import pytest
import reflex as rx
from reflex_base import constants

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import authn
from hcpay_app.services.billing import ledger, summary, templates
from hcpay_app.services.common import money
from hcpay_app.services.overview import dashboard
from hcpay_app.services.payments import history
from hcpay_app.services.payments.history import TimelineStep
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.history import HistoryState, PaymentDetailState
from hcpay_app.state.session import MEMBER_STATES, SessionState
from tests.state.billing_seed import TODAY, MemberBilling, account_of
from tests.state.state_harness import (
    ALICE,
    BOB,
    Browser,
    Outcome,
    Person,
    event_names,
    fire,
    logged_in_browser,
    resolve,
    service_login,
)

pytestmark = pytest.mark.asyncio

ENDED = "Your session has ended. Please log in again."
NOT_FOUND = "We couldn't find a payment with that reference number on your account."
BAD_REFERENCE = "Reference numbers look like HC-7KQ4-M9XP-2D3F."
PAYMENT_STATES = (HistoryState, PaymentDetailState, DashboardState)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def revoke(token: str) -> None:
    with session_scope() as s:
        authn.logout(s, token, ip="test", now=clock.utcnow())


def service_page(tab: Browser, **filters) -> history.HistoryPage:
    """What the history service says for the member logged in to `tab`."""
    with session_scope() as s:
        return history.page(s, resolve(tab.cookie()), today=TODAY, **filters)


def defaults(cls: type[rx.State]) -> dict:
    return Browser().public_of(cls)


def keys(tab: Browser) -> list[str]:
    return [r.key for r in tab.state(HistoryState).rows]


def downloads(out: Outcome) -> list[dict[str, str]]:
    found = []
    for event in out.events:
        if isinstance(event, rx.event.EventSpec) and event.handler.fn.__qualname__ == "_download":
            found.append({str(name): value._var_value for name, value in event.args})
    return found


def without_search_echo(frame: str) -> str:
    """A frame without HistoryState.reference: the search box echoing what the member typed."""
    tree = json.loads(frame) if frame else {}
    tree.get(HistoryState.get_full_name(), {}).pop(f"reference{constants.state.FIELD_MARKER}", None)
    return json.dumps(tree, ensure_ascii=False)


def assert_no_secrets(text: str, *, other: Person, others_billing: MemberBilling | None = None) -> None:
    """Nothing of the other member's, no full SSN of anyone, no password hash."""
    for person in (ALICE, BOB):
        assert person.ssn not in text and person.ssn_digits not in text
    assert "$2b$" not in text
    assert other.member_number not in text and other.last_name not in text and other.account_number not in text
    for reference in others_billing.references if others_billing else []:
        assert reference not in text, reference


def assert_history_empty(tab: Browser) -> None:
    assert tab.public_of(HistoryState) == defaults(HistoryState)
    for person in (ALICE, BOB):
        assert person.member_number not in tab.public() and person.last_name not in tab.public()


async def history_tab(person: Person = ALICE) -> tuple[Browser, Outcome]:
    tab = await logged_in_browser(person, url=routes.HISTORY)
    return tab, await fire(tab, HistoryState, "load")


# --------------------------------------------------------------------------------------------
# HistoryState.load
# --------------------------------------------------------------------------------------------


async def test_load_without_a_cookie_redirects_to_log_in_and_loads_nothing(billing, make_browser):
    tab = make_browser(routes.HISTORY)
    out = await fire(tab, HistoryState, "load")
    assert out.redirects == ["/?next=%2Fhistory"]
    assert tab.state(SessionState).notice == ""
    assert_history_empty(tab)
    assert tab.state(HistoryState).loaded is False


@pytest.mark.parametrize("cookie", ["forged", "garbage", "revoked"])
async def test_load_with_a_forged_or_revoked_cookie_redirects_and_loads_nothing(billing, make_browser, cookie):
    token = {"forged": secrets.token_urlsafe(32), "garbage": "' OR '1'='1"}.get(cookie)
    if token is None:
        token = service_login(ALICE)
        revoke(token)
    tab = make_browser(routes.HISTORY)
    tab.set_cookie(token)
    out = await fire(tab, HistoryState, "load")
    assert out.redirects == ["/?next=%2Fhistory"]
    assert tab.cookie() == "" and tab.state(SessionState).notice == ENDED
    assert_history_empty(tab)
    assert not any(ref in out.seen for ref in billing.alice.references + billing.bob.references)


async def test_load_shows_the_first_page_newest_first_with_the_chart_and_filters(billing):
    tab, out = await history_tab()
    h = tab.state(HistoryState)
    expected = service_page(tab)

    assert out.events == [] and h.loaded is True
    assert expected.total == billing.alice.history_rows == 27
    assert h.total == expected.total and h.page == 1 and h.pages == 2 == -(-h.total // history.PAGE_SIZE)
    assert len(h.rows) == history.PAGE_SIZE == 25
    assert keys(tab) == [r.key for r in expected.rows]
    dates = [r.iso_date for r in h.rows]
    assert dates == sorted(dates, reverse=True)
    assert h.rows[0].reference == billing.alice.scheduled[0] and h.rows[0].status == "Scheduled"
    # Only Alice's records.
    own = set(billing.alice.references)
    assert {r.reference for r in h.rows if r.reference} <= own

    assert h.year_options[0] == ["all", "All years"]
    assert h.year_options == [["all", "All years"], ["2026", "2026"], ["2025", "2025"]]
    assert (h.year, h.status, h.reference, h.search_error) == ("all", "all", "", "")

    assert len(h.chart) == 12
    assert [p["month"] for p in h.chart][0] == "Dec 2025" and h.chart[-1]["month"] == "Nov 2026"
    assert sum(p["premiums"] for p in h.chart) == 5400 and sum(p["payments"] for p in h.chart) == 4600
    assert h.chart_summary == (
        "From December 2025 to November 2026 you were billed $5,400.00 in premiums and paid $4,600.00."
    )
    assert (h.export_start, h.export_end, h.statement_month) == ("2026-01-01", "2026-11-24", "2026-11")
    assert_no_secrets(tab.public() + out.seen, other=BOB, others_billing=billing.bob)


async def test_each_member_sees_only_their_own_history(billing):
    alice_tab, alice_out = await history_tab(ALICE)
    bob_tab, bob_out = await history_tab(BOB)
    assert bob_tab.state(HistoryState).total == billing.bob.history_rows == 14
    assert {r.reference for r in bob_tab.state(HistoryState).rows if r.reference} == set(billing.bob.references)
    assert_no_secrets(alice_tab.public() + alice_out.seen, other=BOB, others_billing=billing.bob)
    assert_no_secrets(bob_tab.public() + bob_out.seen, other=ALICE, others_billing=billing.alice)


async def test_load_follows_the_cookie_not_the_tab(billing):
    tab = await logged_in_browser(ALICE, url=routes.HISTORY)
    tab.set_cookie(service_login(BOB))
    await fire(tab, HistoryState, "load")
    assert {r.reference for r in tab.state(HistoryState).rows if r.reference} == set(billing.bob.references)


# --------------------------------------------------------------------------------------------
# go_to_page
# --------------------------------------------------------------------------------------------


async def test_next_page_shows_the_remaining_rows(billing):
    tab, _ = await history_tab()
    first = keys(tab)
    out = await fire(tab, HistoryState, "go_to_page", number=2)
    h = tab.state(HistoryState)
    assert out.events == [] and h.page == 2 and h.pages == 2
    assert len(h.rows) == 2 and not set(first) & set(keys(tab))
    assert keys(tab) == [r.key for r in service_page(tab, page_number=2).rows]
    assert h.rows[-1].iso_date == "2025-12-01"  # the oldest item: January's invoice
    await fire(tab, HistoryState, "go_to_page", number=1)
    assert keys(tab) == first


@pytest.mark.parametrize("number", [None, -1, 0, 3, 10**9, 2.5, [1], [2], {"page": 2}, "abc", ""], ids=repr)
async def test_go_to_page_with_a_bad_number_falls_back_to_page_one(billing, number):
    tab, _ = await history_tab()
    first = keys(tab)
    await fire(tab, HistoryState, "go_to_page", number=2)
    out = await fire(tab, HistoryState, "go_to_page", number=number)
    h = tab.state(HistoryState)
    assert out.events == []
    assert type(h.page) is int and h.page == 1 and keys(tab) == first and h.total == 27


async def test_go_to_page_with_a_numeric_string(billing):
    """Reflex coerces the JSON "2" to the annotated int before the handler runs (the real app does
    the same); the handler itself still refuses a raw string."""
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "go_to_page", number="2")
    assert tab.state(HistoryState).page == 2
    state = tab.state(HistoryState)
    await HistoryState.event_handlers["go_to_page"].fn(state, "2")  # uncoerced
    assert state.page == 1 and len(state.rows) == 25


async def test_go_to_page_with_a_boolean_keeps_page_an_int(billing):
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "go_to_page", number=2)
    out = await fire(tab, HistoryState, "go_to_page", number=True)
    assert type(tab.state(HistoryState).page) is int
    assert f'"page{constants.state.FIELD_MARKER}":true' not in out.seen.replace(" ", "")


async def test_go_to_page_after_the_session_ended_redirects_and_forgets_the_rows(billing):
    tab, _ = await history_tab()
    revoke(tab.cookie())
    out = await fire(tab, HistoryState, "go_to_page", number=2)
    assert out.redirects == ["/?next=%2Fhistory"]
    assert_history_empty(tab)


# --------------------------------------------------------------------------------------------
# filter_status / filter_year
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "label", "count"),
    [
        ("succeeded", "Paid", 10),
        ("declined", "Declined", 2),
        ("pending", "Pending", 1),
        ("scheduled", "Scheduled", 1),
        ("canceled", "Canceled", 1),
        ("returned", "Returned", 0),
    ],
)
async def test_filter_status_shows_only_payments_in_that_status(billing, status, label, count):
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "go_to_page", number=2)
    out = await fire(tab, HistoryState, "filter_status", value=status)
    h = tab.state(HistoryState)
    assert out.events == [] and h.status == status and h.page == 1
    assert h.total == count == len(h.rows) and h.pages == 1
    # Titled by what they are: the seed's pending payment is a bank debit, the others card payments.
    title = "Bank payment" if status == "pending" else "Card payment"
    assert all(r.title == title and r.status == label for r in h.rows)
    if status == "declined":
        assert [r.reference for r in h.rows] == billing.alice.declined[::-1]


@pytest.mark.parametrize(
    "value", [None, 5, True, "", "all ", "DROP TABLE payment", "processing", "SUCCEEDED", "x" * 10_000], ids=repr
)
async def test_filter_status_with_junk_means_all(billing, value):
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "filter_status", value="declined")
    out = await fire(tab, HistoryState, "filter_status", value=value)
    h = tab.state(HistoryState)
    assert out.events == [] and h.status == "all" and h.total == 27 and h.page == 1


@pytest.mark.parametrize("value", [["declined"], {"status": "declined"}], ids=["list", "object"])
async def test_filter_status_with_a_json_list_or_object_means_all(billing, value):
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "filter_status", value=value)
    assert tab.state(HistoryState).status == "all" and tab.state(HistoryState).total == 27


async def test_filter_year_shows_only_that_year(billing):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "filter_year", value="2025")
    h = tab.state(HistoryState)
    assert out.events == [] and h.year == "2025" and h.page == 1
    assert h.total == 2 and {r.iso_date for r in h.rows} == {"2025-12-01", "2025-12-20"}
    assert h.rows[0].reference == billing.alice.succeeded[0]
    await fire(tab, HistoryState, "filter_year", value="2026")
    assert tab.state(HistoryState).total == 25 and all(r.iso_date.startswith("2026") for r in h.rows)
    # Filters combine: declined payments in 2025 — none.
    await fire(tab, HistoryState, "filter_year", value="2025")
    await fire(tab, HistoryState, "filter_status", value="declined")
    assert (h.year, h.status, h.total, h.rows) == ("2025", "declined", 0, [])


@pytest.mark.parametrize(
    "value",
    [
        None,
        2025,
        "1999",
        "2027",
        " 2025",
        "2025.0",
        "all years",
        "",
        True,
        [2025],
        {"year": "2025"},
        "2025; DROP TABLE payment",
    ],
    ids=repr,
)
async def test_filter_year_with_junk_means_all(billing, value):
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "filter_year", value="2025")
    out = await fire(tab, HistoryState, "filter_year", value=value)
    h = tab.state(HistoryState)
    assert out.events == [] and h.year == "all" and h.total == 27


async def test_filter_year_before_load_offers_nothing(billing):
    tab = await logged_in_browser(ALICE, url=routes.HISTORY)
    await fire(tab, HistoryState, "filter_year", value="2025")
    assert tab.state(HistoryState).year == "all"


# --------------------------------------------------------------------------------------------
# search / clear_search
# --------------------------------------------------------------------------------------------


async def test_search_by_a_reference_typed_loosely_finds_exactly_that_payment(billing):
    tab, _ = await history_tab()
    wanted = billing.alice.succeeded[3]
    typed = "  " + wanted.lower().replace("-", " ") + " "
    out = await fire(tab, HistoryState, "search", form_data={"reference": typed})
    h = tab.state(HistoryState)
    assert out.events == [] and h.search_error == ""
    assert [r.reference for r in h.rows] == [wanted] and h.total == 1 and h.pages == 1
    assert h.rows[0].amount == "$450.00" and h.rows[0].status == "Paid"

    await fire(tab, HistoryState, "clear_search")
    assert (h.reference, h.search_error, h.total, h.page) == ("", "", 27, 1)


@pytest.mark.parametrize(
    "typed", ["HC-12", "not a reference", "HC-7KQ4-M9XP-2D3FX", "HC-UUUU-UUUU-UUUU", "<script>alert(1)</script>"]
)
async def test_search_with_a_malformed_reference_says_so_and_shows_nothing(billing, typed):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "search", form_data={"reference": typed})
    h = tab.state(HistoryState)
    assert out.events == []
    assert h.search_error == BAD_REFERENCE and h.rows == [] and h.total == 0 and h.pages == 1
    await fire(tab, HistoryState, "clear_search")
    assert h.search_error == "" and h.total == 27


async def test_searching_another_members_reference_finds_nothing(billing):
    tab, _ = await history_tab()
    bobs = billing.bob.latest_succeeded
    out = await fire(tab, HistoryState, "search", form_data={"reference": bobs.lower()})
    h = tab.state(HistoryState)
    assert h.rows == [] and h.total == 0 and h.search_error == ""
    # The only trace of Bob's reference is the search box echoing what Alice typed herself.
    assert_no_secrets("\n".join(without_search_echo(f) for f in out.frames), other=BOB, others_billing=billing.bob)
    assert_no_secrets(without_search_echo(tab.public()), other=BOB, others_billing=billing.bob)


async def test_the_count_reads_in_words_with_the_right_plural(billing):
    tab, _ = await history_tab()
    h = tab.state(HistoryState)
    assert h.total_text == "27 items"
    await fire(tab, HistoryState, "search", form_data={"reference": billing.alice.succeeded[3]})
    assert (h.total, h.total_text) == (1, "1 item")
    await fire(tab, HistoryState, "search", form_data={"reference": "not a reference"})
    assert (h.total, h.total_text) == (0, "0 items")


async def test_clear_filters_resets_year_status_and_reference_after_an_empty_result(billing):
    tab, _ = await history_tab()
    h = tab.state(HistoryState)
    assert h.filtering is False
    await fire(tab, HistoryState, "filter_year", value="2025")
    await fire(tab, HistoryState, "filter_status", value="returned")
    assert h.rows == [] and h.total == 0 and h.filtering is True
    out = await fire(tab, HistoryState, "clear_filters")
    assert (h.year, h.status, h.reference, h.search_error, h.page) == ("all", "all", "", "", 1)
    assert h.total == 27 and len(h.rows) == 25 and h.filtering is False
    # The reference box on the page is emptied too; nothing else happens.
    assert event_names(out) == ["_set_value"] and not out.redirects

    await fire(tab, HistoryState, "search", form_data={"reference": "HC-0000-0000-0000"})
    assert h.total == 0 and h.filtering is True
    await fire(tab, HistoryState, "clear_filters")
    assert h.reference == "" and h.total == 27


async def test_clear_filters_after_the_session_ended_goes_to_log_in(billing):
    tab, _ = await history_tab()
    revoke(tab.cookie())
    out = await fire(tab, HistoryState, "clear_filters")
    assert out.redirects and out.redirects[0].startswith(routes.LOGIN)


@pytest.mark.parametrize(
    "form_data",
    [None, "HC-0000-0000-0000", [], {}, {"reference": 5}, {"reference": ["HC-0000-0000-0000"]}, {"reference": None}],
    ids=repr,
)
async def test_search_with_junk_form_data_shows_everything(billing, form_data):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "search", form_data=form_data)
    h = tab.state(HistoryState)
    assert out.events == [] and h.reference == "" and h.search_error == "" and h.total == 27


# --------------------------------------------------------------------------------------------
# PaymentDetailState.load
# --------------------------------------------------------------------------------------------


async def detail_tab(reference: str, person: Person = ALICE) -> tuple[Browser, Outcome]:
    tab = await logged_in_browser(person, url=f"{routes.PAYMENT}?reference={reference}")
    return tab, await fire(tab, PaymentDetailState, "load")


async def test_payment_detail_of_a_successful_payment(billing):
    reference = billing.alice.succeeded[0]
    tab, out = await detail_tab(reference)
    p = tab.state(PaymentDetailState)
    assert out.events == [] and p.loaded is True and p.not_found == ""
    d = p.detail
    assert d.reference == reference and d.amount == "$450.00" and d.status_label == "Paid" and d.tone == "green"
    assert d.method == "Visa ••••4242" and d.payment_date == "Dec 20, 2025"
    assert d.account_number == ALICE.account_number
    assert d.explanation.startswith("Your payment was received")
    assert d.invoices == ["January 2026 premium — $450.00"]
    assert d.timeline == [TimelineStep("Dec 20, 2025 10:00 AM ET", "Paid", "")]
    assert p.receipt_url == f"{routes.RECEIPT}/{reference}" == f"/documents/receipt/{reference}"
    assert_no_secrets(tab.public() + out.seen, other=BOB, others_billing=billing.bob)


async def test_payment_detail_typed_loosely_in_the_url(billing):
    reference = billing.alice.latest_succeeded
    tab, _ = await detail_tab(reference.lower().replace("-", "%20"))
    assert tab.state(PaymentDetailState).detail.reference == reference


@pytest.mark.parametrize("which", ["pending", "declined", "canceled", "scheduled"])
async def test_payment_detail_without_a_receipt_unless_it_succeeded(billing, which):
    reference = getattr(billing.alice, which)[-1]
    tab, _ = await detail_tab(reference)
    p = tab.state(PaymentDetailState)
    label = {"pending": "Pending", "declined": "Declined", "canceled": "Canceled", "scheduled": "Scheduled"}[which]
    assert p.detail.reference == reference and p.detail.status_label == label and p.detail.status == which
    assert p.receipt_url == "" and p.detail.receipt_available is False
    assert [step.label for step in p.detail.timeline] == [label]
    if which == "pending":  # $100 on Jun 5: six payments had paid Jan–Jun, so it went to July
        assert p.detail.invoices == ["July 2026 premium — $100.00"]
    else:
        assert p.detail.invoices == []
    if which == "declined":
        assert p.detail.explanation == "Your card was declined. Nothing was charged."


@pytest.mark.parametrize(
    "reference", ["bob", "bob-lower", "", "garbage", "HC-0000-0000-0000", "' OR 1=1 --", "x" * 5000, "HC-%00"]
)
async def test_payment_detail_of_someone_elses_or_a_bad_reference_is_not_found(billing, reference):
    reference = {"bob": billing.bob.latest_succeeded, "bob-lower": billing.bob.latest_succeeded.lower()}.get(
        reference, reference
    )
    tab, out = await detail_tab(reference)
    p = tab.state(PaymentDetailState)
    assert out.events == []
    assert p.not_found == NOT_FOUND and p.detail is None and p.loaded is True and p.receipt_url == ""
    assert_no_secrets(tab.public() + out.seen, other=BOB, others_billing=billing.bob)


async def test_payment_detail_forgets_the_previous_payment(billing):
    tab, _ = await detail_tab(billing.alice.latest_succeeded)
    assert tab.state(PaymentDetailState).detail is not None
    tab.navigate(f"{routes.PAYMENT}?reference={billing.bob.latest_succeeded}")
    await fire(tab, PaymentDetailState, "load")
    p = tab.state(PaymentDetailState)
    assert p.detail is None and p.receipt_url == ""
    assert billing.alice.latest_succeeded not in tab.public()


@pytest.mark.parametrize("cookie", ["none", "forged", "revoked"])
async def test_payment_detail_without_a_live_session_redirects(billing, make_browser, cookie):
    tab = make_browser(f"{routes.PAYMENT}?reference={billing.alice.latest_succeeded}")
    if cookie == "forged":
        tab.set_cookie(secrets.token_urlsafe(32))
    elif cookie == "revoked":
        token = service_login(ALICE)
        revoke(token)
        tab.set_cookie(token)
    out = await fire(tab, PaymentDetailState, "load")
    assert out.redirects == ["/?next=%2Fpayment"]
    assert tab.public_of(PaymentDetailState) == defaults(PaymentDetailState)
    assert tab.state(PaymentDetailState).detail is None
    assert billing.alice.latest_succeeded not in out.seen + tab.public()


# --------------------------------------------------------------------------------------------
# download_statement / export_csv
# --------------------------------------------------------------------------------------------


async def test_download_statement_for_a_month(billing):
    tab, _ = await history_tab()
    await fire(tab, HistoryState, "download_statement", form_data={})
    out = await fire(tab, HistoryState, "download_statement", form_data={"month": "2026-10"})
    assert downloads(out) == [{"url": "/documents/statement?month=2026-10", "filename": "statement-2026-10.pdf"}]
    assert len(out.events) == 1 and tab.state(HistoryState).download_errors == {}
    assert downloads(out)[0]["url"].startswith(routes.STATEMENT + "?")


@pytest.mark.parametrize(
    "form_data",
    [
        None,
        "2026-10",
        [],
        {},
        {"month": ""},
        {"month": "October"},
        {"month": 202610},
        {"month": ["2026-10"]},
        {"month": "2026-10-01"},
        {"month": "2026-1"},
        {"month": "2026-10&start=2000-01-01"},
        {"month": "../../etc/passwd"},
        {"month": "２０２６-１０"},
    ],
    ids=repr,
)
async def test_download_statement_with_junk_sets_an_error_and_downloads_nothing(billing, form_data):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "download_statement", form_data=form_data)
    assert out.events == [] and downloads(out) == []
    assert tab.state(HistoryState).download_errors == {"month": "Choose a month."}


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "0000-01"])
async def test_download_statement_with_an_impossible_month_sets_an_error(billing, month):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "download_statement", form_data={"month": month})
    assert downloads(out) == [] and tab.state(HistoryState).download_errors


async def test_export_csv_for_a_date_range(billing):
    tab, _ = await history_tab()
    h = tab.state(HistoryState)
    out = await fire(tab, HistoryState, "export_csv", form_data={"start": h.export_start, "end": h.export_end})
    assert downloads(out) == [
        {
            "url": "/documents/history.csv?start=2026-01-01&end=2026-11-24",
            "filename": "payment-history-2026-01-01-to-2026-11-24.csv",
        }
    ]
    assert h.download_errors == {}
    # A single day is a valid range.
    out = await fire(tab, HistoryState, "export_csv", form_data={"start": "2026-03-05", "end": "2026-03-05"})
    assert downloads(out)[0]["url"] == "/documents/history.csv?start=2026-03-05&end=2026-03-05"


@pytest.mark.parametrize(
    "form_data",
    [
        None,
        "2026-01-01",
        [],
        {},
        {"start": "2026-01-01"},
        {"end": "2026-01-01"},
        {"start": "2026-02-30", "end": "2026-03-01"},
        {"start": "yesterday", "end": "today"},
        {"start": 20260101, "end": 20261124},
        {"start": ["2026-01-01"], "end": ["2026-02-01"]},
        {"start": "2026-01-01&x=1", "end": "2026-02-01"},
    ],
    ids=repr,
)
async def test_export_csv_with_junk_sets_an_error_and_downloads_nothing(billing, form_data):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "export_csv", form_data=form_data)
    assert out.events == [] and downloads(out) == []
    assert tab.state(HistoryState).download_errors == {"range": "Choose a start date and an end date."}


async def test_export_csv_with_the_dates_the_wrong_way_round(billing):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "export_csv", form_data={"start": "2026-11-01", "end": "2026-10-01"})
    assert out.events == []
    assert tab.state(HistoryState).download_errors == {"range": "The start date must be on or before the end date."}
    out = await fire(tab, HistoryState, "export_csv", form_data={"start": "2026-10-01", "end": "2026-11-01"})
    assert len(downloads(out)) == 1 and tab.state(HistoryState).download_errors == {}


async def test_export_csv_longer_than_the_service_allows_sets_an_error(billing):
    tab, _ = await history_tab()
    out = await fire(tab, HistoryState, "export_csv", form_data={"start": "2000-01-01", "end": "2026-11-24"})
    assert downloads(out) == [] and tab.state(HistoryState).download_errors


# --------------------------------------------------------------------------------------------
# DashboardState.load: the figures are the ledger's
# --------------------------------------------------------------------------------------------


async def test_dashboard_figures_match_the_ledger_for_a_member_past_due(billing):
    tab = await logged_in_browser(ALICE)
    out = await fire(tab, DashboardState, "load")
    d = tab.state(DashboardState).view
    account = account_of(ALICE)
    with session_scope() as s:
        balance = ledger.balance(s, account.id)
        money_now = summary.for_account(s, account, TODAY)
        recent = history.page(s, resolve(tab.cookie()), page_size=5, today=TODAY).rows
    assert out.events == [] and tab.state(DashboardState).loaded is True
    # $800.00 is owed once her $100.00 bank payment clears; until then $900.00 is past due on the
    # settled view, the $100.00 shows as processing, and the amount to pay now is the $800.00.
    assert balance == 80000 and (money_now.past_due_cents, money_now.processing_cents) == (90000, 10000)
    assert d.amount_due == money.format_cents(balance) == "$800.00" and d.has_amount_due is True
    assert d.has_past_due is True and d.past_due == "$900.00" and d.past_due_since == "Oct 23, 2026"
    assert d.due_by == "Oct 23, 2026" and d.days_left == "" and d.credit == ""
    assert d.coverage_text == templates.coverage_line(money_now).words == "Payment due"
    assert d.coverage_tone == "orange"
    # The latest successful payment — not the newer declined ones, not the older pending one.
    assert d.last_payment_reference == billing.alice.latest_succeeded
    assert (d.last_payment_amount, d.last_payment_date, d.last_payment_status) == ("$450.00", "Sep 20, 2026", "Paid")
    assert [r.key for r in d.recent] == [r.key for r in recent] and len(d.recent) == 5
    assert_no_secrets(tab.public() + out.seen, other=BOB, others_billing=billing.bob)


async def test_dashboard_figures_for_a_member_paid_up(billing):
    tab = await logged_in_browser(BOB)
    out = await fire(tab, DashboardState, "load")
    d = tab.state(DashboardState).view
    with session_scope() as s:
        view = dashboard.view(s, resolve(tab.cookie()), TODAY)
        balance = ledger.balance(s, billing.bob.account_id)
    assert balance == 0 and d.amount_due == money.format_cents(balance) == "$0.00"
    assert d.has_amount_due is False and d.has_past_due is False and d.due_by == ""
    assert d.coverage_text == view.coverage_text == "Active" and d.coverage_tone == "green"
    assert d.last_payment_reference == billing.bob.latest_succeeded and d.last_payment_amount == "$7,380.00"
    assert_no_secrets(tab.public() + out.seen, other=ALICE, others_billing=billing.alice)


async def test_dashboard_before_any_billing(db):
    """No invoices yet: nothing owed, nothing past due, still pending the first payment."""
    tab = await logged_in_browser(ALICE)
    await fire(tab, DashboardState, "load")
    d = tab.state(DashboardState).view
    assert (d.amount_due, d.has_amount_due, d.has_past_due, d.last_payment_reference, d.recent) == (
        "$0.00",
        False,
        False,
        "",
        [],
    )
    assert d.coverage_text == "Pending first payment"


# --------------------------------------------------------------------------------------------
# Log-out forgets everything; nothing of anyone else's ever reaches the browser
# --------------------------------------------------------------------------------------------


async def load_everything(tab: Browser, reference: str) -> list[Outcome]:
    outs = [
        await fire(tab.navigate(routes.DASHBOARD), DashboardState, "load"),
        await fire(tab.navigate(routes.HISTORY), HistoryState, "load"),
        await fire(tab, HistoryState, "go_to_page", number=2),
        await fire(tab, HistoryState, "filter_status", value="succeeded"),
        await fire(tab, HistoryState, "filter_year", value="2026"),
        await fire(tab, HistoryState, "search", form_data={"reference": reference}),
        await fire(tab, HistoryState, "clear_search"),
        await fire(tab, HistoryState, "download_statement", form_data={"month": "2026-11"}),
        await fire(tab, HistoryState, "export_csv", form_data={"start": "2026-01-01", "end": "2026-11-24"}),
        await fire(tab.navigate(f"{routes.PAYMENT}?reference={reference}"), PaymentDetailState, "load"),
    ]
    return outs


async def test_logout_resets_every_history_detail_and_dashboard_var(billing):
    assert set(PAYMENT_STATES) <= set(MEMBER_STATES)
    tab = await logged_in_browser(ALICE)
    await load_everything(tab, billing.alice.latest_succeeded)
    for cls in PAYMENT_STATES:
        assert tab.public_of(cls) != defaults(cls), cls

    out = await fire(tab, SessionState, "logout")

    assert out.redirects == [routes.LOGIN]
    for cls in PAYMENT_STATES:
        assert tab.public_of(cls) == defaults(cls), cls
    for reference in billing.alice.references:
        assert reference not in tab.public()
    assert ALICE.member_number not in tab.public() and "$800.00" not in tab.public()


@pytest.mark.parametrize(("person", "other"), [(ALICE, BOB), (BOB, ALICE)], ids=["alice", "bob"])
async def test_no_delta_carries_another_members_data_an_ssn_or_a_hash(billing, person, other):
    own, others = (billing.alice, billing.bob) if person is ALICE else (billing.bob, billing.alice)
    tab = await logged_in_browser(person)
    outs = await load_everything(tab, own.latest_succeeded)
    # Poking at the other member's records by reference, from every door.
    outs.append(
        await fire(
            tab.navigate(routes.HISTORY), HistoryState, "search", form_data={"reference": others.latest_succeeded}
        )
    )
    for reference in others.references:
        outs.append(await fire(tab.navigate(f"{routes.PAYMENT}?reference={reference}"), PaymentDetailState, "load"))
        assert tab.state(PaymentDetailState).not_found == NOT_FOUND
    outs.append(await fire(tab, SessionState, "logout"))

    frames = [without_search_echo(frame) for o in outs for frame in o.frames]
    assert len(frames) >= len(outs)
    assert_no_secrets("\n".join(frames), other=other, others_billing=others)
