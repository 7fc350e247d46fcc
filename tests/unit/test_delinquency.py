"""Missed payments: late fees (once per invoice, amount and delay from the settings), the grace
period and its notices, termination with the right end date, and paying the past-due balance
during grace to get Active back."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import Session

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import BillingAccount, CoverageStatus
from hcpay_app.services.billing import delinquency, ledger
from hcpay_app.services.jobs import daily
from hcpay_app.services.payments import checkout
from tests.unit.autopay_helpers import (
    BANKS,
    PREMIUM,
    TODAY,
    at,
    emails_to,
    enroll,
    late_fees,
    notices_of,
    on_day,
    pay_binder,
    roster_row,
    row_counts,
    run_days,
)
from tests.unit.payment_helpers import bank, card, submit

D = dt.date
DUE = D(2026, 3, 23)  # April's invoice
ACTIVE, GRACE, TERMINATED = CoverageStatus.ACTIVE, CoverageStatus.IN_GRACE, CoverageStatus.TERMINATED


def member_who_stops_paying(session, n: int = 0, *, subsidized: bool = False):
    """Coverage from Mar 1, March paid (Active); April's premium due Mar 23 is never paid."""
    member = enroll(session, roster_row(n, subsidized=subsidized))
    pay_binder(session, member)
    return member


@pytest.fixture
def avery(session):
    return member_who_stops_paying(session)


def state(session, member) -> tuple:
    session.expire_all()
    account = session.get(BillingAccount, member.account_id)
    return account.coverage_status, account.grace_ends_on, account.terminated_on


def days_of(session, member, kind) -> list[dt.date]:
    return [on_day(n.created_at) for n in notices_of(session, member.user_id, kind)]


def pay_past_due(session, member, day, amount=None):
    owed = checkout.options(session, member.who, day).past_due_cents if amount is None else amount
    return submit(session, member.who, card(today=day), owed, today=day, now=at(day))


# ---- late fees ---------------------------------------------------------------------------------------


def test_one_late_fee_per_invoice_unpaid_after_the_configured_days(session, avery, monkeypatch):
    monkeypatch.setenv("HCPAY_LATE_FEE_CENTS", "1999")
    monkeypatch.setenv("HCPAY_LATE_FEE_AFTER_DAYS", "10")
    get_settings.cache_clear()
    run_days(TODAY, D(2026, 4, 5))
    run_days(D(2026, 4, 2), D(2026, 4, 2))
    fees = late_fees(session, avery.account_id)
    assert [(f.effective_on, f.amount_cents) for f in fees] == [(D(2026, 4, 2), 1999)]
    assert fees[0].invoice_id == ledger.positions(session, avery.account_id, DUE)[1].invoice_id  # April's
    note = notices_of(session, avery.user_id, "late_fee")
    assert len(note) == 1 and "10 days past due" in note[0].body and "$19.99" in note[0].body
    assert len(emails_to(session, avery.email, "late_fee")) == 1
    assert ledger.balance(session, avery.account_id) == 2 * PREMIUM + 1999  # April and May, and the fee


def test_a_late_fee_is_caught_up_after_the_job_missed_its_day(session, avery):
    run_days(TODAY, D(2026, 4, 1))
    run_days(D(2026, 4, 11), D(2026, 4, 12))  # down Apr 2–10: the fee was due Apr 7
    assert [(f.effective_on, f.amount_cents) for f in late_fees(session, avery.account_id)] == [
        (D(2026, 4, 11), get_settings().late_fee_cents)
    ]


def test_no_late_fee_when_paid_before_the_deadline(session, avery):
    run_days(TODAY, D(2026, 4, 5))
    pay_past_due(session, avery, D(2026, 4, 6))
    run_days(D(2026, 4, 6), D(2026, 4, 10))
    assert late_fees(session, avery.account_id) == []


# ---- grace and termination ----------------------------------------------------------------------------


def test_unsubsidized_grace_ends_30_days_after_the_missed_due_date(session, avery):
    run_days(TODAY, D(2026, 3, 24))
    assert state(session, avery) == (GRACE, D(2026, 4, 22), None)
    warning = notices_of(session, avery.user_id, "past_due_warning")
    assert [w.title for w in warning] == ["Past Due Warning"]
    assert "Your new due date is Apr 22, 2026: pay $512.50 by then" in warning[0].body
    assert "delinquen" not in warning[0].body.lower()  # plain words, no jargon
    run_days(D(2026, 3, 25), D(2026, 4, 22))
    assert days_of(session, avery, "termination_warning") == [D(2026, 4, 8)]  # 14 days before
    assert state(session, avery)[0] == GRACE
    run_days(D(2026, 4, 23), D(2026, 4, 23))
    # Coverage ends on the last day of the last paid month: the day before April.
    assert state(session, avery) == (TERMINATED, D(2026, 4, 22), D(2026, 3, 31))
    ended = notices_of(session, avery.user_id, "terminated")
    assert len(ended) == 1 and "your coverage ended on Mar 31, 2026" in ended[0].body
    assert [m.subject for m in emails_to(session, avery.email, "terminated")] == ["Your coverage has ended"]


