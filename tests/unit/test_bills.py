"""Bills a member can open (`billing.bills`), their PDFs, the yearly premium summary for taxes and the
download routes: the right figures — premium breakdown, payments applied oldest-first, what is still
unpaid — and only ever the acting member's own bill, named by its coverage month."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pypdf
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from hcpay_app import clock, http, routes
from hcpay_app.config import SESSION_COOKIE
from hcpay_app.models import BillingAccount, EntryKind, Invoice, MethodKind, Payment, PaymentStatus
from hcpay_app.services.accounts import authn
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import bills, ledger
from hcpay_app.services.common.errors import NotAllowed, NotFound
from hcpay_app.services.overview import dashboard
from hcpay_app.services.payments import documents, history, records
from tests.unit.conftest import NOW, RENEE

TODAY = dt.date(2026, 3, 10)  # NOW's date in Boston
MARCH, APRIL = "2026-03", "2026-04"
SHARE, FULL, CREDIT = 51250, 80000, 28750
BREAKDOWN = {"full_premium_cents": FULL, "tax_credit_cents": CREDIT, "coverage_start": dt.date(2026, 3, 1)}
BEN = {
    "line": 3,
    "member_number": "123456789013",
    "first_name": "Ben",
    "last_name": "Okafor",
    "date_of_birth": dt.date(1979, 8, 2),
    "ssn": "219550124",
    "email": "ben@example.com",
    "account_number": "987654322",
    "plan_name": "ConnectorCare Plan 2A",
    "monthly_premium_cents": 8900,
    "subsidized": True,
    "coverage_start": dt.date(2025, 1, 1),
}


def actor_of(session: Session, registered) -> SessionUser:
    who = authn.resolve(session, registered.token, now=NOW)
    assert who is not None
    return who


def account_of(session: Session, who: SessionUser) -> BillingAccount:
    return session.exec(select(BillingAccount).where(BillingAccount.member_id == who.member_id)).one()


@pytest.fixture
def renee_login(add_member, register):
    """Renée, covered from March 2026 with a breakdown: $800.00 full premium, $287.50 tax credit,
    $512.50 her share. Imported on Mar 10: her March bill (due Mar 20) and April bill (due Mar 23)."""
    add_member(bill=True, **BREAKDOWN)
    return register()


@pytest.fixture
def renee(session, renee_login):
    who = actor_of(session, renee_login)
    return who, account_of(session, who)


@pytest.fixture
def ben(session, add_member, register):
    """Ben, covered since January 2025, a roster row without a breakdown (a ConnectorCare plan)."""
    add_member(bill=True, **{k: v for k, v in BEN.items() if k != "line"})
    who = actor_of(session, register(dataclasses.replace(RENEE, **BEN), username="ben.okafor"))
    return who, account_of(session, who)


def pay(
    session: Session,
    account: BillingAccount,
    cents: int,
    on: dt.date,
    *,
    bank: bool = False,
    clears_on: dt.date | None = None,
) -> Payment:
    """A payment posted to the ledger: by card (received), or by bank (pending until it clears)."""
    payment = records.create(
        session,
        account_id=account.id,
        amount_cents=cents,
        method_kind=MethodKind.BANK if bank else MethodKind.CARD,
        method_label="Checking ••••6789" if bank else "Visa ••••4242",
        payment_date=on,
        status=PaymentStatus.PENDING if bank else PaymentStatus.SUCCEEDED,
        now=NOW,
    )
    payment.expected_settle_on = clears_on if bank else None
    ledger.post_payment(session, payment, effective_on=on, now=NOW)
    session.commit()
    return payment


def bank_returns(session: Session, payment: Payment, on: dt.date) -> None:
    records.move(session, payment, PaymentStatus.RETURNED, now=NOW, note="Returned by your bank")
    ledger.post_reversal(session, payment, effective_on=on, now=NOW, reason="R01")
    session.commit()


def bank_clears(session: Session, payment: Payment) -> None:
    records.move(session, payment, PaymentStatus.SUCCEEDED, now=NOW, note="Cleared by your bank")
    session.commit()


def settled(session: Session, account: BillingAccount, month: str, today: dt.date) -> ledger.InvoicePosition:
    """The ledger's own settled view of one bill — what the dashboard counts."""
    invoice = session.exec(
        select(Invoice).where(
            Invoice.billing_account_id == account.id, Invoice.coverage_month == bills.parse_month(month)
        )
    ).one()
    return ledger.statuses_for(session, account.id, [invoice.id], today, settled=True)[invoice.id]


