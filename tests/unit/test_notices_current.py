"""Notifications that stay current: notices about a bill resolve once it is paid, payments received,
cleared and returned have notices of their own, and every notice links to the page that acts on it.

Resolution reads the settled view (what the member is shown): a card payment resolves at once, a
bank debit when it clears, a partial payment never, and a debit that comes back returned never
resolved anything, so there is nothing to undo.

Members are enrolled with coverage from Mar 1, 2026 and have paid March; April's $512.50 is due
Mar 23 (a Monday). The daily job runs Mar 16–24: reminders on the 16th and 21st, the past-due notice
and the Past Due Warning on the 24th — four notices about April's bill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    Invoice,
    NoticeKind,
    Notification,
    Payment,
    PaymentStatus,
)
from hcpay_app.services.accounts import notices
from hcpay_app.services.billing import ledger, paid_notices, summary
from hcpay_app.services.common.messages import Message
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.jobs import daily
from hcpay_app.services.recurring import plans
from hcpay_app.services.support import console, tickets
from tests.support.together import run_together
from tests.unit.autopay_helpers import (
    BANKS,
    CARDS,
    PREMIUM,
    TODAY,
    Enrolled,
    at,
    emails_to,
    enroll,
    invoices_of,
    late_fees,
    notices_of,
    pay_binder,
    roster_row,
    run_days,
    save_bank,
    save_card,
    turn_on,
)
from tests.unit.payment_helpers import bank, card, submit
from tests.unit.support_helpers import REASON, make_staff

D = dt.date
DUE = D(2026, 3, 23)  # April's bill
PAST_DUE_DAY = D(2026, 3, 24)
PAY_DAY = D(2026, 3, 25)  # a Wednesday: a bank debit sent today clears Fri Mar 27
BILL_KINDS = {
    NoticeKind.PAYMENT_REMINDER,
    NoticeKind.PAST_DUE,
    NoticeKind.PAST_DUE_WARNING,
    NoticeKind.LATE_FEE,
    NoticeKind.TERMINATION_WARNING,
}
RESOLVED = "Paid — no action needed"


def past_due_member(session: Session, n: int = 0) -> Enrolled:
    member = enroll(session, roster_row(n))
    pay_binder(session, member)
    return member


@pytest.fixture
def avery(session) -> Enrolled:
    """April's bill unpaid, with its two reminders, its past-due notice and a Past Due Warning."""
    member = past_due_member(session)
    run_days(D(2026, 3, 16), PAST_DUE_DAY)
    return member


def april(session: Session, member: Enrolled) -> Invoice:
    return next(i for i in invoices_of(session, member.account_id) if i.due_on == DUE)


def about_bills(session: Session, member: Enrolled) -> list[Notification]:
    return [n for n in notices_of(session, member.user_id) if n.invoice_id is not None]


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def unread(session: Session, member: Enrolled) -> int:
    return notices.unread_count(session, member.who)


def pay_card(session: Session, member: Enrolled, cents: int, day: dt.date = PAY_DAY) -> str:
    return submit(session, member.who, card(), cents, today=day).reference


def pay_bank(session: Session, member: Enrolled, cents: int, account: str, day: dt.date = PAY_DAY) -> Payment:
    reference = submit(session, member.who, bank(account), cents, today=day).reference
    session.expire_all()
    return session.exec(select(Payment).where(Payment.reference == reference)).one()


def settle(payment: Payment) -> None:
    """The daily job from the day after the debit was sent through its settle date."""
    run_days(payment.payment_date + dt.timedelta(days=1), payment.expected_settle_on)


def test_the_notices_about_a_bill_carry_it_and_link_to_make_a_payment(session, avery):
    bill = april(session, avery)
    kinds = [(n.kind, n.invoice_id, n.link) for n in about_bills(session, avery)]
    assert kinds == [
        (NoticeKind.PAYMENT_REMINDER, bill.id, routes.PAY),
        (NoticeKind.PAYMENT_REMINDER, bill.id, routes.PAY),
        (NoticeKind.PAST_DUE, bill.id, routes.PAY),
        (NoticeKind.PAST_DUE_WARNING, bill.id, routes.PAY),
    ]
    assert unread(session, avery) == 4
    shown = notices.recent(session, avery.who)
    assert {(v.link, v.action, v.resolved, v.unread) for v in shown} == {(routes.PAY, "Make a Payment", "", True)}