def test_subsidized_grace_lasts_three_months(session):
    member = member_who_stops_paying(session, subsidized=True)
    run_days(TODAY, D(2026, 3, 24))
    assert state(session, member) == (GRACE, D(2026, 6, 30), None)
    assert "3-month grace period" in notices_of(session, member.user_id, "past_due_warning")[0].body
    run_days(D(2026, 6, 15), D(2026, 7, 1))
    assert days_of(session, member, "termination_warning") == [D(2026, 6, 16)]
    # Coverage ends on the last day of the first unpaid month.
    assert state(session, member) == (TERMINATED, D(2026, 6, 30), D(2026, 4, 30))


@pytest.mark.parametrize(
    ("env", "subsidized", "grace_ends", "warned", "ends", "terminated_on"),
    [
        (
            {"HCPAY_UNSUBSIDIZED_GRACE_DAYS": "10", "HCPAY_TERMINATION_WARNING_DAYS": "5"},
            False,
            D(2026, 4, 2),
            D(2026, 3, 28),
            D(2026, 4, 3),
            D(2026, 3, 31),
        ),
        ({"HCPAY_SUBSIDIZED_GRACE_MONTHS": "1"}, True, D(2026, 4, 30), D(2026, 4, 16), D(2026, 5, 1), D(2026, 4, 30)),
    ],
)
def test_grace_policy_comes_from_the_settings(
    session, monkeypatch, env, subsidized, grace_ends, warned, ends, terminated_on
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    member = member_who_stops_paying(session, subsidized=subsidized)
    run_days(TODAY, D(2026, 3, 24))
    assert state(session, member) == (GRACE, grace_ends, None)
    run_days(warned - dt.timedelta(days=1), ends)
    assert days_of(session, member, "termination_warning") == [warned]
    assert state(session, member) == (TERMINATED, grace_ends, terminated_on)
    assert days_of(session, member, "terminated") == [ends]


# ---- curing during grace ------------------------------------------------------------------------------


def test_paying_the_past_due_balance_during_grace_restores_active(session, avery):
    run_days(TODAY, D(2026, 3, 30))
    assert state(session, avery)[0] == GRACE
    result = pay_past_due(session, avery, D(2026, 3, 31))
    assert result.status == "succeeded"
    assert state(session, avery) == (ACTIVE, None, None)  # at once, not at the next job
    run_days(D(2026, 3, 31), D(2026, 4, 22))
    assert state(session, avery) == (ACTIVE, None, None)
    assert days_of(session, avery, "termination_warning") == [] and late_fees(session, avery.account_id) == []


def test_the_late_fee_is_part_of_the_past_due_balance(session):
    member = member_who_stops_paying(session, subsidized=True)
    run_days(TODAY, D(2026, 4, 24))  # April and May missed, April's fee added Apr 7
    fee = get_settings().late_fee_cents
    assert checkout.options(session, member.who, D(2026, 4, 25)).past_due_cents == 2 * PREMIUM + fee
    pay_past_due(session, member, D(2026, 4, 25), 2 * PREMIUM)
    assert state(session, member)[0] == GRACE  # the fee is still past due
    pay_past_due(session, member, D(2026, 4, 25))
    assert state(session, member) == (ACTIVE, None, None)
    assert ledger.account_position(session, member.account_id, D(2026, 4, 25)).past_due_cents == 0
    run_days(D(2026, 4, 25), D(2026, 4, 26))
    assert state(session, member) == (ACTIVE, None, None)


def test_a_partial_payment_keeps_the_grace_period(session, avery):
    run_days(TODAY, D(2026, 3, 30))
    pay_past_due(session, avery, D(2026, 3, 31), PREMIUM - 100)
    assert state(session, avery) == (GRACE, D(2026, 4, 22), None)
    run_days(D(2026, 3, 31), D(2026, 4, 23))
    assert state(session, avery)[0] == TERMINATED


def test_a_bank_payment_restores_active_when_sent(session, avery):
    run_days(TODAY, D(2026, 3, 30))
    owed = checkout.options(session, avery.who, D(2026, 3, 31)).past_due_cents
    result = submit(session, avery.who, bank(), owed, today=D(2026, 3, 31), now=at(D(2026, 3, 31)))
    assert result.status == "pending" and state(session, avery)[0] == ACTIVE
    run_days(D(2026, 3, 31), D(2026, 4, 22))
    assert state(session, avery)[0] == ACTIVE


# ---- exactly once ----------------------------------------------------------------------------------------


def _returned_cure(session, member):
    """In grace since Mar 24 (grace ends Apr 22); the member pays by bank on Apr 20 — Active at
    once — and the bank returns it R01 on Apr 22; May's premium was due Apr 23."""
    run_days(TODAY, D(2026, 4, 19))
    day = D(2026, 4, 20)
    owed = checkout.options(session, member.who, day).past_due_cents
    submit(session, member.who, bank(BANKS["R01"]), owed, today=day, now=at(day))
    assert state(session, member)[0] == ACTIVE
    run_days(day, D(2026, 4, 23))


def test_a_second_run_changes_nothing_when_grace_starts_again(session, avery):
    _returned_cure(session, avery)
    day = D(2026, 4, 24)
    daily.run_daily(day, at(day))
    before = (row_counts(session), state(session, avery))
    again = daily.run_daily(day, at(day))
    assert (row_counts(session), state(session, avery)) == before
    assert again.status_changes == 0


def test_a_new_grace_period_never_ends_before_it_starts(session, avery):
    _returned_cure(session, avery)
    run_days(D(2026, 4, 24), D(2026, 4, 24))
    assert state(session, avery)[0] == GRACE
    assert state(session, avery)[1] > D(2026, 4, 24)


def test_two_jobs_at_once_send_one_past_due_warning(session, avery, db_url, monkeypatch):
    run_days(TODAY, DUE)
    day = D(2026, 3, 24)
    both_read = threading.Barrier(2, timeout=10)
    real_position = ledger.account_position

    def position_then_wait(*args, **kwargs):
        position = real_position(*args, **kwargs)
        both_read.wait()  # both jobs have read the account as Active
        return position

    monkeypatch.setattr(ledger, "account_position", position_then_wait)
    errors = []

    def job() -> None:
        try:
            with Session(engine_for(db_url)) as own:
                delinquency.move_coverage(own, today=day, now=at(day))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert state(session, avery)[0] == GRACE
    assert days_of(session, avery, "past_due_warning") == [day]


def _two_jobs_after_both_read(db_url, monkeypatch, day) -> tuple[list, list]:
    """Run move_coverage for `day` in two jobs at once, both reading every account before either
    writes. Returns (errors, tallies)."""
    both_read = threading.Barrier(2, timeout=10)
    real_position = ledger.account_position

    def position_then_wait(*args, **kwargs):
        position = real_position(*args, **kwargs)
        both_read.wait()
        return position

    monkeypatch.setattr(ledger, "account_position", position_then_wait)
    errors, tallies = [], []

    def job() -> None:
        try:
            with Session(engine_for(db_url)) as own:
                tallies.append(delinquency.move_coverage(own, today=day, now=at(day)))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors, tallies


def test_two_jobs_at_once_send_one_past_due_warning_and_the_loser_counts_nothing(session, avery, db_url, monkeypatch):
    run_days(TODAY, DUE)
    day = D(2026, 3, 24)
    errors, tallies = _two_jobs_after_both_read(db_url, monkeypatch, day)
    assert errors == []
    assert sorted((t.status_changes, t.notices) for t in tallies) == [(0, 0), (1, 1)]
    assert state(session, avery) == (GRACE, D(2026, 4, 22), None)
    assert [m.subject for m in emails_to(session, avery.email, "past_due_warning")] == ["Past Due Warning"]
    monkeypatch.undo()
    run_days(day, day)  # the job again: nothing more
    assert days_of(session, avery, "past_due_warning") == [day]


def test_two_jobs_at_once_terminate_once(session, avery, db_url, monkeypatch):
    run_days(TODAY, D(2026, 4, 22))
    day = D(2026, 4, 23)
    errors, tallies = _two_jobs_after_both_read(db_url, monkeypatch, day)
    assert errors == []
    assert sorted((t.status_changes, t.notices) for t in tallies) == [(0, 0), (1, 1)]
    assert state(session, avery) == (TERMINATED, D(2026, 4, 22), D(2026, 3, 31))
    assert days_of(session, avery, "terminated") == [day]
    assert [m.subject for m in emails_to(session, avery.email, "terminated")] == ["Your coverage has ended"]


def test_a_job_that_read_grace_before_the_member_paid_does_not_terminate(session, avery, db_url, monkeypatch):
    """The job reads the account in grace with a past-due balance; the member pays (Active at
    once) before the job writes: the job's claim from 'in grace' changes nothing."""
    run_days(TODAY, D(2026, 4, 22))
    day = D(2026, 4, 23)
    real_position = ledger.account_position
    paid = {"pending": True}

    def member_pays_meanwhile(own, account_id, today, **view):
        position = real_position(own, account_id, today, **view)
        if paid.pop("pending", False):
            with Session(engine_for(db_url)) as member_session:
                submit(member_session, avery.who, card(today=day), position.past_due_cents, today=day, now=at(day))
        return position

    monkeypatch.setattr(ledger, "account_position", member_pays_meanwhile)
    with Session(engine_for(db_url)) as job:
        tally = delinquency.move_coverage(job, today=day, now=at(day))
    assert (tally.status_changes, tally.notices) == (0, 0)
    assert state(session, avery) == (ACTIVE, None, None)
    assert days_of(session, avery, "terminated") == []
