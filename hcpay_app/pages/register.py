"""Create Account, in three steps on one page."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, sentence_parts, step_heading, submit_button, text_field
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.i18n.build import _, _var, href, tr
from hcpay_app.i18n.message import N_
from hcpay_app.services.common.validators import PASSWORD_MIN_CHARS, PASSWORD_TIP
from hcpay_app.state.register import RegisterState

STEPS = {"identity": 1, "credentials": 2, "verify": 3}


def progress() -> rx.Component:
    step_number = rx.match(RegisterState.step, ("identity", 1), ("credentials", 2), ("verify", 3), 1)
    return rx.text(
        _var("Step {number} of {total}", number=step_number, total=3), size="2", color_scheme="gray", aria_live="polite"
    )


def identity_step() -> rx.Component:
    errors = RegisterState.errors
    return member_form(
        rx.vstack(
            step_heading(_("Your personal information")),
            rx.text(_("Enter it exactly as it appears on your Health Connector enrollment."), size="2"),
            text_field(
                _("First name"),
                "first_name",
                errors=errors,
                recheck=RegisterState.recheck_field,
                autocomplete="given-name",
            ),
            text_field(
                _("Last name"),
                "last_name",
                errors=errors,
                recheck=RegisterState.recheck_field,
                autocomplete="family-name",
            ),
            text_field(
                _("Date of birth"),
                "date_of_birth",
                errors=errors,
                recheck=RegisterState.recheck_field,
                type="date",
                autocomplete="bday",
                hint=_("You must be at least 18 to hold an account."),
            ),
            text_field(
                _("Social Security Number"),
                "ssn",
                errors=errors,
                recheck=RegisterState.recheck_field,
                type="password",
                input_mode="numeric",
                hint=_("9 digits, like 123-45-6789. We encrypt it and only ever show the last 4."),
                max_length=11,
            ),
            text_field(
                _("Email"),
                "email",
                errors=errors,
                recheck=RegisterState.recheck_field,
                type="email",
                autocomplete="email",
            ),
            notice(RegisterState.message, tone="red", role="alert"),
            submit_button(_("Continue"), RegisterState.processing, _("Checking…")),
            spacing="3",
            align="stretch",
        ),
        on_submit=RegisterState.submit_identity,
    )


def strength_meter() -> rx.Component:
    return rx.vstack(
        rx.progress(
            value=(RegisterState.strength_score + 1) * 20,
            color_scheme=RegisterState.strength_color,
            aria_label=_("Password strength"),
        ),
        rx.text(
            rx.cond(
                RegisterState.strength_label != "",
                _var("Strength: {label}", label=RegisterState.strength_label) + " ",
                "",
            ),
            RegisterState.strength_advice,
            size="2",
            aria_live="polite",
            id="password-strength",
        ),
        spacing="1",
        width="100%",
    )


def credentials_step() -> rx.Component:
    errors = RegisterState.errors
    return member_form(
        rx.vstack(
            step_heading(_("Choose a username and password")),
            text_field(
                _("Username"),
                "username",
                errors=errors,
                recheck=RegisterState.recheck_field,
                autocomplete="username",
                hint=_("4–32 letters, numbers, periods, underscores or hyphens."),
            ),
            text_field(
                _("Password"),
                "password",
                errors=errors,
                type="password",
                autocomplete="new-password",
                hint=_("At least {count} characters.", count=PASSWORD_MIN_CHARS) + " " + tr(PASSWORD_TIP),
                on_change=RegisterState.check_password.debounce(250),
            ),
            strength_meter(),
            text_field(
                _("Confirm password"),
                "confirm_password",
                errors=errors,
                recheck=RegisterState.recheck_field,
                recheck_with="password",
                type="password",
                autocomplete="new-password",
            ),
            notice(RegisterState.message, tone="red", role="alert"),
            submit_button(_("Continue"), RegisterState.processing, _("Saving…")),
            spacing="3",
            align="stretch",
        ),
        on_submit=RegisterState.submit_credentials,
    )


def verify_step() -> rx.Component:
    return member_form(
        rx.vstack(
            step_heading(_("Verify your identity")),
            rx.text(
                *sentence_parts(
                    N_(
                        "We sent a 6-digit code to {email}, the email on your enrollment record. "
                        "It expires in 10 minutes."
                    ),
                    email=rx.text.strong(RegisterState.masked_email),
                ),
            ),
            text_field(
                _("Verification code"),
                "code",
                errors=RegisterState.errors,
                recheck=RegisterState.recheck_field,
                input_mode="numeric",
                autocomplete="one-time-code",
                max_length=6,
            ),
            notice(RegisterState.message, tone="red", role="alert"),
            notice(RegisterState.info),
            submit_button(_("Verify and create account"), RegisterState.processing, _("Verifying…")),
            rx.button(
                _("Send a new code"),
                type="button",
                variant="ghost",
                on_click=RegisterState.resend_code,
                disabled=RegisterState.processing,
                style=TOUCH,
            ),
            spacing="3",
            align="stretch",
        ),
        on_submit=RegisterState.submit_code,
    )


def page() -> rx.Component:
    return page_shell(
        progress(),
        rx.card(
            rx.match(
                RegisterState.step,
                ("credentials", credentials_step()),
                ("verify", verify_step()),
                identity_step(),
            ),
        ),
        rx.hstack(
            rx.link(
                _("Already have an account? Log in"),
                href=href(routes.LOGIN),
                style=TOUCH,
                display="flex",
                align_items="center",
            ),
            rx.cond(
                RegisterState.step != "identity",
                rx.button(_("Start over"), variant="ghost", on_click=RegisterState.start_over, style=TOUCH),
            ),
            justify="between",
            wrap="wrap",
        ),
        title=_("Create Account"),
    )
