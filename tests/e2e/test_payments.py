"""Make a Payment on a phone: cards, bank transfers, declines, exactly-once submit, scheduled
payments, saved methods — and no card or account number kept anywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import func, select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import (
    BillingAccount,
    Invoice,
    LedgerEntry,
    Member,
    Payment,
    PaymentStatus,
)
from hcpay_app.services.billing import ledger
from hcpay_app.services.jobs import daily
from hcpay_app.services.payments import checkout
from tests.e2e.harness import APP_ENV, latest_email, log_in_as
from tests.support.bills import issue_as_scheduled

CARD_OK = "4242424242424242"
ROUTING = "110000000"
SECRETS_TYPED = {CARD_OK, "4000000000009995", "000123456789", "000222222227"}
# A stored card number would stand alone; digit runs inside hex digests and tokens don't count.
LUHN_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{13,19}(?![0-9A-Za-z])")


def luhn(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def payments_of(identity) -> list[Payment]:
    account = account_of(identity)
    with session_scope() as session:
        return list(
            session.exec(select(Payment).where(Payment.billing_account_id == account.id).order_by(Payment.id)).all()
        )


@pytest.fixture
def owing_user(new_user):
    """A member with invoices issued and nothing paid yet."""
    account = account_of(new_user)
    with session_scope() as session:
        account = session.get(BillingAccount, account.id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


def start_payment(
    page: Page, user, *, other_amount: str | None = None, date: dt.date | None = None, choice: str | None = None
) -> None:
    log_in_as(page, user)
    page.get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
    if choice is not None:  # an itemised amount, by the start of its label ("Past due: $…")
        page.get_by_label(re.compile("^" + re.escape(choice))).check()
    if other_amount is not None:
        page.get_by_label("Another amount").check()
        page.get_by_label("Amount in dollars").fill(other_amount)
    if date is not None:
        page.get_by_label("Payment date").fill(date.isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()


def enter_card(page: Page, number: str, *, save: bool = False) -> None:
    page.get_by_label("Credit or debit card").check()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")
    if save:
        page.get_by_label("Save this method for later").check()
    page.get_by_role("button", name="Continue to review").click()


def enter_bank(page: Page, account_number: str) -> None:
    page.get_by_label("Bank transfer from a new account").check()
    page.get_by_label("Routing number").fill(ROUTING)
    page.get_by_label("Account number", exact=True).fill(account_number)
    page.get_by_label("Confirm account number").fill(account_number)
    page.get_by_label("Checking").check()
    page.get_by_label("Name on account").fill("Ana O'Neill")
    page.get_by_role("button", name="Continue to review").click()


def submit(page: Page) -> str:
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    page.get_by_role("button", name=re.compile("Submit payment|Schedule payment")).click()
    reference = page.locator("#confirmation-reference")
    expect(reference).to_have_text(re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
    return reference.inner_text()


def record_frames(page: Page) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def assert_no_numbers(text: str) -> None:
    for secret in SECRETS_TYPED:
        assert secret not in text
    assert not [run for run in LUHN_RUN.findall(text) if luhn(run)]


@pytest.mark.core
def test_card_payment_succeeds_with_a_reference_and_receipt(page: Page, owing_user):
    frames = record_frames(page)
    # Never paid: step 1 starts on the first premium; everything owed pays the account off.
    with session_scope() as session:
        offered = checkout.account_options(
            session, session.get(BillingAccount, account_of(owing_user).id), clock.today()
        )
    start_payment(page, owing_user, choice="Everything owed:" if offered.shows_everything_owed else "Past due:")
    enter_card(page, "4242 4242 4242 4242")
    expect(page.get_by_text("Visa ••••4242", exact=True)).to_be_visible()  # the review's Method
    reference = submit(page)
    expect(page.locator("#confirmation-status")).to_have_text("Paid")
    expect(page.get_by_text("Save this number for your records.")).to_be_visible()
    receipt = latest_email(owing_user["email"], "payment_receipt")
    assert reference in receipt.body and CARD_OK not in receipt.body
    with session_scope() as session:
        assert ledger.balance(session, account_of(owing_user).id) == 0
    page.get_by_role("link", name="See this payment's status").click()
    expect(page.locator("#payment-reference")).to_have_text(reference)
    assert_no_numbers("\n".join(frames))


DECLINES = [
    ("4000000000000002", "declined this card"),
    ("4000000000009995", "insufficient funds"),
    ("4000000000000069", "card has expired"),
    ("4000000000000127", "security code"),
    ("4000000000000119", "error at the card network"),
    ("4000000000000341", "card was declined"),
]


@pytest.mark.parametrize(("number", "words"), DECLINES, ids=[d[0][-4:] for d in DECLINES])
def test_each_decline_says_why_and_keeps_the_form(page: Page, owing_user, number, words):
    start_payment(page, owing_user)
    enter_card(page, number)
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    page.get_by_role("button", name="Submit payment").click()
    expect(page.get_by_role("alert").filter(has_text=words)).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("Security code (CVC)")).to_have_value("")
    expect(page.get_by_label("Name on card")).to_have_value("Ana O'Neill")
    (payment,) = payments_of(owing_user)
    assert payment.status == PaymentStatus.DECLINED
    with session_scope() as session:
        assert session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == payment.id)).first() is None
    page.goto("/history")
    page.get_by_label("Status").select_option("declined")
    expect(page.get_by_role("link", name=f"Payment {payment.reference}")).to_be_visible()


@pytest.mark.core
def test_bank_transfer_is_pending_then_paid_after_the_daily_job(page: Page, owing_user):
    frames = record_frames(page)
    start_payment(page, owing_user)
    enter_bank(page, "000123456789")
    reference = submit(page)
    expect(page.locator("#confirmation-status")).to_have_text("Pending")
    payment = payments_of(owing_user)[-1]
    assert payment.expected_settle_on is not None
    daily.run_daily(payment.expected_settle_on)
    page.goto(f"/payment?reference={reference}")
    expect(page.locator("#payment-status")).to_have_text("Paid")
    expect(page.locator("#status-explanation")).to_contain_text("received and applied")
    assert_no_numbers("\n".join(frames))


def test_returned_bank_debit_reopens_the_bill(page: Page, owing_user):
    start_payment(page, owing_user)
    enter_bank(page, "000222222227")
    reference = submit(page)
    payment = payments_of(owing_user)[-1]
    account_id = account_of(owing_user).id
    with session_scope() as session:
        before = ledger.balance(session, account_id)
        last_entry = session.exec(select(func.max(LedgerEntry.id))).one()
    daily.run_daily(payment.expected_settle_on)
    page.goto(f"/payment?reference={reference}")
    expect(page.locator("#payment-status")).to_have_text("Returned")
    expect(page.locator("#status-explanation")).to_contain_text("enough funds")
    with session_scope() as session:
        reversal = session.exec(
            select(LedgerEntry).where(LedgerEntry.payment_id == payment.id, LedgerEntry.kind == "reversal")
        ).one()
        assert reversal.amount_cents == payment.amount_cents
        # The run on the settle date may also issue the next month's bill (a debit made on the last
        # business days of a month settles in the next) and assess late fees: nothing else moves.
        posted = session.exec(
            select(LedgerEntry).where(LedgerEntry.billing_account_id == account_id, LedgerEntry.id > last_entry)
        ).all()
        assert {entry.kind for entry in posted} <= {"reversal", "premium", "late_fee"}
        new_bills = session.exec(
            select(Invoice).where(Invoice.billing_account_id == account_id, Invoice.created_at >= payment.created_at)
        ).all()
        premiums = [entry.amount_cents for entry in posted if entry.kind == "premium"]
        assert sorted(premiums) == sorted(bill.premium_cents for bill in new_bills)
        assert all(bill.issued_on <= payment.expected_settle_on for bill in new_bills)
        assert [entry.kind for entry in posted].count("reversal") == 1
        assert ledger.balance(session, account_id) > before
    assert "R01" in latest_email(owing_user["email"], "payment_returned").body
    page.goto("/dashboard")
    expect(page.locator("#amount-due")).not_to_have_text("$0.00")


@pytest.mark.core
def test_double_tap_on_submit_makes_one_payment(page: Page, owing_user):
    start_payment(page, owing_user)
    enter_card(page, CARD_OK)
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    page.locator("#submit-payment").evaluate("button => { button.click(); button.click(); button.click(); }")
    expect(page.locator("#confirmation-reference")).to_be_visible()
    payments = payments_of(owing_user)
    assert len(payments) == 1 and payments[0].status == PaymentStatus.SUCCEEDED
    with session_scope() as session:
        assert len(session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == payments[0].id)).all()) == 1


def test_scheduled_payment_can_be_canceled(page: Page, owing_user):
    later = clock.today() + dt.timedelta(days=10)
    start_payment(page, owing_user, other_amount="25.00", date=later)
    enter_card(page, CARD_OK)
    reference = submit(page)
    expect(page.locator("#confirmation-status")).to_have_text("Scheduled")
    page.goto("/dashboard")
    expect(page.get_by_role("list", name="Scheduled payments")).to_contain_text(reference)
    page.get_by_role("button", name=f"Cancel scheduled payment {reference}").click()
    page.get_by_role("button", name="Cancel payment").click()
    expect(page.get_by_text(f"Scheduled payment {reference} was canceled")).to_be_visible()
    assert payments_of(owing_user)[-1].status == PaymentStatus.CANCELED
    daily.run_daily(later)
    assert payments_of(owing_user)[-1].status == PaymentStatus.CANCELED


def test_saved_bank_account_pays_by_direct_debit(page: Page, owing_user):
    log_in_as(page, owing_user)
    page.goto("/settings")
    page.get_by_role("button", name="Add a bank account").click()
    page.get_by_label("Routing number").fill(ROUTING)
    page.get_by_label("Account number", exact=True).fill("000123456789")
    page.get_by_label("Confirm account number").fill("000123456789")
    page.get_by_label("Name on account").fill("Ana O'Neill")
    page.get_by_role("button", name="Save payment method").click()
    expect(page.get_by_role("list", name="Saved payment methods")).to_contain_text("Checking ••••6789")
    page.goto("/pay")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Checking ••••6789").check()
    page.get_by_role("button", name="Continue to review").click()
    submit(page)
    expect(page.locator("#confirmation-status")).to_have_text("Pending")


def test_nothing_stores_a_card_or_account_number(app_log):
    """The exact numbers typed never appear in the database file (or its WAL) or the app's log, and
    no stored value holds a Luhn-valid card-length number. Values are checked one by one: in the raw
    file, neighbouring fields (an account number next to a date) can run together into digits."""
    import sqlite3

    database = APP_ENV["DATABASE_URL"].removeprefix("sqlite:///")
    blob = b""
    for suffix in ("", "-wal"):
        try:
            with open(database + suffix, "rb") as handle:
                blob += handle.read()
        except FileNotFoundError:
            pass
    raw = blob.decode("latin-1")
    for secret in SECRETS_TYPED:
        assert secret not in raw
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        values = [
            str(value)
            for table in tables
            for row in db.execute(f'SELECT * FROM "{table}"')
            for value in row
            if value is not None
        ]
    for value in values:
        assert_no_numbers(value)
    assert_no_numbers(app_log.read_text())


def test_a_new_card_can_be_saved_while_paying(page: Page, owing_user):
    start_payment(page, owing_user, other_amount="10.00")
    enter_card(page, CARD_OK, save=True)
    submit(page)
    page.goto("/settings")
    expect(page.get_by_role("list", name="Saved payment methods")).to_contain_text("Visa ••••4242")
