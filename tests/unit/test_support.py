"""Contact support and My requests: every topic, an optional reference that must be one of the
member's own payments, message limits, the ticket number and acknowledgment email, and a ticket's
life from open to answered to closed as the member sees it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from hcpay_app.models import Notification, SupportTicket, TicketMessage
from hcpay_app.services.common.errors import NotAllowed, ValidationError
from hcpay_app.services.support import console, tickets
from tests.unit.billing_helpers import pay
from tests.unit.payment_helpers import NOW, TODAY, add_ben, billed_actor
from tests.unit.support_helpers import REASON, audits, counts, make_staff, open_one

TICKET_NUMBER = re.compile(r"T-[0-9A-HJKMNP-TV-Z]{8}")  # Crockford base32: no I, L, O or U
MESSAGE = "My March payment isn't showing on my account yet."


@pytest.fixture
def renee(session, registered_user):
    """(acting user, billing account) for Renée, billed through TODAY."""
    return billed_actor(session, registered_user)


@pytest.fixture
def ben(session, add_member, register, renee):
    return add_ben(session, add_member, register)


@pytest.fixture
def staff(session, now):
    return make_staff(session, now)


def ticket_row(session, number: str) -> SupportTicket:
    session.expire_all()
    return session.exec(select(SupportTicket).where(SupportTicket.ticket_number == number)).one()


# ---- opening a request ------------------------------------------------------------------------


@pytest.mark.parametrize("topic", sorted(tickets.TOPICS))
def test_a_request_can_be_opened_with_each_topic(session, now, renee, topic):
    who, account = renee
    view = tickets.open_ticket(session, who, topic=topic, reference="", message=MESSAGE, now=now)

    assert TICKET_NUMBER.fullmatch(view.number), view.number
    assert view.topic == tickets.TOPICS[topic]
    assert view.status == "Open"
    assert view.reference == ""
    assert view.opened == "Mar 10, 2026 1:00 PM ET"
    assert [(m.author, m.body) for m in view.messages] == [("You", MESSAGE)]
    row = ticket_row(session, view.number)
    assert (row.user_id, row.billing_account_id, row.topic, row.status, row.payment_id) == (
        who.user_id,
        account.id,
        topic,
        "open",
        None,
    )


@pytest.mark.parametrize("topic", ["", "refund", "Billing_Question", " other", None, 3, ("other",)])
def test_an_unknown_topic_is_a_field_error_and_writes_nothing(session, now, renee, topic):
    who, _account = renee
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic=topic, reference="", message=MESSAGE, now=now)
    assert set(caught.value.errors) == {"topic"}
    assert counts(session) == before


@pytest.mark.parametrize("topic", [["other"], {"other": 1}])
def test_an_unhashable_topic_is_a_field_error_too(session, now, renee, topic):
    who, _account = renee
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic=topic, reference="", message=MESSAGE, now=now)
    assert set(caught.value.errors) == {"topic"}


def test_ticket_numbers_are_unique_and_well_formed(session, now, renee):
    who, _account = renee
    numbers = [open_one(session, who, now=now).number for _ in range(5)]
    assert all(TICKET_NUMBER.fullmatch(n) for n in numbers)
    assert len(set(numbers)) == 5
    assert all(TICKET_NUMBER.fullmatch(tickets.new_ticket_number()) for _ in range(200))


def test_opening_a_request_queues_an_acknowledgment_with_the_number(session, now, renee, outbox):
    who, _account = renee
    view = open_one(session, who, now=now, topic="autopay")

    [email] = outbox("ticket_received")
    assert email.to_address == "Renee.ONeil@example.com"  # the address on file
    assert view.number in email.subject
    assert view.number in email.body
    assert "Automatic Payments" in email.body
    assert "Renée" in email.body
    [event] = audits(session, "ticket_opened")
    assert (event.actor_user_id, event.subject_user_id, event.detail) == (who.user_id, who.user_id, view.number)


# ---- the optional payment reference ----------------------------------------------------------


def test_a_reference_to_one_of_the_members_own_payments_is_attached(session, now, renee):
    who, account = renee
    payment = pay(session, account, 51250, TODAY)
    typed = payment.reference.replace("-", "").lower()  # forgiving: lower case, no dashes

    view = tickets.open_ticket(
        session, who, topic="payment_not_showing", reference=f"  {typed} ", message=MESSAGE, now=now
    )

    assert view.reference == payment.reference
    assert ticket_row(session, view.number).payment_id == payment.id


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_no_reference_is_fine(session, now, renee, reference):
    who, _account = renee
    view = tickets.open_ticket(session, who, topic="other", reference=reference, message=MESSAGE, now=now)
    assert view.reference == ""
    assert ticket_row(session, view.number).payment_id is None


def test_another_members_reference_is_a_field_error_and_writes_nothing(session, now, renee, ben):
    who, _account = renee
    _ben, ben_account = ben
    bens_payment = pay(session, ben_account, 51250, TODAY)
    before = counts(session)

    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(
            session, who, topic="payment_not_showing", reference=bens_payment.reference, message=MESSAGE, now=now
        )

    assert set(caught.value.errors) == {"reference"}
    assert bens_payment.reference not in caught.value.errors["reference"]
    assert counts(session) == before


@pytest.mark.parametrize("reference", ["HC-0000-0000-0000", "not a reference", "HC-ABCD", "x" * 500, "T-12345678"])
def test_a_garbage_reference_is_a_field_error_and_writes_nothing(session, now, renee, reference):
    who, account = renee
    pay(session, account, 51250, TODAY)
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic="other", reference=reference, message=MESSAGE, now=now)
    assert set(caught.value.errors) == {"reference"}
    assert counts(session) == before


def test_every_bad_field_is_reported_at_once(session, now, renee):
    who, _account = renee
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic="nope", reference="HC-0000-0000-0000", message="short", now=now)
    assert set(caught.value.errors) == {"topic", "reference", "message"}


# ---- message length --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("", id="empty"),
        pytest.param("         ", id="spaces"),
        pytest.param("too short", id="nine-characters"),
        pytest.param("  123456789  ", id="nine-characters-padded"),
        pytest.param(None, id="none"),
        pytest.param(12345678901, id="number"),
        pytest.param(["a" * 20], id="list"),
    ],
)
def test_a_message_under_ten_characters_is_refused(session, now, renee, message):
    who, _account = renee
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic="other", reference="", message=message, now=now)
    assert set(caught.value.errors) == {"message"}, message
    assert "at least 10" in caught.value.errors["message"]
    assert counts(session) == before


def test_a_message_over_2000_characters_is_refused(session, now, renee):
    who, _account = renee
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic="other", reference="", message="a" * 2001, now=now)
    assert "2,000" in caught.value.errors["message"]
    assert counts(session) == before


@pytest.mark.parametrize("message", ["1234567890", "  1234567890  ", "b" * 2000, " " * 50 + "c" * 2000 + "\n"])
def test_messages_at_the_limits_are_accepted_and_stored_trimmed(session, now, renee, message):
    who, _account = renee
    view = tickets.open_ticket(session, who, topic="other", reference="", message=message, now=now)
    assert view.messages[0].body == message.strip()
    stored = session.exec(select(TicketMessage.body)).one()
    assert stored == message.strip()


# ---- who may open and read -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["nobody", "staff"])
def test_only_a_logged_in_member_can_open_or_list_requests(session, now, renee, staff, who):
    before = counts(session)
    actor = {"nobody": None, "staff": staff}[who]
    with pytest.raises(NotAllowed):
        tickets.open_ticket(session, actor, topic="other", reference="", message=MESSAGE, now=now)
    with pytest.raises(NotAllowed):
        tickets.my_tickets(session, actor)
    assert counts(session) == before


def test_my_requests_lists_only_the_members_own_newest_first(session, now, renee, ben):
    who, _account = renee
    ben_who, _ben_account = ben
    first = open_one(session, who, now=now, topic="billing_question")
    bens = open_one(session, ben_who, now=now, topic="autopay")
    second = open_one(session, who, now=now, topic="account_access")

    mine = tickets.my_tickets(session, who)
    assert [t.number for t in mine] == [second.number, first.number]
    assert [t.topic for t in mine] == ["Logging in or my account", "A question about my bill"]
    assert [t.number for t in tickets.my_tickets(session, ben_who)] == [bens.number]


def test_my_requests_is_empty_before_the_first(session, renee):
    who, _account = renee
    assert tickets.my_tickets(session, who) == []


# ---- lifecycle -------------------------------------------------------------------------------


def test_a_staff_reply_answers_the_request_and_notifies_the_member(session, now, renee, staff, outbox):
    who, _account = renee
    view = open_one(session, who, now=now)
    later = now.replace(hour=19)

    console.reply(
        session,
        staff,
        ticket_number=view.number,
        body="  Your March bill includes a late fee.  ",
        close=False,
        now=later,
    )

    assert ticket_row(session, view.number).status == "answered"
    [mine] = tickets.my_tickets(session, who)
    assert mine.status == "Answered"
    assert [(m.author, m.body) for m in mine.messages] == [
        ("You", "Why is my bill higher this month?"),
        ("Support", "Your March bill includes a late fee."),
    ]
    assert mine.messages[1].when == "Mar 10, 2026 3:00 PM ET"
    [note] = session.exec(
        select(Notification).where(Notification.user_id == who.user_id, Notification.kind == "ticket_reply")
    ).all()
    assert view.number in note.title
    assert "late fee" in note.body
    [email] = outbox("ticket_reply")
    assert view.number in email.subject and "late fee" in email.body
    assert email.to_address.casefold() == "renee.oneil@example.com"
    [event] = audits(session, "ticket_replied")
    assert (event.actor_user_id, event.subject_user_id, event.detail) == (staff.user_id, who.user_id, view.number)


def test_a_reply_can_close_the_request(session, now, renee, staff):
    who, _account = renee
    view = open_one(session, who, now=now)
    console.reply(session, staff, ticket_number=view.number, body="Done: the fee was waived.", close=True, now=now)

    assert ticket_row(session, view.number).status == "closed"
    assert tickets.my_tickets(session, who)[0].status == "Closed"
    assert [e.detail for e in audits(session, "ticket_replied_closed")] == [view.number]
    assert console.open_tickets(session, staff) == []


def test_a_request_can_be_closed_with_a_reason(session, now, renee, staff):
    who, _account = renee
    view = open_one(session, who, now=now)
    console.reply(session, staff, ticket_number=view.number, body="Please check again tomorrow.", close=False, now=now)
    assert [t.number for _member_id, t in console.open_tickets(session, staff)] == [view.number]

    console.close_ticket(session, staff, ticket_number=view.number, reason=f"  {REASON}  ", now=now)

    assert ticket_row(session, view.number).status == "closed"
    assert tickets.my_tickets(session, who)[0].status == "Closed"
    [event] = audits(session, "ticket_closed")
    assert (event.actor_user_id, event.subject_user_id) == (staff.user_id, who.user_id)
    assert event.detail == f"{view.number}: {REASON}"
    assert console.open_tickets(session, staff) == []


def test_open_tickets_lists_open_and_answered_with_the_member(session, now, renee, ben, staff):
    who, account = renee
    ben_who, ben_account = ben
    a = open_one(session, who, now=now)
    b = open_one(session, ben_who, now=now)
    console.reply(session, staff, ticket_number=a.number, body="Looking into it.", close=False, now=now)

    listed = console.open_tickets(session, staff)
    assert [(member_id, t.number, t.status) for member_id, t in listed] == [
        (account.member_id, a.number, "Answered"),
        (ben_account.member_id, b.number, "Open"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param(" ", id="a-space"),
        pytest.param("k", id="one-letter"),
        pytest.param("  k  ", id="one-letter-padded"),
        pytest.param("x" * 2001, id="2001-characters"),
        pytest.param(None, id="none"),
        pytest.param(["Hello there"], id="list"),
    ],
)
@pytest.mark.parametrize("close", [pytest.param(False, id="reply"), pytest.param(True, id="reply-and-close")])
def test_a_reply_must_have_a_body_of_sensible_length(session, now, renee, staff, body, close):
    who, _account = renee
    view = open_one(session, who, now=now)
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        console.reply(session, staff, ticket_number=view.number, body=body, close=close, now=now)
    assert set(caught.value.errors) == {"body"}, body
    assert counts(session) == before
    assert ticket_row(session, view.number).status == "open"


@pytest.mark.parametrize(
    "reason",
    [
        pytest.param("", id="empty"),
        pytest.param("    ", id="blank"),
        pytest.param("ok", id="two-letters"),
        pytest.param("done", id="four-letters"),
        pytest.param(" d o ", id="spaced-letters"),
        pytest.param(None, id="none"),
        pytest.param(12345, id="number"),
    ],
)
def test_closing_needs_a_reason(session, now, renee, staff, reason):
    who, _account = renee
    view = open_one(session, who, now=now)
    before = counts(session)
    with pytest.raises(ValidationError) as caught:
        console.close_ticket(session, staff, ticket_number=view.number, reason=reason, now=now)
    assert set(caught.value.errors) == {"reason"}, reason
    assert counts(session) == before
    assert ticket_row(session, view.number).status == "open"


@pytest.mark.parametrize("which", ["unknown", "lower-case", "none", "number"])
def test_replying_to_or_closing_an_unknown_ticket_is_not_found(session, now, renee, staff, which):
    from hcpay_app.services.common.errors import NotFound

    who, _account = renee
    view = open_one(session, who, now=now)
    before = counts(session)
    number = {"unknown": "T-00000000", "lower-case": view.number.lower(), "none": None, "number": 7}[which]
    with pytest.raises(NotFound):
        console.reply(session, staff, ticket_number=number, body="Hello there", close=False, now=now)
    with pytest.raises(NotFound):
        console.close_ticket(session, staff, ticket_number=number, reason=REASON, now=now)
    assert counts(session) == before


# ---- the member writes back ------------------------------------------------------------------


def test_a_reply_to_an_answered_request_is_added_to_it_and_reopens_it_for_staff(session, now, renee, staff):
    who, _account = renee
    view = open_one(session, who, now=now)
    console.reply(session, staff, ticket_number=view.number, body="Which month do you mean?", close=False, now=now)
    later = now.replace(hour=20)

    result = tickets.reply(session, who, ticket_number=f" {view.number.lower()} ", message="  March.  ", now=later)

    assert (result.new_request, result.earlier, result.ticket.number) == (False, "", view.number)
    assert [(m.author, m.body) for m in result.ticket.messages][-1] == ("You", "March.")
    row = ticket_row(session, view.number)
    assert (row.status, row.updated_at) == ("open", later)
    assert len(session.exec(select(SupportTicket)).all()) == 1
    assert [t.number for _member_id, t in console.open_tickets(session, staff)] == [view.number]
    [event] = audits(session, "ticket_member_replied")
    assert (event.actor_user_id, event.subject_user_id, event.detail) == (who.user_id, who.user_id, view.number)


def test_a_reply_to_a_closed_request_opens_a_new_one_that_follows_it(session, now, renee, staff, outbox):
    who, account = renee
    payment = pay(session, account, 51250, TODAY)
    old = open_one(session, who, now=now, topic="payment_not_showing", reference=payment.reference)
    console.reply(session, staff, ticket_number=old.number, body="It posted today.", close=True, now=now)
    later = now.replace(hour=21)

    result = tickets.reply(session, who, ticket_number=old.number, message="It still isn't showing for me.", now=later)

    new = result.ticket
    assert result.new_request and result.earlier == old.number
    assert TICKET_NUMBER.fullmatch(new.number) and new.number != old.number
    assert (new.status, new.topic, new.reference, new.follows, new.followed_by) == (
        "Open",
        "My payment isn't showing",
        payment.reference,
        old.number,
        "",
    )
    assert [(m.author, m.body) for m in new.messages] == [("You", "It still isn't showing for me.")]
    # The closed request stays closed and untouched, and names the new one.
    old_row = ticket_row(session, old.number)
    assert (old_row.status, old_row.updated_at) == ("closed", now)
    assert len(session.exec(select(TicketMessage).where(TicketMessage.ticket_id == old_row.id)).all()) == 2
    new_row = ticket_row(session, new.number)
    assert (
        new_row.follows_ticket_id,
        new_row.user_id,
        new_row.billing_account_id,
        new_row.payment_id,
        new_row.created_at,
    ) == (old_row.id, who.user_id, account.id, payment.id, later)
    mine = tickets.my_tickets(session, who)
    assert [(t.number, t.status, t.follows, t.followed_by) for t in mine] == [
        (new.number, "Open", old.number, ""),
        (old.number, "Closed", "", new.number),
    ]
    # The member is told the new number by email too.
    email = outbox("ticket_received")[-1]
    assert new.number in email.subject and new.number in email.body and old.number in email.body
    event = audits(session, "ticket_opened")[-1]
    assert event.detail == f"{new.number}, following closed {old.number}"


def test_staff_see_the_link_both_ways(session, now, today, renee, staff):
    who, account = renee
    old = open_one(session, who, now=now)
    console.close_ticket(session, staff, ticket_number=old.number, reason=REASON, now=now)
    new = tickets.reply(session, who, ticket_number=old.number, message="One more question, please.", now=now).ticket

    [(member_id, queued)] = console.open_tickets(session, staff)
    assert (member_id, queued.number, queued.follows) == (account.member_id, new.number, old.number)
    record = console.member_record(session, staff, account.member_id, today=today, now=now)
    assert [(t.number, t.follows, t.followed_by) for t in record.tickets] == [
        (new.number, old.number, ""),
        (old.number, "", new.number),
    ]


def test_each_reply_to_a_closed_request_is_its_own_new_request(session, now, renee, staff):
    who, _account = renee
    old = open_one(session, who, now=now)
    console.close_ticket(session, staff, ticket_number=old.number, reason=REASON, now=now)
    first = tickets.reply(session, who, ticket_number=old.number, message="First follow-up message.", now=now).ticket
    second = tickets.reply(session, who, ticket_number=old.number, message="Second follow-up message.", now=now).ticket

    assert first.number != second.number and first.follows == second.follows == old.number
    assert tickets.my_tickets(session, who)[-1].followed_by == f"{first.number}, {second.number}"


def test_a_request_closed_while_the_member_writes_is_not_reopened(session, db_url, now, renee, staff, monkeypatch):
    """Staff close the request between the member's page reading it open and the reply landing."""
    from sqlmodel import Session

    from hcpay_app.db import engine_for

    who, _account = renee
    view = open_one(session, who, now=now)
    real = tickets._message_error

    def staff_close_first(text, minimum):
        with Session(engine_for(db_url)) as other:
            if ticket_row(other, view.number).status != "closed":
                console.close_ticket(other, staff, ticket_number=view.number, reason=REASON, now=now)
        return real(text, minimum)

    monkeypatch.setattr(tickets, "_message_error", staff_close_first)
    result = tickets.reply(session, who, ticket_number=view.number, message="Are you still looking at this?", now=now)

    assert result.new_request and result.earlier == view.number
    assert ticket_row(session, view.number).status == "closed"
    assert ticket_row(session, result.ticket.number).follows_ticket_id == ticket_row(session, view.number).id


