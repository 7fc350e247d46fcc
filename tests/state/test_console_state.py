"""The support console (ConsoleState) and the staff side of the session guards.

Every console handler re-checks, from the server-side session, that a support agent is logged in:
a tab with no session, a forged cookie or a member's session is refused, writes nothing and
receives no member data. With a staff session, search finds members and payments, every action
needs a written reason and leaves an audit row naming the agent, and member pages send staff back
to the console without logging them out. Data comes from `console_flow.build_world` (billing from
`billing_seed`, clock pinned to Tue Nov 24, 2026; BOB has a late fee, an open ticket, a scheduled
payment and a locked log-in).
"""

from __future__ import annotations

import secrets

import pytest

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import EntryKind, PaymentStatus
from hcpay_app.services.accounts import authn
from hcpay_app.state.autopay import AutopayState
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.history import HistoryState, PaymentDetailState
from hcpay_app.state.methods import MethodsState
from hcpay_app.state.notifications import NotificationsState
from hcpay_app.state.pay import PayState
from hcpay_app.state.plan import PlanState
from hcpay_app.state.reminders import RemindersState
from hcpay_app.state.session import SessionState
from hcpay_app.state.support import SupportState
from tests.state.console_flow import (
    LATE_FEE_CENTS,
    REASON,
    World,
    assert_no_member_data,
    audit_rows,
    cached_world,
    counts,
    ledger_rows,
    masked_ssn,
    notifications,
    payment_status,
    snapshot,
    staff_browser,
    throttle_of,
    ticket,
    ticket_messages,
)
from tests.state.state_harness import (
    ALICE,
    BOB,
    CAROL,
    Browser,
    Outcome,
    emails,
    fire,
    logged_in_browser,
    resolve,
    service_login,
)

pytestmark = pytest.mark.asyncio

ENDED = "Your session has ended. Please log in again."
DONE = "Done. The action was recorded in the audit trail."
HANDLERS = ("load", "search", "open_member", "reply", "waive_fee", "adjust", "unlock", "send_reset", "cancel_payment")
ACTIONS = ("waive_fee", "adjust", "unlock", "send_reset", "cancel_payment")  # need a written reason


@pytest.fixture
def world(db, tmp_path_factory) -> World:
    return cached_world(db, tmp_path_factory)


def defaults() -> dict:
    return Browser().public_of(ConsoleState)


def payloads(w: World) -> dict[str, dict]:
    """For each handler, arguments that do something real when a support agent sends them."""
    return {
        "load": {},
        "search": {"form_data": {"query": "Okonkwo"}},
        "open_member": {"member_id": w.bob_member},
        "reply": {"form_data": {"ticket_number": w.ticket_number, "body": "We found your payment.", "close": "on"}},
        "waive_fee": {"form_data": {"entry_id": str(w.fee_id), "reason": REASON}},
        "adjust": {"form_data": {"amount": "25.00", "direction": "credit", "reason": REASON}},
        "unlock": {"form_data": {"reason": REASON}},
        "send_reset": {"form_data": {"reason": REASON}},
        "cancel_payment": {"form_data": {"reference": w.scheduled, "reason": REASON}},
    }


async def console_tab(w: World) -> Browser:
    """A staff tab on the console with BOB's record open."""
    tab = await staff_browser()
    await fire(tab, ConsoleState, "load")
    await fire(tab, ConsoleState, "open_member", member_id=w.bob_member)
    assert tab.state(ConsoleState).record.member_id == w.bob_member
    return tab


async def act(tab: Browser, name: str, **payload) -> Outcome:
    out = await fire(tab, ConsoleState, name, **payload)
    assert out.redirects == [], out
    return out


# --------------------------------------------------------------------------------------------
# 1. Authorization: no session, a forged cookie, a member's session
# --------------------------------------------------------------------------------------------


