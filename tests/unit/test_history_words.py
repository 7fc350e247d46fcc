"""History in the member's words: rows titled by what they are, unambiguous chart months, right
plurals, and a CSV that Excel opens as UTF-8 (the masking dots survive)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest
from sqlmodel import select

from hcpay_app.models import BillingAccount, EntryKind, Invoice, MethodKind, PaymentSource, PaymentStatus
from hcpay_app.services.accounts import authn
from hcpay_app.services.billing import ledger
from hcpay_app.services.payments import documents, history, records
from tests.unit.billing_helpers import BEN, T0, issue_through, pay

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def renee(session, add_member, register, now):
    add_member()
    add_member(**{f.name: getattr(BEN, f.name) for f in dataclasses.fields(BEN) if f.name != "line"})
    actor = authn.resolve(session, register().token, now=now)
    account = session.exec(select(BillingAccount).where(BillingAccount.member_id == actor.member_id)).one()
    issue_through(session, account, TODAY)
    return actor, account


def _paid_by(session, account, cents, on, *, kind, source):
    label = "Visa ••••4242" if kind == MethodKind.CARD else "Checking ••••6789"
    payment = records.create(
        session,
        account_id=account.id,
        amount_cents=cents,
        method_kind=kind,
        method_label=label,
        payment_date=on,
        status=PaymentStatus.SUCCEEDED,
        now=T0,
        source=source,
    )
    ledger.post_payment(session, payment, effective_on=on, now=T0)
    session.commit()
    return payment


@pytest.mark.parametrize(
    ("kind", "source", "title"),
    [
        (MethodKind.CARD, PaymentSource.MEMBER, "Card payment"),
        (MethodKind.BANK, PaymentSource.MEMBER, "Bank payment"),
        (MethodKind.CARD, PaymentSource.GUEST, "Card payment"),
        (MethodKind.BANK, PaymentSource.AUTOPAY, "Automatic payment"),
        (MethodKind.CARD, PaymentSource.PLAN, "Payment plan installment"),
    ],
)
def test_payment_rows_are_titled_by_what_they_are_with_the_reference(session, renee, kind, source, title):
    actor, account = renee
    payment = _paid_by(session, account, 4321, dt.date(2026, 2, 14), kind=kind, source=source)
    rows = history.page(session, actor, reference=payment.reference, today=TODAY).rows
    assert [(r.title, r.reference, r.kind) for r in rows] == [(title, payment.reference, EntryKind.PAYMENT)]
    assert history.payment_title(kind, source) == title


def test_ledger_rows_are_titled_by_what_they_are(session, renee):
    actor, account = renee
    invoice = session.exec(select(Invoice).where(Invoice.billing_account_id == account.id)).first()
    ledger.post(
        session,
        account_id=account.id,
        kind=EntryKind.LATE_FEE,
        amount_cents=500,
        effective_on=dt.date(2026, 3, 1),
        now=T0,
        invoice_id=invoice.id,
        description="Late fee",
    )
    returned = pay(session, account, 2500, dt.date(2026, 2, 20), method=("bank", "Checking ••••6789"))
    ledger.post_reversal(session, returned, effective_on=dt.date(2026, 2, 25), now=T0, reason="R01")
    session.commit()
    rows = history.page(session, actor, page_size=100, today=TODAY).rows
    by_kind: dict[str, set[str]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, set()).add(row.title)
    assert by_kind[EntryKind.PREMIUM] == {"Premium bill"}
    assert by_kind[EntryKind.LATE_FEE] == {"Late fee"}
    assert by_kind[EntryKind.REVERSAL] == {"Payment returned"}
    assert by_kind[EntryKind.PAYMENT] == {"Bank payment"}
    # A returned payment's row carries the reference of the payment it takes back.
    assert [r.reference for r in rows if r.kind == EntryKind.REVERSAL] == [returned.reference]
    # No row is called by a bare word that says nothing of what it is.
    assert not {r.title for r in rows} & {"Payment", "Invoice", ""}
    assert history.entry_title(EntryKind.FEE_WAIVER) == "Late fee waived"
    assert history.entry_title("something_new") == "Something new"


def test_chart_months_carry_the_full_year(session, renee):
    actor, _account = renee
    points, summary = history.last_twelve_months(session, actor, dt.date(2026, 1, 15))
    assert [p.month for p in points][:2] == ["Feb 2025", "Mar 2025"]
    assert points[-2].month == "Dec 2025" and points[-1].month == "Jan 2026"
    assert summary.startswith("From February 2025 to January 2026")


@pytest.mark.parametrize(
    ("count", "words"), [(0, "0 items"), (1, "1 item"), (2, "2 items"), (25, "25 items"), (101, "101 items")]
)
def test_item_counts_are_plural_only_when_they_should_be(count, words):
    assert history.items_label(count) == words


def test_count_words_picks_the_noun(session):
    assert history.count_words(1, "payment", "payments") == "1 payment"
    assert history.count_words(3, "payment", "payments") == "3 payments"


def test_csv_is_utf8_with_a_byte_order_mark_and_keeps_the_masking_dots(session, renee):
    actor, account = renee
    paid = pay(session, account, 1234, dt.date(2026, 2, 14))
    _name, body = documents.history_csv(session, actor, "2026-02-01", "2026-02-28")
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\xef\xbb\xbf") == 1
    assert "Visa ••••4242".encode() in body
    text = body.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["date", "type", "reference", "description", "amount", "status"]
    assert [(r["reference"], r["description"]) for r in rows if r["type"] == "payment"] == [
        (paid.reference, "Visa ••••4242")
    ]
    # What Excel does without the mark (cp1252) is exactly what the mark prevents.
    assert "â€¢" in body[3:].decode("cp1252", errors="replace")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("-450.00", "-450.00"),
        ("450.00", "450.00"),
        ("Visa ••••4242", "Visa ••••4242"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell, safe):
    assert documents.spreadsheet_safe(cell) == safe
