"""Self-service payment plans: what is offered (2–6 installments of at least the minimum), the split
that adds up exactly, setting one up, installments charged by the daily job on their dates, a
missed installment ending the plan, and coverage held while the plan is current."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    Invoice,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
)
from hcpay_app.services.billing import plan_standing
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.jobs import plan_installments
from hcpay_app.services.recurring import plans
from tests.unit.autopay_helpers import (
    PREMIUM,
    TODAY,
    at,
    emails_to,
    enroll,
    late_fees,
    notices_of,
    on_day,
    pay_binder,
    payments_of,
    roster_row,
    run_days,
    save_card,
)
from tests.unit.billing_helpers import pay
from tests.unit.payment_helpers import card, submit

D = dt.date
MISSED = D(2026, 3, 24)  # the day after April's Mar 23 due date
PLAN_DAY = D(2026, 3, 25)
ACTIVE, GRACE, TERMINATED = CoverageStatus.ACTIVE, CoverageStatus.IN_GRACE, CoverageStatus.TERMINATED


@pytest.fixture
def avery(session):
    """Coverage from Mar 1, March paid; April's $512.50, due Mar 23, missed."""
    member = enroll(session, roster_row(0))
    pay_binder(session, member)
    return member


def behind(session, member, day=PLAN_DAY):
    """Run the job up to `day` (the day the member sets up a plan, before that day's job)."""
    run_days(TODAY, day - dt.timedelta(days=1))
    assert status(session, member) == GRACE


def status(session, member) -> str:
    session.expire_all()
    return session.get(BillingAccount, member.account_id).coverage_status


def create(session, member, *, installments, method_id=None, accepted=True, day=PLAN_DAY):
    return plans.create(
        session, member.who, installments=installments, method_id=method_id, accepted=accepted, now=at(day), today=day
    )


def installments(session, member):
    session.expire_all()
    plan = session.exec(
        select(PaymentPlan).where(PaymentPlan.billing_account_id == member.account_id).order_by(PaymentPlan.id.desc())
    ).first()
    rows = session.exec(
        select(PlanInstallment).where(PlanInstallment.plan_id == plan.id).order_by(PlanInstallment.ordinal)
    ).all()
    return plan, [(r.due_on, r.amount_cents, r.status) for r in rows]


def notice_days(session, member, kind):
    return [on_day(n.created_at) for n in notices_of(session, member.user_id, kind)]


# ---- the offer and the split -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("past_due", "minimum", "choices"),
    [
        (PREMIUM, None, [2, 3, 4, 5, 6]),
        (12000, None, [2, 3, 4]),  # $30.00, $24.00 each for 4 and 5: 5 is below $25
        (5000, None, [2]),
        (4999, None, []),
        (0, None, []),
        (PREMIUM, "10000", [2, 3, 4, 5]),
    ],
)
def test_offer_is_limited_by_the_minimum_installment(session, avery, monkeypatch, past_due, minimum, choices):
    if minimum:
        monkeypatch.setenv("HCPAY_PLAN_MIN_INSTALLMENT_CENTS", minimum)
        get_settings.cache_clear()
    if past_due < PREMIUM:
        pay(session, session.get(BillingAccount, avery.account_id), PREMIUM - past_due, MISSED)
    offer = plans.offer(session, avery.who, MISSED)
    assert (offer.past_due_cents, offer.choices) == (past_due, choices)


def test_nothing_offered_before_the_due_date(session, avery):
    assert plans.offer(session, avery.who, D(2026, 3, 23)).choices == []


@settings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=10**9), count=st.integers(min_value=1, max_value=12))
def test_split_adds_up_exactly(total, count):
    parts = plans.split(total, count)
    assert len(parts) == count and sum(parts) == total
    assert max(parts) - min(parts) <= total % count < count
    assert min(parts) >= 0 and parts[0] == max(parts)


def test_schedule_is_monthly_from_today_and_keeps_month_ends():
    assert plans.schedule(10001, 3, D(2027, 1, 31)) == [
        (D(2027, 1, 31), 3335),
        (D(2027, 2, 28), 3333),
        (D(2027, 3, 31), 3333),
    ]


# ---- setting one up ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 7, "3", 3.0, None, True])
def test_only_an_offered_number_of_installments(session, avery, count):
    with pytest.raises(ValidationError) as refused:
        create(session, avery, installments=count, day=MISSED)
    assert set(refused.value.errors) == {"installments"}


@pytest.mark.parametrize("accepted", [False, None, "yes"])
def test_the_terms_must_be_accepted(session, avery, accepted):
    with pytest.raises(ValidationError) as refused:
        create(session, avery, installments=2, accepted=accepted, day=MISSED)
    assert set(refused.value.errors) == {"accept"}
    assert plans.current(session, avery.who) is None


def test_only_with_the_members_own_method(session, avery):
    other = enroll(session, roster_row(1))
    theirs = save_card(session, other)
    with pytest.raises(NotFound):
        create(session, avery, installments=2, method_id=theirs.id, day=MISSED)
    assert plans.current(session, avery.who) is None


