"""Settings → Reminders, and the daily job's reminder duty: each reminder is sent exactly once per
invoice and days-before offset; a past-due notice goes out the day after a missed due date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

from sqlmodel import Session, func, select

from hcpay_app import routes
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    AutopayMandate,
    BillingAccount,
    CoverageStatus,
    Invoice,
    LedgerEntry,
    MandateStatus,
    NoticeKind,
    ReminderPreference,
    User,
)
from hcpay_app.services.accounts import access, notice_batch
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import ledger, templates
from hcpay_app.services.common.errors import ValidationError

OFFSET_CHOICES = (14, 7, 5, 3, 2, 1)
DEFAULT_OFFSETS = (7, 2)


@dataclasses.dataclass(frozen=True)
class Preferences:
    enabled: bool
    by_email: bool
    in_app: bool
    days_before: tuple[int, ...]


def _parse_days(text: str) -> tuple[int, ...]:
    return tuple(
        sorted({int(d) for d in text.split(",") if d.strip().isdigit() and int(d) in OFFSET_CHOICES}, reverse=True)
    )


def _has_autopay(session: Session, account_id: int) -> bool:
    return (
        session.exec(
            select(AutopayMandate.id).where(
                AutopayMandate.billing_account_id == account_id, AutopayMandate.status == MandateStatus.ACTIVE
            )
        ).first()
        is not None
    )


def effective(session: Session, user_id: int, account_id: int) -> Preferences:
    """The member's choices; without any, reminders are on for members without autopay."""
    row = session.exec(select(ReminderPreference).where(ReminderPreference.user_id == user_id)).first()
    if row is None:
        return Preferences(not _has_autopay(session, account_id), True, True, DEFAULT_OFFSETS)
    return Preferences(row.enabled, row.by_email, row.in_app, _parse_days(row.days_before))


def get(session: Session, actor: SessionUser) -> Preferences:
    account = access.member_account(session, actor)
    return effective(session, actor.user_id, account.id)


def save(
    session: Session,
    actor: SessionUser,
    *,
    enabled: bool,
    by_email: bool,
    in_app: bool,
    days_before: object,
    now: dt.datetime,
) -> Preferences:
    access.member_account(session, actor)
    days = [d for d in (days_before if isinstance(days_before, list) else []) if type(d) is int and d in OFFSET_CHOICES]
    if enabled and not days:
        raise ValidationError({"days_before": Msg("Choose at least one day to be reminded.")})
    if enabled and not (by_email or in_app):
        raise ValidationError({"channels": Msg("Choose email, in-app, or both.")})
    row = session.exec(select(ReminderPreference).where(ReminderPreference.user_id == actor.user_id)).first()
    row = row or ReminderPreference(user_id=actor.user_id, updated_at=now)
    row.enabled, row.by_email, row.in_app = bool(enabled), bool(by_email), bool(in_app)
    row.days_before, row.updated_at = ",".join(str(d) for d in sorted(set(days), reverse=True)), now
    session.add(row)
    session.commit()
    return get(session, actor)


BATCH = 500


def _unpaid_parts(session: Session, invoices: list[Invoice], day: dt.date) -> dict[int, int]:
    """Unpaid cents of many invoices due on `day`, from three grouped queries: each account's
    balance, and the charges of its invoices due after `day` (oldest-first allocation leaves the
    unpaid part on the newest invoices)."""
    account_ids = {i.billing_account_id for i in invoices}
    balances: dict[int, int] = {}
    newer: dict[int, int] = {}
    amounts: dict[int, int] = {}
    ids = list(account_ids)
    invoice_ids = [i.id for i in invoices]
    for chunk in range(0, len(ids), BATCH):
        part = ids[chunk : chunk + BATCH]
        balances.update(
            session.exec(
                select(LedgerEntry.billing_account_id, func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.billing_account_id.in_(part))
                .group_by(LedgerEntry.billing_account_id)
            ).all()
        )
        newer.update(
            session.exec(
                select(Invoice.billing_account_id, func.sum(LedgerEntry.amount_cents))
                .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id)
                .where(Invoice.billing_account_id.in_(part), Invoice.due_on > day)
                .group_by(Invoice.billing_account_id)
            ).all()
        )
    for chunk in range(0, len(invoice_ids), BATCH):
        amounts.update(
            session.exec(
                select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.invoice_id.in_(invoice_ids[chunk : chunk + BATCH]))
                .group_by(LedgerEntry.invoice_id)
            ).all()
        )
    unpaid = {}
    for invoice in invoices:
        left = max(int(balances.get(invoice.billing_account_id) or 0), 0) - int(
            newer.get(invoice.billing_account_id) or 0
        )
        unpaid[invoice.id] = max(0, min(int(amounts.get(invoice.id) or 0), left))
    return unpaid


