"""Every notice about Automatic Payments and payment plans: confirmations of each change, the
pre-debit notice, an expiring card, charges made, failed or returned, and a plan's milestones."""

from __future__ import annotations

import datetime as dt

from hcpay_app.services.common import dates, money
from hcpay_app.services.common.messages import Message

WHERE_TO_CHANGE = "Settings → Automatic Payments"


def autopay_changed(
    title: str,
    *,
    method: str,
    amount: str,
    frequency: str,
    next_charge: str,
    paused_until: str,
    pay_by_hand: str = "",
) -> Message:
    """Confirmation of turning Automatic Payments on, updating, pausing or resuming them."""
    body = f"{title}.\n\nMethod: {method}\nAmount: {amount}\nFrequency: {frequency}\n"
    if next_charge:
        body += f"Next charge: {next_charge}\n"
    if paused_until:
        body += f"Paused until: {paused_until}\n"
    if pay_by_hand:
        body += f"\n{pay_by_hand}\n"
    body += "\nYou can change, pause or cancel Automatic Payments in Settings."
    return Message(title, body)


# ---- the set-up's review and a pause, in words -------------------------------------------------

FULL_AMOUNT = "The full amount due each time"
NO_METHOD = "Choose a card or bank account to pay from, or add a new one."
SAVED_FOR_LATER = "{label} was saved to your payment methods."
COUNTS_CREDIT = "Your {credit} credit is used first, so we charge only what it doesn't cover."
COUNTS_PAYMENTS = "Amounts count payments you've already made or scheduled. If your bill changes, so does the charge."
CREDIT_COVERS = "Nothing to charge: already paid or covered by your credit"


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th … 21st, 22nd, 23rd, 28th."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def amount_rule_text(rule: str, fixed_cents: int | None) -> str:
    """ "The full amount due each time" or "A fixed $400.00 each time"."""
    if rule == "fixed":
        return f"A fixed {money.format_cents(fixed_cents or 0)} each time"
    return FULL_AMOUNT


def frequency_text(months: int) -> str:
    return "Monthly" if months == 1 else "Quarterly (every 3 months)"


def charge_day_text(day: int, months: int) -> str:
    """ "The 18th of every month" or "The 18th, every 3 months"."""
    return f"The {ordinal(day)} of every month" if months == 1 else f"The {ordinal(day)}, every 3 months"


def first_charge_text(on: dt.date, amount_cents: int) -> str:
    return f"{dates.short_date(on)}: {money.format_cents(amount_cents)}"


def pause_rules(today: dt.date, last: dt.date) -> str:
    """The hint under "Pause until", shown before any error."""
    return (
        f"Choose the day Automatic Payments start again: from {dates.short_date(today + dt.timedelta(days=1))} "
        f"to {dates.short_date(last)}. We skip every charge day before it, and you pay those bills yourself."
    )


def pause_date_refused(today: dt.date, last: dt.date) -> str:
    return (
        f"Choose a date from {dates.short_date(today + dt.timedelta(days=1))} to {dates.short_date(last)} to resume on."
    )


def skipped_charges(skipped: list[tuple[dt.date, int]]) -> str:
    """What a pause skips and that the member pays it by hand ("" when it skips nothing)."""
    if not skipped:
        return ""
    (first_on, first_cents), rest = skipped[0], skipped[1:]
    text = (
        f"We won't charge {money.format_cents(first_cents)} on {dates.short_date(first_on)}. "
        "You need to pay it yourself with Make a Payment by its due date."
    )
    if 0 < len(rest) <= 2:
        listed = " and ".join(f"{money.format_cents(cents)} on {dates.short_date(on)}" for on, cents in rest)
        text += f" We'll also skip {listed}: pay those yourself too."
    elif rest:
        text += f" We'll also skip {len(rest)} more charge days: pay those bills yourself too."
    return text