def test_a_card_payment_in_full_resolves_them_once_and_they_stop_counting(session, avery, outbox):
    reference = pay_card(session, avery, PREMIUM)
    resolved = about_bills(session, avery)
    assert [utc(n.resolved_at) for n in resolved] == [at(PAY_DAY)] * 4
    assert all(n.read_at is not None for n in resolved)
    # Only the new "Payment received" notice is unread; it opens the payment's status page.
    assert unread(session, avery) == 1
    newest, *older = notices.recent(session, avery.who)
    assert (newest.title, newest.unread) == (f"Payment received — {reference}", True)
    assert newest.link == f"{routes.PAYMENT}?reference={reference}"
    assert newest.action == f"See payment {reference}"
    assert [(v.resolved, v.link, v.action, v.unread) for v in older] == [(RESOLVED, "", "", False)] * 4
    # The receipt was emailed once, as before: the notice is in the portal only.
    assert len(outbox("payment_receipt")) == 1
    # Later runs of the job leave the resolution as it was.
    run_days(PAY_DAY, PAY_DAY + dt.timedelta(days=2))
    assert [utc(n.resolved_at) for n in about_bills(session, avery)] == [at(PAY_DAY)] * 4


def test_a_partial_payment_resolves_nothing(session, avery):
    pay_card(session, avery, PREMIUM - 10000)
    run_days(PAY_DAY, PAY_DAY)
    assert all(n.resolved_at is None and n.read_at is None for n in about_bills(session, avery))
    assert unread(session, avery) == 5  # the four, and "Payment received"
    pay_card(session, avery, 10000, day=PAY_DAY + dt.timedelta(days=1))
    assert all(utc(n.resolved_at) == at(PAY_DAY + dt.timedelta(days=1)) for n in about_bills(session, avery))


def test_a_bank_debit_resolves_them_when_it_clears_not_when_it_is_sent(session, avery):
    debit = pay_bank(session, avery, PREMIUM, BANKS["settle"])
    assert debit.status == PaymentStatus.PENDING and debit.expected_settle_on == D(2026, 3, 27)
    run_days(PAY_DAY + dt.timedelta(days=1), PAY_DAY + dt.timedelta(days=1))  # on its way
    assert all(n.resolved_at is None for n in about_bills(session, avery))
    assert unread(session, avery) == 4  # no "received" yet: nothing is received until it clears
    run_days(D(2026, 3, 27), D(2026, 3, 27))
    assert [utc(n.resolved_at) for n in about_bills(session, avery)] == [at(D(2026, 3, 27))] * 4
    (cleared,) = notices_of(session, avery.user_id, NoticeKind.PAYMENT_SETTLED)
    assert cleared.title == f"Bank payment cleared — {debit.reference}"
    assert "has cleared" in cleared.body and "$512.50" in cleared.body
    assert cleared.link == notices.payment_link(debit.reference) and cleared.read_at is None
    assert unread(session, avery) == 1
    assert len(emails_to(session, avery.email, NoticeKind.PAYMENT_SETTLED)) == 1


