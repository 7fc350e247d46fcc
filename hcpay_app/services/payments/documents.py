"""Records a member can keep: a PDF receipt per successful payment, a monthly statement PDF, a bill
per coverage month, the yearly premium summary for taxes and a CSV export of history. Each is built
only from the acting member's own account."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from fpdf import FPDF
from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.i18n import languages
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.languages import DEFAULT
from hcpay_app.i18n.message import Dated, Msg, join
from hcpay_app.models import Dispute, EntryKind, LedgerEntry, Payment, PaymentStatus, Refund
from hcpay_app.services.accounts import access
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import bills, ledger, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.billing.templates import summary_title
from hcpay_app.services.common import contact, dates, money
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.payments import history, statuses

FONT_DIR = Path(__file__).resolve().parents[2] / "fonts"
MAX_EXPORT_DAYS = 366 * 7
# The history CSV's columns (the file name stays English; the headers are in the member's language).
CSV_HEADERS = (
    Msg("date"),
    Msg("type"),
    Msg("reference"),
    Msg("description"),
    Msg("amount"),
    Msg("status"),
)


def _language(actor: SessionUser | None) -> str:
    """The member's language: what their documents are written in."""
    return languages.parse(getattr(actor, "language", None)) or DEFAULT


class _Document(FPDF):
    """A letter-size page with the portal's header, in a Unicode font (accents, masking dots), in
    the member's language: every text written on it goes through `translate` here, at the edge
    (a `Msg` in the language's words, a plain `str` — a name, a reference number — as it is)."""

    def __init__(self, title: str, language: str = DEFAULT):
        super().__init__(format="letter")
        self.language = languages.parse(language) or DEFAULT
        title = self.tr(title)
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_author("Health Connector Payment Portal")
        self.set_margins(18, 18, 18)
        self.add_page()
        self.set_font("DejaVu", "B", 16)
        self.cell(0, 10, self.tr(Msg("Health Connector")), new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 11)
        self.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def tr(self, text: str) -> str:
        return translate(text, self.language)

    def pair(self, label: str, value: str) -> None:
        label, value = self.tr(label), self.tr(value)
        self.set_font("DejaVu", "B", 10)
        self.cell(55, 7, label)
        self.set_font("DejaVu", "", 10)
        self.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")

    def table(self, headers: list[str], widths: list[int], rows: list[list[str]]) -> None:
        headers = [self.tr(h) for h in headers]
        rows = [[self.tr(v) for v in row] for row in rows]
        self.set_font("DejaVu", "B", 9)
        for header, width in zip(headers, widths, strict=True):
            self.cell(width, 7, header, border="B")
        self.ln()
        self.set_font("DejaVu", "", 9)
        for row in rows:
            for value, width in zip(row, widths, strict=True):
                self.cell(width, 6, value[:48])
            self.ln()

    def heading(self, text: str) -> None:
        text = self.tr(text)
        self.ln(3)
        self.set_font("DejaVu", "B", 12)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    def amount(self, label: str, value: str, detail: str = "", *, bold: bool = False) -> None:
        """A labelled amount, right-aligned, with an optional note under it."""
        label, value, detail = self.tr(label), self.tr(value), self.tr(detail)
        self.set_font("DejaVu", "B" if bold else "", 10)
        self.cell(130, 7, label)
        self.cell(0, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")
        if detail:
            self.set_font("DejaVu", "", 8)
            self.cell(0, 5, detail, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: int = 9) -> None:
        text = self.tr(text)
        self.set_font("DejaVu", "", size)
        self.multi_cell(0, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def receipt_pdf(session: Session, actor: SessionUser, reference: object) -> tuple[str, bytes]:
    """(filename, PDF) for one of the member's own successful payments."""
    payment, account = access.own_payment(session, actor, reference)
    if payment.status != PaymentStatus.SUCCEEDED:
        raise NotFound(Msg("A receipt is available once the payment has gone through."))
    member = access.account_member(session, account)
    paid = ledger.invoices_paid_by(session, payment)
    doc = _Document(Msg("Payment receipt"), _language(actor))
    doc.pair(Msg("Member"), f"{member.first_name} {member.last_name}")
    doc.pair(Msg("Billing account"), account.account_number)
    doc.pair(Msg("Reference number"), payment.reference)
    doc.pair(Msg("Amount"), money.format_cents(payment.amount_cents))
    doc.pair(Msg("Payment method"), payment.method_label)
    doc.pair(Msg("Payment date"), Dated(payment.payment_date))
    doc.pair(Msg("Status"), statuses.LABELS[payment.status])
    applied = [
        Msg(
            "{month} premium ({amount})",
            month=Dated(i.coverage_month, "month"),
            amount=money.format_cents(a),
        )
        for i, a in paid
    ]
    doc.pair(Msg("Applied to"), join("; ", applied) if applied else Msg("Credit on your account"))
    for line in history.refund_lines(session, payment.id):
        doc.pair(Msg("Refund"), line)
    # The one money summary, as the dashboard and the emails say it.
    doc.heading(Msg("Your account now"))
    doc.paragraph(billing_templates.summary_text(summary.for_account(session, account, clock.today())), size=10)
    doc.ln(4)
    doc.paragraph(Msg("Keep this receipt for your records. Give your reference number when you contact us."))
    doc.paragraph(contact.footer())
    return f"receipt-{payment.reference}.pdf", bytes(doc.output())


def bill_pdf(session: Session, actor: SessionUser, month: object, today: dt.date | None = None) -> tuple[str, bytes]:
    """(filename, PDF) of the member's own bill for a coverage month ("2026-12")."""
    bill = bills.bill_view(session, actor, month, today or clock.today())
    doc = _Document(bill.title, _language(actor))
    doc.pair(Msg("Member"), bill.member_name)
    doc.pair(Msg("Billing account"), bill.account_number)
    doc.pair(Msg("Plan"), bill.plan_name)
    doc.pair(Msg("Coverage month"), bill.month_label)
    doc.pair(Msg("Issued"), bill.issued_on)
    doc.pair(Msg("Due date"), bill.due_on)
    doc.pair(Msg("Status"), join(". ", [bill.status_label, bill.status_detail]))
    doc.heading(Msg("Premium"))
    for line in bill.premium:
        doc.amount(line.label, line.amount, line.detail, bold=line.key == "share")
    if bill.fees:
        doc.amount(Msg("Late fees and adjustments"), bill.fees)
    doc.amount(Msg("Total for this bill"), bill.total, bold=True)
    doc.heading(Msg("Payments applied"))
    rows = [[p.label, p.date, p.amount, p.note] for p in bill.payments]
    doc.table(
        [Msg("Reference"), Msg("Date"), Msg("Amount"), Msg("Note")],
        [40, 28, 26, 86],
        rows or [[Msg("No payments yet"), "", "", ""]],
    )
    doc.ln(2)
    doc.amount(Msg("Paid"), bill.paid)
    if bill.processing:
        doc.amount(Msg("Processing"), bill.processing)
    doc.amount(Msg("Still unpaid"), bill.unpaid, bold=True)
    doc.heading(Msg("How to pay"))
    for line in bills.how_to_pay_text(bill.account_number):
        doc.paragraph(line, size=10)
    return f"bill-{bill.month}.pdf", bytes(doc.output())


def premium_summary_pdf(
    session: Session, actor: SessionUser, year: object, today: dt.date | None = None
) -> tuple[str, bytes]:
    """(filename, PDF) of the yearly premium summary for taxes: month by month, with totals."""
    summary = bills.year_summary(session, actor, year, today or clock.today())
    headers, rows, totals = bills.summary_table(summary)
    doc = _Document(summary_title(summary.year), _language(actor))
    doc.pair(Msg("Member"), summary.member_name)
    doc.pair(Msg("Billing account"), summary.account_number)
    doc.pair(Msg("Plan"), summary.plan_name)
    doc.ln(3)
    widths = [40, 34, 34, 40, 32]
    doc.table(headers, widths, rows)
    doc.set_font("DejaVu", "B", 9)
    for value, width in zip(totals, widths, strict=True):
        doc.cell(width, 7, doc.tr(value), border="T")
    doc.ln(10)
    for note in bills.summary_notes(summary):
        doc.paragraph(note)
    return f"premium-summary-{summary.year}.pdf", bytes(doc.output())


def _month(raw: object) -> dt.date:
    try:
        year, month = (int(part) for part in str(raw).split("-"))
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": Msg("Choose a month like 2026-11.")}) from None


def statement_pdf(session: Session, actor: SessionUser, month: object) -> tuple[str, bytes]:
    """(filename, PDF): opening balance, every entry of the month, closing balance."""
    account = access.member_account(session, actor)
    start = _month(month)
    end = dates.add_months(start, 1)
    if start > clock.today():
        raise ValidationError({"month": Msg("Statements are available for past and current months.")})
    member = access.account_member(session, account)
    opening = sum(
        session.exec(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.billing_account_id == account.id, LedgerEntry.effective_on < start
            )
        ).all()
    )
    entries = session.exec(
        select(LedgerEntry)
        .where(
            LedgerEntry.billing_account_id == account.id,
            LedgerEntry.effective_on >= start,
            LedgerEntry.effective_on < end,
        )
        .order_by(LedgerEntry.effective_on, LedgerEntry.id)
    ).all()
    closing = opening + sum(e.amount_cents for e in entries)
    doc = _Document(Msg("Statement for {month}", month=Dated(start, "month")), _language(actor))
    doc.pair(Msg("Member"), f"{member.first_name} {member.last_name}")
    doc.pair(Msg("Billing account"), account.account_number)
    doc.pair(
        Msg("Plan"),
        Msg(
            "{plan} — {amount} a month",
            plan=account.plan_name,
            amount=money.format_cents(account.monthly_premium_cents),
        ),
    )
    doc.pair(Msg("Opening balance"), money.format_cents(opening))
    doc.ln(3)
    rows = [
        [
            Dated(e.effective_on),
            history.ENTRY_TITLES.get(e.kind, history.PAYMENT_TITLE),
            statuses.known_text(e.description),
            money.format_cents(e.amount_cents),
        ]
        for e in entries
    ]
    doc.table(
        [Msg("Date"), Msg("Type"), Msg("Description"), Msg("Amount")],
        [28, 32, 90, 30],
        rows or [["", Msg("No activity"), "", ""]],
    )
    doc.ln(3)
    closing_text = money.format_cents(closing)
    doc.pair(
        Msg("Closing balance"),
        Msg("{amount} (credit)", amount=closing_text) if closing < 0 else closing_text,
    )
    return f"statement-{start:%Y-%m}.pdf", bytes(doc.output())


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell a spreadsheet won't run: text starting with = + - @ (or a tab or carriage return)
    is a formula to Excel, so it gets a leading apostrophe; plain numbers (-450.00) stay numbers."""
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def history_csv(session: Session, actor: SessionUser, start: object, end: object) -> tuple[str, bytes]:
    """(filename, CSV) of every transaction between two dates, inclusive, oldest first.

    UTF-8 with a byte-order mark: Excel opens a CSV without one in the PC's legacy code page, and
    the masking dots of "Visa ••••4242" turn into "â€¢". Serve it as "text/csv; charset=utf-8"."""
    account = access.member_account(session, actor)
    try:
        first, last = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    except ValueError:
        raise ValidationError({"range": Msg("Choose a start and an end date.")}) from None
    if first > last:
        raise ValidationError({"range": Msg("The start date must be on or before the end date.")})
    if (last - first).days > MAX_EXPORT_DAYS:
        raise ValidationError({"range": Msg("Export at most 7 years at a time.")})
    payments = session.exec(
        select(Payment).where(
            Payment.billing_account_id == account.id, Payment.payment_date >= first, Payment.payment_date <= last
        )
    ).all()
    entries = session.exec(
        select(LedgerEntry).where(
            LedgerEntry.billing_account_id == account.id,
            LedgerEntry.kind != EntryKind.PAYMENT,
            LedgerEntry.effective_on >= first,
            LedgerEntry.effective_on <= last,
        )
    ).all()
    entry_references = _entry_references(session, account.id)
    rows = [
        (
            p.payment_date,
            0,
            p.id,
            ["payment", p.reference, p.method_label, _dollars(p.amount_cents), statuses.LABELS.get(p.status, p.status)],
        )
        for p in payments
    ]
    rows += [
        (
            e.effective_on,
            1,
            e.id,
            [
                e.kind,
                entry_references.get(e.id, ""),
                statuses.known_text(e.description) or "",
                _dollars(e.amount_cents),
                "",
            ],
        )
        for e in entries
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    language = _language(actor)
    writer.writerow([translate(header, language) for header in CSV_HEADERS])
    for on_date, _order, _id, values in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        writer.writerow([on_date.isoformat(), *(spreadsheet_safe(translate(v, language)) for v in values)])
    return f"payment-history-{first}-to-{last}.csv", buffer.getvalue().encode("utf-8-sig")


def _entry_references(session: Session, account_id: int) -> dict[int, str]:
    """The reference each refund or dispute entry of an account goes by (`RF-…`, `DP-…`)."""
    found: dict[int, str] = {}
    for entry_id, reference in session.exec(
        select(LedgerEntry.id, Refund.reference)
        .join(Refund, Refund.id == LedgerEntry.refund_id)
        .where(LedgerEntry.billing_account_id == account_id)
    ).all():
        found[entry_id] = reference
    for entry_id, reference in session.exec(
        select(LedgerEntry.id, Dispute.reference)
        .join(Dispute, Dispute.payment_id == LedgerEntry.payment_id)
        .where(LedgerEntry.billing_account_id == account_id, LedgerEntry.kind.in_(history.DISPUTE_KINDS))
    ).all():
        found[entry_id] = reference
    return found


def _dollars(cents: int) -> str:
    """Plain signed dollars for spreadsheets ("-512.50"), exact from cents."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def guest_receipt_pdf(
    session: Session, token: object, *, now: dt.datetime | None = None, language: str = DEFAULT
) -> tuple[str, bytes]:
    """(filename, PDF) of the one payment a guest receipt token opens (see `guest.receipt_payment`):
    the payment, the billing account's last 4 digits and how to reach Customer Service; never the
    member's name or balance. A pending bank debit gets a payment confirmation, not a receipt.
    A guest has no account language: `language` is the one their browser chose (the edge reads it)."""
    from hcpay_app.services.common import contact
    from hcpay_app.services.payments import guest

    payment, account = guest.receipt_payment(session, token, now=now or clock.utcnow())
    cleared = payment.status == PaymentStatus.SUCCEEDED
    doc = _Document(Msg("Payment receipt") if cleared else Msg("Payment confirmation"), language)
    doc.pair(Msg("Reference number"), payment.reference)
    doc.pair(Msg("Amount"), money.format_cents(payment.amount_cents))
    doc.pair(Msg("Payment method"), payment.method_label)
    doc.pair(Msg("Payment date"), Dated(payment.payment_date))
    doc.pair(Msg("Billing account"), Msg("ending {last4}", last4=account.account_number[-4:]))
    doc.pair(Msg("Status"), statuses.LABELS[payment.status])
    doc.ln(2)
    doc.paragraph(statuses.explain(payment))
    doc.ln(4)
    doc.paragraph(
        Msg("Keep this receipt for your records.") if cleared else Msg("Keep this confirmation for your records.")
    )
    doc.paragraph(contact.footer())
    return f"receipt-{payment.reference}.pdf", bytes(doc.output())
