"""Contact support and "My requests" (SupportState).

A member opens a request, optionally about one of their own payments (by reference), gets a
T-number on screen and by email, and sees only their own requests. Another member's reference is a
field error that writes nothing and reveals nothing; every field is treated as hostile. Billing
data comes from `billing_seed` (clock pinned to Tue Nov 24, 2026).
"""

from __future__ import annotations

import re
import secrets

import pytest
from sqlmodel import select

from hcpay_app import routes
from hcpay_app.db import session_scope
from hcpay_app.models import Payment, SupportTicket
from hcpay_app.state.session import SessionState
from hcpay_app.state.support import SupportState
from tests.state.console_flow import (
    assert_no_member_data,
    audit_rows,
    open_ticket,
    snapshot,
    ticket,
    ticket_messages,
)
from tests.state.state_harness import ALICE, BOB, Browser, emails, fire, logged_in_browser

pytestmark = pytest.mark.asyncio

TICKET_RE = re.compile(r"T-[0-9A-Z]{8}")
NOT_YOURS = "That isn't a payment reference number on your account. Check it in your payment history."
MESSAGE = "My card was declined twice this month. Can you tell me why?"
SUPPORT_REDIRECT = "/?next=%2Fsupport"


def defaults() -> dict:
    return Browser().public_of(SupportState)


def form(**overrides) -> dict:
    return {"topic": "payment_declined", "reference": "", "message": MESSAGE, **overrides}


async def support_tab(person=ALICE, url: str = routes.SUPPORT) -> Browser:
    tab = await logged_in_browser(person, url=url)
    out = await fire(tab, SupportState, "load")
    assert out.events == []
    return tab


def tickets_of(person) -> list[SupportTicket]:
    from hcpay_app.models import User

    with session_scope() as s:
        uid = s.exec(select(User.id).where(User.username_key == person.username.casefold())).one()
        return list(s.exec(select(SupportTicket).where(SupportTicket.user_id == uid).order_by(SupportTicket.id)).all())


def payment_id(reference: str) -> int:
    with session_scope() as s:
        return s.exec(select(Payment.id).where(Payment.reference == reference)).one()


@pytest.mark.parametrize("typed", ["exact", "lower-spaced"])
async def test_a_request_about_ones_own_payment_is_opened(billing, typed):
    reference = billing.alice.declined[-1]
    tab = await support_tab()
    sent = reference if typed == "exact" else f"  {reference.lower().replace('-', ' ')} "
    out = await fire(tab, SupportState, "submit", form_data=form(reference=sent))
    support = tab.state(SupportState)
    assert out.events == [] and support.errors == {}
    [row] = tickets_of(ALICE)
    assert support.created == (
        f"Thank you. Your request number is {row.ticket_number}. We've emailed you a copy. "
        "We answer within 1 business day."
    )
    assert TICKET_RE.fullmatch(row.ticket_number)
    assert row.payment_id == payment_id(reference) and row.topic == "payment_declined" and row.status == "open"
    assert [m.body for m in ticket_messages(row.ticket_number)] == [MESSAGE]
    [listed] = support.tickets
    assert (listed.number, listed.reference, listed.status) == (row.ticket_number, reference, "Open")
    [mail] = emails(ALICE.email, "ticket_received")
    assert row.ticket_number in mail.subject and row.ticket_number in mail.body
    assert [r.detail for r in audit_rows("ticket_opened")] == [row.ticket_number]
    assert support.form_key == 1 and support.reference == ""


async def test_a_request_without_a_reference_is_fine(billing):
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form(topic="billing_question"))
    [row] = tickets_of(ALICE)
    assert row.payment_id is None and row.ticket_number in tab.state(SupportState).created


async def test_another_members_reference_is_a_field_error_and_writes_nothing(billing):
    tab = await support_tab()
    before = snapshot()
    out = await fire(tab, SupportState, "submit", form_data=form(reference=billing.bob.latest_succeeded))
    support = tab.state(SupportState)
    assert support.errors == {"reference": NOT_YOURS} and support.created == ""
    assert snapshot() == before and tickets_of(BOB) == [] and tickets_of(ALICE) == []
    assert_no_member_data(out.seen, BOB)
    assert "$7,380.00" not in out.seen and "Nov 2" not in out.seen


