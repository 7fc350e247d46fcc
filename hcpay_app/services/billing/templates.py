"""Every word about what is owed: the money summary and coverage status as a member reads them,
reminders before a due date, past due, late fees, the grace period, the Termination Warning and the
end of coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hcpay_app.models import CoverageStatus
from hcpay_app.services.billing.summary import MoneySummary
from hcpay_app.services.common import contact, dates, money
from hcpay_app.services.common.messages import Message


def payment_reminder(coverage_month: dt.date, unpaid_cents: int, due_on: dt.date, days_ahead: int) -> Message:
    return Message(
        f"Premium due in {days_ahead} day{'s' if days_ahead != 1 else ''}",
        f"Your {dates.month_label(coverage_month)} premium of {money.format_cents(unpaid_cents)} is due "
        f"{dates.short_date(due_on)}. Pay online with Make a Payment, or set up Automatic Payments in Settings.",
    )


def past_due(coverage_month: dt.date, unpaid_cents: int, due_on: dt.date) -> Message:
    return Message(
        "Your premium payment is past due",
        f"We haven't received {money.format_cents(unpaid_cents)} for {dates.month_label(coverage_month)}, due "
        f"{dates.short_date(due_on)}. Pay now to keep your coverage, or set up a payment plan from your dashboard.",
    )


def late_fee(coverage_month: dt.date, days_late: int, fee_cents: int) -> Message:
    return Message(
        "A late fee was added",
        f"Your {dates.month_label(coverage_month)} premium is {days_late} days past due, so a late fee of "
        f"{money.format_cents(fee_cents)} was added. Pay the past-due balance or set up a payment plan from your "
        "dashboard.",
    )


def past_due_warning_subsidized(grace_months: int, past_due_cents: int, grace_ends_on: dt.date) -> Message:
    return Message(
        "Past Due Warning",
        f"You're in a {grace_months}-month grace period. Pay {money.format_cents(past_due_cents)} by "
        f"{dates.short_date(grace_ends_on)} to keep your coverage.",
    )


def past_due_warning(past_due_cents: int, new_due_on: dt.date) -> Message:
    return Message(
        "Past Due Warning",
        f"Your premium is past due, so your coverage is in a grace period. Your new due date is "
        f"{dates.short_date(new_due_on)}: pay {money.format_cents(past_due_cents)} by then to keep your coverage.",
    )


def termination_warning(owed_cents: int, deadline: dt.date, *, beside_a_plan: bool) -> Message:
    how = (
        "Your payment plan doesn't cover this amount: please pay it from your dashboard."
        if beside_a_plan
        else "Pay now, or set up a payment plan from your dashboard."
    )
    return Message(
        "Termination Warning",
        f"Your coverage will end unless we receive {money.format_cents(owed_cents)} by {dates.short_date(deadline)}. "
        f"{how}",
    )


def terminated(deadline: dt.date, terminated_on: dt.date) -> Message:
    return Message(
        "Your coverage has ended",
        f"We didn't receive the past-due premium by {dates.short_date(deadline)}, so your coverage ended on "
        f"{dates.short_date(terminated_on)}. To re-enroll: {contact.call_line()}",
    )


@dataclasses.dataclass(frozen=True)
class SummaryLine:
    """One line of the money summary as a member reads it: `key` names it for pages and tests."""

    key: str
    label: str
    amount: str
    detail: str
    tone: str


def summary_lines(summary: MoneySummary) -> list[SummaryLine]:
    """Past due now, due next, not yet due, processing, credit — or all paid up."""
    lines = []
    if summary.past_due_cents:
        lines.append(
            SummaryLine(
                "past_due",
                "Past due now",
                money.format_cents(summary.past_due_cents),
                f"It was due {dates.short_date(summary.past_due_since)}" if summary.past_due_since else "",
                "red",
            )
        )
    if summary.due_next_cents:
        lines.append(
            SummaryLine(
                "due_next",
                "Due next",
                money.format_cents(summary.due_next_cents),
                f"Due by {dates.short_date(summary.due_next_on)}",
                "gray",
            )
        )
    if summary.later_cents:
        lines.append(
            SummaryLine(
                "later",
                "Not yet due",
                money.format_cents(summary.later_cents),
                f"Bills due after {dates.short_date(summary.due_next_on)}" if summary.due_next_on else "",
                "gray",
            )
        )
    if summary.processing_cents:
        when = f"on {dates.short_date(summary.clears_on)}" if summary.clears_on else "in a few business days"
        lines.append(
            SummaryLine(
                "processing",
                "Processing",
                money.format_cents(summary.processing_cents),
                f"Counts when it clears {when}",
                "blue",
            )
        )
    if summary.credit_cents:
        lines.append(
            SummaryLine(
                "credit",
                "Credit",
                money.format_cents(summary.credit_cents),
                f"You have a {money.format_cents(summary.credit_cents)} credit; it pays your next bill",
                "green",
            )
        )
    if summary.all_paid_up:
        lines.append(SummaryLine("paid_up", "All paid up", "", "Nothing is owed right now. Thank you!", "green"))
    return lines


def summary_text(summary: MoneySummary) -> str:
    """The summary as plain text, for emails and documents."""
    return "\n".join(
        f"{line.label}: {line.amount} — {line.detail}" if line.amount else f"{line.label}: {line.detail}"
        for line in summary_lines(summary)
    )


@dataclasses.dataclass(frozen=True)
class CoverageLine:
    words: str
    tone: str
    timeline: tuple[str, ...]


def coverage_line(summary: MoneySummary) -> CoverageLine:
    """Coverage status in plain words, and what happens next, as a short timeline."""
    status = summary.coverage_status
    if status == CoverageStatus.TERMINATED:
        ended = f" on {dates.short_date(summary.terminated_on)}" if summary.terminated_on else ""
        return CoverageLine(
            f"Coverage ended{ended}",
            "red",
            (f"Your coverage ended{ended}.", f"To re-enroll: {contact.call_line()}"),
        )
    if status == CoverageStatus.PENDING_FIRST_PAYMENT:
        start = dates.short_date(summary.coverage_start)
        if summary.first_payment_clearing:
            clears = f" by {dates.short_date(summary.clears_on)}" if summary.clears_on else ""
            return CoverageLine(
                "Your first payment is clearing",
                "blue",
                (f"Your first payment should clear{clears}.", f"Your coverage starts {start} once it clears."),
            )
        return CoverageLine(
            "Pending first payment",
            "orange",
            (f"Pay your first premium to start your coverage on {start}.",),
        )
    if status == CoverageStatus.IN_GRACE and summary.grace_ends_on:
        ends = dates.short_date(summary.grace_ends_on)
        steps = []
        if summary.past_due_since:
            steps.append(f"Your premium was due {dates.short_date(summary.past_due_since)}.")
        if summary.termination_warning_on and summary.termination_warning_on > summary.today:
            steps.append(f"We'll send a Termination Warning on {dates.short_date(summary.termination_warning_on)}.")
        steps.append(f"Your coverage ends after {ends} if the past-due amount is still unpaid.")
        return CoverageLine(f"In grace period until {ends}", "orange", tuple(steps))
    if summary.coverage_start > summary.today:
        return CoverageLine(f"Active from {dates.short_date(summary.coverage_start)}", "green", ())
    if summary.past_due_cents > 0:
        return CoverageLine("Payment due", "orange", ("Pay the past-due amount to keep your coverage.",))
    return CoverageLine("Active", "green", ())


# --- Bills a member can open (`billing.bills`) and the yearly premium summary for taxes ---------


@dataclasses.dataclass(frozen=True)
class BillLine:
    """One labelled amount on a bill: `key` names it for pages and tests."""

    key: str
    label: str
    amount: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class PayOption:
    """One way to pay a bill; `key` tells the page which page to link (make_payment, autopay, guest)."""

    key: str
    label: str
    text: str


BILL_NOT_FOUND = "We couldn't find a bill for that month on your account."
NO_SUMMARY = "There are no bills on your account for that year."
NOT_KNOWN = "—"


def bill_title(coverage_month: dt.date) -> str:
    return f"Bill for {dates.month_label(coverage_month)}"


def bill_link_label(coverage_month: dt.date) -> str:
    """How a link to a bill reads (history rows, the dashboard)."""
    return f"View bill for {dates.month_label(coverage_month)}"


def tax_credit_label(plan_name: str) -> str:
    """The tax credit (APTC), or for a ConnectorCare plan the tax credit with the state's subsidy."""
    return "Tax credit and ConnectorCare subsidy" if "connectorcare" in plan_name.casefold() else "Tax credit (APTC)"


