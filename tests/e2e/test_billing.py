"""Dashboard, payment history and documents on a phone, against the ledger."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member, PaymentStatus
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.common import money
from hcpay_app.services.payments import records
from tests.e2e.harness import log_in_as
from tests.support.bills import issue_as_scheduled


def _account(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def _issue(identity) -> BillingAccount:
    account = _account(identity)
    with session_scope() as session:
        account = session.get(BillingAccount, account.id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return account


def _pay(account: BillingAccount, cents: int, on: dt.date, status: str = PaymentStatus.SUCCEEDED) -> str:
    with session_scope() as session:
        account = session.get(BillingAccount, account.id)
        payment = records.create(
            session,
            account_id=account.id,
            amount_cents=cents,
            method_kind="card",
            method_label="Visa ••••4242",
            payment_date=on,
            status=status,
            now=clock.utcnow(),
        )
        if status == PaymentStatus.SUCCEEDED:
            ledger.post_payment(session, payment, effective_on=on, now=clock.utcnow())
            coverage.refresh_after_payment(session, account, on)
        session.commit()
        return payment.reference


@pytest.fixture
def billed_user(new_user):
    """A member with a year of invoices: all paid but the last two (one past due, partly paid)."""
    account = _issue(new_user)
    with session_scope() as session:
        positions = ledger.positions(session, account.id, clock.today())
    references = [_pay(account, p.amount_cents, p.due_on - dt.timedelta(days=2)) for p in positions[:-2]]
    references.append(_pay(account, 10000, positions[-2].due_on - dt.timedelta(days=1)))
    return {**new_user, "account": account, "references": references}


@pytest.mark.core
def test_dashboard_figures_match_the_ledger(page: Page, billed_user):
    account = billed_user["account"]
    today = clock.today()
    with session_scope() as session:
        position = ledger.account_position(session, account.id, today)
    log_in_as(page, billed_user)
    expect(page.locator("#amount-due")).to_have_text(money.format_cents(position.amount_due_cents))
    if position.past_due_cents:
        expect(page.get_by_role("alert").filter(has_text="Past due")).to_contain_text(
            money.format_cents(position.past_due_cents)
        )
    expect(page.locator("#coverage-status")).to_have_text(re.compile("Active|Payment due|Pending first payment"))
    expect(page.get_by_text(f"Reference {billed_user['references'][-1]}")).to_be_visible()
    expect(page.get_by_role("link", name="Make a Payment")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.core
def test_history_pagination_filter_and_reference_search(page: Page, billed_user):
    account = billed_user["account"]
    for day in range(30):
        _pay(account, 500 + day, clock.today() - dt.timedelta(days=400 + day))
    declined = _pay(account, 999, clock.today() - dt.timedelta(days=3), status=PaymentStatus.DECLINED)
    log_in_as(page, billed_user)
    page.get_by_role("link", name="Payment history").first.click()
    page.wait_for_url("**/history")
    expect(page.locator("#page-status")).to_contain_text("Page 1 of")
    expect(page.get_by_role("list", name="Transactions").get_by_role("listitem")).to_have_count(25)
    total = int(re.search(r"(\d+) items", page.locator("#page-status").inner_text()).group(1))
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#page-status")).to_contain_text("Page 2 of")
    expect(page.get_by_role("list", name="Transactions").get_by_role("listitem")).to_have_count(min(25, total - 25))

    page.get_by_label("Status").select_option("declined")
    expect(page.locator("#page-status")).to_have_text(re.compile(r"· 1 item$"))
    expect(page.get_by_role("link", name=f"Payment {declined}")).to_be_visible()
    page.get_by_label("Status").select_option("all")

    wanted = billed_user["references"][0]
    page.get_by_label("Find a payment by reference number").fill(wanted.lower())
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#page-status")).to_have_text(re.compile(r"· 1 item$"))
    page.get_by_role("link", name=f"Payment {wanted}").click()
    page.wait_for_url(re.compile(r"/payment\?reference="))
    expect(page.locator("#payment-reference")).to_have_text(wanted)
    expect(page.locator("#status-explanation")).to_contain_text("received and applied")


@pytest.mark.core
def test_receipt_pdf_downloads_with_the_reference(page: Page, billed_user):
    wanted = billed_user["references"][-1]
    log_in_as(page, billed_user)
    page.goto(f"/payment?reference={wanted}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download receipt (PDF)").click()
    path = download.value.path()
    text = pypdf.PdfReader(path).pages[0].extract_text()
    assert wanted in text and billed_user["account"].account_number in text and "$100.00" in text


def test_csv_export_has_the_right_rows(page: Page, billed_user):
    log_in_as(page, billed_user)
    page.goto("/history")
    start, end = clock.today() - dt.timedelta(days=366), clock.today()
    page.get_by_label("Start date", exact=True).fill(start.isoformat())
    page.get_by_label("End date", exact=True).fill(end.isoformat())
    with page.expect_download() as download:
        page.get_by_role("button", name="Export history (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    with session_scope() as session:
        account = billed_user["account"]
        expected = {
            p.reference
            for p in session.exec(
                select(records.Payment).where(
                    records.Payment.billing_account_id == account.id,
                    records.Payment.payment_date >= start,
                    records.Payment.payment_date <= end,
                )
            ).all()
        }
    assert {r["reference"] for r in rows if r["type"] == "payment"} == expected
    assert all(start.isoformat() <= r["date"] <= end.isoformat() for r in rows)


@pytest.mark.core
def test_documents_of_another_member_are_not_found(page: Page, billed_user, another_member):
    other = _issue(another_member)
    theirs = _pay(other, 4242, clock.today())
    log_in_as(page, billed_user)
    response = page.request.get(f"/documents/receipt/{theirs}", max_redirects=0)
    assert response.status == 404, (response.status, response.headers, page.context.cookies())
    assert page.request.get(f"/documents/receipt/{billed_user['references'][-2]}").status == 200
    page.goto(f"/payment?reference={theirs}")
    expect(page.get_by_role("alert").filter(has_text="couldn't find a payment")).to_be_visible()
    # Without a session, a download sends the visitor to log in.
    anonymous = page.context.browser.new_context(base_url=page.url.split("/payment")[0])
    response = anonymous.request.get(f"/documents/receipt/{theirs}", max_redirects=0)
    assert response.status == 303 and response.headers["location"].startswith("/?next=")
    anonymous.close()


def test_monthly_statement_downloads(page: Page, billed_user):
    log_in_as(page, billed_user)
    page.goto("/history")
    month = clock.today().strftime("%Y-%m")
    page.get_by_label("Statement month").fill(month)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download statement (PDF)").click()
    assert download.value.suggested_filename == f"statement-{month}.pdf"
    text = pypdf.PdfReader(download.value.path()).pages[0].extract_text()
    assert billed_user["account"].account_number in text and "Closing balance" in text
