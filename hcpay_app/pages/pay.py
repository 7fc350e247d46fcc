"""Make a Payment: amount and date → method → review → confirmation with a reference number."""

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
from hcpay_app.components.payment_fields import bank_fields as shared_bank_fields
from hcpay_app.components.payment_fields import card_fields as shared_card_fields
from hcpay_app.components.payment_fields import choice_row
from hcpay_app.i18n.build import _, _var, href, tr
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.payments.templates import AUTOPAY_PROMPT
from hcpay_app.state.pay import PayState

# run_script compiles this into the page as a function (call_script would need eval, which the CSP forbids).
DISABLE_SUBMIT = "(() => { const b = document.getElementById('submit-payment'); if (b) { b.disabled = true; } })()"
STEP_NUMBERS = (("amount", 1), ("method", 2), ("review", 3), ("done", 4))


def amount_step() -> rx.Component:
    errors = PayState.errors
    return member_form(
        rx.vstack(
            rx.heading(_("How much, and when?"), as_="h2", size="4"),
            rx.el.fieldset(
                rx.el.legend(_("Amount"), style={"font_weight": "600", "margin_bottom": "0.5rem"}),
                rx.vstack(
                    rx.cond(
                        PayState.has_first_premium,
                        choice_row(
                            "amount_choice",
                            "first_premium",
                            PayState.first_premium_label,
                            checked=PayState.amount_choice == "first_premium",
                            on_change=PayState.pick_amount("first_premium"),
                            full_width=True,
                            hint=rx.text(
                                _("Your coverage is Pending first payment until it is paid."),
                                size="2",
                                color_scheme="gray",
                            ),
                        ),
                    ),
                    rx.cond(
                        PayState.shows_past_due,
                        choice_row(
                            "amount_choice",
                            "past_due",
                            PayState.past_due_label,
                            checked=PayState.amount_choice == "past_due",
                            on_change=PayState.pick_amount("past_due"),
                            full_width=True,
                        ),
                    ),
                    rx.cond(
                        PayState.has_current,
                        choice_row(
                            "amount_choice",
                            "current",
                            PayState.current_label,
                            checked=PayState.amount_choice == "current",
                            on_change=PayState.pick_amount("current"),
                            full_width=True,
                        ),
                    ),
                    rx.cond(
                        PayState.shows_owed,
                        choice_row(
                            "amount_choice",
                            "all",
                            PayState.owed_label,
                            checked=PayState.amount_choice == "all",
                            on_change=PayState.pick_amount("all"),
                            full_width=True,
                        ),
                    ),
                    choice_row(
                        "amount_choice",
                        "other",
                        _("Another amount"),
                        checked=PayState.amount_choice == "other",
                        on_change=PayState.pick_amount("other"),
                        full_width=True,
                    ),
                    spacing="2",
                    width="100%",
                ),
                field_error(errors.get("amount_choice", "").to(str), "amount_choice"),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.cond(
                PayState.amount_choice == "other",
                text_field(
                    _("Amount in dollars"),
                    "other_amount",
                    errors=errors,
                    input_mode="decimal",
                    hint=_("At least $1.00, like 125.50."),
                    default_value=PayState.other_amount,
                    recheck=PayState.recheck_field,
                ),
            ),
            rx.vstack(
                rx.el.label(_("Payment date"), html_for="payment_date", style={"font_weight": "600"}),
                rx.text(
                    _("Today, or schedule it up to 60 days ahead."),
                    size="2",
                    color_scheme="gray",
                    id="payment_date-hint",
                ),
                rx.el.input(
                    id="payment_date",
                    name="payment_date",
                    type="date",
                    default_value=PayState.payment_date,
                    min=PayState.today_iso,
                    max=PayState.latest_iso,
                    style=NATIVE_INPUT_STYLE,
                    aria_describedby="payment_date-hint payment_date-error",
                    aria_invalid=rx.cond(errors.get("payment_date", "").to(str) != "", "true", "false"),
                    on_change=recheck_on_change(PayState.recheck_field, "payment_date", errors),
                ),
                field_error(errors.get("payment_date", "").to(str), "payment_date"),
                spacing="1",
                width="100%",
            ),
            submit_button(_("Continue"), PayState.processing),
            rx.link(
                rx.button(_("Back to dashboard"), type="button", variant="ghost", width="100%", style=TOUCH),
                href=href(routes.DASHBOARD),
            ),
            spacing="3",
            align="stretch",
        ),
        on_submit=PayState.submit_amount,
    )


def saved_option(method: MethodView) -> rx.Component:
    field_id = "saved-" + method.id.to_string()
    return rx.el.label(
        rx.hstack(
            rx.el.input(
                type="radio",
                name="saved_method",
                value=method.id.to_string(),
                id=field_id,
                default_checked=PayState.selected_method == method.id.to_string(),
                style={"width": "1.25rem", "height": "1.25rem"},
            ),
            rx.text(method.label, rx.cond(method.nickname != "", " · " + method.nickname, "")),
            align="center",
            spacing="3",
        ),
        html_for=field_id,
        style={
            "display": "block",
            "padding": "0.6rem 0.75rem",
            "min_height": "44px",
            "border": "1px solid var(--gray-a6)",
            "border_radius": "var(--radius-3)",
        },
    )


def card_fields() -> rx.Component:
    return shared_card_fields(
        PayState.errors,
        expiry=PayState.expiry,
        name=PayState.card_name,
        billing_zip=PayState.billing_zip,
        on_expiry_blur=PayState.format_expiry,
        expiry_key=PayState.expiry_key.to_string(),
        recheck=PayState.recheck_field,
    )


def bank_fields() -> rx.Component:
    return shared_bank_fields(
        PayState.errors, account_type=PayState.account_type, name=PayState.account_name, recheck=PayState.recheck_field
    )


def method_step() -> rx.Component:
    return member_form(
        rx.vstack(
            rx.heading(_("How do you want to pay?"), as_="h2", size="4"),
            notice(PayState.message, tone="red", role="alert"),
            rx.el.fieldset(
                rx.el.legend(_("Payment method"), style={"font_weight": "600", "margin_bottom": "0.5rem"}),
                rx.vstack(
                    rx.cond(
                        PayState.saved_methods.length() > 0,
                        choice_row(
                            "method_kind",
                            "saved",
                            PayState.saved_choice_label,
                            checked=PayState.method_kind == "saved",
                            on_change=PayState.pick_method_kind("saved"),
                            full_width=True,
                        ),
                    ),
                    choice_row(
                        "method_kind",
                        "card",
                        _("Credit or debit card"),
                        checked=PayState.method_kind == "card",
                        on_change=PayState.pick_method_kind("card"),
                        full_width=True,
                    ),
                    choice_row(
                        "method_kind",
                        "bank",
                        _("Bank transfer from a new account"),
                        checked=PayState.method_kind == "bank",
                        on_change=PayState.pick_method_kind("bank"),
                        full_width=True,
                        hint=rx.text(_("Takes 2 business days to clear."), size="2", color_scheme="gray"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.match(
                PayState.method_kind,
                (
                    "saved",
                    rx.vstack(
                        rx.cond(
                            PayState.saved_methods.length() == 1,
                            # One saved method: the choice above names it; no second radio for it.
                            rx.el.input(
                                type="hidden", name="saved_method", value=PayState.saved_methods[0].id.to_string()
                            ),
                            rx.foreach(PayState.saved_methods, saved_option),
                        ),
                        field_error(PayState.errors.get("saved_method", "").to(str), "saved_method"),
                        spacing="2",
                        width="100%",
                    ),
                ),
                ("bank", bank_fields()),
                card_fields(),
            ),
            rx.cond(
                (PayState.method_kind != "saved") & PayState.can_save,
                rx.el.label(
                    rx.hstack(
                        rx.el.input(
                            type="checkbox",
                            name="save_method",
                            id="save_method",
                            style={"width": "1.25rem", "height": "1.25rem"},
                        ),
                        rx.text(_("Save this method for later")),
                        align="center",
                        spacing="2",
                    ),
                    html_for="save_method",
                    style={"min_height": "44px", "display": "flex", "align_items": "center"},
                ),
            ),
            submit_button(_("Continue to review"), PayState.processing, _("Checking…")),
            rx.button(_("Back"), type="button", variant="ghost", on_click=PayState.back, style=TOUCH),
            spacing="3",
            align="stretch",
        ),
        on_submit=PayState.submit_method,
    )


def review_item(label: str, value, edit_step: str = "", edit_label: str = "") -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(
            rx.hstack(
                value,
                rx.cond(
                    edit_step != "",
                    rx.link(
                        _("Edit"),
                        href="#",
                        on_click=PayState.edit(edit_step).prevent_default,
                        aria_label=edit_label,
                    ),
                ),
                spacing="3",
                wrap="wrap",
            )
        ),
    )


def review_step() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Review your payment"), as_="h2", size="4"),
        rx.card(
            rx.data_list.root(
                review_item(_("Amount"), rx.text(PayState.amount_text, weight="bold"), "amount", _("Edit amount")),
                review_item(_("Payment date"), rx.text(PayState.date_text), "amount", _("Edit payment date")),
                review_item(_("Method"), rx.text(PayState.method_label), "method", _("Edit method")),
                review_item(_("Billing account"), rx.text(PayState.account_number)),
                review_item(_("Pays"), rx.vstack(rx.foreach(PayState.invoices, rx.text), spacing="0")),
                orientation="vertical",
            ),
        ),
        rx.foreach(
            PayState.warnings,
            lambda warning: rx.callout(
                warning, icon="triangle-alert", color_scheme="amber", high_contrast=True, role="status"
            ),
        ),
        notice(PayState.message, tone="red", role="alert"),
        rx.box(
            rx.cond(
                PayState.is_bank, rx.heading(_("Debit authorization"), as_="h3", size="3", margin_bottom="0.25rem")
            ),
            rx.text(PayState.authorization, size="2", id="payment-authorization"),
        ),
        rx.button(
            rx.cond(PayState.processing, _("Processing…"), PayState.submit_label),
            # Disable at once in the browser, so a second tap can't even be sent; the server
            # ignores repeats anyway and the idempotency key makes retries harmless.
            on_click=[rx.run_script(DISABLE_SUBMIT), PayState.submit_payment],
            disabled=PayState.processing,
            size="4",
            width="100%",
            style=TOUCH,
            id="submit-payment",
        ),
        rx.button(_("Back"), type="button", variant="ghost", on_click=PayState.back, style=TOUCH),
        spacing="3",
        align="stretch",
    )


def done_step() -> rx.Component:
    return rx.vstack(
        rx.heading(PayState.confirmation_heading, as_="h2", size="4", id="confirmation-heading"),
        rx.callout(PayState.result_message, icon="circle-check", color_scheme="green", role="status"),
        rx.card(
            rx.vstack(
                rx.text(_("Payment reference number"), size="2", color_scheme="gray"),
                rx.text(
                    PayState.reference,
                    size="6",
                    weight="bold",
                    font_family="monospace",
                    id="confirmation-reference",
                    style={"letter_spacing": "0.05em", "word_break": "break-all"},
                ),
                rx.text(_("Save this number for your records."), weight="medium"),
                rx.button(
                    _("Copy reference number"),
                    variant="soft",
                    style=TOUCH,
                    # Compiled into the page: scripts sent from the server need eval, which the CSP forbids.
                    on_click=[rx.set_clipboard(PayState.reference), PayState.copied],
                ),
                rx.el.span(
                    rx.cond(PayState.reference_copied, _("Reference number copied"), ""),
                    role="status",
                    style={"min_height": "1.5em"},
                ),
                rx.data_list.root(
                    rx.data_list.item(
                        rx.data_list.label(_("Status")),
                        rx.data_list.value(PayState.result_status, id="confirmation-status"),
                    ),
                    rx.data_list.item(
                        rx.data_list.label(_("Amount")),
                        rx.data_list.value(PayState.amount_text, id="confirmation-amount"),
                    ),
                    rx.data_list.item(
                        rx.data_list.label(_("Method")),
                        rx.data_list.value(PayState.method_label, id="confirmation-method"),
                    ),
                    rx.data_list.item(
                        rx.data_list.label(rx.cond(PayState.is_scheduled, _("Scheduled for"), _("Payment date"))),
                        rx.data_list.value(PayState.date_text, id="confirmation-date"),
                    ),
                    rx.data_list.item(
                        rx.data_list.label(rx.cond(PayState.is_scheduled, _("Balance until then"), _("Balance left"))),
                        rx.data_list.value(PayState.balance_left, id="confirmation-balance"),
                    ),
                    rx.cond(
                        PayState.next_due != "",
                        rx.data_list.item(
                            rx.data_list.label(_("Next due date")),
                            rx.data_list.value(PayState.next_due, id="confirmation-next-due"),
                        ),
                    ),
                    orientation="vertical",
                ),
                rx.text(PayState.email_note, size="2", id="confirmation-email"),
                spacing="2",
            ),
        ),
        rx.cond(
            PayState.receipt_url != "",
            rx.link(
                rx.button(_("Download receipt (PDF)"), variant="soft", size="3", width="100%", style=TOUCH),
                href=PayState.receipt_url,
                target="_blank",  # a new tab (is_external would compile "_blank" into a ternary)
                width="100%",
            ),
        ),
        rx.cond(
            ~PayState.autopay_on,
            rx.callout(
                rx.text(
                    tr(AUTOPAY_PROMPT),
                    " ",
                    rx.link(_("Set up Automatic Payments"), href=href(routes.AUTOPAY), weight="medium"),
                ),
                icon="calendar-check",
                color_scheme="blue",
                high_contrast=True,
            ),
        ),
        rx.link(_("See this payment's status"), href=href(routes.PAYMENT) + "?reference=" + PayState.reference),
        rx.link(
            rx.button(_("Back to dashboard"), variant="soft", width="100%", style=TOUCH), href=href(routes.DASHBOARD)
        ),
        spacing="3",
        align="stretch",
    )


def page() -> rx.Component:
    step_number = rx.match(PayState.step, *STEP_NUMBERS, 1)
    return page_shell(
        once_loaded(
            PayState.loaded,
            rx.vstack(
                rx.cond(
                    PayState.step != "done",
                    rx.text(
                        _var(
                            "Step {step} of 4 · Billing account {account}",
                            step=step_number,
                            account=PayState.account_number,
                        ),
                        size="2",
                        color_scheme="gray",
                        aria_live="polite",
                    ),
                ),
                rx.card(
                    # The amount and method forms stay mounted (hidden) until the payment is made,
                    # so Back and Edit find them as they were left; a new method form after a decline.
                    rx.cond(
                        PayState.step != "done",
                        rx.fragment(
                            rx.el.div(amount_step(), hidden=PayState.step != "amount"),
                            rx.el.div(
                                method_step(),
                                hidden=PayState.step != "method",
                                key=PayState.method_form_key.to_string(),
                            ),
                        ),
                    ),
                    rx.match(
                        PayState.step,
                        ("review", review_step()),
                        ("done", done_step()),
                        rx.fragment(),
                    ),
                ),
                spacing="3",
                align="stretch",
            ),
        ),
        title=_("Make a Payment"),
        member=True,
    )
