"""Every word about one payment: why a card was declined or a bank debit returned (by processor
code), the emails — receipt, bank payment submitted, scheduled, declined, returned, cleared and
canceled — and the notices in the portal when a payment is received, clears or is returned. What
each status means in plain words is in `statuses`, which these emails quote."""

from __future__ import annotations

import datetime as dt

from hcpay_app.models import NoticeKind, Payment, PaymentStatus
from hcpay_app.services.common import dates, money
from hcpay_app.services.common.messages import Message
from hcpay_app.services.payments import statuses

# Decline codes and what a member is told: what happened, then what to do.
DECLINE_MESSAGES = {
    "generic_decline": "Your bank declined this card. Try another card or pay from a bank account.",
    "insufficient_funds": (
        "Your bank declined this card for insufficient funds. Try another card or pay from a bank account."
    ),
    "expired_card": "This card has expired. Use another card or pay from a bank account.",
    "incorrect_cvc": (
        "The security code (CVC) doesn't match this card. Check the code on the back of your card and try again."
    ),
    "processing_error": (
        "We couldn't process this card because of an error at the card network. Nothing was charged. "
        "Please try again in a few minutes."
    ),
    "card_declined": "This card was declined. Try another card or pay from a bank account.",
}
RETURN_MESSAGES = {
    "R01": "There weren't enough funds in the account (R01).",
    "R02": "The bank account is closed (R02).",
    "R03": "The bank couldn't find an account with that number (R03).",
    "R04": "The account number isn't valid (R04).",
    "R10": "The account holder told their bank this debit wasn't authorized (R10).",
}
# When a processor code has no words of its own.
DECLINED_FALLBACK = "card_declined"
RETURNED_FALLBACK = "Your bank returned the payment."

SUBJECTS = {
    NoticeKind.PAYMENT_RECEIPT: "Payment received — {reference}",
    NoticeKind.PAYMENT_PENDING: "Bank payment submitted — {reference}",
    NoticeKind.PAYMENT_SCHEDULED: "Payment scheduled — {reference}",
    NoticeKind.PAYMENT_DECLINED: "Payment declined — {reference}",
    NoticeKind.PAYMENT_RETURNED: "Your bank returned a payment — {reference}",
    NoticeKind.PAYMENT_SETTLED: "Bank payment cleared — {reference}",
    NoticeKind.PAYMENT_CANCELED: "Scheduled payment canceled — {reference}",
}


def payment_email(
    kind: NoticeKind, payment: Payment, *, first_name: str, account_number: str, lead: str = "", account_now: str = ""
) -> Message:
    """The email for `kind` about `payment`; `lead` is a paragraph saying why, put first;
    `account_now` the account's money summary after it (the same lines as the dashboard)."""
    outcome = payment.reason_message if payment.status == PaymentStatus.DECLINED else statuses.explain(payment)
    if kind == NoticeKind.PAYMENT_SCHEDULED and not lead:
        lead = scheduled_lead(payment)
    return Message(
        SUBJECTS[kind].format(reference=payment.reference),
        f"Hello {first_name},\n\n" + (f"{lead}\n\n" if lead else "") + f"Reference number: {payment.reference}\n"
        f"Amount: {money.format_cents(payment.amount_cents)}\n"
        f"Method: {payment.method_label}\n"
        f"Payment date: {dates.short_date(payment.payment_date)}\n"
        f"Billing account: {account_number}\n"
        f"Status: {statuses.LABELS.get(payment.status, payment.status)}\n\n"
        f"{outcome}\n\n"
        + (f"Your account now:\n{account_now}\n\n" if account_now else "")
        + "Save this reference number for your records.",
    )


