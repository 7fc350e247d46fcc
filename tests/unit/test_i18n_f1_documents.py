"""The member's documents in the member's language: receipt, statement and yearly summary PDFs and
the history CSV, written in the en-XA pseudo-locale, have no English word that skipped the catalogs
(only data: names, reference and account numbers, amounts, the plan's name, dates); a Spanish
document writes its dates the Spanish way; the download edge refuses in the member's language."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pypdf
import pytest

from hcpay_app import clock
from hcpay_app.i18n import catalogs
from hcpay_app.i18n.message import Msg
from hcpay_app.services.billing import bills, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.common import contact
from hcpay_app.services.payments import documents, guest
from tests.support import pseudo_pages
from tests.unit.conftest import NOW
from tests.unit.test_bills import MARCH, TODAY, pay, renee, renee_login  # noqa: F401 (fixtures)

XA = "en-XA"
# Dates in en-XA are written the British way ("10 Mar 2026"), months as "March 2026": data.
_DATES = re.compile(r"\b\d{1,2} [A-Z][a-z]{2,8} \d{4}\b|\b[A-Z][a-z]{2,8} \d{4}\b|\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture
def pseudo(tmp_path, monkeypatch):
    monkeypatch.setenv("HCPAY_PSEUDO_LOCALE", "1")
    try:
        assert pseudo_pages.pseudo_catalogs(tmp_path) > 0
        yield
    finally:
        catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
        catalogs.catalog.cache_clear()


def pdf_lines(body: bytes) -> list[str]:
    assert body.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _squash(text: str) -> str:
    return " ".join(text.split())


def english_lines(lines: list[str], data: set[str], elsewhere: set[str] = frozenset()) -> list[str]:
    """Lines with English left once data is taken out. `elsewhere`: text written by other
    packages' functions (billing's summary, the contact footer), checked by their own tests."""
    whole = [_squash(text) for text in elsewhere if text]
    found = []
    for line in lines:
        rest = line
        for value in sorted(data | set(whole), key=len, reverse=True):
            if value:
                rest = rest.replace(value, " ")
        rest = _DATES.sub(" ", rest)
        if any(_squash(line) in text for text in whole):
            continue
        if pseudo_pages.english_left(rest.strip()):
            found.append(line)
    return found


def member_data(who, account, *payments) -> set[str]:
    return {
        "Renée O’Neil-Dubois",
        account.account_number,
        account.plan_name,
        "Visa ••••4242",
        "Checking ••••6789",
        *(p.reference for p in payments),
        *_settings_data(),
    }


def _settings_data() -> set[str]:
    """What the operator configured: phone numbers, each walk-in center's town and address."""
    support = contact.support_contact()
    return {support.phone, support.tty, support.interpreter_line} | {
        value for centre in support.centres for value in (centre.town, centre.address)
    }


def test_a_receipt_in_pseudo_english_has_no_word_that_skipped_the_catalogs(session, renee, pseudo):  # noqa: F811
    who, account = renee
    paid = pay(session, account, 51250, dt.date(2026, 3, 11))
    xa = dataclasses.replace(who, language=XA)
    name, body = documents.receipt_pdf(session, xa, paid.reference)
    assert name == f"receipt-{paid.reference}.pdf"  # the file name stays as it is
    lines = pdf_lines(body)
    assert any("⟦" in line for line in lines) and paid.reference in "\n".join(lines)
    # What other packages write (the money summary, the contact footer), in English until theirs is done.
    elsewhere = {
        billing_templates.summary_text(summary.for_account(session, account, clock.today())),
        contact.footer(),
    }
    assert english_lines(lines, member_data(who, account, paid), elsewhere) == []


def test_a_guest_receipt_takes_the_language_it_is_given(session, renee, pseudo):  # noqa: F811
    who, account = renee
    paid = pay(session, account, 51250, dt.date(2026, 3, 11))
    token = guest.issue_receipt_token(session, paid, now=NOW)
    session.commit()
    _name, body = documents.guest_receipt_pdf(session, token, now=NOW, language=XA)
    lines = pdf_lines(body)
    data = member_data(who, account, paid) | {account.account_number[-4:]}
    assert english_lines(lines, data, {contact.footer()}) == []