async def tab_for(identity: str) -> Browser:
    if identity == "alice":
        return await logged_in_browser(ALICE, url=routes.CONSOLE)
    tab = Browser(routes.CONSOLE)
    tab.set_cookie({"none": "", "forged": secrets.token_urlsafe(32)}[identity])
    return tab


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("identity", ["none", "forged", "alice"])
async def test_every_console_handler_refuses_anyone_but_staff(world, handler, identity):
    tab = await tab_for(identity)
    tab.root._clean()
    before = snapshot()
    out = await fire(tab, ConsoleState, handler, **payloads(world)[handler])
    assert out.redirects == [routes.LOGIN]
    assert snapshot() == before, "a refused console call wrote to the database"
    assert tab.public_of(ConsoleState) == defaults()
    assert_no_member_data(out.seen, BOB, ALICE)
    assert_no_member_data(tab.public(), BOB)
    assert world.ticket_number not in out.seen and world.scheduled not in out.seen


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("identity", ["revoked", "forged", "alice"])
async def test_a_console_tab_whose_staff_session_ended_can_no_longer_act(world, handler, identity):
    """The agent had BOB's record open (so adjust/unlock/send_reset have a target), then the session
    was revoked or the cookie replaced: nothing is written and nothing new is sent."""
    tab = await console_tab(world)
    if identity == "revoked":
        with session_scope() as s:
            authn.logout(s, tab.cookie(), ip="test", now=clock.utcnow())
    elif identity == "forged":
        tab.set_cookie(secrets.token_urlsafe(32))
    else:
        tab.set_cookie(service_login(ALICE))
    tab.root._clean()
    before = snapshot()
    out = await fire(tab, ConsoleState, handler, **payloads(world)[handler])
    assert out.redirects == [routes.LOGIN]
    assert snapshot() == before
    assert_no_member_data(out.seen, BOB, ALICE)


@pytest.mark.parametrize("handler", HANDLERS)
async def test_the_same_payloads_do_act_for_staff(world, handler):
    """Control for the refusals above: the payloads are not inert."""
    tab = await console_tab(world)
    before = snapshot()
    out = await act(tab, handler, **payloads(world)[handler])
    console = tab.state(ConsoleState)
    assert console.errors == {} and console.message in ("", DONE), (console.errors, console.message)
    if handler in ("load", "search", "open_member"):
        assert snapshot() == before
        assert {
            "load": bool(console.tickets),
            "search": bool(console.results),
            "open_member": console.record is not None,
        }[handler]
    else:
        assert snapshot() != before and console.message == DONE
    assert out.events == []


@pytest.mark.parametrize("identity", ["none", "forged", "alice", "staff"])
async def test_require_staff_guards_the_console_page(world, identity):
    tab = await staff_browser() if identity == "staff" else await tab_for(identity)
    cookie = tab.cookie()
    out = await fire(tab, SessionState, "require_staff")
    expected = {"none": [routes.LOGIN], "forged": [routes.LOGIN], "alice": [routes.DASHBOARD], "staff": []}[identity]
    assert out.redirects == expected
    if identity in ("alice", "staff"):
        assert tab.cookie() == cookie and resolve(cookie) is not None, "the session survived the guard"
    if identity == "forged":
        assert tab.cookie() == "" and tab.state(SessionState).notice == ENDED
    assert_no_member_data(out.seen, BOB)


# --------------------------------------------------------------------------------------------
# 2. Staff: search and member records
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["Okonkwo", "okonkwo", "bob okonkwo", "  Bob Okonkwo  ", BOB.account_number, BOB.member_number]
)
async def test_search_finds_a_member_by_name_account_or_member_id(world, query):
    tab = await staff_browser()
    await act(tab, "search", form_data={"query": query})
    console = tab.state(ConsoleState)
    assert [(r.member_id, r.name, r.member_number, r.account_number, r.username) for r in console.results] == [
        (world.bob_member, "Bob Okonkwo", BOB.member_number, BOB.account_number, BOB.username)
    ]
    assert console.message == "" and console.record is None


async def test_search_by_name_finds_a_member_without_a_portal_login(world):
    tab = await staff_browser()
    await act(tab, "search", form_data={"query": "d'souza"})
    rows = tab.state(ConsoleState).results
    assert [(r.name, r.account_number, r.username) for r in rows] == [("Carol D'Souza", CAROL.account_number, "")]