def agrees_with_the_ledger(session, account, today) -> None:
    """Every bill's paid and unpaid amounts are the ledger's settled view, cent for cent."""
    for bill in bills.account_bills(session, account, today):
        position = settled(session, account, f"{bill.coverage_month:%Y-%m}", today)
        assert bill.total_cents == position.amount_cents
        assert bill.paid_cents == position.paid_cents
        assert bill.unpaid_cents + bill.processing_cents == position.unpaid_cents


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


# ---- the bill's figures -------------------------------------------------------------------------


def test_a_bill_shows_the_premium_breakdown_dates_and_what_is_owed(session, renee):
    who, account = renee
    bill = bills.bill_view(session, who, MARCH, TODAY)
    assert (bill.month, bill.title, bill.month_label) == (MARCH, "Bill for March 2026", "March 2026")
    assert (bill.plan_name, bill.account_number, bill.member_name) == (
        "Silver Select PPO",
        "987654321",
        "Renée O’Neil-Dubois",
    )
    assert (bill.issued_on, bill.due_on) == ("Mar 10, 2026", "Mar 20, 2026")  # dated the day issued, 10 days to pay
    assert bill.has_breakdown
    assert [(line.key, line.label, line.amount) for line in bill.premium] == [
        ("full", "Full monthly premium", "$800.00"),
        ("credit", "Tax credit (APTC)", "−$287.50"),
        ("share", "Your share", "$512.50"),
    ]
    assert (bill.total, bill.paid, bill.processing, bill.unpaid, bill.unpaid_cents) == (
        "$512.50",
        "$0.00",
        "",
        "$512.50",
        SHARE,
    )
    assert (bill.status, bill.status_label, bill.payments, bill.fees) == ("open", "Open", [], "")
    assert bill.status_detail == "$512.50 is due by Mar 20, 2026."
    assert [o.key for o in bill.how_to_pay] == ["make_payment", "autopay", "guest"]
    assert "billing account number 987654321" in bill.how_to_pay[-1].text
    april = bills.bill_view(session, who, APRIL, TODAY)
    assert (april.due_on, april.unpaid) == ("Mar 23, 2026", "$512.50")
    # Past its due date, the same bill is past due.
    late = bills.bill_view(session, who, MARCH, dt.date(2026, 3, 21))
    assert (late.status, late.status_label) == ("past_due", "Past due")
    assert late.status_detail.startswith("$512.50 was due Mar 20, 2026.")


def test_without_a_breakdown_a_bill_shows_just_the_premium(session, ben):
    who, _account = ben
    bill = bills.bill_view(session, who, "2025-06", TODAY)
    assert not bill.has_breakdown
    assert [(line.key, line.label, line.amount) for line in bill.premium] == [
        ("share", "Premium (your share)", "$89.00")
    ]
    assert bill.total == "$89.00" and bill.status == "open"  # issued on import, Mar 10, due Mar 20


def test_a_connectorcare_bill_names_the_subsidy(session, add_member, register):
    add_member(bill=True, **{**BREAKDOWN, "plan_name": "ConnectorCare Plan 2A"})
    who = actor_of(session, register())
    labels = [line.label for line in bills.bill_view(session, who, MARCH, TODAY).premium]
    assert labels == ["Full monthly premium", "Tax credit and ConnectorCare subsidy", "Your share"]


def test_partial_payments_are_applied_oldest_bill_first(session, renee):
    who, account = renee
    first = pay(session, account, 20000, dt.date(2026, 3, 11))
    second = pay(session, account, 40000, dt.date(2026, 3, 12))
    today = dt.date(2026, 3, 12)
    march = bills.bill_view(session, who, MARCH, today)
    assert [(p.reference, p.date, p.amount, p.note) for p in march.payments] == [
        (first.reference, "Mar 11, 2026", "$200.00", "Received"),
        (second.reference, "Mar 12, 2026", "$312.50", "Received"),
    ]
    assert (march.status, march.paid, march.unpaid) == ("paid", "$512.50", "$0.00")
    assert march.status_detail == "Paid in full. Thank you!"
    april = bills.bill_view(session, who, APRIL, today)
    assert [(p.reference, p.amount) for p in april.payments] == [(second.reference, "$87.50")]
    assert (april.status, april.paid, april.unpaid) == ("partially_paid", "$87.50", "$425.00")
    assert april.status_detail == "$425.00 is still due by Mar 23, 2026."
    agrees_with_the_ledger(session, account, today)
    # The payment's own page names the same bills (the same replay, the other way).
    assert history.payment_detail(session, who, second.reference).invoices == [
        "March 2026 premium — $312.50",
        "April 2026 premium — $87.50",
    ]


