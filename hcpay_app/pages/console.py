"""The support console (staff only): search, the ticket queue, member records with their tables
and flags, actions with reasons, audit.

At 1024 px and wider the queue and the member panel sit side by side in a wide shell; below that
everything stacks in one column, and nothing scrolls the page sideways (a wide table scrolls
inside its own region)."""

import dataclasses

import reflex as rx

from hcpay_app.components.data_table import data_table
from hcpay_app.components.fields import NATIVE_INPUT_STYLE, member_form, text_field
from hcpay_app.components.layout import TOUCH, brand, connection_overlay, language_bar, notice
from hcpay_app.i18n.build import _, _var, tr
from hcpay_app.services.support import tables
from hcpay_app.services.support.console import Line, MemberRow
from hcpay_app.services.support.refund_desk import RefundablePayment, RefundRequestView, RefundView
from hcpay_app.services.support.tickets import TicketView
from hcpay_app.services.support.watchlist import Flag
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.session import SessionState

R = ConsoleState.record
DESKTOP = "@media (min-width: 1024px)"
WIDE = "90rem"  # the console's width on a desktop screen (member pages keep their phone column)


def reason_field(field_id) -> rx.Component:
    return text_field(
        _("Reason"), "reason", errors=ConsoleState.errors, hint=_("Required for the audit trail."), field_id=field_id
    )


def reason_action(field_id: str, label: str, on_submit) -> rx.Component:
    """An audited action that needs nothing but its reason."""
    return member_form(
        rx.vstack(reason_field(field_id), rx.button(label, type="submit", style=TOUCH), spacing="1"),
        on_submit=on_submit,
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
            " · ",
            row.language,
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
                rx.button(_("Waive fee"), type="submit", variant="soft", style=TOUCH),
                spacing="1",
            ),
            on_submit=ConsoleState.waive_fee,
        ),
        list_style="none",
    )


def flag_badges(labels) -> rx.Component:
    return rx.foreach(labels, lambda label: rx.badge(label, color_scheme="orange", variant="solid", high_contrast=True))


def ticket_block(ticket: TicketView, place: str, member_id=None) -> rx.Component:
    """A ticket with its reply form; `place` keeps element ids unique when a ticket shows twice.
    In the queue (`member_id` given) it names the member, with a button opening their record."""
    field = place + "-body-" + ticket.number
    closer = place + "-close-" + ticket.number
    return rx.el.li(
        rx.card(
            rx.flex(
                rx.text(rx.text.strong(ticket.number), " · ", ticket.topic, " · ", ticket.status, size="2"),
                rx.badge(_var("Opened {age} ago", age=ticket.age), color_scheme="gray", title=ticket.opened),
                flag_badges(ticket.flags),
                gap="0.5rem",
                wrap="wrap",
                align="center",
            ),
            rx.cond(
                ticket.member_name != "",
                rx.text(
                    rx.text.strong(ticket.member_name),
                    " · ",
                    _var("account {number}", number=ticket.account_number),
                    " · ",
                    _var("Language: {language}", language=ticket.member_language),
                    size="2",
                    class_name="who",
                ),
            ),
            *(
                [
                    rx.button(
                        _var("Open {name}", name=ticket.member_name),
                        variant="soft",
                        size="1",
                        style=TOUCH,
                        on_click=ConsoleState.open_member(member_id),
                    )
                ]
                if member_id is not None
                else []
            ),
            rx.cond(ticket.reference != "", rx.text(_var("Payment {reference}", reference=ticket.reference), size="2")),
            rx.cond(
                ticket.follows != "",
                rx.text(_var("Follows closed ticket {number}", number=ticket.follows), size="2"),
            ),
            rx.cond(
                ticket.followed_by != "",
                rx.text(_var("Continued in {numbers}", numbers=ticket.followed_by), size="2"),
            ),
            rx.foreach(
                ticket.messages,
                lambda m: rx.box(
                    rx.text(rx.text.strong(m.author), " · ", m.when, size="1", color_scheme="gray"),
                    rx.text(m.body, size="2", style={"overflow_wrap": "anywhere"}),
                    padding_y="0.25rem",
                ),
            ),
            member_form(
                rx.vstack(
                    rx.el.input(type="hidden", name="ticket_number", value=ticket.number),
                    rx.el.label(
                        _var("Reply to {number}", number=ticket.number), html_for=field, style={"font_weight": "600"}
                    ),
                    rx.text_area(id=field, name="body", rows="3", width="100%"),
                    rx.el.label(
                        rx.hstack(
                            rx.el.input(type="checkbox", name="close", id=closer),
                            rx.text(_("Close the ticket")),
                            spacing="2",
                        ),
                        html_for=closer,
                    ),
                    rx.button(_("Send reply"), type="submit", style=TOUCH),
                    spacing="1",
                ),
                on_submit=ConsoleState.reply,
            ),
        ),
        list_style="none",
        margin_bottom="0.5rem",
    )


