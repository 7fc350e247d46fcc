"""Issuing bills: one per coverage month, each with its premium charge on the ledger.

When bills are issued, and for which months:
- on schedule, a coverage month's bill is issued on the 1st of the month before and due on the
  23rd (`dates.issue_date` / `dates.due_date`);
- at enrollment, at once: the first month's bill (the binder), even if coverage starts later, and
  every month of coverage whose bill is already due to exist — so a member imported after the day's
  job has run sees what they owe the same day;
- a bill is dated the day it is issued, never earlier, and is due no sooner than
  `HCPAY_MIN_DAYS_TO_PAY` days after that (so no late fee, notice or grace clock can start before a
  member has had time to pay).

The import (`issue_due_invoices`, one account) and the daily job (`issue_all`, set-based) follow the
same rule through `months_billable` and `bill_dates`, so running either, twice, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator

from sqlalchemy import Boolean, Date, String, bindparam, exists, insert, literal, or_, union_all
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    Invoice,
    LedgerEntry,
)
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import dates

# How far ahead a coverage start may lie and still get its binder from the daily job.
BINDER_HORIZON_MONTHS = 12


def bill_dates(coverage_month: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    """(issued on, due on) of a bill issued `today`: dated today; due on the calendar's due date, or
    `HCPAY_MIN_DAYS_TO_PAY` days from today when that is later."""
    earliest_due = today + dt.timedelta(days=get_settings().min_days_to_pay)
    return today, max(dates.due_date(coverage_month), earliest_due)


def months_billable(coverage_start: dt.date, today: dt.date, last_month: dt.date | None = None) -> Iterator[dt.date]:
    """Every coverage month that should have a bill by `today`: the first month (the binder) as
    soon as the member is enrolled, then each month whose calendar issue date has come (not after
    `last_month`, the month coverage ended)."""
    first = dates.first_of_month(coverage_start)
    if last_month is not None and first > last_month:
        return
    yield first
    for month in dates.months_to_invoice(coverage_start, today, last_month):
        if month != first:
            yield month


def issue_due_invoices(session: Session, account: BillingAccount, *, today: dt.date, now: dt.datetime) -> int:
    """Create every invoice that should exist by `today` and doesn't yet (in the caller's
    transaction). Returns how many were created. Safe to run any number of times."""
    last_month = None
    if account.coverage_status == CoverageStatus.TERMINATED and account.terminated_on:
        last_month = dates.first_of_month(account.terminated_on)
    existing = set(session.exec(select(Invoice.coverage_month).where(Invoice.billing_account_id == account.id)).all())
    created = 0
    for month in months_billable(account.coverage_start, today, last_month):
        if month in existing:
            continue
        issued_on, due_on = bill_dates(month, today)
        invoice = Invoice(
            billing_account_id=account.id,
            coverage_month=month,
            issued_on=issued_on,
            due_on=due_on,
            premium_cents=account.monthly_premium_cents,
            full_premium_cents=account.full_premium_cents,
            tax_credit_cents=account.tax_credit_cents,
            created_at=now,
        )
        session.add(invoice)
        session.flush()
        ledger.post(
            session,
            account_id=account.id,
            kind=EntryKind.PREMIUM,
            amount_cents=account.monthly_premium_cents,
            effective_on=invoice.issued_on,
            now=now,
            invoice_id=invoice.id,
            description=Msg("Premium for {month}", month=Dated(month, "month")),
        )
        created += 1
    return created


_WINDOW_COLUMNS = (
    ("month", Date),
    ("next_month", Date),
    ("on_schedule", Boolean),
    ("issued_on", Date),
    ("due_on", Date),
    ("description", String),
)


@functools.lru_cache(maxsize=64)
def _premium_description(month: dt.date) -> str:
    """The premium charge's ledger text, formatted once per month rather than every day."""
    return f"Premium for {dates.month_label(month)}"


