"""Every notice about Automatic Payments and payment plans: confirmations of each change, the
pre-debit notice, an expiring card, charges made, failed or returned, and a plan's milestones."""

from __future__ import annotations

import datetime as dt

from hcpay_app.services.common import dates, money
from hcpay_app.services.common.messages import Message

WHERE_TO_CHANGE = "Settings → Automatic Payments"


def autopay_changed(
    title: str, *, method: str, amount: str, frequency: str, next_charge: str, paused_until: str
) -> Message:
    """Confirmation of turning Automatic Payments on, updating, pausing or resuming them."""
    body = f"{title}.\n\nMethod: {method}\nAmount: {amount}\nFrequency: {frequency}\n"
    if next_charge:
        body += f"Next charge: {next_charge}\n"
    if paused_until:
        body += f"Paused until: {paused_until}\n"
    body += "\nYou can change, pause or cancel Automatic Payments in Settings."
    return Message(title, body)


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
