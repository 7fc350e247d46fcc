"""The premium ledger: signed cents, summed — never a stored balance that can drift.

Charges (premiums, fees, waivers, invoice adjustments) carry an invoice id. Money movements
(payments, reversals of payments, credits) don't: together they form a pool that pays invoices
oldest-due first. So a partial payment leaves an invoice partially paid, an overpayment is a credit
that the next invoice consumes, and a reversal reopens whatever it had paid.

A bank debit is posted when it is sent, so that no late fee or termination hits a member whose
payment is on its way; if the bank returns it, a reversal owes it again. What a member is *shown*
as paid, and what activates coverage, is the settled view (`settled=True`): it leaves out the debits
still pending.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import bindparam, func, text
from sqlmodel import Session, select

from hcpay_app.i18n.message import Msg
from hcpay_app.models import EntryKind, Invoice, LedgerEntry, Payment, PaymentStatus
from hcpay_app.services.common import read_memo

CHARGE_KINDS = frozenset(
    {EntryKind.PREMIUM, EntryKind.LATE_FEE, EntryKind.FEE_WAIVER, EntryKind.ADJUSTMENT, EntryKind.DISPUTE_FEE}
)
# Movements that take a payment back (a returned bank debit, a disputed card payment).
TAKEN_BACK_KINDS = frozenset({EntryKind.REVERSAL, EntryKind.DISPUTE})


class InvoiceStatus:
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PAST_DUE = "past_due"


@dataclasses.dataclass(frozen=True)
class InvoicePosition:
    invoice_id: int
    coverage_month: dt.date
    due_on: dt.date
    amount_cents: int
    paid_cents: int
    status: str

    @property
    def unpaid_cents(self) -> int:
        return self.amount_cents - self.paid_cents


@dataclasses.dataclass(frozen=True)
class AccountPosition:
    """What is owed, split by due date: all from a few indexed aggregates. `next_due_cents` is what
    falls due on `next_due_on` (every bill due that day); `later_cents` what falls due after it."""

    balance_cents: int
    past_due_cents: int
    next_due_on: dt.date | None
    next_due_cents: int
    oldest_unpaid_due_on: dt.date | None
    later_cents: int = 0

    @property
    def amount_due_cents(self) -> int:
        return max(self.balance_cents, 0)

    @property
    def credit_cents(self) -> int:
        return max(-self.balance_cents, 0)


def invoice_status(amount: int, paid: int, due_on: dt.date, today: dt.date) -> str:
    if paid >= amount:
        return InvoiceStatus.PAID
    if due_on < today:
        return InvoiceStatus.PAST_DUE
    return InvoiceStatus.PARTIALLY_PAID if paid > 0 else InvoiceStatus.OPEN


def post(
    session: Session,
    *,
    account_id: int,
    kind: str,
    amount_cents: int,
    effective_on: dt.date,
    now: dt.datetime,
    invoice_id: int | None = None,
    payment_id: int | None = None,
    description: str = "",
    refund_id: int | None = None,
) -> LedgerEntry:
    """Add one entry to the caller's transaction. Charges need an invoice; movements must not have one."""
    if type(amount_cents) is not int:
        raise TypeError("ledger amounts are integer cents")
    if (kind in CHARGE_KINDS) != (invoice_id is not None):
        raise ValueError(f"{kind} entries {'need' if kind in CHARGE_KINDS else 'cannot have'} an invoice")
    if invoice_id is not None and amount_cents < 0:
        current = session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(LedgerEntry.invoice_id == invoice_id)
        ).one()
        if current + amount_cents < 0:
            raise ValueError("a waiver or adjustment can't take an invoice below zero")
    entry = LedgerEntry(
        billing_account_id=account_id,
        kind=kind,
        amount_cents=amount_cents,
        effective_on=effective_on,
        created_at=now,
        invoice_id=invoice_id,
        payment_id=payment_id,
        description=description[:200],
        refund_id=refund_id,
    )
    session.add(entry)
    session.flush()
    return entry


