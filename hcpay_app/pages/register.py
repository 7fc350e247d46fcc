"""Create Account, in three steps on one page."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, step_heading, submit_button, text_field
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.services.common.validators import PASSWORD_TIP
from hcpay_app.state.register import RegisterState

STEPS = {"identity": 1, "credentials": 2, "verify": 3}


def progress() -> rx.Component:
    step_number = rx.match(RegisterState.step, ("identity", 1), ("credentials", 2), ("verify", 3), 1)
    return rx.text("Step ", step_number, " of 3", size="2", color_scheme="gray", aria_live="polite")


def identity_step() -> rx.Component:
    errors = RegisterState.errors
    return member_form(
        rx.vstack(
            step_heading("Your personal information"),
            rx.text("Enter it exactly as it appears on your Health Connector enrollment.", size="2"),
            text_field(
                "First name",
                "first_name",
                errors=errors,
                recheck=RegisterState.recheck_field,
                autocomplete="given-name",
            ),
            text_field(
                "Last name", "last_name", errors=errors, recheck=RegisterState.recheck_field, autocomplete="family-name"
            ),
            text_field(
                "Date of birth",
                "date_of_birth",
                errors=errors,
                recheck=RegisterState.recheck_field,
                type="date",
                autocomplete="bday",
                hint="You must be at least 18 to hold an account.",
            ),
            text_field(
                "Social Security Number",
                "ssn",
                errors=errors,
                recheck=RegisterState.recheck_field,
                type="password",
                input_mode="numeric",
                hint="9 digits, like 123-45-6789. We encrypt it and only ever show the last 4.",
                max_length=11,
            ),
            text_field(
                "Email", "email", errors=errors, recheck=RegisterState.recheck_field, type="email", autocomplete="email"
            ),
            notice(RegisterState.message, tone="red", role="alert"),
            submit_button("Continue", RegisterState.processing, "Checking…"),
            spacing="3",
            align="stretch",
        ),
        on_submit=RegisterState.submit_identity,
    )


def strength_meter() -> rx.Component:
    color = rx.match(
        RegisterState.strength_score, (0, "red"), (1, "red"), (2, "orange"), (3, "green"), (4, "green"), "gray"
    )
    return rx.vstack(
        rx.progress(value=(RegisterState.strength_score + 1) * 20, color_scheme=color, aria_label="Password strength"),
        rx.text(
            rx.cond(RegisterState.strength_label != "", "Strength: " + RegisterState.strength_label, ""),
            " ",
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
            step_heading("Choose a username and password"),
            text_field(
                "Username",
                "username",
                errors=errors,
                recheck=RegisterState.recheck_field,
                autocomplete="username",
                hint="4–32 letters, numbers, periods, underscores or hyphens.",
            ),
            text_field(
                "Password",
                "password",
                errors=errors,
                type="password",
                autocomplete="new-password",
                hint=f"At least 12 characters. {PASSWORD_TIP}",
                on_change=RegisterState.check_password.debounce(250),
            ),
            strength_meter(),
            text_field(
                "Confirm password",
                "confirm_password",
                errors=errors,
                recheck=RegisterState.recheck_field,
                recheck_with="password",
                type="password",
                autocomplete="new-password",
            ),
            notice(RegisterState.message, tone="red", role="alert"),
            submit_button("Continue", RegisterState.processing, "Saving…"),
            spacing="3",
            align="stretch",
        ),
        on_submit=RegisterState.submit_credentials,
    )


def verify_step() -> rx.Component:
    return member_form(
        rx.vstack(
            step_heading("Verify your identity"),
            rx.text(
                "We sent a 6-digit code to ",
                rx.text.strong(RegisterState.masked_email),
                ", the email on your enrollment record. It expires in 10 minutes.",
            ),
            text_field(
                "Verification code",
                "code",
                errors=RegisterState.errors,
                recheck=RegisterState.recheck_field,
                input_mode="numeric",
                autocomplete="one-time-code",
                max_length=6,
            ),
            notice(RegisterState.message, tone="red", role="alert"),
            notice(RegisterState.info),
            submit_button("Verify and create account", RegisterState.processing, "Verifying…"),
            rx.button(
                "Send a new code",
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
                "Already have an account? Log in", href=routes.LOGIN, style=TOUCH, display="flex", align_items="center"
            ),
            rx.cond(
                RegisterState.step != "identity",
                rx.button("Start over", variant="ghost", on_click=RegisterState.start_over, style=TOUCH),
            ),
            justify="between",
            wrap="wrap",
        ),
        title="Create Account",
    )
