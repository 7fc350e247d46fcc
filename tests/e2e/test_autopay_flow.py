"""Automatic Payments on a phone, issue 13: a card or bank account entered in the flow itself (saved
for later, the member stays in the flow with it chosen), a preview that counts a credit, a review
that restates every term, the pause date's rules before any error, and a pause that names the
skipped charge with a way to pay it by hand — at 390×844, and the new-bank path at 360×640."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member, PaymentMethod, PaymentStatus, User
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.common import dates
from hcpay_app.services.payments import records
from hcpay_app.services.recurring import autopay
from tests.e2e.harness import log_in_as
from tests.e2e.test_accessibility import serious
from tests.support.bills import issue_as_scheduled

SHOTS = "/tmp/autopay-e2e"


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


def saved_labels(identity) -> list[str]:
    with session_scope() as session:
        user = session.exec(select(User).where(User.username == identity["username"])).one()
        rows = session.exec(select(PaymentMethod).where(PaymentMethod.user_id == user.id)).all()
        return [f"{m.brand} ••••{m.last4}" for m in rows]


@pytest.fixture
def owing_user(new_user):
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(new_user).id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


def give_credit(identity, credit_cents: int) -> None:
    """Pay everything owed and `credit_cents` more (a cleared card payment)."""
    today, now = clock.today(), clock.utcnow()
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(identity).id)
        owed = ledger.account_position(session, account.id, today).amount_due_cents
        payment = records.create(
            session,
            account_id=account.id,
            amount_cents=owed + credit_cents,
            method_kind="card",
            method_label="Visa ••••4242",
            payment_date=today,
            status=PaymentStatus.SUCCEEDED,
            now=now,
        )
        ledger.post_payment(session, payment, effective_on=today, now=now)
        coverage.refresh_after_payment(session, account, today)
        session.commit()


def fill_card(page: Page) -> None:
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")


def first_charge_day() -> str:
    return dates.short_date(autopay.first_charge_on(autopay.default_charge_day(), clock.today()))


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.core
def test_a_new_card_entered_in_the_flow_is_saved_and_the_review_restates_every_term(page: Page, owing_user):
    log_in_as(page, owing_user)
    page.goto("/settings/autopay")
    expect(page.get_by_role("heading", name="Set up Automatic Payments")).to_be_visible()
    # No saved method: the flow itself asks for a card, with no detour to Settings.
    expect(page.get_by_label("A new card")).to_be_checked()
    expect(page.get_by_role("link", name="Add a card or bank account")).to_have_count(0)
    fill_card(page)
    page.screenshot(path=f"{SHOTS}-new-card.png", full_page=True)
    page.get_by_role("button", name="Review").click()

    expect(page.get_by_role("heading", name="Review Automatic Payments")).to_be_visible()
    expect(page.get_by_text("Visa ••••4242 was saved to your payment methods.")).to_be_visible()
    expect(page.locator("#review-method")).to_have_text("Visa ••••4242")
    expect(page.locator("#review-amount")).to_have_text("The full amount due each time")
    expect(page.locator("#review-frequency")).to_have_text("Monthly")
    expect(page.locator("#review-charge-day")).to_have_text(
        f"The {autopay.templates.ordinal(autopay.default_charge_day())} of every month"
    )
    expect(page.locator("#review-first-charge")).to_have_text(re.compile(rf"^{re.escape(first_charge_day())}: \$"))
    page.screenshot(path=f"{SHOTS}-review.png", full_page=True)
    assert saved_labels(owing_user) == ["Visa ••••4242"]

    # Back: still in the flow, the new card chosen.
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Visa ••••4242")).to_be_checked()
    expect(page.get_by_label("Card number")).to_have_count(0)
    page.get_by_role("button", name="Review").click()
    page.get_by_label("I accept this authorization").check()
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#autopay-state")).to_have_text("On")
    assert saved_labels(owing_user) == ["Visa ••••4242"]  # saved once
    page.goto("/settings")
    expect(page.get_by_role("list", name="Saved payment methods")).to_contain_text("Visa ••••4242")


def test_the_preview_counts_a_credit(page: Page, owing_user):
    with session_scope() as session:
        premium = session.get(BillingAccount, account_of(owing_user).id).monthly_premium_cents
    give_credit(owing_user, premium)  # a credit the size of the premium
    log_in_as(page, owing_user)
    page.goto("/settings/autopay")
    fill_card(page)
    page.get_by_role("button", name="Review").click()
    charges = page.get_by_role("list", name="Next three charges").get_by_role("listitem")
    expect(charges).to_have_count(3)
    expect(charges.first).to_contain_text("$0.00")
    expect(charges.first).to_contain_text("covered by your credit")
    expect(page.get_by_text(re.compile(r"Your \$450\.00 credit is used first"))).to_be_visible()
    expect(page.locator("#review-first-charge")).to_have_text(f"{first_charge_day()}: $0.00")
    page.screenshot(path=f"{SHOTS}-credit.png", full_page=True)
    assert serious(page) == []  # axe on the review


def test_the_pause_rules_show_first_and_a_pause_names_the_charge_to_pay_by_hand(page: Page, owing_user):
    log_in_as(page, owing_user)
    page.goto("/settings/autopay")
    fill_card(page)
    page.get_by_role("button", name="Review").click()
    page.get_by_label("I accept this authorization").check()
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#autopay-state")).to_have_text("On")

    # The rules are there before any error, and tied to the field.
    hint = page.locator("#paused_until-hint")
    expect(hint).to_contain_text("Choose the day Automatic Payments start again: from ")
    expect(page.get_by_label("Pause until")).to_have_attribute("aria-describedby", re.compile("paused_until-hint"))
    expect(page.locator("#paused_until-error")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}-pause-form.png", full_page=True)

    first = autopay.first_charge_on(autopay.default_charge_day(), clock.today())
    resume_on = dates.add_months(first, 1) - dt.timedelta(days=1)
    page.get_by_label("Pause until").fill(resume_on.isoformat())
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator("#autopay-state")).to_have_text("Paused")
    skipped = page.locator("#autopay-pay-by-hand")
    expect(skipped).to_contain_text(f"on {dates.short_date(first)}")
    expect(skipped).to_contain_text("You need to pay it yourself with Make a Payment")
    page.screenshot(path=f"{SHOTS}-paused.png", full_page=True)
    assert serious(page) == []  # axe on the paused set-up
    skipped.locator("xpath=..").get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")


def test_a_new_bank_account_in_the_flow_on_a_small_phone(page: Page, owing_user):
    page.set_viewport_size({"width": 360, "height": 640})
    log_in_as(page, owing_user)
    page.goto("/settings/autopay")
    page.get_by_label("A new bank account").check()
    page.get_by_label("Routing number").fill("110000000")
    page.get_by_label("Account number", exact=True).fill("000123456789")
    page.get_by_label("Confirm account number").fill("000123456789")
    page.get_by_label("Name on account").fill("Ana O'Neill")
    no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}-bank-360.png", full_page=True)
    page.get_by_role("button", name="Review").click()
    expect(page.locator("#review-method")).to_have_text("Checking ••••6789")
    no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}-review-360.png", full_page=True)
    assert saved_labels(owing_user) == ["Checking ••••6789"]
