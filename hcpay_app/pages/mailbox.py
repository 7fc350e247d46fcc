"""/dev/mailbox: read the outbox in the browser (never registered in production)."""

import reflex as rx

from hcpay_app.components.fields import sentence_parts
from hcpay_app.components.layout import page_shell
from hcpay_app.i18n.build import _
from hcpay_app.i18n.message import N_
from hcpay_app.state.mailbox import MailboxState, MailView


def message(mail: MailView) -> rx.Component:
    return rx.card(
        rx.text(mail.subject, weight="bold"),
        rx.text(
            *sentence_parts(N_("To: {recipient} · {sent}"), recipient=mail.recipient, sent=mail.sent),
            size="2",
            color_scheme="gray",
        ),
        rx.el.pre(mail.body, style={"white_space": "pre-wrap", "word_break": "break-word", "font_size": "0.9rem"}),
    )


def page() -> rx.Component:
    return page_shell(
        rx.text(_("Development only: every email the portal would send, newest first.")),
        rx.button(_("Refresh"), on_click=MailboxState.load, width="fit-content"),
        rx.foreach(MailboxState.messages, message),
        title=_("Development mailbox"),
    )
