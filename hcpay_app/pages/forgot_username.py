"""Forgot Username: the username is emailed to the address on file."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, submit_button, text_field
from hcpay_app.components.layout import page_shell
from hcpay_app.i18n.build import _, href, tr
from hcpay_app.state.recovery import SENT_USERNAME, ForgotUsernameState


def page() -> rx.Component:
    return page_shell(
        rx.cond(
            ForgotUsernameState.sent,
            rx.callout(tr(SENT_USERNAME), icon="mail", color_scheme="green", role="status"),
            rx.card(
                member_form(
                    rx.vstack(
                        rx.text(_("Enter the email address on your account and we'll email you your username.")),
                        text_field(
                            _("Email"),
                            "email",
                            errors=ForgotUsernameState.errors,
                            recheck=ForgotUsernameState.recheck_field,
                            type="email",
                            autocomplete="email",
                        ),
                        submit_button(_("Email my username"), ForgotUsernameState.processing, _("Sending…")),
                        spacing="3",
                        align="stretch",
                    ),
                    on_submit=ForgotUsernameState.request_username,
                ),
            ),
        ),
        rx.link(_("Back to log in"), href=href(routes.LOGIN)),
        title=_("Forgot Username"),
    )
