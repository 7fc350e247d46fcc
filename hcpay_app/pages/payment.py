"""One payment's status page: what its status means, the timeline, and its receipt."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.activity import status_badge
from hcpay_app.components.layout import TOUCH, once_loaded, page_shell
from hcpay_app.i18n.build import _, href
from hcpay_app.state.history import PaymentDetailState

D = PaymentDetailState.detail


def fact(label: str, value) -> rx.Component:
    """A labelled value (`label` already translated)."""
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def detail() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(_("Reference number"), size="2", color_scheme="gray"),
                    rx.box(status_badge(D.status_label, D.tone), id="payment-status"),
                    justify="between",
                    width="100%",
                ),
                rx.text(D.reference, size="6", weight="bold", font_family="monospace", id="payment-reference"),
                rx.text(D.explanation, id="status-explanation"),
                spacing="2",
            ),
        ),
        rx.card(
            rx.data_list.root(
                fact(_("Amount"), D.amount),
                fact(_("Payment date"), D.payment_date),
                fact(_("Method"), D.method),
                fact(_("Billing account"), D.account_number),
                rx.cond(D.expected_settle_on != "", fact(_("Expected to clear"), D.expected_settle_on)),
                fact(
                    _("Applied to"),
                    rx.cond(
                        D.invoices.length() > 0,
                        rx.vstack(rx.foreach(D.invoices, rx.text), spacing="0"),
                        rx.text(_("Not applied to an invoice")),
                    ),
                ),
                rx.cond(
                    D.refunds.length() > 0,
                    fact(_("Refunds"), rx.vstack(rx.foreach(D.refunds, rx.text), spacing="0", id="payment-refunds")),
                ),
                rx.cond(D.dispute != "", fact(_("Dispute"), rx.text(D.dispute, id="payment-dispute"))),
                orientation="vertical",
            ),
        ),
        rx.card(
            rx.heading(_("Timeline"), as_="h2", size="3"),
            rx.el.ol(
                rx.foreach(
                    D.timeline,
                    lambda step: rx.el.li(
                        rx.text(rx.text.strong(step.label), " — ", step.when, size="2"),
                        rx.cond(step.note != "", rx.text(step.note, size="2", color_scheme="gray")),
                        margin_bottom="0.5rem",
                    ),
                ),
                padding_left="1.2rem",
            ),
        ),
        rx.cond(
            PaymentDetailState.receipt_url != "",
            rx.link(
                rx.button(_("Download receipt (PDF)"), variant="soft", size="3", width="100%", style=TOUCH),
                href=PaymentDetailState.receipt_url,
                target="_blank",
                width="100%",
            ),
        ),
        spacing="4",
        align="stretch",
        width="100%",
    )


def page() -> rx.Component:
    return page_shell(
        once_loaded(
            PaymentDetailState.loaded,
            rx.cond(
                PaymentDetailState.not_found != "",
                rx.callout(PaymentDetailState.not_found, icon="search-x", color_scheme="orange", role="alert"),
                detail(),
            ),
        ),
        rx.hstack(
            rx.link(_("Payment history"), href=href(routes.HISTORY)),
            rx.link(_("Dashboard"), href=href(routes.DASHBOARD)),
            spacing="4",
        ),
        title=_("Payment status"),
        member=True,
    )
