"""Notices about a bill resolve once that bill is paid in full.

A payment reminder, a past-due notice, a late fee, a Past Due Warning or a Termination Warning
carries the bill it is about (`Notification.invoice_id`; a warning about a past-due balance carries
the newest bill in it: oldest-first allocation pays that one last). Once that bill is paid in full,
the notice gets `resolved_at` and is read: it stops counting as unread, and the notifications center
shows it as "Paid — no action needed".

"Paid" is the settled view (`ledger.statuses_for(..., settled=True)`): money received, and a bank
debit only once it has cleared. A debit still on its way already holds off late fees and
termination (delinquency reads the ledger as posted), but it can still come back returned, and a
warning it had quieted would then have to come back too. So a notice waits for the money, and a
returned debit can never leave a wrongly resolved warning: there is nothing to undo.

Called where money arrives — a card payment (`payments.checkout.finish`), a bank debit that clears
(`jobs.settlement`), a staff credit or fee waiver (`support.console`) — inside that change's own
transaction, and by the daily job for every account (`resolve_all`), so nothing is missed.
Set-based: a few grouped queries per batch of accounts and one UPDATE. Exactly once: the UPDATE
only touches notices still unresolved, so of two jobs at once each notice is resolved by one, and
keeps the time it was first resolved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, func, select, update

from hcpay_app.models import Invoice, LedgerEntry, Notification
from hcpay_app.services.billing import ledger

BATCH = 500


def paid_invoices(session: Session, account_ids: Iterable[int]) -> set[int]:
    """Every bill of these accounts that is paid in full on the settled view — the same answer as
    `ledger.statuses_for(..., settled=True)` giving PAID, from three grouped queries: each
    account's balance, its bank debits still pending, and what each bill charges. Oldest-first
    allocation leaves what is unpaid on the newest bills, so walking them newest first spends the
    unpaid amount; a bill it doesn't reach is paid."""
    ids = sorted(set(account_ids))
    if not ids:
        return set()
    balances = ledger.balances(session, ids)
    pending = ledger.pending_by_account(session, ids)
    bills = session.exec(
        select(Invoice.id, Invoice.billing_account_id, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .select_from(Invoice)
        .outerjoin(LedgerEntry, LedgerEntry.invoice_id == Invoice.id)
        .where(Invoice.billing_account_id.in_(ids))
        .group_by(Invoice.id, Invoice.billing_account_id, Invoice.due_on)
        .order_by(Invoice.billing_account_id, Invoice.due_on.desc(), Invoice.id.desc())
    ).all()
    # What is unpaid on each account's bills once pending debits are left out (they are negative).
    unpaid = {i: max(balances.get(i, 0) + pending.get(i, 0), 0) for i in ids}
    paid = set()
    for invoice_id, account_id, amount in bills:
        share = max(0, min(int(amount), unpaid[account_id]))
        unpaid[account_id] -= share
        if share <= 0:
            paid.add(invoice_id)
    return paid


def _resolve(session: Session, account_ids: list[int], invoice_ids: set[int], now: dt.datetime) -> int:
    """Resolve the unresolved notices about those of `invoice_ids` now paid (in the caller's
    transaction); how many were resolved."""
    paid = sorted(paid_invoices(session, account_ids) & invoice_ids)
    if not paid:
        return 0
    result = session.exec(
        update(Notification)
        .where(Notification.invoice_id.in_(paid), Notification.resolved_at.is_(None))
        .values(resolved_at=now, read_at=func.coalesce(Notification.read_at, now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _open_bills(session: Session, account_ids: list[int] | None) -> dict[int, set[int]]:
    """account id → the bills that unresolved notices are about."""
    query = (
        select(Invoice.billing_account_id, Notification.invoice_id)
        .join(Invoice, Invoice.id == Notification.invoice_id)
        .where(Notification.resolved_at.is_(None))
        .distinct()
    )
    if account_ids is not None:
        query = query.where(Invoice.billing_account_id.in_(account_ids))
    found: dict[int, set[int]] = defaultdict(set)
    for account_id, invoice_id in session.exec(query).all():
        found[account_id].add(invoice_id)
    return found


def resolve_for_account(session: Session, account_id: int, *, now: dt.datetime) -> int:
    """Resolve the account's notices about bills now paid, in the caller's transaction (which
    commits it with the payment, credit or waiver that paid them)."""
    bills = _open_bills(session, [account_id]).get(account_id)
    return _resolve(session, [account_id], bills, now) if bills else 0


def resolve_for_accounts(session: Session, account_ids: Iterable[int], *, now: dt.datetime) -> int:
    """`resolve_for_account` for many accounts at once (a few hundred), in the caller's transaction."""
    open_bills = _open_bills(session, sorted(set(account_ids)))
    if not open_bills:
        return 0
    return _resolve(session, sorted(open_bills), set().union(*open_bills.values()), now)


def resolve_all(session: Session, *, now: dt.datetime) -> int:
    """The daily job's duty: resolve every notice about a bill now paid, a batch of accounts per
    transaction. Running it again resolves nothing more."""
    open_bills = _open_bills(session, None)
    accounts = sorted(open_bills)
    resolved = 0
    for start in range(0, len(accounts), BATCH):
        batch = accounts[start : start + BATCH]
        wanted = set().union(*(open_bills[a] for a in batch))
        resolved += _resolve(session, batch, wanted, now)
        session.commit()
    return resolved
