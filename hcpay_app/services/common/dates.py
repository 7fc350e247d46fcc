"""Billing dates: pure functions over calendar dates (no clock, no database)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 → Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _day_in(month_start: dt.date, day: int) -> dt.date:
    return month_start.replace(day=min(day, calendar.monthrange(month_start.year, month_start.month)[1]))


def issue_date(coverage_month: dt.date) -> dt.date:
    """When the invoice for a coverage month is issued: in the month before."""
    return _day_in(add_months(first_of_month(coverage_month), -1), get_settings().invoice_issue_day)


def due_date(coverage_month: dt.date) -> dt.date:
    """When the invoice for a coverage month is due: the 23rd (by default) of the month before."""
    return _day_in(add_months(first_of_month(coverage_month), -1), get_settings().invoice_due_day)


def months_to_invoice(coverage_start: dt.date, today: dt.date, last_month: dt.date | None = None) -> Iterator[dt.date]:
    """Every coverage month from the start whose invoice is issued by `today` (and not after `last_month`)."""
    month = first_of_month(coverage_start)
    while issue_date(month) <= today and (last_month is None or month <= last_month):
        yield month
        month = add_months(month, 1)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """Skip weekends (bank holidays are not modelled)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def month_label(month: dt.date) -> str:
    """ "December 2026" (in the member's language at the edge)."""
    return Dated(month, "month")


def short_date(day: dt.date) -> str:
    """ "Dec 23, 2026" — the way dates read on a phone (in the member's language at the edge)."""
    return Dated(day)
