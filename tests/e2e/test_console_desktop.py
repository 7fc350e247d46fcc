"""The support console an agent works in all day, on a desktop screen (1366×768) and on a phone
(390×844): staff log in with their second factor; the queue shows a ticket's age and member with
a flag for nine declined $1.00 guest attempts within two minutes; the member's payments table is
sorted by amount and filtered by status on the server; on the phone everything stacks and the page
never scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import (
    BillingAccount,
    Member,
    PaymentSource,
    SupportTicket,
    TicketMessage,
    User,
)
from hcpay_app.services.payments import records
from hcpay_app.services.support import tickets
from tests.e2e.harness import make_staff, make_user, staff_log_in

# The member's own payments: (dollars in cents, method kind, label, status).
PAYMENTS = [
    (45000, "card", "Visa ••••4242", "succeeded"),
    (102500, "bank", "Checking ••••6789", "succeeded"),
    (12000, "card", "Visa ••••4242", "declined"),
    (30000, "bank", "Checking ••••6789", "returned"),
    (45000, "bank", "Checking ••••6789", "pending"),
    (7500, "card", "Mastercard ••••4444", "succeeded"),
    (45000, "card", "Visa ••••4242", "succeeded"),
    (20000, "card", "Visa ••••4242", "declined"),
    (45000, "bank", "Checking ••••6789", "succeeded"),
    (99900, "card", "Visa ••••4242", "succeeded"),
    (15000, "bank", "Checking ••••6789", "scheduled"),
]
GUEST_DECLINES = 9


@pytest.fixture
def busy_member(new_member):
    """A member with 11 payments of their own, nine declined $1.00 guest attempts made within two
    minutes just now, and a request opened a little over three hours ago."""
    user = make_user(new_member)
    now, today = clock.utcnow(), clock.today()
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == user["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        user_id = session.exec(select(User.id).where(User.member_id == member.id)).one()
        for i, (cents, kind, label, status) in enumerate(PAYMENTS):
            # Past payments a month apart; the scheduled one is dated ahead, as members schedule
            # them (a past-dated scheduled row would be charged by any daily job run in this database).
            months = -2 if status == "scheduled" else len(PAYMENTS) - i
            payment = records.create(
                session,
                account_id=account.id,
                amount_cents=cents,
                method_kind=kind,
                method_label=label,
                payment_date=today - dt.timedelta(days=30 * months),
                status=status,
                now=now - dt.timedelta(days=30 * (len(PAYMENTS) - i)),
                user_id=user_id,
            )
            if status == "scheduled":  # as Make a Payment leaves it: a key and the method's token
                payment.idempotency_key = f"e2e-console-{payment.id}-{now.timestamp()}"
                payment.processor_token = f"sbx_bank_settle_console{payment.id}"
                session.add(payment)
        for i in range(GUEST_DECLINES):  # one every 13 seconds: 104 s from first to last
            records.create(
                session,
                account_id=account.id,
                amount_cents=100,
                method_kind="card",
                method_label=f"Visa ••••{1000 + i}",
                payment_date=today,
                status="declined",
                now=now - dt.timedelta(seconds=13 * (GUEST_DECLINES - 1 - i)),
                source=PaymentSource.GUEST,
            )
        opened = now - dt.timedelta(hours=3, minutes=5)
        ticket = SupportTicket(
            ticket_number=tickets.new_ticket_number(),
            user_id=user_id,
            billing_account_id=account.id,
            topic="payment_declined",
            created_at=opened,
            updated_at=opened,
        )
        session.add(ticket)
        session.flush()
        session.add(
            TicketMessage(
                ticket_id=ticket.id,
                author_user_id=user_id,
                body="Someone keeps trying cards on my account. Was I charged?",
                created_at=opened,
            )
        )
        session.commit()
        return {**user, "ticket": ticket.ticket_number, "name": f"{member.first_name} {member.last_name}"}


@pytest.fixture
def staff():
    return make_staff()


def cents_of(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


def no_sideways_scroll(page: Page) -> None:
    width, client = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= client, f"the page scrolls sideways: {width} > {client}"


@pytest.mark.core
@pytest.mark.parametrize("size", [(1366, 768), (390, 844), (360, 640)], ids=["desktop", "phone", "small-phone"])
def test_an_agent_works_the_queue_and_a_members_payments(page: Page, busy_member, staff, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    staff_log_in(page, staff)

    # The queue: the ticket with its age, its member (name and account) and the flag.
    queue = page.get_by_role("list", name="Open tickets")
    item = queue.get_by_role("listitem").filter(has_text=busy_member["ticket"])
    expect(item).to_contain_text("Opened 3 h ago")
    expect(item).to_contain_text(f"{busy_member['name']} · account {busy_member['account_number']}")
    expect(item).to_contain_text(f"Member — {busy_member['name']}")
    expect(item).to_contain_text("Many declines")
    expect(item.get_by_text("You", exact=True)).to_have_count(0)

    # The member panel: the flag in words.
    item.get_by_role("button", name=f"Open {busy_member['name']}").click()
    expect(page.locator("#console-member")).to_have_text(busy_member["name"])
    flags = page.get_by_role("list", name="Flags")
    expect(flags).to_contain_text(f"{GUEST_DECLINES} declined payments within 2 min ({GUEST_DECLINES} by guests)")

    # The payments table: newest first, then sorted by amount (largest first), then only declined.
    table = page.get_by_role("table", name="Payments")
    total = len(PAYMENTS) + GUEST_DECLINES
    expect(table.locator("tbody tr")).to_have_count(total)
    date_header = table.get_by_role("columnheader", name="Date")
    expect(date_header).to_have_attribute("aria-sort", "descending")
    table.get_by_role("button", name="Amount").click()
    amount_header = table.get_by_role("columnheader", name="Amount")
    expect(amount_header).to_have_attribute("aria-sort", "descending")
    expect(date_header).to_have_attribute("aria-sort", "none")
    amounts = [cents_of(t) for t in table.locator("tbody tr td:nth-of-type(3)").all_inner_texts()]
    assert amounts == sorted((p[0] for p in PAYMENTS), reverse=True) + [100] * GUEST_DECLINES
    table.get_by_role("button", name="Amount").click()
    expect(amount_header).to_have_attribute("aria-sort", "ascending")
    expect(table.locator("tbody tr").first.locator("td").nth(2)).to_have_text("$1.00")

    page.get_by_label("Payment status").select_option("declined")
    declined = 2 + GUEST_DECLINES
    expect(table.locator("tbody tr")).to_have_count(declined)
    expect(page.locator("#console-payments")).to_contain_text(f"Showing {declined} of {total}")
    assert set(table.locator("tbody tr td:nth-of-type(4)").all_inner_texts()) == {"Declined"}
    amounts = [cents_of(t) for t in table.locator("tbody tr td:nth-of-type(3)").all_inner_texts()]
    assert amounts == [100] * GUEST_DECLINES + [12000, 20000]  # still by amount, smallest first
    page.get_by_label("Payment method").select_option("bank")
    expect(table.locator("tbody tr")).to_have_count(0)
    expect(page.get_by_text("No payments match.")).to_be_visible()
    page.get_by_label("Payment status").select_option("")
    expect(table.locator("tbody tr")).to_have_count(sum(1 for p in PAYMENTS if p[1] == "bank"))

    # The refund and dispute slots.
    expect(page.get_by_role("table", name="Refunds")).to_be_attached()
    expect(page.get_by_text("No refunds yet.")).to_be_visible()
    expect(page.get_by_text("No disputes yet.")).to_be_visible()

    # The layout: side by side on a desktop, stacked on a phone; never sideways scrolling.
    queue_box = page.get_by_role("heading", name="Ticket queue").bounding_box()
    panel_box = page.locator("#console-member").bounding_box()
    if width >= 1024:
        assert panel_box["x"] > queue_box["x"] + 300 and abs(panel_box["y"] - queue_box["y"]) < 200
    else:
        assert panel_box["y"] > queue_box["y"] and abs(panel_box["x"] - queue_box["x"]) < 40
    no_sideways_scroll(page)
    region = page.get_by_role("region", name="Payments table")
    assert region.evaluate("(el) => el.scrollWidth <= el.clientWidth"), "the payments table scrolls sideways"
    page.get_by_label("Payment method").select_option("")
    page.screenshot(path=f"/tmp/h18c-console-{width}.png", full_page=True)