def test_a_bank_debit_on_its_way_is_processing_until_it_clears(session, renee):
    who, account = renee
    debit = pay(session, account, SHARE, dt.date(2026, 3, 11), bank=True, clears_on=dt.date(2026, 3, 13))
    today = dt.date(2026, 3, 11)
    march = bills.bill_view(session, who, MARCH, today)
    assert (march.status, march.status_label) == ("processing", "Payment processing")
    assert (march.paid, march.processing, march.unpaid) == ("$0.00", "$512.50", "$0.00")
    assert [(p.reference, p.note, p.processing) for p in march.payments] == [
        (debit.reference, "Processing — counts when it clears on Mar 13, 2026", True)
    ]
    assert "it counts when it clears on Mar 13, 2026" in march.status_detail
    agrees_with_the_ledger(session, account, today)
    bank_clears(session, debit)
    cleared = bills.bill_view(session, who, MARCH, dt.date(2026, 3, 13))
    assert (cleared.status, cleared.paid, cleared.processing) == ("paid", "$512.50", "")
    assert cleared.payments[0].note == "Received"


def test_cleared_money_pays_the_oldest_bill_before_a_debit_still_on_its_way(session, renee):
    """As the dashboard counts it: a card payment made after a bank debit pays the older bill while
    the debit is still clearing."""
    who, account = renee
    debit = pay(session, account, SHARE, dt.date(2026, 3, 11), bank=True, clears_on=dt.date(2026, 3, 13))
    card = pay(session, account, SHARE, dt.date(2026, 3, 12))
    today = dt.date(2026, 3, 12)
    march, april = (bills.bill_view(session, who, m, today) for m in (MARCH, APRIL))
    assert [p.reference for p in march.payments] == [card.reference] and march.status == "paid"
    assert [p.reference for p in april.payments] == [debit.reference] and april.status == "processing"
    agrees_with_the_ledger(session, account, today)


def test_a_returned_payment_pays_nothing_and_the_bill_is_owed_again(session, renee):
    who, account = renee
    card = pay(session, account, 10000, dt.date(2026, 3, 11))
    debit = pay(session, account, 41250, dt.date(2026, 3, 12), bank=True, clears_on=dt.date(2026, 3, 16))
    assert bills.bill_view(session, who, MARCH, dt.date(2026, 3, 12)).status == "processing"
    bank_returns(session, debit, dt.date(2026, 3, 16))
    today = dt.date(2026, 3, 16)
    march = bills.bill_view(session, who, MARCH, today)
    assert [(p.reference, p.amount) for p in march.payments] == [(card.reference, "$100.00")]
    assert (march.status, march.paid, march.processing, march.unpaid) == (
        "partially_paid",
        "$100.00",
        "",
        "$412.50",
    )
    agrees_with_the_ledger(session, account, today)
    # A later payment takes the returned one's place on the oldest bill.
    again = pay(session, account, 50000, dt.date(2026, 3, 17))
    march = bills.bill_view(session, who, MARCH, dt.date(2026, 3, 17))
    assert [(p.reference, p.amount) for p in march.payments] == [
        (card.reference, "$100.00"),
        (again.reference, "$412.50"),
    ]
    april = bills.bill_view(session, who, APRIL, dt.date(2026, 3, 17))
    assert [(p.reference, p.amount) for p in april.payments] == [(again.reference, "$87.50")]
    agrees_with_the_ledger(session, account, dt.date(2026, 3, 17))