def test_a_returned_debit_leaves_them_open_and_says_so(session, avery):
    debit = pay_bank(session, avery, PREMIUM, BANKS["R01"])
    settle(debit)
    session.expire_all()
    assert session.get(Payment, debit.id).status == PaymentStatus.RETURNED
    assert all(n.resolved_at is None and n.read_at is None for n in about_bills(session, avery))
    (returned,) = notices_of(session, avery.user_id, NoticeKind.PAYMENT_RETURNED)
    assert returned.title == f"Your bank returned a payment — {debit.reference}"
    assert "enough funds" in returned.body and "owed again" in returned.body
    assert returned.link == routes.PAY and returned.invoice_id is None
    assert len(emails_to(session, avery.email, NoticeKind.PAYMENT_RETURNED)) == 1
    assert paid_notices.resolve_all(session, now=at(D(2026, 3, 28))) == 0
    # The debit on its way had lifted the grace period (the ledger as posted); its return starts a
    # new one, with a new Past Due Warning about the same bill.
    kinds = [n.kind for n in about_bills(session, avery)]
    assert kinds[4:] == [NoticeKind.PAST_DUE_WARNING] and len(kinds) == 5
    assert unread(session, avery) == 6
    # Paying again resolves them.
    pay_card(session, avery, PREMIUM, day=D(2026, 3, 30))
    assert all(utc(n.resolved_at) == at(D(2026, 3, 30)) for n in about_bills(session, avery))


def test_a_debit_returned_after_a_card_paid_the_bill_leaves_the_resolution_true(session, avery):
    debit = pay_bank(session, avery, PREMIUM, BANKS["R01"])
    pay_card(session, avery, PREMIUM)  # the same bill, by card, while the debit is on its way
    assert all(utc(n.resolved_at) == at(PAY_DAY) for n in about_bills(session, avery))
    settle(debit)
    bill = april(session, avery)
    position = ledger.statuses_for(session, avery.account_id, [bill.id], D(2026, 3, 28), settled=True)[bill.id]
    assert position.status == ledger.InvoiceStatus.PAID  # the card paid it: the resolution still holds
    assert all(n.resolved_at is not None for n in about_bills(session, avery))


def test_a_staff_credit_resolves_at_once(session, avery):
    staff = make_staff(session, at(PAY_DAY))
    console.post_adjustment(
        session,
        staff,
        member_id=avery.who.member_id,
        amount="512.50",
        direction="credit",
        reason=REASON,
        now=at(PAY_DAY),
        today=PAY_DAY,
    )
    assert [utc(n.resolved_at) for n in about_bills(session, avery)] == [at(PAY_DAY)] * 4
    assert unread(session, avery) == 0


def test_a_fee_waiver_that_leaves_the_bill_paid_resolves_at_once(session, avery):
    run_days(PAST_DUE_DAY + dt.timedelta(days=1), D(2026, 4, 7))  # a late fee on April's bill on Apr 7
    (fee,) = late_fees(session, avery.account_id)
    bill = april(session, avery)
    assert fee.invoice_id == bill.id
    (fee_notice,) = notices_of(session, avery.user_id, NoticeKind.LATE_FEE)
    assert (fee_notice.invoice_id, fee_notice.link) == (bill.id, routes.PAY)
    pay_card(session, avery, PREMIUM, day=D(2026, 4, 8))  # the premium, not the fee
    mine = [n for n in about_bills(session, avery) if n.invoice_id == bill.id]
    assert len(mine) == 5 and all(n.resolved_at is None for n in mine)
    staff = make_staff(session, at(D(2026, 4, 8)))
    console.waive_fee(session, staff, entry_id=fee.id, reason=REASON, now=at(D(2026, 4, 9)), today=D(2026, 4, 9))
    assert [utc(n.resolved_at) for n in about_bills(session, avery) if n.invoice_id == bill.id] == [
        at(D(2026, 4, 9))
    ] * 5


def test_two_daily_jobs_at_once_resolve_each_notice_exactly_once(session):
    members = [past_due_member(session, n) for n in range(3)]
    run_days(D(2026, 3, 16), PAST_DUE_DAY)
    # Money that arrives without a payment announcing it (written straight to the ledger): only
    # the daily job's duty can resolve these notices.
    for member in members:
        ledger.post(
            session,
            account_id=member.account_id,
            kind=EntryKind.CREDIT,
            amount_cents=-PREMIUM,
            effective_on=PAY_DAY,
            now=at(PAY_DAY),
            description="Credit",
        )
    session.commit()
    expected = sum(len(about_bills(session, m)) for m in members)
    assert expected == 12
    results: list[daily.DailySummary] = []
    errors = run_together(2, lambda: results.append(daily.run_daily(PAY_DAY, at(PAY_DAY))))
    assert errors == []
    assert sum(r.resolved for r in results) == expected
    for member in members:
        assert [utc(n.resolved_at) for n in about_bills(session, member)] == [at(PAY_DAY)] * 4
        assert unread(session, member) == 0
    assert daily.run_daily(PAY_DAY, at(PAY_DAY) + dt.timedelta(hours=3)).resolved == 0