@pytest.mark.parametrize(
    "which", ["someone-elses", "someone-elses-closed", "unknown", "empty", "none", "number", "list", "500-characters"]
)
def test_replying_to_someone_elses_or_an_unknown_request_is_not_found_and_writes_nothing(
    session, now, renee, ben, staff, which
):
    from hcpay_app.services.common.errors import NotFound

    who, _account = renee
    ben_who, _ben_account = ben
    bens = open_one(session, ben_who, now=now)
    closed_bens = open_one(session, ben_who, now=now)
    console.close_ticket(session, staff, ticket_number=closed_bens.number, reason=REASON, now=now)
    before = counts(session)
    number = {
        "someone-elses": bens.number,
        "someone-elses-closed": closed_bens.number,
        "unknown": "T-00000000",
        "empty": "",
        "none": None,
        "number": 7,
        "list": ["T-1"],
        "500-characters": "x" * 500,
    }[which]
    with pytest.raises(NotFound) as caught:
        tickets.reply(session, who, ticket_number=number, message="Let me see this request.", now=now)
    assert caught.value.message == tickets.REQUEST_NOT_FOUND
    assert counts(session) == before
    assert [t.status for t in tickets.my_tickets(session, ben_who)] == ["Closed", "Open"]


@pytest.mark.parametrize("replier", ["nobody", "staff"])
def test_only_a_member_can_reply(session, now, renee, staff, replier):
    who, _account = renee
    view = open_one(session, who, now=now)
    before = counts(session)
    actor = {"nobody": None, "staff": staff}[replier]
    with pytest.raises(NotAllowed):
        tickets.reply(session, actor, ticket_number=view.number, message="Hello from nobody.", now=now)
    assert counts(session) == before