@pytest.mark.parametrize("query", ["zz-nobody", "999999999", "x", ""])
async def test_a_search_that_matches_nobody_says_so(world, query):
    tab = await staff_browser()
    await act(tab, "search", form_data={"query": query})
    assert tab.state(ConsoleState).results == [] and tab.state(ConsoleState).message == "No members match."


@pytest.mark.parametrize("typed", ["exact", "lower", "compact"])
async def test_search_by_payment_reference_opens_the_members_record(world, typed):
    reference = world.billing.bob.latest_succeeded
    query = {"exact": reference, "lower": reference.lower(), "compact": reference.replace("-", "")}[typed]
    tab = await staff_browser()
    out = await act(tab, "search", form_data={"query": query})
    record = tab.state(ConsoleState).record
    assert record is not None and record.member_id == world.bob_member and record.user_id == world.bob_user
    assert (record.name, record.member_number, record.account_number, record.email) == (
        "Bob Okonkwo",
        BOB.member_number,
        BOB.account_number,
        BOB.email,
    )
    assert record.masked_ssn == masked_ssn(BOB)
    assert any(line.text.startswith(reference) for line in record.payments)
    assert [line.id for line in record.fees] == [world.fee_id] and record.locked is True
    assert [t.number for t in record.tickets] == [world.ticket_number]
    for full in (BOB.ssn, BOB.ssn_digits):  # the SSN is only ever masked, even for staff
        assert full not in out.seen and full not in tab.public()


async def test_a_pasted_reference_with_spaces_around_it_still_opens_the_record(world):
    tab = await staff_browser()
    await act(tab, "search", form_data={"query": f"  {world.billing.bob.latest_succeeded} "})
    record = tab.state(ConsoleState).record
    assert record is not None and record.member_id == world.bob_member


async def test_an_unknown_reference_is_reported_and_clears_the_results(world):
    tab = await staff_browser()
    await act(tab, "search", form_data={"query": "Okonkwo"})
    await act(tab, "search", form_data={"query": "HC-0000-0000-0000"})
    console = tab.state(ConsoleState)
    assert console.message == "No payment has that reference number." and console.results == []
    assert console.record is None


@pytest.mark.parametrize(
    "junk", [None, "abc", -1, 0, 10**30, [1], {"id": 1}, 1.5, True, "", "-3", "１２", "9" * 13, "1; DROP TABLE member"]
)
async def test_open_member_with_a_junk_id_never_raises_or_opens_anything(world, junk):
    tab = await staff_browser()
    before = counts()
    out = await act(tab, "open_member", member_id=junk)
    assert tab.state(ConsoleState).record is None and out.events == []
    assert counts() == before
    assert_no_member_data(out.seen, BOB, ALICE)


async def test_open_member_with_an_unknown_id_says_so(world):
    tab = await staff_browser()
    await act(tab, "open_member", member_id=987654)
    assert tab.state(ConsoleState).record is None and tab.state(ConsoleState).message == "No such member."


async def test_open_member_accepts_the_id_as_digits_as_a_form_would_send_it(world):
    tab = await staff_browser()
    await act(tab, "open_member", member_id=str(world.bob_member))
    assert tab.state(ConsoleState).record.member_number == BOB.member_number


async def test_load_lists_open_tickets_and_the_audit_trail(world):
    tab = await staff_browser()
    await act(tab, "load")
    console = tab.state(ConsoleState)
    assert [t.number for t in console.tickets] == [world.ticket_number]
    assert console.ticket_members == [world.bob_member]
    assert console.tickets[0].reference == world.billing.bob.latest_succeeded
    assert any("staff_created" in line.text for line in console.audit)
    assert len(console.audit) <= 30


JUNK_FORMS = [
    None,
    [],
    "reason",
    42,
    {
        "entry_id": [1],
        "reason": {"why": "x" * 20},
        "amount": 5,
        "direction": ["credit"],
        "reference": None,
        "ticket_number": 7,
        "body": ["hello there"],
        "query": {"q": 1},
        "close": {"on": True},
    },
]


@pytest.mark.parametrize("handler", ["search", "reply", *ACTIONS])
@pytest.mark.parametrize("form", JUNK_FORMS, ids=["none", "list", "str", "int", "junk-fields"])
async def test_staff_handlers_survive_junk_forms_and_write_nothing(world, handler, form):
    tab = await console_tab(world)
    before = snapshot()
    await act(tab, handler, form_data=form)
    assert snapshot() == before
    console = tab.state(ConsoleState)
    assert console.message != DONE


