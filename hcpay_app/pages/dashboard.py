"""The dashboard: the first page after log in."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.activity import activity_list, dom_id, rich
from hcpay_app.components.layout import TOUCH, notice, once_loaded, page_shell
from hcpay_app.i18n.build import _, _var, href
from hcpay_app.i18n.message import N_
from hcpay_app.services.billing.templates import BillLine, SummaryLine
from hcpay_app.services.payments.checkout import PaymentResult
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.refund_request import RefundRequestState

R = RefundRequestState

V = DashboardState.view
ME = DashboardState.view.profile


def fact(label: str, value: rx.Var) -> rx.Component:
    """A labelled value (`label` already translated)."""
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def premium_fact(line: BillLine) -> rx.Component:
    """One line of the monthly premium's breakdown: full premium, tax credit, your share."""
    return rx.data_list.item(
        rx.data_list.label(line.label),
        rx.data_list.value(
            rx.vstack(
                rx.text(line.amount, font_weight=rx.cond(line.key == "share", "700", "400")),
                rx.cond(line.detail != "", rx.text(line.detail, size="1", color_scheme="gray")),
                spacing="0",
            )
        ),
        id=dom_id("premium", line.key),
    )


def past_due_banner() -> rx.Component:
    return rx.cond(
        V.has_past_due,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(
                rx.text.strong(_var("Past due: {amount}.", amount=V.past_due)),
                " ",
                _var("It was due {day}. Pay now to keep your coverage active.", day=V.past_due_since),
            ),
            rx.cond(
                V.can_offer_plan,
                rx.link(
                    _("Set up a payment plan"),
                    href=href(routes.PAYMENT_PLAN),
                    weight="bold",
                    style=TOUCH,
                    display="flex",
                    align_items="center",
                ),
            ),
            rx.cond(
                V.has_plan,
                rx.link(
                    _("See your payment plan"),
                    href=href(routes.PAYMENT_PLAN),
                    style=TOUCH,
                    display="flex",
                    align_items="center",
                ),
            ),
            color_scheme="red",
            role="alert",
        ),
    )


def summary_row(line: SummaryLine) -> rx.Component:
    """One line of the money summary: past due now, due next, not yet due, processing, credit."""
    return rx.el.li(
        rx.hstack(
            rx.text(line.label, weight="medium"),
            rx.text(line.amount, weight="bold"),
            justify="between",
            width="100%",
        ),
        rx.cond(line.detail != "", rx.text(line.detail, size="2", color_scheme="gray")),
        id=dom_id("summary", line.key),
        style={"listStyle": "none", "padding": "0.25rem 0"},
    )


def amount_due_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(_("Amount due"), size="2", color_scheme="gray"),
            rx.text(V.amount_due, size="8", weight="bold", id="amount-due"),
            rx.cond(
                V.has_amount_due,
                rx.text(
                    *rich(N_("Due by {day}"), day=rx.text.strong(V.due_by, id="due-by")),
                    rx.cond(V.days_left != "", rx.text.span(" · ", V.days_left)),
                ),
            ),
            rx.el.ul(
                rx.foreach(V.summary, summary_row),
                aria_label=_("What you owe"),
                style={"margin": "0", "padding": "0"},
            ),
            rx.link(
                rx.button(_("Make a Payment"), size="4", width="100%", style=TOUCH), href=href(routes.PAY), width="100%"
            ),
            credit_refund(),
            spacing="2",
            align="stretch",
        ),
    )


def credit_refund() -> rx.Component:
    """Beside a credit: "Request a refund" (support decides), and the latest request's outcome."""
    return rx.vstack(
        rx.cond(
            R.can_request,
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.button(_("Request a refund"), variant="soft", size="3", width="100%", style=TOUCH)
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title(_("Request a refund of your credit?")),
                    rx.alert_dialog.description(
                        _var(
                            "We'll ask our support team to send your {credit} credit back to the card or bank "
                            "account you paid with. Until then it keeps paying your next bills.",
                            credit=R.credit,
                        ),
                    ),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button(_("Keep my credit"), variant="soft", style=TOUCH)),
                        rx.alert_dialog.action(
                            rx.button(_("Send request"), style=TOUCH, on_click=R.request_refund, loading=R.processing)
                        ),
                        justify="end",
                        spacing="3",
                        margin_top="1rem",
                        wrap="wrap",
                    ),
                ),
            ),
        ),
        rx.cond(R.message != "", rx.text(R.message, size="2", role="status", id="refund-request-message")),
        rx.cond(
            R.errors.contains("refund"),
            rx.text(R.errors["refund"], size="2", color_scheme="red", role="alert"),
        ),
        rx.cond(
            (R.status != "") & (R.message == ""),
            rx.text(
                _var("Refund request {ticket}: {status}", ticket=R.ticket_number, status=R.status_words),
                rx.cond(R.decision_reason != "", rx.text.span(" — ", R.decision_reason)),
                size="2",
                color_scheme="gray",
                id="refund-request-status",
            ),
        ),
        spacing="1",
        align="stretch",
        width="100%",
    )


