"""Every notice about Automatic Payments and payment plans: confirmations of each change, the
pre-debit notice, an expiring card, charges made, failed or returned, and a plan's milestones."""

from __future__ import annotations

import datetime as dt

from hcpay_app.i18n.message import Msg, join
from hcpay_app.services.common import money
from hcpay_app.services.common.messages import Message

WHERE_TO_CHANGE = Msg("Settings → Automatic Payments")


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
    parts: list[str] = [
        Msg("{title}.", title=title),
        "\n\n",
        Msg("Method: {method}", method=method),
        "\n",
        Msg("Amount: {amount}", amount=amount),
        "\n",
        Msg("Frequency: {frequency}", frequency=frequency),
        "\n",
    ]
    if next_charge:
        parts += [Msg("Next charge: {next_charge}", next_charge=next_charge), "\n"]
    if paused_until:
        parts += [Msg("Paused until: {paused_until}", paused_until=paused_until), "\n"]
    if pay_by_hand:
        parts += ["\n", pay_by_hand, "\n"]
    parts += ["\n", Msg("You can change, pause or cancel Automatic Payments in Settings.")]
    return Message(title, join("", parts))


# ---- the set-up's review and a pause, in words -------------------------------------------------

FULL_AMOUNT = Msg("The full amount due each time")
NO_METHOD = Msg("Choose a card or bank account to pay from, or add a new one.")
SAVED_FOR_LATER = Msg("{label} was saved to your payment methods.")
COUNTS_CREDIT = Msg("Your {credit} credit is used first, so we charge only what it doesn't cover.")
COUNTS_PAYMENTS = Msg(
    "Amounts count payments you've already made or scheduled. If your bill changes, so does the charge."
)
CREDIT_COVERS = Msg("Nothing to charge: already paid or covered by your credit")


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th … 21st, 22nd, 23rd, 28th."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def amount_rule_text(rule: str, fixed_cents: int | None) -> str:
    """ "The full amount due each time" or "A fixed $400.00 each time"."""
    if rule == "fixed":
        return Msg("A fixed {amount} each time", amount=money.format_cents(fixed_cents or 0))
    return FULL_AMOUNT


def frequency_text(months: int) -> str:
    return Msg("Monthly") if months == 1 else Msg("Quarterly (every 3 months)")


