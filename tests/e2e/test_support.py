"""Help and support on a phone: contact support about a payment, a support agent answers from the
console (finding the payment by reference and waiving a fee, all audited), and guest payment."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import (
    AuditEvent,
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    Member,
)
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.payments import records
from hcpay_app.services.support import console
from tests.e2e.harness import log_in_as
from tests.support import second_factor
from tests.support.bills import issue_as_scheduled

STAFF_PASSWORD = "Harbor-Quartz-Lantern-91"


def account_of(identity) -> BillingAccount:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        return session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()


@pytest.fixture
def paid_member(new_user):
    """A member with invoices, one card payment and a late fee."""
    with session_scope() as session:
        account = session.get(BillingAccount, account_of(new_user).id)
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        payment = records.create(
            session,
            account_id=account.id,
            amount_cents=45000,
            method_kind="card",
            method_label="Visa ••••4242",
            payment_date=clock.today(),
            status="succeeded",
            now=clock.utcnow(),
        )
        ledger.post_payment(session, payment, effective_on=clock.today(), now=clock.utcnow())
        invoice = session.exec(select(Invoice).where(Invoice.billing_account_id == account.id)).first()
        ledger.post(
            session,
            account_id=account.id,
            kind=EntryKind.LATE_FEE,
            amount_cents=2500,
            effective_on=clock.today(),
            now=clock.utcnow(),
            invoice_id=invoice.id,
            description="Late fee",
        )
        coverage.refresh_after_payment(session, account, clock.today())
        session.commit()
        return {**new_user, "reference": payment.reference, "account_number": account.account_number}


@pytest.fixture
def staff():
    name = f"agent{clock.utcnow().microsecond}"
    with session_scope() as session:
        staff_id = console.create_staff(
            session, username=name, email=f"{name}@hcpay.example", password=STAFF_PASSWORD, now=clock.utcnow()
        )
        second_factor.enrol(session, staff_id, now=clock.utcnow())
    return {"username": name, "password": STAFF_PASSWORD, "id": staff_id}


def staff_code(staff) -> str:
    with session_scope() as session:
        return second_factor.next_code(session, staff["id"], now=clock.utcnow())


@pytest.mark.core
def test_member_and_support_agent_resolve_a_request(page: Page, browser, paid_member, staff):
    # The member asks about a payment.
    log_in_as(page, paid_member)
    page.goto("/help")
    page.get_by_role("link", name="Contact support").click()
    page.get_by_label("What is it about?").select_option("payment_not_showing")
    page.get_by_label("Payment reference number (optional)").fill(paid_member["reference"])
    page.get_by_label("Your message").fill("My payment doesn't show on my bill yet. Can you check?")
    page.get_by_role("button", name="Send to support").click()
    confirmation = page.get_by_text(re.compile(r"Your request number is T-[0-9A-Z]{8}"))
    expect(confirmation).to_be_visible()
    ticket = re.search(r"T-[0-9A-Z]{8}", confirmation.inner_text()).group(0)
    expect(page.get_by_role("list", name="My requests")).to_contain_text(ticket)

    # The agent logs in through the same page, lands in the console, finds the payment by reference.
    agent = browser.new_page(viewport={"width": 390, "height": 844}, base_url=page.url.split("/support")[0])
    agent.goto("/")
    agent.get_by_label("Username").fill(staff["username"])
    agent.get_by_label("Password").fill(staff["password"])
    agent.get_by_role("button", name="Log in").click()
    agent.get_by_label("Authenticator code").fill(staff_code(staff))
    agent.get_by_role("button", name="Verify code").click()
    agent.wait_for_url("**/console")
    agent.get_by_label("Search members or payments").fill(paid_member["reference"].lower())
    agent.get_by_role("button", name="Search").click()
    expect(agent.locator("#console-member")).to_contain_text("Ana-Lucía")
    expect(agent.get_by_role("table", name="Payments")).to_contain_text(paid_member["reference"])
    expect(agent.get_by_text(paid_member["ssn"])).to_have_count(0)

    fees = agent.get_by_role("list", name="Late fees")
    fees.get_by_label("Reason").fill("First late fee, goodwill waiver")
    fees.get_by_role("button", name="Waive fee").click()
    expect(agent.get_by_text("No late fees to waive.")).to_be_visible()

    member_tickets = agent.get_by_role("list", name="Member tickets")
    member_tickets.get_by_label(f"Reply to {ticket}").fill("Your payment posted today and the late fee is waived.")
    member_tickets.get_by_role("button", name="Send reply").click()
    expect(agent.get_by_role("list", name="Audit trail")).to_contain_text("fee_waived")
    expect(agent.get_by_role("list", name="Audit trail")).to_contain_text("ticket_replied")
    with session_scope() as session:
        actions = {
            e.action for e in session.exec(select(AuditEvent).where(AuditEvent.detail.contains("goodwill"))).all()
        }
        assert actions == {"fee_waived"}
        waivers = session.exec(
            select(LedgerEntry).where(
                LedgerEntry.kind == EntryKind.FEE_WAIVER, LedgerEntry.billing_account_id == account_of(paid_member).id
            )
        ).all()
        assert [w.amount_cents for w in waivers] == [-2500]
    agent.close()

    # The member sees the reply.
    page.goto("/support")
    expect(page.get_by_role("list", name="My requests")).to_contain_text("late fee is waived")
    expect(page.get_by_role("list", name="My requests")).to_contain_text("Answered")


def test_a_member_cannot_reach_the_console(page: Page, new_user):
    log_in_as(page, new_user)
    page.goto("/console")
    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name="Support console")).to_have_count(0)


def test_guest_payment_without_an_account(page: Page, paid_member):
    page.goto("/")
    page.get_by_role("link", name="Pay as a guest, without an account").click()
    page.get_by_label("Billing account number").fill(paid_member["account_number"])
    page.get_by_label("ZIP code").fill("02110")
    page.get_by_label("Date of birth").fill(paid_member["date_of_birth"].isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#guest-summary")).to_contain_text("A. O.")
    expect(page.locator("#guest-summary")).not_to_contain_text("Ana")
    page.get_by_label("Amount in dollars").fill("20.00")
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("12/30")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("A Friend")
    page.get_by_label("Billing ZIP code").fill("02110")
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Submit payment").click()
    expect(page.locator("#guest-reference")).to_have_text(re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
    expect(page.get_by_text("Status: Paid")).to_be_visible()


def test_guest_lookup_with_wrong_details_reveals_nothing(page: Page, paid_member):
    page.goto("/guest-pay")
    page.get_by_label("Billing account number").fill(paid_member["account_number"])
    page.get_by_label("ZIP code").fill("99999")
    page.get_by_label("Date of birth").fill(paid_member["date_of_birth"].isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").filter(has_text="couldn't find a billing account")).to_be_visible()
