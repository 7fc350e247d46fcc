"""The console's tables (payments, refunds, disputes): what each table shows, and sorting and
filtering its rows on the server.

A table is a `TableSpec` plus a list of rows. A row is a plain dict: display-ready strings under
each column's key (what the page shows), and raw values under `_`-prefixed keys (what sorting and
filtering compare: ISO dates, integer cents, status values). `view` sorts and filters a stored list
of such rows and strips the raw keys, so only display strings reach the browser. Sorting and
filtering never take anything from the browser but a table name, a column key and an option
value, each checked against the spec here (`clean_sort`, `clean_filter`).

To add a table (refunds and disputes are declared here already), build its rows with the same keys
(see `payment_row` in `console.py`) and hand them to the console state under the spec's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from hcpay_app.i18n.message import Msg
from hcpay_app.models import PaymentStatus
from hcpay_app.services.payments import statuses

ASCENDING, DESCENDING = "ascending", "descending"  # the words aria-sort takes
ALL = ""  # a filter set to this value shows every row


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: `key` into each row, the header `label`, and (for a sortable column) the raw
    `sort_key` compared when sorting by it (a raw key, or the display key itself when the words sort
    right, as status labels do) and the direction a first click sorts in."""

    key: str
    label: str
    sort_key: str = ""
    first_direction: str = ASCENDING
    numeric: bool = False  # right-aligned


@dataclasses.dataclass(frozen=True)
class Filter:
    """A choice narrowing the rows: rows whose raw `row_key` equals the chosen option's value."""

    key: str
    label: str
    row_key: str
    options: tuple[tuple[str, str], ...]  # (value, label); ALL ("") is always offered first


@dataclasses.dataclass(frozen=True)
class TableSpec:
    name: str
    caption: str
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    default_sort: str = ""  # a sortable column's key
    default_direction: str = DESCENDING
    empty: str = Msg("Nothing to show.")

    def column(self, key: object) -> Column | None:
        return next((c for c in self.columns if c.key == key and c.sort_key), None)

    def filter(self, key: object) -> Filter | None:
        return next((f for f in self.filters if f.key == key), None)


@dataclasses.dataclass(frozen=True)
class TableState:
    """How a table is shown: the column sorted by, its direction, and the chosen filter values."""

    sort: str
    direction: str
    filters: dict[str, str]


def initial(spec: TableSpec) -> TableState:
    return TableState(spec.default_sort, spec.default_direction, {f.key: ALL for f in spec.filters})


def clean_sort(spec: TableSpec, current: TableState, column: object) -> TableState:
    """Sort by `column`: a first click sorts in the column's first direction, the next click on the
    same column reverses it. An unknown or unsortable column changes nothing."""
    chosen = spec.column(column)
    if chosen is None:
        return current
    if chosen.key == current.sort:
        direction = ASCENDING if current.direction == DESCENDING else DESCENDING
    else:
        direction = chosen.first_direction
    return dataclasses.replace(current, sort=chosen.key, direction=direction)


def clean_filter(spec: TableSpec, current: TableState, key: object, value: object) -> TableState:
    """Set one filter; an unknown filter or a value not among its options changes nothing."""
    chosen = spec.filter(key)
    if chosen is None or not isinstance(value, str):
        return current
    if value != ALL and value not in {v for v, _label in chosen.options}:
        return current
    return dataclasses.replace(current, filters={**current.filters, chosen.key: value})


def view(spec: TableSpec, rows: Sequence[dict], state: TableState) -> list[dict[str, str]]:
    """The rows to show: filtered, sorted (stable: ties keep the stored order), raw keys removed."""
    chosen = [(f.row_key, state.filters.get(f.key, ALL)) for f in spec.filters]
    kept = [row for row in rows if all(value in (ALL, row.get(key)) for key, value in chosen)]
    column = spec.column(state.sort)
    if column is not None:
        kept = sorted(kept, key=lambda row: row.get(column.sort_key), reverse=state.direction == DESCENDING)
    # Text stays as it is (a `Msg` is translated where the rows are shown); anything else as text.
    return [{k: v if isinstance(v, str) else str(v) for k, v in row.items() if not k.startswith("_")} for row in kept]


def aria_sort(spec: TableSpec, state: TableState) -> dict[str, str]:
    """aria-sort for each sortable column: the sorted one's direction, "none" for the others."""
    return {c.key: (state.direction if c.key == state.sort else "none") for c in spec.columns if c.sort_key}


PAYMENT_STATUS_OPTIONS = tuple((s.value, statuses.LABELS.get(s, s.value.title())) for s in PaymentStatus)
METHOD_OPTIONS = (("card", Msg("Card")), ("bank", Msg("Bank account")))

PAYMENTS = TableSpec(
    name="payments",
    caption=Msg("Payments"),
    columns=(
        Column("date", Msg("Date"), sort_key="_date", first_direction=DESCENDING),
        Column("reference", Msg("Reference")),
        Column("method", Msg("Method")),
        Column("amount", Msg("Amount"), sort_key="_amount", first_direction=DESCENDING, numeric=True),
        Column("status", Msg("Status"), sort_key="status"),
    ),
    filters=(
        Filter("status", Msg("Payment status"), "_status", PAYMENT_STATUS_OPTIONS),
        Filter("method", Msg("Payment method"), "_method", METHOD_OPTIONS),
    ),
    default_sort="date",
    empty=Msg("No payments match."),
)

# The slots for refunds and disputes (issue 18): the console shows these tables, empty, until
# their rows are built (same shape: display keys below, raw `_date`, `_amount`, `_status`).
REFUND_STATUS_OPTIONS = (("pending", Msg("Pending")), ("refunded", Msg("Refunded")), ("failed", Msg("Failed")))
DISPUTE_STATUS_OPTIONS = (("open", Msg("Open")), ("won", Msg("Won")), ("lost", Msg("Lost")))

REFUNDS = TableSpec(
    name="refunds",
    caption=Msg("Refunds"),
    columns=(
        Column("date", Msg("Date"), sort_key="_date", first_direction=DESCENDING),
        Column("reference", Msg("Reference")),
        Column("payment", Msg("Payment")),
        Column("amount", Msg("Amount"), sort_key="_amount", first_direction=DESCENDING, numeric=True),
        Column("reason", Msg("Reason")),
        Column("status", Msg("Status"), sort_key="status"),
    ),
    filters=(Filter("status", Msg("Refund status"), "_status", REFUND_STATUS_OPTIONS),),
    default_sort="date",
    empty=Msg("No refunds yet."),
)

DISPUTES = TableSpec(
    name="disputes",
    caption=Msg("Disputes"),
    columns=(
        Column("date", Msg("Opened"), sort_key="_date", first_direction=DESCENDING),
        Column("reference", Msg("Payment")),
        Column("amount", Msg("Amount"), sort_key="_amount", first_direction=DESCENDING, numeric=True),
        Column("reason", Msg("Reason")),
        Column("status", Msg("Status"), sort_key="status"),
    ),
    filters=(Filter("status", Msg("Dispute status"), "_status", DISPUTE_STATUS_OPTIONS),),
    default_sort="date",
    empty=Msg("No disputes yet."),
)

SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (PAYMENTS, REFUNDS, DISPUTES)}