@pytest.mark.parametrize(
    ("request_is", "message"),
    [
        pytest.param("open", "k", id="open-one-letter"),
        pytest.param("open", " ", id="open-a-space"),
        pytest.param("open", None, id="open-none"),
        pytest.param("open", "x" * 2001, id="open-2001-characters"),
        pytest.param("closed", "Thank you", id="closed-nine-characters"),
        pytest.param("closed", "x" * 2001, id="closed-2001-characters"),
        pytest.param("closed", ["a" * 20], id="closed-list"),
    ],
)
def test_reply_lengths(session, now, renee, staff, request_is, message):
    """A reply to an open request needs 2 characters; one that opens a new request needs 10, like any request."""
    who, _account = renee
    view = open_one(session, who, now=now)
    closed = open_one(session, who, now=now)
    console.close_ticket(session, staff, ticket_number=closed.number, reason=REASON, now=now)
    before = counts(session)
    number = {"open": view.number, "closed": closed.number}[request_is]
    with pytest.raises(ValidationError) as caught:
        tickets.reply(session, who, ticket_number=number, message=message, now=now)
    assert set(caught.value.errors) == {"message"}, (number, message)
    assert counts(session) == before
    assert tickets.reply(session, who, ticket_number=view.number, message="ok", now=now).new_request is False


