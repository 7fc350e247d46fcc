"""Contact support and "My requests"."""

from __future__ import annotations

import functools

import reflex as rx

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.i18n.message import Msg
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.support import templates as support_templates
from hcpay_app.services.support import tickets
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.state.base import (
    call_service,
    field_errors,
    first_message,
    form_text,
    localize,
    page_language,
    query_param,
    t,
)
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck
from hcpay_app.state.session import MemberState, current_user, holds_member_data


def _reference_check(actor) -> FieldCheck:
    """The optional payment reference: blank, or one of `actor`'s own payments (read in the worker
    thread the recheck runs in)."""

    def check(value: str, _related: str) -> None:
        with session_scope() as session:
            tickets.check_reference(session, actor, value)

    return check


@holds_member_data
class SupportState(FieldRecheck, MemberState, rx.State):
    tickets: list[TicketView] = []
    # The numbers of the member's closed and answered requests: the page picks its words and colours
    # by these, not by the status words (which are in the member's language).
    closed_tickets: list[str] = []
    answered_tickets: list[str] = []
    errors: dict[str, str] = {}
    created: str = ""
    reference: str = ""
    form_key: int = 0
    # A reply's error shows under the reply form of the request it was written to.
    reply_ticket: str = ""
    reply_error: str = ""
    _reply_message_wrong: bool = False
    reply_key: int = 0

    def _show_error(self, exc: DomainError) -> None:
        self.errors, self.created = field_errors(exc), ""

    async def _live_check(self, name: str) -> FieldCheck | None:
        """The Contact support form's fields, by the checks `tickets.open_ticket` runs; the
        reference is looked up among the logged-in member's own payments (re-resolved here)."""
        if name == "topic":
            return lambda value, _: tickets.check_topic(value)
        if name == "message":
            return lambda value, _: tickets.check_request_text(value)
        if name == "reference":
            actor = await current_user(self)
            return _reference_check(actor) if actor is not None else None
        return None

    async def _list_tickets(self, actor) -> None:
        """The member's requests, in the page's language."""
        views = await call_service(tickets.my_tickets, actor=actor)
        self.closed_tickets = [view.number for view in views if view.status == "Closed"]
        self.answered_tickets = [view.number for view in views if view.status == "Answered"]
        self.tickets = localize(views, page_language(self))

    def _reply_refused(self, number: str, exc: DomainError) -> None:
        self.reply_ticket, self.reply_error, self.created = number, first_message(exc), ""
        self._reply_message_wrong = isinstance(exc, ValidationError) and "message" in exc.errors

    @rx.event
    def recheck_reply(self, ticket_number: str, value: str):
        """A reply whose message was refused: its error clears the moment the message is fixed
        (a refusal about the request itself stays until the next send)."""
        if not self._reply_message_wrong or ticket_number != self.reply_ticket:
            return
        try:
            tickets.check_reply_text(value)
        except ValidationError as exc:
            self.reply_error = t(self, exc.errors["message"])
            return
        self.reply_error, self._reply_message_wrong = "", False

    async def _load(self, actor) -> None:
        self.errors, self.created, self.reply_ticket, self.reply_error = {}, "", "", ""
        self.reference = query_param(self, "reference")[:24]
        await self._list_tickets(actor)

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    async def submit(self, form_data: dict):
        call = await self._call(
            tickets.open_ticket,
            topic=form_text(form_data, "topic"),
            reference=form_text(form_data, "reference"),
            message=form_text(form_data, "message"),
            now=clock.utcnow(),
        )
        if call.ok:
            self.errors, self.reference, self.reply_ticket, self.reply_error = {}, "", "", ""
            self.created = t(self, support_templates.request_created(call.value.number))
            self.form_key += 1
            await self._list_tickets(call.actor)
        return call.events

    @rx.event
    async def reply(self, form_data: dict):
        """Write back about one of the member's own requests (a closed one opens a new request)."""
        number = form_text(form_data, "ticket_number")[:16]
        call = await self._call(
            tickets.reply,
            on_error=functools.partial(self._reply_refused, number),
            ticket_number=number,
            message=form_text(form_data, "message"),
            now=clock.utcnow(),
        )
        if not call.ok:
            return call.events
        result = call.value
        self.reply_ticket, self.reply_error, self.errors = "", "", {}
        if result.new_request:
            self.created = t(
                self,
                Msg(
                    "Your request {earlier} was closed, so we opened a new request for your message. "
                    "Your new request number is {number}. We've emailed you a copy.",
                    earlier=result.earlier,
                    number=result.ticket.number,
                ),
            )
        else:
            self.created = t(
                self, Msg("Thank you. We added your message to request {number}.", number=result.ticket.number)
            )
        self.reply_key += 1
        await self._list_tickets(call.actor)
        return None
