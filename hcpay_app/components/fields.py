"""Form fields with a visible label, an optional hint and an error announced next to the field.

Inputs are uncontrolled and read on submit, so what a member types (SSN, password, code) is never
stored in state or echoed back to the browser.

Every form shares the same behaviour, compiled in as static files (the CSP forbids scripts sent
from the server): a field in error carries `aria-invalid="true"` and a red border
(`assets/forms.css`); after a submit, focus moves to the first field in error, and when a flow
changes step, to the new step's heading (`assets/forms.js`, keyed on `aria-invalid` and on
`data-step-heading`); password fields have a Show password / Hide password button.
"""

from __future__ import annotations

import re

import reflex as rx

from hcpay_app.components.layout import TOUCH
from hcpay_app.i18n.build import _


def sentence_parts(msgid: str, /, **parts: object) -> list:
    """One translated sentence with components inside it: `rx.text(*sentence_parts(N_("We sent a
    code to {email}."), email=rx.text.strong(State.email)))` (`N_` marks the id for extraction).
    The translation decides where each part sits; the sentence stays one message for the
    translator."""
    marks = {name: f"\x00{name}\x00" for name in parts}
    text = _(msgid, **marks)
    pieces: list = []
    for index, piece in enumerate(re.split("\x00(\\w+)\x00", text)):
        if index % 2:
            pieces.append(parts[piece])
        elif piece:
            pieces.append(piece)
    return pieces


def field_error(error: rx.Var, field_id: str) -> rx.Component:
    return rx.cond(
        error != "",
        rx.text(error, id=f"{field_id}-error", color_scheme="red", size="2", role="alert"),
    )


PASSWORD_AUTOCOMPLETE = ("current-password", "new-password")


def password_toggle(field_id: str | rx.Var) -> rx.Component:
    """ "Show password" / "Hide password" for the password input `field_id`: a real button (Tab,
    Enter, Space), switched in the browser by assets/forms.js, so the password never leaves it.
    Its name is the visible words; the hidden half is display:none (assets/forms.css)."""
    return rx.el.button(
        rx.el.span(_("Show password"), class_name="pw-show"),
        rx.el.span(_("Hide password"), class_name="pw-hide"),
        type="button",
        class_name="password-toggle",
        aria_controls=field_id,
        custom_attrs={"data-password-toggle": field_id},
    )


def recheck_on_change(recheck, name: str, errors: rx.Var, *, recheck_with: str = "", on_change=None):
    """`on_change` for a field drawn without `text_field` (a native date input, a select, a text
    area): while field `name` is in error, its new value goes to `recheck(name, value, related)`
    (see state/form_errors.py), so its message clears the moment it is fixed."""
    return _recheck_on_change(recheck, name, errors.get(name, "").to(str), recheck_with, on_change)


def _recheck_on_change(recheck, name: str, error: rx.Var, recheck_with: str, on_change):
    """While the field is in error, each change goes to `recheck(name, value, related)`; a field
    without an error sends nothing this way (the event is chosen in the browser). Not debounced:
    Reflex keys a debounce by handler name, so one field's recheck would swallow another's."""

    def send(value):
        related = rx.Var(f"(document.getElementById({recheck_with!r})?.value ?? '')", _var_type=str)
        return rx.cond(error != "", recheck(name, value, related if recheck_with else ""), rx.noop())

    if on_change is None:
        return send
    return lambda value: [on_change(value) if callable(on_change) else on_change, send(value)]


def text_field(
    label: str,
    name: str,
    *,
    errors: rx.Var,
    type: str = "text",
    hint: str = "",
    autocomplete: str = "off",
    field_id: str | rx.Var = "",
    recheck=None,
    recheck_with: str = "",
    show_toggle: bool | None = None,
    **props,
) -> rx.Component:
    """Label, hint, input and error for one field; `errors` is the state's field → message dict.
    `field_id` keeps ids unique when several forms on a page share a field name.

    `recheck` (e.g. `State.recheck_field`, see state/form_errors.py) clears the field's error the
    moment it is fixed; `recheck_with` names the input whose value is checked with it (the first
    typing of a new password, for its confirmation). A password input (autocomplete
    current-password / new-password) gets a Show password button unless `show_toggle=False`."""
    error = errors.get(name, "").to(str)
    field_id = field_id if isinstance(field_id, rx.Var) or field_id else name
    described = field_id + "-hint " + field_id + "-error" if hint else field_id + "-error"
    if show_toggle is None:
        show_toggle = type == "password" and autocomplete in PASSWORD_AUTOCOMPLETE
    if recheck is not None:
        props["on_change"] = _recheck_on_change(recheck, name, error, recheck_with, props.get("on_change"))
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "600"}),
        rx.cond(hint != "", rx.text(hint, id=field_id + "-hint", size="2", color_scheme="gray")),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=autocomplete,
            aria_describedby=described,
            aria_invalid=rx.cond(error != "", "true", "false"),
            size="3",
            width="100%",
            style=TOUCH,
            **props,
        ),
        password_toggle(field_id) if show_toggle else rx.fragment(),
        field_error(error, field_id),
        spacing="1",
        width="100%",
        align="stretch",
    )


def step_heading(*children, **props) -> rx.Component:
    """The heading of one step of a flow: when the step changes, focus moves to it
    (assets/forms.js). An h2 unless `as_` says otherwise."""
    custom_attrs = {"data-step-heading": "true", **props.pop("custom_attrs", {})}
    return rx.heading(
        *children, as_=props.pop("as_", "h2"), size=props.pop("size", "4"), custom_attrs=custom_attrs, **props
    )


def submit_button(label: str, processing: rx.Var, busy_label: str = "") -> rx.Component:
    """`label` and `busy_label` are page text already translated (`_("Continue")`); the busy label
    defaults to "Please wait…" in the page's language."""
    return rx.button(
        rx.cond(processing, busy_label or _("Please wait…"), label),
        type="submit",
        size="3",
        width="100%",
        disabled=processing,
        style=TOUCH,
    )


def member_form(*children: rx.Component, on_submit, reset_on_submit: bool = False, **props) -> rx.Component:
    """A form validated on the server, where the messages are specific and sit next to the field
    (the browser's own validation bubbles are off)."""
    return rx.form(*children, on_submit=on_submit, reset_on_submit=reset_on_submit, no_validate=True, **props)


NATIVE_INPUT_STYLE = {
    "min_height": "44px",
    "width": "100%",
    "padding": "0 0.75rem",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-background)",
    "font_size": "1rem",
}


def select_field(label: str, field_id: str, *, options: rx.Var | list, value: rx.Var, on_change) -> rx.Component:
    """A labelled native <select> (the phone's own picker). `options` are (value, text) pairs."""
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "600"}),
        rx.el.select(
            rx.foreach(options, lambda option: rx.el.option(option[1], value=option[0])),
            id=field_id,
            value=value,
            on_change=on_change,
            style=NATIVE_INPUT_STYLE,
        ),
        spacing="1",
        width="100%",
    )
