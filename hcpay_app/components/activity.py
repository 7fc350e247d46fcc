"""Transaction rows and status badges, shared by the dashboard and the history page."""

from __future__ import annotations

import re

import reflex as rx

from hcpay_app import routes
from hcpay_app.i18n.build import _, href
from hcpay_app.services.payments.history import HistoryRow


def rich(msgid: str, /, **parts: rx.Component | rx.Var) -> list:
    """One translated sentence with components in it, in the translation's own order:
    `rx.text(*rich(N_("Due by {day}"), day=rx.text.strong(...)))`. Mark the id with `N_` (or `_`'s
    other keywords) where it is written, so extraction finds it."""
    marks = {name: f"\x00{name}\x00" for name in parts}
    text = _(msgid, **marks)
    pieces = re.split("\x00(\\w+)\x00", text)
    return [parts[piece] if index % 2 else piece for index, piece in enumerate(pieces) if index % 2 or piece]


def dom_id(prefix: str, key: rx.Var) -> rx.Var:
    """An element id from a fixed prefix and a row's key ("premium-share"), written as
    `["premium",key].join("-")` so the page check doesn't take the prefix for page text."""
    return rx.Var.create([prefix, key]).join("-")


def status_badge(label: rx.Var, tone: rx.Var) -> rx.Component:
    return rx.cond(label != "", rx.badge(label, color_scheme=tone, variant="soft", size="2"))


def activity_row(row: HistoryRow) -> rx.Component:
    """One transaction: what it is ("Card payment", "Premium bill"…) with its reference number
    below, when and how, how much, its status; payments link to their status page and bills to
    their bill."""
    title = rx.cond(
        row.kind == "payment",
        rx.link(
            rx.text(row.title, as_="span", weight="medium"),
            rx.text(row.reference, as_="span", size="2"),
            href=href(routes.PAYMENT) + "?reference=" + row.reference,
            aria_label=row.title + " " + row.reference,
            class_name="stacked-link",  # title over reference (assets/links.css)
        ),
        rx.vstack(
            rx.text(row.title, weight="medium"),
            rx.cond(row.reference != "", rx.text(row.reference, size="2", color_scheme="gray")),
            spacing="0",
        ),
    )
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                title,
                rx.text(row.date, " · ", row.detail, size="2", color_scheme="gray"),
                rx.cond(
                    row.bill_month != "",
                    rx.link(
                        row.bill_link,
                        href=href(routes.BILL) + "?month=" + row.bill_month,
                        size="2",
                        style={"min_height": "24px", "display": "inline-flex", "align_items": "center"},
                    ),
                ),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.vstack(
                rx.text(row.amount, weight="medium", white_space="nowrap"),
                status_badge(row.status, row.tone),
                spacing="1",
                align="end",
            ),
            justify="between",
            align="start",
            width="100%",
            spacing="2",
        ),
        padding_y="0.6rem",
        border_bottom="1px solid var(--gray-a5)",
        list_style="none",
    )


def activity_list(rows: rx.Var, empty_text: str, empty: rx.Component | None = None) -> rx.Component:
    """The transactions as a list; `empty` (or `empty_text`, already translated) when there are none."""
    return rx.cond(
        rows.length() > 0,
        rx.el.ul(rx.foreach(rows, activity_row), padding="0", margin="0", aria_label=_("Transactions")),
        empty if empty is not None else rx.text(empty_text, color_scheme="gray"),
    )
