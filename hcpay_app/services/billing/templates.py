"""Every notice about what is owed: reminders before a due date, past due, late fees, the grace
period, the Termination Warning and the end of coverage."""

from __future__ import annotations

import datetime as dt

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
        f"Delinquency notice: your new due date is {dates.short_date(new_due_on)}. Pay "
        f"{money.format_cents(past_due_cents)} by then to keep your coverage.",
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
