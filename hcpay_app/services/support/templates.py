"""Every message about a support request: the acknowledgment and support's replies."""

from __future__ import annotations

from hcpay_app.services.common.messages import Message


def request_received(first_name: str, ticket_number: str, topic: str, follows: str | None) -> Message:
    earlier = f" It follows your earlier request {follows}, which was closed." if follows else ""
    return Message(
        f"We received your request {ticket_number}",
        f"Hello {first_name},\n\nThank you for contacting us. Your request number is {ticket_number} ({topic})."
        f"{earlier} We'll reply in the portal under Help → My requests and by email.",
    )


def support_replied(ticket_number: str, text: str) -> Message:
    return Message(f"Support replied to {ticket_number}", f"{text}\n\nSee Help → My requests in the portal.")
