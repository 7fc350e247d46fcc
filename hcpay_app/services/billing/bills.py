"""Bills a member can open: one coverage month's bill, and the yearly premium summary for taxes.

A bill is named by its coverage month ("2026-12"), never by a database id, and only ever looked up
in the acting member's own account (`access.member_account`): a month they have no bill for, a
malformed month, and another member's bill all read the same — not found.

What paid a bill is the ledger's own allocation replayed: money received (payments and credits)
pays bills oldest-due first, so the first cents received pay the oldest bill. Cleared money is
replayed first and bank debits still on their way after it, so what a bill shows as paid, still
unpaid and its status agree with the settled view the dashboard shows (`ledger.statuses_for(…,
settled=True)`); a debit on its way is listed as processing, not as money received. A returned
payment paid nothing: it and its reversal are left out (as in `ledger.invoices_paid_by`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import case, func
from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import BillingAccount, Dispute, EntryKind, Invoice, LedgerEntry, Payment, PaymentStatus, Refund
from hcpay_app.services.accounts import access
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import ledger, templates
from hcpay_app.services.billing.templates import BillLine, PayOption
from hcpay_app.services.common import money
from hcpay_app.services.common.errors import NotFound

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BillStatus:
    PAID = "paid"
    PROCESSING = "processing"  # nothing left to pay once a bank debit on its way clears
    PAST_DUE = ledger.InvoiceStatus.PAST_DUE
    PARTIALLY_PAID = ledger.InvoiceStatus.PARTIALLY_PAID
    OPEN = ledger.InvoiceStatus.OPEN


@dataclasses.dataclass(frozen=True)
class Applied:
    """Money that paid (part of) a bill: a payment by reference, or a credit (no reference)."""

    reference: str
    on: dt.date
    cents: int
    processing: bool = False  # a bank debit still on its way
    clears_on: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class Bill:
    """One coverage month's bill, in cents and dates (wording: `billing.templates`)."""

    coverage_month: dt.date
    issued_on: dt.date
    due_on: dt.date
    premium_cents: int  # the member's share
    full_premium_cents: int | None
    tax_credit_cents: int | None
    fees_cents: int  # late fees, waivers and adjustments on this bill
    applied: tuple[Applied, ...]
    today: dt.date

    @property
    def has_breakdown(self) -> bool:
        return self.full_premium_cents is not None and self.tax_credit_cents is not None

    @property
    def total_cents(self) -> int:
        return self.premium_cents + self.fees_cents

    @property
    def paid_cents(self) -> int:
        return sum(a.cents for a in self.applied if not a.processing)

    @property
    def processing_cents(self) -> int:
        return sum(a.cents for a in self.applied if a.processing)

    @property
    def unpaid_cents(self) -> int:
        return max(self.total_cents - self.paid_cents - self.processing_cents, 0)

    @property
    def clears_on(self) -> dt.date | None:
        return max((a.clears_on for a in self.applied if a.processing and a.clears_on), default=None)

    @property
    def status(self) -> str:
        if self.paid_cents >= self.total_cents:
            return BillStatus.PAID
        if self.unpaid_cents == 0:
            return BillStatus.PROCESSING
        return ledger.invoice_status(self.total_cents, self.paid_cents, self.due_on, self.today)

    @property
    def premium_paid_cents(self) -> int:
        """What was paid toward the premium itself (the premium before any fee on the same bill)."""
        return min(self.paid_cents, self.premium_cents)


def parse_month(raw: object) -> dt.date | None:
    """The first day of a coverage month written "YYYY-MM", or None for anything else."""
    match = _MONTH.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def _charges(session: Session, account_id: int) -> dict[int, tuple[int, int]]:
    """(premium, everything else) charged on each of the account's bills, from the ledger."""
    premium = case((LedgerEntry.kind == EntryKind.PREMIUM, LedgerEntry.amount_cents), else_=0)
    rows = session.exec(
        select(LedgerEntry.invoice_id, func.sum(premium), func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.invoice_id.is_not(None))
        .group_by(LedgerEntry.invoice_id)
    ).all()
    return {invoice_id: (int(prem), int(total) - int(prem)) for invoice_id, prem, total in rows}