def _bills_with_logins(session: Session, *conditions) -> list:
    """Bills matching `conditions` on accounts still covered, each with its member's login (id and
    email): columns, not ORM objects, since an issue day reads tens of thousands of rows."""
    return session.exec(
        select(
            Invoice.id,
            Invoice.billing_account_id,
            Invoice.coverage_month,
            Invoice.due_on,
            User.id.label("user_id"),
            User.email,
        )
        .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
        .join(User, User.member_id == BillingAccount.member_id)
        .where(*conditions, BillingAccount.coverage_status != CoverageStatus.TERMINATED)
    ).all()


def send_due(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Reminders for invoices due in N days (for each member's offsets) and past-due notices for
    invoices missed in the last week, written in batches (`notice_batch`); each carries a
    once-marker, so a second (or concurrent) run adds none."""
    sent = 0
    prefs_by_user = {p.user_id: p for p in session.exec(select(ReminderPreference)).all()}
    autopay_accounts = set(
        session.exec(
            select(AutopayMandate.billing_account_id).where(AutopayMandate.status == MandateStatus.ACTIVE)
        ).all()
    )
    message = functools.lru_cache(maxsize=4096)(templates.payment_reminder)  # one per distinct text
    for offset in OFFSET_CHOICES:
        day = today + dt.timedelta(days=offset)
        rows = _bills_with_logins(session, Invoice.due_on == day)
        done = notice_batch.used(session, [f"reminder:{invoice.id}:{offset}" for invoice in rows])
        wanted = []
        for invoice in rows:
            if f"reminder:{invoice.id}:{offset}" in done:
                continue
            row = prefs_by_user.get(invoice.user_id)
            prefs = (
                Preferences(row.enabled, row.by_email, row.in_app, _parse_days(row.days_before))
                if row
                else Preferences(invoice.billing_account_id not in autopay_accounts, True, True, DEFAULT_OFFSETS)
            )
            if prefs.enabled and offset in prefs.days_before:
                wanted.append((invoice, prefs))
        if not wanted:
            continue
        unpaid = _unpaid_parts(session, [invoice for invoice, _prefs in wanted], day)
        due = [
            notice_batch.Notice(
                f"reminder:{invoice.id}:{offset}",
                invoice.user_id,
                message(invoice.coverage_month, unpaid[invoice.id], invoice.due_on, offset),
                NoticeKind.PAYMENT_REMINDER,
                routes.PAY,
                invoice_id=invoice.id,
                in_app=prefs.in_app,
                by_email=prefs.by_email,
                email=invoice.email,
            )
            for invoice, prefs in wanted
            if unpaid[invoice.id] > 0
        ]
        due.sort(key=lambda notice: notice.key)  # batches in one order for every job (`notice_batch.claim`)
        for chunk in range(0, len(due), BATCH):
            # Markers claimed with ON CONFLICT DO NOTHING: a rerun or a concurrent job writes none twice.
            sent += len(notice_batch.send_once(session, due[chunk : chunk + BATCH], now))
            session.commit()
    missed = _bills_with_logins(session, Invoice.due_on < today, Invoice.due_on >= today - dt.timedelta(days=7))
    done = notice_batch.used(session, [f"past-due:{invoice.id}" for invoice in missed])
    missed = [invoice for invoice in missed if f"past-due:{invoice.id}" not in done]
    unpaid = ledger.unpaid_parts(session, [(i.billing_account_id, i.id, i.due_on) for i in missed])
    overdue = [
        notice_batch.Notice(
            f"past-due:{invoice.id}",
            invoice.user_id,
            templates.past_due(invoice.coverage_month, unpaid[invoice.id], invoice.due_on),
            NoticeKind.PAST_DUE,
            routes.PAY,
            invoice_id=invoice.id,
            email=invoice.email,
        )
        for invoice in missed
        if unpaid.get(invoice.id, 0) > 0
    ]
    overdue.sort(key=lambda notice: notice.key)
    for chunk in range(0, len(overdue), BATCH):
        sent += len(notice_batch.send_once(session, overdue[chunk : chunk + BATCH], now))
        session.commit()
    return sent
