"""Pay without logging in (guest payment)."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, sentence_parts, submit_button, text_field
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.components.payment_fields import bank_fields, card_fields, choice_row
from hcpay_app.i18n.build import _, _var, href
from hcpay_app.i18n.message import N_
from hcpay_app.services.support import contact
from hcpay_app.state.guest import GuestState

SUPPORT = contact.support_contact()  # from the settings the app was built with


def verify_step() -> rx.Component:
    errors = GuestState.errors
    return member_form(
        rx.vstack(
            rx.text(_("Find your bill with the details on it. You don't need an account.")),
            text_field(
                _("Billing account number"),
                "account_number",
                errors=errors,
                input_mode="numeric",
                max_length=9,
                recheck=GuestState.recheck_field,
            ),
            text_field(
                _("ZIP code"),
                "zip_code",
                errors=errors,
                input_mode="numeric",
                max_length=5,
                recheck=GuestState.recheck_field,
            ),
            text_field(
                _("Date of birth"), "date_of_birth", errors=errors, type="date", recheck=GuestState.recheck_field
            ),
            notice(GuestState.message, tone="red", role="alert"),
            submit_button(_("Continue"), rx.Var.create(False)),
            spacing="3",
            align="stretch",
        ),
        on_submit=GuestState.verify,
    )


def pay_step() -> rx.Component:
    """The amount (what is due, to start with), the method, and an optional email for the payer's
    own receipt. Hidden, not removed, while the payer reviews: Edit shows it again as typed."""
    errors = GuestState.errors
    return member_form(
        rx.vstack(
            rx.text(
                *sentence_parts(
                    N_("Paying for {initials} · amount due {amount}"),
                    initials=rx.text.strong(GuestState.initials),
                    amount=rx.text.strong(GuestState.amount_due),
                ),
                id="guest-summary",
            ),
            notice(GuestState.message, tone="red", role="alert"),
            text_field(
                _("Amount in dollars"),
                "amount",
                errors=errors,
                input_mode="decimal",
                default_value=GuestState.amount_prefill,
                hint=_("We've filled in the amount due. You can change it."),
                recheck=GuestState.recheck_field,
            ),
            rx.el.fieldset(
                rx.el.legend(_("Payment method"), style={"font_weight": "600", "margin_bottom": "0.5rem"}),
                rx.hstack(
                    choice_row(
                        "method_kind",
                        "card",
                        _("Card"),
                        checked=GuestState.method_kind == "card",
                        on_change=GuestState.pick_method_kind("card"),
                    ),
                    choice_row(
                        "method_kind",
                        "bank",
                        _("Bank transfer"),
                        checked=GuestState.method_kind == "bank",
                        on_change=GuestState.pick_method_kind("bank"),
                    ),
                    spacing="3",
                ),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            rx.cond(
                GuestState.method_kind == "bank",
                bank_fields(errors, recheck=GuestState.recheck_field),
                card_fields(errors, recheck=GuestState.recheck_field),
            ),
            text_field(
                _("Email for your receipt (optional)"),
                "payer_email",
                errors=errors,
                type="email",
                input_mode="email",
                autocomplete="email",
                hint=_("We'll send your receipt here. The account holder gets a copy either way."),
                recheck=GuestState.recheck_field,
            ),
            submit_button(_("Continue to review"), GuestState.processing, _("Checking…")),
            spacing="3",
            align="stretch",
        ),
        on_submit=GuestState.choose,
        hidden=GuestState.step != "pay",
    )


def summary_row(label: str, value: rx.Var, row_id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, color_scheme="gray", size="2"),
        rx.text(value, weight="medium", id=row_id, text_align="right"),
        justify="between",
        width="100%",
        spacing="3",
    )


def review_step() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Review your payment"), as_="h2", size="4"),
        summary_row(_("Amount"), GuestState.amount_text, "guest-review-amount"),
        summary_row(_("Payment date"), GuestState.payment_date, "guest-review-date"),
        summary_row(_("Paying with"), GuestState.method_label, "guest-review-method"),
        summary_row(_("Paying for"), GuestState.initials, "guest-review-for"),
        rx.cond(
            GuestState.receipt_email != "",
            summary_row(_("Receipt to"), GuestState.receipt_email, "guest-review-email"),
        ),
        rx.text(GuestState.authorization, size="2", id="guest-authorization"),
        notice(GuestState.message, tone="red", role="alert"),
        rx.button(
            rx.cond(GuestState.processing, _("Submitting…"), _("Submit payment")),
            on_click=GuestState.submit,
            disabled=GuestState.processing,
            size="4",
            style=TOUCH,
            id="guest-submit",
            aria_describedby="guest-authorization",
        ),
        rx.button(
            _("Edit"),
            on_click=GuestState.edit,
            disabled=GuestState.processing,
            variant="outline",
            size="3",
            style=TOUCH,
            aria_label=_("Edit payment details"),
        ),
        spacing="3",
        align="stretch",
    )


def done_step() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Thank you"), as_="h2", size="4"),
        rx.text(_("Payment reference number"), size="2", color_scheme="gray"),
        rx.text(GuestState.reference, size="6", weight="bold", font_family="monospace", id="guest-reference"),
        summary_row(_("Amount"), GuestState.amount_text, "guest-done-amount"),
        summary_row(_("Payment date"), GuestState.payment_date, "guest-done-date"),
        summary_row(_("Paid with"), GuestState.method_label, "guest-done-method"),
        rx.text(_var("Status: {status}", status=GuestState.result_status)),
        rx.text(GuestState.result_detail, size="2"),
        rx.cond(
            GuestState.receipt_url != "",
            rx.link(
                rx.button(_("Download receipt (PDF)"), variant="soft", size="3", width="100%", style=TOUCH),
                href=GuestState.receipt_url,
                target="_blank",  # a new tab (is_external=True, without a literal in a ternary)
                width="100%",
            ),
        ),
        rx.text(GuestState.receipt_note, size="2"),
        spacing="2",
        align="stretch",
    )


def page() -> rx.Component:
    return page_shell(
        rx.card(
            rx.match(GuestState.step, ("done", done_step()), ("verify", verify_step()), rx.fragment()),
            rx.cond((GuestState.step == "pay") | (GuestState.step == "review"), pay_step()),
            rx.cond(GuestState.step == "review", review_step()),
        ),
        rx.text(
            _("Questions about a payment?"),
            " ",
            *sentence_parts(
                N_("{get_help} or call {phone}."),
                get_help=rx.link(_("Get help"), href=href(routes.HELP), underline="always"),
                phone=rx.link(SUPPORT.phone, href=SUPPORT.phone_href, white_space="nowrap", underline="always"),
            ),
            size="2",
        ),
        rx.link(_("Log in instead"), href=href(routes.LOGIN)),
        title=_("Pay as a guest"),
    )
