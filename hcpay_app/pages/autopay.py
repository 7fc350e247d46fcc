"""Settings → Automatic Payments."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import (
    NATIVE_INPUT_STYLE,
    field_error,
    member_form,
    recheck_on_change,
    submit_button,
    text_field,
)
from hcpay_app.components.layout import TOUCH, notice, once_loaded, page_shell
from hcpay_app.components.payment_fields import bank_fields, card_fields, choice_row
from hcpay_app.i18n.build import _, href
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.recurring.autopay import ChargePreview
from hcpay_app.state.autopay import AutopayState

M = AutopayState.mandate
LEGEND = {"font_weight": "600", "margin_bottom": "0.5rem"}
PLAIN_FIELDSET = {"border": "none", "padding": "0", "margin": "0"}


def status_badge(color: str) -> rx.Component:
    return rx.badge(M.status_text, color_scheme=color, size="2", id="autopay-state")


def current_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(_("Automatic Payments"), as_="h2", size="4"),
                rx.cond(M.status == "active", status_badge("green"), status_badge("orange")),
            ),
            rx.data_list.root(
                rx.data_list.item(rx.data_list.label(_("Method")), rx.data_list.value(M.method)),
                rx.data_list.item(rx.data_list.label(_("Amount")), rx.data_list.value(M.amount_text)),
                rx.data_list.item(rx.data_list.label(_("Frequency")), rx.data_list.value(M.frequency)),
                rx.cond(
                    M.next_charge != "",
                    rx.data_list.item(
                        rx.data_list.label(_("Next charge")), rx.data_list.value(M.next_charge, id="autopay-next")
                    ),
                ),
                rx.cond(
                    M.paused_until != "",
                    rx.data_list.item(rx.data_list.label(_("Paused until")), rx.data_list.value(M.paused_until)),
                ),
                orientation="vertical",
            ),
            rx.cond(
                M.pay_by_hand != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("triangle-alert")),
                    rx.callout.text(M.pay_by_hand, id="autopay-pay-by-hand"),
                    rx.link(_("Make a Payment"), href=href(routes.PAY), weight="medium"),
                    color_scheme="orange",
                ),
            ),
            rx.button(_("Edit Automatic Payments"), variant="soft", on_click=AutopayState.start_setup, style=TOUCH),
            rx.cond(
                M.status == "active",
                member_form(
                    rx.vstack(
                        rx.el.label(_("Pause until"), html_for="paused_until", style={"font_weight": "600"}),
                        rx.text(AutopayState.pause_rules, id="paused_until-hint", size="2", color_scheme="gray"),
                        rx.el.input(
                            id="paused_until",
                            name="paused_until",
                            type="date",
                            min=AutopayState.pause_min,
                            max=AutopayState.pause_max,
                            aria_describedby="paused_until-hint paused_until-error",
                            aria_invalid=rx.cond(AutopayState.errors.contains("paused_until"), "true", "false"),
                            on_change=recheck_on_change(
                                AutopayState.recheck_field, "paused_until", AutopayState.errors
                            ),
                            style=NATIVE_INPUT_STYLE,
                        ),
                        field_error(AutopayState.errors.get("paused_until", "").to(str), "paused_until"),
                        rx.button(_("Pause"), type="submit", variant="soft", style=TOUCH),
                        spacing="1",
                        width="100%",
                    ),
                    on_submit=AutopayState.pause,
                ),
                rx.button(_("Resume Automatic Payments"), on_click=AutopayState.resume, style=TOUCH),
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.button(_("Cancel Automatic Payments"), variant="soft", color_scheme="red", style=TOUCH)
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title(_("Turn off Automatic Payments?")),
                    rx.alert_dialog.description(_("You'll need to pay each premium yourself by its due date.")),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button(_("Keep them on"), variant="soft", style=TOUCH)),
                        rx.alert_dialog.action(
                            rx.button(_("Turn off"), color_scheme="red", on_click=AutopayState.cancel, style=TOUCH)
                        ),
                        justify="end",
                        spacing="3",
                        margin_top="1rem",
                    ),
                ),
            ),
            spacing="3",
            align="stretch",
        ),
    )


def method_option(method: MethodView) -> rx.Component:
    value = method.id.to_string()
    return choice_row(
        "method_id",
        value,
        method.label,
        checked=AutopayState.method_id == value,
        on_change=AutopayState.pick_method(value),
    )


def new_method_fields() -> rx.Component:
    """A card or bank account entered here, saved to Payment methods when the member goes on."""
    errors = AutopayState.errors
    return rx.vstack(
        rx.cond(
            AutopayState.method_id == "new_bank",
            bank_fields(errors, recheck=AutopayState.recheck_field),
            card_fields(errors, recheck=AutopayState.recheck_field),
        ),
        rx.text(
            _("We'll save it to your payment methods, so you can use it again."),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            AutopayState.needs_password,
            text_field(
                _("Current password"),
                "password",
                errors=errors,
                type="password",
                autocomplete="current-password",
                hint=_("For your security, confirm your password to add a payment method."),
            ),
        ),
        spacing="3",
        width="100%",
    )


def setup_form() -> rx.Component:
    errors = AutopayState.errors
    return member_form(
        rx.vstack(
            rx.heading(_("Set up Automatic Payments"), as_="h2", size="4"),
            rx.el.fieldset(
                rx.el.legend(_("Pay from"), style=LEGEND),
                rx.vstack(
                    rx.foreach(AutopayState.saved_methods, method_option),
                    choice_row(
                        "method_id",
                        "new_card",
                        _("A new card"),
                        checked=AutopayState.method_id == "new_card",
                        on_change=AutopayState.pick_method("new_card"),
                    ),
                    choice_row(
                        "method_id",
                        "new_bank",
                        _("A new bank account"),
                        checked=AutopayState.method_id == "new_bank",
                        on_change=AutopayState.pick_method("new_bank"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                field_error(errors.get("method", "").to(str), "method"),
                style=PLAIN_FIELDSET,
            ),
            rx.cond(
                (AutopayState.method_id == "new_card") | (AutopayState.method_id == "new_bank"),
                new_method_fields(),
            ),
            rx.el.fieldset(
                rx.el.legend(_("Amount each time"), style={"font_weight": "600", "margin_bottom": "0.5rem"}),
                rx.vstack(
                    choice_row(
                        "amount_rule",
                        "full",
                        _("The full amount due (recommended)"),
                        checked=AutopayState.amount_rule == "full",
                        on_change=AutopayState.pick_rule("full"),
                    ),
                    choice_row(
                        "amount_rule",
                        "fixed",
                        _("A fixed amount"),
                        checked=AutopayState.amount_rule == "fixed",
                        on_change=AutopayState.pick_rule("fixed"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.cond(
                AutopayState.amount_rule == "fixed",
                text_field(
                    _("Fixed amount in dollars"),
                    "fixed_amount",
                    errors=errors,
                    input_mode="decimal",
                    default_value=AutopayState.fixed_amount,
                    recheck=AutopayState.recheck_field,
                ),
            ),
            rx.el.fieldset(
                rx.el.legend(_("How often"), style={"font_weight": "600", "margin_bottom": "0.5rem"}),
                rx.hstack(
                    choice_row("frequency", "monthly", _("Monthly"), checked=AutopayState.frequency == "monthly"),
                    choice_row(
                        "frequency",
                        "quarterly",
                        _("Quarterly"),
                        checked=AutopayState.frequency == "quarterly",
                        hint=rx.text(_("3 months of premium"), size="1", color_scheme="gray"),
                    ),
                    spacing="3",
                    wrap="wrap",
                ),
                field_error(errors.get("frequency", "").to(str), "frequency"),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.vstack(
                rx.el.label(_("Charge day of the month"), html_for="charge_day", style={"font_weight": "600"}),
                rx.text(_("We suggest a few days before your due date (the 23rd)."), size="2", color_scheme="gray"),
                rx.el.select(
                    *[rx.el.option(str(day), value=str(day)) for day in range(1, 29)],
                    id="charge_day",
                    name="charge_day",
                    default_value=AutopayState.charge_day,
                    style=NATIVE_INPUT_STYLE,
                ),
                field_error(errors.get("charge_day", "").to(str), "charge_day"),
                spacing="1",
                width="100%",
            ),
            submit_button(_("Review"), AutopayState.processing, _("Checking…")),
            spacing="3",
            align="stretch",
        ),
        on_submit=AutopayState.review,
    )


def preview_row(charge: ChargePreview) -> rx.Component:
    return rx.el.li(
        rx.text(charge.date, ": ", rx.text.strong(charge.amount)),
        rx.cond(charge.note != "", rx.text(charge.note, size="2", color_scheme="gray")),
    )


def term(label: str, value: rx.Var, field_id: str) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value, id=field_id))


def review_card() -> rx.Component:
    return member_form(
        rx.vstack(
            rx.heading(_("Review Automatic Payments"), as_="h2", size="4"),
            rx.data_list.root(
                term(_("Pay from"), AutopayState.method_label, "review-method"),
                term(_("Amount"), AutopayState.amount_rule_text, "review-amount"),
                term(_("How often"), AutopayState.frequency_text, "review-frequency"),
                term(_("Charge day"), AutopayState.charge_day_text, "review-charge-day"),
                term(_("First charge"), AutopayState.first_charge, "review-first-charge"),
                orientation="vertical",
                aria_label=_("Terms"),
            ),
            rx.cond(AutopayState.counts != "", rx.text(AutopayState.counts, size="2")),
            rx.text(_("Your next three charges:"), weight="medium"),
            rx.el.ul(rx.foreach(AutopayState.preview, preview_row), aria_label=_("Next three charges")),
            rx.cond(
                AutopayState.warning != "",
                rx.callout(AutopayState.warning, icon="triangle-alert", color_scheme="orange", role="alert"),
            ),
            rx.text(AutopayState.authorization, size="2"),
            rx.el.label(
                rx.hstack(
                    rx.el.input(
                        type="checkbox", name="accept", id="accept", style={"width": "1.25rem", "height": "1.25rem"}
                    ),
                    rx.text(_("I accept this authorization")),
                    align="center",
                    spacing="2",
                ),
                html_for="accept",
                style={"min_height": "44px", "display": "flex", "align_items": "center"},
            ),
            field_error(AutopayState.errors.get("accept", "").to(str), "accept"),
            submit_button(_("Activate"), rx.Var.create(False)),
            rx.button(_("Back"), type="button", variant="ghost", on_click=AutopayState.back_to_setup, style=TOUCH),
            spacing="3",
            align="stretch",
        ),
        on_submit=AutopayState.activate,
    )


def page() -> rx.Component:
    return page_shell(
        once_loaded(
            AutopayState.loaded,
            rx.vstack(
                notice(AutopayState.message, tone="green"),
                rx.match(
                    AutopayState.mode,
                    ("review", rx.card(review_card())),
                    ("setup", rx.card(setup_form())),
                    rx.cond(AutopayState.mandate, current_card(), rx.card(setup_form())),
                ),
                rx.link(_("Back to Settings"), href=href(routes.SETTINGS)),
                spacing="4",
                align="stretch",
            ),
        ),
        title=_("Automatic Payments"),
        member=True,
    )