def _window_parameters(today: dt.date, lookback_months: int) -> dict[str, object]:
    """The months the job may bill today — the last two years up to next month, and binders of
    coverage starting within a year — with each month's bill dates and premium description, as the
    bound values of `_issue_statements`' window (row n's month is `month_n`, and so on)."""
    this_month = dates.first_of_month(today)
    parameters: dict[str, object] = {}
    for row, offset in enumerate(range(-lookback_months, BINDER_HORIZON_MONTHS + 1)):
        month = dates.add_months(this_month, offset)
        issued_on, due_on = bill_dates(month, today)
        values_of_row = (
            month,
            dates.add_months(month, 1),
            dates.issue_date(month) <= today,
            issued_on,
            due_on,
            _premium_description(month),
        )
        for (name, _type), value in zip(_WINDOW_COLUMNS, values_of_row, strict=True):
            parameters[f"{name}_{row}"] = value
    return parameters


@functools.cache
def _issue_statements(window_months: int):
    """(bills, premiums): the INSERT … SELECTs that issue the window's missing bills and post their
    premium charges. Built once, with the window's months as bound parameters, so each day's job
    reuses one compiled statement instead of compiling a new one."""
    # A UNION ALL of one-row SELECTs rather than VALUES: SQLAlchemy caches its compiled form.
    window = union_all(
        *(
            select(*(bindparam(f"{name}_{row}", type_=type_).label(name) for name, type_ in _WINDOW_COLUMNS))
            for row in range(window_months)
        )
    ).cte("billing_window")
    now = bindparam("now", type_=Invoice.__table__.c.created_at.type)
    already = select(Invoice.id).where(
        Invoice.billing_account_id == BillingAccount.id, Invoice.coverage_month == window.c.month
    )
    accounts = (
        select(
            BillingAccount.id,
            window.c.month,
            window.c.issued_on,
            window.c.due_on,
            BillingAccount.monthly_premium_cents,
            BillingAccount.full_premium_cents,
            BillingAccount.tax_credit_cents,
            now,
        )
        .select_from(BillingAccount)
        .join(window, BillingAccount.coverage_start < window.c.next_month)
        .where(
            # On schedule; or the binder, the month coverage starts (no schedule has billed it yet).
            or_(window.c.on_schedule, BillingAccount.coverage_start >= window.c.month),
            or_(
                BillingAccount.coverage_status != CoverageStatus.TERMINATED,
                BillingAccount.terminated_on >= window.c.month,
            ),
            ~exists(already),
        )
    )
    bills = (
        insert(Invoice)
        .from_select(
            [
                "billing_account_id",
                "coverage_month",
                "issued_on",
                "due_on",
                "premium_cents",
                "full_premium_cents",
                "tax_credit_cents",
                "created_at",
            ],
            accounts,
        )
        .returning(Invoice.id)
    )
    charged = select(LedgerEntry.id).where(LedgerEntry.invoice_id == Invoice.id, LedgerEntry.kind == EntryKind.PREMIUM)
    premiums = insert(LedgerEntry).from_select(
        ["billing_account_id", "kind", "amount_cents", "effective_on", "created_at", "invoice_id", "description"],
        select(
            Invoice.billing_account_id,
            literal(EntryKind.PREMIUM),
            Invoice.premium_cents,
            Invoice.issued_on,
            now,
            Invoice.id,
            window.c.description,
        )
        .select_from(Invoice)
        .join(window, Invoice.coverage_month == window.c.month)
        .where(~exists(charged)),
    )
    return bills, premiums


def issue_all(session: Session, *, today: dt.date, now: dt.datetime, lookback_months: int = 24) -> int:
    """Issue every missing bill of the billing window for all accounts at once, set-based, with their
    premium charges — the same bills `issue_due_invoices` would issue one account at a time: a
    month on the schedule once its issue date has come, and the binder (the month coverage starts)
    as soon as the account exists. Two statements and one commit, whatever the window's length.
    Idempotent: the unique (account, month) key and the NOT EXISTS guards make a second run — or a
    concurrent one — add nothing."""
    bills, premiums = _issue_statements(lookback_months + BINDER_HORIZON_MONTHS + 1)
    parameters = {**_window_parameters(today, lookback_months), "now": now}
    try:
        # Core execution on the session's connection: the ORM would read a dict of parameters as
        # rows to bulk-insert.
        connection = session.connection()
        issued = len(connection.execute(bills, parameters).all())  # RETURNING: psycopg's rowcount is -1
        connection.execute(premiums, parameters)
        session.commit()
    except IntegrityError:
        session.rollback()  # a concurrent job issued some of them; the next run fills any gap
        return 0
    return issued
