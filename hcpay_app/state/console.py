"""The support console: staff only. Every handler re-checks that a support agent is logged in."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.support import console
from hcpay_app.services.support.console import Line, MemberRecord, MemberRow
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.state.base import (
    call_service,
    field_errors,
    first_message,
    form_flag,
    form_text,
    parse_id,
)
from hcpay_app.state.session import StaffState, holds_member_data

DONE = "Done. The action was recorded in the audit trail."


@holds_member_data
class ConsoleState(StaffState, rx.State):
    results: list[MemberRow] = []
    record: MemberRecord | None = None
    tickets: list[TicketView] = []
    ticket_members: list[int] = []
    audit: list[Line] = []
    errors: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    def _show_error(self, exc: DomainError) -> None:
        # Shown next to the field where there is one, and always in the message at the top.
        self.errors, self.message = field_errors(exc), first_message(exc)

    def _no_match(self, exc: DomainError) -> None:
        self.message, self.results = exc.message, []

    async def _refresh_lists(self, staff) -> None:
        pairs = await call_service(console.open_tickets, staff=staff)
        self.ticket_members, self.tickets = [m for m, _ in pairs], [t for _, t in pairs]
        self.audit = await call_service(console.audit_trail, staff=staff, limit=30)

    async def _load(self, staff) -> None:
        self.reset()
        await self._refresh_lists(staff)

    async def _search(self, staff, query: str) -> None:
        self.message, self.errors = "", {}
        if query.upper().startswith("HC"):
            _payment, member_id = await call_service(console.find_payment, staff=staff, reference=query)
            await self._open(staff, member_id)
            return
        self.results = await call_service(console.search_members, staff=staff, query=query)
        if not self.results:
            self.message = "No members match."

    async def _open(self, staff, member_id: int | None) -> None:
        if member_id is None:
            return
        self.record = await call_service(
            console.member_record, staff=staff, member_id=member_id, today=clock.today(), now=clock.utcnow()
        )
        self.form_key += 1

    async def _act(self, action, **kwargs):
        """An audited action on the open record; then the record and the lists are shown afresh."""
        call = await self._call(action, **kwargs)
        if call.ok:
            self.errors, self.message = {}, DONE
            if self.record is not None:
                await self._open(call.actor, self.record.member_id)
            await self._refresh_lists(call.actor)
        return call.events

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    async def search(self, form_data: dict):
        return await self._run(self._search, query=form_text(form_data, "query").strip(), on_error=self._no_match)

    @rx.event
    async def open_member(self, member_id: int):
        return await self._run(self._open, member_id=parse_id(member_id))

    @rx.event
    async def reply(self, form_data: dict):
        return await self._act(
            console.reply,
            ticket_number=form_text(form_data, "ticket_number"),
            body=form_text(form_data, "body"),
            close=form_flag(form_data, "close"),
            now=clock.utcnow(),
        )

    @rx.event
    async def waive_fee(self, form_data: dict):
        return await self._act(
            console.waive_fee,
            entry_id=parse_id(form_text(form_data, "entry_id")),
            reason=form_text(form_data, "reason"),
            now=clock.utcnow(),
            today=clock.today(),
        )

    @rx.event
    async def adjust(self, form_data: dict):
        return await self._act(
            console.post_adjustment,
            member_id=self.record.member_id if self.record else None,
            amount=form_text(form_data, "amount"),
            direction=form_text(form_data, "direction"),
            reason=form_text(form_data, "reason"),
            now=clock.utcnow(),
            today=clock.today(),
        )

    @rx.event
    async def unlock(self, form_data: dict):
        return await self._act(
            console.unlock,
            user_id=self.record.user_id if self.record else None,
            reason=form_text(form_data, "reason"),
            now=clock.utcnow(),
        )

    @rx.event
    async def send_reset(self, form_data: dict):
        return await self._act(
            console.send_reset_email,
            user_id=self.record.user_id if self.record else None,
            reason=form_text(form_data, "reason"),
            now=clock.utcnow(),
        )

    @rx.event
    async def cancel_payment(self, form_data: dict):
        return await self._act(
            console.cancel_payment,
            reference=form_text(form_data, "reference"),
            reason=form_text(form_data, "reason"),
            now=clock.utcnow(),
        )