def flag_item(flag: Flag) -> rx.Component:
    return rx.el.li(
        rx.badge(flag.label, color_scheme="orange", variant="solid", high_contrast=True),
        " ",
        rx.text(flag.detail, as_="span", size="2"),
        list_style="none",
        padding_y="0.25rem",
    )


def translated(spec: tables.TableSpec) -> tables.TableSpec:
    """The table's words in the language being built (its name, keys and values stay)."""
    return dataclasses.replace(
        spec,
        caption=tr(spec.caption),
        columns=tuple(dataclasses.replace(c, label=tr(c.label)) for c in spec.columns),
        filters=tuple(
            dataclasses.replace(f, label=tr(f.label), options=tuple((v, tr(label)) for v, label in f.options))
            for f in spec.filters
        ),
        empty=tr(spec.empty),
    )


def table_section(spec: tables.TableSpec) -> rx.Component:
    """A table of the open record (payments, and the refunds and disputes slots)."""
    spec = translated(spec)
    return rx.card(
        rx.heading(spec.caption, as_="h3", size="3"),
        data_table(
            spec,
            rows=ConsoleState.table_rows[spec.name].to(list[dict[str, str]]),
            aria=ConsoleState.table_aria,
            chosen=ConsoleState.table_filters,
            summary=ConsoleState.table_summary[spec.name].to(str),
            on_sort=ConsoleState.sort_table,
            on_filter=ConsoleState.filter_table,
        ),
        id=f"console-{spec.name}",
    )


def refund_option(payment: RefundablePayment) -> rx.Component:
    return rx.el.option(
        _var(
            "{reference} · {date} · {method} · {amount} left",
            reference=payment.reference,
            date=payment.date,
            method=payment.method,
            amount=payment.refundable,
        ),
        value=payment.reference,
    )


