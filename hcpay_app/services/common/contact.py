"""How a member reaches people: Customer Service's phone number and hours, the TTY relay, the
interpreter line, the walk-in centers, and how soon a support request is answered.

All of it comes from settings (`HCPAY_SUPPORT_PHONE`, `HCPAY_SUPPORT_HOURS`,
`HCPAY_INTERPRETER_LINE`, `HCPAY_WALK_IN_CENTRES`, `HCPAY_SUPPORT_REPLY_BUSINESS_DAYS`, …), read
each time so a changed setting shows everywhere at once. This module gives the structured values
(for the Help page) and the plain text lines every other place uses: the footer of every email,
receipts, and every message that tells a member to contact support.

It lives in `common` so every domain can say it — the mailer adapter and the payments too;
`services.support.contact` is the same module under the name the support domain uses.
"""

from __future__ import annotations

import dataclasses
import re

from hcpay_app.config import Settings, get_settings

CUSTOMER_SERVICE = "Customer Service"


@dataclasses.dataclass(frozen=True)
class WalkInCentre:
    """A walk-in center: its town, street address and opening hours."""

    town: str
    address: str
    hours: str = ""


@dataclasses.dataclass(frozen=True)
class SupportContact:
    """Every way to reach support, as the settings give it."""

    phone: str
    tty: str
    hours: str
    interpreter_line: str
    centres: tuple[WalkInCentre, ...]
    reply_business_days: int

    @property
    def phone_href(self) -> str:
        return tel_href(self.phone)

    @property
    def interpreter_href(self) -> str:
        return tel_href(self.interpreter_line)

    @property
    def reply_time(self) -> str:
        """ "1 business day", "2 business days"."""
        days = self.reply_business_days
        return f"{days} business day" if days == 1 else f"{days} business days"


def tel_href(number: str) -> str:
    """A `tel:` link for a number as people write it ("1-877-555-0142" → "tel:+18775550142")."""
    digits = re.sub(r"[^0-9]", "", number)
    if len(digits) == 10:
        digits = "1" + digits
    return f"tel:+{digits}" if digits else ""


def parse_centres(raw: str) -> tuple[WalkInCentre, ...]:
    """Walk-in centers from a setting: one per ";", each "town|street address|hours" (hours optional)."""
    centres = []
    for entry in raw.split(";"):
        parts = [part.strip() for part in entry.split("|")]
        if len(parts) >= 2 and parts[0] and parts[1]:
            centres.append(WalkInCentre(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return tuple(centres)


def support_contact(settings: Settings | None = None) -> SupportContact:
    """The support contact details from the settings (the process's, unless given)."""
    settings = settings or get_settings()
    return SupportContact(
        phone=settings.support_phone,
        tty=settings.support_tty,
        hours=settings.support_hours,
        interpreter_line=settings.interpreter_line,
        centres=parse_centres(settings.walk_in_centres),
        reply_business_days=settings.support_reply_business_days,
    )


def call_line(contact: SupportContact | None = None) -> str:
    """ "Call Customer Service at 1-877-555-0142 (TTY 711), Monday to Friday, 8 a.m. to 6 p.m. …" """
    contact = contact or support_contact()
    tty = f" (TTY {contact.tty})" if contact.tty else ""
    hours = f", {contact.hours}" if contact.hours else ""
    return _sentence(f"Call {CUSTOMER_SERVICE} at {contact.phone}{tty}{hours}")


def _sentence(text: str) -> str:
    """End with one full stop ("… 6 p.m." stays as it is)."""
    return text if text.endswith(".") else text + "."


def interpreter_line(contact: SupportContact | None = None) -> str:
    contact = contact or support_contact()
    return f"Free interpreter in your language: call {contact.interpreter_line}."


def centre_line(centre: WalkInCentre) -> str:
    hours = f" ({centre.hours})" if centre.hours else ""
    return f"{centre.town}: {centre.address}{hours}"


def walk_in_line(contact: SupportContact | None = None) -> str:
    """One line naming every walk-in center ("" when there are none)."""
    contact = contact or support_contact()
    if not contact.centres:
        return ""
    return "Walk-in centers: " + "; ".join(centre_line(c) for c in contact.centres) + "."


def reply_time_line(contact: SupportContact | None = None) -> str:
    contact = contact or support_contact()
    return f"We answer support requests within {contact.reply_time}."


def lines(contact: SupportContact | None = None) -> list[str]:
    """How to reach support, as plain text lines: phone and hours, interpreter, walk-in centers."""
    contact = contact or support_contact()
    return [line for line in (call_line(contact), interpreter_line(contact), walk_in_line(contact)) if line]


def footer(contact: SupportContact | None = None) -> str:
    """The block at the end of every email and receipt."""
    return "Questions? " + "\n".join(lines(contact))


def contact_us(lead: str = "", contact: SupportContact | None = None) -> str:
    """A message that sends the member to support, with the number to call: `lead` first
    ("Nothing was charged."), then "Call Customer Service at …"."""
    text = call_line(contact)
    return f"{lead} {text}" if lead else text
