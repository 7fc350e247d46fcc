"""Forgot Password: ask for a reset link by username or email."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, submit_button, text_field
from hcpay_app.components.layout import page_shell
from hcpay_app.i18n.build import _, href, tr
from hcpay_app.state.recovery import SENT_RESET, ForgotPasswordState


def page() -> rx.Component:
    return page_shell(
        rx.cond(
            ForgotPasswordState.sent,
            rx.callout(tr(SENT_RESET), icon="mail", color_scheme="green", role="status"),
            rx.card(
                member_form(
                    rx.vstack(
                        rx.text(
                            _(
                                "Enter your username or the email address on your account. We'll email you a link "
                                "to choose a new password."
                            )
                        ),
                        text_field(
                            _("Username or email"),
                            "identifier",
                            errors=ForgotPasswordState.errors,
                            recheck=ForgotPasswordState.recheck_field,
                            autocomplete="username",
                        ),
                        submit_button(_("Send reset link"), ForgotPasswordState.processing, _("Sending…")),
                        spacing="3",
                        align="stretch",
                    ),
                    on_submit=ForgotPasswordState.request_reset,
                ),
            ),
        ),
        rx.link(_("Back to log in"), href=href(routes.LOGIN)),
        title=_("Forgot Password"),
    )