# ---- at most so many new requests a day ------------------------------------------------------


def at_local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`hour:minute` on `day` in Boston, as UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo("America/New_York")).astimezone(dt.UTC)


def limit_message(limit: int = 5) -> str:
    return (
        f"You can open up to {limit} support requests a day. You can still write to us about a request that is "
        "open under My requests, or open a new request tomorrow."
    )


def test_the_sixth_request_of_the_day_is_refused_and_writes_nothing(session, renee, outbox):
    who, _account = renee
    day = dt.date(2026, 3, 10)
    for hour in range(8, 13):
        open_one(session, who, now=at_local(day, hour))
    before = counts(session)

    with pytest.raises(ValidationError) as caught:
        open_one(session, who, now=at_local(day, 23, 59))

    assert caught.value.errors == {"request": limit_message()}
    assert caught.value.message == limit_message()
    assert counts(session) == before
    assert len(outbox("ticket_received")) == 5
    # The next calendar day in Boston (still the same UTC day for the first hours) starts afresh.
    assert at_local(day + dt.timedelta(days=1), 0).date() == dt.date(2026, 3, 11)
    open_one(session, who, now=at_local(day + dt.timedelta(days=1), 0))
    assert tickets.opened_on_day(session, who.user_id, at_local(day + dt.timedelta(days=1), 12)) == 1