def _money_received(session: Session, account_id: int) -> list[Applied]:
    """Money that pays bills, in the order the allocation spends it: cleared money oldest first,
    then bank debits still on their way. Returned payments (and their reversals) are left out."""
    rows = session.exec(
        select(LedgerEntry, Payment)
        .outerjoin(Payment, Payment.id == LedgerEntry.payment_id)
        .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.invoice_id.is_(None))
        .order_by(LedgerEntry.effective_on, LedgerEntry.id)
    ).all()
    reversed_payments = {entry.payment_id for entry, _payment in rows if entry.kind in ledger.TAKEN_BACK_KINDS}
    # Refunds pay money back out of what was received: the newest cleared money goes first, as the
    # ledger's oldest-first allocation leaves it (the bills it paid are the ones left unpaid).
    # (A refund of a payment later taken back is part of what was taken back: the dispute took only
    # the rest.)
    refunded = sum(
        cents
        for cents, refunded_payment in session.exec(
            select(LedgerEntry.amount_cents, Refund.payment_id)
            .join(Refund, Refund.id == LedgerEntry.refund_id)
            .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.kind == EntryKind.REFUND)
        ).all()
        if refunded_payment not in reversed_payments
    )
    cleared, on_the_way = [], []
    for entry, payment in rows:
        taken_back = entry.kind == EntryKind.PAYMENT and entry.payment_id in reversed_payments
        if entry.amount_cents >= 0 or taken_back or entry.kind == EntryKind.CREDIT_APPLIED:
            continue
        pending = payment is not None and payment.status == PaymentStatus.PENDING
        money_in = Applied(
            reference=payment.reference if payment is not None else "",
            on=payment.payment_date if payment is not None else entry.effective_on,
            cents=-entry.amount_cents,
            processing=pending,
            clears_on=payment.expected_settle_on if pending else None,
        )
        (on_the_way if pending else cleared).append(money_in)
    while refunded > 0 and cleared:
        last = cleared.pop()
        if last.cents > refunded:
            cleared.append(dataclasses.replace(last, cents=last.cents - refunded))
        refunded -= last.cents
    return cleared + on_the_way


def account_bills(session: Session, account: BillingAccount, today: dt.date) -> list[Bill]:
    """Every bill of an account, oldest due first, with what paid each (the allocation replayed)."""
    invoices = session.exec(
        select(Invoice).where(Invoice.billing_account_id == account.id).order_by(Invoice.due_on, Invoice.id)
    ).all()
    charges = _charges(session, account.id)
    applied: dict[int, list[Applied]] = {invoice.id: [] for invoice in invoices}
    room = {invoice.id: sum(charges.get(invoice.id, (0, 0))) for invoice in invoices}
    position = 0
    for money_in in _money_received(session, account.id):
        left = money_in.cents
        while left > 0 and position < len(invoices):
            invoice_id = invoices[position].id
            share = min(left, room[invoice_id])
            if share > 0:
                applied[invoice_id].append(dataclasses.replace(money_in, cents=share))
                room[invoice_id] -= share
                left -= share
            if room[invoice_id] <= 0:
                position += 1
        if position >= len(invoices):
            break  # the rest is credit: it pays bills not issued yet
    return [
        Bill(
            coverage_month=invoice.coverage_month,
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            premium_cents=charges.get(invoice.id, (0, 0))[0],
            full_premium_cents=invoice.full_premium_cents,
            tax_credit_cents=invoice.tax_credit_cents,
            fees_cents=charges.get(invoice.id, (0, 0))[1],
            applied=tuple(applied[invoice.id]),
            today=today,
        )
        for invoice in invoices
    ]


def own_bill(session: Session, actor: SessionUser | None, month: object, today: dt.date) -> tuple[Bill, BillingAccount]:
    """The acting member's bill for a coverage month ("2026-12"); anything else reads as not found."""
    account = access.member_account(session, actor)
    coverage_month = parse_month(month)
    if coverage_month is None:
        raise NotFound(templates.BILL_NOT_FOUND)
    exists = session.exec(
        select(Invoice.id).where(Invoice.billing_account_id == account.id, Invoice.coverage_month == coverage_month)
    ).first()
    if exists is None:
        raise NotFound(templates.BILL_NOT_FOUND)
    bill = next(b for b in account_bills(session, account, today) if b.coverage_month == coverage_month)
    return bill, account


@dataclasses.dataclass(frozen=True)
class AppliedRow:
    reference: str  # "" for a credit
    label: str  # the reference, or "Credit on your account"
    date: str
    amount: str
    note: str
    processing: bool


