"""The daily job's duties for automatic payments, plans, reminders and missed payments happen
exactly once: a second run for the same date changes nothing, and two jobs for the same date at
once charge every autopay once, add one late fee per invoice and one reminder per (invoice,
offset).

The scenario covers Mar 10 – Apr 25, 2026, when all of it happens: invoices (Apr 1), autopay
charges (Mar 18, Apr 18), retries (Mar 21, Mar 28), bank debits settled or returned, pre-debit
notices, reminders (the 16th and 21st), past-due notices (the 24th), late fees (Apr 7), grace,
termination warnings and terminations, and payment-plan installments (Mar 25, Apr 25).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.models import (
    AutopayMandate,
    AutopayRun,
    BillingAccount,
    Invoice,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
)
from hcpay_app.services.adapters.processor import get_processor
from hcpay_app.services.jobs import autopay_runs, daily, plan_installments
from hcpay_app.services.recurring import plans
from tests.support.together import run_together
from tests.unit.autopay_helpers import (
    CARDS,
    PREMIUM,
    Enrolled,
    at,
    days,
    enroll,
    late_fees,
    notices_of,
    pay_binder,
    payments_of,
    roster_row,
    row_counts,
    save_bank,
    save_card,
    turn_on,
)

FIRST, LAST = dt.date(2026, 3, 10), dt.date(2026, 4, 25)
PLAN_DAY = dt.date(2026, 3, 25)
D = dt.date


@dataclasses.dataclass
class Scenario:
    members: dict[str, Enrolled]
    plan_card_id: int

    def plan(self, session: Session, day: dt.date) -> None:
        plans.create(
            session,
            self.members["plan"].who,
            installments=2,
            method_id=self.plan_card_id,
            accepted=True,
            now=at(day),
            today=day,
        )


@pytest.fixture
def scenario(session) -> Scenario:
    names = ("monthly", "declining", "expired", "bank", "never", "plan")
    members = {name: enroll(session, roster_row(n)) for n, name in enumerate(names)}
    for member in members.values():
        pay_binder(session, member)
    turn_on(session, members["monthly"], save_card(session, members["monthly"]))
    turn_on(session, members["declining"], save_card(session, members["declining"], CARDS["card_declined"]))
    turn_on(session, members["expired"], save_card(session, members["expired"], CARDS["expired_card"]))
    turn_on(session, members["bank"], save_bank(session, members["bank"]))
    return Scenario(members, save_card(session, members["plan"]).id)


def fingerprint(session: Session) -> tuple:
    """Row counts plus every status the job moves."""
    session.expire_all()
    return (
        row_counts(session),
        sorted(
            session.exec(
                select(
                    BillingAccount.id,
                    BillingAccount.coverage_status,
                    BillingAccount.grace_ends_on,
                    BillingAccount.terminated_on,
                )
            ).all()
        ),
        sorted(session.exec(select(Payment.id, Payment.status)).all()),
        sorted(session.exec(select(AutopayMandate.id, AutopayMandate.status, AutopayMandate.next_charge_on)).all()),
        sorted(session.exec(select(AutopayRun.id, AutopayRun.status, AutopayRun.attempts)).all()),
        sorted(session.exec(select(PaymentPlan.id, PaymentPlan.status)).all()),
        sorted(session.exec(select(PlanInstallment.id, PlanInstallment.status)).all()),
    )


def nothing_done(summary: daily.DailySummary) -> bool:
    counts = dataclasses.asdict(summary)
    counts.pop("date")
    return set(counts.values()) == {0}


def on(moment: dt.datetime) -> dt.date:
    return clock.local_date(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def notice_days(session: Session, members: dict[str, Enrolled], kind: str) -> dict[str, list[dt.date]]:
    return {name: [on(n.created_at) for n in notices_of(session, m.user_id, kind)] for name, m in members.items()}


def check_done_once(session: Session, members: dict[str, Enrolled]) -> None:
    """What the window must have produced, once — however many jobs ran at once."""
    session.expire_all()
    autopay = {
        name: [(p.payment_date, p.amount_cents, p.status) for p in payments_of(session, m.account_id, "autopay")]
        for name, m in members.items()
    }
    assert autopay == {
        "monthly": [
            (D(2026, 3, 18), PREMIUM, PaymentStatus.SUCCEEDED),
            (D(2026, 4, 18), PREMIUM, PaymentStatus.SUCCEEDED),
        ],
        "declining": [
            (day, PREMIUM, PaymentStatus.DECLINED) for day in (D(2026, 3, 18), D(2026, 3, 21), D(2026, 3, 28))
        ],
        "expired": [(D(2026, 3, 18), PREMIUM, PaymentStatus.DECLINED)],
        "bank": [
            (D(2026, 3, 18), PREMIUM, PaymentStatus.SUCCEEDED),
            (D(2026, 4, 18), PREMIUM, PaymentStatus.SUCCEEDED),
        ],
        "never": [],
        "plan": [],
    }
    assert notice_days(session, members, "autopay_notice") == {
        "monthly": [D(2026, 3, 15), D(2026, 4, 15)],
        "declining": [D(2026, 3, 15)],
        "expired": [D(2026, 3, 15)],
        "bank": [D(2026, 3, 15), D(2026, 4, 15)],
        "never": [],
        "plan": [],
    }
    statuses = {name: session.get(BillingAccount, m.account_id).coverage_status for name, m in members.items()}
    assert statuses == {
        "monthly": "active",
        "declining": "terminated",
        "expired": "terminated",
        "bank": "active",
        "never": "terminated",
        "plan": "terminated",
    }
    processor = get_processor()
    keyed = session.exec(select(Payment).where(Payment.source.in_(["autopay", "plan"]))).all()
    for payment in keyed:
        assert processor.charges_for(payment.idempotency_key) == 1, payment.idempotency_key
    runs = session.exec(select(AutopayRun)).all()
    assert len({(r.mandate_id, r.period) for r in runs}) == len(runs)
    assert max(r.attempts for r in runs) <= 3
    # autopay-<mandate>-<period>-<attempt>: never more than one charge per attempt, 3 per period.
    per_period = collections.Counter(p.idempotency_key.rsplit("-", 1)[0] for p in keyed if p.source == "autopay")
    assert max(per_period.values()) <= 3
    plan_payments = [(p.payment_date, p.amount_cents) for p in payments_of(session, members["plan"].account_id, "plan")]
    assert plan_payments == [(PLAN_DAY, PREMIUM // 2), (D(2026, 4, 25), PREMIUM // 2)]
    # One late fee per invoice unpaid 15 days after its Mar 23 due date (not the one the plan covers).
    fees = {
        name: [
            (f.effective_on, f.amount_cents, session.get(Invoice, f.invoice_id).due_on)
            for f in late_fees(session, m.account_id)
        ]
        for name, m in members.items()
    }
    april = [(D(2026, 4, 7), get_settings().late_fee_cents, D(2026, 3, 23))]
    assert fees == {"monthly": [], "declining": april, "expired": april, "bank": [], "never": april, "plan": []}
    # Reminders once per (invoice, offset), only while Automatic Payments aren't on.
    both = [D(2026, 3, 16), D(2026, 3, 21), D(2026, 4, 16), D(2026, 4, 21)]
    assert notice_days(session, members, "payment_reminder") == {
        "monthly": [],
        "declining": [D(2026, 4, 16), D(2026, 4, 21)],
        "expired": [D(2026, 3, 21), D(2026, 4, 16), D(2026, 4, 21)],
        "bank": [],
        "never": both,
        "plan": both,
    }
    # Past-due notices the day after a missed due date, none once coverage has ended (Apr 23).
    past_due = notice_days(session, members, "past_due")
    assert past_due["never"] == [D(2026, 3, 24)]
    assert past_due["plan"] == [D(2026, 3, 24), D(2026, 4, 24)]
    assert notice_days(session, members, "termination_warning")["never"] == [D(2026, 4, 8)]
    assert notice_days(session, members, "autopay_failed")["declining"] == [
        D(2026, 3, 18),
        D(2026, 3, 21),
        D(2026, 3, 28),
    ]


def test_a_second_run_for_the_same_date_changes_nothing(session, scenario):
    for day in days(FIRST, LAST):
        if day == PLAN_DAY:
            scenario.plan(session, day)
        first = daily.run_daily(day, at(day))
        after_first = fingerprint(session)
        again = daily.run_daily(day, at(day))
        assert nothing_done(again), (day, again)
        assert fingerprint(session) == after_first, day
        later = daily.run_daily(day, at(day) + dt.timedelta(hours=5))  # a restart later that day
        assert nothing_done(later), (day, later)
        assert fingerprint(session) == after_first, day
        assert first.date == day
    check_done_once(session, scenario.members)
    # Notices guarded only by the status change they announce: once when the job runs alone.
    for kind in ("past_due_warning", "terminated", "plan_created", "plan_completed"):
        assert all(len(sent) <= 1 for sent in notice_days(session, scenario.members, kind).values()), kind


def test_two_jobs_for_the_same_date_at_once_do_everything_once(session, scenario):
    for day in days(FIRST, LAST):
        if day == PLAN_DAY:
            scenario.plan(session, day)
        errors = run_together(2, lambda day=day: daily.run_daily(day, at(day)))
        assert errors == [], (day, errors)
    check_done_once(session, scenario.members)
    # Notices that announce a status change: each change is claimed (a conditional UPDATE), so
    # two jobs at once send them once too.
    for kind in ("past_due_warning", "terminated", "plan_completed"):
        assert all(len(sent) <= 1 for sent in notice_days(session, scenario.members, kind).values()), kind


class _OtherJobFirst(Session):
    """A session that lets a second job run all of `autopay_runs.run_due` just after this one has
    listed the mandates due, and before it reads the first of them — the interleaving two jobs at
    once can produce."""

    def __init__(self, *args, other, **kwargs):
        super().__init__(*args, **kwargs)
        self._other = other

    def get(self, entity, ident, **kwargs):
        if entity is AutopayMandate and self._other is not None:
            other, self._other = self._other, None
            other()
        return super().get(entity, ident, **kwargs)


def test_a_job_that_loses_the_race_does_not_charge_next_months_autopay_today(session, scenario, db_url):
    from hcpay_app.db import engine_for

    day = D(2026, 3, 18)
    member = scenario.members["monthly"]

    def other_job() -> None:
        with Session(engine_for(db_url)) as other:
            autopay_runs.run_due(other, today=day, now=at(day))

    with _OtherJobFirst(engine_for(db_url), other=other_job) as late:
        autopay_runs.run_due(late, today=day, now=at(day))
    charged = [
        (p.payment_date, p.idempotency_key.rsplit("-", 2)[1])
        for p in payments_of(session, member.account_id, "autopay")
    ]
    assert charged == [(day, "202603")]
    session.expire_all()
    mandate = session.exec(select(AutopayMandate).where(AutopayMandate.billing_account_id == member.account_id)).one()
    assert mandate.next_charge_on == D(2026, 4, 18)


def test_a_job_that_loses_the_race_for_a_plan_installment_carries_on(session, scenario, db_url, monkeypatch):
    from hcpay_app.db import engine_for
    from hcpay_app.services.payments import records

    member = scenario.members["plan"]
    for day in days(FIRST, PLAN_DAY - dt.timedelta(days=1)):
        daily.run_daily(day, at(day))
    # The member sets up the plan; the first installment is due at once, charged by the job.
    plans.create(
        session,
        member.who,
        installments=2,
        method_id=scenario.plan_card_id,
        accepted=True,
        now=at(PLAN_DAY),
        today=PLAN_DAY,
    )
    real_create = records.create
    pending = {"other": True}

    def create_after_the_other_job(*args, **kwargs):
        if pending.pop("other", False):
            with Session(engine_for(db_url)) as other:
                plan_installments.process(other, today=PLAN_DAY, now=at(PLAN_DAY))
        return real_create(*args, **kwargs)

    monkeypatch.setattr(records, "create", create_after_the_other_job)
    with Session(engine_for(db_url)) as late:
        plan_installments.process(late, today=PLAN_DAY, now=at(PLAN_DAY))
    charged = payments_of(session, member.account_id, "plan")
    assert [(p.payment_date, p.amount_cents) for p in charged] == [(PLAN_DAY, PREMIUM // 2)]
    assert get_processor().charges_for(charged[0].idempotency_key) == 1