# --------------------------------------------------------------------------------------------
# 2. Staff actions: reasons, effects and the audit trail
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "reason", ["", "abcd", "  a   b  ", None, ["Member called"]], ids=["empty", "4-chars", "spaces", "none", "list"]
)
async def test_every_action_needs_a_written_reason(world, action, reason):
    tab = await console_tab(world)
    form = {**payloads(world)[action]["form_data"], "reason": reason}
    before = snapshot()
    await act(tab, action, form_data=form)
    console = tab.state(ConsoleState)
    assert console.errors == {"reason": "Write the reason for this action (at least 5 characters)."}
    assert console.message != DONE
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
async def test_every_action_is_audited_with_the_agent_the_member_and_the_reason(world, action):
    tab = await console_tab(world)
    before = len(audit_rows())
    await act(tab, action, **payloads(world)[action])
    assert tab.state(ConsoleState).message == DONE, tab.state(ConsoleState).errors
    mine = [row for row in audit_rows()[before:] if row.actor_user_id == world.staff_id]
    assert len(mine) == 1, [(r.action, r.detail) for r in audit_rows()[before:]]
    row = mine[0]
    assert row.subject_user_id == world.bob_user and REASON in row.detail
    assert (
        row.action
        == {
            "waive_fee": "fee_waived",
            "adjust": "adjustment_posted",
            "unlock": "account_unlocked",
            "send_reset": "reset_email_sent_by_support",
            "cancel_payment": "payment_canceled_by_support",
        }[action]
    )
    # the console's own audit list shows it, naming the agent
    assert any(line.id == row.id and "by sam.support" in line.detail for line in tab.state(ConsoleState).audit)


async def test_waiving_a_fee_credits_it_once(world):
    tab = await console_tab(world)
    await act(tab, "waive_fee", form_data={"entry_id": str(world.fee_id), "reason": "abcd"})
    assert "reason" in tab.state(ConsoleState).errors and ledger_rows(BOB, EntryKind.FEE_WAIVER) == []

    await act(tab, "waive_fee", form_data={"entry_id": str(world.fee_id), "reason": REASON})
    console = tab.state(ConsoleState)
    assert console.errors == {} and console.message == DONE
    [waiver] = ledger_rows(BOB, EntryKind.FEE_WAIVER)
    fee = next(e for e in ledger_rows(BOB, EntryKind.LATE_FEE) if e.id == world.fee_id)
    assert (
        waiver.amount_cents == -LATE_FEE_CENTS and waiver.invoice_id == fee.invoice_id and REASON in waiver.description
    )
    assert console.record.fees == []  # no longer offered for waiving
    assert console.record.balance == "$0.00"  # Bob had paid everything but the fee

    before = snapshot()
    await act(tab, "waive_fee", form_data={"entry_id": str(world.fee_id), "reason": REASON})
    assert snapshot() == before
    assert tab.state(ConsoleState).errors == {"entry_id": "This fee was already waived."}


async def test_a_second_waive_tells_the_agent_it_was_already_waived(world):
    tab = await console_tab(world)
    form = {"entry_id": str(world.fee_id), "reason": REASON}
    await act(tab, "waive_fee", form_data=form)
    await act(tab, "waive_fee", form_data=form)
    message = tab.state(ConsoleState).message
    assert "already waived" in message and message != DONE


@pytest.mark.parametrize("entry", ["payment", "premium", "unknown", "junk"])
async def test_only_a_late_fee_can_be_waived(world, entry):
    tab = await console_tab(world)
    rows = ledger_rows(BOB)
    entry_id = {
        "payment": next(e.id for e in rows if e.kind == EntryKind.PAYMENT),
        "premium": next(e.id for e in rows if e.kind == EntryKind.PREMIUM),
        "unknown": 99999,
        "junk": "1e3",
    }[entry]
    before = snapshot()
    await act(tab, "waive_fee", form_data={"entry_id": str(entry_id), "reason": REASON})
    assert snapshot() == before and tab.state(ConsoleState).message == "No such late fee."