@dataclasses.dataclass(frozen=True)
class BillView:
    """A bill as the member reads it, display-ready (the whole view is sent to the browser)."""

    month: str  # "2026-12": how the bill is named in links
    title: str  # "Bill for December 2026"
    month_label: str  # "December 2026"
    member_name: str
    plan_name: str
    account_number: str
    issued_on: str
    due_on: str
    status: str
    status_label: str
    status_tone: str
    status_detail: str
    has_breakdown: bool
    premium: list[BillLine]  # full premium, tax credit, your share — or the premium alone
    fees: str  # late fees and adjustments on this bill ("" when none)
    total: str
    payments: list[AppliedRow]
    paid: str
    processing: str  # "" when nothing is on its way
    unpaid: str
    unpaid_cents: int
    how_to_pay: list[PayOption]


def _view(bill: Bill, account: BillingAccount, member_name: str) -> BillView:
    label, tone = templates.BILL_STATUS_LABELS[bill.status]
    return BillView(
        month=f"{bill.coverage_month:%Y-%m}",
        title=templates.bill_title(bill.coverage_month),
        month_label=Dated(bill.coverage_month, "month"),
        member_name=member_name,
        plan_name=account.plan_name,
        account_number=account.account_number,
        issued_on=Dated(bill.issued_on),
        due_on=Dated(bill.due_on),
        status=bill.status,
        status_label=label,
        status_tone=tone,
        status_detail=templates.bill_status_detail(
            bill.status,
            unpaid_cents=bill.unpaid_cents,
            processing_cents=bill.processing_cents,
            due_on=bill.due_on,
            clears_on=bill.clears_on,
        ),
        has_breakdown=bill.has_breakdown,
        premium=templates.premium_lines(
            bill.premium_cents, bill.full_premium_cents, bill.tax_credit_cents, account.plan_name
        ),
        fees=money.format_cents(bill.fees_cents) if bill.fees_cents else "",
        total=money.format_cents(bill.total_cents),
        payments=[
            AppliedRow(
                reference=a.reference,
                label=a.reference or templates.credit_applied_label(),
                date=Dated(a.on),
                amount=money.format_cents(a.cents),
                note=templates.applied_note(a.processing, a.clears_on),
                processing=a.processing,
            )
            for a in bill.applied
        ],
        paid=money.format_cents(bill.paid_cents),
        processing=money.format_cents(bill.processing_cents) if bill.processing_cents else "",
        unpaid=money.format_cents(bill.unpaid_cents),
        unpaid_cents=bill.unpaid_cents,
        how_to_pay=templates.how_to_pay(account.account_number),
    )


def bill_view(session: Session, actor: SessionUser | None, month: object, today: dt.date) -> BillView:
    """The acting member's bill for a coverage month, display-ready."""
    bill, account = own_bill(session, actor, month, today)
    member = access.account_member(session, account)
    return _view(bill, account, f"{member.first_name} {member.last_name}")


def how_to_pay_text(account_number: str) -> list[str]:
    """How to pay, for a printed bill."""
    return templates.how_to_pay_text(account_number, get_settings().base_url)


# --- The yearly premium summary for taxes ----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class YearRow:
    coverage_month: dt.date
    full_premium_cents: int | None
    tax_credit_cents: int | None
    share_cents: int
    paid_cents: int


@dataclasses.dataclass(frozen=True)
class YearSummary:
    """A tax year's bills month by month, from the bills and the ledger (cents and dates)."""

    year: int
    member_name: str
    account_number: str
    plan_name: str
    rows: tuple[YearRow, ...]
    fees_cents: int
    processing_cents: int
    today: dt.date
    money_back: tuple[str, ...] = ()  # refunds and disputes dated in the year, with their references

    @property
    def missing_breakdown(self) -> bool:
        return any(r.full_premium_cents is None or r.tax_credit_cents is None for r in self.rows)

    @property
    def full_premium_cents(self) -> int:
        """The full premiums that are known (months without a breakdown count nothing)."""
        return sum(r.full_premium_cents or 0 for r in self.rows)

    @property
    def tax_credit_cents(self) -> int:
        return sum(r.tax_credit_cents or 0 for r in self.rows)

    @property
    def share_cents(self) -> int:
        return sum(r.share_cents for r in self.rows)

    @property
    def paid_cents(self) -> int:
        return sum(r.paid_cents for r in self.rows)


