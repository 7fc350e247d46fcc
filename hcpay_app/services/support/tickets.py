"""Contact support: members open tickets (optionally about one of their own payments), read the
replies under "My requests" and write back.

Writing back to an open or answered request adds to it; writing back to a closed request opens a
new request that follows the closed one (a closed request is never reopened behind staff's back).
A member may open at most `tickets_per_day` requests per portal-zone calendar day, follow-ups
included.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlmodel import Session, func, select, update

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.i18n import languages
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    BillingAccount,
    NoticeKind,
    Payment,
    SupportTicket,
    TicketMessage,
    TicketStatus,
    User,
)
from hcpay_app.services.accounts import access
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters import mailer
from hcpay_app.services.common import audit, references
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.support import templates

TOPICS = {
    "payment_not_showing": Msg("My payment isn't showing"),
    "payment_declined": Msg("My payment was declined"),
    "billing_question": Msg("A question about my bill"),
    "autopay": Msg("Automatic Payments"),
    "account_access": Msg("Logging in or my account"),
    "other": Msg("Something else"),
}
# Topics of requests the portal opens itself (not offered in the Contact support form).
PORTAL_TOPICS = {"refund_request": Msg("Refund of my credit")}
STATUS_LABELS = {
    TicketStatus.OPEN: Msg("Open"),
    TicketStatus.ANSWERED: Msg("Answered"),
    TicketStatus.CLOSED: Msg("Closed"),
}


def topic_label(topic: str) -> str:
    return TOPICS.get(topic) or PORTAL_TOPICS.get(topic, topic)


@dataclasses.dataclass(frozen=True)
class MessageView:
    author: str
    body: str
    when: str


@dataclasses.dataclass(frozen=True)
class TicketView:
    number: str
    topic: str
    status: str
    reference: str
    opened: str
    messages: list[MessageView]
    follows: str = ""  # the closed request this one continues, if any
    followed_by: str = ""  # the later requests that continue this one, newest last ("T-…, T-…")
    # Filled in for staff only (`staff_ticket_view`): who asked, and how long ago.
    member_name: str = ""
    account_number: str = ""
    age: str = ""  # "25 min", "3 h", "2 d"
    flags: list[str] = dataclasses.field(default_factory=list)  # watchlist badges: "Many declines"
    member_language: str = ""  # the member's language, in its own name ("Español"), for staff


@dataclasses.dataclass(frozen=True)
class ReplyResult:
    """Where a member's reply went: the same request, or a new one when the request was closed."""

    ticket: TicketView
    new_request: bool
    earlier: str = ""  # the closed request's number when `new_request`


REQUEST_NOT_FOUND = Msg("We couldn't find that request. Choose one from My requests.")


def _when(moment: dt.datetime) -> str:
    return Msg("{day} {time}", day=clock.local_date(moment), time=clock.format_local_time(moment))


def language_name(language: object) -> str:
    """A member's language as staff see it: its own name ("Español"); English when unknown."""
    return languages.NATIVE_NAMES[languages.parse(language) or languages.DEFAULT]


def new_ticket_number() -> str:
    return "T-" + "".join(secrets.choice(references.ALPHABET) for _ in range(8))


def _day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end of the portal-zone calendar day `now` falls on (23 or 25 hours long
    on the days the clocks change)."""
    day, zone = clock.local_date(now), clock.portal_zone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def opened_on_day(session: Session, user_id: int, now: dt.datetime) -> int:
    """How many requests the member opened on the portal-zone calendar day of `now`."""
    start, end = _day_bounds(now)
    return session.exec(
        select(func.count())
        .select_from(SupportTicket)
        .where(SupportTicket.user_id == user_id, SupportTicket.created_at >= start, SupportTicket.created_at < end)
    ).one()


def daily_limit_message(limit: int) -> str:
    return Msg.plural(
        "You can open up to {count} support request a day. You can still write to us about a request that is "
        "open under My requests, or open a new request tomorrow.",
        "You can open up to {count} support requests a day. You can still write to us about a request that is "
        "open under My requests, or open a new request tomorrow.",
        limit,
    )


def _check_daily_limit(session: Session, actor: SessionUser, now: dt.datetime, field: str, *, lock: bool) -> None:
    """Refuse a new request past the day's limit, keyed to `field`. With `lock`, right before the
    insert, the member's login row is locked first (on PostgreSQL) so two requests sent at once
    can't both squeeze under the limit; a refusal rolls back, releasing it."""
    if lock:
        session.exec(select(User.id).where(User.id == actor.user_id).with_for_update()).first()
    limit = get_settings().tickets_per_day
    if opened_on_day(session, actor.user_id, now) >= limit:
        session.rollback()
        message = daily_limit_message(limit)
        raise ValidationError({field: message}, message)