def payment_notice(kind: NoticeKind, payment: Payment) -> Message:
    """The notice in the portal when a payment is received, a bank payment clears or a bank returns
    one: a few words (the email, sent as well, has every detail)."""
    amount, method = money.format_cents(payment.amount_cents), payment.method_label
    if kind == NoticeKind.PAYMENT_RECEIPT:
        body = (
            f"We received your payment of {amount} ({method}) on {dates.short_date(payment.payment_date)}. Thank you!"
        )
    elif kind == NoticeKind.PAYMENT_SETTLED:
        body = f"Your bank payment of {amount} from {method} has cleared. It now counts toward your bills. Thank you!"
    elif kind == NoticeKind.PAYMENT_RETURNED:
        body = (
            f"Your bank returned your payment of {amount} from {method}: "
            f"{payment.reason_message or RETURNED_FALLBACK} The amount is owed again. Please make a new "
            "payment, from another account if needed."
        )
    else:
        raise ValueError(f"no notice for {kind}")
    return Message(
        SUBJECTS[kind].format(reference=payment.reference), f"{body}\n\nReference number: {payment.reference}"
    )


def canceled_by_support_lead(payment: Payment) -> str:
    """Why the member gets the "canceled" email when support canceled a scheduled payment."""
    return (
        f"Our support team canceled your scheduled payment of {money.format_cents(payment.amount_cents)} that "
        f"was to be made on {dates.short_date(payment.payment_date)}. Nothing was charged. If you didn't ask "
        "for this, please contact us under Help → Contact support."
    )


def canceled_by_support(payment: Payment) -> Message:
    """The notice in the portal when support canceled a scheduled payment."""
    return Message(
        f"Scheduled payment canceled — {payment.reference}",
        f"{canceled_by_support_lead(payment)}\n\nReference number: {payment.reference}",
    )


# --- Make a Payment: amount choices, warnings, authorization and confirmation -----------------

CHOOSE_AMOUNT = "Choose how much to pay."
NOTHING_DUE = "There's nothing due right now. Choose “Another amount” to pay ahead."


def past_due_choice(past_due_cents: int) -> str:
    return f"Past due: {money.format_cents(past_due_cents)}"


def current_choice(
    current_cents: int, coverage_month: dt.date | tuple[dt.date, ...] | None, due_on: dt.date | None
) -> str:
    """ "December 2026 bill: $450.00, due Nov 23, 2026" — or, when several bills fall due that
    day, "January and February 2027 bills: $900.00, due Feb 8, 2027"."""
    months = tuple(coverage_month) if isinstance(coverage_month, (tuple, list)) else (coverage_month,)
    months = tuple(m for m in months if m is not None)
    if len(months) > 1:
        names = [m.strftime("%B") if m.year == months[-1].year else dates.month_label(m) for m in months]
        name = f"{', '.join(names[:-1])} and {dates.month_label(months[-1])} bills"
    else:
        name = f"{dates.month_label(months[0])} bill" if months else "Bill due next"
    due = f", due {dates.short_date(due_on)}" if due_on else ""
    return f"{name}: {money.format_cents(current_cents)}{due}"


def everything_owed_choice(owed_cents: int) -> str:
    return f"Everything owed: {money.format_cents(owed_cents)}"


def first_premium_choice(first_premium_cents: int, coverage_start: dt.date | None) -> str:
    starts = f" (starts your coverage on {dates.short_date(coverage_start)})" if coverage_start else ""
    return f"First premium: {money.format_cents(first_premium_cents)}{starts}"


def amount_warnings(
    *,
    amount_cents: int,
    owed_cents: int,
    past_due_cents: int,
    payment_date: dt.date,
    grace_ends_on: dt.date | None,
) -> list[str]:
    """What a member should know before paying this amount on this date; they may go on."""
    warnings = []
    if amount_cents > owed_cents:
        extra = money.format_cents(amount_cents - owed_cents)
        warnings.append(
            f"This is {extra} more than everything you owe ({money.format_cents(owed_cents)}). "
            f"The extra {extra} becomes a credit toward your future bills."
        )
    if past_due_cents > 0 and grace_ends_on is not None and payment_date > grace_ends_on:
        ends = dates.short_date(grace_ends_on)
        warnings.append(
            f"Your grace period ends {ends}. This payment is dated {dates.short_date(payment_date)}, after that "
            f"date, so your coverage may end before it is made. To keep your coverage, pay the past-due amount "
            f"by {ends}."
        )
    return warnings


def submit_words(scheduled: bool) -> str:
    """The review button's words, which the authorization text quotes."""
    return "Schedule payment" if scheduled else "Submit payment"


