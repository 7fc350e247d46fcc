"""Every message about a support request: the acknowledgment and support's replies.

Subjects and bodies are `Msg`s (translated into the member's language where they are sent); what the
member or an agent wrote stays as written."""

from __future__ import annotations

from hcpay_app.i18n.message import Msg, join
from hcpay_app.services.common.messages import Message
from hcpay_app.services.support import contact


def _reply_days() -> int:
    return contact.support_contact().reply_business_days


def request_received(first_name: str, ticket_number: str, topic: str, follows: str | None) -> Message:
    sentences = [
        Msg(
            "Thank you for contacting us. Your request number is {number} ({topic}).",
            number=ticket_number,
            topic=topic,
        )
    ]
    if follows:
        sentences.append(Msg("It follows your earlier request {number}, which was closed.", number=follows))
    sentences.append(
        Msg.plural(
            "We'll reply within {count} business day, in the portal under Help → My requests and by email.",
            "We'll reply within {count} business days, in the portal under Help → My requests and by email.",
            _reply_days(),
        )
    )
    return Message(
        Msg("We received your request {number}", number=ticket_number),
        Msg("Hello {name},", name=first_name) + "\n\n" + join(" ", sentences),
    )


def request_created(ticket_number: str) -> str:
    """What the page says once a request is sent."""
    return join(
        " ",
        [
            Msg("Thank you. Your request number is {number}. We've emailed you a copy.", number=ticket_number),
            Msg.plural(
                "We answer within {count} business day.", "We answer within {count} business days.", _reply_days()
            ),
        ],
    )


def support_replied(ticket_number: str, text: str) -> Message:
    """`text` is the agent's reply, as they wrote it."""
    return Message(
        Msg("Support replied to {number}", number=ticket_number),
        text + "\n\n" + Msg("See Help → My requests in the portal."),
    )