def _message_error(text: str, minimum: int) -> str:
    if len(text) < minimum:
        return Msg("Tell us a little more (at least {minimum} characters).", minimum=minimum)
    if len(text) > 2000:
        return Msg("Please keep your message under 2,000 characters.")
    return ""


def check_topic(topic: object) -> str:
    """A new request's topic: one of `TOPICS`."""
    if not isinstance(topic, str) or topic not in TOPICS:
        raise ValidationError({"topic": Msg("Choose what your request is about.")})
    return topic


def check_request_text(message: object) -> str:
    """A new request's message, trimmed: at least 10 characters, under 2,000."""
    text = message.strip() if isinstance(message, str) else ""
    if problem := _message_error(text, 10):
        raise ValidationError({"message": problem})
    return text


def check_reply_text(message: object) -> str:
    """A reply's message, trimmed: at least 2 characters, under 2,000."""
    text = message.strip() if isinstance(message, str) else ""
    if problem := _message_error(text, 2):
        raise ValidationError({"message": problem})
    return text


def check_reference(session: Session, actor: SessionUser, reference: object) -> Payment | None:
    """A new request's optional payment reference: blank, or one of the member's own payments."""
    if not (isinstance(reference, str) and reference.strip()):
        return None
    try:
        return access.own_payment(session, actor, reference)[0]
    except NotFound:
        raise ValidationError(
            {
                "reference": Msg(
                    "That isn't a payment reference number on your account. Check it in your payment history."
                )
            }
        ) from None


def open_ticket(
    session: Session, actor: SessionUser, *, topic: object, reference: object, message: object, now: dt.datetime
) -> TicketView:
    """Open a request; refused (writing nothing) past the day's limit or with a bad field."""
    account = access.member_account(session, actor)
    _check_daily_limit(session, actor, now, "request", lock=False)  # before asking to fix any field
    errors: dict[str, str] = {}
    try:
        check_topic(topic)
    except ValidationError as exc:
        errors.update(exc.errors)
    payment: Payment | None = None
    try:
        payment = check_reference(session, actor, reference)
    except ValidationError as exc:
        errors.update(exc.errors)
    text = ""
    try:
        text = check_request_text(message)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    _check_daily_limit(session, actor, now, "request", lock=True)
    ticket = _new_ticket(
        session, actor, account, topic=topic, payment_id=payment.id if payment else None, text=text, now=now
    )
    audit.record(
        session,
        "ticket_opened",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=ticket.ticket_number,
    )
    session.commit()
    return ticket_view(session, ticket)


