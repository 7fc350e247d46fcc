"""Card and bank-account fields, shared by Make a Payment and Settings → Payment methods.

Numbers are read once from the submitted form and tokenized; nothing here is bound to state.
"""

from __future__ import annotations

import reflex as rx

from hcpay_app.components.fields import field_error, text_field
from hcpay_app.i18n.build import _


def choice_row(
    name: str, value: str, label, *, checked, on_change=None, hint=None, full_width: bool = False
) -> rx.Component:
    """A native radio with its label: big enough to tap, read by screen readers. `full_width`
    makes every choice in a list as wide as the form."""
    field_id = f"{name}-{value}"
    return rx.el.label(
        rx.hstack(
            rx.el.input(
                type="radio",
                name=name,
                # A plain attribute: the value is a code, not text (as a prop it would be compiled
                # into a ternary that reads like page text).
                custom_attrs={"value": value},
                id=field_id,
                default_checked=checked,
                on_change=on_change,
                style={"width": "1.25rem", "height": "1.25rem", "flex_shrink": "0"},  # long labels don't squeeze it
            ),
            rx.vstack(rx.text(label, weight="medium"), hint or rx.fragment(), spacing="0"),
            align="center",
            spacing="3",
        ),
        html_for=field_id,
        style={
            "display": "block",
            **({"width": "100%", "box_sizing": "border-box"} if full_width else {}),
            "padding": "0.6rem 0.75rem",
            "min_height": "44px",
            "border": "1px solid var(--gray-a6)",
            "border_radius": "var(--radius-3)",
            "cursor": "pointer",
        },
    )


def card_fields(
    errors: rx.Var, *, expiry="", name="", billing_zip="", on_expiry_blur=None, expiry_key=None, recheck=None
) -> rx.Component:
    """`on_expiry_blur` (optional) gets the expiry as typed when the field loses focus, so the
    state can show it as MM/YY ("1224" → "12/24"); the field is re-drawn with that value (keyed on
    `expiry_key`, default the value), without a script in the page. The server accepts "1224" on
    submit either way. `recheck` (optional, `State.recheck_field`) clears a field's error the
    moment it is fixed; the security code is checked with the card number typed above it."""
    expiry_props = {}
    if on_expiry_blur is not None:
        expiry_props = {"on_blur": on_expiry_blur, "key": expiry if expiry_key is None else expiry_key}
    return rx.vstack(
        text_field(
            _("Card number"),
            "card_number",
            errors=errors,
            input_mode="numeric",
            autocomplete="cc-number",
            max_length=23,
            recheck=recheck,
        ),
        # assets/card_brand.js fills it in the browser from this page's own words ("{brand}" kept).
        rx.el.p(
            "",
            id="card-brand",
            aria_live="polite",
            custom_attrs={"data-template": _("Card type: {brand}")},
            style={"font_size": "var(--font-size-2)", "margin": "0"},
        ),
        rx.grid(
            text_field(
                _("Expiration (MM/YY)"),
                "expiry",
                errors=errors,
                autocomplete="cc-exp",
                input_mode="numeric",
                max_length=7,
                default_value=expiry,
                recheck=recheck,
                **expiry_props,
            ),
            text_field(
                _("Security code (CVC)"),
                "cvc",
                errors=errors,
                input_mode="numeric",
                autocomplete="cc-csc",
                max_length=4,
                recheck=recheck,
                recheck_with="card_number",
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        text_field(
            _("Name on card"), "card_name", errors=errors, autocomplete="cc-name", default_value=name, recheck=recheck
        ),
        text_field(
            _("Billing ZIP code"),
            "billing_zip",
            errors=errors,
            input_mode="numeric",
            autocomplete="postal-code",
            default_value=billing_zip,
            recheck=recheck,
        ),
        spacing="3",
        width="100%",
    )


def bank_fields(errors: rx.Var, *, account_type="checking", name="", recheck=None) -> rx.Component:
    """`recheck` (optional, `State.recheck_field`): as for `card_fields`; the account number and
    its confirmation are checked with each other."""
    return rx.vstack(
        text_field(
            _("Routing number"),
            "routing_number",
            errors=errors,
            input_mode="numeric",
            max_length=9,
            hint=_("9 digits, at the bottom left of a check."),
            recheck=recheck,
        ),
        text_field(
            _("Account number"),
            "account_number",
            errors=errors,
            input_mode="numeric",
            type="password",
            autocomplete="off",
            recheck=recheck,
            recheck_with="confirm_account_number",
        ),
        text_field(
            _("Confirm account number"),
            "confirm_account_number",
            errors=errors,
            input_mode="numeric",
            type="password",
            autocomplete="off",
            recheck=recheck,
            recheck_with="account_number",
        ),
        rx.el.fieldset(
            rx.el.legend(_("Account type"), style={"font_weight": "600", "margin_bottom": "0.5rem"}),
            rx.hstack(
                choice_row("account_type", "checking", _("Checking"), checked=account_type == "checking"),
                choice_row("account_type", "savings", _("Savings"), checked=account_type == "savings"),
                spacing="3",
            ),
            field_error(errors.get("account_type", "").to(str), "account_type"),
            style={"border": "none", "padding": "0", "margin": "0"},
        ),
        text_field(
            _("Name on account"),
            "account_name",
            errors=errors,
            autocomplete="name",
            default_value=name,
            recheck=recheck,
        ),
        spacing="3",
        width="100%",
    )
