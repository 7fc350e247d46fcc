"""One bill: the coverage month, the premium and its tax credit, what paid it, what is left, how to
pay, and the bill as a PDF."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.activity import dom_id, status_badge
from hcpay_app.components.layout import TOUCH, once_loaded, page_shell
from hcpay_app.i18n.build import _, _var, href
from hcpay_app.services.billing.bills import AppliedRow
from hcpay_app.services.billing.templates import BillLine, PayOption
from hcpay_app.state.bill import BillState

B = BillState.bill


def fact(label: str, value) -> rx.Component:
    """A labelled value (`label` already translated)."""
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def amount_row(label, amount, key, *, detail="", strong: bool = False) -> rx.Component:
    """A label and its amount on one line (with a note under it): one item of a list."""
    weight = "700" if strong else "400"
    return rx.el.li(
        rx.hstack(
            rx.text(label, font_weight=weight),
            rx.text(amount, font_weight=weight, white_space="nowrap"),
            justify="between",
            width="100%",
            spacing="2",
        ),
        rx.cond(detail != "", rx.text(detail, size="1", color_scheme="gray")),
        id=dom_id("bill", key),
        style={"listStyle": "none", "padding": "0.25rem 0"},
    )


def premium_row(line: BillLine) -> rx.Component:
    return amount_row(line.label, line.amount, line.key, detail=line.detail)


def payment_row(row: AppliedRow) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.cond(
                    row.reference != "",
                    rx.link(
                        _var("Payment {reference}", reference=row.reference),
                        href=href(routes.PAYMENT) + "?reference=" + row.reference,
                        weight="medium",
                    ),
                    rx.text(row.label, weight="medium"),
                ),
                rx.text(row.date, " · ", row.note, size="2", color_scheme="gray"),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.text(row.amount, weight="medium", white_space="nowrap"),
            justify="between",
            align="start",
            width="100%",
            spacing="2",
        ),
        padding_y="0.5rem",
        border_bottom="1px solid var(--gray-a5)",
        list_style="none",
    )


def pay_option(option: PayOption) -> rx.Component:
    link = rx.match(
        option.key,
        ("autopay", href(routes.AUTOPAY)),
        ("guest", href(routes.GUEST_PAY)),
        href(routes.PAY),
    )
    return rx.el.li(
        rx.link(option.label, href=link, weight="bold", style=TOUCH, display="flex", align_items="center"),
        rx.text(option.text, size="2"),
        list_style="none",
        padding_y="0.25rem",
    )


def bill() -> rx.Component:
    lists = {"margin": "0", "padding": "0"}
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(B.title, as_="h2", size="5", id="bill-title"),
                    rx.box(status_badge(B.status_label, B.status_tone), id="bill-status"),
                    justify="between",
                    align="center",
                    width="100%",
                    wrap="wrap",
                ),
                rx.text(_("Still unpaid"), size="2", color_scheme="gray"),
                rx.text(B.unpaid, size="7", weight="bold", id="bill-unpaid"),
                rx.text(B.status_detail, id="bill-status-detail"),
                spacing="2",
            ),
        ),
        rx.card(
            rx.data_list.root(
                fact(_("Coverage month"), B.month_label),
                fact(_("Plan"), B.plan_name),
                fact(_("Billing account"), B.account_number),
                fact(_("Issued"), B.issued_on),
                fact(_("Due date"), rx.text(B.due_on, id="bill-due")),
                orientation="vertical",
            ),
        ),
        rx.card(
            rx.heading(_("Premium"), as_="h2", size="3"),
            rx.el.ul(
                rx.foreach(B.premium, premium_row),
                rx.cond(B.fees != "", amount_row(_("Late fees and adjustments"), B.fees, "fees")),
                amount_row(_("Total for this bill"), B.total, "total", strong=True),
                aria_label=_("Premium"),
                style=lists,
            ),
        ),
        rx.card(
            rx.heading(_("Payments applied"), as_="h2", size="3"),
            rx.cond(
                B.payments.length() > 0,
                rx.el.ul(rx.foreach(B.payments, payment_row), aria_label=_("Payments applied"), style=lists),
                rx.text(_("No payments yet."), color_scheme="gray"),
            ),
            rx.el.ul(
                amount_row(_("Paid"), B.paid, "paid"),
                rx.cond(B.processing != "", amount_row(_("Processing"), B.processing, "processing")),
                amount_row(_("Still unpaid"), B.unpaid, "still-unpaid", strong=True),
                aria_label=_("Paid and unpaid"),
                style={**lists, "marginTop": "0.5rem"},
            ),
        ),
        rx.card(
            rx.heading(_("How to pay"), as_="h2", size="3"),
            rx.el.ul(rx.foreach(B.how_to_pay, pay_option), aria_label=_("Ways to pay"), style=lists),
        ),
        rx.link(
            rx.button(_("Download bill (PDF)"), variant="soft", size="3", width="100%", style=TOUCH),
            href=BillState.pdf_url,
            target="_blank",
            width="100%",
        ),
        spacing="4",
        align="stretch",
        width="100%",
    )


def page() -> rx.Component:
    return page_shell(
        once_loaded(
            BillState.loaded,
            rx.cond(
                BillState.not_found != "",
                rx.callout(BillState.not_found, icon="search-x", color_scheme="orange", role="alert"),
                bill(),
            ),
        ),
        rx.hstack(
            rx.link(_("Payment history"), href=href(routes.HISTORY)),
            rx.link(_("Dashboard"), href=href(routes.DASHBOARD)),
            spacing="4",
        ),
        title=_("Your bill"),
        member=True,
    )
