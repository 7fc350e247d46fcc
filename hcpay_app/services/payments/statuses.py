"""What each payment status means to a member, in plain words."""

from __future__ import annotations

from hcpay_app.config import get_settings
from hcpay_app.models import Payment, PaymentStatus
from hcpay_app.services.common import dates

LABELS = {
    PaymentStatus.SCHEDULED: "Scheduled",
    PaymentStatus.PROCESSING: "Processing",
    PaymentStatus.PENDING: "Pending",
    PaymentStatus.SUCCEEDED: "Paid",
    PaymentStatus.DECLINED: "Declined",
    PaymentStatus.RETURNED: "Returned",
    PaymentStatus.CANCELED: "Canceled",
    PaymentStatus.DISPUTED: "Disputed",
}
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
        return (
            f"This payment will be made on {dates.short_date(payment.payment_date)}. "
            "You can cancel it from your dashboard until then."
        )
    if status == PaymentStatus.PROCESSING:
        return "We're processing this payment. This usually takes a few seconds; refresh the page to see the result."
    if status == PaymentStatus.PENDING:
        days = get_settings().bank_settle_business_days
        when = (
            dates.short_date(payment.expected_settle_on) if payment.expected_settle_on else f"in {days} business days"
        )
        return (
            f"Bank payments take {days} business days. We expect this one to clear by {when}, and it counts "
            "toward your bill once it clears. While it's on its way, no late fee is added for the amount it covers. "
            "If your bank returns it, we'll tell you why."
        )
    if status == PaymentStatus.SUCCEEDED:
        return "Your payment was received and applied to your bill. Keep the reference number for your records."
    if status == PaymentStatus.DECLINED:
        return (
            payment.reason_message
            or "This payment was declined. Nothing was charged. Try another card or bank account."
        )
    if status == PaymentStatus.RETURNED:
        reason = payment.reason_message or "your bank returned it"
        return (
            f"Your bank returned this payment: {reason} The amount is owed again. "
            "Please make a new payment, from another account if needed."
        )
    if status == PaymentStatus.DISPUTED:
        return (
            "This payment was disputed with your card issuer, who took the money back. It no longer counts "
            "toward your bills: please pay what is due."
        )
    if status == PaymentStatus.CANCELED:
        return "This payment was canceled before it was made. Nothing was charged."
    return ""
