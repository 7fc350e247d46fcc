"""Help: answers to the questions members ask most, each linked to what solves it, and every way to
reach a person — phone and hours, interpreter line, walk-in centers — with how soon support answers."""

import reflex as rx

from hcpay_app import routes
from hcpay_app.components.fields import sentence_parts
from hcpay_app.components.layout import page_shell
from hcpay_app.i18n.build import _, href, tr
from hcpay_app.i18n.message import N_
from hcpay_app.services.support import contact

# (question, answer, link text, where the link goes): message ids, translated where the page is built.
TOPICS = [
    (
        N_("I can't log in"),
        N_(
            "Use Forgot Password to get a reset link by email, or Forgot Username to get your username. "
            "After 5 wrong passwords, log-in pauses for 15 minutes."
        ),
        N_("Reset my password"),
        routes.FORGOT_PASSWORD,
    ),
    (
        N_("My payment isn't showing"),
        N_(
            "Card payments show at once. Bank payments show as Pending for about 2 business days. "
            "Find any payment by its reference number in your payment history."
        ),
        N_("Find a payment"),
        routes.HISTORY,
    ),
    (
        N_("My payment was declined"),
        N_("Nothing was charged. The message tells you why: try another card, or pay from a bank account."),
        N_("Make a Payment"),
        routes.PAY,
    ),
    (
        N_("I missed a payment"),
        N_(
            "You have a grace period. Pay the past-due amount to keep your coverage, or split it into "
            "monthly installments with a payment plan."
        ),
        N_("Set up a payment plan"),
        routes.PAYMENT_PLAN,
    ),
]


def call_us(details: contact.SupportContact) -> rx.Component:
    """Phone, TTY, hours, interpreter line and walk-in centers, from the settings (numbers, towns
    and addresses shown as they are; the words around them are messages)."""

    def phone_link(number: str, tel: str, link_id: str) -> rx.Component:
        return rx.link(number, href=tel, id=link_id, white_space="nowrap", underline="always")

    phone = phone_link(details.phone, details.phone_href, "support-phone")

    def item(term: str, *value, **props) -> list[rx.Component]:
        return [
            rx.el.dt(rx.text(term, weight="bold")),
            rx.el.dd(rx.text(*value, **props), style={"margin": "0 0 0.5rem 0"}),
        ]

    return rx.card(
        rx.heading(_("Call or visit us"), as_="h2", size="3"),
        rx.el.dl(
            *item(
                _("Customer Service"),
                *(sentence_parts(N_("{phone} (TTY {tty})"), phone=phone, tty=details.tty) if details.tty else [phone]),
            ),
            *item(_("Hours"), tr(details.hours) if details.hours else "", id="support-hours"),  # tr("") is the header
            *item(
                _("Interpreter line"),
                *sentence_parts(
                    N_("{number} — free, in your language"),
                    number=phone_link(details.interpreter_line, details.interpreter_href, "interpreter-line"),
                ),
            ),
            style={"margin": "0.5rem 0 0 0"},
        ),
        *(
            [
                rx.heading(_("Walk-in centers"), as_="h3", size="2", margin_top="0.75rem"),
                rx.el.ul(
                    *[
                        rx.el.li(
                            rx.text(rx.text.strong(centre.town), " — ", centre.address),
                            rx.text(tr(centre.hours), size="2", color_scheme="gray") if centre.hours else rx.fragment(),
                            style={"margin_bottom": "0.5rem"},
                        )
                        for centre in details.centres
                    ],
                    aria_label=_("Walk-in centers"),
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
                rx.heading(tr(title), as_="h2", size="3"),
                rx.text(tr(answer)),
                rx.link(tr(action), href=href(route)),
            )
            for title, answer, action, route in TOPICS
        ],
        rx.card(
            rx.heading(_("Still need help?"), as_="h2", size="3"),
            rx.text(_("Send us a message — include your payment reference number if it's about a payment.")),
            rx.text(tr(contact.reply_time_line(details)), id="support-reply-time", weight="medium"),
            rx.link(_("Contact support"), href=href(routes.SUPPORT)),
        ),
        call_us(details),
        title=_("Help"),
        member=True,
    )
