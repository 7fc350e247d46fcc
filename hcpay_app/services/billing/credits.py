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


def _credits_before(session: Session, today: dt.date) -> dict[int, tuple[int, dict[int, int]]]:
    """For every account billed `today` that had a credit before those bills: (the credit, each new
    bill's charges) — from three grouped queries over all such accounts at once, not three per
    account."""
    billed = select(Invoice.billing_account_id).where(Invoice.issued_on == today).distinct()
    charges: dict[int, dict[int, int]] = {}
    for account_id, invoice_id, cents in session.exec(
        select(Invoice.billing_account_id, Invoice.id, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id)
        .where(Invoice.issued_on == today)
        .group_by(Invoice.billing_account_id, Invoice.id)
    ).all():
        charges.setdefault(account_id, {})[invoice_id] = int(cents)
    settled = ledger.balances(session, billed)
    for account_id, pending in ledger.pending_by_account(session, billed).items():
        settled[account_id] = settled.get(account_id, 0) + pending  # the balance once debits clear
    found = {}
    for account_id, bills in charges.items():
        credit = -(settled.get(account_id, 0) - sum(bills.values()))
        if credit > 0:
            found[account_id] = (credit, bills)
    return found


def apply_to_new_bills(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Record what credit the bills issued `today` took, oldest due first, for every account that
    had a credit before them. Returns how many applications were recorded (each once)."""
    with_credit = _credits_before(session, today)
    if not with_credit:
        return 0
    issued = session.exec(
        select(Invoice)
        .where(Invoice.issued_on == today, Invoice.billing_account_id.in_(list(with_credit)))
        .order_by(Invoice.billing_account_id, Invoice.due_on, Invoice.id)
    ).all()
    by_account: dict[int, list[Invoice]] = {}
    for invoice in issued:
        by_account.setdefault(invoice.billing_account_id, []).append(invoice)
    recorded = 0
    for account_id, invoices in by_account.items():
        credit, charges = with_credit[account_id]
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
