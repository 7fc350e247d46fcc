"""One truthful money summary: past due now, due next, not yet due, processing and credit kept
apart; a bank debit on its way is shown as processing, never as money received; "all paid up" only
when nothing is owed and coverage isn't waiting on a first payment; and the dashboard, Make a
Payment, guest pay and the payment emails show the same figures for the same account."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from hcpay_app.models import BillingAccount, CoverageStatus, OutboundEmail
from hcpay_app.services.billing import summary, templates
from hcpay_app.services.jobs import daily
from hcpay_app.services.overview import dashboard
from hcpay_app.services.payments import checkout, guest
from tests.unit.autopay_helpers import PREMIUM, enroll, roster_row
from tests.unit.payment_helpers import at, bank, card, submit

D = dt.date
MARCH = D(2026, 3, 1)
IMPORTED = D(2026, 3, 10)  # coverage from Mar 1: March's bill (due Mar 20) and April's (due Mar 23)


def money_of(session, member, today=IMPORTED) -> summary.MoneySummary:
    session.expire_all()
    return summary.for_account(session, session.get(BillingAccount, member.account_id), today)


def lines_of(session, member, today=IMPORTED) -> dict[str, tuple[str, str]]:
    return {line.key: (line.amount, line.detail) for line in templates.summary_lines(money_of(session, member, today))}


def new_member(session, n=0, start=MARCH):
    return enroll(session, roster_row(n, coverage_start=start), now=at(IMPORTED))


def test_a_new_member_owes_their_first_premium_and_is_not_all_paid_up(session):
    member = new_member(session)
    assert lines_of(session, member) == {
        "due_next": ("$512.50", "Due by Mar 20, 2026"),
        "later": ("$512.50", "Bills due after Mar 20, 2026"),
    }
    view = dashboard.view(session, member.who, IMPORTED)
    assert (view.amount_due, view.due_by, view.all_paid_up) == ("$512.50", "Mar 20, 2026", False)
    assert (view.coverage_text, view.coverage_tone) == ("Pending first payment", "orange")
    assert view.coverage_timeline == ["Pay your first premium to start your coverage on Mar 1, 2026."]


def test_a_bank_payment_is_processing_until_it_clears_and_then_coverage_starts(session):
    member = new_member(session)
    submit(session, member.who, bank(), PREMIUM, today=IMPORTED)  # Tue Mar 10: clears Thu Mar 12
    money_now = money_of(session, member)
    assert (money_now.processing_cents, money_now.clears_on) == (PREMIUM, D(2026, 3, 12))
    assert lines_of(session, member)["processing"] == ("$512.50", "Counts when it clears on Mar 12, 2026")
    # Not counted as received: March is still shown as owed (the debit could come back), with no credit.
    assert money_now.due_next_cents == PREMIUM and money_now.credit_cents == 0 and not money_now.all_paid_up
    view = dashboard.view(session, member.who, IMPORTED)
    assert view.coverage_text == "Your first payment is clearing"
    assert view.coverage_timeline[0] == "Your first payment should clear by Mar 12, 2026."
    # Make a Payment doesn't ask for March again while it clears.
    assert checkout.options(session, member.who, IMPORTED).amount_due_cents == view.amount_due_cents == 0
    assert session.get(BillingAccount, member.account_id).coverage_status == CoverageStatus.PENDING_FIRST_PAYMENT

    daily.run_daily(D(2026, 3, 12), at(D(2026, 3, 12)))
    cleared = dashboard.view(session, member.who, D(2026, 3, 12))
    assert cleared.coverage_text == "Active"
    assert session.get(BillingAccount, member.account_id).coverage_status == CoverageStatus.ACTIVE
    assert lines_of(session, member, D(2026, 3, 12)) == {"due_next": ("$512.50", "Due by Mar 23, 2026")}


def test_a_card_payment_starts_coverage_at_once(session):
    member = new_member(session)
    submit(session, member.who, card(), PREMIUM, today=IMPORTED)
    assert dashboard.view(session, member.who, IMPORTED).coverage_text == "Active"


def test_a_credit_is_said_plainly_and_only_then_all_paid_up(session):
    member = new_member(session)
    submit(session, member.who, card(), 2 * PREMIUM + 5000, today=IMPORTED)
    assert lines_of(session, member) == {
        "credit": ("$50.00", "You have a $50.00 credit; it pays your next bill"),
        "paid_up": ("", "Nothing is owed right now. Thank you!"),
    }
    view = dashboard.view(session, member.who, IMPORTED)
    assert (view.amount_due, view.has_amount_due, view.all_paid_up, view.credit) == ("$0.00", False, True, "$50.00")


def test_past_due_and_due_next_are_kept_apart(session):
    member = new_member(session, start=D(2026, 2, 1))  # February, March (due Mar 20) and April (Mar 23)
    submit(session, member.who, card(), PREMIUM, today=IMPORTED)  # pays February: coverage starts
    assert lines_of(session, member, D(2026, 3, 21)) == {
        "past_due": ("$512.50", "It was due Mar 20, 2026"),
        "due_next": ("$512.50", "Due by Mar 23, 2026"),
    }
    view = dashboard.view(session, member.who, D(2026, 3, 21))
    assert (view.past_due, view.past_due_since, view.amount_due) == ("$512.50", "Mar 20, 2026", "$1,025.00")
    assert view.coverage_text == "Payment due"


def test_coverage_starting_later_reads_active_from_that_date(session):
    member = new_member(session, start=D(2026, 4, 1))
    submit(session, member.who, card(), PREMIUM, today=IMPORTED)
    assert dashboard.view(session, member.who, IMPORTED).coverage_text == "Active from Apr 1, 2026"


def test_dashboard_make_a_payment_guest_pay_and_the_email_show_the_same_figures(session):
    member = new_member(session, start=D(2026, 2, 1))
    row = roster_row(0)
    day = D(2026, 3, 21)  # February past due, March past due, April due Mar 23
    submit(session, member.who, bank(), 10000, today=day, now=at(day))  # $100.00 on its way
    view = dashboard.view(session, member.who, day)
    offered = checkout.options(session, member.who, day)
    visitor = guest.verify(
        session,
        account_number=row.account_number,
        zip_code=row.zip_code,
        date_of_birth=row.date_of_birth.isoformat(),
        client_key="198.51.100.9",
        now=at(day),
        today=day,
    )
    expected = 3 * PREMIUM - 10000
    assert view.amount_due_cents == offered.amount_due_cents == visitor.amount_due_cents == expected
    assert view.amount_due == visitor.amount_due == "$1,437.50"
    email = session.exec(
        select(OutboundEmail).where(OutboundEmail.kind == "payment_pending").order_by(OutboundEmail.id.desc())
    ).first()
    for line in view.summary:
        assert f"{line.label}: {line.amount} — {line.detail}" in email.body
    assert "Processing: $100.00 — Counts when it clears on Mar 24, 2026" in email.body
