"""Set up a payment plan for a past-due balance."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.activity import rich
from hcpay_app.components.fields import (
    NATIVE_INPUT_STYLE,
    field_error,
    member_form,
    submit_button,
)
from hcpay_app.components.layout import TOUCH, notice, once_loaded, page_shell
from hcpay_app.components.payment_fields import choice_row
from hcpay_app.i18n.build import _, _var, href
from hcpay_app.i18n.message import N_
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.recurring.plans import InstallmentView
from hcpay_app.state.plan import PlanState


def installment_row(row: InstallmentView) -> rx.Component:
    return rx.el.li(rx.text(row.due, ": ", rx.text.strong(row.amount), " · ", row.status))


def method_option(method: MethodView) -> rx.Component:
    return rx.el.option(method.label, value=method.id.to_string())


def plan_form() -> rx.Component:
    errors = PlanState.errors
    return member_form(
        rx.vstack(
            rx.text(*rich(N_("Past-due balance: {amount}"), amount=rx.text.strong(PlanState.offer.past_due))),
            rx.el.fieldset(
                rx.el.legend(
                    _("Number of monthly installments"), style={"font_weight": "600", "margin_bottom": "0.5rem"}
                ),
                rx.hstack(
                    rx.foreach(
                        PlanState.offer.choices,
                        lambda n: choice_row("installments", n.to_string(), n.to_string(), checked=n == 2),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                field_error(errors.get("installments", "").to(str), "installments"),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.vstack(
                rx.el.label(_("Pay installments with"), html_for="method_id", style={"font_weight": "600"}),
                rx.el.select(
                    rx.el.option(_("I'll pay each one myself"), value=""),
                    rx.foreach(PlanState.saved_methods, method_option),
                    id="method_id",
                    name="method_id",
                    style=NATIVE_INPUT_STYLE,
                ),
                field_error(errors.get("method_id", "").to(str), "method_id"),
                spacing="1",
                width="100%",
            ),
            rx.text(PlanState.terms, size="2"),
            rx.el.label(
                rx.hstack(
                    rx.el.input(
                        type="checkbox", name="accept", id="accept", style={"width": "1.25rem", "height": "1.25rem"}
                    ),
                    rx.text(_("I accept the plan terms")),
                    align="center",
                    spacing="2",
                ),
                html_for="accept",
                style={"min_height": "44px", "display": "flex", "align_items": "center"},
            ),
            field_error(errors.get("accept", "").to(str), "accept"),
            submit_button(_("Set up payment plan"), rx.Var.create(False), busy_label=_("Please wait…")),
            spacing="3",
            align="stretch",
        ),
        on_submit=PlanState.create,
    )


def page() -> rx.Component:
    return page_shell(
        once_loaded(
            PlanState.loaded,
            rx.vstack(
                notice(PlanState.message, tone="green"),
                rx.cond(
                    PlanState.plan,
                    rx.card(
                        rx.heading(_("Your payment plan"), as_="h2", size="4"),
                        rx.text(_var("Total: {amount}", amount=PlanState.plan.total)),
                        rx.el.ul(
                            rx.foreach(PlanState.plan.installments, installment_row), aria_label=_("Installments")
                        ),
                    ),
                    rx.cond(
                        PlanState.offer.choices.length() > 0,
                        rx.card(plan_form()),
                        rx.text(_("There's no past-due balance to put on a plan right now.")),
                    ),
                ),
                rx.link(_("Back to dashboard"), href=href(routes.DASHBOARD), style=TOUCH),
                spacing="4",
                align="stretch",
            ),
        ),
        title=_("Payment plan"),
        member=True,
    )