def card_authorization(*, amount: str, date_text: str, method: str, scheduled: bool) -> str:
    return (
        f"By selecting {submit_words(scheduled)}, you authorize a one-time charge of {amount} to {method} "
        f"on {date_text}."
    )


def debit_authorization(*, amount: str, date_text: str, method: str, scheduled: bool) -> str:
    """The authorization a bank expects for an online one-time debit (NACHA WEB): the amount, the
    date, the account, and how to revoke it."""
    if scheduled:
        revoke = (
            f"You can revoke this authorization by canceling the payment on your dashboard before {date_text}, "
            "or by contacting support (Help → Contact support) before then."
        )
    else:
        revoke = (
            "You can revoke this authorization by contacting support (Help → Contact support) before the "
            "debit is sent to your bank, the same day."
        )
    return (
        f"By selecting {submit_words(scheduled)}, you authorize the Health Connector to make a one-time "
        f"electronic debit of {amount} from your account {method} on {date_text}. "
        f"If the debit is returned, the amount is owed again. {revoke}"
    )


def confirmation_heading(*, status: str, amount: str, date_text: str) -> str:
    if status == PaymentStatus.SCHEDULED:
        return f"Your payment of {amount} is scheduled for {date_text}."
    if status == PaymentStatus.PENDING:
        return f"Your bank payment of {amount} was sent to your bank on {date_text}."
    return f"Thank you! We received your payment of {amount} on {date_text}."


def confirmation_email_note(status: str) -> str:
    """What we emailed: a receipt only for money received."""
    if status == PaymentStatus.SCHEDULED:
        return (
            "We've emailed you a notice that this payment is scheduled. It is not a receipt: "
            "we'll email your receipt once the payment is made."
        )
    if status == PaymentStatus.PENDING:
        return "We've emailed you that your bank payment was submitted. Your receipt is ready once it clears."
    return "We've emailed you a receipt."


def balance_left(balance_cents: int, credit_cents: int) -> str:
    if credit_cents > 0 and balance_cents == 0:
        return f"$0.00 (a {money.format_cents(credit_cents)} credit toward future bills)"
    return money.format_cents(balance_cents)


AUTOPAY_PROMPT = "Never miss a due date: set up Automatic Payments to pay each bill on time."


def scheduled_lead(payment: Payment) -> str:
    """The first paragraph of the scheduling notice: it is not a receipt."""
    return (
        f"Your payment of {money.format_cents(payment.amount_cents)} is scheduled for "
        f"{dates.short_date(payment.payment_date)}. This is a scheduling notice, not a receipt: nothing has "
        "been charged yet. We'll email your receipt once the payment is made."
    )


# --- Money going back: refunds and card disputes ----------------------------------------------

REFUND_STATUS_LABELS = {"pending": "Refund pending", "refunded": "Refunded", "failed": "Refund failed"}
DISPUTE_STATUS_LABELS = {"open": "Dispute open", "won": "Dispute closed — payment kept", "lost": "Dispute closed"}
REFUND_REFUSALS = {
    "returned": "This payment was returned by the bank, so its money never arrived: there is nothing to refund.",
    "disputed": (
        "This payment was disputed with the card issuer, who already took the money back: it can't be refunded."
    ),
    "pending": "This bank payment hasn't cleared yet. It can be refunded once it clears.",
    "other": "Only a payment that went through can be refunded.",
    "nothing_left": "This payment has already been refunded in full.",
}


def refund_exceeds(remaining_cents: int) -> str:
    return f"Only {money.format_cents(remaining_cents)} of this payment is left to refund."


def refund_leaves_unpaid(unpaid_cents: int) -> str:
    """The warning staff read before confirming a refund larger than the member's credit."""
    return (
        f"This refund is more than the member's credit: it would leave {money.format_cents(unpaid_cents)} "
        "unpaid on their bills."
    )


def refund_method_words(method_kind: str) -> str:
    return "a refund to the card" if method_kind == "card" else "a deposit (ACH credit) to the bank account"


