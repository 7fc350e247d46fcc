"""Charging saved methods many at a time: the daily job's autopay charges, recorded in batches.

The same write-processing-first, exactly-once path as `checkout.charge_saved_method` and
`checkout.finish(…, member_waiting=False)`, with the same rows for the member — but a batch's
payments are written with one `INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING` (the
intent record, committed before the processor is asked), and their outcomes, timelines, ledger
rows, coverage, emails and resolved notices with a few statements per batch, in one transaction.

Exactly once, as one at a time: a key already used is not returned by the insert (the caller
finishes that one the one-at-a-time way, which asks the processor again with the same key); an
outcome is recorded only for the payments this call moves out of "processing" with a conditional
UPDATE … RETURNING, so of two workers given the same batch, each payment is finished by one.
A batch holds at most one payment per account: each account's money is worked out after the
payments before it (the caller leaves a second one for a later batch).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    LedgerEntry,
    Member,
    NoticeKind,
    OutboundEmail,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
    User,
)
from hcpay_app.services.accounts import notice_batch, notices
from hcpay_app.services.adapters import mailer
from hcpay_app.services.adapters.processor import ChargeResult, ChargeStatus
from hcpay_app.services.billing import coverage, ledger, paid_notices, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.common import bulk, dates, references
from hcpay_app.services.payments import methods, statuses, templates
from hcpay_app.services.payments.templates import DECLINE_MESSAGES, DECLINED_FALLBACK


@dataclasses.dataclass(frozen=True)
class Intent:
    """One charge of a saved method: what `checkout.charge_saved_method` is given."""

    account_id: int
    method: PaymentMethod
    amount_cents: int
    idempotency_key: str
    source: PaymentSource
    note: str


def record_intents(
    session: Session, intents: Sequence[Intent], *, now: dt.datetime, today: dt.date
) -> dict[str, Payment]:
    """Write a processing payment, and the first step of its timeline, for each intent whose key is
    new — in the caller's transaction, to be committed before the processor is asked. Returns the
    payments this call wrote, by key (detached: their later changes are written by `finish_many`);
    an intent whose key was already used is left out."""
    rows = {}
    for intent in sorted(intents, key=lambda i: i.idempotency_key):  # one order for every job
        if type(intent.amount_cents) is not int or intent.amount_cents <= 0:
            raise ValueError("payment amounts are positive integer cents")
        method = intent.method
        rows[intent.idempotency_key] = {
            "reference": references.new_reference(),
            "billing_account_id": intent.account_id,
            "user_id": method.user_id,
            "amount_cents": intent.amount_cents,
            "method_kind": method.kind,
            "method_label": methods.label(method.kind, method.brand, method.last4),
            "status": PaymentStatus.PROCESSING,
            "payment_date": today,
            "expected_settle_on": None,
            "reason_code": None,
            "reason_message": None,
            "idempotency_key": intent.idempotency_key,
            "source": intent.source,
            "payment_method_id": method.id,
            "processor_token": method.processor_token,
            "processor_ref": None,
            "refunded_cents": 0,
            "created_at": now,
            "updated_at": now,
        }
    returning = (Payment.id, Payment.idempotency_key)
    inserted = bulk.insert_new(session, Payment, list(rows.values()), unique=["idempotency_key"], returning=returning)
    notes = {intent.idempotency_key: intent.note for intent in intents}
    written = {}
    for payment_id, key in inserted:
        written[key] = Payment(id=payment_id, **rows[key])
    if written:
        session.execute(
            insert(PaymentEvent.__table__),
            [_event(p.id, PaymentStatus.PROCESSING, notes[key], now) for key, p in written.items()],
        )
    return written


def _event(payment_id: int, status: str, note: str, at: dt.datetime) -> dict:
    return {"payment_id": payment_id, "at": at, "status": status, "note": str(note)[:300]}


_FINAL = {ChargeStatus.DECLINED: PaymentStatus.DECLINED, ChargeStatus.PENDING: PaymentStatus.PENDING}


def finish_many(
    session: Session, answered: Sequence[tuple[Payment, ChargeResult]], *, now: dt.datetime, today: dt.date
) -> list[Payment]:
    """Record the processor's answers as `checkout.finish(…, member_waiting=False)` does, for many
    payments of distinct accounts, in the caller's transaction: the outcome, its timeline step, the
    ledger, coverage, the email with the account after it, the notices it resolves. Returns the
    payments this call finished, updated; one another worker finished first is left out."""
    if len({p.billing_account_id for p, _result in answered}) != len(answered):
        raise ValueError("a batch holds one payment per account")
    results = {payment.id: result for payment, result in answered}
    by_id = {payment.id: payment for payment, _result in answered}
    claimed: list[Payment] = []
    for final in sorted({_FINAL.get(r.status, PaymentStatus.SUCCEEDED) for r in results.values()}):
        ids = sorted(i for i, r in results.items() if _FINAL.get(r.status, PaymentStatus.SUCCEEDED) == final)
        got = session.execute(
            update(Payment.__table__)
            .where(Payment.id.in_(ids), Payment.status == PaymentStatus.PROCESSING)
            .values(status=final, updated_at=now)
            .returning(Payment.id)
        ).scalars()
        for payment_id in got:
            payment = by_id[payment_id]
            payment.status, payment.updated_at = final, now
            payment.processor_ref = results[payment_id].processor_ref
            claimed.append(payment)
    if not claimed:
        return []
    claimed.sort(key=lambda p: p.id)
    events, entries = [], []
    settle_days = get_settings().bank_settle_business_days
    for payment in claimed:
        if payment.status == PaymentStatus.DECLINED:
            payment.reason_code = results[payment.id].code
            payment.reason_message = DECLINE_MESSAGES.get(payment.reason_code, DECLINE_MESSAGES[DECLINED_FALLBACK])
            events.append(_event(payment.id, PaymentStatus.DECLINED, payment.reason_message, now))
            continue
        pending = payment.status == PaymentStatus.PENDING
        if pending:
            payment.expected_settle_on = dates.add_business_days(today, settle_days)
        entries.append(
            {
                "billing_account_id": payment.billing_account_id,
                "kind": EntryKind.PAYMENT,
                "amount_cents": -payment.amount_cents,
                "effective_on": today,
                "created_at": now,
                "invoice_id": None,
                "payment_id": payment.id,
                "description": str(Msg("Payment {reference}", reference=payment.reference))[:200],
                "refund_id": None,
            }
        )
        note = statuses.NOTE_SENT if pending else statuses.NOTE_APPROVED
        events.append(_event(payment.id, payment.status, note, now))
    session.execute(
        update(Payment.__table__)
        .where(Payment.id == bindparam("b_id"))
        .values(
            processor_ref=bindparam("b_ref"),
            reason_code=bindparam("b_code"),
            reason_message=bindparam("b_message"),
            expected_settle_on=bindparam("b_settle_on"),
        ),
        [
            {
                "b_id": p.id,
                "b_ref": p.processor_ref,
                "b_code": p.reason_code,
                "b_message": p.reason_message,
                "b_settle_on": p.expected_settle_on,
            }
            for p in claimed
        ],
    )
    session.execute(insert(PaymentEvent.__table__), events)
    if entries:
        session.execute(insert(LedgerEntry.__table__), entries)
    accounts = _accounts(session, [p.billing_account_id for p in claimed])
    paid = [p for p in claimed if p.status != PaymentStatus.DECLINED]
    if paid:
        books = ledger.books_for(session, [p.billing_account_id for p in paid])
        for payment in paid:
            account = accounts[payment.billing_account_id]
            coverage.refresh_from_books(account, books[account.id], today)
        session.flush()  # the accounts whose coverage moved
    _email(session, claimed, accounts, now)
    received = [p for p in claimed if p.status == PaymentStatus.SUCCEEDED]
    if received:
        # Money received: notices about the bills it paid in full resolve with it (a bank debit
        # resolves them when it clears).
        paid_notices.resolve_for_accounts(session, [p.billing_account_id for p in received], now=now)
        _receipt_notices(session, [p for p in received if p.source != PaymentSource.AUTOPAY], accounts, now)
    return claimed


def _accounts(session: Session, account_ids: list[int]) -> dict[int, BillingAccount]:
    """The accounts as they are now (not as this session last saw them)."""
    rows = session.exec(
        select(BillingAccount)
        .where(BillingAccount.id.in_(sorted(set(account_ids))))
        .execution_options(populate_existing=True)
    ).all()
    return {account.id: account for account in rows}


def _email(session: Session, claimed: list[Payment], accounts: dict[int, BillingAccount], now: dt.datetime) -> None:
    """`checkout._email` of each payment (declined, pending or receipt), with its account after it."""
    members = {
        member.id: member
        for member in session.exec(
            select(Member).where(Member.id.in_(sorted({a.member_id for a in accounts.values()})))
        ).all()
    }
    money_now = summary.for_accounts(session, list(accounts.values()), clock.local_date(now))
    language_of = mailer.recipient_languages(session, [m.email for m in members.values()])
    rows = []
    for payment in claimed:
        account = accounts[payment.billing_account_id]
        member = members[account.member_id]
        kind = {
            PaymentStatus.DECLINED: NoticeKind.PAYMENT_DECLINED,
            PaymentStatus.PENDING: NoticeKind.PAYMENT_PENDING,
        }.get(payment.status, NoticeKind.PAYMENT_RECEIPT)
        message = templates.payment_email(
            kind,
            payment,
            first_name=member.first_name,
            account_number=account.account_number,
            account_now=billing_templates.summary_text(money_now[account.id]),
        )
        language = language_of[member.email]
        rows.append(
            {
                "to_address": member.email,
                "subject": translate(message.subject, language),
                "body": mailer.with_footer(message.body, language),
                "kind": kind,
                "created_at": now,
            }
        )
    session.execute(insert(OutboundEmail.__table__), rows)


def _receipt_notices(
    session: Session, received: list[Payment], accounts: dict[int, BillingAccount], now: dt.datetime
) -> None:
    """`checkout.notice_member(…, PAYMENT_RECEIPT)` of each payment: to the member's login, if any."""
    if not received:
        return
    member_ids = sorted({accounts[p.billing_account_id].member_id for p in received})
    login_of: dict[int, int] = {}
    for user_id, member_id in session.exec(
        select(User.id, User.member_id).where(User.member_id.in_(member_ids)).order_by(User.id)
    ).all():
        login_of.setdefault(member_id, user_id)
    batch = [
        notice_batch.Notice(
            "",
            login_of[member_id],
            templates.payment_notice(NoticeKind.PAYMENT_RECEIPT, payment),
            NoticeKind.PAYMENT_RECEIPT,
            notices.payment_link(payment.reference),
            by_email=False,
        )
        for payment in received
        if (member_id := accounts[payment.billing_account_id].member_id) in login_of
    ]
    if batch:
        notice_batch.write(session, batch, now)