def test_the_day_is_the_portal_zone_calendar_day_not_the_utc_one(session, renee):
    """8:30 PM in Boston is already tomorrow in UTC: it still counts toward today."""
    who, _account = renee
    day = dt.date(2026, 3, 10)
    for hour in (0, 6, 12, 18):
        open_one(session, who, now=at_local(day, hour))
    evening = at_local(day, 20, 30)
    assert evening.date() == dt.date(2026, 3, 11)  # UTC has moved on
    open_one(session, who, now=evening)
    with pytest.raises(ValidationError):
        open_one(session, who, now=at_local(day, 23, 59))
    open_one(session, who, now=at_local(dt.date(2026, 3, 9), 23, 59))  # yesterday had room


@pytest.mark.parametrize("day", [dt.date(2026, 3, 8), dt.date(2026, 11, 1)], ids=["spring-forward", "fall-back"])
def test_the_day_is_right_on_the_days_the_clocks_change(session, renee, day):
    who, _account = renee
    start = at_local(day, 0, 5)
    end = dt.datetime.combine(day, dt.time(23, 55), tzinfo=ZoneInfo("America/New_York")).astimezone(dt.UTC)
    assert (end - start) != dt.timedelta(hours=23, minutes=50)  # a 23- or 25-hour day
    for moment in (
        start,
        start + dt.timedelta(hours=3),
        end - dt.timedelta(hours=3),
        end - dt.timedelta(minutes=5),
        end,
    ):
        open_one(session, who, now=moment)
    with pytest.raises(ValidationError):
        open_one(session, who, now=end)
    open_one(session, who, now=end + dt.timedelta(minutes=10))  # 12:05 AM the next day


