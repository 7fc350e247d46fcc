"""Support's contact details (phone, hours, interpreter line, walk-in centers, reply time) for the
support domain and the pages.

The one implementation is `hcpay_app.services.common.contact`: it sits in `common` because the
mailer adapter (the footer of every email) and the payments (receipts, guest pay) must say it too,
and a service may import only its own package and those below it (tests/unit/test_architecture.py).
This module is the same API under the support domain's name.
"""

from __future__ import annotations

from hcpay_app.services.common.contact import (
    CUSTOMER_SERVICE,
    SupportContact,
    WalkInCentre,
    call_line,
    centre_line,
    contact_us,
    footer,
    interpreter_line,
    lines,
    parse_centres,
    reply_time_line,
    support_contact,
    tel_href,
    walk_in_line,
)

__all__ = [
    "CUSTOMER_SERVICE",
    "SupportContact",
    "WalkInCentre",
    "call_line",
    "centre_line",
    "contact_us",
    "footer",
    "interpreter_line",
    "lines",
    "parse_centres",
    "reply_time_line",
    "support_contact",
    "tel_href",
    "walk_in_line",
]
