"""Every message about a support request: the acknowledgment and support's replies."""

from __future__ import annotations

from hcpay_app.services.common.messages import Message
from hcpay_app.services.support import contact


def request_received(first_name: str, ticket_number: str, topic: str, follows: str | None) -> Message:
    earlier = f" It follows your earlier request {follows}, which was closed." if follows else ""
    return Message(
        f"We received your request {ticket_number}",
        f"Hello {first_name},\n\nThank you for contacting us. Your request number is {ticket_number} ({topic})."
        f"{earlier} We'll reply within {contact.support_contact().reply_time}, in the portal under "
        "Help → My requests and by email.",
    )


def request_created(ticket_number: str) -> str:
    """What the page says once a request is sent."""
    return (
        f"Thank you. Your request number is {ticket_number}. We've emailed you a copy. "
        f"We answer within {contact.support_contact().reply_time}."
    )


def support_replied(ticket_number: str, text: str) -> Message:
    return Message(f"Support replied to {ticket_number}", f"{text}\n\nSee Help → My requests in the portal.")
