"""Credit balances: an overpayment shows as a credit in the money summary and pays the next bills;
members ask for it back (a support ticket), staff approve or decline; and after coverage ends the
daily job refunds what is left, once, to the most recent settled payment method."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    LedgerEntry,
    NoticeKind,
    Notification,
    Refund,
    RefundStatus,
    SandboxCharge,
)
from hcpay_app.services.billing import ledger, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.jobs import daily, money_back
from tests.unit.money_back_helpers import CREDIT, TODAY, assert_balanced, at, overpaid
from tests.unit.payment_helpers import emails

AFTER = TODAY + dt.timedelta(days=30)  # HCPAY_AUTO_REFUND_AFTER_DAYS


def terminate(session, account: BillingAccount, on: dt.date) -> None:
    account = session.get(BillingAccount, account.id)
    account.coverage_status, account.terminated_on = CoverageStatus.TERMINATED, on
    session.add(account)
    session.commit()


def test_an_overpayment_shows_as_a_credit_in_the_money_summary(session, registered_user):
    _who, account, _payment = overpaid(session, registered_user)
    money = summary.for_account(session, account, TODAY)
    assert money.credit_cents == CREDIT and money.owed_cents == 0
    assert "$100.00" in billing_templates.summary_text(money)
    assert_balanced(session, account)


def test_auto_refund_after_termination_happens_once_when_the_job_runs_twice(session, registered_user):
    _who, account, payment = overpaid(session, registered_user)
    terminate(session, account, TODAY)
    assert money_back.refund_terminated_credits(session, today=AFTER - dt.timedelta(days=1), now=at(AFTER)) == 0

    first = daily.run_daily(AFTER, at(AFTER))
    second = daily.run_daily(AFTER, at(AFTER))

    assert (first.refunds, second.refunds) == (1, 0)
    session.expire_all()
    refund = session.exec(select(Refund)).one()
    assert refund.status == RefundStatus.REFUNDED and refund.amount_cents == CREDIT
    assert refund.payment_id == payment.id and refund.staff_user_id is None
    assert "coverage ended" in refund.reason
    assert summary.for_account(session, account, AFTER).credit_cents == 0
    assert ledger.balance(session, account.id) == 0
    processor_refunds = session.exec(
        select(func.count()).select_from(SandboxCharge).where(SandboxCharge.processor_ref.startswith("re_"))
    ).one()
    assert processor_refunds == 1
    mail = emails(session, NoticeKind.REFUND_ISSUED)
    assert len(mail) == 1 and "$100.00" in mail[0].body
    assert session.exec(select(Notification).where(Notification.kind == NoticeKind.REFUND_ISSUED)).one()
    assert_balanced(session, account)


def test_auto_refund_spreads_over_the_most_recent_payments(session, registered_user):
    who, account, first = overpaid(session, registered_user, extra=0)
    from tests.unit.payment_helpers import card, submit

    submit(session, who, card(), 3000)
    submit(session, who, card(), 2000)
    terminate(session, account, TODAY)
    assert money_back.refund_terminated_credits(session, today=AFTER, now=at(AFTER)) == 2
    session.expire_all()
    amounts = sorted(r.amount_cents for r in session.exec(select(Refund)).all())
    assert amounts == [2000, 3000]
    assert session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)).all()
    assert_balanced(session, account)


def test_no_auto_refund_while_coverage_is_active(session, registered_user):
    _who, account, _payment = overpaid(session, registered_user)
    assert money_back.refund_terminated_credits(session, today=AFTER + dt.timedelta(days=90), now=at(AFTER)) == 0
    assert session.exec(select(func.count()).select_from(Refund)).one() == 0


@pytest.mark.parametrize("days", ["0", "45"])
def test_the_waiting_days_are_a_setting(session, registered_user, monkeypatch, days):
    from hcpay_app.config import get_settings

    monkeypatch.setenv("HCPAY_AUTO_REFUND_AFTER_DAYS", days)
    get_settings.cache_clear()
    _who, account, _payment = overpaid(session, registered_user)
    terminate(session, account, TODAY)
    day = TODAY + dt.timedelta(days=int(days))
    assert money_back.refund_terminated_credits(session, today=day - dt.timedelta(days=1), now=at(day)) == 0
    assert money_back.refund_terminated_credits(session, today=day, now=at(day)) == 1


# --- Members ask, staff decide -------------------------------------------------------------


def test_a_member_asks_for_the_credit_back_and_staff_approve(session, registered_user, now):
    from hcpay_app.models import RefundRequest, SupportTicket, TicketMessage
    from hcpay_app.services.support import refund_desk, refund_requests, tickets
    from tests.unit.support_helpers import make_staff

    who, account, payment = overpaid(session, registered_user)
    state = refund_requests.credit_refund_state(session, who, TODAY)
    assert state.can_request and state.credit == "$100.00"

    number = refund_requests.request_credit_refund(session, who, now=at(TODAY), today=TODAY)

    ticket = session.exec(select(SupportTicket).where(SupportTicket.ticket_number == number)).one()
    assert ticket.topic == "refund_request"
    assert tickets.ticket_view(session, ticket).topic == "Refund of my credit"
    request = session.exec(select(RefundRequest)).one()
    assert (request.ticket_id, request.amount_cents, request.status) == (ticket.id, CREDIT, "requested")
    waiting = refund_requests.credit_refund_state(session, who, TODAY)
    assert not waiting.can_request and waiting.ticket_number == number
    with pytest.raises(Exception, match="already asked"):
        refund_requests.request_credit_refund(session, who, now=at(TODAY), today=TODAY)

    staff = make_staff(session, now)
    queue = refund_desk.refund_requests(session, staff.user_id, today=TODAY)
    assert [q.ticket_number for q in queue] == [number] and queue[0].amount == "$100.00"
    done = refund_desk.approve_refund_request(session, staff.user_id, request_id=request.id, now=at(TODAY), today=TODAY)

    assert [r.status for r in done] == ["refunded"] and done[0].amount_cents == CREDIT
    assert done[0].payment_reference == payment.reference
    session.expire_all()
    assert summary.for_account(session, account, TODAY).credit_cents == 0
    after = refund_requests.credit_refund_state(session, who, TODAY)
    assert after.status == "approved" and not after.can_request
    replies = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()
    assert replies[-1].from_support and done[0].reference in replies[-1].body
    assert len(emails(session, NoticeKind.REFUND_ISSUED)) == 1
    with pytest.raises(Exception, match="already decided"):
        refund_desk.approve_refund_request(session, staff.user_id, request_id=request.id, now=at(TODAY), today=TODAY)
    assert session.exec(select(func.count()).select_from(Refund)).one() == 1
    assert_balanced(session, account)


def test_staff_decline_a_refund_request_with_a_reason(session, registered_user, now):
    from hcpay_app.models import RefundRequest
    from hcpay_app.services.support import refund_desk, refund_requests
    from tests.unit.support_helpers import make_staff

    who, account, _payment = overpaid(session, registered_user)
    refund_requests.request_credit_refund(session, who, now=at(TODAY), today=TODAY)
    request = session.exec(select(RefundRequest)).one()
    staff = make_staff(session, now)

    refund_desk.decline_refund_request(
        session, staff.user_id, request_id=request.id, reason="Your April bill is due soon.", now=at(TODAY)
    )

    outcome = refund_requests.credit_refund_state(session, who, TODAY)
    assert outcome.status == "declined" and outcome.decision_reason == "Your April bill is due soon."
    assert outcome.can_request  # they may ask again
    declined = emails(session, NoticeKind.REFUND_DECLINED)
    assert len(declined) == 1 and "April bill is due soon" in declined[0].body
    assert session.exec(select(func.count()).select_from(Refund)).one() == 0
    assert summary.for_account(session, account, TODAY).credit_cents == CREDIT


def test_members_never_reach_the_staff_desk_and_need_a_credit_to_ask(session, registered_user, now):
    from hcpay_app.services.common.errors import NotAllowed, ValidationError
    from hcpay_app.services.support import refund_desk, refund_requests
    from tests.unit.payment_helpers import billed_actor

    who, _account = billed_actor(session, registered_user)
    with pytest.raises(ValidationError, match="no credit"):
        refund_requests.request_credit_refund(session, who, now=at(TODAY), today=TODAY)
    for call in (
        lambda: refund_desk.refund_requests(session, who.user_id),
        lambda: refund_desk.recent_refunds(session, who.user_id),
        lambda: refund_desk.recent_disputes(session, who.user_id),
        lambda: refund_desk.approve_refund_request(session, who.user_id, request_id=1, now=at(TODAY), today=TODAY),
        lambda: refund_desk.decline_refund_request(
            session, who.user_id, request_id=1, reason="no no no", now=at(TODAY)
        ),
        lambda: refund_desk.refundable_payments(session, who.user_id, who.member_id),
    ):
        with pytest.raises(NotAllowed):
            call()


def test_a_credit_pays_the_next_bill_and_each_application_is_recorded_once(session, registered_user):
    from hcpay_app.services.billing import bills
    from hcpay_app.services.payments import history

    who, account, _payment = overpaid(session, registered_user, extra=60000)
    premium = account.monthly_premium_cents
    may_issued = dt.date(2026, 4, 1)

    first = daily.run_daily(may_issued, at(may_issued))
    again = daily.run_daily(may_issued, at(may_issued))

    assert (first.credits_applied, again.credits_applied) == (1, 0)
    session.expire_all()
    pair = session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.CREDIT_APPLIED)).all()
    assert sorted(e.amount_cents for e in pair) == [-premium, premium]  # the balance never moves
    money = summary.for_account(session, account, may_issued)
    assert money.credit_cents == 60000 - premium and money.owed_cents == 0
    may = bills.bill_view(session, who, "2026-05", may_issued)
    assert may.status_label == "Paid"
    rows = history.page(session, who, today=may_issued).rows
    applied = [r for r in rows if r.title == "Credit applied"]
    assert len(applied) == 1 and "applied to the May 2026 bill" in applied[0].detail
    assert_balanced(session, account)


def test_no_credit_no_application(session, registered_user):
    _who, _account, _payment = overpaid(session, registered_user, extra=0)
    assert daily.run_daily(dt.date(2026, 4, 1), at(dt.date(2026, 4, 1))).credits_applied == 0
