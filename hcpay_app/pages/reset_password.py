"""The page a password-reset link opens."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, submit_button, text_field
from hcpay_app.components.layout import notice, page_shell
from hcpay_app.i18n.build import _, href, tr
from hcpay_app.services.common.validators import PASSWORD_MIN_CHARS, PASSWORD_TIP
from hcpay_app.state.recovery import ResetPasswordState


def page() -> rx.Component:
    errors = ResetPasswordState.errors
    return page_shell(
        notice(ResetPasswordState.message, tone="red", role="alert"),
        rx.cond(
            ResetPasswordState.link_valid,
            rx.card(
                member_form(
                    rx.vstack(
                        text_field(
                            _("New password"),
                            "password",
                            errors=errors,
                            recheck=ResetPasswordState.recheck_field,
                            type="password",
                            autocomplete="new-password",
                            hint=_("At least {count} characters.", count=PASSWORD_MIN_CHARS) + " " + tr(PASSWORD_TIP),
                        ),
                        text_field(
                            _("Confirm new password"),
                            "confirm_password",
                            errors=errors,
                            recheck=ResetPasswordState.recheck_field,
                            recheck_with="password",
                            type="password",
                            autocomplete="new-password",
                        ),
                        submit_button(_("Set new password"), ResetPasswordState.processing, _("Saving…")),
                        spacing="3",
                        align="stretch",
                    ),
                    on_submit=ResetPasswordState.set_password,
                ),
            ),
            rx.cond(
                ResetPasswordState.checked & (ResetPasswordState.message == ""),
                rx.callout(
                    _("This reset link has expired or has already been used. Please request a new one."),
                    icon="triangle-alert",
                    color_scheme="red",
                    role="alert",
                ),
            ),
        ),
        # Once the server holds the token, take it out of the address bar and the history. Compiled
        # into the page: a script sent from the server would need eval, which the CSP forbids.
        rx.cond(
            ResetPasswordState.checked,
            rx.box(
                display="none",
                on_mount=rx.run_script(f"window.history.replaceState(null, '', '{routes.RESET_PASSWORD}')"),
            ),
        ),
        rx.hstack(
            rx.link(_("Request a new link"), href=href(routes.FORGOT_PASSWORD)),
            rx.link(_("Back to log in"), href=href(routes.LOGIN)),
            justify="between",
        ),
        title=_("Choose a new password"),
    )