def premium_lines(share_cents: int, full_cents: int | None, credit_cents: int | None, plan_name: str) -> list[BillLine]:
    """The premium as the roster gave it: full premium, tax credit and the member's share — or, when
    the roster had no breakdown, just the premium the member pays."""
    if full_cents is None or credit_cents is None:
        return [BillLine("share", "Premium (your share)", money.format_cents(share_cents))]
    return [
        BillLine("full", "Full monthly premium", money.format_cents(full_cents)),
        BillLine("credit", tax_credit_label(plan_name), money.format_cents(-credit_cents), "Paid to your plan for you"),
        BillLine("share", "Your share", money.format_cents(share_cents)),
    ]


BILL_STATUS_LABELS = {
    "paid": ("Paid", "green"),
    "processing": ("Payment processing", "blue"),
    "past_due": ("Past due", "red"),
    "partially_paid": ("Partially paid", "amber"),
    "open": ("Open", "blue"),
}


def bill_status_detail(
    status: str, *, unpaid_cents: int, processing_cents: int, due_on: dt.date, clears_on: dt.date | None
) -> str:
    """What a bill's status means for the member, in one or two sentences."""
    clearing = ""
    if processing_cents:
        when = f"on {dates.short_date(clears_on)}" if clears_on else "in a few business days"
        on_its_way = money.format_cents(processing_cents)
        clearing = f"{on_its_way} from your bank is on its way; it counts when it clears {when}."
    if status == "paid":
        return "Paid in full. Thank you!"
    if status == "processing":
        return clearing
    owed = money.format_cents(unpaid_cents)
    if status == "past_due":
        text = f"{owed} was due {dates.short_date(due_on)}. Pay now to keep your coverage."
    elif status == "partially_paid":
        text = f"{owed} is still due by {dates.short_date(due_on)}."
    else:
        text = f"{owed} is due by {dates.short_date(due_on)}."
    return f"{text} {clearing}".strip()


