"""Issue 16, point 5: a member who writes in Spanish sees their words as written, and staff see the
member's language (in its own name) wherever the console shows that member or their tickets."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from hcpay_app.i18n.catalogs import localize, translate
from hcpay_app.i18n.languages import Language
from hcpay_app.i18n.message import Msg
from hcpay_app.models import User
from hcpay_app.services.support import console, templates, tickets
from tests.unit.payment_helpers import billed_actor
from tests.unit.support_helpers import make_staff, open_one

SPANISH_MESSAGE = "¿Por qué mi factura es más alta este mes? Pagué el día 3."


@pytest.fixture
def renee(session, registered_user):
    return billed_actor(session, registered_user)


@pytest.fixture
def staff(session, now):
    return make_staff(session, now)


def speaks(session: Session, user_id: int, language: Language) -> None:
    user = session.get(User, user_id)
    user.language = language
    session.add(user)
    session.commit()


def test_staff_see_the_members_language_on_the_record_the_search_and_the_queue(session, now, today, renee, staff):
    who, account = renee
    speaks(session, who.user_id, Language.ES)
    ticket = open_one(session, who, now=now, message=SPANISH_MESSAGE)

    record = console.member_record(session, staff, account.member_id, today=today, now=now)
    assert record.language == "Español"
    [row] = console.search_members(session, staff, account.account_number)
    assert row.language == "Español"
    queue = {view.number: view for _member, view in console.open_tickets(session, staff, now=now)}
    assert queue[ticket.number].member_language == "Español"
    assert record.tickets[0].member_language == "Español"


def test_a_member_in_portuguese_and_one_who_never_chose_read_as_themselves(session, now, today, renee, staff):
    who, account = renee
    assert console.member_record(session, staff, account.member_id, today=today, now=now).language == "English"
    speaks(session, who.user_id, Language.PT)
    assert console.member_record(session, staff, account.member_id, today=today, now=now).language == "Português"


def test_what_the_member_wrote_stays_as_written_in_every_language(session, now, renee, staff):
    who, _account = renee
    speaks(session, who.user_id, Language.ES)
    ticket = open_one(session, who, now=now, message=SPANISH_MESSAGE)
    [mine] = tickets.my_tickets(session, who)
    [(_member, queued)] = console.open_tickets(session, staff, now=now)

    for view in (mine, queued):
        body = view.messages[0].body
        assert body == SPANISH_MESSAGE and not isinstance(body, Msg)  # outside text, never a message id
        for language in Language:
            assert localize(view, language).messages[0].body == SPANISH_MESSAGE
    assert ticket.number == queued.number


def test_message_authors_and_support_emails_go_through_the_catalogs(session, now, renee, staff):
    who, _account = renee
    open_one(session, who, now=now, message=SPANISH_MESSAGE)
    [(_member, queued)] = console.open_tickets(session, staff, now=now)
    author = queued.messages[0].author
    assert isinstance(author, Msg) and author.msgid == "Member — {name}"
    assert author == "Member — Renée O’Neil-Dubois"
    assert isinstance(tickets.my_tickets(session, who)[0].messages[0].author, Msg)

    received = templates.request_received("Ana", "T-ABCDEFGH", tickets.topic_label("other"), None)
    replied = templates.support_replied("T-ABCDEFGH", "Hola Ana, ya lo revisamos.")
    for text in (received.subject, received.body, replied.subject, replied.body):
        assert isinstance(text, Msg)
    # The agent's words come through as written; the portal's sentence around them is translated.
    assert translate(replied.body, Language.ES).startswith("Hola Ana, ya lo revisamos.\n\n")
    assert replied.body == "Hola Ana, ya lo revisamos.\n\nSee Help → My requests in the portal."