async def test_a_reply_answers_the_ticket_and_notifies_the_member(world):
    tab = await console_tab(world)
    body = "We found your payment; it posted on Nov 2."
    await act(tab, "reply", form_data={"ticket_number": world.ticket_number, "body": f"  {body}  "})
    console = tab.state(ConsoleState)
    assert console.message == DONE and console.errors == {}
    assert ticket(world.ticket_number).status == "answered"
    last = ticket_messages(world.ticket_number)[-1]
    assert last.from_support and last.body == body and last.author_user_id == world.staff_id
    [note] = [n for n in notifications(BOB) if n.kind == "ticket_reply"]
    assert note.title == f"Support replied to {world.ticket_number}" and body in note.body
    assert [e.subject for e in emails(BOB.email, "ticket_reply")] == [f"Support replied to {world.ticket_number}"]
    [row] = audit_rows("ticket_replied")
    assert row.actor_user_id == world.staff_id and row.subject_user_id == world.bob_user
    assert row.detail == world.ticket_number
    # the queue and the open record both show the answer
    [queued] = [t for t in console.tickets if t.number == world.ticket_number]
    assert queued.status == "Answered" and queued.messages[-1].author == "Staff — sam.support"
    assert queued.messages[0].author == "Member — Bob Okonkwo"  # authors by role, never "You"
    assert console.record.tickets[0].status == "Answered"
    assert notifications(ALICE) == []


async def test_a_reply_can_close_the_ticket(world):
    tab = await console_tab(world)
    await act(tab, "reply", form_data={"ticket_number": world.ticket_number, "body": "All sorted.", "close": "on"})
    assert ticket(world.ticket_number).status == "closed"
    assert [r.actor_user_id for r in audit_rows("ticket_replied_closed")] == [world.staff_id]
    assert world.ticket_number not in [t.number for t in tab.state(ConsoleState).tickets]


@pytest.mark.parametrize("body", ["", " x ", "y" * 2001])
async def test_a_reply_needs_a_body_of_sensible_length(world, body):
    tab = await console_tab(world)
    before = snapshot()
    await act(tab, "reply", form_data={"ticket_number": world.ticket_number, "body": body})
    assert "body" in tab.state(ConsoleState).errors and snapshot() == before


async def test_a_reply_to_an_unknown_ticket_is_refused(world):
    tab = await console_tab(world)
    before = snapshot()
    await act(tab, "reply", form_data={"ticket_number": "T-NOTAREAL", "body": "Hello there"})
    assert tab.state(ConsoleState).message == "No such ticket." and snapshot() == before


@pytest.mark.parametrize(
    "direction, amount, kind, cents",
    [("credit", "25.00", EntryKind.CREDIT, -2500), ("charge", "$10", EntryKind.ADJUSTMENT, 1000)],
)
async def test_an_adjustment_is_posted_to_the_open_members_ledger(world, direction, amount, kind, cents):
    tab = await console_tab(world)
    await act(tab, "adjust", form_data={"amount": amount, "direction": direction, "reason": REASON})
    [entry] = ledger_rows(BOB, kind)
    assert entry.amount_cents == cents and REASON in entry.description
    assert ledger_rows(ALICE, kind) == []
    [row] = audit_rows("adjustment_posted")
    assert row.actor_user_id == world.staff_id and row.detail.startswith(direction) and REASON in row.detail


@pytest.mark.parametrize(
    "form, field",
    [
        ({"amount": "abc", "direction": "credit"}, "amount"),
        ({"amount": "0", "direction": "credit"}, "amount"),
        ({"amount": "10000.01", "direction": "credit"}, "amount"),
        ({"amount": "5", "direction": "steal"}, "direction"),
    ],
)
async def test_a_bad_adjustment_is_a_field_error_and_writes_nothing(world, form, field):
    tab = await console_tab(world)
    before = snapshot()
    await act(tab, "adjust", form_data={**form, "reason": REASON})
    assert field in tab.state(ConsoleState).errors and snapshot() == before