def test_a_statement_in_pseudo_english(session, renee, pseudo):  # noqa: F811
    who, account = renee
    paid = pay(session, account, 20000, dt.date(2026, 3, 10))
    xa = dataclasses.replace(who, language=XA)
    name, body = documents.statement_pdf(session, xa, MARCH)
    assert name == "statement-2026-03.pdf"
    lines = pdf_lines(body)
    # Each ledger entry's description is stored text (written when it was posted).
    from sqlmodel import select

    from hcpay_app.models import LedgerEntry

    stored = {e.description for e in session.exec(select(LedgerEntry)).all()}
    assert english_lines(lines, member_data(who, account, paid) | stored) == []
    assert any(line.startswith("⟦") for line in lines)


def test_the_yearly_summary_in_pseudo_english(session, renee, pseudo):  # noqa: F811
    who, account = renee
    pay(session, account, 51250, dt.date(2026, 3, 11))
    xa = dataclasses.replace(who, language=XA)
    _name, body = documents.premium_summary_pdf(session, xa, "2026", today=TODAY)
    lines = pdf_lines(body)
    year = bills.year_summary(session, who, "2026", TODAY)
    headers, rows, totals = bills.summary_table(year)
    elsewhere = {
        str(bills.summary_title(year.year)) if hasattr(bills, "summary_title") else "",
        *map(str, headers),
        *(str(cell) for row in rows for cell in row),
        *map(str, totals),
        *map(str, bills.summary_notes(year)),
    }
    from hcpay_app.services.billing.templates import summary_title

    elsewhere.add(str(summary_title(year.year)))
    assert english_lines(lines, member_data(who, account), elsewhere) == []
    # What this package writes is translated: the labels of the member's details.
    assert not any(line.startswith("Member") or line.startswith("Billing account") for line in lines)


def test_the_history_csv_headers_and_statuses_in_pseudo_english(session, renee, pseudo):  # noqa: F811
    who, account = renee
    paid = pay(session, account, 51250, dt.date(2026, 3, 11))
    xa = dataclasses.replace(who, language=XA)
    name, body = documents.history_csv(session, xa, "2026-01-01", "2026-12-31")
    assert name == "payment-history-2026-01-01-to-2026-12-31.csv"
    text = body.decode("utf-8-sig")
    header, *rows = text.splitlines()
    assert all("⟦" in cell for cell in header.split(","))
    assert not pseudo_pages.english_left(header)
    payment_row = next(row for row in rows if paid.reference in row)
    status = payment_row.split(",")[-1]
    assert status.startswith("⟦") and not pseudo_pages.english_left(status)


def test_a_spanish_receipt_writes_its_dates_the_spanish_way(session, renee):  # noqa: F811
    who, account = renee
    paid = pay(session, account, 51250, dt.date(2026, 12, 23))
    es = dataclasses.replace(who, language="es")
    lines = pdf_lines(documents.receipt_pdf(session, es, paid.reference)[1])
    assert any("23 dic 2026" in line for line in lines), lines
    assert not any("Dec 23, 2026" in line for line in lines)
    assert any("$512.50" in line for line in lines)  # money reads the same in every language


def test_the_download_edge_refuses_in_the_members_language(monkeypatch, pseudo):
    from hcpay_app import http

    assert http.NOT_FOUND == "Not found" and isinstance(http.NOT_FOUND, Msg)
    refused = http._refusal(http.NOT_FOUND, XA, 404, http.PRIVATE_HEADERS)
    assert refused.status_code == 404 and "⟦" in refused.body.decode()
    assert http._refusal("as written", XA, 400, {}).body.decode() == "as written"


def test_a_guest_receipt_link_uses_the_devices_language_cookie(monkeypatch):
    from starlette.requests import Request

    from hcpay_app import http
    from hcpay_app.i18n.languages import COOKIE

    def request(cookie: str) -> Request:
        return Request({"type": "http", "headers": [(b"cookie", f"{COOKIE}={cookie}".encode())]})

    assert http.device_language(request("es")) == "es"
    assert http.device_language(request("xx")) == "en"