# Built once: every member page reads these, and building a statement costs more CPU than
# PostgreSQL spends answering it.
_ENTRIES_SUM = func.coalesce(func.sum(LedgerEntry.amount_cents), 0)
_BALANCE = select(_ENTRIES_SUM).where(LedgerEntry.billing_account_id == bindparam("account_id"))
_PENDING = (
    select(_ENTRIES_SUM)
    .join(Payment, Payment.id == LedgerEntry.payment_id)
    .where(
        LedgerEntry.billing_account_id == bindparam("account_id"),
        LedgerEntry.kind == EntryKind.PAYMENT,
        Payment.status == PaymentStatus.PENDING,
    )
)
_POOL = select(_ENTRIES_SUM).where(
    LedgerEntry.billing_account_id == bindparam("account_id"), LedgerEntry.invoice_id.is_(None)
)


def _sum(session: Session, query, account_id: int) -> int:
    return int(session.exec(query, params={"account_id": account_id}).one())


def balance(session: Session, account_id: int) -> int:
    return read_memo.memo(session, ("balance", account_id), lambda: _sum(session, _BALANCE, account_id))


def pending_cents(session: Session, account_id: int) -> int:
    """Bank debits posted but not yet cleared (still pending; a returned one is reversed instead)."""
    return -read_memo.memo(session, ("pending", account_id), lambda: _sum(session, _PENDING, account_id))


def _owed(session: Session, account_id: int, settled: bool) -> tuple[int, int]:
    """(balance, unpaid): the ledger's balance, and what of it sits unpaid on the bills — leaving
    out pending debits when `settled`."""
    total = balance(session, account_id)
    if settled:
        total += pending_cents(session, account_id)
    return total, max(total, 0)


def _pool(session: Session, account_id: int) -> int:
    """Money received (payments and credits, less reversals) available to pay invoices."""
    return -_sum(session, _POOL, account_id)


_POSITIONS_SQL = text(
    """
    SELECT i.id, i.coverage_month, i.due_on, COALESCE(SUM(e.amount_cents), 0) AS amount
    FROM invoice i LEFT JOIN ledgerentry e ON e.invoice_id = i.id
    WHERE i.billing_account_id = :account_id
    GROUP BY i.id, i.coverage_month, i.due_on
    ORDER BY i.due_on, i.id
    """
)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def positions(session: Session, account_id: int, today: dt.date) -> list[InvoicePosition]:
    """Every invoice with what has been paid on it and its status, oldest due first."""
    rows = session.exec(_POSITIONS_SQL.bindparams(account_id=account_id)).all()
    remaining = _pool(session, account_id)
    result = []
    for invoice_id, month, due_on, amount in rows:
        paid = max(0, min(amount, remaining))
        remaining -= paid
        due = _as_date(due_on)
        result.append(
            InvoicePosition(invoice_id, _as_date(month), due, amount, paid, invoice_status(amount, paid, due, today))
        )
    return result


_NEWEST_FIRST_SQL = text(
    """
    SELECT i.id, i.coverage_month, i.due_on,
           (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledgerentry e WHERE e.invoice_id = i.id) AS amount
    FROM invoice i
    WHERE i.billing_account_id = :account_id
      AND (i.due_on < :before_due OR (i.due_on = :before_due AND i.id < :before_id))
    ORDER BY i.due_on DESC, i.id DESC
    LIMIT :chunk
    """
)


def _newest_first(session: Session, account_id: int, chunk: int = 24):
    """Invoices newest-due first as (id, month, due_on, amount), read a chunk at a time (keyset
    pagination on the (account, due_on, id) index) so callers that stop early read little."""
    before_due, before_id = dt.date.max, 2**62
    while True:
        query = _NEWEST_FIRST_SQL.bindparams(
            account_id=account_id, before_due=before_due, before_id=before_id, chunk=chunk
        )
        rows = read_memo.memo(
            session, ("newest_first", account_id, before_due, before_id, chunk), lambda q=query: session.exec(q).all()
        )
        yield from rows
        if len(rows) < chunk:
            return
        before_due, before_id = _as_date(rows[-1][2]), rows[-1][0]


def statuses_for(
    session: Session, account_id: int, invoice_ids: list[int], today: dt.date, *, settled: bool = False
) -> dict[int, InvoicePosition]:
    """Positions of some invoices, without walking the whole history.

    Oldest-first allocation leaves whatever is unpaid on the newest invoices, so an invoice's
    unpaid part is what the balance leaves after the invoices newer than it: reading newest-first
    stops as soon as every wanted invoice is found.
    """
    _total, unpaid = _owed(session, account_id, settled)
    return _statuses_walk(unpaid, _newest_first(session, account_id), set(invoice_ids), today)