@pytest.mark.parametrize("action", ["adjust", "unlock", "send_reset"])
async def test_actions_on_the_open_record_need_an_open_record(world, action):
    tab = await staff_browser()
    before = snapshot()
    await act(tab, action, **payloads(world)[action])
    assert tab.state(ConsoleState).message in ("No such member.", "No such user.") and snapshot() == before


async def test_unlock_clears_the_lockout(world):
    tab = await console_tab(world)
    assert throttle_of(BOB) is not None and tab.state(ConsoleState).record.locked
    await act(tab, "unlock", form_data={"reason": REASON})
    assert throttle_of(BOB) is None and tab.state(ConsoleState).record.locked is False
    service_login(BOB)  # BOB can log in again


async def test_send_reset_emails_the_member_a_reset_link(world):
    tab = await console_tab(world)
    await act(tab, "send_reset", form_data={"reason": REASON})
    [mail] = emails(BOB.email, "password_reset")
    assert "/reset-password?token=" in mail.body and emails(ALICE.email, "password_reset") == []


async def test_support_resets_are_not_eaten_by_the_public_rate_limit(world):
    """Six resets in an hour from the console (for two members) each send an email."""
    tab = await console_tab(world)
    alice_tab = await staff_browser()
    await act(alice_tab, "open_member", member_id=world.alice_member)
    for _ in range(3):
        await act(tab, "send_reset", form_data={"reason": REASON})
        await act(alice_tab, "send_reset", form_data={"reason": REASON})
    assert len(emails(BOB.email, "password_reset")) == 3 and len(emails(ALICE.email, "password_reset")) == 3


async def test_cancel_payment_cancels_a_scheduled_payment_once(world):
    tab = await console_tab(world)
    await act(tab, "cancel_payment", form_data={"reference": world.scheduled.lower(), "reason": REASON})
    assert payment_status(world.scheduled) == PaymentStatus.CANCELED
    [row] = audit_rows("payment_canceled_by_support")
    assert row.detail == f"{world.scheduled}: {REASON}" and row.actor_user_id == world.staff_id

    before = snapshot()
    await act(tab, "cancel_payment", form_data={"reference": world.scheduled, "reason": REASON})
    assert tab.state(ConsoleState).errors == {"reference": "Only a scheduled payment can be canceled."}
    assert snapshot() == before


async def test_canceling_tells_the_member_by_email_and_in_the_portal(world):
    tab = await console_tab(world)
    assert notifications(BOB) == [] and emails(BOB.email, "payment_canceled") == []
    await act(tab, "cancel_payment", form_data={"reference": world.scheduled, "reason": REASON})

    told = (
        "Our support team canceled your scheduled payment of $200.00 that was to be made on Dec 4, 2026. "
        "Nothing was charged. If you didn't ask for this, please contact us under Help → Contact support."
    )
    [mail] = emails(BOB.email, "payment_canceled")
    assert mail.subject == f"Scheduled payment canceled — {world.scheduled}"
    assert told in mail.body and "Status: Canceled" in mail.body and REASON not in mail.body
    [note] = notifications(BOB)
    assert (note.kind, note.title) == ("payment_canceled_by_support", f"Scheduled payment canceled — {world.scheduled}")
    assert told in note.body and REASON not in note.body
    # the open record shows the notice the member got; nobody else was told anything
    assert [n.text for n in tab.state(ConsoleState).record.notices] == [note.title]
    assert notifications(ALICE) == [] and emails(ALICE.email, "payment_canceled") == []


async def test_a_members_follow_up_to_a_closed_ticket_shows_linked_both_ways(world):
    tab = await console_tab(world)
    await act(tab, "reply", form_data={"ticket_number": world.ticket_number, "body": "All sorted.", "close": "on"})
    await act(tab, "unlock", form_data={"reason": REASON})  # BOB's log-in is locked in this world
    bob = await logged_in_browser(BOB, url=routes.SUPPORT)
    await fire(bob, SupportState, "load")
    await fire(
        bob,
        SupportState,
        "reply",
        form_data={"ticket_number": world.ticket_number, "message": "It happened again this month."},
    )
    new_number = bob.state(SupportState).tickets[0].number
    assert new_number != world.ticket_number and ticket(world.ticket_number).status == "closed"

    await act(tab, "load")
    await act(tab, "open_member", member_id=world.bob_member)
    console = tab.state(ConsoleState)
    [queued] = [t for t in console.tickets if t.number == new_number]
    assert queued.follows == world.ticket_number and queued.status == "Open"
    assert world.ticket_number not in [t.number for t in console.tickets]  # still closed
    by_number = {t.number: t for t in console.record.tickets}
    assert by_number[new_number].follows == world.ticket_number
    assert by_number[world.ticket_number].followed_by == new_number