def refund_issued(
    *,
    first_name: str,
    amount_cents: int,
    refund_reference: str,
    payment_reference: str,
    method_label: str,
    method_kind: str,
    reason: str,
    account_now: str = "",
) -> Message:
    """The email and notice telling a member money was sent back to them."""
    timing = (
        "It can take 5 to 10 business days to show on your statement."
        if method_kind == "card"
        else ("It usually reaches your account within 2 business days.")
    )
    return Message(
        f"Refund issued — {refund_reference}",
        f"Hello {first_name},\n\nWe sent you {money.format_cents(amount_cents)} back, as "
        f"{refund_method_words(method_kind)} {method_label}. {timing}\n\n"
        f"Refund reference: {refund_reference}\n"
        f"From payment: {payment_reference}\n"
        f"Reason: {reason}\n\n"
        + (f"Your account now:\n{account_now}\n\n" if account_now else "")
        + "Save this reference number for your records.",
    )


def refund_notice(*, amount_cents: int, refund_reference: str, method_label: str) -> Message:
    return Message(
        f"Refund issued — {refund_reference}",
        f"We sent you {money.format_cents(amount_cents)} back to {method_label}. You'll see it in your payment "
        f"history.\n\nRefund reference: {refund_reference}",
    )


def refund_requested(first_name: str, amount_cents: int, ticket_number: str) -> Message:
    return Message(
        f"We received your refund request {ticket_number}",
        f"Hello {first_name},\n\nYou asked us to pay back your {money.format_cents(amount_cents)} credit. "
        f"Your request number is {ticket_number}. Our support team will review it and tell you the outcome, "
        "in the portal and by email. The refund goes back to the card or bank account you paid with.",
    )


REFUND_REQUEST_MESSAGE = "Please refund my credit of {amount} to the card or bank account I paid with."


def refund_request_declined(amount_cents: int, ticket_number: str, reason: str) -> Message:
    return Message(
        f"Your refund request {ticket_number} was declined",
        f"We reviewed your request to refund your {money.format_cents(amount_cents)} credit and can't refund "
        f"it: {reason} The credit stays on your account and pays your next bills. Questions? Reply under "
        "Help → My requests.",
    )


def refund_request_approved_reply(amount_cents: int, references: list[str]) -> str:
    return (
        f"Your refund of {money.format_cents(amount_cents)} was approved and sent "
        f"(refund reference {', '.join(references)})."
    )


def auto_refund_reason(terminated_on: dt.date) -> str:
    return f"Credit left after coverage ended on {dates.short_date(terminated_on)}"


def payment_disputed(
    *,
    first_name: str,
    amount_cents: int,
    payment_reference: str,
    dispute_reference: str,
    method_label: str,
    fee_cents: int,
    account_now: str = "",
) -> Message:
    """Plain words for a chargeback: what happened, what it means, what to do."""
    fee = f" A dispute fee of {money.format_cents(fee_cents)} was added to your bill." if fee_cents > 0 else ""
    return Message(
        f"Your card payment was disputed — {payment_reference}",
        f"Hello {first_name},\n\nYour card issuer told us you disputed your payment of "
        f"{money.format_cents(amount_cents)} ({method_label}), and took the money back. So that payment no "
        f"longer counts, and the bill it paid is open again.{fee}\n\n"
        "If you didn't mean to dispute it, tell your card issuer and contact us under Help → Contact support. "
        "To keep your coverage, please pay the bill again.\n\n"
        f"Dispute reference: {dispute_reference}\nPayment: {payment_reference}\n\n"
        + (f"Your account now:\n{account_now}\n\n" if account_now else "")
        + "Save this reference number for your records.",
    )


def dispute_closed(*, won: bool, amount_cents: int, payment_reference: str, dispute_reference: str) -> Message:
    if won:
        body = (
            f"The dispute of your payment of {money.format_cents(amount_cents)} was closed in our favor: the "
            "payment counts toward your bills again."
        )
    else:
        body = (
            f"The dispute of your payment of {money.format_cents(amount_cents)} was closed: your card issuer "
            "kept the money, so the payment doesn't count toward your bills. Please pay any amount due."
        )
    return Message(
        f"Dispute closed — {dispute_reference}",
        f"{body}\n\nDispute reference: {dispute_reference}\nPayment: {payment_reference}",
    )