def test_late_fees_and_credits_on_a_bill(session, renee):
    who, account = renee
    march_invoice = session.exec(
        select(Invoice).where(Invoice.billing_account_id == account.id, Invoice.coverage_month == dt.date(2026, 3, 1))
    ).one()
    ledger.post(
        session,
        account_id=account.id,
        kind=EntryKind.LATE_FEE,
        amount_cents=2500,
        effective_on=dt.date(2026, 3, 21),
        now=NOW,
        invoice_id=march_invoice.id,
        description="Late fee",
    )
    ledger.post(
        session,
        account_id=account.id,
        kind=EntryKind.CREDIT,
        amount_cents=-5000,
        effective_on=dt.date(2026, 3, 22),
        now=NOW,
        description="Credit: goodwill",
    )
    session.commit()
    march = bills.bill_view(session, who, MARCH, dt.date(2026, 3, 22))
    assert (march.fees, march.total, march.unpaid) == ("$25.00", "$537.50", "$487.50")
    assert [(p.reference, p.label, p.amount) for p in march.payments] == [("", "Credit on your account", "$50.00")]
    agrees_with_the_ledger(session, account, dt.date(2026, 3, 22))


# ---- only the member's own bill -----------------------------------------------------------------


def test_another_members_bill_and_a_bad_month_read_as_not_found(session, renee, ben):
    who, _account = renee
    ben_who, _ben_account = ben
    assert bills.bill_view(session, ben_who, "2025-06", TODAY).total == "$89.00"  # Ben has a June 2025 bill
    for month in (
        "2025-06",
        "2026-05",
        "2026-13",
        "2026-00",
        "26-03",
        "2026-3",
        "2026-03-01",
        " 2026-03",
        "",
        None,
        202603,
    ):
        with pytest.raises(NotFound) as refused:
            bills.bill_view(session, who, month, TODAY)
        assert refused.value.message == "We couldn't find a bill for that month on your account."
    with pytest.raises(NotAllowed):
        bills.bill_view(session, None, MARCH, TODAY)
    with pytest.raises(NotAllowed):
        bills.bill_view(session, dataclasses.replace(who, role="support"), MARCH, TODAY)


# ---- the yearly premium summary -----------------------------------------------------------------


def test_the_yearly_summary_lists_each_month_with_totals(session, renee):
    who, account = renee
    pay(session, account, 60000, dt.date(2026, 3, 11))
    pay(session, account, 10000, dt.date(2026, 3, 12), bank=True, clears_on=dt.date(2026, 3, 16))
    today = dt.date(2026, 3, 12)
    assert bills.tax_years(session, who) == [2026]
    summary = bills.year_summary(session, who, "2026", today)
    assert [
        (r.coverage_month, r.full_premium_cents, r.tax_credit_cents, r.share_cents, r.paid_cents) for r in summary.rows
    ] == [
        (dt.date(2026, 3, 1), FULL, CREDIT, SHARE, SHARE),
        (dt.date(2026, 4, 1), FULL, CREDIT, SHARE, 60000 - SHARE),
    ]
    assert (summary.full_premium_cents, summary.tax_credit_cents, summary.share_cents, summary.paid_cents) == (
        2 * FULL,
        2 * CREDIT,
        2 * SHARE,
        60000,
    )
    headers, rows, totals = bills.summary_table(summary)
    assert headers == ["Month", "Full premium", "Tax credit", "Your share billed", "Paid"]
    assert rows[1] == ["April 2026", "$800.00", "$287.50", "$512.50", "$87.50"]
    assert totals == ["Total", "$1,600.00", "$575.00", "$1,025.00", "$600.00"]
    notes = bills.summary_notes(summary)
    assert any("$100.00 from your bank is still clearing" in n for n in notes)
    assert bills.year_summary(session, who, 2026, today).rows == summary.rows
    for year in ("2025", "2027", "20266", "abcd", None, 1999):
        with pytest.raises(NotFound):
            bills.year_summary(session, who, year, today)


def test_a_summary_without_a_breakdown_leaves_the_unknown_figures_blank(session, ben):
    who, account = ben
    pay(session, account, 12 * 8900, dt.date(2025, 2, 1))
    assert bills.tax_years(session, who) == [2026, 2025]
    summary = bills.year_summary(session, who, 2025, TODAY)
    headers, rows, totals = bills.summary_table(summary)
    assert [r[0] for r in rows] == [dt.date(2025, m, 1).strftime("%B 2025") for m in range(1, 13)]
    assert rows[0] == ["January 2025", "—", "—", "$89.00", "$89.00"]
    assert totals == ["Total", "—", "—", "$1,068.00", "$1,068.00"]
    assert summary.missing_breakdown
    assert any(n.startswith("— Your enrollment record had no full premium") for n in bills.summary_notes(summary))


# ---- the PDFs -----------------------------------------------------------------------------------