def charge_day_text(day: int, months: int) -> str:
    """ "The 18th of every month" or "The 18th, every 3 months" (one message per English suffix, so
    each language words the day its own way)."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    if months == 1:
        monthly = {
            "st": Msg("The {day}st of every month", day=day),
            "nd": Msg("The {day}nd of every month", day=day),
            "rd": Msg("The {day}rd of every month", day=day),
            "th": Msg("The {day}th of every month", day=day),
        }
        return monthly[suffix]
    quarterly = {
        "st": Msg("The {day}st, every 3 months", day=day),
        "nd": Msg("The {day}nd, every 3 months", day=day),
        "rd": Msg("The {day}rd, every 3 months", day=day),
        "th": Msg("The {day}th, every 3 months", day=day),
    }
    return quarterly[suffix]


def first_charge_text(on: dt.date, amount_cents: int) -> str:
    return Msg("{day}: {amount}", day=on, amount=money.format_cents(amount_cents))


def pause_rules(today: dt.date, last: dt.date) -> str:
    """The hint under "Pause until", shown before any error."""
    return Msg(
        "Choose the day Automatic Payments start again: from {first} to {last}. We skip every charge day before "
        "it, and you pay those bills yourself.",
        first=today + dt.timedelta(days=1),
        last=last,
    )


def pause_date_refused(today: dt.date, last: dt.date) -> str:
    return Msg("Choose a date from {first} to {last} to resume on.", first=today + dt.timedelta(days=1), last=last)


def skipped_charges(skipped: list[tuple[dt.date, int]]) -> str:
    """What a pause skips and that the member pays it by hand ("" when it skips nothing)."""
    if not skipped:
        return ""
    (first_on, first_cents), rest = skipped[0], skipped[1:]
    text = Msg(
        "We won't charge {amount} on {day}. You need to pay it yourself with Make a Payment by its due date.",
        amount=money.format_cents(first_cents),
        day=first_on,
    )
    if len(rest) == 1:
        (on, cents) = rest[0]
        text += " " + Msg(
            "We'll also skip {amount} on {day}: pay those yourself too.", amount=money.format_cents(cents), day=on
        )
    elif len(rest) == 2:
        (on1, cents1), (on2, cents2) = rest
        text += " " + Msg(
            "We'll also skip {amount1} on {day1} and {amount2} on {day2}: pay those yourself too.",
            amount1=money.format_cents(cents1),
            day1=on1,
            amount2=money.format_cents(cents2),
            day2=on2,
        )
    elif rest:
        text += " " + Msg.plural(
            "We'll also skip {count} more charge day: pay those bills yourself too.",
            "We'll also skip {count} more charge days: pay those bills yourself too.",
            len(rest),
        )
    return text


def paused_without_date(amount_due_cents: int, failed: tuple[dt.date, int] | None = None) -> str:
    """A mandate the job paused (a failed charge or a removed method): nothing is charged until the
    member resumes it."""
    parts: list[str] = []
    if failed is not None:
        on, cents = failed
        parts.append(
            Msg("Your automatic payment of {amount} on {day} wasn't made.", amount=money.format_cents(cents), day=on)
        )
    parts.append(Msg("We won't charge anything until you resume Automatic Payments."))
    if amount_due_cents > 0:
        parts.append(
            Msg(
                "You owe {amount} now: pay it yourself with Make a Payment.",
                amount=money.format_cents(amount_due_cents),
            )
        )
    else:
        parts.append(Msg("Pay each bill yourself with Make a Payment until then."))
    return join(" ", parts)


def autopay_canceled() -> Message:
    return Message(
        Msg("Automatic Payments canceled"),
        Msg("Automatic Payments are now off. Remember to pay your premium by each due date."),
    )


def upcoming_charge(charge_on: dt.date, amount_cents: int, method: str) -> Message:
    return Message(
        Msg("Upcoming automatic payment"),
        Msg(
            "On {day} we'll charge {amount} to {method} for your Health Connector premium. To change it, go to "
            "{where}.",
            day=charge_on,
            amount=money.format_cents(amount_cents),
            method=method,
            where=WHERE_TO_CHANGE,
        ),
    )


def card_expiring(method: str, expires: dt.date, next_charge_on: dt.date) -> Message:
    month_year = expires.strftime("%m/%Y")  # as the card shows it: the same in every language
    return Message(
        Msg("Your card for Automatic Payments is expiring"),
        Msg(
            "{method} expires {expires}, before your next automatic payment on {day}. Add a new card in Settings → "
            "Payment methods and choose it for Automatic Payments.",
            method=method,
            expires=month_year,
            day=next_charge_on,
        ),
    )


def autopay_method_removed() -> Message:
    return Message(
        Msg("Automatic payment not made"),
        Msg(
            "Your Automatic Payments method was removed, so we paused Automatic Payments. Choose a new method in "
            "{where}.",
            where=WHERE_TO_CHANGE,
        ),
    )


def autopay_charged(amount_cents: int, method: str, reference: str) -> Message:
    return Message(
        Msg("Automatic payment made"),
        Msg(
            "We charged {amount} to {method}. Reference number: {reference}.",
            amount=money.format_cents(amount_cents),
            method=method,
            reference=reference,
        ),
    )


def autopay_failed_and_paused(amount_cents: int, reason: str) -> Message:
    return Message(
        Msg("Automatic Payments paused"),
        Msg(
            "Your automatic payment of {amount} failed: {reason} We've paused Automatic Payments. Please make a "
            "payment and update your method in {where}.",
            amount=money.format_cents(amount_cents),
            reason=reason,
            where=WHERE_TO_CHANGE,
        ),
    )


def autopay_failed_will_retry(amount_cents: int, reason: str, retry_on: dt.date) -> Message:
    return Message(
        Msg("Automatic payment failed"),
        Msg(
            "Your automatic payment of {amount} failed: {reason} We'll try again on {day}.",
            amount=money.format_cents(amount_cents),
            reason=reason,
            day=retry_on,
        ),
    )


def autopay_returned_and_paused(amount_cents: int, reason: str) -> Message:
    """A returned automatic debit: the notice in the portal, and the lead of the "returned" email."""
    return Message(
        Msg("Automatic Payments paused"),
        Msg(
            "Your bank returned your automatic payment of {amount}: {reason} We've paused Automatic Payments. Please "
            "make a payment and check your bank details in {where}.",
            amount=money.format_cents(amount_cents),
            reason=reason,
            where=WHERE_TO_CHANGE,
        ),
    )


def autopay_returned_will_retry(amount_cents: int, reason: str, retry_on: dt.date) -> Message:
    return Message(
        Msg("Automatic payment returned"),
        Msg(
            "Your bank returned your automatic payment of {amount}: {reason} We'll try again on {day}.",
            amount=money.format_cents(amount_cents),
            reason=reason,
            day=retry_on,
        ),
    )


def plan_created(past_due: str, schedule: list[tuple[dt.date, int]], *, charged_automatically: bool) -> Message:
    lines = join(
        "\n", ["  " + Msg("{day}: {amount}", day=day, amount=money.format_cents(amount)) for day, amount in schedule]
    )
    how = (
        Msg("We'll charge your chosen method on each date.")
        if charged_automatically
        else Msg("Pay each installment with Make a Payment.")
    )
    lead = Msg.plural(
        "You'll pay {past_due} in {count} installment:",
        "You'll pay {past_due} in {count} installments:",
        len(schedule),
        past_due=past_due,
    )
    return Message(Msg("Your payment plan is set up"), lead + "\n" + lines + "\n\n" + how)


def plan_ended() -> Message:
    return Message(
        Msg("Your payment plan has ended"),
        Msg(
            "An installment was missed, so your payment plan has ended and the remaining past-due balance is due "
            "now. Please make a payment to keep your coverage."
        ),
    )


def plan_completed() -> Message:
    return Message(Msg("Payment plan complete"), Msg("You've paid every installment of your payment plan. Thank you!"))


def fixed_above_maximum(maximum_cents: int) -> str:
    return Msg(
        "The most an automatic payment can be is {amount} (12 months of premium plus your balance).",
        amount=money.format_cents(maximum_cents),
    )
