"""What each payment status means to a member, in plain words."""

from __future__ import annotations

import datetime as dt
import re

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import N_, Dated, Msg
from hcpay_app.models import Payment, PaymentStatus

LABELS = {
    PaymentStatus.SCHEDULED: Msg("Scheduled"),
    PaymentStatus.PROCESSING: Msg("Processing"),
    PaymentStatus.PENDING: Msg("Pending"),
    PaymentStatus.SUCCEEDED: Msg("Paid"),
    PaymentStatus.DECLINED: Msg("Declined"),
    PaymentStatus.RETURNED: Msg("Returned"),
    PaymentStatus.CANCELED: Msg("Canceled"),
    PaymentStatus.DISPUTED: Msg("Disputed"),
}
# What a payment's timeline says happened (kept on the payment's events as English words, shown
# in the member's language through `known_text`).
NOTE_SCHEDULED = Msg("Scheduled online")
NOTE_SUBMITTED = Msg("Submitted online")
NOTE_SENT = Msg("Sent to your bank")
NOTE_APPROVED = Msg("Approved")
NOTE_CANCELED_BY_YOU = Msg("Canceled by you")
NOTES = (NOTE_SCHEDULED, NOTE_SUBMITTED, NOTE_SENT, NOTE_APPROVED, NOTE_CANCELED_BY_YOU)
# Timeline notes with values in them (a reference, an amount, a bank's reason), as their message ids.
NOTE_TEMPLATES = (
    N_("Refunded {amount} ({reference})"),
    N_("Disputed with your card issuer ({reference})"),
    N_("Dispute {reference} closed"),
    N_("Dispute {reference} closed: the issuer kept it"),
    N_("Returned by your bank: {reason}"),
    # Ledger entries' descriptions (a statement's lines). The billing ledger's own ("Payment {reference}",
    # "Returned payment {reference}: {reason}", …) are written there; theirs read back the same way.
    N_("Dispute fee ({reference})"),
    N_("Dispute fee waived: dispute {reference} closed in our favor"),
    N_("Refund {reference} of payment {payment}"),
    N_("Payment {reference}"),
    N_("Returned payment {reference}: {reason}"),
    N_("Disputed payment {payment} ({reference})"),
    N_("Dispute {reference} closed: payment {payment} counts again"),
    N_("Disputed payment {payment_reference} ({reference})"),
    N_("Dispute {reference} closed: payment {payment_reference} counts again"),
    # Billing's own lines (a premium, a late fee, a credit used) and the console's adjustments,
    # whose {why} is what the agent wrote.
    N_("Premium for {month}"),
    N_("Late fee: {month} premium unpaid"),
    N_("Credit of {amount} applied to the {month} bill"),
    N_("Credit of {amount} used for the {month} bill"),
    N_("Late fee waived: {why}"),
    N_("Credit: {why}"),
    N_("Adjustment: {why}"),
)
# Parameters stored as English words that are dates: read back as dates, so they show per locale.
_MONTH_PARAMS = {"month"}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)) + r"\Z"
    )


_NOTE_PATTERNS = tuple((template, _pattern(template)) for template in NOTE_TEMPLATES)
TONES = {
    PaymentStatus.SCHEDULED: "blue",
    PaymentStatus.PROCESSING: "blue",
    PaymentStatus.PENDING: "amber",
    PaymentStatus.SUCCEEDED: "green",
    PaymentStatus.DECLINED: "red",
    PaymentStatus.RETURNED: "red",
    PaymentStatus.CANCELED: "gray",
    PaymentStatus.DISPUTED: "red",
}


def explain(payment: Payment) -> str:
    """What the status means and when to expect the next step."""
    status = payment.status
    if status == PaymentStatus.SCHEDULED:
        return Msg(
            "This payment will be made on {day}. You can cancel it from your dashboard until then.",
            day=Dated(payment.payment_date),
        )
    if status == PaymentStatus.PROCESSING:
        return Msg(
            "We're processing this payment. This usually takes a few seconds; refresh the page to see the result."
        )
    if status == PaymentStatus.PENDING:
        days = get_settings().bank_settle_business_days
        if payment.expected_settle_on:
            return Msg(
                "Bank payments take {days} business days. We expect this one to clear by {day}, and it counts "
                "toward your bill once it clears. While it's on its way, no late fee is added for the amount it "
                "covers. If your bank returns it, we'll tell you why.",
                days=days,
                day=Dated(payment.expected_settle_on),
            )
        return Msg(
            "Bank payments take {days} business days. We expect this one to clear within {days} business days, "
            "and it counts toward your bill once it clears. While it's on its way, no late fee is added for the "
            "amount it covers. If your bank returns it, we'll tell you why.",
            days=days,
        )
    if status == PaymentStatus.SUCCEEDED:
        return Msg("Your payment was received and applied to your bill. Keep the reference number for your records.")
    if status == PaymentStatus.DECLINED:
        return reason_text(payment.reason_message) or Msg(
            "This payment was declined. Nothing was charged. Try another card or bank account."
        )
    if status == PaymentStatus.RETURNED:
        reason = reason_text(payment.reason_message) or Msg("your bank returned it")
        return Msg(
            "Your bank returned this payment: {reason} The amount is owed again. "
            "Please make a new payment, from another account if needed.",
            reason=reason,
        )
    if status == PaymentStatus.DISPUTED:
        return Msg(
            "This payment was disputed with your card issuer, who took the money back. It no longer counts "
            "toward your bills: please pay what is due."
        )
    if status == PaymentStatus.CANCELED:
        return Msg("This payment was canceled before it was made. Nothing was charged.")
    return ""


def reason_text(stored: str | None) -> str | None:
    """A decline or return reason as kept on the payment (its English words) back as the message it
    was written from, so it reads in the member's language; a reason not among ours stays as it is."""
    return known_text(stored)


# Messages written elsewhere and kept as their English words (decline and return reasons):
# `payments.templates` registers them here, as it imports this module (not the other way round).
_REMEMBERED: list[Msg] = []


def remember(*messages: Msg) -> None:
    _REMEMBERED.extend(messages)


def known_text(stored: str | None) -> str | None:
    """Words of ours kept in the database (a decline reason, a timeline note) back as their message."""
    if not stored or isinstance(stored, Msg):
        return stored
    for message in (*_REMEMBERED, *NOTES):
        if str(message) == stored:
            return message
    for template, pattern in _NOTE_PATTERNS:
        found = pattern.match(stored)
        if found:
            return Msg(template, **{name: _read_back(name, value) for name, value in found.groupdict().items()})
    return stored


def _read_back(name: str, value: str):
    if name in _MONTH_PARAMS:
        try:
            return Dated(dt.datetime.strptime(value, "%B %Y").date(), "month")
        except ValueError:
            return value
    return known_text(value)