def test_the_limit_is_a_setting(session, renee, monkeypatch):
    from hcpay_app.config import get_settings

    monkeypatch.setenv("HCPAY_TICKETS_PER_DAY", "2")
    get_settings.cache_clear()
    who, _account = renee
    day = dt.date(2026, 3, 10)
    open_one(session, who, now=at_local(day, 9))
    open_one(session, who, now=at_local(day, 10))
    with pytest.raises(ValidationError) as caught:
        open_one(session, who, now=at_local(day, 11))
    assert caught.value.errors == {"request": limit_message(2)}

    monkeypatch.setenv("HCPAY_TICKETS_PER_DAY", "1")
    get_settings.cache_clear()
    assert tickets.daily_limit_message(1).startswith("You can open up to 1 support request a day.")


def test_the_limit_is_checked_before_the_fields(session, renee):
    """A member at the limit hears about it first, not after fixing their message."""
    who, _account = renee
    for _ in range(5):
        open_one(session, who, now=NOW)
    with pytest.raises(ValidationError) as caught:
        tickets.open_ticket(session, who, topic="nope", reference="", message="short", now=NOW)
    assert set(caught.value.errors) == {"request"}


def test_the_limit_is_per_member(session, renee, ben):
    who, _account = renee
    ben_who, _ben_account = ben
    for _ in range(5):
        open_one(session, who, now=NOW)
    open_one(session, ben_who, now=NOW)
    assert tickets.opened_on_day(session, ben_who.user_id, NOW) == 1


