"""Bills at enrollment: a member imported from the roster owes, that same day, their first month
(the binder) and every month whose bill is due to exist — each bill dated the day it is issued and
due no sooner than HCPAY_MIN_DAYS_TO_PAY days later, so no late fee, notice or grace clock starts
before the member has had time to pay. The import and the daily job agree."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session, select

from hcpay_app.models import BillingAccount, CoverageStatus, EntryKind, Invoice, LedgerEntry, Notification
from hcpay_app.services.billing import invoicing, ledger
from hcpay_app.services.jobs import daily, roster
from tests.unit.autopay_helpers import enroll, late_fees, notices_of, roster_row, run_days
from tests.unit.payment_helpers import at

D = dt.date


def bills(session: Session, account_id: int) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(coverage month, issued on, due on) of every bill, by coverage month."""
    session.expire_all()
    rows = session.exec(
        select(Invoice).where(Invoice.billing_account_id == account_id).order_by(Invoice.coverage_month)
    ).all()
    return [(i.coverage_month, i.issued_on, i.due_on) for i in rows]


def import_on(session: Session, row: roster.RosterRow, day: dt.date) -> int:
    report = roster.ImportReport()
    roster.apply_rows(session, [row], report, at(day), day)
    assert report.errors == []
    return session.exec(select(BillingAccount.id).where(BillingAccount.account_number == row.account_number)).one()


@pytest.mark.parametrize(
    ("start", "imported", "expected"),
    [
        pytest.param(
            D(2026, 1, 1),
            D(2026, 3, 10),
            # January to March have begun and April's bill is due to exist (issued Mar 1): all today.
            [
                (D(2026, 1, 1), D(2026, 3, 10), D(2026, 3, 20)),
                (D(2026, 2, 1), D(2026, 3, 10), D(2026, 3, 20)),
                (D(2026, 3, 1), D(2026, 3, 10), D(2026, 3, 20)),
                (D(2026, 4, 1), D(2026, 3, 10), D(2026, 3, 23)),
            ],
            id="coverage-began-months-ago",
        ),
        pytest.param(
            D(2026, 3, 1),
            D(2026, 3, 10),
            [(D(2026, 3, 1), D(2026, 3, 10), D(2026, 3, 20)), (D(2026, 4, 1), D(2026, 3, 10), D(2026, 3, 23))],
            id="coverage-began-this-month",
        ),
        pytest.param(
            D(2026, 4, 1),
            D(2026, 3, 10),
            [(D(2026, 4, 1), D(2026, 3, 10), D(2026, 3, 23))],
            id="coverage-starts-next-month",
        ),
        pytest.param(
            D(2026, 6, 1),
            D(2026, 3, 10),
            # The binder comes at once, due on the calendar's date for June (May 23).
            [(D(2026, 6, 1), D(2026, 3, 10), D(2026, 5, 23))],
            id="coverage-starts-in-three-months",
        ),
        pytest.param(
            D(2026, 3, 1),
            D(2026, 3, 1),
            [(D(2026, 3, 1), D(2026, 3, 1), D(2026, 3, 11)), (D(2026, 4, 1), D(2026, 3, 1), D(2026, 3, 23))],
            id="imported-on-the-1st",
        ),
        pytest.param(
            D(2026, 3, 1),
            D(2026, 3, 23),
            # Imported on a due date: nothing is due that very day; ten days to pay.
            [(D(2026, 3, 1), D(2026, 3, 23), D(2026, 4, 2)), (D(2026, 4, 1), D(2026, 3, 23), D(2026, 4, 2))],
            id="imported-on-the-23rd",
        ),
    ],
)
def test_an_import_issues_what_the_member_owes_dated_today_and_due_in_time(session, start, imported, expected):
    account_id = import_on(session, roster_row(0, coverage_start=start), imported)
    assert bills(session, account_id) == expected
    for _month, issued_on, due_on in expected:
        assert issued_on == imported and due_on >= imported + dt.timedelta(days=10)
    # Each bill's premium is on the ledger, dated the day it was issued.
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.billing_account_id == account_id)).all()
    assert {(e.kind, e.effective_on) for e in entries} == {(EntryKind.PREMIUM, imported)}
    assert ledger.balance(session, account_id) == len(expected) * roster_row(0).monthly_premium_cents


