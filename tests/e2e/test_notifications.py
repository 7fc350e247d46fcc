"""Notifications that stay current, on a phone: a member pays the bill their notices are about and
sees them resolved and the unread count drop; each notice's link opens the page that acts on it.

The app's clock runs from a fixed moment (the harness), and a bill is never due sooner than some
days after it is issued, so nothing is past due on the app's own date. The reminder duty of the
daily job is run here for the days around the due date (7 and 2 days before, and the day after),
as the job would on those days: the member then has two reminders and a past-due notice about their
first bill.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Invoice, Member
from hcpay_app.services.accounts import authn
from hcpay_app.services.adapters.processor import Token
from hcpay_app.services.billing import reminders
from hcpay_app.services.common import dates
from hcpay_app.services.jobs import roster
from hcpay_app.services.payments import checkout, methods
from hcpay_app.services.recurring import autopay
from hcpay_app.services.support import console, tickets
from tests.e2e.harness import TYPED_SECRETS, log_in_as, make_user
from tests.support import second_factor

CARD_OK = "4242424242424242"
RESOLVED = "Paid — no action needed"
_serial = itertools.count(1)


def member_starting_next_month() -> dict:
    """A roster member whose coverage starts on the 1st of next month: one bill (the binder)."""
    k = next(_serial)
    n = 5_000_000 + os.getpid() % 1000 * 100 + k
    ssn = f"7{k % 60 + 10:02d}{k % 99 + 1:02d}{os.getpid() % 9999 + 1:04d}"  # area 7xx, group and serial not 0
    TYPED_SECRETS["ssn"].add(ssn)
    identity = {
        "first_name": "Marisol",
        "last_name": f"Quiñones{chr(97 + k % 26)}",
        "date_of_birth": dt.date(1982, 6, 1 + k % 27),
        "ssn": ssn,
        "email": f"notices{n}@example.com",
        "member_number": f"9{n:011d}",
        "account_number": f"8{n:08d}",
    }
    row = roster.RosterRow(
        n,
        identity["member_number"],
        identity["first_name"],
        identity["last_name"],
        identity["date_of_birth"],
        identity["ssn"],
        identity["email"],
        "02110",
        identity["account_number"],
        "Silver Select PPO",
        45000,
        False,
        dates.add_months(dates.first_of_month(clock.today()), 1),
    )
    with session_scope() as session:
        report = roster.ImportReport()
        roster.apply_rows(session, [row], report, clock.utcnow())
        assert not report.errors, report.errors
    return identity


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=dt.UTC)


@pytest.fixture
def reminded_user():
    """A member with one bill, reminded 7 and 2 days before it is due and told the day after that
    it is past due (three unread notices about it)."""
    user = make_user(member_starting_next_month())
    account = account_of(user)
    with session_scope() as session:
        (bill,) = session.exec(select(Invoice).where(Invoice.billing_account_id == account.id)).all()
        for day in (bill.due_on - dt.timedelta(days=7), bill.due_on - dt.timedelta(days=2)):
            assert reminders.send_due(session, today=day, now=at(day)) >= 1
        after = bill.due_on + dt.timedelta(days=1)
        assert reminders.send_due(session, today=after, now=at(after)) >= 1
    return user


def the_bell(page: Page):
    return page.locator("#notifications-bell")


def notice_list(page: Page):
    return page.get_by_role("list", name="Notifications")


def pay_the_amount_due_by_card(page: Page) -> str:
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to pay?")).to_be_visible()
    page.get_by_label("Credit or debit card").check()
    page.get_by_label("Card number").fill(CARD_OK)
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Marisol Quiñones")
    page.get_by_label("Billing ZIP code").fill("02110")
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    page.get_by_role("button", name=re.compile("Submit payment")).click()
    reference = page.locator("#confirmation-reference")
    expect(reference).to_have_text(re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
    return reference.inner_text()


@pytest.mark.core
def test_paying_the_bill_resolves_its_notices_and_the_unread_count_drops(page: Page, reminded_user):
    log_in_as(page, reminded_user)
    expect(the_bell(page)).to_have_attribute("aria-label", "Notifications, 3 unread")
    the_bell(page).click()
    page.wait_for_url("**/notifications")
    items = notice_list(page).get_by_role("listitem")
    expect(items).to_have_count(3)
    past_due = items.filter(has_text="Your premium payment is past due")
    expect(past_due).to_have_count(1)
    expect(items.filter(has_text="Premium due in")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The past-due notice's link opens Make a Payment; pay what is due.
    past_due.get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")
    reference = pay_the_amount_due_by_card(page)

    # Back in the notifications center: the three notices are resolved and no longer counted; the
    # one unread notice is the new "Payment received", linked to the payment's status page.
    the_bell(page).click()
    page.wait_for_url("**/notifications")
    expect(the_bell(page)).to_have_attribute("aria-label", "Notifications, 1 unread")
    items = notice_list(page).get_by_role("listitem")
    expect(items).to_have_count(4)
    received = items.filter(has_text=f"Payment received — {reference}")
    expect(received.get_by_text("New", exact=True)).to_be_visible()
    resolved = items.filter(has_text=RESOLVED)
    expect(resolved).to_have_count(3)
    expect(resolved.filter(has_text="Your premium payment is past due")).to_have_count(1)
    expect(notice_list(page).get_by_role("link", name="Make a Payment")).to_have_count(0)
    expect(resolved.get_by_role("button", name="Mark as read")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_load_state("networkidle")
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []

    received.get_by_role("link", name=f"See payment {reference}").click()
    page.wait_for_url(re.compile(r"/payment\?reference="))
    expect(page.locator("#payment-reference")).to_have_text(reference)
    expect(page.locator("#payment-status")).to_have_text("Paid")


def test_each_notice_opens_the_page_that_acts_on_it(page: Page, reminded_user):
    """Automatic Payments turned on → Settings → Automatic Payments; support replied → My requests."""
    account = account_of(reminded_user)
    now = clock.utcnow()
    with session_scope() as session:
        _user_id, token = authn.login(
            session, username=reminded_user["username"], password=reminded_user["password"], ip="fixture", now=now
        )
        who = authn.resolve(session, token, now=now)
        choice = checkout.new_card(
            card_number=CARD_OK,
            expiry="12/30",
            cvc="123",
            name="Marisol Quiñones",
            billing_zip="02110",
            save=True,
            today=clock.today(),
        )
        token_of = Token(choice.token, choice.kind, choice.brand, choice.last4, choice.exp_month, choice.exp_year)
        method = methods.save(session, who, token_of, now=now)
        session.commit()
        autopay.activate(
            session,
            who,
            method_id=method.id,
            amount_rule="full",
            fixed_amount="",
            frequency="monthly",
            charge_day=autopay.default_charge_day(),
            accepted=True,
            now=now,
            today=clock.today(),
        )
        ticket = tickets.open_ticket(
            session, who, topic="billing_question", reference="", message="Is my first bill right?", now=now
        )
        username = f"staff{account.account_number}"
        password = "Quartz-Meadow-Lantern-58"
        staff_id = console.create_staff(
            session, username=username, email=f"{username}@connector.example", password=password, now=now
        )
        second_factor.enrol(session, staff_id, now=now)
        _staff_id, staff_token = second_factor.log_in(
            session, username=username, password=password, ip="fixture", now=now
        )
        staff = authn.resolve(session, staff_token, now=now)
        console.reply(session, staff, ticket_number=ticket.number, body="Yes, it is.", close=False, now=now)

    log_in_as(page, reminded_user)
    the_bell(page).click()
    page.wait_for_url("**/notifications")
    items = notice_list(page).get_by_role("listitem")
    items.filter(has_text="Automatic Payments turned on").get_by_role("link", name="Manage Automatic Payments").click()
    page.wait_for_url("**/settings/autopay")
    expect(page.get_by_role("heading", name="Automatic Payments", exact=True).first).to_be_visible()

    the_bell(page).click()
    page.wait_for_url("**/notifications")
    items = notice_list(page).get_by_role("listitem")
    items.filter(has_text=f"Support replied to {ticket.number}").get_by_role("link", name="See My requests").click()
    page.wait_for_url("**/support")
    expect(page.get_by_role("list", name="My requests")).to_contain_text(ticket.number)

    the_bell(page).click()
    page.wait_for_url("**/notifications")
    notice_list(page).get_by_role("listitem").filter(has_text="Your premium payment is past due").get_by_role(
        "link", name="Make a Payment"
    ).click()
    page.wait_for_url("**/pay")
    expect(page.get_by_role("heading", name="How much, and when?")).to_be_visible()