def _statuses_walk(unpaid: int, newest_first, wanted: set[int], today: dt.date) -> dict[int, InvoicePosition]:
    """`statuses_for`'s walk over (id, month, due_on, amount) rows, newest due first."""
    found: dict[int, InvoicePosition] = {}
    for invoice_id, month, due_on, amount in newest_first:
        share = max(0, min(amount, unpaid))
        unpaid -= share
        if invoice_id in wanted:
            due = _as_date(due_on)
            paid = amount - share
            found[invoice_id] = InvoicePosition(
                invoice_id, _as_date(month), due, amount, paid, invoice_status(amount, paid, due, today)
            )
            if len(found) == len(wanted):
                break
    return found


def balances(session: Session, account_ids) -> dict[int, int]:
    """`balance` of many accounts (ids, or a subquery of them) in one grouped query; an account
    with no entries is left out (its balance is 0)."""
    rows = session.exec(
        select(LedgerEntry.billing_account_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.billing_account_id.in_(account_ids))
        .group_by(LedgerEntry.billing_account_id)
    ).all()
    return {account_id: int(cents) for account_id, cents in rows}


def pending_by_account(session: Session, account_ids) -> dict[int, int]:
    """`pending_cents` of many accounts (ids, or a subquery of them) in one grouped query; an
    account with no pending bank debit is left out."""
    rows = session.exec(
        select(LedgerEntry.billing_account_id, func.sum(LedgerEntry.amount_cents))
        .join(Payment, Payment.id == LedgerEntry.payment_id)
        .where(
            LedgerEntry.billing_account_id.in_(account_ids),
            LedgerEntry.kind == EntryKind.PAYMENT,
            Payment.status == PaymentStatus.PENDING,
        )
        .group_by(LedgerEntry.billing_account_id)
    ).all()
    return {account_id: -int(cents) for account_id, cents in rows}


_UNPAID_CHUNK = 500


def unpaid_parts(session: Session, invoices: list[tuple[int, int, dt.date]]) -> dict[int, int]:
    """What is unpaid on each of many invoices, given as (account id, invoice id, due on): the same
    as `statuses_for(…)[invoice id].unpaid_cents`, read set-based — per chunk of accounts, their
    balances in one grouped query and the amounts of their invoices due on or after the oldest
    wanted one in another, then the same newest-first walk."""
    by_account: dict[int, set[int]] = {}
    oldest: dict[int, dt.date] = {}
    for account_id, invoice_id, due_on in invoices:
        by_account.setdefault(account_id, set()).add(invoice_id)
        oldest[account_id] = min(due_on, oldest.get(account_id, due_on))
    accounts = sorted(by_account)
    unpaid: dict[int, int] = {}
    for start in range(0, len(accounts), _UNPAID_CHUNK):
        part = accounts[start : start + _UNPAID_CHUNK]
        balance_of = balances(session, part)
        rows = session.exec(
            select(Invoice.billing_account_id, Invoice.id, Invoice.due_on, func.sum(LedgerEntry.amount_cents))
            .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id, isouter=True)
            .where(Invoice.billing_account_id.in_(part), Invoice.due_on >= min(oldest[a] for a in part))
            .group_by(Invoice.billing_account_id, Invoice.id, Invoice.due_on)
        ).all()
        newest_first: dict[int, list[tuple]] = {}
        for account_id, invoice_id, due_on, amount in rows:
            newest_first.setdefault(account_id, []).append((_as_date(due_on), invoice_id, int(amount or 0)))
        for account_id in part:
            left = max(balance_of.get(account_id, 0), 0)
            wanted = by_account[account_id]
            for _due_on, invoice_id, amount in sorted(newest_first.get(account_id, []), reverse=True):
                share = max(0, min(amount, left))
                left -= share
                if invoice_id in wanted:
                    unpaid[invoice_id] = share
    return unpaid


def account_position(session: Session, account_id: int, today: dt.date, *, settled: bool = False) -> AccountPosition:
    """Balance, past-due amount and what falls due next and later, reading only the newest
    invoices: the unpaid part of the balance always sits on them. `settled` leaves out pending
    bank debits (what the member is shown)."""
    total, unpaid = _owed(session, account_id, settled)
    return _position_walk(total, unpaid, _newest_first(session, account_id), today)


