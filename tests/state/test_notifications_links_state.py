"""The notifications center (NotificationsState) with links and resolved notices.

Each notice arrives with a link to the page that acts on it and a name for that link, both made on
the server from its route constants; a notice about a bill that is now paid arrives resolved — read,
"Paid — no action needed", no link — and leaves the unread count. Nothing the browser sends chooses
a link.

The seeded members' bills were issued when they were imported (today), all due some days later; the
daily job's reminder duty is run for the day after the first of them is due (services take the day,
so nothing here depends on the real date), leaving a past-due notice about each of those bills.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Invoice, NoticeKind, Notification, User
from hcpay_app.services.billing import invoicing, ledger, reminders
from hcpay_app.services.payments import checkout
from hcpay_app.state.notifications import NotificationsState
from hcpay_app.state.session import SessionState
from tests.state.state_harness import ALICE, BOB, Browser, Person, fire, logged_in_browser, resolve, service_login

pytestmark = pytest.mark.asyncio

RESOLVED = "Paid — no action needed"
PAST_DUE = "Your premium payment is past due"
LINKS = {routes.PAY, routes.AUTOPAY, routes.SETTINGS, routes.PAYMENT_PLAN, routes.HISTORY, routes.SUPPORT}


@dataclasses.dataclass(frozen=True)
class Owed:
    notices: int  # past-due notices Alice got, one per bill first due (her oldest bills)
    cents: int  # what she owes
    noticed_cents: int  # what those bills charge
    last_noticed: int  # the newest of them: paid last


def account_of(s, person: Person) -> BillingAccount:
    return s.exec(select(BillingAccount).where(BillingAccount.account_number == person.account_number)).one()


def user_id(person: Person) -> int:
    with session_scope() as s:
        return s.exec(select(User.id).where(User.username_key == person.username.casefold())).one()


@pytest.fixture
def owed(db) -> Owed:
    """Past-due notices about the bills first due, for Alice (and Bob)."""
    with session_scope() as s:
        for person in (ALICE, BOB):
            invoicing.issue_due_invoices(s, account_of(s, person), today=clock.today(), now=clock.utcnow())
        s.commit()
        account = account_of(s, ALICE)
        first_due = min(s.exec(select(Invoice.due_on).where(Invoice.billing_account_id == account.id)).all())
        day = first_due + dt.timedelta(days=1)
        reminders.send_due(s, today=day, now=dt.datetime.combine(day, dt.time(17), tzinfo=dt.UTC))
        sent = s.exec(
            select(Notification).where(Notification.user_id == user_id(ALICE), Notification.kind == NoticeKind.PAST_DUE)
        ).all()
        assert sent and all(n.invoice_id is not None for n in sent)
        bills = [s.get(Invoice, n.invoice_id) for n in sent]
        assert {b.due_on for b in bills} == {first_due}
        charged = ledger.statuses_for(s, account.id, [b.id for b in bills], day)
        return Owed(
            len(sent),
            ledger.balance(s, account.id),
            sum(p.amount_cents for p in charged.values()),
            max(b.id for b in bills),
        )


def pay_by_card(person: Person, cents: int) -> str:
    """A card payment through Make a Payment's service, as the member (on another device)."""
    who = resolve(service_login(person))
    choice = checkout.new_card(
        card_number="4242424242424242",
        expiry="12/30",
        cvc="123",
        name="Alice Whitfield",
        billing_zip="02110",
        save=False,
        today=clock.today(),
    )
    with session_scope() as s:
        return checkout.submit(
            s,
            who,
            idempotency_key=checkout.new_idempotency_key(),
            amount_cents=cents,
            payment_date=clock.today(),
            choice=choice,
            now=clock.utcnow(),
            today=clock.today(),
        ).reference


async def notifications_tab(person=ALICE) -> Browser:
    tab = await logged_in_browser(person, url=routes.NOTIFICATIONS)
    assert (await fire(tab, SessionState, "require_login")).events == []
    out = await fire(tab, NotificationsState, "load")
    assert out.events == []
    return tab


def shown(tab: Browser) -> list[tuple[str, str, str, str, bool]]:
    return [(n.title, n.link, n.action, n.resolved, n.unread) for n in tab.state(NotificationsState).items]


