"""Settings: payment methods and password (later issues add Automatic Payments and reminders)."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import (
    field_error,
    member_form,
    submit_button,
    text_field,
)
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.components.payment_fields import bank_fields, card_fields
from hcpay_app.i18n.build import _, _var, href, ngettext, tr
from hcpay_app.services.billing.reminders import OFFSET_CHOICES
from hcpay_app.services.common.validators import PASSWORD_TIP
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state.methods import MethodsState
from hcpay_app.state.reminders import RemindersState
from hcpay_app.state.settings import SettingsState


def method_row(method: MethodView) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.hstack(
                rx.text(method.label, weight="medium"),
                rx.cond(method.is_default, rx.badge(_("Default"), color_scheme="blue")),
                rx.cond(
                    method.expires != "",
                    rx.text(_var("Expires {date}", date=method.expires), size="2", color_scheme="gray"),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            member_form(
                rx.hstack(
                    rx.el.input(type="hidden", name="method_id", value=method.id.to_string()),
                    rx.input(
                        name="nickname",
                        default_value=method.nickname,
                        placeholder=_("Nickname"),
                        aria_label=_var("Nickname for {method}", method=method.label),
                        size="3",
                        style=TOUCH,
                        flex="1",
                    ),
                    rx.button(_("Save name"), type="submit", variant="soft", style=TOUCH),
                    width="100%",
                ),
                on_submit=MethodsState.rename,
            ),
            rx.hstack(
                rx.cond(
                    ~method.is_default,
                    rx.button(
                        _("Make default"),
                        variant="soft",
                        on_click=MethodsState.make_default(method.id),
                        style=TOUCH,
                        aria_label=_var("Make {method} the default", method=method.label),
                    ),
                ),
                rx.button(
                    _("Remove"),
                    variant="soft",
                    color_scheme="red",
                    on_click=MethodsState.remove(method.id),
                    style=TOUCH,
                    aria_label=_var("Remove {method}", method=method.label),
                ),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        list_style="none",
        padding_y="0.75rem",
        border_bottom="1px solid var(--gray-a5)",
    )


def add_form() -> rx.Component:
    errors = MethodsState.errors
    return member_form(
        rx.vstack(
            rx.heading(
                rx.cond(MethodsState.add_kind == "bank", _("Add a bank account"), _("Add a card")), as_="h3", size="3"
            ),
            rx.cond(
                MethodsState.add_kind == "bank",
                bank_fields(errors, recheck=MethodsState.recheck_field),
                card_fields(errors, recheck=MethodsState.recheck_field),
            ),
            text_field(_("Nickname (optional)"), "nickname", errors=errors),
            rx.cond(
                MethodsState.needs_password,
                text_field(
                    _("Current password"),
                    "password",
                    errors=errors,
                    type="password",
                    autocomplete="current-password",
                    hint=_("For your security, confirm your password to add a payment method."),
                ),
            ),
            submit_button(_("Save payment method"), MethodsState.processing, _("Saving…")),
            rx.button(_("Cancel"), type="button", variant="ghost", on_click=MethodsState.close_add, style=TOUCH),
            spacing="3",
            align="stretch",
        ),
        on_submit=MethodsState.add_method,
    )


def methods_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Payment methods"), as_="h2", size="4"),
            notice(MethodsState.message),
            rx.cond(
                MethodsState.methods.length() > 0,
                rx.el.ul(
                    rx.foreach(MethodsState.methods, method_row),
                    padding="0",
                    margin="0",
                    aria_label=_("Saved payment methods"),
                ),
                rx.text(_("No saved payment methods yet."), color_scheme="gray"),
            ),
            rx.cond(
                MethodsState.adding,
                add_form(),
                # Usable once the page has loaded: a tap queued before the page's load would open
                # the form, and the load (which closes any form left open) would shut it again.
                rx.hstack(
                    _add_button(_("Add a card"), "card"),
                    _add_button(_("Add a bank account"), "bank"),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            spacing="3",
            align="stretch",
        ),
    )


def password_card() -> rx.Component:
    errors = SettingsState.errors
    return rx.card(
        member_form(
            rx.vstack(
                rx.heading(_("Change password"), as_="h2", size="4"),
                text_field(
                    _("Current password"),
                    "current_password",
                    errors=errors,
                    type="password",
                    autocomplete="current-password",
                ),
                text_field(
                    _("New password"),
                    "new_password",
                    errors=errors,
                    recheck=SettingsState.recheck_field,
                    type="password",
                    autocomplete="new-password",
                    hint=_("At least 12 characters.") + " " + tr(PASSWORD_TIP),
                ),
                text_field(
                    _("Confirm new password"),
                    "confirm_password",
                    errors=errors,
                    recheck=SettingsState.recheck_field,
                    recheck_with="new_password",
                    type="password",
                    autocomplete="new-password",
                ),
                notice(SettingsState.saved, tone="green"),
                submit_button(_("Change password"), SettingsState.processing, _("Saving…")),
                spacing="3",
                align="stretch",
            ),
            on_submit=SettingsState.change_password,
            reset_on_submit=True,
            key=SettingsState.form_key,
        ),
    )


def checkbox(name: str, label: str, checked) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.el.input(
                type="checkbox",
                name=name,
                id=name,
                default_checked=checked,
                style={"width": "1.25rem", "height": "1.25rem"},
            ),
            rx.text(label),
            align="center",
            spacing="2",
        ),
        html_for=name,
        style={"min_height": "44px", "display": "flex", "align_items": "center"},
    )


def reminders_card() -> rx.Component:
    return rx.card(
        member_form(
            rx.vstack(
                rx.heading(_("Reminders"), as_="h2", size="4"),
                rx.text(
                    _("We remind you before each premium is due. On by default unless you use Automatic Payments."),
                    size="2",
                ),
                checkbox("enabled", _("Send me payment reminders"), RemindersState.prefs.enabled),
                rx.el.fieldset(
                    rx.el.legend(_("How"), style={"font_weight": "600"}),
                    checkbox("by_email", _("By email"), RemindersState.prefs.by_email),
                    checkbox("in_app", _("In the portal's notifications"), RemindersState.prefs.in_app),
                    field_error(RemindersState.errors.get("channels", "").to(str), "channels"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.el.fieldset(
                    rx.el.legend(_("Days before the due date"), style={"font_weight": "600"}),
                    rx.hstack(
                        *[
                            checkbox(
                                f"days_{d}",
                                ngettext("{count} day", "{count} days", d),
                                RemindersState.prefs.days_before.contains(d),
                            )
                            for d in OFFSET_CHOICES
                        ],
                        wrap="wrap",
                        spacing="3",
                    ),
                    field_error(RemindersState.errors.get("days_before", "").to(str), "days_before"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                notice(RemindersState.saved, tone="green"),
                submit_button(_("Save reminder settings"), rx.Var.create(False)),
                spacing="3",
                align="stretch",
            ),
            on_submit=RemindersState.save,
            key=RemindersState.form_key,
        ),
    )


def autopay_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Automatic Payments"), as_="h2", size="4"),
            rx.text(_("Pay your premium automatically each month or quarter from a saved card or bank account.")),
            rx.link(
                rx.button(_("Automatic Payments"), variant="soft", width="100%", style=TOUCH),
                href=href(routes.AUTOPAY),
                width="100%",
            ),
            spacing="2",
            align="stretch",
        ),
    )


def page() -> rx.Component:
    return page_shell(
        autopay_card(), methods_card(), reminders_card(), password_card(), title=_("Settings"), member=True
    )


def _add_button(label: str, kind: str) -> rx.Component:
    """Opens the form for a new card or bank account, once the page has loaded."""
    return rx.button(
        label, variant="soft", on_click=MethodsState.open_add(kind), disabled=~rx.State.is_hydrated, style=TOUCH
    )