def _new_ticket(
    session: Session,
    actor: SessionUser,
    account: BillingAccount,
    *,
    topic: str,
    payment_id: int | None,
    text: str,
    now: dt.datetime,
    follows: SupportTicket | None = None,
) -> SupportTicket:
    """A new request with its first message and the acknowledgment email (in the caller's transaction)."""
    ticket = SupportTicket(
        ticket_number=new_ticket_number(),
        user_id=actor.user_id,
        billing_account_id=account.id,
        topic=topic,
        payment_id=payment_id,
        follows_ticket_id=follows.id if follows else None,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    session.add(TicketMessage(ticket_id=ticket.id, author_user_id=actor.user_id, body=text, created_at=now))
    member = access.account_member(session, account)
    message = templates.request_received(
        member.first_name,
        ticket.ticket_number,
        topic_label(topic),
        follows.ticket_number if follows is not None else None,
    )
    mailer.enqueue_message(session, to=member.email, message=message, kind=NoticeKind.TICKET_RECEIVED, now=now)
    return ticket


def reply(
    session: Session, actor: SessionUser, *, ticket_number: object, message: object, now: dt.datetime
) -> ReplyResult:
    """The member writes back about one of their own requests.

    An open or answered request gets the message and shows as open again, for staff to pick up. A
    closed request stays closed: the message opens a new request that follows it (counted
    against the day's limit), and the member is told its number.
    """
    account = access.member_account(session, actor)
    number = ticket_number.strip().upper()[:16] if isinstance(ticket_number, str) else ""
    ticket = (
        session.exec(
            select(SupportTicket).where(SupportTicket.ticket_number == number, SupportTicket.user_id == actor.user_id)
        ).first()
        if number
        else None
    )
    if ticket is None:
        raise NotFound(REQUEST_NOT_FOUND)  # the same answer for another member's request
    text = message.strip() if isinstance(message, str) else ""
    if ticket.status != TicketStatus.CLOSED:
        check_reply_text(text)
        # Claim it while it is still not closed: staff may be closing it at this very moment.
        claimed = session.exec(
            update(SupportTicket)
            .where(SupportTicket.id == ticket.id, SupportTicket.status != TicketStatus.CLOSED)
            .values(status=TicketStatus.OPEN, updated_at=now)
        )
        if claimed.rowcount == 1:
            session.add(TicketMessage(ticket_id=ticket.id, author_user_id=actor.user_id, body=text, created_at=now))
            audit.record(
                session,
                "ticket_member_replied",
                now=now,
                actor_user_id=actor.user_id,
                subject_user_id=actor.user_id,
                detail=ticket.ticket_number,
            )
            session.commit()
            session.refresh(ticket)
            return ReplyResult(ticket_view(session, ticket), new_request=False)
        session.rollback()  # closed in between: write again as to a closed request
        session.refresh(ticket)
    _check_daily_limit(session, actor, now, "message", lock=False)
    if problem := _message_error(text, 10):
        raise ValidationError({"message": problem})
    _check_daily_limit(session, actor, now, "message", lock=True)
    follow_up = _new_ticket(
        session, actor, account, topic=ticket.topic, payment_id=ticket.payment_id, text=text, now=now, follows=ticket
    )
    audit.record(
        session,
        "ticket_opened",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=f"{follow_up.ticket_number}, following closed {ticket.ticket_number}",
    )
    session.commit()
    return ReplyResult(ticket_view(session, follow_up), new_request=True, earlier=ticket.ticket_number)


def age_words(since: dt.datetime, now: dt.datetime) -> str:
    """How long ago, the way a queue shows it: "5 min", "3 h", "2 d" (whole units, rounded down)."""
    seconds = max(0.0, (now - (since if since.tzinfo else since.replace(tzinfo=dt.UTC))).total_seconds())
    if seconds < 3600:
        return Msg("{count} min", count=int(seconds // 60))
    if seconds < 86400:
        return Msg("{count} h", count=int(seconds // 3600))
    return Msg("{count} d", count=int(seconds // 86400))


def ticket_view(session: Session, ticket: SupportTicket) -> TicketView:
    """A request as its member reads it: their own messages are "You", staff's are "Support"."""
    messages = session.exec(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
    ).all()
    payment = session.get(Payment, ticket.payment_id) if ticket.payment_id else None
    earlier = session.get(SupportTicket, ticket.follows_ticket_id) if ticket.follows_ticket_id else None
    later = session.exec(
        select(SupportTicket.ticket_number)
        .where(SupportTicket.follows_ticket_id == ticket.id)
        .order_by(SupportTicket.id)
    ).all()
    return TicketView(
        ticket.ticket_number,
        topic_label(ticket.topic),
        STATUS_LABELS.get(ticket.status, ticket.status.title()),
        payment.reference if payment else "",
        _when(ticket.created_at),
        [MessageView(Msg("Support") if m.from_support else Msg("You"), m.body, _when(m.created_at)) for m in messages],
        follows=earlier.ticket_number if earlier else "",
        followed_by=", ".join(later),
    )


def staff_ticket_view(
    session: Session, ticket: SupportTicket, *, now: dt.datetime, flags: list[str] | None = None
) -> TicketView:
    """A request as staff read it: the member's name and account, its age, and each message
    labelled by its author's role ("Member — Jane Doe", "Staff — sam.support")."""
    account = session.get(BillingAccount, ticket.billing_account_id)
    member = access.account_member(session, account)
    member_name = f"{member.first_name} {member.last_name}"
    rows = session.exec(
        select(TicketMessage, User.username)
        .join(User, User.id == TicketMessage.author_user_id)
        .where(TicketMessage.ticket_id == ticket.id)
        .order_by(TicketMessage.id)
    ).all()
    messages = [
        MessageView(
            Msg("Staff — {username}", username=username)
            if m.from_support
            else Msg("Member — {name}", name=member_name),
            m.body,  # as the member or the agent wrote it, in whatever language
            _when(m.created_at),
        )
        for m, username in rows
    ]
    language = session.exec(select(User.language).where(User.id == ticket.user_id)).first()
    return dataclasses.replace(
        ticket_view(session, ticket),
        messages=messages,
        member_name=member_name,
        account_number=account.account_number,
        age=age_words(ticket.created_at, now),
        flags=list(flags or []),
        member_language=language_name(language),
    )


def my_tickets(session: Session, actor: SessionUser) -> list[TicketView]:
    access.member_account(session, actor)
    rows = session.exec(
        select(SupportTicket).where(SupportTicket.user_id == actor.user_id).order_by(SupportTicket.id.desc()).limit(50)
    ).all()
    return [ticket_view(session, t) for t in rows]
