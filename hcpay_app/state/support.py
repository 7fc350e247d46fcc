"""Contact support and "My requests"."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.support import tickets
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.state.base import call_service, form_text, query_param
from hcpay_app.state.session import current_user, holds_member_data, login_redirect


@holds_member_data
class SupportState(rx.State):
    tickets: list[TicketView] = []
    errors: dict[str, str] = {}
    created: str = ""
    reference: str = ""
    form_key: int = 0
    # A reply's error shows under the reply form of the request it was written to.
    reply_ticket: str = ""
    reply_error: str = ""
    reply_key: int = 0

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.errors, self.created, self.reply_ticket, self.reply_error = {}, "", "", ""
        self.reference = query_param(self, "reference")[:24]
        self.tickets = await call_service(tickets.my_tickets, actor=user)
        return None

    @rx.event
    async def submit(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            ticket = await call_service(tickets.open_ticket, actor=user, topic=form_text(form_data, "topic"),
                                        reference=form_text(form_data, "reference"), message=form_text(form_data, "message"),
                                        now=clock.utcnow())
        except ValidationError as exc:
            self.errors, self.created = dict(exc.errors), ""
            return None
        self.errors, self.reference, self.reply_ticket, self.reply_error = {}, "", "", ""
        self.created = f"Thank you. Your request number is {ticket.number}. We've emailed you a copy."
        self.form_key += 1
        self.tickets = await call_service(tickets.my_tickets, actor=user)
        return None

    @rx.event
    async def reply(self, form_data: dict):
        """Write back about one of the member's own requests (a closed one opens a new request)."""
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        number = form_text(form_data, "ticket_number")[:16]
        try:
            result = await call_service(tickets.reply, actor=user, ticket_number=number,
                                        message=form_text(form_data, "message"), now=clock.utcnow())
        except ValidationError as exc:
            self.reply_ticket, self.reply_error, self.created = number, next(iter(exc.errors.values())), ""
            return None
        except NotFound as exc:
            self.reply_ticket, self.reply_error, self.created = number, exc.message, ""
            return None
        self.reply_ticket, self.reply_error, self.errors = "", "", {}
        if result.new_request:
            self.created = (f"Your request {result.earlier} was closed, so we opened a new request for your message. "
                            f"Your new request number is {result.ticket.number}. We've emailed you a copy.")
        else:
            self.created = f"Thank you. We added your message to request {result.ticket.number}."
        self.reply_key += 1
        self.tickets = await call_service(tickets.my_tickets, actor=user)
        return None