def test_paid_invoices_is_the_settled_view_for_many_accounts_at_once(session):
    members = [past_due_member(session, n) for n in range(5)]
    run_days(D(2026, 3, 16), PAST_DUE_DAY)
    pay_card(session, members[0], PREMIUM)  # paid
    pay_card(session, members[1], 20000)  # partly paid
    pay_bank(session, members[2], PREMIUM, BANKS["settle"], day=D(2026, 3, 31))  # on its way until Apr 2
    pay_card(session, members[3], 3 * PREMIUM)  # paid, and a credit toward May and June
    run_days(D(2026, 4, 1), D(2026, 4, 1))  # May's bill
    # members[4] pays nothing
    today = D(2026, 4, 1)
    expected = set()
    for member in members:
        ids = [i.id for i in invoices_of(session, member.account_id)]
        positions = ledger.statuses_for(session, member.account_id, ids, today, settled=True)
        expected |= {i for i, p in positions.items() if p.status == ledger.InvoiceStatus.PAID}
    assert paid_notices.paid_invoices(session, [m.account_id for m in members]) == expected
    bills = {m.account_id: {i.id for i in invoices_of(session, m.account_id)} for m in members}
    paid = {account: len(ids & expected) for account, ids in bills.items()}
    assert [paid[m.account_id] for m in members] == [2, 1, 1, 3, 1]  # March (the binder) is paid for all


def test_payment_received_cleared_and_returned_are_notices_in_the_portal(session, outbox):
    member = past_due_member(session)
    received = pay_card(session, member, 10000)
    cleared = pay_bank(session, member, 10000, BANKS["settle"])
    returned = pay_bank(session, member, 10000, BANKS["R01"])
    assert [n.kind for n in notices_of(session, member.user_id)] == [NoticeKind.PAYMENT_RECEIPT]
    settle(cleared)
    seen = {n.kind: n for n in notices_of(session, member.user_id) if n.kind.startswith("payment_")}
    assert set(seen) == {NoticeKind.PAYMENT_RECEIPT, NoticeKind.PAYMENT_SETTLED, NoticeKind.PAYMENT_RETURNED}
    assert seen[NoticeKind.PAYMENT_RECEIPT].title == f"Payment received — {received}"
    assert seen[NoticeKind.PAYMENT_RECEIPT].body.startswith("We received your payment of $100.00 (Visa ••••4242)")
    assert seen[NoticeKind.PAYMENT_SETTLED].title == f"Bank payment cleared — {cleared.reference}"
    assert seen[NoticeKind.PAYMENT_RETURNED].title == f"Your bank returned a payment — {returned.reference}"
    links = {kind: notice.link for kind, notice in seen.items()}
    assert links == {
        NoticeKind.PAYMENT_RECEIPT: notices.payment_link(received),
        NoticeKind.PAYMENT_SETTLED: notices.payment_link(cleared.reference),
        NoticeKind.PAYMENT_RETURNED: routes.PAY,
    }
    actions = {v.title.split(" — ")[0]: v.action for v in notices.recent(session, member.who) if " — " in v.title}
    assert actions == {
        "Payment received": f"See payment {received}",
        "Bank payment cleared": f"See payment {cleared.reference}",
        "Your bank returned a payment": "Make a Payment",
    }
    # One email each, as before: the notices are in the portal only.
    for kind in (NoticeKind.PAYMENT_RECEIPT, NoticeKind.PAYMENT_SETTLED, NoticeKind.PAYMENT_RETURNED):
        assert len(outbox(kind)) == 1, kind


