"""Credit balances: money received beyond every bill. A credit pays the next bills automatically,
oldest first — the ledger's pool already spends it that way (`ledger`) — and each time a new bill
takes some of it, the daily job records the application: a pair of `credit_applied` entries, one
"applied to the <month> bill" (what the member sees in history) and its counterpart "used", so the
balance (their sum) never moves and the ledger stays balanced. Once per bill (a OnceMarker).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import EntryKind, Invoice, LedgerEntry
from hcpay_app.services.accounts import notices
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import money


def _key(invoice_id: int) -> str:
    return f"credit-applied:{invoice_id}"


def applied_description(amount_cents: int, coverage_month: dt.date) -> str:
    return Msg(
        "Credit of {amount} applied to the {month} bill",
        amount=money.format_cents(amount_cents),
        month=Dated(coverage_month, "month"),
    )


def used_description(amount_cents: int, coverage_month: dt.date) -> str:
    return Msg(
        "Credit of {amount} used for the {month} bill",
        amount=money.format_cents(amount_cents),
        month=Dated(coverage_month, "month"),
    )


def apply_to_new_bills(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Record what credit the bills issued `today` took, oldest due first, for every account that
    had a credit before them. Returns how many applications were recorded (each once)."""
    issued = session.exec(
        select(Invoice)
        .where(Invoice.issued_on == today)
        .order_by(Invoice.billing_account_id, Invoice.due_on, Invoice.id)
    ).all()
    by_account: dict[int, list[Invoice]] = {}
    for invoice in issued:
        by_account.setdefault(invoice.billing_account_id, []).append(invoice)
    recorded = 0
    for account_id, invoices in by_account.items():
        charges = dict(
            session.exec(
                select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.invoice_id.in_([i.id for i in invoices]))
                .group_by(LedgerEntry.invoice_id)
            ).all()
        )
        settled = ledger.balance(session, account_id) + ledger.pending_cents(session, account_id)
        credit = -(settled - sum(int(c) for c in charges.values()))
        for invoice in invoices:
            if credit <= 0:
                break
            share = min(credit, int(charges.get(invoice.id, 0)))
            if share <= 0:
                continue
            credit -= share

            def record(s: Session, invoice=invoice, share=share, account_id=account_id) -> None:
                applied = applied_description(share, invoice.coverage_month)
                used = used_description(share, invoice.coverage_month)
                for cents, words in ((-share, applied), (share, used)):
                    ledger.post(
                        s,
                        account_id=account_id,
                        kind=EntryKind.CREDIT_APPLIED,
                        amount_cents=cents,
                        effective_on=today,
                        now=now,
                        description=words,
                    )

            if notices.run_once(session, _key(invoice.id), now, record):
                recorded += 1
    return recorded