def paused_without_date(amount_due_cents: int, failed: tuple[dt.date, int] | None = None) -> str:
    """A mandate the job paused (a failed charge or a removed method): nothing is charged until the
    member resumes it."""
    text = ""
    if failed is not None:
        on, cents = failed
        text = f"Your automatic payment of {money.format_cents(cents)} on {dates.short_date(on)} wasn't made. "
    text += "We won't charge anything until you resume Automatic Payments."
    if amount_due_cents > 0:
        text += f" You owe {money.format_cents(amount_due_cents)} now: pay it yourself with Make a Payment."
    else:
        text += " Pay each bill yourself with Make a Payment until then."
    return text


def autopay_canceled() -> Message:
    return Message(
        "Automatic Payments canceled", "Automatic Payments are now off. Remember to pay your premium by each due date."
    )


def upcoming_charge(charge_on: dt.date, amount_cents: int, method: str) -> Message:
    return Message(
        "Upcoming automatic payment",
        f"On {dates.short_date(charge_on)} we'll charge {money.format_cents(amount_cents)} to {method} "
        f"for your Health Connector premium. To change it, go to {WHERE_TO_CHANGE}.",
    )


def card_expiring(method: str, expires: dt.date, next_charge_on: dt.date) -> Message:
    return Message(
        "Your card for Automatic Payments is expiring",
        f"{method} expires {expires:%m/%Y}, before your next automatic payment on "
        f"{dates.short_date(next_charge_on)}. Add a new card in Settings → Payment methods and choose it for "
        "Automatic Payments.",
    )


def autopay_method_removed() -> Message:
    return Message(
        "Automatic payment not made",
        "Your Automatic Payments method was removed, so we paused Automatic Payments. "
        f"Choose a new method in {WHERE_TO_CHANGE}.",
    )


def autopay_charged(amount_cents: int, method: str, reference: str) -> Message:
    return Message(
        "Automatic payment made",
        f"We charged {money.format_cents(amount_cents)} to {method}. Reference number: {reference}.",
    )


def autopay_failed_and_paused(amount_cents: int, reason: str) -> Message:
    return Message(
        "Automatic Payments paused",
        f"Your automatic payment of {money.format_cents(amount_cents)} failed: {reason} We've paused Automatic "
        f"Payments. Please make a payment and update your method in {WHERE_TO_CHANGE}.",
    )


def autopay_failed_will_retry(amount_cents: int, reason: str, retry_on: dt.date) -> Message:
    return Message(
        "Automatic payment failed",
        f"Your automatic payment of {money.format_cents(amount_cents)} failed: {reason} "
        f"We'll try again on {dates.short_date(retry_on)}.",
    )


def autopay_returned_and_paused(amount_cents: int, reason: str) -> Message:
    """A returned automatic debit: the notice in the portal, and the lead of the "returned" email."""
    return Message(
        "Automatic Payments paused",
        f"Your bank returned your automatic payment of {money.format_cents(amount_cents)}: {reason} We've paused "
        f"Automatic Payments. Please make a payment and check your bank details in {WHERE_TO_CHANGE}.",
    )


def autopay_returned_will_retry(amount_cents: int, reason: str, retry_on: dt.date) -> Message:
    return Message(
        "Automatic payment returned",
        f"Your bank returned your automatic payment of {money.format_cents(amount_cents)}: {reason} "
        f"We'll try again on {dates.short_date(retry_on)}.",
    )


def plan_created(past_due: str, schedule: list[tuple[dt.date, int]], *, charged_automatically: bool) -> Message:
    lines = "\n".join(f"  {dates.short_date(day)}: {money.format_cents(amount)}" for day, amount in schedule)
    how = (
        "We'll charge your chosen method on each date."
        if charged_automatically
        else "Pay each installment with Make a Payment."
    )
    return Message(
        "Your payment plan is set up", f"You'll pay {past_due} in {len(schedule)} installments:\n{lines}\n\n{how}"
    )


def plan_ended() -> Message:
    return Message(
        "Your payment plan has ended",
        "An installment was missed, so your payment plan has ended and the remaining past-due balance "
        "is due now. Please make a payment to keep your coverage.",
    )


def plan_completed() -> Message:
    return Message("Payment plan complete", "You've paid every installment of your payment plan. Thank you!")


def fixed_above_maximum(maximum_cents: int) -> str:
    return (
        f"The most an automatic payment can be is {money.format_cents(maximum_cents)} "
        "(12 months of premium plus your balance)."
    )