def test_an_automatic_payment_gets_one_notice_not_two(session):
    member = past_due_member(session)
    turn_on(session, member, save_bank(session, member, BANKS["R01"]))
    run_days(D(2026, 3, 18), D(2026, 3, 21))  # charged on the 18th, returned on the 20th
    kinds = [n.kind for n in notices_of(session, member.user_id) if n.kind != NoticeKind.AUTOPAY_NOTICE]
    assert kinds == [NoticeKind.AUTOPAY_CHANGE, NoticeKind.AUTOPAY_CHARGED, NoticeKind.AUTOPAY_FAILED]
    links = [n.link for n in notices_of(session, member.user_id)]
    charged = notices_of(session, member.user_id, NoticeKind.AUTOPAY_CHARGED)[0]
    assert charged.link.startswith(f"{routes.PAYMENT}?reference=HC-")
    assert links.count(routes.AUTOPAY) == len(links) - 1


def test_notify_takes_only_the_portals_own_pages():
    for bad in ("", "https://evil.example/pay", "//evil.example", "/pay?next=x", "/payment?reference=nope", "/nowhere"):
        with pytest.raises(ValueError):
            notices.notify(None, 1, Message("t", "b"), kind=NoticeKind.PAST_DUE, now=at(TODAY), link=bad)
    assert notices.action_for(NoticeKind.TICKET_REPLY, routes.SUPPORT) == "See My requests"
    assert notices.action_for(NoticeKind.TERMINATED, routes.SUPPORT) == "Contact support"
    assert notices.payment_link("HC-7KQ4-M9XP-2D3F") == "/payment?reference=HC-7KQ4-M9XP-2D3F"
    assert notices.action_for(NoticeKind.PAYMENT_RECEIPT, "/payment?reference=HC-7KQ4-M9XP-2D3F") == (
        "See payment HC-7KQ4-M9XP-2D3F"
    )


def test_the_dashboard_summary_agrees_with_the_resolution(session, avery):
    """While a bank debit is on its way the summary shows it processing and the notices stay open;
    once it clears both say paid."""
    debit = pay_bank(session, avery, PREMIUM, BANKS["settle"])
    account = session.get(BillingAccount, avery.account_id)
    on_its_way = summary.for_account(session, account, PAY_DAY)
    assert on_its_way.processing_cents == PREMIUM and all(n.resolved_at is None for n in about_bills(session, avery))
    settle(debit)
    session.expire_all()
    cleared = summary.for_account(session, session.get(BillingAccount, avery.account_id), D(2026, 3, 27))
    assert cleared.processing_cents == 0 and cleared.past_due_cents == 0
    assert all(n.resolved_at is not None for n in about_bills(session, avery))


# ---- a season of the daily job: every notice links somewhere, and resolves only when it should ---

FIRST, LAST = D(2026, 3, 10), D(2026, 7, 10)
MEMBERS = ("autopay", "r01", "declining", "expiring", "never", "plan", "plan_missed", "manual")


@dataclasses.dataclass
class Season:
    url: str
    members: dict[str, Enrolled]
    first_resolved: dict[int, dt.datetime]  # notice id → when it was first seen resolved
    replayed: daily.DailySummary | None = None  # a second run for the last day