def refund_form() -> rx.Component:
    """Refund a settled payment to its original method: fill in, review (with any unpaid-bill
    warning), confirm. The terms confirmed are the ones reviewed, kept on the server."""
    review = ConsoleState.refund_review
    errors = ConsoleState.errors
    return rx.card(
        rx.heading(_("Refund a payment"), as_="h3", size="3", id="refund-heading"),
        rx.cond(
            review,
            rx.vstack(
                rx.text(
                    _var(
                        "Refund {amount} of payment {reference} to {method}.",
                        amount=review.amount,
                        reference=review.payment_reference,
                        method=review.method,
                    ),
                    size="2",
                ),
                rx.text(_var("Reason: {reason}", reason=review.reason), size="2"),
                rx.text(
                    _var("Left to refund on this payment afterwards: {amount}", amount=review.left_after), size="2"
                ),
                rx.cond(review.warning != "", notice(review.warning, tone="orange", role="alert")),
                rx.hstack(
                    rx.button(
                        _("Confirm refund"),
                        on_click=ConsoleState.confirm_refund,
                        loading=ConsoleState.processing,
                        style=TOUCH,
                    ),
                    rx.button(_("Change"), on_click=ConsoleState.change_refund, variant="soft", style=TOUCH),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="2",
                align="stretch",
            ),
            rx.cond(
                ConsoleState.refundable.length() > 0,
                member_form(
                    rx.vstack(
                        rx.el.label(_("Payment to refund"), html_for="refund-payment", style={"font_weight": "600"}),
                        rx.el.select(
                            rx.foreach(ConsoleState.refundable, refund_option),
                            id="refund-payment",
                            name="payment",
                            style=NATIVE_INPUT_STYLE,
                            aria_invalid=rx.cond(errors.contains("payment"), "true", "false"),
                        ),
                        rx.cond(
                            errors.contains("payment"),
                            rx.text(errors["payment"], color_scheme="red", size="2"),
                        ),
                        text_field(
                            _("Refund amount"),
                            "amount",
                            errors=errors,
                            field_id="refund-amount",
                            input_mode="decimal",
                            hint=_("Up to what is left of the payment; it goes back to the method it came from."),
                        ),
                        text_field(
                            _("Reason"),
                            "reason",
                            errors=errors,
                            field_id="refund-reason",
                            hint=_("The member reads this in the refund email. Required for the audit trail."),
                        ),
                        rx.button(_("Review refund"), type="submit", style=TOUCH),
                        spacing="1",
                        align="stretch",
                    ),
                    on_submit=ConsoleState.review_refund,
                ),
                rx.text(_("No settled payment of this member is left to refund."), size="2"),
            ),
        ),
        id="console-refund",
    )


def request_item(request: RefundRequestView) -> rx.Component:
    reason_id = "decline-reason-" + request.id.to_string()
    return rx.el.li(
        rx.card(
            rx.text(
                rx.text.strong(request.ticket_number),
                " · ",
                request.member_name,
                " · ",
                _var("account {number}", number=request.account_number),
                " · ",
                _var("Language: {language}", language=request.member_language),
                size="2",
            ),
            rx.text(
                _var(
                    "Asks for {amount} · credit now {credit} · requested {day}",
                    amount=request.amount,
                    credit=request.credit_now,
                    day=request.requested,
                ),
                size="2",
            ),
            rx.button(
                _var("Approve refund of {amount}", amount=request.amount),
                on_click=ConsoleState.approve_refund_request(request.id),
                style=TOUCH,
            ),
            member_form(
                rx.vstack(
                    rx.el.input(type="hidden", name="request_id", value=request.id.to_string()),
                    text_field(_("Reason for declining"), "reason", errors=ConsoleState.errors, field_id=reason_id),
                    rx.button(_("Decline request"), type="submit", variant="soft", color_scheme="red", style=TOUCH),
                    spacing="1",
                    align="stretch",
                ),
                on_submit=ConsoleState.decline_refund_request,
            ),
        ),
        list_style="none",
        margin_bottom="0.5rem",
    )


def failed_refund(refund: RefundView) -> rx.Component:
    return rx.el.li(
        rx.text(
            rx.text.strong(refund.reference),
            " · ",
            _var(
                "{amount} · account {account} · payment {payment}",
                amount=refund.amount,
                account=refund.account_number,
                payment=refund.payment_reference,
            ),
            size="2",
        ),
        rx.text(refund.failure, " ", refund.created, size="1", color_scheme="gray"),
        list_style="none",
        padding_y="0.25rem",
    )


def failed_refunds() -> rx.Component:
    """Refunds the processor couldn't send: nothing went back, and the member still has the money
    on the account. Shown to every agent until the list is worked."""
    return rx.cond(
        ConsoleState.failed_refunds.length() > 0,
        rx.callout.root(
            rx.callout.text(
                rx.text.strong(_("Refunds that failed")), " — ", _("nothing was sent; contact the member.")
            ),
            rx.el.ul(
                rx.foreach(ConsoleState.failed_refunds, failed_refund),
                padding="0",
                margin="0",
                aria_label=_("Refunds that failed"),
            ),
            color_scheme="red",
            role="alert",
        ),
    )


def refund_requests() -> rx.Component:
    return rx.el.section(
        rx.heading(_("Refund requests"), as_="h2", size="4", id="refund-requests-heading"),
        rx.cond(
            ConsoleState.refund_requests.length() > 0,
            rx.el.ul(
                rx.foreach(ConsoleState.refund_requests, request_item),
                padding="0",
                margin="0",
                aria_label=_("Refund requests"),
            ),
            rx.text(_("No refund requests waiting."), size="2"),
        ),
        aria_labelledby="refund-requests-heading",
        style={"min_width": "0"},
    )


def record_view() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.heading(R.name, as_="h2", size="4", id="console-member"),
            rx.text(
                _var("Member {number} · SSN {ssn} · {email}", number=R.member_number, ssn=R.masked_ssn, email=R.email),
                size="2",
            ),
            rx.text(
                _var(
                    "Account {account} · {plan} · {coverage} · balance {balance}",
                    account=R.account_number,
                    plan=R.plan,
                    coverage=R.coverage,
                    balance=R.balance,
                ),
                size="2",
            ),
            rx.text(_var("Language: {language}", language=R.language), size="2", id="console-member-language"),
            rx.cond(R.locked, rx.badge(_("Log-in locked"), color_scheme="red")),
            rx.cond(
                R.flags.length() > 0,
                rx.box(
                    rx.heading(_("Worth a look"), as_="h3", size="2", margin_top="0.5rem"),
                    rx.el.ul(rx.foreach(R.flags, flag_item), padding="0", margin="0", aria_label=_("Flags")),
                ),
            ),
        ),
        table_section(tables.PAYMENTS),
        refund_form(),
        table_section(tables.REFUNDS),
        table_section(tables.DISPUTES),
        rx.card(
            rx.heading(_("Late fees"), as_="h3", size="3"),
            rx.cond(
                R.fees.length() > 0,
                rx.el.ul(rx.foreach(R.fees, fee_row), padding="0", aria_label=_("Late fees")),
                rx.text(_("No late fees to waive."), size="2"),
            ),
        ),
        rx.card(
            rx.heading(_("Tickets"), as_="h3", size="3"),
            rx.el.ul(
                rx.foreach(R.tickets, lambda t: ticket_block(t, "member")), padding="0", aria_label=_("Member tickets")
            ),
        ),
        rx.card(
            rx.heading(_("Actions"), as_="h3", size="3"),
            rx.box(
                member_form(
                    rx.vstack(
                        text_field(
                            _("Adjustment amount"), "amount", errors=ConsoleState.errors, field_id="adjust-amount"
                        ),
                        rx.el.select(
                            rx.el.option(_("Credit to the member"), value="credit"),
                            rx.el.option(_("Charge on newest invoice"), value="charge"),
                            name="direction",
                            aria_label=_("Adjustment type"),
                            style=NATIVE_INPUT_STYLE,
                        ),
                        reason_field("reason-adjust"),
                        rx.button(_("Post adjustment"), type="submit", style=TOUCH),
                        spacing="1",
                    ),
                    on_submit=ConsoleState.adjust,
                ),
                reason_action("reason-unlock", _("Unlock log-in"), ConsoleState.unlock),
                reason_action("reason-reset", _("Send password reset email"), ConsoleState.send_reset),
                member_form(
                    rx.vstack(
                        text_field(
                            _("Scheduled payment reference"),
                            "reference",
                            errors=ConsoleState.errors,
                            field_id="cancel-reference",
                        ),
                        reason_field("reason-cancel"),
                        rx.button(_("Cancel scheduled payment"), type="submit", style=TOUCH),
                        spacing="1",
                    ),
                    on_submit=ConsoleState.cancel_payment,
                ),
                style={
                    "display": "grid",
                    "gap": "1rem",
                    "grid_template_columns": "repeat(auto-fit, minmax(min(100%, 18rem), 1fr))",
                },
            ),
        ),
        rx.card(rx.heading(_("Notices"), as_="h3", size="3"), rx.el.ul(rx.foreach(R.notices, line), padding="0")),
        spacing="3",
        width="100%",
        min_width="0",
        align="stretch",  # every card as wide as the panel; a wide table scrolls inside its own region
        key=ConsoleState.form_key,
    )