def test_follow_ups_count_and_are_refused_past_the_limit_leaving_the_closed_request_closed(session, renee, staff):
    who, _account = renee
    old = open_one(session, who, now=NOW)
    console.close_ticket(session, staff, ticket_number=old.number, reason=REASON, now=NOW)
    for _ in range(3):
        open_one(session, who, now=NOW)
    follow_up = tickets.reply(session, who, ticket_number=old.number, message="Still a problem, sorry.", now=NOW)
    assert follow_up.new_request and tickets.opened_on_day(session, who.user_id, NOW) == 5
    before = counts(session)

    with pytest.raises(ValidationError) as caught:
        tickets.reply(session, who, ticket_number=old.number, message="And one more thing to add.", now=NOW)
    assert caught.value.errors == {"message": limit_message()}
    with pytest.raises(ValidationError) as caught:
        open_one(session, who, now=NOW)
    assert caught.value.errors == {"request": limit_message()}
    assert counts(session) == before
    assert ticket_row(session, old.number).status == "closed"


def test_replies_to_open_requests_are_not_limited(session, renee):
    who, _account = renee
    views = [open_one(session, who, now=NOW) for _ in range(5)]
    for view in views:
        result = tickets.reply(session, who, ticket_number=view.number, message="Adding a detail.", now=NOW)
        assert result.new_request is False
    assert tickets.opened_on_day(session, who.user_id, NOW) == 5
