"""Payment history (paginated, filtered, searched on the server) and one payment's status page."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.services.payments import documents, history, statuses
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.payments.history import HistoryRow, PaymentDetail, TimelineStep
from hcpay_app.state.base import call_service, form_text, query_param
from hcpay_app.state.session import current_user, holds_member_data, login_redirect

ALL = "all"
STATUS_CHOICES = [(ALL, "All")] + [(s, statuses.LABELS[s]) for s in history.FILTERABLE_STATUSES]


@holds_member_data
class HistoryState(rx.State):
    loaded: bool = False
    rows: list[HistoryRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    year: str = ALL
    status: str = ALL
    reference: str = ""
    search_error: str = ""
    year_options: list[list[str]] = []
    chart: list[dict[str, str | float]] = []
    chart_summary: str = ""
    export_start: str = ""
    export_end: str = ""
    statement_month: str = ""
    download_errors: dict[str, str] = {}

    async def _refresh(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            result = await call_service(
                history.page, actor=user, page_number=self.page,
                year=int(self.year) if self.year.isdigit() else None,
                status=self.status if self.status != ALL else None,
                reference=self.reference or None,
            )
        except ValidationError as exc:
            self.search_error = next(iter(exc.errors.values()))
            self.rows, self.total, self.pages = [], 0, 1
            return None
        self.search_error = ""
        self.rows, self.total, self.page, self.pages = result.rows, result.total, result.page, result.pages
        return None

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.page, self.year, self.status, self.reference, self.search_error = 1, ALL, ALL, "", ""
        years = await call_service(history.years, actor=user)
        self.year_options = [[ALL, "All years"]] + [[str(y), str(y)] for y in years]
        today = clock.today()
        points, self.chart_summary = await call_service(history.last_twelve_months, actor=user, today=today)
        top = max([p.premiums for p in points] + [p.payments for p in points] + [1])
        self.chart = [{"month": p.month, "premiums": p.premiums, "payments": p.payments,
                       "premiums_width": f"{100 * p.premiums / top:.1f}%",
                       "payments_width": f"{100 * p.payments / top:.1f}%"} for p in points]
        self.export_start, self.export_end = today.replace(month=1, day=1).isoformat(), today.isoformat()
        self.statement_month = today.strftime("%Y-%m")
        result = await self._refresh()
        self.loaded = True
        return result

    @rx.event
    async def filter_year(self, value: str):
        self.year = value if isinstance(value, str) and value in {v for v, _ in self.year_options} else ALL
        self.page = 1
        return await self._refresh()

    @rx.event
    async def filter_status(self, value: str):
        self.status = value if isinstance(value, str) and value in dict(STATUS_CHOICES) else ALL
        self.page = 1
        return await self._refresh()

    @rx.event
    async def search(self, form_data: dict):
        self.reference = form_text(form_data, "reference").strip()[:40]
        self.page = 1
        return await self._refresh()

    @rx.event
    async def clear_search(self):
        self.reference, self.page = "", 1
        return await self._refresh()

    @rx.event
    async def go_to_page(self, number: int):
        self.page = number if type(number) is int and 1 <= number <= self.pages else 1
        return await self._refresh()


    @rx.event
    def download_statement(self, form_data: dict):
        """Start the statement download (the document itself is served, authorised, over HTTP)."""
        month = form_text(form_data, "month")
        try:
            first_day = dt.date(int(month[:4]), int(month[5:7]), 1) if re.fullmatch(r"[0-9]{4}-[0-9]{2}", month) else None
        except ValueError:
            first_day = None
        if first_day is None or first_day.year < 2000:
            self.download_errors = {"month": "Choose a month."}
            return None
        if first_day > clock.today():
            self.download_errors = {"month": "Statements are available for past and current months."}
            return None
        self.download_errors = {}
        return rx.download(url=f"{routes.STATEMENT}?{urllib.parse.urlencode({'month': month})}",
                           filename=f"statement-{month}.pdf")

    @rx.event
    def export_csv(self, form_data: dict):
        try:
            start = dt.date.fromisoformat(form_text(form_data, "start"))
            end = dt.date.fromisoformat(form_text(form_data, "end"))
        except ValueError:
            self.download_errors = {"range": "Choose a start date and an end date."}
            return None
        if start > end:
            self.download_errors = {"range": "The start date must be on or before the end date."}
            return None
        if (end - start).days > documents.MAX_EXPORT_DAYS:
            self.download_errors = {"range": "Export at most 7 years at a time."}
            return None
        self.download_errors = {}
        query = urllib.parse.urlencode({"start": start.isoformat(), "end": end.isoformat()})
        return rx.download(url=f"{routes.HISTORY_CSV}?{query}", filename=f"payment-history-{start}-to-{end}.csv")


@holds_member_data
class PaymentDetailState(rx.State):
    """A payment's status page, by reference number — only the member's own."""

    loaded: bool = False
    not_found: str = ""
    detail: PaymentDetail | None = None
    timeline: list[TimelineStep] = []
    invoices: list[str] = []
    receipt_url: str = ""

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.reset()
        try:
            detail = await call_service(history.payment_detail, actor=user, reference=query_param(self, "reference"))
        except NotFound as exc:
            self.not_found, self.loaded = exc.message, True
            return None
        self.detail, self.timeline, self.invoices = detail, detail.timeline, detail.invoices
        self.receipt_url = f"{routes.RECEIPT}/{detail.reference}" if detail.receipt_available else ""
        self.loaded = True
        return None
