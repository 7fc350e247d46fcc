"""The page shell: header with navigation, a narrow phone-first column, and a footer."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

from hcpay_app import routes
from hcpay_app.components.language import language_choice
from hcpay_app.i18n.build import _, _var_plural, href
from hcpay_app.state.session import SessionState

TOUCH = {"min_height": "44px"}


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("heart-pulse", size=22, aria_hidden="true"),
            rx.text(_("Health Connector"), weight="bold", size="4"),
            align="center",
            spacing="2",
        ),
        href=href(routes.LOGIN),
        underline="none",
        color="white",
        aria_label=_("Health Connector Payment Portal home"),
    )


def language_bar(max_width: str = "40rem") -> rx.Component:
    """The language choice in a slim bar above the header, as state and health sites put it: the
    first thing a reader of Spanish or Portuguese sees, on every page, and the header stays as it was."""
    return rx.box(
        rx.box(language_choice(), display="flex", justify_content="flex-end", max_width=max_width, margin_x="auto"),
        padding_x="1rem",
        background="#eef3f9",  # dark text on it: well above 4.5:1
        color="#0b2e55",
    )


def connection_overlay() -> rx.Component:
    """What Reflex's own overlay did, in the page's language: a notice while the connection to the
    portal is lost. The app turns Reflex's English overlay (and its toasts) off (hcpay_app.py); a
    page says what happened next to what the member tapped instead."""
    return rx.fragment(
        rx.cond(
            has_connection_errors,
            rx.box(
                rx.callout(
                    _("The connection to the portal was lost. Trying again…"),
                    icon="wifi-off",
                    color_scheme="red",
                    role="alert",
                    high_contrast=True,
                ),
                position="fixed",
                bottom="1rem",
                left="1rem",
                right="1rem",
                z_index="9999",
            ),
        ),
    )


def member_nav() -> rx.Component:
    """The member's links: the bell (with the unread count), Dashboard, Settings and Help. One row
    of its own under the brand, down to a 360 px screen."""
    return rx.el.nav(
        rx.hstack(
            rx.link(
                # The count sits over the bell's corner, so the links beside it never move when it appears.
                rx.box(
                    rx.icon("bell", size=18, aria_hidden="true"),
                    rx.cond(SessionState.unread > 0, rx.badge(SessionState.unread, class_name="unread-count")),
                    position="relative",
                    display="flex",
                    align_items="center",
                    padding_x="0.5rem",
                ),
                href=href(routes.NOTIFICATIONS),
                color="white",
                style=TOUCH,
                display="flex",
                align_items="center",
                aria_label=rx.cond(
                    SessionState.unread > 0,
                    _var_plural("Notifications, {count} unread", "Notifications, {count} unread", SessionState.unread),
                    _("Notifications"),
                ),
                id="notifications-bell",
            ),
            rx.link(
                _("Dashboard"),
                href=href(routes.DASHBOARD),
                color="white",
                style=TOUCH,
                display="flex",
                align_items="center",
            ),
            rx.link(
                _("Settings"),
                href=href(routes.SETTINGS),
                color="white",
                style=TOUCH,
                display="flex",
                align_items="center",
            ),
            rx.link(
                _("Help"), href=href(routes.HELP), color="white", style=TOUCH, display="flex", align_items="center"
            ),
            spacing="2",
            align="center",
        ),
        aria_label=_("Member"),
        style={"grid_column": "1 / -1"},  # the whole second row of the header
    )


def log_out_button() -> rx.Component:
    """Log out, at the right of the brand: on a phone the links below would leave it no room."""
    return rx.button(
        _("Log out"), on_click=SessionState.logout, variant="outline", color="white", size="2", style=TOUCH
    )


def page_shell(*children: rx.Component, title: str, member: bool = False) -> rx.Component:
    """A page: header (with member navigation on member pages), heading, content, footer.

    Nothing moves once the page is up: a member page's navigation is part of the first paint (it
    does not wait for the log-in check), and the main column fills the screen, so the footer starts
    below the fold rather than being pushed down when the page's data arrives."""
    return rx.box(
        language_bar(),
        connection_overlay(),
        rx.el.header(
            rx.box(
                brand(),
                # Shown from the first paint, before the log-in check has answered; it goes away
                # only once the page is up and nobody turned out to be logged in (on Help, the one
                # member-shell page anyone may open: protected pages send such a visitor to log in).
                # Two rows whatever the width: the brand with Log out, then the links.
                *(
                    [
                        rx.cond(SessionState.logged_in | ~rx.State.is_hydrated, log_out_button()),
                        rx.cond(SessionState.logged_in | ~rx.State.is_hydrated, member_nav()),
                    ]
                    if member
                    else []
                ),
                display="grid",
                grid_template_columns="minmax(0, 1fr) auto",
                align_items="center",
                column_gap="0.5rem",
                row_gap="0.5rem",
                max_width="40rem",
                margin_x="auto",
                padding_x="1rem",
                padding_y="0.5rem",
            ),
            background="#0b4a8b",  # white text on it is well above 4.5:1
            color="white",
        ),
        rx.el.main(
            rx.vstack(
                rx.heading(title, as_="h1", size="6"),
                *children,
                spacing="4",
                width="100%",
                align="stretch",
            ),
            max_width="40rem",
            margin_x="auto",
            padding="1rem",
            width="100%",
            min_height="100vh",
        ),
        rx.el.footer(
            rx.text(
                _("Health Connector Payment Portal · We never ask for your password or codes by phone or email."),
                size="1",
                color_scheme="gray",
            ),
            max_width="40rem",
            margin_x="auto",
            padding="1rem",
        ),
        min_height="100vh",
        overflow_x="hidden",
    )


def notice(text: rx.Var, tone: str = "blue", role: str = "status") -> rx.Component:
    """A callout that screen readers announce; shown only when `text` is non-empty."""
    return rx.cond(
        text != "",
        rx.callout(
            text, icon="info" if tone != "red" else "triangle-alert", color_scheme=tone, role=role, high_contrast=True
        ),  # dark text on the tint: well above 4.5:1 in every tone
    )


def once_loaded(loaded: rx.Var, content: rx.Component) -> rx.Component:
    """A page's content, shown once its data has arrived (a spinner until then).

    The content is in the first HTML, hidden, and hydrates with the page, when React can pause
    between components; mounted only on arrival (an `rx.cond`), it was one render that React cannot
    pause (Reflex's state store updates synchronously): on the dashboard ~45 ms of main thread, twice
    what filling in the hidden content costs."""
    return rx.fragment(
        rx.cond(loaded, rx.fragment(), rx.center(rx.spinner(size="3", aria_label=_("Loading")), padding="2rem")),
        rx.el.div(content, hidden=~loaded),
    )
