"""Bills you can open, on a phone (390×844): from payment history to a bill's page and its PDF, the
premium breakdown on the dashboard, the yearly premium summary for taxes — and never another
member's bill.

The member is imported today (the app's clock starts at a chosen date) with coverage from the 1st
of this month and a breakdown on the roster: $600.00 full premium, $400.00 tax credit, $200.00 their
share. The import issues this month's bill (the binder) and next month's at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os

import pypdf
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Invoice, Member, PaymentStatus
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import dates, money
from hcpay_app.services.jobs import roster
from hcpay_app.services.payments import records
from tests.e2e.harness import TYPED_SECRETS, log_in_as, make_user
from tests.support.bills import issue_as_scheduled

FULL, CREDIT, SHARE = 60000, 40000, 20000
_serial = itertools.count(1)


def _roster_member_with_breakdown() -> dict:
    """A fresh roster member whose row has `full_premium` and `aptc`, covered from this month."""
    n = os.getpid() % 1000 * 10 + next(_serial)
    identity = {
        "first_name": "Iolanda",
        "last_name": f"Brás{chr(97 + n % 26)}",
        "date_of_birth": dt.date(1981, 9, 1 + n % 27),
        "ssn": f"5{n % 100:02d}{n // 100 % 90 + 10:02d}{4000 + n % 1000:04d}",
        "email": f"bills{n}@example.com",
        "member_number": f"6{n:011d}",
        "account_number": f"6{n:08d}",
    }
    TYPED_SECRETS["ssn"].add(identity["ssn"])
    row = roster.RosterRow(
        n,
        identity["member_number"],
        identity["first_name"],
        identity["last_name"],
        identity["date_of_birth"],
        identity["ssn"],
        identity["email"],
        "02110",
        identity["account_number"],
        "Silver Select PPO",
        SHARE,
        True,
        dates.first_of_month(clock.today()),
        full_premium_cents=FULL,
        tax_credit_cents=CREDIT,
    )
    with session_scope() as session:
        report = roster.ImportReport()
        roster.apply_rows(session, [row], report, clock.utcnow())
        assert not report.errors, report.errors
    return identity


def _account(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def _months(account: BillingAccount) -> list[dt.date]:
    with session_scope() as session:
        return list(
            session.exec(
                select(Invoice.coverage_month)
                .where(Invoice.billing_account_id == account.id)
                .order_by(Invoice.coverage_month)
            ).all()
        )


def _card_payment(account: BillingAccount, cents: int) -> str:
    with session_scope() as session:
        payment = records.create(
            session,
            account_id=account.id,
            amount_cents=cents,
            method_kind="card",
            method_label="Visa ••••4242",
            payment_date=clock.today(),
            status=PaymentStatus.SUCCEEDED,
            now=clock.utcnow(),
        )
        ledger.post_payment(session, payment, effective_on=clock.today(), now=clock.utcnow())
        session.commit()
        return payment.reference


@pytest.fixture
def billed_member():
    """The member with a portal account and a $150.00 card payment toward the first bill."""
    identity = make_user(_roster_member_with_breakdown())
    account = _account(identity)
    months = _months(account)
    assert months[0] == dates.first_of_month(clock.today()), months  # the binder, issued at import
    return {**identity, "account": account, "months": months, "reference": _card_payment(account, 15000)}


def _serious(page: Page) -> list[str]:
    page.wait_for_load_state("networkidle")
    result = Axe().run(page)
    return [
        f"{v['id']}: {v['nodes'][0]['target']}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.core
def test_open_a_bill_from_history_and_download_its_pdf(page: Page, billed_member):
    first = billed_member["months"][0]
    label = dates.month_label(first)
    log_in_as(page, billed_member)

    # The dashboard shows the premium as the roster gave it.
    expect(page.locator("#premium-full")).to_contain_text("$600.00")
    expect(page.locator("#premium-credit")).to_contain_text("Tax credit (APTC)")
    expect(page.locator("#premium-credit")).to_contain_text("−$400.00")
    expect(page.locator("#premium-share")).to_contain_text("$200.00")

    page.get_by_role("link", name="Payment history").first.click()
    page.wait_for_url("**/history")
    page.get_by_role("link", name=f"View bill for {label}").click()
    page.wait_for_url(f"**/bill?month={first:%Y-%m}")

    expect(page.get_by_role("heading", name=f"Bill for {label}")).to_be_visible()
    expect(page.locator("#bill-status")).to_have_text("Partially paid")
    expect(page.locator("#bill-unpaid")).to_have_text("$50.00")
    premium = page.get_by_role("list", name="Premium")
    expect(premium).to_contain_text("Full monthly premium")
    expect(premium).to_contain_text("$600.00")
    expect(premium).to_contain_text("−$400.00")
    expect(premium).to_contain_text("Your share")
    payments = page.get_by_role("list", name="Payments applied")
    expect(payments.get_by_role("link", name=f"Payment {billed_member['reference']}")).to_be_visible()
    expect(payments).to_contain_text("$150.00")
    ways = page.get_by_role("list", name="Ways to pay")
    for name in ("Make a Payment", "Automatic Payments", "Pay as a guest"):
        expect(ways.get_by_role("link", name=name)).to_be_visible()
    expect(ways).to_contain_text(billed_member["account_number"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Download bill (PDF)").click()
    assert download.value.suggested_filename == f"bill-{first:%Y-%m}.pdf"
    text = pypdf.PdfReader(download.value.path()).pages[0].extract_text()
    for expected in (
        f"Bill for {label}",
        billed_member["account_number"],
        "Silver Select PPO",
        "$600.00",
        "−$400.00",
        "$200.00",
        billed_member["reference"],
        "$150.00",
        "Still unpaid",
        "$50.00",
        "Pay as a guest",
    ):
        assert expected in text, (expected, text)


def test_the_yearly_premium_summary_downloads_from_history(page: Page, billed_member):
    year = billed_member["months"][0].year
    log_in_as(page, billed_member)
    page.goto("/history")
    page.get_by_label("Tax year").select_option(str(year))
    with page.expect_download() as download:
        page.get_by_role("button", name="Yearly premium summary (PDF)").click()
    assert download.value.suggested_filename == f"premium-summary-{year}.pdf"
    text = pypdf.PdfReader(download.value.path()).pages[0].extract_text()
    this_year = [m for m in billed_member["months"] if m.year == year]
    assert f"Yearly premium summary for {year}" in text and billed_member["account_number"] in text
    for month in this_year:
        assert dates.month_label(month) in text
    assert money.format_cents(FULL * len(this_year)) in text  # the year's full premiums, $600.00 a month
    assert "$150.00" in text  # paid toward the first month


@pytest.mark.core
def test_another_members_bill_is_not_found(page: Page, billed_member, another_member):
    other = make_user(another_member)
    with session_scope() as session:
        account = session.get(BillingAccount, _account(other).id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    theirs = _months(_account(other))[0]  # covered since Jan 2026: a month this member has no bill for
    assert theirs not in billed_member["months"]
    log_in_as(page, billed_member)
    page.goto(f"/bill?month={theirs:%Y-%m}")
    expect(page.get_by_role("alert").filter(has_text="couldn't find a bill")).to_be_visible()
    assert page.request.get(f"/documents/bill?month={theirs:%Y-%m}", max_redirects=0).status == 404
    mine = billed_member["months"][0]
    assert page.request.get(f"/documents/bill?month={mine:%Y-%m}", max_redirects=0).status == 200
    # Without a session, a bill's PDF sends the visitor to log in.
    anonymous = page.context.browser.new_context(base_url=page.url.split("/bill")[0])
    response = anonymous.request.get(f"/documents/bill?month={mine:%Y-%m}", max_redirects=0)
    assert response.status == 303 and response.headers["location"].startswith("/?next=")
    anonymous.close()
