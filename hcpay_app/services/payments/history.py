"""Payment history: every transaction, newest first, paginated and filtered in SQL; payment
details; the 12-month chart. Every function reads only the acting member's own account."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

from sqlalchemy import Integer, and_, bindparam, cast, literal, null, union_all
from sqlmodel import Session, func, select

from hcpay_app import clock
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    Dispute,
    EntryKind,
    LedgerEntry,
    MethodKind,
    Payment,
    PaymentEvent,
    PaymentSource,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from hcpay_app.services.accounts import access
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import ledger
from hcpay_app.services.billing import templates as bill_templates
from hcpay_app.services.common import dates, money, references
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.payments import statuses, templates

PAGE_SIZE = 25
FILTERABLE_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PENDING,
    PaymentStatus.SCHEDULED,
    PaymentStatus.DECLINED,
    PaymentStatus.RETURNED,
    PaymentStatus.CANCELED,
    PaymentStatus.DISPUTED,
)
# A row is titled by what it is; its reference number, when it has one, is shown below the title.
ENTRY_TITLES = {
    EntryKind.PREMIUM: Msg("Premium bill"),
    EntryKind.LATE_FEE: Msg("Late fee"),
    EntryKind.FEE_WAIVER: Msg("Late fee waived"),
    EntryKind.ADJUSTMENT: Msg("Adjustment"),
    EntryKind.CREDIT: Msg("Credit"),
    EntryKind.REVERSAL: Msg("Payment returned"),
    EntryKind.REFUND: Msg("Refund"),
    EntryKind.DISPUTE: Msg("Payment disputed"),
    EntryKind.DISPUTE_FEE: Msg("Dispute fee"),
    EntryKind.DISPUTE_WON: Msg("Dispute closed: payment counts again"),
    EntryKind.CREDIT_APPLIED: Msg("Credit applied"),
}
# Money going back is badged by what happened to it.
ENTRY_BADGES = {
    EntryKind.REFUND: (Msg("Refunded"), "blue"),
    EntryKind.DISPUTE: (Msg("Disputed"), "red"),
    EntryKind.DISPUTE_WON: (Msg("Dispute closed"), "green"),
}
# Entries about a dispute show the dispute's reference; a refund's entry shows the refund's.
DISPUTE_KINDS = (EntryKind.DISPUTE, EntryKind.DISPUTE_FEE, EntryKind.DISPUTE_WON)
PAYMENT_TITLES_BY_SOURCE = {
    PaymentSource.AUTOPAY: Msg("Automatic payment"),
    PaymentSource.PLAN: Msg("Payment plan installment"),
}
PAYMENT_TITLES_BY_METHOD = {MethodKind.CARD: Msg("Card payment"), MethodKind.BANK: Msg("Bank payment")}
PAYMENT_TITLE = Msg("Payment")
INVOICE_LABELS = {
    ledger.InvoiceStatus.OPEN: (Msg("Open"), "blue"),
    ledger.InvoiceStatus.PARTIALLY_PAID: (Msg("Partially paid"), "amber"),
    ledger.InvoiceStatus.PAID: (Msg("Paid"), "green"),
    ledger.InvoiceStatus.PAST_DUE: (Msg("Past due"), "red"),
}


@dataclasses.dataclass
class HistoryRow:
    key: str
    kind: str
    date: str
    iso_date: str
    title: str
    detail: str
    reference: str
    amount: str
    amount_cents: int
    status: str
    tone: str
    bill_month: str = ""  # an invoice row's coverage month ("2026-12"): its bill page and PDF
    bill_link: str = ""  # how the link to that bill reads ("View bill for December 2026")


@dataclasses.dataclass
class HistoryPage:
    rows: list[HistoryRow]
    total: int
    page: int
    pages: int


@dataclasses.dataclass
class TimelineStep:
    when: str
    label: str
    note: str


@dataclasses.dataclass
class PaymentDetail:
    reference: str
    amount: str
    status: str
    status_label: str
    tone: str
    explanation: str
    method: str
    payment_date: str
    expected_settle_on: str
    account_number: str
    invoices: list[str]
    timeline: list[TimelineStep]
    receipt_available: bool
    # "Refunded $40.00 on Mar 10, 2026 (RF-…)": every refund of it that went through.
    refunds: list[str] = dataclasses.field(default_factory=list)
    dispute: str = ""  # "Disputed on …, DP-… (Dispute open)" when it was disputed


@dataclasses.dataclass
class MonthPoint:
    month: str  # "Dec 2025": a month and its full year, never "Dec 25", which reads as a day
    premiums: float  # dollars, for the chart's axis only — never used in arithmetic
    payments: float


def payment_title(method_kind: object, source: object) -> str:
    """What a payment is, in the member's words: "Automatic payment", "Payment plan installment",
    else by its method: "Card payment" or "Bank payment"."""
    if source in PAYMENT_TITLES_BY_SOURCE:
        return PAYMENT_TITLES_BY_SOURCE[source]
    return PAYMENT_TITLES_BY_METHOD.get(method_kind, PAYMENT_TITLE)


def count_words(count: int, one: str, many: str) -> str:
    """A count with its noun, singular or plural: "1 item", "0 items", "2 items" (English only:
    for member text use `Msg.plural`, as `items_label` does)."""
    return f"{count} {one if count == 1 else many}"


def items_label(count: int) -> str:
    """How many rows a history listing has: "1 item", "27 items"."""
    return Msg.plural("{count} item", "{count} items", count)


def entry_title(kind: object) -> str:
    """What a ledger entry other than a payment is: "Premium bill", "Late fee", "Credit"…"""
    return ENTRY_TITLES.get(kind, str(kind).replace("_", " ").capitalize())


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclasses.dataclass(frozen=True)
class _Statements:
    """The statements of one shape of history listing (which filters are set), built once: their
    values are bound at each call, so SQLAlchemy compiles each shape once per process (building
    the merged listing's columns cost ~9 ms a call)."""

    count_payments: Any
    count_entries: Any | None
    newest: Any


def _parts(*, by_year: bool, by_status: bool, by_reference: bool):
    """The two sources of history rows, filtered: payments, and ledger entries other than the
    payments' own (only when no payment-only filter is set)."""
    payments = select(
        literal("payment").label("source"),
        Payment.id.label("row_id"),
        Payment.payment_date.label("on_date"),
        Payment.status.label("status"),
        Payment.amount_cents.label("amount"),
        Payment.reference.label("reference"),
        Payment.method_label.label("detail"),
        cast(null(), Integer).label("invoice_id"),
        literal(EntryKind.PAYMENT).label("kind"),
        Payment.method_kind.label("method_kind"),
        Payment.source.label("payment_source"),
    ).where(Payment.billing_account_id == bindparam("account_id"))
    if by_status:
        payments = payments.where(Payment.status == bindparam("status"))
    if by_reference:
        payments = payments.where(Payment.reference == bindparam("reference"))
    if by_year:
        payments = payments.where(
            Payment.payment_date >= bindparam("year_start"), Payment.payment_date <= bindparam("year_end")
        )
    if by_status or by_reference:
        return payments, None
    entries = (
        select(
            literal("entry").label("source"),
            LedgerEntry.id.label("row_id"),
            LedgerEntry.effective_on.label("on_date"),
            literal("").label("status"),
            LedgerEntry.amount_cents.label("amount"),
            func.coalesce(Refund.reference, Dispute.reference, Payment.reference, "").label("reference"),
            LedgerEntry.description.label("detail"),
            LedgerEntry.invoice_id.label("invoice_id"),
            LedgerEntry.kind.label("kind"),
            literal("").label("method_kind"),
            literal("").label("payment_source"),
        )
        .outerjoin(Payment, Payment.id == LedgerEntry.payment_id)
        .outerjoin(Refund, Refund.id == LedgerEntry.refund_id)
        .outerjoin(Dispute, and_(Dispute.payment_id == LedgerEntry.payment_id, LedgerEntry.kind.in_(DISPUTE_KINDS)))
        .where(
            LedgerEntry.billing_account_id == bindparam("account_id"),
            LedgerEntry.kind != EntryKind.PAYMENT,
            _NOT_COUNTERPART,
        )
    )
    if by_year:
        entries = entries.where(
            LedgerEntry.effective_on >= bindparam("year_start"), LedgerEntry.effective_on <= bindparam("year_end")
        )
    return payments, entries


# A credit application is a pair summing to zero: history shows its "applied" half.
_NOT_COUNTERPART = ~((LedgerEntry.kind == EntryKind.CREDIT_APPLIED) & (LedgerEntry.amount_cents > 0))


def _count(query):
    return select(func.count()).select_from(query.subquery()) if query is not None else None


def _newest(payments, entries):
    """Rows `offset`…`offset+limit` of the merged, newest-first history. Each source is read
    newest-first through its (account, date, id) index, so page 1 reads a few dozen rows however
    long the history is (`needed` = offset + limit)."""
    needed = bindparam("needed", type_=Integer)
    tops = [payments.order_by(Payment.payment_date.desc(), Payment.id.desc()).limit(needed).subquery()]
    if entries is not None:
        tops.append(entries.order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc()).limit(needed).subquery())
    merged = union_all(*(select(top) for top in tops)).subquery()
    return (
        select(merged)
        .order_by(merged.c.on_date.desc(), merged.c.source.desc(), merged.c.row_id.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


@functools.cache
def _statements(*, by_year: bool, by_status: bool, by_reference: bool) -> _Statements:
    payments, entries = _parts(by_year=by_year, by_status=by_status, by_reference=by_reference)
    return _Statements(_count(payments), _count(entries), _newest(payments, entries))


def _clean_filters(year: object, status: object, reference: object) -> tuple[int | None, str | None, str | None]:
    clean_year = year if type(year) is int and 2000 <= year <= 2100 else None
    clean_status = status if status in FILTERABLE_STATUSES else None
    clean_reference = None
    if isinstance(reference, str) and reference.strip():
        clean_reference = references.normalize(reference)
        if clean_reference is None:
            raise ValidationError({"reference": Msg("Reference numbers look like HC-7KQ4-M9XP-2D3F.")})
    return clean_year, clean_status, clean_reference


def page(
    session: Session,
    actor: SessionUser,
    *,
    page_number: object = 1,
    year: object = None,
    status: object = None,
    reference: object = None,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> HistoryPage:
    """One page of the member's history, newest first."""
    account = access.member_account(session, actor)
    today = today or clock.today()
    year, status, reference = _clean_filters(year, status, reference)
    shape = _statements(by_year=year is not None, by_status=status is not None, by_reference=reference is not None)
    values = {"account_id": account.id, "status": status, "reference": reference}
    if year is not None:
        values |= {"year_start": dt.date(year, 1, 1), "year_end": dt.date(year, 12, 31)}
    total = session.exec(shape.count_payments, params=values).one()
    if shape.count_entries is not None:
        total += session.exec(shape.count_entries, params=values).one()
    pages = max(1, -(-total // page_size))
    number = page_number if type(page_number) is int and 1 <= page_number <= pages else 1
    offset = (number - 1) * page_size
    raw = session.execute(
        shape.newest, {**values, "needed": offset + page_size, "limit": page_size, "offset": offset}
    ).all()
    invoice_ids = [r.invoice_id for r in raw if r.kind == EntryKind.PREMIUM and r.invoice_id]
    invoice_positions = ledger.statuses_for(session, account.id, invoice_ids, today)
    return HistoryPage([_row(r, invoice_positions) for r in raw], total, number, pages)


def _row(r, invoice_positions: dict[int, ledger.InvoicePosition]) -> HistoryRow:
    on_date = _as_date(r.on_date)
    common = {
        "key": f"{r.source}-{r.row_id}",
        "kind": r.kind,
        "date": Dated(on_date),
        "iso_date": on_date.isoformat(),
        "reference": r.reference or "",
        "amount_cents": r.amount,
    }
    if r.source == "payment":
        return HistoryRow(
            **common,
            title=payment_title(r.method_kind, r.payment_source),
            detail=r.detail,
            amount=money.format_cents(r.amount),
            status=statuses.LABELS.get(r.status, r.status),
            tone=statuses.TONES.get(r.status, "gray"),
        )
    label, tone, bill_month, bill_link = "", "gray", "", ""
    if r.kind == EntryKind.PREMIUM and r.invoice_id in invoice_positions:
        position = invoice_positions[r.invoice_id]
        label, tone = INVOICE_LABELS[position.status]
        bill_month = f"{position.coverage_month:%Y-%m}"
        bill_link = bill_templates.bill_link_label(position.coverage_month)
    elif r.kind in ENTRY_BADGES:
        label, tone = ENTRY_BADGES[r.kind]
    return HistoryRow(
        **common,
        title=entry_title(r.kind),
        detail=statuses.known_text(r.detail) or "",
        amount=money.format_cents(r.amount),
        status=label,
        tone=tone,
        bill_month=bill_month,
        bill_link=bill_link,
    )


def years(session: Session, actor: SessionUser) -> list[int]:
    """Years that have any activity, newest first — the choices of the year filter."""
    account = access.member_account(session, actor)
    first_entry = session.exec(
        select(func.min(LedgerEntry.effective_on)).where(LedgerEntry.billing_account_id == account.id)
    ).one()
    first_payment = session.exec(
        select(func.min(Payment.payment_date)).where(Payment.billing_account_id == account.id)
    ).one()
    starts = [_as_date(d).year for d in (first_entry, first_payment) if d]
    this_year = clock.today().year
    return list(range(max(this_year, *starts) if starts else this_year, (min(starts) if starts else this_year) - 1, -1))


def payment_detail(session: Session, actor: SessionUser, reference: object) -> PaymentDetail:
    payment, account = access.own_payment(session, actor, reference)
    events = session.exec(
        select(PaymentEvent).where(PaymentEvent.payment_id == payment.id).order_by(PaymentEvent.at, PaymentEvent.id)
    ).all()
    invoices = [
        Msg(
            "{month} premium — {amount}",
            month=Dated(invoice.coverage_month, "month"),
            amount=money.format_cents(share),
        )
        for invoice, share in ledger.invoices_paid_by(session, payment)
    ]
    return PaymentDetail(
        reference=payment.reference,
        amount=money.format_cents(payment.amount_cents),
        status=payment.status,
        status_label=statuses.LABELS.get(payment.status, payment.status),
        tone=statuses.TONES.get(payment.status, "gray"),
        explanation=statuses.explain(payment),
        method=payment.method_label,
        payment_date=Dated(payment.payment_date),
        expected_settle_on=Dated(payment.expected_settle_on) if payment.expected_settle_on else "",
        account_number=account.account_number,
        invoices=invoices,
        timeline=[
            TimelineStep(
                Msg("{day} {time}", day=Dated(clock.local_date(e.at)), time=clock.format_local_time(e.at)),
                statuses.LABELS.get(e.status, e.status),
                statuses.known_text(e.note),
            )
            for e in events
        ],
        receipt_available=payment.status == PaymentStatus.SUCCEEDED,
        refunds=refund_lines(session, payment.id),
        dispute=dispute_line(session, payment.id),
    )


def refund_lines(session: Session, payment_id: int) -> list[str]:
    """Every refund of a payment that went through, oldest first, with its reference."""
    rows = session.exec(
        select(Refund)
        .where(Refund.payment_id == payment_id, Refund.status == RefundStatus.REFUNDED)
        .order_by(Refund.id)
    ).all()
    return [
        Msg(
            "Refunded {amount} on {day} ({reference})",
            amount=money.format_cents(r.amount_cents),
            day=Dated(clock.local_date(r.updated_at)),
            reference=r.reference,
        )
        for r in rows
    ]


def dispute_line(session: Session, payment_id: int) -> str:
    dispute = session.exec(select(Dispute).where(Dispute.payment_id == payment_id)).first()
    if dispute is None:
        return ""
    label = templates.DISPUTE_STATUS_LABELS.get(dispute.status, str(dispute.status))
    return Msg(
        "Disputed on {day} ({reference}): {status}",
        day=Dated(dispute.opened_on),
        reference=dispute.reference,
        status=label,
    )


def last_twelve_months(session: Session, actor: SessionUser, today: dt.date) -> tuple[list[MonthPoint], str]:
    """Premiums billed and payments received per month for the last 12 months, and a sentence
    saying the same for screen readers."""
    account = access.member_account(session, actor)
    start = dates.add_months(dates.first_of_month(today), -11)
    rows = session.exec(
        select(LedgerEntry.effective_on, LedgerEntry.kind, LedgerEntry.amount_cents).where(
            LedgerEntry.billing_account_id == account.id,
            LedgerEntry.effective_on >= start,
            LedgerEntry.kind.in_(
                [
                    EntryKind.PREMIUM,
                    EntryKind.PAYMENT,
                    EntryKind.REVERSAL,
                    EntryKind.REFUND,
                    EntryKind.DISPUTE,
                    EntryKind.DISPUTE_WON,
                ]
            ),
        )
    ).all()
    months = [dates.add_months(start, i) for i in range(12)]
    billed = {m: 0 for m in months}
    paid = {m: 0 for m in months}
    for on_date, kind, amount in rows:
        month = dates.first_of_month(_as_date(on_date))
        if month not in billed:
            continue
        if kind == EntryKind.PREMIUM:
            billed[month] += amount
        else:
            paid[month] -= amount  # payments are negative; a reversal, refund or dispute takes money back
    points = [MonthPoint(Dated(m, "MMM y"), billed[m] / 100, paid[m] / 100) for m in months]
    total_billed, total_paid = sum(billed.values()), sum(paid.values())
    summary = Msg(
        "From {start} to {end} you were billed {billed} in premiums and paid {paid}.",
        start=Dated(start, "month"),
        end=Dated(months[-1], "month"),
        billed=money.format_cents(total_billed),
        paid=money.format_cents(total_paid),
    )
    return points, summary
