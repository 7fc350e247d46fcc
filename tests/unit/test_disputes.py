"""Card disputes: the sandbox's dispute test cards are disputed days after the charge; the daily
job takes the payment back like a bank return (the bill reopens, the member is told, a dispute fee
when policy sets one), and the processor's outcome is applied once — won: the payment counts
again; lost: it stays taken back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from hcpay_app.config import get_settings
from hcpay_app.models import (
    Dispute,
    DisputeStatus,
    EntryKind,
    LedgerEntry,
    NoticeKind,
    Notification,
    Payment,
    PaymentStatus,
)
from hcpay_app.services.billing import ledger, summary
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.jobs import daily, money_back
from hcpay_app.services.payments import checkout, disputes, refunds
from hcpay_app.services.support import console, watchlist
from tests.unit.money_back_helpers import TODAY, assert_balanced, at
from tests.unit.payment_helpers import billed_actor, card, emails, submit
from tests.unit.support_helpers import make_staff

LOSES = "4000000000000259"
WINS = "4000000000002685"
OPENS = TODAY + dt.timedelta(days=7)  # HCPAY_DISPUTE_AFTER_DAYS
DECIDED = OPENS + dt.timedelta(days=30)  # HCPAY_DISPUTE_DECIDED_AFTER_DAYS


@pytest.fixture
def fee(monkeypatch):
    monkeypatch.setenv("HCPAY_DISPUTE_FEE_CENTS", "1500")
    get_settings.cache_clear()
    return 1500


def paid_with(session, registered_user, number):
    who, account = billed_actor(session, registered_user)
    owed = ledger.balance(session, account.id)
    result = submit(session, who, card(number), owed)
    session.expire_all()
    return account, session.exec(select(Payment).where(Payment.reference == result.reference)).one(), owed


def job(day: dt.date, session):
    result = money_back.run(session, today=day, now=at(day))
    session.expire_all()
    return result


def test_a_disputed_payment_is_taken_back_and_the_bill_reopens(session, registered_user, fee):
    account, payment, owed = paid_with(session, registered_user, LOSES)
    assert ledger.balance(session, account.id) == 0
    assert job(OPENS - dt.timedelta(days=1), session) == (0, 0, 0)  # not yet

    assert job(OPENS, session)[0] == 1

    assert session.get(Payment, payment.id).status == PaymentStatus.DISPUTED
    dispute = session.exec(select(Dispute)).one()
    assert dispute.status == DisputeStatus.OPEN and dispute.reference.startswith("DP-")
    assert (dispute.amount_cents, dispute.fee_cents) == (owed, fee)
    taken = session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DISPUTE)).one()
    assert taken.amount_cents == owed and taken.payment_id == payment.id
    charged = session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DISPUTE_FEE)).one()
    assert charged.amount_cents == fee and charged.invoice_id is not None
    assert ledger.balance(session, account.id) == owed + fee
    assert summary.for_account(session, account, OPENS).owed_cents == owed + fee  # the bills are open again
    mail = emails(session, NoticeKind.PAYMENT_DISPUTED)
    assert len(mail) == 1 and "disputed your payment" in mail[0].body and "pay the bill again" in mail[0].body
    assert session.exec(select(Notification).where(Notification.kind == NoticeKind.PAYMENT_DISPUTED)).one()
    # Received once, however often the job asks.
    assert job(OPENS, session)[0] == 0 and job(OPENS + dt.timedelta(days=1), session)[0] == 0
    assert session.exec(select(func.count()).select_from(Dispute)).one() == 1
    assert_balanced(session, account)


def test_a_dispute_lost_keeps_the_payment_taken_back_once(session, registered_user, fee):
    account, payment, owed = paid_with(session, registered_user, LOSES)
    job(OPENS, session)
    assert job(DECIDED - dt.timedelta(days=1), session)[1] == 0

    assert job(DECIDED, session)[1] == 1
    assert job(DECIDED, session)[1] == 0  # applied once

    dispute = session.exec(select(Dispute)).one()
    assert dispute.status == DisputeStatus.LOST and dispute.closed_on == DECIDED
    assert session.get(Payment, payment.id).status == PaymentStatus.DISPUTED
    assert ledger.balance(session, account.id) == owed + fee
    assert session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DISPUTE_WON)).all() == []
    closed = emails(session, NoticeKind.DISPUTE_CLOSED)
    assert len(closed) == 1 and "kept the money" in closed[0].body
    assert_balanced(session, account)


def test_a_dispute_won_counts_the_payment_again_once(session, registered_user, fee):
    account, payment, owed = paid_with(session, registered_user, WINS)
    job(OPENS, session)
    assert ledger.balance(session, account.id) == owed + fee

    assert job(DECIDED, session)[1] == 1
    assert job(DECIDED + dt.timedelta(days=1), session)[1] == 0

    assert session.exec(select(Dispute)).one().status == DisputeStatus.WON
    assert session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED
    back = session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DISPUTE_WON)).one()
    assert back.amount_cents == -owed
    assert ledger.balance(session, account.id) == 0  # the payment counts again and the fee is waived
    assert "counts toward your bills again" in emails(session, NoticeKind.DISPUTE_CLOSED)[0].body
    assert_balanced(session, account)


def test_no_dispute_fee_when_policy_sets_none(session, registered_user):
    account, _payment, owed = paid_with(session, registered_user, LOSES)
    job(OPENS, session)
    assert session.exec(select(Dispute)).one().fee_cents == 0
    assert session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DISPUTE_FEE)).all() == []
    assert ledger.balance(session, account.id) == owed


def test_a_disputed_payment_cannot_be_refunded(session, registered_user, now):
    _account, payment, _owed = paid_with(session, registered_user, LOSES)
    job(OPENS, session)
    staff = make_staff(session, now)
    with pytest.raises(ValidationError) as refused:
        refunds.refund_payment(
            session,
            staff.user_id,
            payment_reference=payment.reference,
            amount_cents=100,
            reason="Member asked",
            idempotency_key=checkout.new_idempotency_key(),
            now=at(OPENS),
            today=OPENS,
        )
    assert "disputed" in refused.value.errors["payment"]


def test_the_daily_job_receives_disputes(session, registered_user):
    account, payment, _owed = paid_with(session, registered_user, LOSES)
    summary_line = daily.run_daily(OPENS, at(OPENS))
    assert summary_line.disputes == 1 and "disputes=1" in summary_line.line()
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.DISPUTED
    assert disputes.view(session, session.exec(select(Dispute)).one()).status_label == "Dispute open"


def test_history_and_the_csv_show_the_dispute_with_its_reference(session, registered_user, fee):
    from hcpay_app.services.payments import documents, history
    from tests.unit.payment_helpers import actor_for

    account, payment, _owed = paid_with(session, registered_user, LOSES)
    job(OPENS, session)
    who = actor_for(session, registered_user)
    dispute = session.exec(select(Dispute)).one()
    rows = history.page(session, who, today=OPENS).rows
    taken = next(r for r in rows if r.title == "Payment disputed")
    assert taken.reference == dispute.reference
    paid_row = next(r for r in rows if r.reference == payment.reference)
    assert paid_row.status == "Disputed"
    assert dispute.reference in history.payment_detail(session, who, payment.reference).dispute
    _name, body = documents.history_csv(session, who, OPENS.isoformat(), OPENS.isoformat())
    text = body.decode("utf-8-sig")
    assert f"dispute,{dispute.reference}," in text and f"dispute_fee,{dispute.reference}," in text


def test_the_console_shows_the_dispute_in_its_table_and_flags_the_account(session, registered_user, fee):
    account, payment, _owed = paid_with(session, registered_user, LOSES)
    staff = make_staff(session, at(OPENS))
    assert console.member_tables(session, staff, account.member_id)["disputes"] == []
    job(OPENS, session)

    [row] = console.member_tables(session, staff, account.member_id)["disputes"]
    assert row["reference"] == payment.reference and row["_status"] == DisputeStatus.OPEN
    flags = watchlist.flags_for_accounts(session, [account.id], now=at(OPENS))[account.id]
    assert [flag.label for flag in flags] == ["Disputes"]
