"""The bill page's state (`/bill?month=…`) and the yearly premium summary's download on the history
page: each re-resolves the member from the server-side session, names a bill by its coverage month
only, and never shows another member's bill.

Dana is imported here, on a pinned clock (Tue Nov 24, 2026, noon in Boston), so her bills don't
depend on the real date: coverage from Nov 1, 2026 with a breakdown ($600.00 full premium, $400.00
tax credit, $200.00 her share); her November and December bills are issued that day, due Dec 4.
"""

from __future__ import annotations

import datetime as dt

import pytest
import reflex as rx
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, PaymentStatus
from hcpay_app.services.accounts import registration
from hcpay_app.services.billing import ledger
from hcpay_app.services.jobs import roster
from hcpay_app.services.payments import records
from hcpay_app.state.bill import BillState
from hcpay_app.state.history import HistoryState
from hcpay_app.state.session import SessionState
from tests.state.state_harness import (
    ALICE,
    PASSWORD,
    Browser,
    Outcome,
    Person,
    fire,
    latest_code,
    logged_in_browser,
)

pytestmark = pytest.mark.asyncio

NOW = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)
DANA = Person(
    "Dana",
    "Kowalczyk",
    dt.date(1988, 7, 9),
    "404-55-8163",
    "dana.kowalczyk@example.com",
    "910000000044",
    "810000044",
    "Silver Select PPO",
    20000,
    "dana.k",
    PASSWORD,
)
NOT_FOUND = "We couldn't find a bill for that month on your account."


def bill_url(month: str) -> str:
    return f"{routes.BILL}?month={month}"


def downloads(out: Outcome) -> list[dict[str, str]]:
    return [
        {str(name): value._var_value for name, value in event.args}
        for event in out.events
        if isinstance(event, rx.event.EventSpec) and event.handler.fn.__qualname__ == "_download"
    ]


@pytest.fixture
def dana(db) -> str:
    """Dana on the roster with her bills, a portal account, and a $250.00 card payment on Nov 24
    (her November bill paid, $50.00 of December's). Returns the payment's reference."""
    clock.shift(NOW - clock.utcnow())
    row = roster.RosterRow(
        44,
        DANA.member_number,
        DANA.first_name,
        DANA.last_name,
        DANA.date_of_birth,
        DANA.ssn_digits,
        DANA.email,
        "02110",
        DANA.account_number,
        DANA.plan_name,
        DANA.premium_cents,
        False,
        dt.date(2026, 11, 1),
        full_premium_cents=60000,
        tax_credit_cents=40000,
    )
    with session_scope() as s:
        report = roster.ImportReport()
        roster.apply_rows(s, [row], report, clock.utcnow())
        assert not report.errors, report.errors
    with session_scope() as s:
        pending = registration.start(
            s, **DANA.identity_form(), client_key="seed", now=clock.utcnow(), today=clock.today()
        )
        registration.choose_credentials(s, pending_id=pending, username=DANA.username, password=PASSWORD, now=NOW)
        registration.verify(s, pending_id=pending, code=latest_code(DANA.email), ip="seed", now=NOW)
    with session_scope() as s:
        account = s.exec(select(BillingAccount).where(BillingAccount.account_number == DANA.account_number)).one()
        payment = records.create(
            s,
            account_id=account.id,
            amount_cents=25000,
            method_kind="card",
            method_label="Visa ••••4242",
            payment_date=clock.today(),
            status=PaymentStatus.SUCCEEDED,
            now=NOW,
        )
        ledger.post_payment(s, payment, effective_on=clock.today(), now=NOW)
        s.commit()
        return payment.reference


async def bill_tab(month: str, person: Person = DANA) -> tuple[Browser, Outcome]:
    tab = await logged_in_browser(person, url=bill_url(month))
    return tab, await fire(tab, BillState, "load")


