"""Payment history (paginated, filtered, searched on the server) and one payment's status page."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.i18n.catalogs import localize
from hcpay_app.i18n.message import N_, Msg
from hcpay_app.services.billing import bills
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.payments import documents, history, statuses
from hcpay_app.services.payments.history import HistoryRow, PaymentDetail
from hcpay_app.state.base import call_service, first_message, form_text, page_language, query_param, t
from hcpay_app.state.session import MemberState, holds_member_data

ALL = "all"
# (value, label): the page translates the labels (message ids) when it is built.
STATUS_CHOICES = [(ALL, N_("All"))] + [(s, statuses.LABELS[s]) for s in history.FILTERABLE_STATUSES]


@holds_member_data
class HistoryState(MemberState, rx.State):
    loaded: bool = False
    rows: list[HistoryRow] = []
    total: int = 0
    total_text: str = "0 items"  # "1 item", "27 items"
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
    tax_years: list[str] = []  # years with bills, newest first: the yearly premium summary's choices
    download_errors: dict[str, str] = {}

    def _show_error(self, exc: DomainError) -> None:
        self.search_error = first_message(exc)
        self.rows, self.total, self.pages = [], 0, 1
        self.total_text = t(self, history.items_label(0))

    async def _show_page(self, actor) -> None:
        result = await call_service(
            history.page,
            actor=actor,
            page_number=self.page,
            year=int(self.year) if self.year.isdigit() else None,
            status=self.status if self.status != ALL else None,
            reference=self.reference or None,
        )
        self.search_error = ""
        self.rows = localize(result.rows, page_language(self))
        self.total, self.page, self.pages = result.total, result.page, result.pages
        self.total_text = t(self, history.items_label(result.total))

    async def _refresh(self):
        return await self._run(self._show_page)

    async def _load(self, actor) -> None:
        self.page, self.year, self.status, self.reference, self.search_error = 1, ALL, ALL, "", ""
        years = await call_service(history.years, actor=actor)
        self.year_options = [[ALL, t(self, Msg("All years"))]] + [[str(y), str(y)] for y in years]
        today = clock.today()
        points, self.chart_summary = localize(
            await call_service(history.last_twelve_months, actor=actor, today=today), page_language(self)
        )
        top = max([p.premiums for p in points] + [p.payments for p in points] + [1])
        self.chart = [
            {
                "month": p.month,
                "premiums": p.premiums,
                "payments": p.payments,
                "premiums_width": f"{100 * p.premiums / top:.1f}%",
                "payments_width": f"{100 * p.payments / top:.1f}%",
            }
            for p in points
        ]
        self.export_start, self.export_end = today.replace(month=1, day=1).isoformat(), today.isoformat()
        self.statement_month = today.isoformat()[:7]  # the month input's value ("2026-12"), not text
        self.tax_years = [str(year) for year in await call_service(bills.tax_years, actor=actor)]
        await self._show_page(actor)
        self.loaded = True

    @rx.event
    async def load(self):
        return await self._run(self._load)

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

    @rx.var
    def filtering(self) -> bool:
        """Whether a year, status or reference narrows the list (an empty result offers "Clear filters")."""
        return self.year != ALL or self.status != ALL or self.reference != ""

    @rx.event
    async def clear_filters(self):
        """Every filter back to all (the reference box emptied too), from page 1."""
        self.year, self.status, self.reference, self.search_error, self.page = ALL, ALL, "", "", 1
        events = await self._refresh()
        return events or [rx.set_value("reference", "")]

    @rx.event
    async def go_to_page(self, number: int):
        self.page = number if type(number) is int and 1 <= number <= self.pages else 1
        return await self._refresh()

    @rx.event
    def download_statement(self, form_data: dict):
        """Start the statement download (the document itself is served, authorised, over HTTP)."""
        month = form_text(form_data, "month")
        try:
            well_formed = re.fullmatch(r"[0-9]{4}-[0-9]{2}", month)
            first_day = dt.date(int(month[:4]), int(month[5:7]), 1) if well_formed else None
        except ValueError:
            first_day = None
        if first_day is None or first_day.year < 2000:
            self.download_errors = {"month": t(self, Msg("Choose a month."))}
            return None
        if first_day > clock.today():
            self.download_errors = {"month": t(self, Msg("Statements are available for past and current months."))}
            return None
        self.download_errors = {}
        return rx.download(
            url=f"{routes.STATEMENT}?{urllib.parse.urlencode({'month': month})}", filename=f"statement-{month}.pdf"
        )

    @rx.event
    def download_premium_summary(self, form_data: dict):
        """Start the yearly premium summary's download for a year that has bills (served over HTTP)."""
        year = form_text(form_data, "year")
        if year not in self.tax_years:
            self.download_errors = {"year": t(self, Msg("Choose a year."))}
            return None
        self.download_errors = {}
        query = urllib.parse.urlencode({"year": year})
        return rx.download(url=f"{routes.PREMIUM_SUMMARY}?{query}", filename=f"premium-summary-{year}.pdf")

    @rx.event
    def export_csv(self, form_data: dict):
        try:
            start = dt.date.fromisoformat(form_text(form_data, "start"))
            end = dt.date.fromisoformat(form_text(form_data, "end"))
        except ValueError:
            self.download_errors = {"range": t(self, Msg("Choose a start date and an end date."))}
            return None
        if start > end:
            self.download_errors = {"range": t(self, Msg("The start date must be on or before the end date."))}
            return None
        if (end - start).days > documents.MAX_EXPORT_DAYS:
            self.download_errors = {"range": t(self, Msg("Export at most 7 years at a time."))}
            return None
        self.download_errors = {}
        query = urllib.parse.urlencode({"start": start.isoformat(), "end": end.isoformat()})
        return rx.download(url=f"{routes.HISTORY_CSV}?{query}", filename=f"payment-history-{start}-to-{end}.csv")


@holds_member_data
class PaymentDetailState(MemberState, rx.State):
    """A payment's status page, by reference number — only the member's own."""

    loaded: bool = False
    not_found: str = ""
    detail: PaymentDetail | None = None
    receipt_url: str = ""

    def _show_error(self, exc: DomainError) -> None:
        self.not_found, self.loaded = exc.message, True

    async def _load(self, actor) -> None:
        self.reset()
        detail = await call_service(history.payment_detail, actor=actor, reference=query_param(self, "reference"))
        self.detail = localize(detail, page_language(self))
        self.receipt_url = f"{routes.RECEIPT}/{self.detail.reference}" if self.detail.receipt_available else ""
        self.loaded = True

    @rx.event
    async def load(self):
        return await self._run(self._load)
