"""Money going back, on a phone (390×844, and 360×640): a member overpays by card and sees the
credit with "Request a refund" and asks; an agent sees the request on the support console and
refunds the overpayment there with a reason (review, then confirm); the member sees the refund in
history with its RF-… reference, gets the email, and the balance reads $0.00."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Member, NoticeKind, Payment, Refund
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import money
from hcpay_app.services.payments import refunds
from tests.e2e.harness import latest_email, log_in_as, make_staff, staff_log_in
from tests.support.bills import issue_as_scheduled

PHONES = {"390x844": {"width": 390, "height": 844}, "360x640": {"width": 360, "height": 640}}


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


@pytest.fixture
def owing_user(new_user):
    account = account_of(new_user)
    with session_scope() as session:
        issue_as_scheduled(session, session.get(BillingAccount, account.id), today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


def overpay_by_card(page: Page, user, extra_cents: int) -> str:
    account = account_of(user)
    with session_scope() as session:
        owed = ledger.balance(session, account.id)
    amount = owed + extra_cents
    log_in_as(page, user)
    page.get_by_role("link", name="Make a Payment").click()
    page.wait_for_url("**/pay")
    page.get_by_label("Another amount").check()
    page.get_by_label("Amount in dollars").fill(f"{amount // 100}.{amount % 100:02d}")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Credit or debit card").check()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ana O'Neill")
    page.get_by_label("Billing ZIP code").fill("02110")
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review your payment")).to_be_visible()
    page.get_by_role("button", name="Submit payment").click()
    expect(page.get_by_text("Save this number for your records.")).to_be_visible()
    with session_scope() as session:
        return session.exec(
            select(Payment.reference).where(Payment.billing_account_id == account.id).order_by(Payment.id.desc())
        ).first()


@pytest.mark.parametrize("phone", PHONES)
def test_a_member_overpays_sees_the_credit_and_the_refund(page: Page, owing_user, phone):
    page.set_viewport_size(PHONES[phone])
    reference = overpay_by_card(page, owing_user, 10000)

    page.goto("/dashboard")
    credit_line = page.locator("#summary-credit")
    expect(credit_line).to_contain_text("$100.00")
    expect(page.get_by_role("button", name="Request a refund")).to_be_visible()
    page.screenshot(path=f"/tmp/h18s-credit-{phone}.png", full_page=True)

    # The member asks; the request opens a support ticket.
    page.get_by_role("button", name="Request a refund").click()
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#refund-request-message")).to_contain_text("We received your refund request T-")
    expect(page.get_by_role("button", name="Request a refund")).to_have_count(0)

    # Staff, on the console in their own browser: the request waits in the queue; the agent opens
    # the member, refunds the overpayment with a reason, reads the review, confirms.
    desk = page.context.browser.new_context(viewport=PHONES[phone], base_url=page.url.split("/dashboard")[0])
    agent = desk.new_page()
    try:
        staff_log_in(agent, make_staff("rf"))
        requests = agent.get_by_role("list", name="Refund requests")
        expect(requests).to_contain_text("Asks for $100.00")
        agent.get_by_label("Search members or payments").fill(reference)
        agent.get_by_role("button", name="Search").click()
        expect(agent.locator("#console-member")).to_be_visible()
        refund = agent.locator("#console-refund")
        refund.get_by_label("Payment to refund").select_option(reference)
        refund.get_by_label("Refund amount").fill("100.00")
        refund.get_by_label("Reason").fill("Member overpaid by card")
        refund.get_by_role("button", name="Review refund").click()
        expect(refund).to_contain_text(f"Refund $100.00 of payment {reference}")
        agent.screenshot(path=f"/tmp/h18-console-refund-review-{phone}.png", full_page=True)
        refund.get_by_role("button", name="Confirm refund").click()
        expect(agent.get_by_text(re.compile(r"Refund RF-[0-9A-Z-]+ of \$100\.00: Refunded"))).to_be_visible()
        agent.screenshot(path=f"/tmp/h18-console-refunded-{phone}.png", full_page=True)
    finally:
        desk.close()
    with session_scope() as session:
        row = session.exec(select(Refund).order_by(Refund.id.desc())).first()
        done = refunds.view(session, row)
    assert done.status == "refunded" and done.payment_reference == reference

    page.goto("/history")
    expect(page.get_by_text(done.reference).first).to_be_visible()
    page.screenshot(path=f"/tmp/h18s-history-refund-{phone}.png", full_page=True)
    page.goto(f"/payment?reference={reference}")
    expect(page.locator("#payment-refunds")).to_contain_text(done.reference)
    email = latest_email(owing_user["email"], NoticeKind.REFUND_ISSUED)
    assert done.reference in email.body and "Member overpaid by card" in email.body
    page.goto("/dashboard")
    expect(page.locator("#amount-due")).to_have_text("$0.00")
    expect(page.locator("#summary-credit")).to_have_count(0)
    with session_scope() as session:
        assert ledger.balance(session, account_of(owing_user).id) == 0
    assert money.format_cents(0) == "$0.00"
    assert re.fullmatch(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", done.reference)
