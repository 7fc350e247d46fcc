"""Help: answers to the questions members ask most, each linked to what solves it."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.layout import page_shell

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


def page() -> rx.Component:
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
            rx.link("Contact support", href=routes.SUPPORT),
        ),
        title="Help",
        member=True,
    )
