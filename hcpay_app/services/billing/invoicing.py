"""Issuing invoices: one per coverage month, on the 1st of the month before, each with its
premium charge on the ledger."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, insert, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    Invoice,
    LedgerEntry,
)
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import dates


def issue_due_invoices(session: Session, account: BillingAccount, *, today: dt.date, now: dt.datetime) -> int:
    """Create every invoice that should exist by `today` and doesn't yet (in the caller's
    transaction). Returns how many were created. Safe to run any number of times."""
    last_month = None
    if account.coverage_status == CoverageStatus.TERMINATED and account.terminated_on:
        last_month = dates.first_of_month(account.terminated_on)
    existing = set(session.exec(select(Invoice.coverage_month).where(Invoice.billing_account_id == account.id)).all())
    created = 0
    for month in dates.months_to_invoice(account.coverage_start, today, last_month):
        if month in existing:
            continue
        invoice = Invoice(
            billing_account_id=account.id,
            coverage_month=month,
            issued_on=dates.issue_date(month),
            due_on=dates.due_date(month),
            premium_cents=account.monthly_premium_cents,
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
            description=f"Premium for {dates.month_label(month)}",
        )
        created += 1
    return created


def issue_all(session: Session, *, today: dt.date, now: dt.datetime, lookback_months: int = 24) -> int:
    """Issue every missing invoice (for the last two years up to next month) for all accounts at
    once, set-based, with their premium charges. Idempotent: the unique (account, month) key and
    the NOT EXISTS guards make a second run — or a concurrent one — add nothing."""
    created = 0
    this_month = dates.first_of_month(today)
    for offset in range(-lookback_months, 2):
        month = dates.add_months(this_month, offset)
        issued_on, due_on = dates.issue_date(month), dates.due_date(month)
        if issued_on > today:
            continue
        next_month = dates.add_months(month, 1)
        already = select(Invoice.id).where(
            Invoice.billing_account_id == BillingAccount.id, Invoice.coverage_month == month
        )
        accounts = select(
            BillingAccount.id,
            literal(month, Invoice.__table__.c.coverage_month.type),
            literal(issued_on, Invoice.__table__.c.issued_on.type),
            literal(due_on, Invoice.__table__.c.due_on.type),
            BillingAccount.monthly_premium_cents,
            literal(now, Invoice.__table__.c.created_at.type),
        ).where(
            BillingAccount.coverage_start < next_month,
            or_(BillingAccount.coverage_status != CoverageStatus.TERMINATED, BillingAccount.terminated_on >= month),
            ~exists(already),
        )
        try:
            result = session.execute(
                insert(Invoice)
                .from_select(
                    ["billing_account_id", "coverage_month", "issued_on", "due_on", "premium_cents", "created_at"],
                    accounts,
                )
                .returning(Invoice.id)
            )
            issued = len(result.all())  # RETURNING: rowcount of INSERT … SELECT is -1 under psycopg
            charged = select(LedgerEntry.id).where(
                LedgerEntry.invoice_id == Invoice.id, LedgerEntry.kind == EntryKind.PREMIUM
            )
            session.execute(
                insert(LedgerEntry).from_select(
                    [
                        "billing_account_id",
                        "kind",
                        "amount_cents",
                        "effective_on",
                        "created_at",
                        "invoice_id",
                        "description",
                    ],
                    select(
                        Invoice.billing_account_id,
                        literal(EntryKind.PREMIUM),
                        Invoice.premium_cents,
                        Invoice.issued_on,
                        literal(now, LedgerEntry.__table__.c.created_at.type),
                        Invoice.id,
                        literal(f"Premium for {dates.month_label(month)}"),
                    ).where(Invoice.coverage_month == month, ~exists(charged)),
                )
            )
            session.commit()
            created += issued
        except IntegrityError:
            session.rollback()  # a concurrent job issued some of them; the next run fills any gap
    return created