async def test_each_notice_links_to_the_page_that_acts_on_it(owed):
    first = pay_by_card(ALICE, 10000)
    tab = await notifications_tab()
    assert shown(tab) == [
        (f"Payment received — {first}", f"/payment?reference={first}", f"See payment {first}", "", True),
        *[(PAST_DUE, routes.PAY, "Make a Payment", "", True)] * owed.notices,
    ]
    assert tab.state(SessionState).unread == 1 + owed.notices
    # What the page receives: the links and their names.
    seen = tab.public()
    assert f"/payment?reference={first}" in seen and f"See payment {first}" in seen and "Make a Payment" in seen


async def test_paying_the_bills_in_full_resolves_their_notices_and_the_count_drops(owed):
    pay_by_card(ALICE, 10000)
    tab = await notifications_tab()
    assert tab.state(SessionState).unread == 1 + owed.notices
    rest = pay_by_card(ALICE, owed.cents - 10000)
    out = await fire(tab, SessionState, "require_login")  # the next page the member opens
    assert out.events == [] and tab.state(SessionState).unread == 2  # the two "Payment received"
    await fire(tab, NotificationsState, "load")
    assert shown(tab)[0][:3] == (f"Payment received — {rest}", f"/payment?reference={rest}", f"See payment {rest}")
    assert shown(tab)[2:] == [(PAST_DUE, "", "", RESOLVED, False)] * owed.notices
    assert RESOLVED in tab.public()
    # Mark all as read: nothing unread, and the resolved notices stay resolved.
    await fire(tab, NotificationsState, "mark_all_read")
    assert tab.state(SessionState).unread == 0
    assert [row[3] for row in shown(tab)] == ["", ""] + [RESOLVED] * owed.notices


async def test_a_payment_short_of_a_bill_leaves_that_bills_notice_open(owed):
    # Oldest bills first: $1.00 short of the bills with notices pays all of them but the last in full.
    pay_by_card(ALICE, owed.noticed_cents - 100)
    tab = await notifications_tab()
    rows = shown(tab)[1:]
    assert rows.count((PAST_DUE, routes.PAY, "Make a Payment", "", True)) == 1
    assert rows.count((PAST_DUE, "", "", RESOLVED, False)) == owed.notices - 1
    assert tab.state(SessionState).unread == 2
    with session_scope() as s:
        still_open = s.exec(
            select(Notification.invoice_id).where(
                Notification.user_id == user_id(ALICE),
                Notification.resolved_at.is_(None),
                Notification.invoice_id.is_not(None),
            )
        ).all()
    assert still_open == [owed.last_noticed]


async def test_a_link_that_isnt_one_of_the_portals_pages_is_never_shown(owed):
    """Defence in depth: a stored link is shown only if it is one of the portal's own pages."""
    alice = user_id(ALICE)
    with session_scope() as s:
        for link in ("https://evil.example/pay", "javascript:alert(1)", "/payment?reference=HC-0000", "/console"):
            s.add(
                Notification(
                    user_id=alice, kind=NoticeKind.PAST_DUE, title="Odd", body="b", link=link, created_at=clock.utcnow()
                )
            )
        s.commit()
    tab = await notifications_tab()
    assert [row for row in shown(tab) if row[0] == "Odd"] == [("Odd", "", "", "", True)] * 4
    seen = tab.public()
    assert "evil.example" not in seen and "javascript:" not in seen and "/console" not in seen
    assert {row[1] for row in shown(tab)} <= LINKS | {""}


async def test_the_browser_chooses_no_link_and_touches_no_one_elses_notice(owed):
    # The only handlers: load, mark one read (by id) and mark all read — none takes a link.
    assert set(NotificationsState.event_handlers) - {"setvar"} == {"load", "mark_read", "mark_all_read"}
    alice = await notifications_tab(ALICE)
    bob = await notifications_tab(BOB)
    hers = {n.id for n in alice.state(NotificationsState).items}
    assert hers and not hers & {n.id for n in bob.state(NotificationsState).items}
    for forged in (*sorted(hers), str(min(hers)), "/pay", {"link": "/pay"}, -1):
        out = await fire(bob, NotificationsState, "mark_read", notice_id=forged)
        assert out.events == []
    await fire(alice, NotificationsState, "load")
    assert all(row[4] for row in shown(alice)) and alice.state(SessionState).unread == owed.notices