async def test_the_bill_page_shows_the_members_own_bill(dana):
    tab, out = await bill_tab("2026-11")
    assert out.redirects == []
    state = tab.state(BillState)
    assert state.loaded and state.not_found == ""
    bill = state.bill
    assert (bill.title, bill.month, bill.due_on, bill.status_label) == (
        "Bill for November 2026",
        "2026-11",
        "Dec 4, 2026",
        "Paid",
    )
    assert [(line.label, line.amount) for line in bill.premium] == [
        ("Full monthly premium", "$600.00"),
        ("Tax credit (APTC)", "−$400.00"),
        ("Your share", "$200.00"),
    ]
    assert [(p.reference, p.amount) for p in bill.payments] == [(dana, "$200.00")]
    assert state.pdf_url == "/documents/bill?month=2026-11"
    december = (await bill_tab("2026-12"))[0].state(BillState).bill
    assert (december.status_label, december.paid, december.unpaid) == ("Partially paid", "$50.00", "$150.00")
    # What the browser receives: the bill, and nothing secret.
    public = tab.public()
    assert "Bill for November 2026" in public and DANA.ssn_digits not in public and "$2b$" not in public


@pytest.mark.parametrize("month", ["2026-01", "2027-06", "2026-13", "nonsense", "", "2026-11-01"])
async def test_another_members_month_or_a_bad_one_reads_as_not_found(dana, month):
    # Alice has a January 2026 bill; Dana's coverage began in November.
    tab, out = await bill_tab(month)
    state = tab.state(BillState)
    assert out.redirects == [] and state.loaded
    assert (state.not_found, state.bill, state.pdf_url) == (NOT_FOUND, None, "")
    public = tab.public()
    assert ALICE.account_number not in public and ALICE.last_name not in public


async def test_without_a_session_the_bill_page_sends_the_visitor_to_log_in(dana, make_browser):
    tab = make_browser(bill_url("2026-11"))
    out = await fire(tab, BillState, "load")
    assert out.redirects == ["/?next=%2Fbill"]
    assert tab.state(BillState).bill is None and "Bill for November 2026" not in tab.public()
    assert routes.BILL in routes.PROTECTED  # after log-in, `next` may come back here


async def test_log_out_forgets_the_bill(dana):
    tab, _ = await bill_tab("2026-11")
    assert tab.state(BillState).bill is not None
    await fire(tab, SessionState, "logout")
    assert tab.state(BillState).bill is None and "Bill for November 2026" not in tab.public()
    # A load after log-out shows nothing and goes to log in.
    out = await fire(tab.navigate(bill_url("2026-11")), BillState, "load")
    assert out.redirects == ["/?next=%2Fbill"] and tab.state(BillState).bill is None


async def test_history_links_each_invoice_to_its_bill_and_offers_the_yearly_summary(dana):
    tab = await logged_in_browser(DANA, url=routes.HISTORY)
    await fire(tab, HistoryState, "load")
    history = tab.state(HistoryState)
    links = {(r.bill_month, r.bill_link) for r in history.rows if r.bill_month}
    assert links == {("2026-11", "View bill for November 2026"), ("2026-12", "View bill for December 2026")}
    assert history.tax_years == ["2026"]
    out = await fire(tab, HistoryState, "download_premium_summary", form_data={"year": "2026"})
    assert downloads(out) == [{"url": "/documents/premium-summary?year=2026", "filename": "premium-summary-2026.pdf"}]
    assert history.download_errors == {}


@pytest.mark.parametrize("form_data", [{"year": "2025"}, {"year": "2026; DROP"}, {"year": 2026}, {}, None, "2026"])
async def test_a_year_without_bills_or_junk_downloads_nothing(dana, form_data):
    tab = await logged_in_browser(DANA, url=routes.HISTORY)
    await fire(tab, HistoryState, "load")
    out = await fire(tab, HistoryState, "download_premium_summary", form_data=form_data)
    assert downloads(out) == [] and tab.state(HistoryState).download_errors == {"year": "Choose a year."}