def test_one_plan_at_a_time(session, avery):
    create(session, avery, installments=2, day=MISSED)
    assert plans.offer(session, avery.who, MISSED).choices == []
    with pytest.raises(ValidationError):
        create(session, avery, installments=2, day=MISSED)


def test_a_plan_is_confirmed_with_its_schedule(session, avery):
    view = create(session, avery, installments=3, method_id=save_card(session, avery).id, day=MISSED)
    assert (view.status, view.total) == ("active", "$512.50")
    assert [(i.ordinal, i.due, i.amount, i.status) for i in view.installments] == [
        (1, "Mar 24, 2026", "$170.84", "Due"),
        (2, "Apr 24, 2026", "$170.83", "Due"),
        (3, "May 24, 2026", "$170.83", "Due"),
    ]
    note = notices_of(session, avery.user_id, "plan_created")[0]
    assert "Mar 24, 2026: $170.84" in note.body and "We'll charge your chosen method on each date." in note.body
    assert [m.subject for m in emails_to(session, avery.email, "plan_created")] == ["Your payment plan is set up"]
    assert plans.current(session, avery.who) == view


# ---- the daily job ------------------------------------------------------------------------------------


def test_installments_are_charged_on_their_dates_and_hold_off_termination(session, avery):
    behind(session, avery)
    create(session, avery, installments=2, method_id=save_card(session, avery).id)
    run_days(PLAN_DAY, D(2026, 4, 24))
    plan, rows = installments(session, avery)
    assert rows == [(PLAN_DAY, PREMIUM // 2, "paid"), (D(2026, 4, 25), PREMIUM // 2, "due")]
    assert [(p.payment_date, p.amount_cents, p.status) for p in payments_of(session, avery.account_id, "plan")] == [
        (PLAN_DAY, PREMIUM // 2, PaymentStatus.SUCCEEDED)
    ]
    # Grace ended Apr 22; the current plan keeps coverage, and the April invoice it covers gets no fee.
    assert status(session, avery) == GRACE and notice_days(session, avery, "terminated") == []
    assert late_fees(session, avery.account_id) == []
    run_days(D(2026, 4, 25), D(2026, 4, 25))
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.COMPLETED and [r[2] for r in rows] == ["paid", "paid"]
    assert len(payments_of(session, avery.account_id, "plan")) == 2
    assert notice_days(session, avery, "plan_completed") == [D(2026, 4, 25)]
    run_days(D(2026, 4, 25), D(2026, 4, 25))  # again: nothing more charged
    assert len(payments_of(session, avery.account_id, "plan")) == 2


def test_a_missed_manual_installment_ends_the_plan_with_a_notice(session, avery):
    behind(session, avery)
    create(session, avery, installments=2)
    submit(session, avery.who, card(today=PLAN_DAY), PREMIUM // 2, today=PLAN_DAY, now=at(PLAN_DAY))
    run_days(PLAN_DAY, D(2026, 4, 25))
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.ACTIVE and [r[2] for r in rows] == ["paid", "due"]
    assert status(session, avery) == GRACE  # past the Apr 22 grace end, held by the plan
    run_days(D(2026, 4, 26), D(2026, 4, 26))  # the Apr 25 installment wasn't paid
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.ENDED and [r[2] for r in rows] == ["paid", "missed"]
    ended = notices_of(session, avery.user_id, "plan_ended")
    assert [on_day(n.created_at) for n in ended] == [D(2026, 4, 26)]
    assert "the remaining past-due balance is due now" in ended[0].body
    assert [m.subject for m in emails_to(session, avery.email, "plan_ended")] == ["Your payment plan has ended"]
    # Without the plan, the grace period that ended Apr 22 ends coverage.
    assert status(session, avery) == TERMINATED
    assert notice_days(session, avery, "terminated") == [D(2026, 4, 26)]


def test_missing_the_first_installment_ends_the_plan_the_next_day(session, avery):
    behind(session, avery)
    create(session, avery, installments=3)
    run_days(PLAN_DAY, D(2026, 3, 26))
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.ENDED and rows[0][2] == "missed"
    assert notice_days(session, avery, "plan_ended") == [D(2026, 3, 26)]
    assert status(session, avery) == GRACE  # the grace period itself runs to Apr 22


def test_paying_the_next_premium_does_not_complete_the_plan_early(session, avery):
    behind(session, avery)
    create(session, avery, installments=3, method_id=save_card(session, avery).id)
    run_days(PLAN_DAY, D(2026, 4, 22))
    may_due = D(2026, 4, 23)
    submit(session, avery.who, card(today=may_due), PREMIUM, today=may_due, now=at(may_due))  # May, on time
    run_days(may_due, D(2026, 4, 25))
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.ACTIVE
    assert [r[2] for r in rows] == ["paid", "paid", "due"]  # the second one charged Apr 25, as scheduled
    assert len(payments_of(session, avery.account_id, "plan")) == 2


def test_a_plan_does_not_shield_a_premium_it_does_not_cover(session, avery):
    behind(session, avery)
    create(session, avery, installments=6, method_id=save_card(session, avery).id)
    run_days(PLAN_DAY, D(2026, 5, 8))  # May's premium, due Apr 23, never paid
    may = session.exec(
        select(Invoice.id).where(Invoice.billing_account_id == avery.account_id, Invoice.due_on == D(2026, 4, 23))
    ).one()
    assert [f.invoice_id for f in late_fees(session, avery.account_id)] == [may]


def test_no_termination_warning_while_a_plan_holds_off_termination(session, avery):
    behind(session, avery)
    create(session, avery, installments=2, method_id=save_card(session, avery).id)
    run_days(PLAN_DAY, D(2026, 4, 9))
    assert notice_days(session, avery, "termination_warning") == []


def test_two_jobs_at_once_complete_a_plan_once(session, avery, db_url, monkeypatch):
    behind(session, avery)
    create(session, avery, installments=2)
    submit(session, avery.who, card(today=PLAN_DAY), PREMIUM, today=PLAN_DAY, now=at(PLAN_DAY))  # all of it, by hand
    both_read = threading.Barrier(2, timeout=10)
    real_standing_of = plan_standing.standing_of

    def standing_then_wait(*args, **kwargs):
        standing = real_standing_of(*args, **kwargs)
        both_read.wait()  # both jobs have read the plan as active
        return standing

    monkeypatch.setattr(plan_standing, "standing_of", standing_then_wait)
    errors = []

    def job() -> None:
        try:
            with Session(engine_for(db_url)) as own:
                plan_installments.process(own, today=PLAN_DAY, now=at(PLAN_DAY))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert installments(session, avery)[0].status == PlanStatus.COMPLETED
    assert notice_days(session, avery, "plan_completed") == [PLAN_DAY]


def test_two_jobs_at_once_end_a_plan_once(session, avery, db_url, monkeypatch):
    behind(session, avery)
    create(session, avery, installments=3)  # to be paid by hand; the first, due Mar 25, isn't
    day = D(2026, 3, 26)
    both_read = threading.Barrier(2, timeout=10)
    real_standing_of = plan_standing.standing_of

    def paid_since_then_wait(*args, **kwargs):
        paid = real_standing_of(*args, **kwargs)
        both_read.wait()
        return paid

    monkeypatch.setattr(plan_standing, "standing_of", paid_since_then_wait)
    errors, results = [], []

    def job() -> None:
        try:
            with Session(engine_for(db_url)) as own:
                results.append(plan_installments.process(own, today=day, now=at(day)))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [(0, 0), (0, 1)]  # only the job that ended it counts it
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.ENDED and [r[2] for r in rows] == ["missed", "due", "due"]
    assert notice_days(session, avery, "plan_ended") == [day]
    assert [m.subject for m in emails_to(session, avery.email, "plan_ended")] == ["Your payment plan has ended"]


def test_a_premium_paid_early_beside_the_plan_is_not_an_installment_and_owes_no_fee(session, avery):
    behind(session, avery)
    create(session, avery, installments=3, method_id=save_card(session, avery).id)
    early = D(2026, 4, 20)  # May's premium, due Apr 23, paid three days early
    run_days(PLAN_DAY, early - dt.timedelta(days=1))
    submit(session, avery.who, card(today=early), PREMIUM, today=early, now=at(early))
    run_days(early, D(2026, 5, 10))
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.ACTIVE and [r[2] for r in rows] == ["paid", "paid", "due"]
    assert len(payments_of(session, avery.account_id, "plan")) == 2
    # Oldest-first, the ledger puts that payment on April and leaves part of May open; the plan
    # knows May was paid beside it, so no late fee on May 8 (and none on April, which it covers).
    assert late_fees(session, avery.account_id) == []
    assert status(session, avery) == GRACE and notice_days(session, avery, "termination_warning") == []


def test_a_premium_missed_during_a_plan_has_its_own_deadline(session, avery):
    """The plan holds off termination for April (grace ended Apr 22), not for May: unpaid beside
    the plan, May's premium (due Apr 23) gets a Termination Warning 14 days before its own 30-day
    deadline and ends coverage after it, on the last day of April, which the plan pays."""
    behind(session, avery)
    create(session, avery, installments=3, method_id=save_card(session, avery).id)
    run_days(PLAN_DAY, D(2026, 5, 23))
    assert notice_days(session, avery, "termination_warning") == [D(2026, 5, 9)]
    warning = notices_of(session, avery.user_id, "termination_warning")[0]
    fee = get_settings().late_fee_cents
    assert f"${(PREMIUM + fee) // 100:,}.{(PREMIUM + fee) % 100:02d} by May 23, 2026" in warning.body
    assert status(session, avery) == GRACE
    run_days(D(2026, 5, 24), D(2026, 5, 25))
    session.expire_all()
    account = session.get(BillingAccount, avery.account_id)
    assert (account.coverage_status, account.terminated_on) == (TERMINATED, D(2026, 4, 30))
    assert notice_days(session, avery, "terminated") == [D(2026, 5, 24)]
    # The plan pays for April, coverage the member had: it goes on and completes.
    plan, rows = installments(session, avery)
    assert plan.status == PlanStatus.COMPLETED and [r[2] for r in rows] == ["paid", "paid", "paid"]
