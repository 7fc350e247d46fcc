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

from hcpay_app.config import DEFAULT_SUPPORT_HOURS, Settings, get_settings
from hcpay_app.i18n.message import N_, Msg, join

CUSTOMER_SERVICE = Msg("Customer Service")
# Settings text the catalogs know (the sandbox defaults): shown in the member's language. Any other
# text an operator sets is shown as it was written.
KNOWN_SETTING_TEXTS = {DEFAULT_SUPPORT_HOURS, N_("Monday to Friday, 9 a.m. to 5 p.m.")}


def setting_text(text: str) -> str:
    """A setting's words: translatable when the catalogs know them, otherwise as written."""
    return Msg(text) if text in KNOWN_SETTING_TEXTS else text


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
        return Msg.plural("{count} business day", "{count} business days", self.reply_business_days)


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
            centres.append(WalkInCentre(parts[0], parts[1], setting_text(parts[2]) if len(parts) > 2 else ""))
    return tuple(centres)


def support_contact(settings: Settings | None = None) -> SupportContact:
    """The support contact details from the settings (the process's, unless given)."""
    settings = settings or get_settings()
    return SupportContact(
        phone=settings.support_phone,
        tty=settings.support_tty,
        hours=setting_text(settings.support_hours),
        interpreter_line=settings.interpreter_line,
        centres=parse_centres(settings.walk_in_centres),
        reply_business_days=settings.support_reply_business_days,
    )


def call_line(contact: SupportContact | None = None) -> str:
    """ "Call Customer Service at 1-877-555-0142 (TTY 711), Monday to Friday, 8 a.m. to 6 p.m. …" """
    contact = contact or support_contact()
    # The hours may end with their own full stop ("… 6 p.m."): the sentence then adds none.
    stop = "" if str(contact.hours).endswith(".") else "."
    if contact.tty and contact.hours:
        line = Msg(
            "Call Customer Service at {phone} (TTY {tty}), {hours}{stop}",
            phone=contact.phone,
            tty=contact.tty,
            hours=contact.hours,
            stop=stop,
        )
    elif contact.tty:
        line = Msg("Call Customer Service at {phone} (TTY {tty}).", phone=contact.phone, tty=contact.tty)
    elif contact.hours:
        line = Msg(
            "Call Customer Service at {phone}, {hours}{stop}", phone=contact.phone, hours=contact.hours, stop=stop
        )
    else:
        line = Msg("Call Customer Service at {phone}.", phone=contact.phone)
    return line


def interpreter_line(contact: SupportContact | None = None) -> str:
    contact = contact or support_contact()
    return Msg("Free interpreter in your language: call {number}.", number=contact.interpreter_line)


def centre_line(centre: WalkInCentre) -> str:
    if centre.hours:
        return Msg("{town}: {address} ({hours})", town=centre.town, address=centre.address, hours=centre.hours)
    return Msg("{town}: {address}", town=centre.town, address=centre.address)


def walk_in_line(contact: SupportContact | None = None) -> str:
    """One line naming every walk-in center ("" when there are none)."""
    contact = contact or support_contact()
    if not contact.centres:
        return ""
    return Msg("Walk-in centers: {centres}.", centres=join("; ", [centre_line(c) for c in contact.centres]))


def reply_time_line(contact: SupportContact | None = None) -> str:
    contact = contact or support_contact()
    return Msg("We answer support requests within {time}.", time=contact.reply_time)


def lines(contact: SupportContact | None = None) -> list[str]:
    """How to reach support, as plain text lines: phone and hours, interpreter, walk-in centers."""
    contact = contact or support_contact()
    return [line for line in (call_line(contact), interpreter_line(contact), walk_in_line(contact)) if line]


def footer(contact: SupportContact | None = None) -> str:
    """The block at the end of every email and receipt."""
    return Msg("Questions?") + " " + join("\n", lines(contact))


def contact_us(lead: str = "", contact: SupportContact | None = None) -> str:
    """A message that sends the member to support, with the number to call: `lead` first
    ("Nothing was charged."), then "Call Customer Service at …"."""
    text = call_line(contact)
    return lead + " " + text if lead else text
