"""Pay without logging in (guest payment)."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, submit_button, text_field
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.components.payment_fields import bank_fields, card_fields, choice_row
from hcpay_app.state.guest import GuestState


def verify_step() -> rx.Component:
    errors = GuestState.errors
    return member_form(
        rx.vstack(
            rx.text("Find your bill with the details on it. You don't need an account."),
            text_field("Billing account number", "account_number", errors=errors, input_mode="numeric", max_length=9),
            text_field("ZIP code", "zip_code", errors=errors, input_mode="numeric", max_length=5),
            text_field("Date of birth", "date_of_birth", errors=errors, type="date"),
            notice(GuestState.message, tone="red", role="alert"),
            submit_button("Continue", rx.Var.create(False)),
            spacing="3",
            align="stretch",
        ),
        on_submit=GuestState.verify,
    )


def pay_step() -> rx.Component:
    errors = GuestState.errors
    return member_form(
        rx.vstack(
            rx.text(
                "Paying for ",
                rx.text.strong(GuestState.initials),
                " · amount due ",
                rx.text.strong(GuestState.amount_due),
                id="guest-summary",
            ),
            notice(GuestState.message, tone="red", role="alert"),
            text_field("Amount in dollars", "amount", errors=errors, input_mode="decimal", default_value=""),
            rx.el.fieldset(
                rx.el.legend("Payment method", style={"font_weight": "600", "margin_bottom": "0.5rem"}),
                rx.hstack(
                    choice_row(
                        "method_kind",
                        "card",
                        "Card",
                        checked=GuestState.method_kind == "card",
                        on_change=GuestState.pick_method_kind("card"),
                    ),
                    choice_row(
                        "method_kind",
                        "bank",
                        "Bank transfer",
                        checked=GuestState.method_kind == "bank",
                        on_change=GuestState.pick_method_kind("bank"),
                    ),
                    spacing="3",
                ),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.cond(GuestState.method_kind == "bank", bank_fields(errors), card_fields(errors)),
            submit_button("Continue to review", GuestState.processing, "Checking…"),
            spacing="3",
            align="stretch",
        ),
        on_submit=GuestState.choose,
    )


def review_step() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Pay ",
            rx.text.strong(GuestState.amount_text),
            " with ",
            GuestState.method_label,
            " for ",
            GuestState.initials,
            ".",
        ),
        notice(GuestState.message, tone="red", role="alert"),
        rx.button(
            "Submit payment",
            on_click=GuestState.submit,
            disabled=GuestState.processing,
            size="4",
            style=TOUCH,
            id="guest-submit",
        ),
        spacing="3",
        align="stretch",
    )


def done_step() -> rx.Component:
    return rx.vstack(
        rx.text("Payment reference number", size="2", color_scheme="gray"),
        rx.text(GuestState.reference, size="6", weight="bold", font_family="monospace", id="guest-reference"),
        rx.text("Status: ", GuestState.result_status),
        rx.text("Save this number for your records. We've emailed a receipt to the address on the account."),
        spacing="2",
    )


def page() -> rx.Component:
    return page_shell(
        rx.card(
            rx.match(
                GuestState.step, ("pay", pay_step()), ("review", review_step()), ("done", done_step()), verify_step()
            )
        ),
        rx.link("Log in instead", href=routes.LOGIN),
        title="Pay as a guest",
    )
