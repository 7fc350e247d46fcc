"""The dashboard's credit: "Request a refund" asks support to pay a credit back (a support ticket),
and the latest request's outcome in plain words.

Members only: every handler re-resolves the logged-in member from the server-side session
(`MemberState`) and acts on their own account; nothing the browser sends names an account, an
amount or a payment. Staff refund handlers live in the console's state, never here.
"""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.message import Msg
from hcpay_app.services.support import refund_requests
from hcpay_app.services.support.refund_requests import CreditRefundState
from hcpay_app.state.base import t
from hcpay_app.state.session import MemberState, holds_member_data


def _credit_state(session, actor):
    return refund_requests.credit_refund_state(session, actor, clock.today())


def _ask(session, actor):
    now = clock.utcnow()
    return refund_requests.request_credit_refund(session, actor, now=now, today=clock.local_date(now))


@holds_member_data
class RefundRequestState(MemberState, rx.State):
    credit: str = ""  # "$100.00", or "" without a credit
    can_request: bool = False
    ticket_number: str = ""
    status: str = ""  # the latest request: requested / approved / declined
    status_words: str = ""
    decision_reason: str = ""
    processing: bool = False
    errors: dict[str, str] = {}
    message: str = ""

    def _show(self, view: CreditRefundState) -> None:
        self.credit = view.credit if view.credit_cents > 0 else ""
        self.can_request = view.can_request
        self.ticket_number, self.status = view.ticket_number, view.status
        self.status_words, self.decision_reason = view.status_words, view.decision_reason

    @rx.event
    async def load(self):
        """The member's own credit and refund request (the dashboard's on-load)."""
        call = await self._call(_credit_state)
        if call.ok:
            self._show(call.value)
        return call.events

    @rx.event
    async def request_refund(self):
        """Ask for the whole credit back (a support ticket for staff to decide)."""
        call = self._call(_ask, busy=True)
        async for event in call:
            yield event
        if call.ok:
            self.message = t(
                self,
                Msg(
                    "We received your refund request {ticket}. We'll tell you the outcome here and by email.",
                    ticket=call.value,
                ),
            )
            view = await self._call(_credit_state)
            if view.ok:
                self._show(view.value)