def _simulate(url: str) -> Season:
    """Four months of the daily job for eight members with different habits:

    - autopay:      Automatic Payments from a good card
    - r01:          Automatic Payments from a bank account that comes back R01
    - declining:    Automatic Payments from a card that declines (tried again, then paused)
    - expiring:     Automatic Payments from a card that expires Apr 2026
    - never:        never pays again (Past Due Warning, late fee, Termination Warning, coverage ends)
    - plan:         misses April, sets up a 2-installment plan on Apr 1 charged to a card
    - plan_missed:  misses April, sets up a plan on Apr 1 paid by hand, and misses the first installment
    - manual:       pays by hand: by card, then by bank (clears), then by bank (returned), then by card;
                    asks support a question (answered) and has a scheduled payment canceled by support
    """
    session = Session(engine_for(url))
    members = {name: past_due_member(session, n) for n, name in enumerate(MEMBERS)}
    turn_on(session, members["autopay"], save_card(session, members["autopay"]))
    turn_on(session, members["r01"], save_bank(session, members["r01"], BANKS["R01"]))
    turn_on(session, members["declining"], save_card(session, members["declining"], CARDS["card_declined"]))
    turn_on(session, members["expiring"], save_card(session, members["expiring"], expiry="04/26"))
    plan_card = save_card(session, members["plan"])
    staff = make_staff(session, at(FIRST))
    manual = members["manual"]

    def owed(day: dt.date) -> int:
        session.expire_all()
        return ledger.account_position(session, manual.account_id, day).amount_due_cents

    def by_card(day: dt.date) -> None:
        if owed(day) >= MINIMUM_PAYMENT_CENTS:
            submit(session, manual.who, card(), owed(day), today=day)

    def by_bank(account: str):
        def pay(day: dt.date) -> None:
            if owed(day) >= MINIMUM_PAYMENT_CENTS:
                submit(session, manual.who, bank(account), owed(day), today=day)

        return pay

    def plans_and_support(day: dt.date) -> None:
        session.expire_all()
        for name, method_id in (("plan", plan_card.id), ("plan_missed", None)):
            plans.create(
                session, members[name].who, installments=2, method_id=method_id, accepted=True, now=at(day), today=day
            )
        ticket = tickets.open_ticket(
            session, manual.who, topic="billing_question", reference="", message="Why two bills?", now=at(day)
        )
        console.reply(session, staff, ticket_number=ticket.number, body="One per month.", close=False, now=at(day))
        later = submit(session, manual.who, card(), 5000, on=day + dt.timedelta(days=20), today=day).reference
        console.cancel_payment(session, staff, reference=later, reason=REASON, now=at(day))

    before = {
        D(2026, 3, 23): by_card,
        D(2026, 4, 1): plans_and_support,
        D(2026, 4, 22): by_bank(BANKS["settle"]),
        D(2026, 5, 22): by_bank(BANKS["R01"]),
        D(2026, 6, 1): by_card,
        D(2026, 6, 23): by_card,
    }
    season = Season(url, members, {})

    def observe(day: dt.date) -> None:
        session.expire_all()
        rows = session.exec(
            select(Notification.id, Notification.resolved_at).where(Notification.resolved_at.is_not(None))
        )
        for notice_id, resolved_at in rows.all():
            assert season.first_resolved.setdefault(notice_id, resolved_at) == resolved_at, (day, notice_id)

    run_days(FIRST, LAST, before=before, after=observe)
    season.replayed = daily.run_daily(LAST, at(LAST) + dt.timedelta(hours=5))
    observe(LAST)
    session.close()
    return season


@pytest.fixture(scope="module")
def season(template_db, tmp_path_factory) -> Iterator[Season]:
    """Run the season once in a database of its own (the per-test database is for other tests)."""
    folder = tmp_path_factory.mktemp("season")
    path = folder / "hcpay.db"
    source, target = sqlite3.connect(template_db), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(("HCPAY_", "SMTP_")) or name == "DATABASE_URL":
                env.delenv(name)
        env.setenv("HCPAY_ENV", "test")
        env.setenv("HCPAY_BCRYPT_COST", "4")
        env.setenv("HCPAY_SECRETS_FILE", str(folder / "secrets.json"))
        env.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        clock.reset()
        try:
            yield _simulate(url)
        finally:
            get_settings.cache_clear()


@pytest.fixture
def db(season: Season) -> Iterator[Session]:
    with Session(engine_for(season.url)) as session:
        yield session


def path_of(link: str) -> str:
    return urllib.parse.urlsplit(link).path


