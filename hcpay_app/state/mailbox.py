"""The development mailbox: the outbox, readable in the browser only in development or test, on
loopback (`Settings.mailbox_enabled`)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.i18n.catalogs import localize
from hcpay_app.services.adapters import mailer
from hcpay_app.state.base import call_service, page_language


@dataclasses.dataclass
class MailView:
    id: int
    recipient: str
    subject: str
    body: str
    sent: str


def _recent(session) -> list[MailView]:
    return [
        MailView(m.id, m.to_address, m.subject, m.body, clock.format_local_time(m.created_at))
        for m in mailer.recent(session)
    ]


class MailboxState(rx.State):
    messages: list[MailView] = []

    @rx.event
    async def load(self):
        if not get_settings().mailbox_enabled:
            self.messages = []
            return
        self.messages = localize(await call_service(_recent), page_language(self))
