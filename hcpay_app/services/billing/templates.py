"""Every word about what is owed: the money summary and coverage status as a member reads them,
reminders before a due date, past due, late fees, the grace period, the Termination Warning and the
end of coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hcpay_app.models import CoverageStatus
from hcpay_app.services.billing.summary import MoneySummary
from hcpay_app.services.common import dates, money
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
        f"{dates.short_date(terminated_on)}. Contact customer service about re-enrolling.",
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
            (f"Your coverage ended{ended}.", "Contact customer service about re-enrolling."),
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