def test_every_notice_of_every_kind_links_to_the_page_that_acts_on_it(db, season):
    rows = db.exec(select(Notification).order_by(Notification.id)).all()
    assert rows and all(n.link for n in rows)
    assert all(notices.action_for(n.kind, n.link) for n in rows)
    pages: dict[str, set[str]] = {}
    for n in rows:
        pages.setdefault(n.kind, set()).add(path_of(n.link))
    assert pages == {
        NoticeKind.AUTOPAY_CHANGE: {routes.AUTOPAY},
        NoticeKind.AUTOPAY_NOTICE: {routes.AUTOPAY},
        NoticeKind.AUTOPAY_CHARGED: {routes.PAYMENT},
        NoticeKind.AUTOPAY_FAILED: {routes.AUTOPAY},
        NoticeKind.CARD_EXPIRING: {routes.SETTINGS},
        NoticeKind.PAYMENT_REMINDER: {routes.PAY},
        NoticeKind.PAST_DUE: {routes.PAY},
        NoticeKind.PAST_DUE_WARNING: {routes.PAY},
        NoticeKind.LATE_FEE: {routes.PAY},
        NoticeKind.TERMINATION_WARNING: {routes.PAY},
        NoticeKind.TERMINATED: {routes.SUPPORT},
        NoticeKind.PLAN_CREATED: {routes.PAYMENT_PLAN},
        NoticeKind.PLAN_COMPLETED: {routes.HISTORY},
        NoticeKind.PLAN_ENDED: {routes.PAY},
        NoticeKind.PAYMENT_RECEIPT: {routes.PAYMENT},
        NoticeKind.PAYMENT_SETTLED: {routes.PAYMENT},
        NoticeKind.PAYMENT_RETURNED: {routes.PAY},
        NoticeKind.TICKET_REPLY: {routes.SUPPORT},
        NoticeKind.PAYMENT_CANCELED_BY_SUPPORT: {routes.PAYMENT},
    }
    owners = {m.user_id: m.account_id for m in season.members.values()}
    for n in rows:
        # A link to a payment names a payment on the member's own account.
        if path_of(n.link) == routes.PAYMENT:
            reference = urllib.parse.parse_qs(urllib.parse.urlsplit(n.link).query)["reference"][0]
            payment = db.exec(select(Payment).where(Payment.reference == reference)).one()
            assert payment.billing_account_id == owners[n.user_id], n.kind
        # Every notice about a bill names it, and it is the member's own bill.
        assert (n.invoice_id is not None) == (n.kind in BILL_KINDS), n.kind
        if n.invoice_id is not None:
            assert db.get(Invoice, n.invoice_id).billing_account_id == owners[n.user_id]


def test_over_the_season_a_notice_is_resolved_exactly_when_its_bill_is_paid(db, season):
    paid = paid_notices.paid_invoices(db, [m.account_id for m in season.members.values()])
    about = db.exec(select(Notification).where(Notification.invoice_id.is_not(None))).all()
    assert any(n.resolved_at for n in about) and any(not n.resolved_at for n in about)
    for n in about:
        assert (n.resolved_at is not None) == (n.invoice_id in paid), (n.kind, n.invoice_id)
        if n.resolved_at is not None:
            assert n.read_at is not None and season.first_resolved[n.id] == n.resolved_at
    names = {m.user_id: name for name, m in season.members.items()}
    still_open = {names[n.user_id] for n in about if n.resolved_at is None}
    assert "autopay" not in still_open and "manual" not in still_open
    assert "never" in still_open
    # The unread count leaves resolved notices out.
    for member in season.members.values():
        mine = db.exec(select(Notification).where(Notification.user_id == member.user_id)).all()
        assert notices.unread_count(db, member.who) == sum(
            1 for n in mine if n.read_at is None and n.resolved_at is None
        )


def test_a_second_run_for_the_last_day_resolves_nothing_more(season):
    assert season.replayed is not None and season.replayed.resolved == 0


def test_the_words_a_member_reads_are_plain(db, season):
    rows = db.exec(select(Notification)).all()
    text = " ".join(f"{n.title} {n.body}" for n in rows).casefold()
    for jargon in ("delinquen", "nacha", "mandate", "dunning", "idempotenc"):
        assert jargon not in text, jargon
