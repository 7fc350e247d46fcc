"""The support console: staff only. Every handler re-checks that a support agent is logged in."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.support import console
from hcpay_app.services.support.console import Line, MemberRecord, MemberRow
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.state.base import call_service, form_flag, form_text, parse_id
from hcpay_app.state.session import current_staff, holds_member_data, staff_login_redirect


@holds_member_data
class ConsoleState(rx.State):
    results: list[MemberRow] = []
    record: MemberRecord | None = None
    tickets: list[TicketView] = []
    ticket_members: list[int] = []
    audit: list[Line] = []
    errors: dict[str, str] = {}
    message: str = ""
    form_key: int = 0

    async def _staff(self):
        staff = await current_staff(self)
        return staff

    async def _refresh_lists(self, staff) -> None:
        pairs = await call_service(console.open_tickets, staff=staff)
        self.ticket_members, self.tickets = [m for m, _ in pairs], [t for _, t in pairs]
        self.audit = await call_service(console.audit_trail, staff=staff, limit=30)

    @rx.event
    async def load(self):
        staff = await self._staff()
        if staff is None:
            return await staff_login_redirect(self)
        self.reset()
        await self._refresh_lists(staff)
        return None

    @rx.event
    async def search(self, form_data: dict):
        staff = await self._staff()
        if staff is None:
            return await staff_login_redirect(self)
        query = form_text(form_data, "query").strip()
        self.message, self.errors = "", {}
        if query.upper().startswith("HC"):
            try:
                _payment, member_id = await call_service(console.find_payment, staff=staff, reference=query)
            except DomainError as exc:
                self.message, self.results = exc.message, []
                return None
            return await self._open(staff, member_id)
        self.results = await call_service(console.search_members, staff=staff, query=query)
        if not self.results:
            self.message = "No members match."
        return None

    async def _open(self, staff, member_id: int):
        self.record = await call_service(console.member_record, staff=staff, member_id=member_id, today=clock.today(),
                                         now=clock.utcnow())
        self.form_key += 1
        return None

    @rx.event
    async def open_member(self, member_id: int):
        staff = await self._staff()
        if staff is None:
            return await staff_login_redirect(self)
        member = parse_id(member_id)
        if member is None:
            return None
        try:
            return await self._open(staff, member)
        except DomainError as exc:
            self.message = exc.message
            return None

    async def _act(self, action, **kwargs):
        staff = await self._staff()
        if staff is None:
            return await staff_login_redirect(self)
        try:
            await call_service(action, staff=staff, **kwargs)
        except ValidationError as exc:
            # Shown next to the field where there is one, and always in the message at the top.
            self.errors, self.message = dict(exc.errors), next(iter(exc.errors.values()))
            return None
        except DomainError as exc:
            self.errors, self.message = {}, exc.message
            return None
        self.errors, self.message = {}, "Done. The action was recorded in the audit trail."
        if self.record is not None:
            await self._open(staff, self.record.member_id)
        await self._refresh_lists(staff)
        return None

    @rx.event
    async def reply(self, form_data: dict):
        return await self._act(console.reply, ticket_number=form_text(form_data, "ticket_number"),
                               body=form_text(form_data, "body"), close=form_flag(form_data, "close"),
                               now=clock.utcnow())

    @rx.event
    async def waive_fee(self, form_data: dict):
        return await self._act(console.waive_fee, entry_id=parse_id(form_text(form_data, "entry_id")),
                               reason=form_text(form_data, "reason"), now=clock.utcnow(), today=clock.today())

    @rx.event
    async def adjust(self, form_data: dict):
        return await self._act(console.post_adjustment, member_id=self.record.member_id if self.record else None,
                               amount=form_text(form_data, "amount"), direction=form_text(form_data, "direction"),
                               reason=form_text(form_data, "reason"), now=clock.utcnow(), today=clock.today())

    @rx.event
    async def unlock(self, form_data: dict):
        return await self._act(console.unlock, user_id=self.record.user_id if self.record else None,
                               reason=form_text(form_data, "reason"), now=clock.utcnow())

    @rx.event
    async def send_reset(self, form_data: dict):
        return await self._act(console.send_reset_email, user_id=self.record.user_id if self.record else None,
                               reason=form_text(form_data, "reason"), now=clock.utcnow())

    @rx.event
    async def cancel_payment(self, form_data: dict):
        return await self._act(console.cancel_payment, reference=form_text(form_data, "reference"),
                               reason=form_text(form_data, "reason"), now=clock.utcnow())