def _position_walk(total: int, unpaid: int, newest_first, today: dt.date) -> AccountPosition:
    """`account_position`'s walk over (id, month, due_on, amount) rows, newest due first."""
    past_due = 0
    oldest = None
    upcoming: dict[dt.date, int] = {}
    for _id, _month, due_on, amount in newest_first:
        if unpaid <= 0:
            break
        share = min(amount, unpaid)
        unpaid -= share
        if share <= 0:
            continue
        due = _as_date(due_on)
        if due >= today:
            upcoming[due] = upcoming.get(due, 0) + share
        else:
            past_due += share
            oldest = due
    next_due_on = min(upcoming) if upcoming else None
    next_due_cents = upcoming.get(next_due_on, 0) if next_due_on else 0
    later = sum(upcoming.values()) - next_due_cents
    return AccountPosition(total, past_due, next_due_on, next_due_cents, oldest, later)


@dataclasses.dataclass(frozen=True)
class Books:
    """One account's ledger as the positions read it — for working out many accounts at once
    (`books_for`) with the same walks as `account_position` and `statuses_for`."""

    balance_cents: int
    pending_cents: int  # bank debits posted, not yet cleared
    invoices: tuple[tuple[int, dt.date, dt.date, int], ...]  # (id, month, due on, amount), newest due first

    def _owed(self, settled: bool) -> tuple[int, int]:
        total = self.balance_cents + (self.pending_cents if settled else 0)
        return total, max(total, 0)

    def position(self, today: dt.date, *, settled: bool = False) -> AccountPosition:
        """What `account_position` gives."""
        total, unpaid = self._owed(settled)
        return _position_walk(total, unpaid, self.invoices, today)

    def statuses(self, invoice_ids: list[int], today: dt.date, *, settled: bool = False) -> dict[int, InvoicePosition]:
        """What `statuses_for` gives."""
        return _statuses_walk(self._owed(settled)[1], self.invoices, set(invoice_ids), today)

    def first_invoice(self) -> int | None:
        """The first coverage month's bill (the binder), as `coverage.binder_paid` finds it."""
        return min(self.invoices, key=lambda row: (row[1], row[0]))[0] if self.invoices else None


def books_for(session: Session, account_ids: list[int]) -> dict[int, Books]:
    """`Books` of many accounts: their balances, pending debits and invoices in three grouped
    queries (a few hundred accounts at a time)."""
    ids = sorted(set(account_ids))
    balance_of, pending_of = balances(session, ids), pending_by_account(session, ids)
    rows = session.exec(
        select(
            Invoice.billing_account_id,
            Invoice.id,
            Invoice.coverage_month,
            Invoice.due_on,
            func.coalesce(func.sum(LedgerEntry.amount_cents), 0),
        )
        .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id, isouter=True)
        .where(Invoice.billing_account_id.in_(ids))
        .group_by(Invoice.billing_account_id, Invoice.id, Invoice.coverage_month, Invoice.due_on)
    ).all()
    invoices: dict[int, list[tuple]] = {}
    for account_id, invoice_id, month, due_on, amount in rows:
        invoices.setdefault(account_id, []).append((invoice_id, _as_date(month), _as_date(due_on), int(amount)))
    return {
        account_id: Books(
            balance_of.get(account_id, 0),
            pending_of.get(account_id, 0),
            # As `_newest_first` reads them: due date, then id, newest first.
            tuple(sorted(invoices.get(account_id, []), key=lambda row: (row[2], row[0]), reverse=True)),
        )
        for account_id in ids
    }


def post_payment(session: Session, payment: Payment, *, effective_on: dt.date, now: dt.datetime) -> LedgerEntry:
    """Credit a payment to the ledger (once: the unique constraint refuses a second posting)."""
    return post(
        session,
        account_id=payment.billing_account_id,
        kind=EntryKind.PAYMENT,
        amount_cents=-payment.amount_cents,
        effective_on=effective_on,
        now=now,
        payment_id=payment.id,
        description=Msg("Payment {reference}", reference=payment.reference),
    )


