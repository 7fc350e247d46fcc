"""Every word about one payment: why a card was declined or a bank debit returned (by processor
code), the emails — receipt, bank payment submitted, scheduled, declined, returned, cleared and
canceled — and the notices in the portal when a payment is received, clears or is returned. What
each status means in plain words is in `statuses`, which these emails quote."""

from __future__ import annotations

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
