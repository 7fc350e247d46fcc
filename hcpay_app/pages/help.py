"""Help: answers to the questions members ask most, each linked to what solves it, and every way to
reach a person — phone and hours, interpreter line, walk-in centers — with how soon support answers."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.layout import page_shell
from hcpay_app.services.support import contact

TOPICS = [
    (
        "I can't log in",
        "Use Forgot Password to get a reset link by email, or Forgot Username to get your username. "
        "After 5 wrong passwords, log-in pauses for 15 minutes.",
        "Reset my password",
        routes.FORGOT_PASSWORD,
    ),
    (
        "My payment isn't showing",
        "Card payments show at once. Bank payments show as Pending for about 2 business days. "
        "Find any payment by its reference number in your payment history.",
        "Find a payment",
        routes.HISTORY,
    ),
    (
        "My payment was declined",
        "Nothing was charged. The message tells you why: try another card, or pay from a bank account.",
        "Make a Payment",
        routes.PAY,
    ),
    (
        "I missed a payment",
        "You have a grace period. Pay the past-due amount to keep your coverage, or split it into "
        "monthly installments with a payment plan.",
        "Set up a payment plan",
        routes.PAYMENT_PLAN,
    ),
]


def call_us(details: contact.SupportContact) -> rx.Component:
    """Phone, TTY, hours, interpreter line and walk-in centers, from the settings."""

    def phone_link(number: str, href: str, link_id: str) -> rx.Component:
        return rx.link(number, href=href, id=link_id, white_space="nowrap", underline="always")

    def item(term: str, *value, **props) -> list[rx.Component]:
        return [
            rx.el.dt(rx.text(term, weight="bold")),
            rx.el.dd(rx.text(*value, **props), style={"margin": "0 0 0.5rem 0"}),
        ]

    return rx.card(
        rx.heading("Call or visit us", as_="h2", size="3"),
        rx.el.dl(
            *item(
                "Customer Service",
                phone_link(details.phone, details.phone_href, "support-phone"),
                f" (TTY {details.tty})" if details.tty else "",
            ),
            *item("Hours", details.hours, id="support-hours"),
            *item(
                "Interpreter line",
                phone_link(details.interpreter_line, details.interpreter_href, "interpreter-line"),
                " — free, in your language",
            ),
            style={"margin": "0.5rem 0 0 0"},
        ),
        *(
            [
                rx.heading("Walk-in centers", as_="h3", size="2", margin_top="0.75rem"),
                rx.el.ul(
                    *[
                        rx.el.li(
                            rx.text(rx.text.strong(centre.town), " — ", centre.address),
                            rx.text(centre.hours, size="2", color_scheme="gray") if centre.hours else rx.fragment(),
                            style={"margin_bottom": "0.5rem"},
                        )
                        for centre in details.centres
                    ],
                    aria_label="Walk-in centers",
                    style={"padding_left": "1.25rem", "margin": "0.25rem 0 0 0"},
                ),
            ]
            if details.centres
            else []
        ),
    )


def page() -> rx.Component:
    details = contact.support_contact()
    return page_shell(
        *[
            rx.card(
                rx.heading(title, as_="h2", size="3"),
                rx.text(answer),
                rx.link(action, href=href),
            )
            for title, answer, action, href in TOPICS
        ],
        rx.card(
            rx.heading("Still need help?", as_="h2", size="3"),
            rx.text("Send us a message — include your payment reference number if it's about a payment."),
            rx.text(contact.reply_time_line(details), id="support-reply-time", weight="medium"),
            rx.link("Contact support", href=routes.SUPPORT),
        ),
        call_us(details),
        title="Help",
        member=True,
    )