def post_reversal(
    session: Session, payment: Payment, *, effective_on: dt.date, now: dt.datetime, reason: str
) -> LedgerEntry:
    """Undo a posted payment (a returned bank debit): what it paid is owed again."""
    return post(
        session,
        account_id=payment.billing_account_id,
        kind=EntryKind.REVERSAL,
        amount_cents=payment.amount_cents,
        effective_on=effective_on,
        now=now,
        payment_id=payment.id,
        description=Msg("Returned payment {reference}: {reason}", reference=payment.reference, reason=reason),
    )


def post_refund(
    session: Session,
    *,
    account_id: int,
    refund_id: int,
    amount_cents: int,
    description: str,
    effective_on: dt.date,
    now: dt.datetime,
) -> LedgerEntry:
    """Money paid back to the member: it adds to the balance (takes a credit away, or leaves a bill
    unpaid). Names its refund, not the payment: a payment may be refunded in several parts."""
    if amount_cents <= 0:
        raise ValueError("a refund pays back a positive amount")
    return post(
        session,
        account_id=account_id,
        kind=EntryKind.REFUND,
        amount_cents=amount_cents,
        effective_on=effective_on,
        now=now,
        refund_id=refund_id,
        description=description,
    )


def post_dispute(
    session: Session, payment: Payment, amount_cents: int, *, effective_on: dt.date, now: dt.datetime, reference: str
) -> LedgerEntry:
    """A disputed card payment taken back by the cardholder's bank: like a returned debit, what it
    paid is owed again (once: the unique constraint refuses a second)."""
    return post(
        session,
        account_id=payment.billing_account_id,
        kind=EntryKind.DISPUTE,
        amount_cents=amount_cents,
        effective_on=effective_on,
        now=now,
        payment_id=payment.id,
        description=Msg(
            "Disputed payment {payment_reference} ({reference})",
            payment_reference=payment.reference,
            reference=reference,
        ),
    )


def post_dispute_won(
    session: Session, payment: Payment, amount_cents: int, *, effective_on: dt.date, now: dt.datetime, reference: str
) -> LedgerEntry:
    """A dispute decided for the portal: the payment's money comes back and counts again (once)."""
    return post(
        session,
        account_id=payment.billing_account_id,
        kind=EntryKind.DISPUTE_WON,
        amount_cents=-amount_cents,
        effective_on=effective_on,
        now=now,
        payment_id=payment.id,
        description=Msg(
            "Dispute {reference} closed: payment {payment_reference} counts again",
            reference=reference,
            payment_reference=payment.reference,
        ),
    )


def invoices_paid_by(session: Session, payment: Payment) -> list[tuple[Invoice, int]]:
    """Which invoices a payment paid (and how much of each), replaying the pool oldest-first."""
    account_id = payment.billing_account_id
    invoices = session.exec(
        select(Invoice).where(Invoice.billing_account_id == account_id).order_by(Invoice.due_on, Invoice.id)
    ).all()
    charge_rows = session.exec(
        select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.invoice_id.is_not(None))
        .group_by(LedgerEntry.invoice_id)
    ).all()
    amounts = {invoice_id: int(total) for invoice_id, total in charge_rows}
    movements = session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.invoice_id.is_(None))
        .order_by(LedgerEntry.effective_on, LedgerEntry.id)
    ).all()
    reversed_payments = {m.payment_id for m in movements if m.kind in TAKEN_BACK_KINDS}
    cursor = 0  # cents of credit applied so far, excluding payments that were later reversed
    for entry in movements:
        taken_back = entry.kind == EntryKind.PAYMENT and entry.payment_id in reversed_payments
        if entry.kind == EntryKind.CREDIT_APPLIED:
            continue  # a record of credit a bill took, not money
        if entry.amount_cents >= 0 or (taken_back and entry.payment_id != payment.id):
            continue
        start, cursor = cursor, cursor - entry.amount_cents
        if entry.payment_id == payment.id:
            return _overlap(invoices, amounts, start, cursor)
    return []


def _overlap(invoices: list[Invoice], amounts: dict[int, int], start: int, end: int) -> list[tuple[Invoice, int]]:
    paid: list[tuple[Invoice, int]] = []
    low = 0
    for invoice in invoices:
        high = low + amounts.get(invoice.id, 0)
        share = min(end, high) - max(start, low)
        if share > 0:
            paid.append((invoice, share))
        low = high
    return paid
