"""The page a staff enrolment link opens: add an authenticator app, then keep the recovery codes."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import member_form, submit_button, text_field
from hcpay_app.components.layout import notice, page_shell
from hcpay_app.i18n.build import _, href
from hcpay_app.state.staff_enrol import StaffEnrolState


def _enrol_form() -> rx.Component:
    return rx.card(
        member_form(
            rx.vstack(
                rx.heading(_("1. Scan the QR code"), as_="h2", size="4"),
                rx.text(
                    _(
                        "Open your authenticator app (for example Google Authenticator, Microsoft Authenticator "
                        "or 1Password), add an account and scan this code. It is shown only now."
                    )
                ),
                rx.center(
                    rx.image(
                        src=StaffEnrolState.qr_code,
                        alt=_("QR code for your authenticator app"),
                        width="220px",
                        height="220px",
                    ),
                ),
                rx.text(_("Can't scan it? Enter this key in the app instead:"), size="2"),
                rx.code(StaffEnrolState.secret, id="staff-secret", style={"word_break": "break-all"}),
                rx.heading(_("2. Enter the current code"), as_="h2", size="4"),
                text_field(
                    _("Code from your authenticator app"),
                    "code",
                    errors=StaffEnrolState.errors,
                    recheck=StaffEnrolState.recheck_field,
                    autocomplete="one-time-code",
                ),
                submit_button(_("Confirm code"), StaffEnrolState.processing, _("Checking…")),
                spacing="3",
                align="stretch",
            ),
            on_submit=StaffEnrolState.confirm,
        ),
    )


def _recovery_codes() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(_("Your recovery codes"), as_="h2", size="4"),
            rx.text(
                _(
                    "Your authenticator app is set up. Keep these recovery codes somewhere safe: each one lets "
                    "you log in once if you don't have your phone. They are shown only now."
                )
            ),
            rx.el.ul(
                rx.foreach(
                    StaffEnrolState.recovery_codes,
                    lambda code: rx.el.li(rx.code(code, size="3")),
                ),
                aria_label=_("Recovery codes"),
                style={"columns": "2", "list_style": "none", "padding": "0", "line_height": "2"},
            ),
            rx.link(rx.button(_("Go to log in"), size="3", width="100%"), href=href(routes.LOGIN), width="100%"),
            spacing="3",
            align="stretch",
        ),
    )


def page() -> rx.Component:
    return page_shell(
        notice(StaffEnrolState.message, tone="red", role="alert"),
        rx.cond(
            StaffEnrolState.recovery_codes.length() > 0,
            _recovery_codes(),
            rx.cond(
                StaffEnrolState.link_valid,
                _enrol_form(),
                rx.cond(
                    StaffEnrolState.checked & (StaffEnrolState.message == ""),
                    rx.callout(
                        _(
                            "This enrolment link has expired or has already been used. "
                            "Ask an administrator for a new one."
                        ),
                        icon="triangle-alert",
                        color_scheme="red",
                        role="alert",
                    ),
                ),
            ),
        ),
        # Once the server holds the token, take it out of the address bar and the history.
        rx.cond(
            StaffEnrolState.checked,
            rx.box(
                display="none",
                on_mount=rx.run_script(f"window.history.replaceState(null, '', '{routes.STAFF_ENROL}')"),
            ),
        ),
        title=_("Set up staff log-in"),
    )
