"""Billing dates: invoices issued the 1st of the month before, due the 23rd, across year ends and
short months."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hcpay_app.config import get_settings
from hcpay_app.services.common import dates


def test_invoice_for_january_is_issued_and_due_in_december_of_the_year_before():
    january = dt.date(2027, 1, 1)
    assert dates.issue_date(january) == dt.date(2026, 12, 1)
    assert dates.due_date(january) == dt.date(2026, 12, 23)


def test_due_day_past_the_end_of_a_short_month_is_clamped(monkeypatch):
    monkeypatch.setenv("HCPAY_INVOICE_DUE_DAY", "31")
    get_settings.cache_clear()
    assert dates.due_date(dt.date(2027, 3, 1)) == dt.date(2027, 2, 28)
    assert dates.due_date(dt.date(2028, 3, 1)) == dt.date(2028, 2, 29)
    assert dates.due_date(dt.date(2027, 5, 1)) == dt.date(2027, 4, 30)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 1), -13, dt.date(2024, 12, 1)),
    ],
)
def test_add_months(start, months, expected):
    assert dates.add_months(start, months) == expected


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)), st.integers(-240, 240))
def test_add_months_lands_in_the_right_month(day, months):
    moved = dates.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day


def test_months_to_invoice_includes_only_issued_months():
    start = dt.date(2026, 11, 1)
    # On Nov 30 the December invoice exists (issued Nov 1) but January's (issued Dec 1) does not yet.
    assert list(dates.months_to_invoice(start, dt.date(2026, 11, 30))) == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert list(dates.months_to_invoice(start, dt.date(2026, 12, 1)))[-1] == dt.date(2027, 1, 1)
    assert list(dates.months_to_invoice(dt.date(2027, 6, 1), dt.date(2026, 12, 1))) == []
    capped = list(dates.months_to_invoice(start, dt.date(2027, 6, 1), last_month=dt.date(2027, 1, 1)))
    assert capped[-1] == dt.date(2027, 1, 1)


def test_business_days_skip_weekends():
    friday = dt.date(2026, 11, 27)
    assert dates.add_business_days(friday, 2) == dt.date(2026, 12, 1)
    assert dates.add_business_days(dt.date(2026, 11, 24), 2) == dt.date(2026, 11, 26)
