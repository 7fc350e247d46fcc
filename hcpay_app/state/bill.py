"""One bill, by coverage month (`/bill?month=2026-12`) — only the member's own."""

from __future__ import annotations

import urllib.parse

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.i18n.catalogs import localize
from hcpay_app.services.billing import bills
from hcpay_app.services.billing.bills import BillView
from hcpay_app.services.common.errors import DomainError
from hcpay_app.state.base import call_service, page_language, query_param
from hcpay_app.state.session import MemberState, holds_member_data


@holds_member_data
class BillState(MemberState, rx.State):
    """The bill page: the service's display-ready bill, and where its PDF is served."""

    loaded: bool = False
    not_found: str = ""
    bill: BillView | None = None
    pdf_url: str = ""

    def _show_error(self, exc: DomainError) -> None:
        self.not_found, self.loaded = exc.message, True

    async def _load(self, actor) -> None:
        self.reset()
        month = query_param(self, "month")  # the service treats it as hostile: any text, any length
        bill = await call_service(bills.bill_view, actor=actor, month=month, today=clock.today())
        self.bill = localize(bill, page_language(self))
        self.pdf_url = f"{routes.BILL_PDF}?{urllib.parse.urlencode({'month': self.bill.month})}"
        self.loaded = True

    @rx.event
    async def load(self):
        return await self._run(self._load)