@pytest.mark.parametrize("reference", ["HC-0000-0000-0000", "not a reference", "x" * 500, "' OR 1=1 --"])
async def test_an_unknown_reference_is_a_field_error(billing, reference):
    tab = await support_tab()
    before = snapshot()
    await fire(tab, SupportState, "submit", form_data=form(reference=reference))
    assert tab.state(SupportState).errors == {"reference": NOT_YOURS} and snapshot() == before


@pytest.mark.parametrize(
    "overrides, fields",
    [
        ({"topic": "refund_everything"}, {"topic"}),
        ({"message": "help"}, {"message"}),
        ({"message": "x" * 2001}, {"message"}),
        ({"topic": "", "message": "", "reference": "HC-0000-0000-0000"}, {"topic", "message", "reference"}),
    ],
)
async def test_bad_fields_are_reported_together_and_write_nothing(billing, overrides, fields):
    tab = await support_tab()
    before = snapshot()
    await fire(tab, SupportState, "submit", form_data=form(**overrides))
    assert set(tab.state(SupportState).errors) == fields and snapshot() == before


JUNK = [
    None,
    [],
    "topic=other",
    7,
    {"topic": ["other"], "reference": {"$ne": ""}, "message": 12345678901},
    {"topic": {"other": 1}, "reference": ["HC-0000-0000-0000"], "message": ["a long enough message"]},
    {"topic": None, "reference": 3.5, "message": None},
    {"topic": True, "reference": False, "message": True},
]


@pytest.mark.parametrize("junk", JUNK, ids=[f"junk{i}" for i in range(len(JUNK))])
async def test_junk_in_every_field_never_raises_and_writes_nothing(billing, junk):
    tab = await support_tab()
    before = snapshot()
    out = await fire(tab, SupportState, "submit", form_data=junk)
    support = tab.state(SupportState)
    assert out.events == [] and support.created == "" and {"topic", "message"} <= set(support.errors)
    assert snapshot() == before


async def test_my_requests_lists_only_the_members_own(billing):
    bobs = open_ticket(BOB, message="Bob's private question about his bill.")
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form())
    await fire(tab, SupportState, "submit", form_data=form(topic="other", message="A second, different question."))
    out = await fire(tab, SupportState, "load")
    mine = [t.ticket_number for t in tickets_of(ALICE)]
    support = tab.state(SupportState)
    assert [t.number for t in support.tickets] == mine[::-1]  # newest first
    assert bobs not in tab.public() and "Bob's private question" not in tab.public()
    assert bobs not in out.seen
    assert support.created == "" and support.errors == {}


async def test_load_prefills_the_reference_from_the_link(billing):
    reference = billing.alice.declined[-1]
    tab = await support_tab(url=f"{routes.SUPPORT}?reference={reference}")
    assert tab.state(SupportState).reference == reference
    tab = await support_tab(url=f"{routes.SUPPORT}?reference={'A' * 200}")
    assert tab.state(SupportState).reference == "A" * 24


@pytest.mark.parametrize("handler", ["load", "submit"])
@pytest.mark.parametrize("cookie", ["none", "forged"])
async def test_without_a_session_support_sends_to_log_in_and_writes_nothing(billing, handler, cookie):
    tab = Browser(routes.SUPPORT)
    tab.set_cookie("" if cookie == "none" else secrets.token_urlsafe(32))
    before = snapshot()
    payload = {"form_data": form()} if handler == "submit" else {}
    out = await fire(tab, SupportState, handler, **payload)
    assert out.redirects == [SUPPORT_REDIRECT] and snapshot() == before
    assert tab.public_of(SupportState) == defaults() and tab.cookie() == ""
    assert tab.state(SessionState).notice == (
        "" if cookie == "none" else "Your session has ended. Please log in again."
    )


