"""The support console (staff only): search, member records, tickets, actions with reasons, audit."""

import reflex as rx

from hcpay_app.components.fields import NATIVE_INPUT_STYLE, member_form, text_field
from hcpay_app.components.layout import TOUCH, notice, page_shell
from hcpay_app.services.support.console import Line, MemberRow
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.session import SessionState

R = ConsoleState.record


def reason_field(field_id) -> rx.Component:
    return text_field(
        "Reason", "reason", errors=ConsoleState.errors, hint="Required for the audit trail.", field_id=field_id
    )


def line(item: Line) -> rx.Component:
    return rx.el.li(
        rx.text(item.text, size="2"),
        rx.text(item.detail, size="1", color_scheme="gray"),
        list_style="none",
        padding_y="0.25rem",
    )


def result_row(row: MemberRow) -> rx.Component:
    return rx.el.li(
        rx.button(
            row.name,
            " · ",
            row.account_number,
            " · ",
            row.member_number,
            variant="ghost",
            style=TOUCH,
            on_click=ConsoleState.open_member(row.member_id),
        ),
        list_style="none",
    )


def fee_row(item: Line) -> rx.Component:
    return rx.el.li(
        member_form(
            rx.vstack(
                rx.text(item.text, " · ", item.detail, size="2"),
                rx.el.input(type="hidden", name="entry_id", value=item.id.to_string()),
                reason_field("reason-fee-" + item.id.to_string()),
                rx.button("Waive fee", type="submit", variant="soft", style=TOUCH),
                spacing="1",
            ),
            on_submit=ConsoleState.waive_fee,
        ),
        list_style="none",
    )


def ticket_block(ticket: TicketView, place: str) -> rx.Component:
    """A ticket with its reply form; `place` keeps element ids unique when a ticket shows twice."""
    field = place + "-body-" + ticket.number
    closer = place + "-close-" + ticket.number
    return rx.el.li(
        rx.card(
            rx.text(rx.text.strong(ticket.number), " · ", ticket.topic, " · ", ticket.status, size="2"),
            rx.cond(ticket.reference != "", rx.text("Payment ", ticket.reference, size="2")),
            rx.cond(ticket.follows != "", rx.text("Follows closed ticket ", rx.text.strong(ticket.follows), size="2")),
            rx.cond(ticket.followed_by != "", rx.text("Continued in ", rx.text.strong(ticket.followed_by), size="2")),
            rx.foreach(ticket.messages, lambda m: rx.text(rx.text.strong(m.author), ": ", m.body, size="2")),
            member_form(
                rx.vstack(
                    rx.el.input(type="hidden", name="ticket_number", value=ticket.number),
                    rx.el.label("Reply to " + ticket.number, html_for=field, style={"font_weight": "600"}),
                    rx.text_area(id=field, name="body", rows="3", width="100%"),
                    rx.el.label(
                        rx.hstack(
                            rx.el.input(type="checkbox", name="close", id=closer),
                            rx.text("Close the ticket"),
                            spacing="2",
                        ),
                        html_for=closer,
                    ),
                    rx.button("Send reply", type="submit", style=TOUCH),
                    spacing="1",
                ),
                on_submit=ConsoleState.reply,
            ),
        ),
        list_style="none",
        margin_bottom="0.5rem",
    )


def record_view() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.heading(R.name, as_="h2", size="4", id="console-member"),
            rx.text("Member ", R.member_number, " · SSN ", R.masked_ssn, " · ", R.email, size="2"),
            rx.text("Account ", R.account_number, " · ", R.plan, " · ", R.coverage, " · balance ", R.balance, size="2"),
            rx.cond(R.locked, rx.badge("Log-in locked", color_scheme="red")),
        ),
        rx.card(
            rx.heading("Payments", as_="h3", size="3"),
            rx.el.ul(rx.foreach(R.payments, line), padding="0", aria_label="Member payments"),
        ),
        rx.card(
            rx.heading("Late fees", as_="h3", size="3"),
            rx.cond(
                R.fees.length() > 0,
                rx.el.ul(rx.foreach(R.fees, fee_row), padding="0", aria_label="Late fees"),
                rx.text("No late fees to waive.", size="2"),
            ),
        ),
        rx.card(
            rx.heading("Tickets", as_="h3", size="3"),
            rx.el.ul(
                rx.foreach(R.tickets, lambda t: ticket_block(t, "member")), padding="0", aria_label="Member tickets"
            ),
        ),
        rx.card(
            rx.heading("Actions", as_="h3", size="3"),
            member_form(
                rx.vstack(
                    text_field("Adjustment amount", "amount", errors=ConsoleState.errors, field_id="adjust-amount"),
                    rx.el.select(
                        rx.el.option("Credit to the member", value="credit"),
                        rx.el.option("Charge on newest invoice", value="charge"),
                        name="direction",
                        aria_label="Adjustment type",
                        style=NATIVE_INPUT_STYLE,
                    ),
                    reason_field("reason-adjust"),
                    rx.button("Post adjustment", type="submit", style=TOUCH),
                    spacing="1",
                ),
                on_submit=ConsoleState.adjust,
            ),
            member_form(
                rx.vstack(
                    reason_field("reason-unlock"), rx.button("Unlock log-in", type="submit", style=TOUCH), spacing="1"
                ),
                on_submit=ConsoleState.unlock,
            ),
            member_form(
                rx.vstack(
                    reason_field("reason-reset"),
                    rx.button("Send password reset email", type="submit", style=TOUCH),
                    spacing="1",
                ),
                on_submit=ConsoleState.send_reset,
            ),
            member_form(
                rx.vstack(
                    text_field(
                        "Scheduled payment reference",
                        "reference",
                        errors=ConsoleState.errors,
                        field_id="cancel-reference",
                    ),
                    reason_field("reason-cancel"),
                    rx.button("Cancel scheduled payment", type="submit", style=TOUCH),
                    spacing="1",
                ),
                on_submit=ConsoleState.cancel_payment,
            ),
            rx.card(rx.heading("Notices", as_="h3", size="3"), rx.el.ul(rx.foreach(R.notices, line), padding="0")),
        ),
        spacing="3",
        width="100%",
        key=ConsoleState.form_key,
    )


def page() -> rx.Component:
    return page_shell(
        rx.text("Signed in as ", SessionState.display_name, " (support)."),
        rx.button("Log out", on_click=SessionState.logout, variant="soft", style=TOUCH, width="fit-content"),
        member_form(
            rx.hstack(
                rx.input(
                    name="query",
                    placeholder="Name, billing account, member ID or payment reference",
                    size="3",
                    style=TOUCH,
                    flex="1",
                    aria_label="Search members or payments",
                ),
                rx.button("Search", type="submit", style=TOUCH),
                width="100%",
            ),
            on_submit=ConsoleState.search,
        ),
        notice(ConsoleState.message),
        rx.el.ul(rx.foreach(ConsoleState.results, result_row), padding="0", aria_label="Search results"),
        rx.cond(R, record_view()),
        rx.card(
            rx.heading("Open tickets", as_="h2", size="3"),
            rx.el.ul(
                rx.foreach(ConsoleState.tickets, lambda t: ticket_block(t, "queue")),
                padding="0",
                aria_label="Open tickets",
            ),
        ),
        rx.card(
            rx.heading("Audit trail", as_="h2", size="3"),
            rx.el.ul(rx.foreach(ConsoleState.audit, line), padding="0", aria_label="Audit trail"),
        ),
        title="Support console",
    )
