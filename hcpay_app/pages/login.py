"""The landing page: log in, or Create Account."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, submit_button, text_field
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.i18n.build import _, href, tr
from hcpay_app.state.login import LoginState, lockout_rule
from hcpay_app.state.session import SessionState


def _password_form() -> rx.Component:
    return member_form(
        rx.vstack(
            rx.heading(_("Log in"), as_="h2", size="4"),
            text_field(
                _("Username"),
                "username",
                errors=LoginState.errors,
                recheck=LoginState.recheck_field,
                autocomplete="username",
            ),
            text_field(
                _("Password"),
                "password",
                errors=LoginState.errors,
                recheck=LoginState.recheck_field,
                type="password",
                autocomplete="current-password",
                hint=tr(lockout_rule()),
            ),
            notice(LoginState.error, tone="red", role="alert"),
            submit_button(_("Log in"), LoginState.processing, _("Logging in…")),
            rx.hstack(
                rx.link(
                    _("Forgot Password"),
                    href=href(routes.FORGOT_PASSWORD),
                    style=TOUCH,
                    display="flex",
                    align_items="center",
                ),
                rx.link(
                    _("Forgot Username"),
                    href=href(routes.FORGOT_USERNAME),
                    style=TOUCH,
                    display="flex",
                    align_items="center",
                ),
                justify="between",
                width="100%",
                wrap="wrap",
            ),
            spacing="3",
            align="stretch",
        ),
        on_submit=LoginState.login,
    )


def _code_form() -> rx.Component:
    """Staff only, after a right password: the code from the authenticator app."""
    return member_form(
        rx.vstack(
            rx.heading(_("Enter your code"), as_="h2", size="4"),
            rx.text(_("Staff log-ins need a second step. Open your authenticator app to get the current code.")),
            text_field(
                _("Authenticator code"),
                "code",
                errors=LoginState.errors,
                recheck=LoginState.recheck_field,
                autocomplete="one-time-code",
                hint=_("6 digits, or one of your recovery codes if you don't have your phone."),
            ),
            notice(LoginState.error, tone="red", role="alert"),
            submit_button(_("Verify code"), LoginState.processing, _("Checking…")),
            rx.button(
                _("Start over"),
                type="button",
                variant="ghost",
                size="3",
                style=TOUCH,
                on_click=LoginState.start_over,
            ),
            spacing="3",
            align="stretch",
        ),
        on_submit=LoginState.verify_code,
        reset_on_submit=True,
    )


def page() -> rx.Component:
    return page_shell(
        rx.text(_("Pay your monthly health insurance premium, see what you owe, and keep your records.")),
        notice(SessionState.notice),
        rx.card(rx.cond(LoginState.needs_code, _code_form(), _password_form())),
        rx.card(
            rx.vstack(
                rx.heading(_("New to online payments?"), as_="h2", size="4"),
                rx.text(_("Create an account with the details from your enrollment. It takes about three minutes.")),
                rx.link(
                    rx.button(_("Create Account"), size="3", width="100%", variant="soft", style=TOUCH),
                    href=href(routes.REGISTER),
                    width="100%",
                ),
                rx.link(
                    _("Pay as a guest, without an account"),
                    href=href(routes.GUEST_PAY),
                    style=TOUCH,
                    display="flex",
                    align_items="center",
                ),
                spacing="3",
                align="stretch",
            ),
        ),
        title=_("Health Connector Payment Portal"),
    )