async def test_a_session_that_ended_forgets_the_members_requests(billing):
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form())
    assert tab.state(SupportState).tickets
    tab.set_cookie(secrets.token_urlsafe(32))
    out = await fire(tab, SupportState, "load")
    assert out.redirects == [SUPPORT_REDIRECT] and tab.public_of(SupportState) == defaults()


# --------------------------------------------------------------------------------------------
# Writing back, and the day's limit
# --------------------------------------------------------------------------------------------

LIMIT = (
    "You can open up to 5 support requests a day. You can still write to us about a request that is open "
    "under My requests, or open a new request tomorrow."
)
NOT_FOUND = "We couldn't find that request. Choose one from My requests."


def close(number: str) -> None:
    from hcpay_app.models import TicketStatus

    with session_scope() as s:
        row = s.exec(select(SupportTicket).where(SupportTicket.ticket_number == number)).one()
        row.status = TicketStatus.CLOSED
        s.add(row)
        s.commit()


async def test_a_reply_to_an_open_request_is_added_to_it(billing):
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form())
    [row] = tickets_of(ALICE)
    out = await fire(
        tab, SupportState, "reply", form_data={"ticket_number": row.ticket_number, "message": " Any news? "}
    )
    support = tab.state(SupportState)
    assert out.events == [] and (support.reply_ticket, support.reply_error) == ("", "")
    assert support.created == f"Thank you. We added your message to request {row.ticket_number}."
    assert [m.body for m in ticket_messages(row.ticket_number)] == [MESSAGE, "Any news?"]
    assert [t.ticket_number for t in tickets_of(ALICE)] == [row.ticket_number]
    assert support.tickets[0].messages[-1].body == "Any news?" and support.reply_key == 1


async def test_a_reply_to_a_closed_request_opens_a_new_one_and_says_its_number(billing):
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form())
    [old] = tickets_of(ALICE)
    close(old.ticket_number)
    await fire(tab, SupportState, "load")

    await fire(
        tab,
        SupportState,
        "reply",
        form_data={"ticket_number": old.ticket_number, "message": "This happened again today, sorry."},
    )

    first, new = tickets_of(ALICE)
    assert (first.id, first.status) == (old.id, "closed") and new.follows_ticket_id == old.id and new.status == "open"
    support = tab.state(SupportState)
    assert support.created == (
        f"Your request {old.ticket_number} was closed, so we opened a new request for your "
        f"message. Your new request number is {new.ticket_number}. We've emailed you a copy."
    )
    assert [(t.number, t.follows, t.followed_by) for t in support.tickets] == [
        (new.ticket_number, old.ticket_number, ""),
        (old.ticket_number, "", new.ticket_number),
    ]
    assert [m.body for m in ticket_messages(old.ticket_number)] == [MESSAGE]  # nothing added to the closed one
    assert new.ticket_number in emails(ALICE.email, "ticket_received")[-1].body


async def test_a_reply_error_shows_under_that_requests_form(billing):
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form())
    [row] = tickets_of(ALICE)
    before = snapshot()
    await fire(tab, SupportState, "reply", form_data={"ticket_number": row.ticket_number, "message": "x"})
    support = tab.state(SupportState)
    assert (support.reply_ticket, support.reply_error) == (
        row.ticket_number,
        "Tell us a little more (at least 2 characters).",
    )
    assert support.created == "" and support.errors == {} and snapshot() == before
    await fire(tab, SupportState, "load")
    assert (tab.state(SupportState).reply_ticket, tab.state(SupportState).reply_error) == ("", "")


async def test_a_reply_error_clears_the_moment_the_message_is_fixed(billing):
    tab = await support_tab()
    await fire(tab, SupportState, "submit", form_data=form())
    [row] = tickets_of(ALICE)
    await fire(tab, SupportState, "reply", form_data={"ticket_number": row.ticket_number, "message": "x"})
    support = tab.state(SupportState)
    before = snapshot()
    await fire(tab, SupportState, "recheck_reply", ticket_number="T-OTHER", value="Long enough now")
    assert support.reply_error != ""  # another request's form changes nothing here
    await fire(tab, SupportState, "recheck_reply", ticket_number=row.ticket_number, value=" ")
    assert support.reply_error == "Tell us a little more (at least 2 characters)."
    await fire(tab, SupportState, "recheck_reply", ticket_number=row.ticket_number, value="Thanks, that helps")
    assert support.reply_error == "" and snapshot() == before  # cleared, and nothing was sent


