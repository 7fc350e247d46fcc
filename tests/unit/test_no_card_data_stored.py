"""After every payment flow — new and saved cards, every sandbox outcome, bank debits that settle and
come back, scheduled payments, the daily job — the database file holds no full card number, no CVC
column and no full bank account number: only tokens and last-4s."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from hcpay_app.services.jobs import daily
from hcpay_app.services.payments import checkout, methods
from hcpay_app.services.payments.method_validation import luhn_valid
from tests.unit.payment_helpers import (
    ALL_SECRET_NUMBERS,
    BANKS,
    CARDS,
    OTHER_ACCOUNT,
    OTHER_ROUTING,
    TODAY,
    at,
    bank,
    billed_actor,
    card,
    payment,
    submit,
)

EXTRA_CARDS = (("378282246310005", "7391"), ("5555555555554444", "123"), ("6011111111111117", "123"))

# 13–19 ASCII digits, possibly typed in groups with spaces or dashes, not glued to letters or more
# digits — so hex digests and tokens, which mix digits with a–f, don't count.
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")
# In the raw file, columns sit back to back ("…2026-04-012026-03-01…"), so there only unbroken runs.
PLAIN_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{13,19}(?![0-9A-Za-z])")


def card_like_runs(text: str, pattern: re.Pattern = DIGIT_RUN) -> list[str]:
    """Luhn-valid 13–19 digit numbers in one piece of text."""
    return [m.group() for m in pattern.finditer(text) if luhn_valid(re.sub(r"[ -]", "", m.group()))]


def database_bytes(db_path) -> bytes:
    """The database file and its write-ahead log: everything SQLite has written, freed pages included."""
    data = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def stored_values(db_path) -> list[tuple[str, str]]:
    """(table.column, value as text) for every non-null value of every row of every table.

    In the raw file a record's columns sit back to back (a nickname runs straight into the next
    timestamp's digits), so numbers are looked for value by value; the raw bytes are checked for
    the exact numbers typed."""
    values = []
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    if value is not None:
                        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                        values.append((f"{table}.{name}", text))
    return values


def test_the_scanner_would_catch_a_stored_number():
    assert card_like_runs("Amex 371449635398431") == ["371449635398431"]
    assert card_like_runs("card 4242 4242 4242 4242.") == ["4242 4242 4242 4242"]
    assert card_like_runs("6011-1111-1111-1117") == ["6011-1111-1111-1117"]
    assert card_like_runs("\x00Visa 4242424242424242\x01", PLAIN_DIGIT_RUN) == ["4242424242424242"]
    assert card_like_runs("2026-04-012026-03-012026-03-10 17:00", PLAIN_DIGIT_RUN) == []


# Not card numbers: digests and tokens, dates and times, references, short or Luhn-invalid runs.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sbx_card_ok_0123456789012345a", id="processor-token"),
        pytest.param("ab0123456789012345cd", id="digest"),
        pytest.param("2026-03-10 17:00:00.000000", id="timestamp"),
        pytest.param("HC-0000-0000-0000", id="payment-reference"),
        pytest.param("123456789012", id="member-id"),
        pytest.param("4242424242424241", id="luhn-invalid"),
        pytest.param("Visa ••••4242", id="masked-card"),
    ],
)
def test_the_scanner_ignores_what_is_not_a_card_number(text):
    assert card_like_runs(text) == [], text


@pytest.fixture
def every_flow(session, registered_user):
    """Run every payment flow against this test's database."""
    who, _account = billed_actor(session, registered_user)
    for number in CARDS.values():
        submit(session, who, card(number, save=True), 1000)
    for number, cvc in EXTRA_CARDS:
        submit(session, who, card(number, cvc=cvc, save=True), 1000)
    for number in BANKS.values():
        submit(session, who, bank(number, save=True), 1000)
    submit(session, who, bank(OTHER_ACCOUNT, routing=OTHER_ROUTING, account_type="savings", save=True), 1000)
    later = TODAY + dt.timedelta(days=2)
    scheduled = submit(session, who, card(CARDS["ok"]), 2500, on=later)
    canceled = submit(session, who, bank(BANKS["R01"]), 2500, on=later)
    checkout.cancel_scheduled(session, who, canceled.reference, now=at(TODAY))
    for day in (TODAY + dt.timedelta(days=n) for n in range(1, 6)):
        daily.run_daily(day, at(day))
    assert payment(session, scheduled.reference).status == "succeeded"
    saved = methods.list_methods(session, who)
    assert len(saved) == len(CARDS) + len(EXTRA_CARDS) + len(BANKS) + 1
    methods.rename(session, who, saved[0].id, "My everyday card")
    methods.remove(session, who, saved[-1].id, now=at(TODAY))
    return who


def test_no_full_card_or_account_number_reaches_the_database(every_flow, db_path):
    data = database_bytes(db_path)
    assert data.count(b"sbx_card_") >= len(CARDS) and b"sbx_bank_" in data  # the flows did write tokens
    for number in ALL_SECRET_NUMBERS:
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        assert number.encode() not in data, number
        assert spaced.encode() not in data, spaced
    # The raw bytes hold no number-shaped run either, even where a boundary happens to be visible.
    assert card_like_runs(data.decode("latin-1"), PLAIN_DIGIT_RUN) == []
    values = stored_values(db_path)
    assert len(values) > 500
    assert [(where, found) for where, text in values for found in card_like_runs(text)] == []


def test_no_table_has_a_column_for_a_card_number_or_security_code(every_flow, db_path):
    with sqlite3.connect(db_path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {f"{table}.{row[1]}" for table in tables for row in db.execute(f'PRAGMA table_info("{table}")')}
    forbidden = re.compile(r"cvc|cvv|security_code|card_number|\bpan\b|\.number$|routing|bank_account", re.I)
    assert not [c for c in columns if forbidden.search(c)]
    assert "paymentmethod.last4" in columns and "paymentmethod.processor_token" in columns
