"""Contact support, and _("My requests") with their replies."""

import reflex as rx

from hcpay_app.components.fields import (
    NATIVE_INPUT_STYLE,
    field_error,
    member_form,
    recheck_on_change,
    submit_button,
    text_field,
)
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.i18n.build import _, _var, tr
from hcpay_app.services.support import contact
from hcpay_app.services.support.tickets import TOPICS, MessageView, TicketView
from hcpay_app.state.support import SupportState


def message_view(message: MessageView) -> rx.Component:
    return rx.box(
        rx.text(rx.text.strong(message.author), " · ", message.when, size="1", color_scheme="gray"),
        rx.text(message.body, size="2", white_space="pre-line"),
        padding_y="0.25rem",
    )


def reply_form(ticket: TicketView) -> rx.Component:
    """Write back about a request. A closed request says first that this opens a new request."""
    field = "reply-" + ticket.number
    # By the request's state, not its (translated) status words.
    closed = SupportState.closed_tickets.contains(ticket.number)
    in_error = (SupportState.reply_ticket == ticket.number) & (SupportState.reply_error != "")
    return member_form(
        rx.vstack(
            rx.el.input(type="hidden", name="ticket_number", value=ticket.number),
            rx.el.label(
                rx.cond(
                    closed,
                    _var("Write to us again about {number}", number=ticket.number),
                    _var("Reply to {number}", number=ticket.number),
                ),
                html_for=field,
                style={"font_weight": "600"},
            ),
            rx.cond(
                closed,
                rx.text(
                    _("This request is closed. Sending opens a new request that follows it."),
                    id=field + "-hint",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.text_area(
                id=field,
                name="message",
                rows="3",
                width="100%",
                aria_describedby=field + "-hint " + field + "-error",
                aria_invalid=rx.cond(in_error, "true", "false"),
                # While this reply is in error, each change is checked again (nothing is sent otherwise).
                on_change=lambda value: rx.cond(in_error, SupportState.recheck_reply(ticket.number, value), rx.noop()),
            ),
            rx.cond(
                in_error,
                rx.text(SupportState.reply_error, id=field + "-error", color_scheme="red", size="2", role="alert"),
            ),
            rx.button(
                rx.cond(closed, _("Send as a new request"), _("Send reply")), type="submit", variant="soft", style=TOUCH
            ),
            spacing="1",
            align="stretch",
        ),
        on_submit=SupportState.reply,
        key=SupportState.reply_key,
    )


def ticket_card(ticket: TicketView) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.hstack(
                rx.text(ticket.number, weight="bold", font_family="monospace"),
                rx.cond(
                    SupportState.answered_tickets.contains(ticket.number),
                    rx.badge(ticket.status, color_scheme="green"),
                    rx.badge(ticket.status, color_scheme="blue"),
                ),
                justify="between",
                width="100%",
            ),
            rx.text(
                _var("{topic} · opened {date}", topic=ticket.topic, date=ticket.opened), size="2", color_scheme="gray"
            ),
            rx.cond(ticket.reference != "", rx.text(_var("Payment {reference}", reference=ticket.reference), size="2")),
            rx.cond(
                ticket.follows != "",
                rx.text(_var("Follows your closed request {number}", number=ticket.follows), size="2"),
            ),
            rx.cond(
                ticket.followed_by != "", rx.text(_var("Continued in {numbers}", numbers=ticket.followed_by), size="2")
            ),
            rx.foreach(ticket.messages, message_view),
            reply_form(ticket),
        ),
        list_style="none",
        margin_bottom="0.75rem",
    )


def page() -> rx.Component:
    errors = SupportState.errors
    return page_shell(
        notice(SupportState.created, tone="green"),
        rx.card(
            member_form(
                rx.vstack(
                    rx.heading(_("Contact support"), as_="h2", size="4"),
                    rx.text(
                        # Three whole sentences, each translated on its own.
                        tr(contact.reply_time_line()) + " " + _("Urgent?") + " " + tr(contact.call_line()),
                        size="2",
                        id="support-reply-time",
                    ),
                    rx.vstack(
                        rx.el.label(_("What is it about?"), html_for="topic", style={"font_weight": "600"}),
                        rx.el.select(
                            *[rx.el.option(tr(text), value=key) for key, text in TOPICS.items()],
                            id="topic",
                            name="topic",
                            aria_describedby="topic-error",
                            aria_invalid=rx.cond(errors.contains("topic"), "true", "false"),
                            on_change=recheck_on_change(SupportState.recheck_field, "topic", errors),
                            style=NATIVE_INPUT_STYLE,
                        ),
                        field_error(errors.get("topic", "").to(str), "topic"),
                        spacing="1",
                        width="100%",
                    ),
                    text_field(
                        _("Payment reference number (optional)"),
                        "reference",
                        errors=errors,
                        hint=_("Like HC-7KQ4-M9XP-2D3F, from your confirmation or payment history."),
                        default_value=SupportState.reference,
                        recheck=SupportState.recheck_field,
                    ),
                    rx.vstack(
                        rx.el.label(_("Your message"), html_for="message", style={"font_weight": "600"}),
                        rx.text_area(
                            id="message",
                            name="message",
                            rows="5",
                            width="100%",
                            aria_describedby="message-error",
                            aria_invalid=rx.cond(errors.contains("message"), "true", "false"),
                            on_change=recheck_on_change(SupportState.recheck_field, "message", errors),
                        ),
                        field_error(errors.get("message", "").to(str), "message"),
                        spacing="1",
                        width="100%",
                    ),
                    field_error(errors.get("request", "").to(str), "request"),  # the day's limit
                    submit_button(_("Send to support"), rx.Var.create(False)),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=SupportState.submit,
                key=SupportState.form_key,
            ),
        ),
        rx.heading(_("My requests"), as_="h2", size="4"),
        rx.cond(
            SupportState.tickets.length() > 0,
            rx.el.ul(
                rx.foreach(SupportState.tickets, ticket_card), padding="0", margin="0", aria_label=_("My requests")
            ),
            rx.text(_("You haven't contacted support yet."), color_scheme="gray"),
        ),
        title=_("Help: contact support"),
        member=True,
    )
