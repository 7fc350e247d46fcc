"""History, payment details, the dashboard and documents: right figures, and a member can only ever
see their own records, whatever id or reference they send."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pypdf
import pytest
from sqlmodel import select

from hcpay_app.config import get_settings
from hcpay_app.models import BillingAccount, PaymentStatus
from hcpay_app.services.accounts import authn
from hcpay_app.services.billing import ledger
from hcpay_app.services.common.errors import NotAllowed, NotFound, ValidationError
from hcpay_app.services.overview import dashboard
from hcpay_app.services.payments import documents, history
from tests.unit.billing_helpers import BEN, issue_through, pay

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def two_members(session, add_member, register, now):
    add_member()
    add_member(**{f.name: getattr(BEN, f.name) for f in dataclasses.fields(BEN) if f.name != "line"})
    renee, ben = register(), register(BEN, username="ben.okafor")
    actors = {}
    for name, who in (("renee", renee), ("ben", ben)):
        actors[name] = authn.resolve(session, who.token, now=now)
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == actors[name].member_id)).one()
        issue_through(session, account, TODAY)
        actors[name + "_account"] = account
    return actors


def test_history_pages_newest_first_and_counts_everything(session, two_members):
    renee, account = two_members["renee"], two_members["renee_account"]
    payments = [pay(session, account, 51250, dt.date(2025, 1, 1) + dt.timedelta(days=20 * i)) for i in range(30)]
    first = history.page(session, renee, page_number=1, page_size=25, today=TODAY)
    invoices = len(ledger.positions(session, account.id, TODAY))
    assert first.total == 30 + invoices and first.pages == 2 and len(first.rows) == 25
    dates = [r.iso_date for r in first.rows]
    assert dates == sorted(dates, reverse=True)
    second = history.page(session, renee, page_number=2, page_size=25, today=TODAY)
    assert len(second.rows) == first.total - 25
    assert not {r.key for r in first.rows} & {r.key for r in second.rows}
    # A page number out of range falls back to the first page instead of failing.
    assert history.page(session, renee, page_number=99, today=TODAY).page == 1
    assert payments[-1].reference in {r.reference for r in first.rows}


def test_filters_and_reference_search(session, two_members):
    renee, account = two_members["renee"], two_members["renee_account"]
    paid = pay(session, account, 1000, dt.date(2025, 6, 1))
    declined = pay(session, account, 2000, dt.date(2026, 2, 1), status=PaymentStatus.DECLINED)
    only_2025 = history.page(session, renee, year=2025, today=TODAY)
    assert only_2025.rows and all(r.iso_date.startswith("2025") for r in only_2025.rows)
    declined_rows = history.page(session, renee, status=PaymentStatus.DECLINED, today=TODAY).rows
    assert [r.reference for r in declined_rows] == [declined.reference]
    assert declined_rows[0].status == "Declined"
    typed = paid.reference.lower().replace("-", " ")
    assert [r.reference for r in history.page(session, renee, reference=typed, today=TODAY).rows] == [paid.reference]
    with pytest.raises(ValidationError):
        history.page(session, renee, reference="not a reference", today=TODAY)
    # Unknown filter values are ignored rather than trusted.
    assert history.page(session, renee, status="DROP TABLE", year="1999", today=TODAY).total > 0


def test_a_member_never_sees_another_members_records(session, two_members):
    renee, ben = two_members["renee"], two_members["ben"]
    bens_payment = pay(session, two_members["ben_account"], 7777, dt.date(2026, 2, 1))
    assert bens_payment.reference not in {r.reference for r in history.page(session, renee, today=TODAY).rows}
    assert history.page(session, renee, reference=bens_payment.reference, today=TODAY).total == 0
    with pytest.raises(NotFound):
        history.payment_detail(session, renee, bens_payment.reference)
    with pytest.raises(NotFound):
        documents.receipt_pdf(session, renee, bens_payment.reference)
    name, statement = documents.statement_pdf(session, renee, "2026-02")
    assert b"7777" not in statement and b"77.77" not in statement
    _name, exported = documents.history_csv(session, renee, "2020-01-01", "2026-12-31")
    assert bens_payment.reference.encode() not in exported
    # Ben sees his own.
    assert history.payment_detail(session, ben, bens_payment.reference).amount == "$77.77"


def test_anonymous_and_staff_actors_are_refused(session, two_members):
    with pytest.raises(NotAllowed):
        history.page(session, None, today=TODAY)
    staff = dataclasses.replace(two_members["renee"], role="support")
    with pytest.raises(NotAllowed):
        documents.statement_pdf(session, staff, "2026-02")


def test_payment_detail_names_the_invoice_it_paid(session, two_members):
    renee, account = two_members["renee"], two_members["renee_account"]
    oldest = ledger.positions(session, account.id, TODAY)[0]
    payment = pay(session, account, oldest.amount_cents, dt.date(2026, 3, 1))
    detail = history.payment_detail(session, renee, payment.reference)
    assert detail.status_label == "Paid" and detail.receipt_available
    assert detail.invoices == [f"{oldest.coverage_month:%B %Y} premium — $512.50"]
    assert detail.timeline and detail.timeline[0].label == "Paid"


def test_receipt_pdf_only_for_successful_payments(session, two_members):
    renee, account = two_members["renee"], two_members["renee_account"]
    ok = pay(session, account, 51250, dt.date(2026, 3, 1))
    name, body = documents.receipt_pdf(session, renee, ok.reference)
    assert name == f"receipt-{ok.reference}.pdf" and body.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "Your account now" in text and get_settings().support_phone in text  # the summary and how to call
    declined = pay(session, account, 100, dt.date(2026, 3, 1), status=PaymentStatus.DECLINED)
    with pytest.raises(NotFound):
        documents.receipt_pdf(session, renee, declined.reference)


def test_csv_export_has_exactly_the_rows_in_range(session, two_members):
    renee, account = two_members["renee"], two_members["renee_account"]
    inside = pay(session, account, 1234, dt.date(2026, 2, 14))
    outside = pay(session, account, 4321, dt.date(2026, 1, 14))
    _name, body = documents.history_csv(session, renee, "2026-02-01", "2026-02-28")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["reference"] for r in rows if r["type"] == "payment"] == [inside.reference]
    assert outside.reference not in body.decode()
    assert all("2026-02-01" <= r["date"] <= "2026-02-28" for r in rows)
    assert any(r["type"] == "premium" for r in rows)
    assert {r["amount"] for r in rows if r["type"] == "payment"} == {"12.34"}
    with pytest.raises(ValidationError):
        documents.history_csv(session, renee, "2026-03-01", "2026-02-01")


def test_dashboard_figures_agree_with_the_ledger(session, two_members):
    renee, account = two_members["renee"], two_members["renee_account"]
    positions = ledger.positions(session, account.id, TODAY)
    view = dashboard.view(session, renee, TODAY)
    past_due = sum(p.unpaid_cents for p in positions if p.due_on < TODAY)
    assert view.amount_due_cents == ledger.balance(session, account.id)
    assert view.past_due_cents == past_due > 0
    assert view.coverage_text == "Pending first payment"
    # Pay everything: nothing due, the binder is paid, coverage is active.
    payment = pay(session, account, view.amount_due_cents, TODAY)
    after = dashboard.view(session, renee, TODAY)
    assert after.amount_due_cents == 0 and after.past_due_cents == 0
    assert after.coverage_text == "Active"
    assert after.last_payment_reference == payment.reference