def console_shell(*children: rx.Component) -> rx.Component:
    """The layout shell of `components.layout.page_shell`, wide enough for a desktop console."""
    return rx.box(
        language_bar(WIDE),
        connection_overlay(),
        rx.el.header(
            rx.hstack(
                brand(),
                rx.hstack(
                    rx.text(_var("Signed in as {name} (support)", name=SessionState.display_name), size="2"),
                    rx.button(
                        _("Log out"),
                        on_click=SessionState.logout,
                        variant="outline",
                        color="white",
                        size="2",
                        style=TOUCH,
                    ),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                justify="between",
                align="center",
                wrap="wrap",
                spacing="2",
                max_width=WIDE,
                margin_x="auto",
                padding_x="1rem",
                padding_y="0.5rem",
            ),
            background="#0b4a8b",
            color="white",
        ),
        rx.el.main(
            rx.vstack(
                rx.heading(_("Support console"), as_="h1", size="6"),
                *children,
                spacing="4",
                width="100%",
                align="stretch",
            ),
            max_width=WIDE,
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
            max_width=WIDE,
            margin_x="auto",
            padding="1rem",
        ),
        min_height="100vh",
        overflow_x="hidden",
    )


def queue() -> rx.Component:
    return rx.el.section(
        rx.heading(_("Ticket queue"), as_="h2", size="4", id="queue-heading"),
        rx.text(_("Open and answered requests, oldest first."), size="1", color_scheme="gray"),
        rx.cond(
            ConsoleState.tickets.length() > 0,
            rx.el.ul(
                rx.foreach(
                    ConsoleState.tickets,
                    lambda t, i: ticket_block(t, "queue", ConsoleState.ticket_members[i]),
                ),
                padding="0",
                margin="0",
                aria_label=_("Open tickets"),
            ),
            rx.text(_("No open tickets."), size="2"),
        ),
        aria_labelledby="queue-heading",
        style={"min_width": "0"},
    )


def member_panel() -> rx.Component:
    return rx.el.section(
        rx.cond(
            R,
            record_view(),
            rx.card(
                rx.text(_("Search for a member or a payment, or open a ticket's member from the queue."), size="2")
            ),
        ),
        aria_label=_("Member record"),
        style={"min_width": "0"},
    )


def page() -> rx.Component:
    return console_shell(
        member_form(
            rx.hstack(
                rx.input(
                    name="query",
                    placeholder=_("Name, billing account, member ID or payment reference"),
                    size="3",
                    style=TOUCH,
                    flex="1",
                    aria_label=_("Search members or payments"),
                ),
                rx.button(_("Search"), type="submit", style=TOUCH),
                width="100%",
                max_width="48rem",
            ),
            on_submit=ConsoleState.search,
        ),
        notice(ConsoleState.message),
        rx.el.ul(rx.foreach(ConsoleState.results, result_row), padding="0", aria_label=_("Search results")),
        rx.box(
            rx.vstack(failed_refunds(), refund_requests(), queue(), spacing="4", align="stretch", min_width="0"),
            member_panel(),
            style={
                "display": "grid",
                "gap": "1rem",
                "grid_template_columns": "minmax(0, 1fr)",
                "align_items": "start",
                DESKTOP: {"grid_template_columns": "minmax(20rem, 26rem) minmax(0, 1fr)"},
            },
            width="100%",
        ),
        rx.card(
            rx.heading(_("Audit trail"), as_="h2", size="3"),
            rx.el.ul(rx.foreach(ConsoleState.audit, line), padding="0", aria_label=_("Audit trail")),
        ),
    )
