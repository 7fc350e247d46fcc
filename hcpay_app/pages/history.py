"""Payment history: every transaction, filters, reference search, chart and downloads."""

import reflex as rx

from hcpay_app.components.activity import activity_list
from hcpay_app.components.fields import (
    NATIVE_INPUT_STYLE,
    field_error,
    member_form,
    select_field,
)
from hcpay_app.components.layout import TOUCH, once_loaded, page_shell
from hcpay_app.i18n.build import _, _var, tr
from hcpay_app.state.history import STATUS_CHOICES, HistoryState


def filters() -> rx.Component:
    return rx.vstack(
        rx.grid(
            select_field(
                _("Year"),
                "filter-year",
                options=HistoryState.year_options,
                value=HistoryState.year,
                on_change=HistoryState.filter_year,
            ),
            select_field(
                _("Status"),
                "filter-status",
                options=[[value, tr(label)] for value, label in STATUS_CHOICES],
                value=HistoryState.status,
                on_change=HistoryState.filter_status,
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        member_form(
            rx.vstack(
                rx.el.label(
                    _("Find a payment by reference number"), html_for="reference", style={"font_weight": "600"}
                ),
                rx.hstack(
                    rx.input(
                        id="reference",
                        name="reference",
                        placeholder=_("e.g. {reference}", reference="HC-7KQ4-M9XP-2D3F"),
                        size="3",
                        style=TOUCH,
                        flex="1",
                        aria_describedby="reference-error",
                    ),
                    rx.button(_("Search"), type="submit", size="3", style=TOUCH),
                    width="100%",
                ),
                rx.cond(
                    HistoryState.search_error != "",
                    rx.text(
                        HistoryState.search_error, id="reference-error", color_scheme="red", role="alert", size="2"
                    ),
                ),
                rx.cond(
                    HistoryState.reference != "",
                    rx.button(
                        _("Show all transactions"),
                        variant="ghost",
                        type="button",
                        on_click=HistoryState.clear_search,
                        style=TOUCH,
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            on_submit=HistoryState.search,
        ),
        spacing="3",
        width="100%",
    )


def pagination() -> rx.Component:
    return rx.hstack(
        rx.button(
            _("Previous"),
            variant="soft",
            on_click=HistoryState.go_to_page(HistoryState.page - 1),
            disabled=HistoryState.page <= 1,
            style=TOUCH,
        ),
        rx.text(
            _var("Page {page} of {pages}", page=HistoryState.page, pages=HistoryState.pages),
            " · ",
            HistoryState.total_text,
            size="2",
            aria_live="polite",
            id="page-status",
        ),
        rx.button(
            _("Next"),
            variant="soft",
            on_click=HistoryState.go_to_page(HistoryState.page + 1),
            disabled=HistoryState.page >= HistoryState.pages,
            style=TOUCH,
        ),
        justify="between",
        align="center",
        width="100%",
    )


def no_rows() -> rx.Component:
    """No transactions: with a filter set, say so and offer to clear the filters."""
    return rx.cond(
        HistoryState.filtering,
        rx.vstack(
            rx.text(_("No transactions match these filters."), color_scheme="gray", id="no-match"),
            rx.button(
                _("Clear filters"),
                variant="soft",
                type="button",
                on_click=HistoryState.clear_filters,
                style=TOUCH,
            ),
            spacing="2",
            align="start",
            padding_y="0.5rem",
        ),
        rx.text(_("No transactions yet."), color_scheme="gray", padding_y="0.5rem"),
    )


def legend_key(color: str, label: str) -> rx.Component:
    """A colour and what it stands for (`label` already translated)."""
    return rx.hstack(
        rx.box(width="0.75rem", height="0.75rem", background=color, border_radius="2px"),
        rx.text(label, size="1"),
        align="center",
        spacing="1",
    )


def chart_row(point: rx.Var) -> rx.Component:
    """A month's name and its two bars (premiums billed, payments made): plain elements styled by
    assets/chart.css, each bar an SVG rectangle whose width is an attribute. Drawn as Radix stacks
    with styled boxes, every bar's width was a style generated at render, and the twelve rows ~70
    components: the history page had the most main-thread work of the member pages."""
    return rx.el.div(
        rx.el.span(point["month"], class_name="chart-month"),
        rx.el.svg(
            rx.el.svg.rect(width=point["premiums_width"].to(str), height="8", rx="2", class_name="chart-premiums"),
            rx.el.svg.rect(
                width=point["payments_width"].to(str), y="12", height="8", rx="2", class_name="chart-payments"
            ),
            class_name="chart-bars",
        ),
        class_name="chart-row",
    )


def chart() -> rx.Component:
    return rx.card(
        rx.heading(_("Last 12 months"), as_="h2", size="3"),
        rx.text(HistoryState.chart_summary, size="2", id="chart-summary"),
        # Bars drawn with plain boxes: a charting library would add ~100 KB of JavaScript to the page.
        rx.box(
            rx.hstack(
                legend_key("var(--blue-9)", _("Premiums billed")),
                legend_key("var(--green-9)", _("Payments made")),
                spacing="4",
                aria_hidden="true",
            ),
            rx.foreach(HistoryState.chart, chart_row),
            role="img",
            aria_label=HistoryState.chart_summary,
            width="100%",
            margin_top="0.5rem",
        ),
    )


def premium_summary() -> rx.Component:
    """The yearly premium summary for taxes: pick a year with bills, download its PDF."""
    return rx.cond(
        HistoryState.tax_years.length() > 0,
        member_form(
            rx.vstack(
                rx.el.label(_("Tax year"), html_for="tax-year", style={"font_weight": "600"}),
                rx.el.select(
                    rx.foreach(HistoryState.tax_years, lambda year: rx.el.option(year, value=year)),
                    id="tax-year",
                    name="year",
                    aria_describedby="tax-year-hint tax-year-error",
                    style=NATIVE_INPUT_STYLE,
                ),
                rx.text(
                    _("Month by month: full premium, tax credit, your share and what you paid."),
                    id="tax-year-hint",
                    size="2",
                    color_scheme="gray",
                ),
                field_error(HistoryState.download_errors.get("year", "").to(str), "tax-year"),
                rx.button(_("Yearly premium summary (PDF)"), type="submit", variant="soft", style=TOUCH, width="100%"),
                spacing="1",
                width="100%",
            ),
            on_submit=HistoryState.download_premium_summary,
        ),
    )


def downloads() -> rx.Component:
    date_style = {**NATIVE_INPUT_STYLE}
    return rx.card(
        rx.vstack(
            rx.heading(_("Download your records"), as_="h2", size="3"),
            member_form(
                rx.vstack(
                    rx.el.label(_("Statement month"), html_for="statement-month", style={"font_weight": "600"}),
                    rx.el.input(
                        id="statement-month",
                        name="month",
                        type="month",
                        default_value=HistoryState.statement_month,
                        style=date_style,
                    ),
                    field_error(HistoryState.download_errors.get("month", "").to(str), "statement-month"),
                    rx.button(_("Download statement (PDF)"), type="submit", variant="soft", style=TOUCH, width="100%"),
                    spacing="1",
                    width="100%",
                ),
                on_submit=HistoryState.download_statement,
            ),
            premium_summary(),
            member_form(
                rx.vstack(
                    rx.grid(
                        rx.vstack(
                            rx.el.label(_("Start date"), html_for="export-start", style={"font_weight": "600"}),
                            rx.el.input(
                                id="export-start",
                                name="start",
                                type="date",
                                default_value=HistoryState.export_start,
                                style=date_style,
                            ),
                            spacing="1",
                        ),
                        rx.vstack(
                            rx.el.label(_("End date"), html_for="export-end", style={"font_weight": "600"}),
                            rx.el.input(
                                id="export-end",
                                name="end",
                                type="date",
                                default_value=HistoryState.export_end,
                                style=date_style,
                            ),
                            spacing="1",
                        ),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    field_error(HistoryState.download_errors.get("range", "").to(str), "export-range"),
                    rx.button(_("Export history (CSV)"), type="submit", variant="soft", style=TOUCH, width="100%"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=HistoryState.export_csv,
            ),
            spacing="4",
            width="100%",
        ),
    )


def page() -> rx.Component:
    return page_shell(
        once_loaded(
            HistoryState.loaded,
            rx.vstack(
                filters(),
                rx.card(activity_list(HistoryState.rows, "", no_rows()), pagination()),
                chart(),
                downloads(),
                spacing="4",
                align="stretch",
                width="100%",
            ),
        ),
        title=_("Payment history"),
        member=True,
    )
