"""Automatic Payments, notifications, reminders and payment plans on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import AutopayMandate, BillingAccount, Member, Payment
from hcpay_app.services.jobs import daily
from tests.e2e.harness import log_in_as
from tests.support.bills import issue_as_scheduled


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


@pytest.fixture
def owing_user(new_user):
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(new_user).id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


def add_card(page: Page) -> None:
    page.goto("/settings")
    page.get_by_role("button", name="Add a card").click()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")
    page.get_by_role("button", name="Save payment method").click()
    expect(page.get_by_role("list", name="Saved payment methods")).to_contain_text("Visa ••••4242")


def activate_autopay(page: Page) -> None:
    page.get_by_role("link", name="Automatic Payments").click()
    page.wait_for_url("**/settings/autopay")
    expect(page.get_by_role("heading", name="Set up Automatic Payments")).to_be_visible()
    page.get_by_label("Visa ••••4242").check()
    page.get_by_label("The full amount due (recommended)").check()
    page.get_by_label("Monthly").check()
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("list", name="Next three charges").get_by_role("listitem")).to_have_count(3)
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#accept-error")).to_contain_text("accept the authorization")
    page.get_by_label("I accept this authorization").check()
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#autopay-state")).to_have_text("On")


@pytest.mark.core
def test_autopay_charges_once_on_its_date_and_tells_the_member(page: Page, owing_user):
    log_in_as(page, owing_user)
    add_card(page)
    activate_autopay(page)
    with session_scope() as session:
        mandate = session.exec(
            select(AutopayMandate).where(AutopayMandate.billing_account_id == account_of(owing_user).id)
        ).one()
    charge_on = mandate.next_charge_on
    daily.run_daily(charge_on)
    daily.run_daily(charge_on)  # a second run for the same date charges nothing more
    with session_scope() as session:
        autopays = session.exec(
            select(Payment).where(Payment.billing_account_id == mandate.billing_account_id, Payment.source == "autopay")
        ).all()
    assert len(autopays) == 1
    page.goto("/history")
    expect(page.get_by_role("link", name=f"Payment {autopays[0].reference}")).to_be_visible()
    page.goto("/notifications")
    expect(page.get_by_role("list", name="Notifications")).to_contain_text("Automatic payment made")
    expect(page.get_by_role("list", name="Notifications")).to_contain_text("Automatic Payments turned on")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("New", exact=True)).to_have_count(0)
    page.goto("/dashboard")
    expect(page.locator("#autopay-status")).to_contain_text("On — next charge")


def test_autopay_pause_and_cancel(page: Page, owing_user):
    log_in_as(page, owing_user)
    add_card(page)
    activate_autopay(page)
    later = clock.today().replace(day=1)
    resume_on = (later.replace(month=later.month % 12 + 1, year=later.year + (later.month == 12))).isoformat()
    page.get_by_label("Pause until").fill(resume_on)
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator("#autopay-state")).to_have_text("Paused")
    page.get_by_role("button", name="Resume Automatic Payments").click()
    expect(page.locator("#autopay-state")).to_have_text("On")
    page.get_by_role("button", name="Cancel Automatic Payments").click()
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_text("Automatic Payments are canceled")).to_be_visible()
    with session_scope() as session:
        statuses = {
            m.status
            for m in session.exec(
                select(AutopayMandate).where(AutopayMandate.billing_account_id == account_of(owing_user).id)
            ).all()
        }
    assert statuses == {"canceled"}


def test_reminder_preferences_are_saved(page: Page, new_user):
    log_in_as(page, new_user)
    page.goto("/settings")
    expect(page.get_by_label("7 days")).to_be_checked()
    page.get_by_label("7 days").uncheck()
    page.get_by_label("14 days").check()
    page.get_by_label("In the portal's notifications").uncheck()
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_text("Reminder settings saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("14 days")).to_be_checked()
    expect(page.get_by_label("7 days")).not_to_be_checked()
    expect(page.get_by_label("In the portal's notifications")).not_to_be_checked()


def test_payment_plan_from_the_past_due_banner(page: Page, owing_user):
    log_in_as(page, owing_user)
    banner = page.get_by_role("alert").filter(has_text="Past due")
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="Set up a payment plan").click()
    page.wait_for_url("**/payment-plan")
    page.get_by_label("3", exact=True).check()
    page.get_by_label("I accept the plan terms").check()
    page.get_by_role("button", name="Set up payment plan").click()
    expect(page.get_by_role("list", name="Installments").get_by_role("listitem")).to_have_count(3)
    page.goto("/dashboard")
    expect(page.get_by_role("link", name="See your payment plan")).to_be_visible()
    expect(page.locator("#notifications-bell")).to_have_attribute(
        "aria-label", re.compile(r"Notifications, \d+ unread")
    )