def tax_years(session: Session, actor: SessionUser | None) -> list[int]:
    """Years with at least one bill (by coverage month), newest first: the summary's choices."""
    account = access.member_account(session, actor)
    months = session.exec(select(Invoice.coverage_month).where(Invoice.billing_account_id == account.id)).all()
    return sorted({_as_date(m).year for m in months}, reverse=True)


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _year(raw: object) -> int | None:
    if type(raw) is int:
        year = raw
    elif isinstance(raw, str) and re.fullmatch(r"[0-9]{4}", raw):
        year = int(raw)
    else:
        return None
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def year_summary(session: Session, actor: SessionUser | None, year: object, today: dt.date) -> YearSummary:
    """The acting member's premiums for a tax year, month by month: full premium, tax credit, their
    share billed and what they paid toward it. A year without bills reads as not found."""
    account = access.member_account(session, actor)
    wanted = _year(year)
    bills = [b for b in account_bills(session, account, today) if b.coverage_month.year == wanted]
    if not bills:
        raise NotFound(templates.NO_SUMMARY)
    bills.sort(key=lambda b: b.coverage_month)
    member = access.account_member(session, account)
    return YearSummary(
        year=wanted,
        member_name=f"{member.first_name} {member.last_name}",
        account_number=account.account_number,
        plan_name=account.plan_name,
        rows=tuple(
            YearRow(b.coverage_month, b.full_premium_cents, b.tax_credit_cents, b.premium_cents, b.premium_paid_cents)
            for b in bills
        ),
        fees_cents=sum(b.fees_cents for b in bills),
        processing_cents=sum(b.processing_cents for b in bills),
        today=today,
        money_back=tuple(money_back_lines(session, account.id, wanted)),
    )


def money_back_lines(session: Session, account_id: int, year: int) -> list[str]:
    """Refunds sent and card disputes opened in `year`, oldest first, in the member's words."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lines: list[tuple[dt.date, str]] = []
    for entry, refund, payment in session.exec(
        select(LedgerEntry, Refund, Payment)
        .join(Refund, Refund.id == LedgerEntry.refund_id)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            LedgerEntry.billing_account_id == account_id,
            LedgerEntry.kind == EntryKind.REFUND,
            LedgerEntry.effective_on >= first,
            LedgerEntry.effective_on <= last,
        )
    ).all():
        lines.append(
            (
                entry.effective_on,
                templates.refund_line(entry.effective_on, refund.amount_cents, refund.reference, payment.reference),
            )
        )
    for dispute, payment in session.exec(
        select(Dispute, Payment)
        .join(Payment, Payment.id == Dispute.payment_id)
        .where(Dispute.billing_account_id == account_id, Dispute.opened_on >= first, Dispute.opened_on <= last)
    ).all():
        lines.append(
            (
                dispute.opened_on,
                templates.dispute_line(
                    dispute.opened_on, dispute.amount_cents, dispute.reference, payment.reference, str(dispute.status)
                ),
            )
        )
    return [text for _on, text in sorted(lines, key=lambda pair: pair[0])]


def summary_table(summary: YearSummary) -> tuple[list[str], list[list[str]], list[str]]:
    """(headers, one row per month, totals) as printed; a month without a breakdown shows "—"."""

    def known(cents: int | None) -> str:
        return templates.NOT_KNOWN if cents is None else money.format_cents(cents)

    rows = [
        [
            Dated(r.coverage_month, "month"),
            known(r.full_premium_cents),
            known(r.tax_credit_cents),
            money.format_cents(r.share_cents),
            money.format_cents(r.paid_cents),
        ]
        for r in summary.rows
    ]
    # A total of only the months that had a breakdown would look like the year's: left blank instead.
    unknown = summary.missing_breakdown
    totals = [
        Msg("Total"),
        templates.NOT_KNOWN if unknown else money.format_cents(summary.full_premium_cents),
        templates.NOT_KNOWN if unknown else money.format_cents(summary.tax_credit_cents),
        money.format_cents(summary.share_cents),
        money.format_cents(summary.paid_cents),
    ]
    return templates.SUMMARY_HEADERS, rows, totals


def summary_notes(summary: YearSummary) -> list[str]:
    return templates.summary_notes(
        as_of=summary.today,
        missing_breakdown=summary.missing_breakdown,
        fees_cents=summary.fees_cents,
        processing_cents=summary.processing_cents,
        money_back=summary.money_back,
    )
