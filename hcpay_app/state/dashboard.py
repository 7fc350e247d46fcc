"""The dashboard: what the member owes, by when, coverage, autopay and recent activity."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.catalogs import localize
from hcpay_app.i18n.message import Msg
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.overview import dashboard
from hcpay_app.services.overview.dashboard import DashboardView
from hcpay_app.services.payments import checkout
from hcpay_app.services.payments.checkout import PaymentResult
from hcpay_app.state.base import call_service, first_message, page_language, t
from hcpay_app.state.session import MemberState, holds_member_data


@holds_member_data
class DashboardState(MemberState, rx.State):
    loaded: bool = False
    view: DashboardView | None = None  # the service's display-ready view, as it is
    scheduled: list[PaymentResult] = []
    cancel_message: str = ""

    def _show_error(self, exc: DomainError) -> None:
        self.cancel_message = first_message(exc)

    async def _load(self, actor) -> None:
        language = page_language(self)
        self.view = localize(await call_service(dashboard.view, actor=actor, today=clock.today()), language)
        self.scheduled = localize(await call_service(checkout.scheduled_for, actor=actor), language)
        self.loaded = True

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    async def cancel_scheduled(self, reference: str):
        """Cancel one of the member's own scheduled payments (the service checks whose it is)."""
        call = await self._call(checkout.cancel_scheduled, reference=reference, now=clock.utcnow())
        if call.ok:
            self.cancel_message = t(
                self,
                Msg(
                    "Scheduled payment {reference} was canceled. Nothing was charged.",
                    reference=call.value.reference,
                ),
            )
            await self._load(call.actor)
        return call.events