def applied_note(processing: bool, clears_on: dt.date | None) -> str:
    """The note beside a payment applied to a bill: a bank debit still on its way doesn't count yet."""
    if not processing:
        return "Received"
    return f"Processing — counts when it clears on {dates.short_date(clears_on)}" if clears_on else "Processing"


def credit_applied_label() -> str:
    return "Credit on your account"


def how_to_pay(account_number: str) -> list[PayOption]:
    """The ways to pay a bill, the same on the bill page and its PDF."""
    return [
        PayOption("make_payment", "Make a Payment", "Log in and pay by card or bank account now, or pick a date."),
        PayOption(
            "autopay",
            "Automatic Payments",
            "Set it up once in Settings and each bill is paid from your card or bank account.",
        ),
        PayOption(
            "guest",
            "Pay as a guest",
            f"Anyone can pay without logging in, with billing account number {account_number}.",
        ),
    ]


def how_to_pay_text(account_number: str, base_url: str) -> list[str]:
    """How to pay, for a printed bill (no links to tap): where to go, then each way."""
    return [f"Online at {base_url}:"] + [f"{o.label}: {o.text}" for o in how_to_pay(account_number)]


def summary_title(year: int) -> str:
    return f"Yearly premium summary for {year}"


SUMMARY_HEADERS = ["Month", "Full premium", "Tax credit", "Your share billed", "Paid"]


def refund_line(on: dt.date, amount_cents: int, reference: str, payment_reference: str) -> str:
    return (
        f"Refund {reference}: {money.format_cents(amount_cents)} sent back to you on {dates.short_date(on)}, "
        f"from payment {payment_reference}."
    )


DISPUTE_OUTCOMES = {
    "open": "still open",
    "won": "closed, the payment counts",
    "lost": "closed, the money was taken back",
}


def dispute_line(on: dt.date, amount_cents: int, reference: str, payment_reference: str, status: str) -> str:
    return (
        f"Dispute {reference}: your payment {payment_reference} of {money.format_cents(amount_cents)} was disputed "
        f"on {dates.short_date(on)} ({DISPUTE_OUTCOMES.get(status, status)})."
    )


def summary_notes(
    *, as_of: dt.date, missing_breakdown: bool, fees_cents: int, processing_cents: int, money_back: tuple[str, ...] = ()
) -> list[str]:
    """The notes under the yearly table: what a blank means, and what the table leaves out."""
    notes = [f"Paid is what you had paid toward each month's premium as of {dates.short_date(as_of)}."]
    if missing_breakdown:
        notes.append(
            f"{NOT_KNOWN} Your enrollment record had no full premium or tax credit for that month: "
            "your share is the premium we billed. Your Form 1095-A from the Health Connector has the full figures."
        )
    if fees_cents:
        notes.append(f"Late fees and adjustments ({money.format_cents(fees_cents)}) are not premium and are left out.")
    if processing_cents:
        notes.append(
            f"{money.format_cents(processing_cents)} from your bank is still clearing and is not counted as paid yet."
        )
    if money_back:
        notes.append("Paid counts what stayed paid: money sent back or disputed is not counted.")
        notes.extend(money_back)
    notes.append("Keep this summary with your tax records.")
    return notes
