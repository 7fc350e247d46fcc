"""A sortable, filterable table of display-ready rows (the support console's payments, refunds and
disputes). It only displays: the rows arrive sorted and filtered by the state (see
`services/support/tables.py`); header buttons and filter choices send events naming the table, the
column and the option, which the state checks against the table's spec.

Accessible markup: a caption, `th scope="col"` headers with `aria-sort` on the sorted column, the
row's reference as its `th scope="row"`, inside a named, focusable region. Below 640 px each row
shows as a small card of labelled values (see `NARROW`), so nothing scrolls sideways."""

from __future__ import annotations

import reflex as rx

from hcpay_app.components.fields import select_field
from hcpay_app.i18n.build import _, tr
from hcpay_app.services.support.tables import ALL, TableSpec

# Visually hidden, still read out: the card's heading shows the same name.
SCREEN_READER_ONLY = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}
CELL = {"padding": "0.5rem 0.75rem", "text_align": "left", "white_space": "nowrap", "vertical_align": "top"}

# On a phone each row becomes a small card (two columns of labelled values), and the header row a
# line of sort buttons, so the table fits the screen without scrolling sideways. Explicit roles
# keep it a table for screen readers whatever `display` the cells get.
NARROW = {
    "@media (max-width: 639px)": {
        "& thead tr": {"display": "flex", "flex_wrap": "wrap", "column_gap": "1.25rem"},
        "& thead th": {"display": "block", "border": "none", "padding": "0"},
        "& thead th[data-sortable='no']": {"display": "none"},
        "& tbody tr": {
            "display": "grid",
            "grid_template_columns": "minmax(0, 1fr) minmax(0, 1fr)",
            "border_top": "1px solid var(--gray-a5)",
            "padding": "0.5rem 0",
        },
        "& tbody th, & tbody td": {
            "display": "block",
            "border": "none",
            "padding": "0.125rem 0.25rem",
            "text_align": "left",
            "white_space": "normal",
            "overflow_wrap": "anywhere",
        },
        "& tbody [data-label]::before": {
            "content": "attr(data-label)",
            "display": "block",
            "font_size": "0.75rem",
            "color": "var(--gray-11)",
        },
    }
}


def _header(spec: TableSpec, column, aria: rx.Var, on_sort) -> rx.Component:
    style = {
        **CELL,
        "text_align": "right" if column.numeric else "left",
        "vertical_align": "bottom",
        "border_bottom": "2px solid var(--gray-a7)",
    }
    label = tr(column.label)
    if not column.sort_key:
        return rx.el.th(label, scope="col", role="columnheader", custom_attrs={"data-sortable": "no"}, style=style)
    direction = aria[f"{spec.name}.{column.key}"].to(str)
    arrow = rx.match(direction, ("ascending", " ▲"), ("descending", " ▼"), " ↕")
    return rx.el.th(
        rx.el.button(
            label,
            rx.el.span(arrow, aria_hidden="true"),
            type="button",
            on_click=on_sort(spec.name, column.key),
            title=_("Sort by {column}", column=label.lower()),
            style={
                "font_weight": "600",
                "min_height": "44px",
                "background": "none",
                "border": "none",
                "padding": "0",
                "cursor": "pointer",
                "color": "inherit",
                "font": "inherit",
            },
        ),
        scope="col",
        role="columnheader",
        custom_attrs={"aria-sort": direction},  # the state gives "none" for the unsorted columns
        style=style,
    )


def _row(spec: TableSpec, row: rx.Var) -> rx.Component:
    cells = []
    for column in spec.columns:
        style = {**CELL, "text_align": "right" if column.numeric else "left", "border_top": "1px solid var(--gray-a5)"}
        label = {"data-label": tr(column.label)}
        if column.key == "reference":
            cells.append(
                rx.el.th(
                    row[column.key],
                    scope="row",
                    role="rowheader",
                    custom_attrs=label,
                    style={**style, "font_weight": "normal"},
                )
            )
        else:
            cells.append(rx.el.td(row[column.key], role="cell", custom_attrs=label, style=style))
    return rx.el.tr(*cells, role="row")


def data_table(
    spec: TableSpec,
    *,
    rows: rx.Var,
    aria: rx.Var,
    chosen: rx.Var,
    summary: rx.Var,
    on_sort,
    on_filter,
) -> rx.Component:
    """The table named by `spec`, its words in the language being built (the spec's labels are
    message ids, translated here).

    Args:
        spec: columns, filters, caption and empty-table words.
        rows: the rows to show, each a dict of display strings keyed by column.
        aria: aria-sort by "table.column" ("ascending", "descending", "none").
        chosen: each filter's chosen value by "table.filter" ("" = all).
        summary: the "Showing 3 of 11" line.
        on_sort: event handler taking (table, column).
        on_filter: event handler taking (table, filter, value).
    """
    filters = [
        rx.box(
            select_field(
                tr(f.label),
                f"{spec.name}-filter-{f.key}",
                options=[(ALL, _("All")), *[(value, tr(label)) for value, label in f.options]],
                value=chosen[f"{spec.name}.{f.key}"].to(str),
                on_change=lambda value, f=f: on_filter(spec.name, f.key, value),
            ),
            min_width="12rem",
            flex="1",
        )
        for f in spec.filters
    ]
    return rx.vstack(
        rx.flex(*filters, gap="0.75rem", wrap="wrap", width="100%") if filters else rx.fragment(),
        rx.text(summary, size="1", color_scheme="gray", aria_live="polite"),
        rx.box(
            rx.el.table(
                rx.el.caption(tr(spec.caption), style=SCREEN_READER_ONLY),
                rx.el.thead(
                    rx.el.tr(*[_header(spec, c, aria, on_sort) for c in spec.columns], role="row"), role="rowgroup"
                ),
                rx.el.tbody(rx.foreach(rows, lambda row: _row(spec, row)), role="rowgroup"),
                role="table",
                style={"border_collapse": "collapse", "width": "100%", "font_size": "0.875rem", **NARROW},
            ),
            role="region",
            aria_label=_("{caption} table", caption=tr(spec.caption)),
            tab_index=0,
            overflow_x="auto",
            width="100%",
            max_width="100%",
        ),
        rx.cond(rows.length() == 0, rx.text(tr(spec.empty), size="2")),
        spacing="2",
        width="100%",
        min_width="0",
        align="stretch",
    )
