"""The support console: staff only. Every handler re-checks that a support agent is logged in."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.catalogs import localize
from hcpay_app.i18n.message import Msg
from hcpay_app.models import RefundStatus
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.payments import checkout
from hcpay_app.services.support import console, refund_desk, refund_review, tables
from hcpay_app.services.support.console import Line, MemberRecord, MemberRow
from hcpay_app.services.support.refund_desk import RefundablePayment, RefundRequestView, RefundView
from hcpay_app.services.support.refund_review import RefundReview
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.state.base import (
    call_service,
    field_errors,
    first_message,
    form_flag,
    form_text,
    page_language,
    parse_id,
    t,
)
from hcpay_app.state.session import StaffState, holds_member_data

DONE = Msg("Done. The action was recorded in the audit trail.")


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
    processing: bool = False
    # The record's tables (`tables.SPECS`: payments, refunds, disputes), display-ready: the rows to
    # show per table, aria-sort per "table.column", the chosen filter per "table.filter", and a
    # "Showing 3 of 11" line per table. Sorting and filtering run here, on `_table_source`.
    table_rows: dict[str, list[dict[str, str]]] = {}
    table_aria: dict[str, str] = {}
    table_filters: dict[str, str] = {}
    table_summary: dict[str, str] = {}
    _table_source: dict[str, list[dict]] = {}
    _table_view: dict[str, tables.TableState] = {}
    _table_member: int = 0
    # Refunds: the open record's payments that can be refunded, the refund under review (its terms
    # and idempotency key stay on the server), and members' refund requests waiting for a decision.
    refundable: list[RefundablePayment] = []
    refund_review: RefundReview | None = None
    refund_requests: list[RefundRequestView] = []
    failed_refunds: list[RefundView] = []
    _refund_reviewed: RefundReview | None = None
    _refund_key: str = ""

    async def _service(self, fn, /, **kwargs):
        """`call_service`, its answer in the language of the page (its `Msg`s translated)."""
        return localize(await call_service(fn, **kwargs), page_language(self))

    def _show_error(self, exc: DomainError) -> None:
        # Shown next to the field where there is one, and always in the message at the top.
        self.errors, self.message = field_errors(exc), first_message(exc)

    def _no_match(self, exc: DomainError) -> None:
        self.message, self.results = exc.message, []

    def _show_table(self, spec: tables.TableSpec) -> None:
        view = self._table_view.get(spec.name) or tables.initial(spec)
        source = self._table_source.get(spec.name, [])
        rows = tables.view(spec, source, view)
        self.table_rows = {**self.table_rows, spec.name: rows}
        self.table_aria = {
            **self.table_aria,
            **{f"{spec.name}.{key}": value for key, value in tables.aria_sort(spec, view).items()},
        }
        self.table_filters = {
            **self.table_filters,
            **{f"{spec.name}.{key}": value for key, value in view.filters.items()},
        }
        shown = t(self, Msg("Showing {shown} of {total}", shown=len(rows), total=len(source)))
        self.table_summary = {**self.table_summary, spec.name: shown}

    async def _load_tables(self, staff, member_id: int) -> None:
        """The open record's tables afresh; the agent's sorting and filters stay for the same member."""
        self._table_source = await self._service(console.member_tables, staff=staff, member_id=member_id)
        if member_id != self._table_member:
            self._table_view, self._table_member = {}, member_id
        for spec in tables.SPECS.values():
            self._show_table(spec)

    async def _sort(self, staff, table: object, column: object) -> None:
        del staff  # checked by `_call`: the rows sorted are the ones stored for this agent's record
        spec = tables.SPECS.get(table) if isinstance(table, str) else None
        if spec is None or self.record is None:
            return
        view = self._table_view.get(spec.name) or tables.initial(spec)
        self._table_view = {**self._table_view, spec.name: tables.clean_sort(spec, view, column)}
        self._show_table(spec)

    async def _filter(self, staff, table: object, key: object, value: object) -> None:
        del staff
        spec = tables.SPECS.get(table) if isinstance(table, str) else None
        if spec is None or self.record is None:
            return
        view = self._table_view.get(spec.name) or tables.initial(spec)
        self._table_view = {**self._table_view, spec.name: tables.clean_filter(spec, view, key, value)}
        self._show_table(spec)

    async def _refresh_lists(self, staff) -> None:
        pairs = await self._service(console.open_tickets, staff=staff, now=clock.utcnow())
        self.ticket_members, self.tickets = [m for m, _ in pairs], [t for _, t in pairs]
        self.refund_requests = await self._service(
            refund_desk.refund_requests, staff_user_id=staff.user_id, today=clock.today()
        )
        # A refund the processor couldn't send (staff's or the daily job's): told to every agent.
        self.failed_refunds = await self._service(
            refund_desk.recent_refunds, staff_user_id=staff.user_id, status=RefundStatus.FAILED, limit=20
        )
        self.audit = await self._service(console.audit_trail, staff=staff, limit=30)

    async def _load(self, staff) -> None:
        self.reset()
        await self._refresh_lists(staff)

    async def _search(self, staff, query: str) -> None:
        self.message, self.errors = "", {}
        if query.upper().startswith("HC"):
            _payment, member_id = await call_service(console.find_payment, staff=staff, reference=query)
            await self._open(staff, member_id)
            return
        self.results = await self._service(console.search_members, staff=staff, query=query)
        if not self.results:
            self.message = t(self, Msg("No members match."))

    async def _open(self, staff, member_id: int | None) -> None:
        if member_id is None:
            return
        self.record = await self._service(
            console.member_record, staff=staff, member_id=member_id, today=clock.today(), now=clock.utcnow()
        )
        await self._load_tables(staff, member_id)
        payments = await self._service(
            refund_desk.refundable_payments, staff_user_id=staff.user_id, member_id=member_id
        )
        self.refundable = [p for p in payments if p.refundable_cents > 0]
        self._forget_refund()
        self.form_key += 1

    def _forget_refund(self) -> None:
        self.refund_review, self._refund_reviewed, self._refund_key = None, None, ""

    async def _review_refund(self, staff, form_data: object) -> None:
        reviewed = await self._service(
            refund_review.review,
            staff=staff,
            member_id=self.record.member_id if self.record else None,
            payment_reference=form_text(form_data, "payment"),
            amount=form_text(form_data, "amount"),
            reason=form_text(form_data, "reason"),
            today=clock.today(),
        )
        self.errors, self.message = {}, ""
        # A fresh key per reviewed refund: a double click on Confirm, or a retry, refunds once.
        self.refund_review, self._refund_reviewed, self._refund_key = reviewed, reviewed, checkout.new_idempotency_key()

    async def _issue_refund(self, staff) -> str:
        if self._refund_reviewed is None or self.record is None:
            return ""
        done = await self._service(
            refund_review.issue,
            staff=staff,
            reviewed=self._refund_reviewed,
            idempotency_key=self._refund_key,
            now=clock.utcnow(),
            today=clock.today(),
        )
        outcome = Msg(
            "Refund {reference} of {amount}: {status}.",
            reference=done.reference,
            amount=done.amount,
            status=done.status_label,
        )
        return t(self, outcome + (" " + done.failure if done.failure else ""))

    async def _act(self, action, **kwargs):
        """An audited action on the open record; then the record and the lists are shown afresh."""
        call = await self._call(action, **kwargs)
        if call.ok:
            self.errors, self.message = {}, t(self, DONE)
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
    async def sort_table(self, table: str, column: str):
        """Sort one of the open record's tables by a column (again: the other way round)."""
        return await self._run(self._sort, table=table, column=column)

    @rx.event
    async def filter_table(self, table: str, key: str, value: str):
        """Narrow one of the open record's tables to a filter's option ("" shows every row)."""
        return await self._run(self._filter, table=table, key=key, value=value)

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

    async def _approve_request(self, staff, request_id: int | None) -> None:
        await call_service(
            refund_desk.approve_refund_request,
            staff_user_id=staff.user_id,
            request_id=request_id,
            now=clock.utcnow(),
            today=clock.today(),
        )

    async def _decline_request(self, staff, request_id: int | None, reason: str) -> None:
        await call_service(
            refund_desk.decline_refund_request,
            staff_user_id=staff.user_id,
            request_id=request_id,
            reason=reason,
            now=clock.utcnow(),
        )

    @rx.event
    async def review_refund(self, form_data: dict):
        """Check the refund form and restate it (with any unpaid-bill warning) before it is confirmed."""
        return await self._run(self._review_refund, form_data=form_data)

    @rx.event
    def change_refund(self):
        self._forget_refund()

    @rx.event
    async def confirm_refund(self):
        """Issue the refund under review, as reviewed."""
        # With nothing under review (already confirmed: a late second click) the call only
        # re-checks the login and changes nothing on screen.
        call = await self._call(self._issue_refund, busy=self._refund_reviewed is not None)
        if call.ok and call.value:
            await self._open(call.actor, self.record.member_id)
            await self._refresh_lists(call.actor)
            self.errors, self.message = {}, call.value
        return call.events

    @rx.event
    async def approve_refund_request(self, request_id: int):
        return await self._act(self._approve_request, request_id=parse_id(request_id))

    @rx.event
    async def decline_refund_request(self, form_data: dict):
        return await self._act(
            self._decline_request,
            request_id=parse_id(form_text(form_data, "request_id")),
            reason=form_text(form_data, "reason"),
        )

    @rx.event
    async def cancel_payment(self, form_data: dict):
        return await self._act(
            console.cancel_payment,
            reference=form_text(form_data, "reference"),
            reason=form_text(form_data, "reason"),
            now=clock.utcnow(),
        )