def test_an_import_after_the_days_job_has_run_still_bills_that_day(session):
    daily.run_daily(D(2026, 3, 10), at(D(2026, 3, 10)))
    account_id = import_on(session, roster_row(0, coverage_start=D(2026, 3, 1)), D(2026, 3, 10))
    assert [m for m, _i, _d in bills(session, account_id)] == [D(2026, 3, 1), D(2026, 4, 1)]
    # The next runs issue nothing more until the next bill's calendar date.
    assert sum(s.invoices for s in run_days(D(2026, 3, 10), D(2026, 3, 31))) == 0
    assert bills(session, account_id)[-1] == (D(2026, 4, 1), D(2026, 3, 10), D(2026, 3, 23))
    daily.run_daily(D(2026, 4, 1), at(D(2026, 4, 1)))
    assert bills(session, account_id)[-1] == (D(2026, 5, 1), D(2026, 4, 1), D(2026, 4, 23))


def test_importing_twice_and_running_the_job_change_nothing(session):
    row = roster_row(0, coverage_start=D(2026, 1, 1))
    account_id = import_on(session, row, D(2026, 3, 10))
    first = bills(session, account_id)
    import_on(session, dataclasses.replace(row, first_name="Averie"), D(2026, 3, 10))
    assert daily.run_daily(D(2026, 3, 10), at(D(2026, 3, 10))).invoices == 0
    assert bills(session, account_id) == first
    assert len(session.exec(select(LedgerEntry).where(LedgerEntry.billing_account_id == account_id)).all()) == 4


def test_the_job_and_the_import_issue_the_same_bills(session):
    """An account the job finds without bills (written before this rule) gets exactly what the
    import would have issued."""
    by_import = import_on(session, roster_row(0, coverage_start=D(2026, 1, 1)), D(2026, 3, 10))
    member_of = session.get(BillingAccount, by_import).member_id
    bare = BillingAccount(
        account_number="700000001",
        member_id=member_of,
        plan_name="Silver Select PPO",
        monthly_premium_cents=51250,
        coverage_start=D(2026, 1, 1),
    )
    session.add(bare)
    session.commit()
    assert invoicing.issue_all(session, today=D(2026, 3, 10), now=at(D(2026, 3, 10))) == 4
    strip = [(m, i, d) for m, i, d in bills(session, bare.id)]
    assert strip == bills(session, by_import)


def test_the_job_issues_a_binder_for_coverage_starting_months_ahead(session, member):
    bare = BillingAccount(
        account_number="700000002",
        member_id=member.id,
        plan_name="Silver Select PPO",
        monthly_premium_cents=51250,
        coverage_start=D(2026, 9, 1),
    )
    session.add(bare)
    session.commit()
    invoicing.issue_all(session, today=D(2026, 3, 10), now=at(D(2026, 3, 10)))
    assert bills(session, bare.id) == [(D(2026, 9, 1), D(2026, 3, 10), D(2026, 8, 23))]


def test_no_late_fee_notice_or_grace_before_a_bill_falls_due(session):
    """Imported Mar 10 with coverage since January: nothing is past due before Mar 20, the late
    fee comes 15 days after that, and grace starts only once a due date has passed."""
    member = enroll(session, roster_row(0, coverage_start=D(2026, 1, 1)), now=at(D(2026, 3, 10)))
    seen: dict[dt.date, tuple[int, str, int]] = {}

    def observe(day: dt.date) -> None:
        account = session.get(BillingAccount, member.account_id)
        session.refresh(account)
        seen[day] = (
            len(late_fees(session, member.account_id)),
            account.coverage_status,
            len(notices_of(session, member.user_id, "past_due")),
        )

    run_days(D(2026, 3, 10), D(2026, 4, 6), after=observe)
    assert all(fees == 0 and notes == 0 for day, (fees, _s, notes) in seen.items() if day <= D(2026, 3, 20))
    assert seen[D(2026, 3, 20)][2] == 0 < seen[D(2026, 3, 21)][2]  # past due the day after the due date
    assert all(fees == 0 for day, (fees, _s, _n) in seen.items() if day < D(2026, 4, 4))  # Mar 20 + 15 days
    # A member who never paid their first premium never had coverage to put in grace.
    assert {status for _f, status, _n in seen.values()} == {CoverageStatus.PENDING_FIRST_PAYMENT}
    notes = session.exec(select(Notification).where(Notification.user_id == member.user_id)).all()
    assert all(n.created_at >= at(D(2026, 3, 10)) for n in notes)