def status_card() -> rx.Component:
    return rx.card(
        rx.data_list.root(
            rx.data_list.item(
                rx.data_list.label(_("Coverage")),
                rx.data_list.value(
                    rx.vstack(
                        rx.badge(V.coverage_text, color_scheme=V.coverage_tone, size="2", id="coverage-status"),
                        rx.el.ol(
                            rx.foreach(V.coverage_timeline, lambda step: rx.el.li(rx.text(step, size="2"))),
                            aria_label=_("What happens next"),
                            id="coverage-timeline",
                            style={"margin": "0", "paddingLeft": "1.25rem"},
                        ),
                        spacing="1",
                    )
                ),
            ),
            rx.data_list.item(
                rx.data_list.label(_("Automatic payments")),
                rx.data_list.value(
                    rx.hstack(
                        rx.text(V.autopay_text, id="autopay-status"),
                        rx.link(_("Automatic Payments"), href=href(routes.AUTOPAY)),
                        spacing="2",
                        wrap="wrap",
                    )
                ),
            ),
            rx.data_list.item(
                rx.data_list.label(_("Last payment")),
                rx.data_list.value(
                    rx.cond(
                        V.last_payment_reference != "",
                        rx.vstack(
                            rx.text(
                                _var("{amount} on {day}", amount=V.last_payment_amount, day=V.last_payment_date),
                                " · ",
                                V.last_payment_status,
                            ),
                            rx.link(
                                _var("Reference {reference}", reference=V.last_payment_reference),
                                href=href(routes.PAYMENT) + "?reference=" + V.last_payment_reference,
                            ),
                            spacing="0",
                        ),
                        rx.text(_("No payments yet")),
                    )
                ),
            ),
            fact(_("Billing account"), ME.account_number),
            fact(_("Plan"), ME.plan_name),
            rx.cond(
                V.has_breakdown,
                rx.fragment(rx.foreach(V.premium_breakdown, premium_fact)),
                fact(_("Monthly premium"), ME.monthly_premium),
            ),
            orientation="vertical",
        ),
    )


def scheduled_row(payment: PaymentResult) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.text(_var("{amount} on {day}", amount=payment.amount, day=payment.payment_date), weight="medium"),
                rx.text(payment.method, " · ", payment.reference, size="2", color_scheme="gray"),
                spacing="0",
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.button(
                        _("Cancel"),
                        variant="soft",
                        color_scheme="red",
                        style=TOUCH,
                        aria_label=_var("Cancel scheduled payment {reference}", reference=payment.reference),
                    )
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title(_("Cancel this scheduled payment?")),
                    rx.alert_dialog.description(
                        _var("{amount} on {day} won't be made.", amount=payment.amount, day=payment.payment_date)
                    ),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button(_("Keep it"), variant="soft", style=TOUCH)),
                        rx.alert_dialog.action(
                            rx.button(
                                _("Cancel payment"),
                                color_scheme="red",
                                style=TOUCH,
                                on_click=DashboardState.cancel_scheduled(payment.reference),
                            )
                        ),
                        justify="end",
                        spacing="3",
                        margin_top="1rem",
                    ),
                ),
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        list_style="none",
        padding_y="0.5rem",
    )


def scheduled_card() -> rx.Component:
    return rx.cond(
        DashboardState.scheduled.length() > 0,
        rx.card(
            rx.heading(_("Scheduled payments"), as_="h2", size="3"),
            rx.el.ul(
                rx.foreach(DashboardState.scheduled, scheduled_row),
                padding="0",
                margin="0",
                aria_label=_("Scheduled payments"),
            ),
        ),
    )


def page() -> rx.Component:
    return page_shell(
        once_loaded(
            DashboardState.loaded,
            rx.vstack(
                rx.heading(_var("Welcome, {name}", name=ME.first_name), as_="h2", size="5"),
                past_due_banner(),
                notice(DashboardState.cancel_message),
                amount_due_card(),
                scheduled_card(),
                status_card(),
                rx.card(
                    rx.heading(_("Recent activity"), as_="h2", size="3"),
                    activity_list(V.recent, _("No activity yet.")),
                    rx.link(
                        _("Payment history"),
                        href=href(routes.HISTORY),
                        style=TOUCH,
                        display="flex",
                        align_items="center",
                    ),
                ),
                rx.card(
                    rx.heading(_("Your information"), as_="h2", size="3"),
                    rx.data_list.root(
                        fact(_("Name"), ME.full_name),
                        fact(_("Member ID"), ME.member_number),
                        fact(_("Social Security Number"), ME.masked_ssn),
                        fact(_("Email"), ME.masked_email),
                        orientation="vertical",
                    ),
                ),
                rx.hstack(
                    rx.link(_("Payment history"), href=href(routes.HISTORY)),
                    rx.link(_("Settings"), href=href(routes.SETTINGS)),
                    rx.link(_("Help"), href=href(routes.HELP)),
                    spacing="4",
                    wrap="wrap",
                ),
                spacing="4",
                align="stretch",
            ),
        ),
        title=_("Your payment dashboard"),
        member=True,
    )