@pytest.mark.parametrize("which", ["succeeded", "unknown", "garbage"])
async def test_only_a_scheduled_payment_can_be_canceled(world, which):
    tab = await console_tab(world)
    reference = {
        "succeeded": world.billing.bob.latest_succeeded,
        "unknown": "HC-0000-0000-0000",
        "garbage": "' OR 1=1 --",
    }[which]
    before = snapshot()
    await act(tab, "cancel_payment", form_data={"reference": reference, "reason": REASON})
    console = tab.state(ConsoleState)
    assert console.errors.get("reference") or console.message == "No payment has that reference number."
    assert snapshot() == before


# --------------------------------------------------------------------------------------------
# 2. Staff on member pages
# --------------------------------------------------------------------------------------------

MEMBER_PAGES = [
    (DashboardState, routes.DASHBOARD),
    (PayState, routes.PAY),
    (HistoryState, routes.HISTORY),
    (PaymentDetailState, routes.PAYMENT),
    (AutopayState, routes.AUTOPAY),
    (PlanState, routes.PAYMENT_PLAN),
    (NotificationsState, routes.NOTIFICATIONS),
    (RemindersState, routes.SETTINGS),
    (MethodsState, routes.SETTINGS),
    (SupportState, routes.SUPPORT),
]


@pytest.mark.parametrize("cls, url", MEMBER_PAGES, ids=[c.__name__ for c, _ in MEMBER_PAGES])
async def test_staff_on_a_member_page_go_back_to_the_console_still_logged_in(world, cls, url):
    tab = await staff_browser(url)
    cookie = tab.cookie()
    before = Browser().public_of(cls)
    out = await fire(tab, cls, "load")
    assert out.redirects == [routes.CONSOLE]
    assert tab.cookie() == cookie and resolve(cookie).role == "support"
    assert tab.state(SessionState).logged_in is True and tab.state(SessionState).notice == ""
    assert tab.public_of(cls) == before
    assert_no_member_data(out.seen, ALICE, BOB)


async def test_require_login_sends_staff_to_the_console_still_logged_in(world):
    tab = await staff_browser(routes.DASHBOARD)
    cookie = tab.cookie()
    out = await fire(tab, SessionState, "require_login")
    assert out.redirects == [routes.CONSOLE] and tab.cookie() == cookie and resolve(cookie) is not None


async def test_staff_cannot_open_a_ticket_as_a_member(world):
    tab = await staff_browser(routes.SUPPORT)
    before = snapshot()
    out = await fire(
        tab,
        SupportState,
        "submit",
        form_data={"topic": "other", "reference": "", "message": "Please waive everything for me."},
    )
    assert out.redirects == [routes.CONSOLE] and snapshot() == before


async def test_log_in_as_staff_then_as_a_member_forgets_the_console(world):
    tab = await console_tab(world)
    from hcpay_app.state.login import LoginState

    out = await fire(tab, LoginState, "login", form_data={"username": ALICE.username, "password": ALICE.password})
    assert out.redirects == [routes.DASHBOARD]
    assert tab.public_of(ConsoleState) == defaults()
    assert_no_member_data(tab.public(), BOB)


async def test_when_the_staff_session_ends_the_console_forgets_the_member(world):
    tab = await console_tab(world)
    with session_scope() as s:
        authn.logout(s, tab.cookie(), ip="test", now=clock.utcnow())
    out = await fire(tab, ConsoleState, "search", form_data={"query": "Okonkwo"})
    assert out.redirects and out.redirects[0].startswith(routes.LOGIN)
    assert tab.state(ConsoleState).record is None
    assert tab.cookie() == "" and tab.state(SessionState).notice == ENDED
    assert_no_member_data(tab.public(), BOB)
