"""The daily job: everything that happens on a date, idempotent — running it twice for the same
date changes nothing the second time, and two copies at once charge nothing twice."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator

from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.services.billing import credits, delinquency, invoicing, paid_notices, reminders
from hcpay_app.services.jobs import (
    autopay_runs,
    money_back,
    plan_installments,
    purge,
    scheduled_charges,
    settlement,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass
class DailySummary:
    date: dt.date
    invoices: int = 0
    scheduled_charged: int = 0
    settled: int = 0
    returned: int = 0
    reconciled: int = 0
    autopay_charged: int = 0
    autopay_failed: int = 0
    autopay_unanswered: int = 0
    plan_charged: int = 0
    plans_ended: int = 0
    reminders: int = 0
    notices: int = 0
    fees: int = 0
    status_changes: int = 0
    resolved: int = 0
    purged: int = 0
    disputes: int = 0
    disputes_closed: int = 0
    refunds: int = 0
    credits_applied: int = 0

    def line(self) -> str:
        charges = self.scheduled_charged + self.autopay_charged + self.plan_charged
        return (
            f"daily job {self.date}: invoices={self.invoices} charges={charges} "
            f"(scheduled={self.scheduled_charged} autopay={self.autopay_charged} plan={self.plan_charged}) "
            f"failures={self.autopay_failed} unanswered={self.autopay_unanswered} "
            f"settled={self.settled} returned={self.returned} "
            f"reminders={self.reminders} notices={self.notices} fees={self.fees} "
            f"status_changes={self.status_changes} plans_ended={self.plans_ended} reconciled={self.reconciled} "
            f"resolved={self.resolved} purged={self.purged} disputes={self.disputes} "
            f"disputes_closed={self.disputes_closed} refunds={self.refunds} credits_applied={self.credits_applied}"
        )


def issue_invoices(today: dt.date, now: dt.datetime) -> int:
    with session_scope() as session:
        return invoicing.issue_all(session, today=today, now=now)


def run_daily(
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    timings: dict[str, float] | None = None,
) -> DailySummary:
    """Run every duty of `today` (default: the portal's today) and log a one-line summary. The
    charges fan out on the task queue (`charge_queue`); `progress` hears how they go. `timings`,
    if given, gets each duty's seconds (by the names in `CHARGE_DUTIES` and `SET_BASED_DUTIES`)."""
    today = today or clock.today()
    now = now or clock.utcnow()
    summary = DailySummary(today)
    seconds = timings if timings is not None else {}

    @contextlib.contextmanager
    def duty(name: str) -> Iterator[Session]:
        started = time.perf_counter()
        with session_scope() as session:
            yield session
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    with duty("reconcile") as session:
        summary.reconciled = settlement.reconcile_processing(session, now=now, today=today)
    with duty("invoices") as session:
        summary.invoices = invoicing.issue_all(session, today=today, now=now)
    with duty("credits") as session:
        summary.credits_applied = credits.apply_to_new_bills(session, today=today, now=now)
    with duty("scheduled_charges") as session:
        summary.scheduled_charged = scheduled_charges.run_scheduled(session, today=today, now=now, progress=progress)
    with duty("settlement") as session:
        summary.settled, summary.returned = settlement.settle_bank_payments(session, today=today, now=now)
    with duty("money_back") as session:
        # Disputes reopen bills before autopay, reminders and late fees look at them.
        summary.disputes, summary.disputes_closed, summary.refunds = money_back.run(session, today=today, now=now)
    with duty("autopay_charges") as session:
        tally = autopay_runs.run_due(session, today=today, now=now, progress=progress)
        summary.autopay_charged, summary.autopay_failed = tally.charged, tally.failed
        summary.autopay_unanswered = tally.unanswered
    with duty("plan_installments") as session:
        summary.plan_charged, summary.plans_ended = plan_installments.process(
            session, today=today, now=now, progress=progress
        )
    with duty("autopay_notices") as session:
        summary.notices += autopay_runs.send_notices(session, today=today, now=now)
    with duty("reminders") as session:
        summary.reminders = reminders.send_due(session, today=today, now=now)
    with duty("late_fees") as session:
        summary.fees = delinquency.assess_late_fees(session, today=today, now=now)
    with duty("coverage") as session:
        moved = delinquency.move_coverage(session, today=today, now=now)
        summary.status_changes, summary.notices = moved.status_changes, summary.notices + moved.notices
    with duty("paid_notices") as session:
        # Notices about bills paid today in ways no payment announced (a credit, a fee waiver), or
        # missed: resolved now. Card payments and cleared debits resolve theirs as they arrive.
        summary.resolved = paid_notices.resolve_all(session, now=now)
    with duty("purge") as session:
        summary.purged = purge.purge(session, today=today).total
    log.info(summary.line())
    return summary


# The duties that charge (one processor call each, on the task queue), and the set-based rest.
CHARGE_DUTIES = ("scheduled_charges", "autopay_charges", "plan_installments")
SET_BASED_DUTIES = (
    "reconcile",
    "invoices",
    "credits",
    "settlement",
    "money_back",
    "autopay_notices",
    "reminders",
    "late_fees",
    "coverage",
    "paid_notices",
    "purge",
)


def _done_key(day: dt.date) -> str:
    return f"daily-job:{day.isoformat()}"


def last_completed(session) -> dt.date | None:
    from hcpay_app.models import OnceMarker

    keys = session.exec(
        select(OnceMarker.key).where(OnceMarker.key.like("daily-job:%")).order_by(OnceMarker.key.desc()).limit(1)
    ).all()
    return dt.date.fromisoformat(keys[0].split(":", 1)[1]) if keys else None


def catch_up(today: dt.date | None = None, *, max_days: int = 31) -> list[DailySummary]:
    """Run the job for every date since the last completed run, up to today (after downtime the
    missed days' reminders, charges and notices still happen, in order)."""
    from hcpay_app.services.accounts import notices

    today = today or clock.today()
    with session_scope() as session:
        last = last_completed(session)
    start = max(last + dt.timedelta(days=1), today - dt.timedelta(days=max_days - 1)) if last else today
    summaries = []
    day = start
    while day <= today:
        summaries.append(run_daily(day, progress=log.info))
        with session_scope() as session:
            notices.run_once(session, _done_key(day), clock.utcnow(), lambda _s: None)
        day += dt.timedelta(days=1)
    return summaries