async def test_a_not_found_reply_error_stays_until_the_next_send(billing):
    bobs = open_ticket(BOB, message="Bob's private question about his bill.")
    tab = await support_tab()
    await fire(tab, SupportState, "reply", form_data={"ticket_number": bobs, "message": "x"})
    await fire(tab, SupportState, "recheck_reply", ticket_number=bobs, value="Let me in, please.")
    assert tab.state(SupportState).reply_error == NOT_FOUND


async def test_replying_to_another_members_request_is_not_found_and_reveals_nothing(billing):
    bobs = open_ticket(BOB, message="Bob's private question about his bill.")
    tab = await support_tab()
    before = snapshot()
    out = await fire(tab, SupportState, "reply", form_data={"ticket_number": bobs, "message": "Let me in, please."})
    support = tab.state(SupportState)
    assert (support.reply_ticket, support.reply_error) == (bobs, NOT_FOUND)
    assert snapshot() == before and "Bob's private question" not in out.seen
    assert_no_member_data(out.seen, BOB)


@pytest.mark.parametrize("junk", JUNK, ids=[f"junk{i}" for i in range(len(JUNK))])
async def test_junk_replies_never_raise_and_write_nothing(billing, junk):
    tab = await support_tab()
    before = snapshot()
    out = await fire(tab, SupportState, "reply", form_data=junk)
    support = tab.state(SupportState)
    assert out.events == [] and support.created == "" and support.reply_error == NOT_FOUND
    assert snapshot() == before


async def test_the_sixth_request_of_the_day_is_refused_next_to_the_form(billing):
    tab = await support_tab()
    for n in range(5):
        await fire(tab, SupportState, "submit", form_data=form(message=f"Question number {n} about my bill."))
        assert tab.state(SupportState).errors == {}
    before = snapshot()
    await fire(tab, SupportState, "submit", form_data=form(message="A sixth question about my bill."))
    support = tab.state(SupportState)
    assert support.errors == {"request": LIMIT} and support.created == ""
    assert snapshot() == before and len(tickets_of(ALICE)) == 5
    # Writing back about an open request still works.
    newest = tickets_of(ALICE)[-1].ticket_number
    await fire(tab, SupportState, "reply", form_data={"ticket_number": newest, "message": "One more detail."})
    assert tab.state(SupportState).created == f"Thank you. We added your message to request {newest}."


async def test_a_follow_up_past_the_limit_is_refused_under_the_closed_request(billing):
    tab = await support_tab()
    for n in range(5):
        await fire(tab, SupportState, "submit", form_data=form(message=f"Question number {n} about my bill."))
    oldest = tickets_of(ALICE)[0].ticket_number
    close(oldest)
    before = snapshot()
    await fire(tab, SupportState, "reply", form_data={"ticket_number": oldest, "message": "Following up on this one."})
    support = tab.state(SupportState)
    assert (support.reply_ticket, support.reply_error) == (oldest, LIMIT)
    assert snapshot() == before and ticket(oldest).status == "closed"


@pytest.mark.parametrize("cookie", ["none", "forged"])
async def test_without_a_session_a_reply_sends_to_log_in_and_writes_nothing(billing, cookie):
    number = open_ticket(ALICE)
    tab = Browser(routes.SUPPORT)
    tab.set_cookie("" if cookie == "none" else secrets.token_urlsafe(32))
    before = snapshot()
    out = await fire(tab, SupportState, "reply", form_data={"ticket_number": number, "message": "Hello again there."})
    assert out.redirects == [SUPPORT_REDIRECT] and snapshot() == before
    assert tab.public_of(SupportState) == defaults()