def test_the_bill_pdf_has_the_bills_figures(session, renee):
    who, account = renee
    first = pay(session, account, 20000, dt.date(2026, 3, 11))
    name, body = documents.bill_pdf(session, who, MARCH, today=dt.date(2026, 3, 11))
    assert name == "bill-2026-03.pdf"
    text = pdf_text(body)
    for expected in (
        "Bill for March 2026",
        "Renée O’Neil-Dubois",
        "987654321",
        "Silver Select PPO",
        "Mar 10, 2026",
        "Mar 20, 2026",
        "Full monthly premium",
        "$800.00",
        "Tax credit (APTC)",
        "−$287.50",
        "Your share",
        "$512.50",
        first.reference,
        "$200.00",
        "Still unpaid",
        "$312.50",
        "Partially paid",
        "Make a Payment",
        "Automatic Payments",
        "Pay as a guest",
        "billing account number 987654321",
    ):
        assert expected in text, expected
    with pytest.raises(NotFound):
        documents.bill_pdf(session, who, "2025-06", today=TODAY)


def test_the_bill_pdf_without_a_breakdown_and_the_yearly_summary_pdf(session, ben):
    who, account = ben
    pay(session, account, 8900, dt.date(2025, 2, 1))
    text = pdf_text(documents.bill_pdf(session, who, "2025-01", today=TODAY)[1])
    assert "Premium (your share)" in text and "Full monthly premium" not in text and "$89.00" in text
    name, body = documents.premium_summary_pdf(session, who, "2025", today=TODAY)
    assert name == "premium-summary-2025.pdf"
    text = pdf_text(body)
    assert "Yearly premium summary for 2025" in text and "987654322" in text
    assert "January 2025" in text and "December 2025" in text and "$1,068.00" in text
    assert "Your share billed" in text and "Tax credit" in text


# ---- where the bills are linked, and the dashboard's breakdown -----------------------------------


def test_history_invoice_rows_name_their_bill(session, renee):
    who, _account = renee
    rows = history.page(session, who, today=TODAY).rows
    invoices = [r for r in rows if r.kind == EntryKind.PREMIUM]
    assert {(r.bill_month, r.bill_link) for r in invoices} == {
        (MARCH, "View bill for March 2026"),
        (APRIL, "View bill for April 2026"),
    }
    assert all(r.bill_month == "" for r in rows if r.kind != EntryKind.PREMIUM)


def test_the_dashboard_shows_the_breakdown_when_the_roster_has_it(session, renee, ben):
    with_breakdown = dashboard.view(session, renee[0], TODAY)
    assert with_breakdown.has_breakdown
    assert [(line.label, line.amount) for line in with_breakdown.premium_breakdown] == [
        ("Full monthly premium", "$800.00"),
        ("Tax credit (APTC)", "−$287.50"),
        ("Your share", "$512.50"),
    ]
    assert not dashboard.view(session, ben[0], TODAY).has_breakdown


# ---- the download routes ------------------------------------------------------------------------


@pytest.fixture
def client(session):
    clock.shift(NOW - clock.utcnow())  # the sessions were made at NOW; the conftest resets the clock
    with TestClient(http.api(), base_url="http://testserver") as test_client:
        yield test_client


def test_the_bill_and_summary_routes_serve_only_the_members_own(renee_login, ben, client):
    client.cookies.set(SESSION_COOKIE, renee_login.token)
    response = client.get(f"{routes.BILL_PDF}?month={MARCH}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="bill-2026-03.pdf"'
    assert response.headers["cache-control"] == "no-store"
    assert "$512.50" in pdf_text(response.content)
    for month in ("2025-06", "2026-13", "nonsense", ""):  # Ben's month, and months that don't exist
        assert client.get(routes.BILL_PDF, params={"month": month}).status_code == 404
    summary = client.get(routes.PREMIUM_SUMMARY, params={"year": "2026"})
    assert summary.status_code == 200 and "Yearly premium summary for 2026" in pdf_text(summary.content)
    assert client.get(routes.PREMIUM_SUMMARY, params={"year": "2025"}).status_code == 404
    client.cookies.clear()
    for path in (f"{routes.BILL_PDF}?month={MARCH}", f"{routes.PREMIUM_SUMMARY}?year=2026"):
        refused = client.get(path, follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith(f"{routes.LOGIN}?next=")
        client.cookies.set(SESSION_COOKIE, "not-a-session")
        assert client.get(path, follow_redirects=False).status_code == 303
        client.cookies.clear()
