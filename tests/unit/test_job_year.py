"""A year of the daily job, day by day, for ten members with different habits.

The job runs once for every date from Mar 10, 2026 to Mar 9, 2027, as the scheduler would. All
members are on the roster with coverage from Mar 1, 2026 (invoices issued on the 1st and due on
the 23rd of the month before) and paid their first month before the year starts, so all start
Active. What each one does:

- monthly:      Automatic Payments, full amount, monthly, good card
- quarterly:    Automatic Payments, full amount, quarterly, good card
- fixed:        Automatic Payments, a fixed $400.00 a month (less than the $512.50 premium)
- declining:    Automatic Payments on a card that saves fine and declines every charge (soft)
- expired:      Automatic Payments on the expired-card token (hard decline)
- r01:          Automatic Payments from a bank account that comes back R01
- plan:         misses April, sets up a 3-installment payment plan on Apr 1 charged to a card
- subsidized:   never pays again (3-month grace)
- unsubsidized: never pays again (30-day delinquency grace)
- manual:       pays the amount due by hand on every due date

The year is simulated once per module (about ten seconds); each test reads one member's story
from the resulting database. The late fee is set to $31.00 through HCPAY_LATE_FEE_CENTS to show
the job takes it from the settings.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    Invoice,
    LedgerEntry,
    Notification,
    OutboundEmail,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
    SandboxCharge,
)
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import dates
from hcpay_app.services.payments import checkout
from hcpay_app.services.recurring import autopay, plans
from tests.unit.autopay_helpers import (
    BANKS,
    CARDS,
    PREMIUM,
    Enrolled,
    at,
    days,
    enroll,
    late_fees,
    mandate_of,
    notices_of,
    pay_binder,
    payments_of,
    roster_row,
    run_days,
    runs_of,
    save_bank,
    save_card,
    turn_on,
)
from tests.unit.payment_helpers import submit

FIRST_DAY, LAST_DAY = dt.date(2026, 3, 10), dt.date(2027, 3, 9)
LATE_FEE = 3100
FIXED = 40000
MEMBERS = (
    "monthly",
    "quarterly",
    "fixed",
    "declining",
    "expired",
    "r01",
    "plan",
    "subsidized",
    "unsubsidized",
    "manual",
)
ACTIVE, GRACE, TERMINATED = CoverageStatus.ACTIVE, CoverageStatus.IN_GRACE, CoverageStatus.TERMINATED
D = dt.date


@dataclasses.dataclass
class Year:
    url: str
    members: dict[str, Enrolled]
    # name → [(first day, status, grace_ends_on, terminated_on)], one row per change
    history: dict[str, list[tuple[dt.date, str, dt.date | None, dt.date | None]]]
    previews: dict[str, tuple[list[autopay.ChargePreview], str, str]]
    summaries: list
    plan_offer: plans.PlanOffer | None = None


def _simulate(url: str) -> Year:
    session = Session(engine_for(url))
    members = {name: enroll(session, roster_row(n, subsidized=name == "subsidized")) for n, name in enumerate(MEMBERS)}
    for member in members.values():
        pay_binder(session, member)
    cards = {name: save_card(session, members[name]) for name in ("monthly", "quarterly", "fixed", "plan", "manual")}
    cards["declining"] = save_card(session, members["declining"], CARDS["card_declined"])
    cards["expired"] = save_card(session, members["expired"], CARDS["expired_card"])
    cards["r01"] = save_bank(session, members["r01"], BANKS["R01"])

    previews = {}
    setups = {
        "monthly": {},
        "quarterly": {"frequency": "quarterly"},
        "fixed": {"rule": "fixed", "fixed": "400.00"},
        "declining": {},
        "expired": {},
        "r01": {},
    }
    for name, options in setups.items():
        previews[name] = autopay.preview(
            session,
            members[name].who,
            method_id=cards[name].id,
            amount_rule=options.get("rule", "full"),
            fixed_amount=options.get("fixed", ""),
            frequency=options.get("frequency", "monthly"),
            charge_day=18,
            today=FIRST_DAY,
        )
        turn_on(session, members[name], cards[name], **options)

    year = Year(url, members, {name: [] for name in MEMBERS}, previews, [])

    def set_up_plan(day: dt.date) -> None:
        session.expire_all()
        year.plan_offer = plans.offer(session, members["plan"].who, day)
        plans.create(
            session,
            members["plan"].who,
            installments=3,
            method_id=cards["plan"].id,
            accepted=True,
            now=at(day),
            today=day,
        )

    def pay_by_hand(day: dt.date) -> None:
        session.expire_all()
        due = ledger.account_position(session, members["manual"].account_id, day).amount_due_cents
        choice = checkout.saved_method(session, members["manual"].who, cards["manual"].id)
        submit(session, members["manual"].who, choice, due, today=day, now=at(day))

    before = {D(2026, 4, 1): set_up_plan}
    before.update({day: pay_by_hand for day in days(FIRST_DAY, LAST_DAY) if day.day == 23})

    def observe(day: dt.date) -> None:
        session.expire_all()
        for name, member in members.items():
            account = session.get(BillingAccount, member.account_id)
            row = (day, account.coverage_status, account.grace_ends_on, account.terminated_on)
            if not year.history[name] or year.history[name][-1][1:] != row[1:]:
                year.history[name].append(row)

    year.summaries = run_days(FIRST_DAY, LAST_DAY, before=before, after=observe)
    session.close()
    return year


@pytest.fixture(scope="module")
def year(template_db, tmp_path_factory) -> Iterator[Year]:
    """Run the year once in a database of its own (the per-test database is for other tests)."""
    folder = tmp_path_factory.mktemp("year")
    path = folder / "hcpay.db"
    source, target = sqlite3.connect(template_db), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(("HCPAY_", "SMTP_")) or name == "DATABASE_URL":
                env.delenv(name)
        env.setenv("HCPAY_ENV", "test")
        env.setenv("HCPAY_BCRYPT_COST", "4")
        env.setenv("HCPAY_SECRETS_FILE", str(folder / "secrets.json"))
        env.setenv("DATABASE_URL", url)
        env.setenv("HCPAY_LATE_FEE_CENTS", str(LATE_FEE))
        get_settings.cache_clear()
        clock.reset()
        try:
            yield _simulate(url)
        finally:
            get_settings.cache_clear()


@pytest.fixture
def db(year: Year) -> Iterator[Session]:
    with Session(engine_for(year.url)) as session:
        yield session


# ---- readers over the year's database -----------------------------------------------------------


def on(moment: dt.datetime) -> dt.date:
    return clock.local_date(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def dated(db: Session, member: Enrolled, kind: str) -> list[dt.date]:
    """The days notices of `kind` reached the member's notifications center."""
    return [on(n.created_at) for n in notices_of(db, member.user_id, kind)]


def mails(db: Session, member: Enrolled, kind: str) -> list[OutboundEmail]:
    return list(
        db.exec(
            select(OutboundEmail)
            .where(OutboundEmail.to_address == member.email, OutboundEmail.kind == kind)
            .order_by(OutboundEmail.id)
        ).all()
    )


def monthly(first: dt.date, count: int, step: int = 1) -> list[dt.date]:
    return [dates.add_months(first, n * step) for n in range(count)]


def autopay_story(db: Session, member: Enrolled) -> list[tuple[dt.date, int, str]]:
    return [(p.payment_date, p.amount_cents, p.status) for p in payments_of(db, member.account_id, "autopay")]


def processor_charges(db: Session, key: str) -> int:
    return len(db.exec(select(SandboxCharge.id).where(SandboxCharge.idempotency_key == key)).all())


def reminder_days(db: Session, member: Enrolled) -> list[tuple[dt.date, str]]:
    return [(on(n.created_at), n.title) for n in notices_of(db, member.user_id, "payment_reminder")]


def expected_reminders(due_dates: list[dt.date]) -> list[tuple[dt.date, str]]:
    """Offsets 7 and 2, in date order."""
    return sorted(
        [(due - dt.timedelta(days=7), "Premium due in 7 days") for due in due_dates]
        + [(due - dt.timedelta(days=2), "Premium due in 2 days") for due in due_dates]
    )


def due_dates(db: Session, member: Enrolled, first: dt.date, last: dt.date) -> list[dt.date]:
    rows = db.exec(
        select(Invoice.due_on).where(Invoice.billing_account_id == member.account_id).order_by(Invoice.due_on)
    ).all()
    return [d for d in rows if first <= d <= last]


def fee_story(db: Session, member: Enrolled) -> list[tuple[dt.date, int, dt.date]]:
    """(day the fee was added, amount, due date of the invoice it was added to)."""
    rows = []
    for fee in late_fees(db, member.account_id):
        invoice = db.get(Invoice, fee.invoice_id)
        rows.append((fee.effective_on, fee.amount_cents, invoice.due_on))
    return rows


def delinquency_notices(db: Session, member: Enrolled) -> dict[str, list[dt.date]]:
    return {kind: dated(db, member, kind) for kind in ("past_due_warning", "termination_warning", "terminated")}


# ---- the members ---------------------------------------------------------------------------------


def test_monthly_full_autopay_charges_the_premium_once_every_month(year, db):
    member = year.members["monthly"]
    charge_days = monthly(D(2026, 3, 18), 12)
    assert autopay_story(db, member) == [(day, PREMIUM, PaymentStatus.SUCCEEDED) for day in charge_days]
    mandate = mandate_of(db, member.account_id)
    assert [(r.period, r.attempts, r.status) for r in runs_of(db, mandate.id)] == [
        (dates.first_of_month(day), 1, "paid") for day in charge_days
    ]
    for payment in payments_of(db, member.account_id, "autopay"):
        assert processor_charges(db, payment.idempotency_key) == 1
    assert (mandate.status, mandate.next_charge_on) == ("active", D(2027, 3, 18))
    # A pre-debit notice 3 days before each charge, and a note after it; no reminders by default.
    assert dated(db, member, "autopay_notice") == [day - dt.timedelta(days=3) for day in charge_days]
    assert dated(db, member, "autopay_charged") == charge_days
    assert len(mails(db, member, "autopay_notice")) == 12 and len(mails(db, member, "payment_receipt")) == 12
    assert mails(db, member, "autopay_charged") == []  # in-app only
    assert reminder_days(db, member) == [] and mails(db, member, "payment_reminder") == []
    assert fee_story(db, member) == [] and dated(db, member, "past_due") == []
    assert year.history["monthly"] == [(FIRST_DAY, ACTIVE, None, None)]
    assert ledger.account_position(db, member.account_id, LAST_DAY).past_due_cents == 0
    assert ledger.balance(db, member.account_id) == PREMIUM  # April 2027, due Mar 23, 2027


def test_monthly_preview_shows_three_charges_a_month_apart(year):
    charges, warning, method = year.previews["monthly"]
    assert [c.date for c in charges] == ["Mar 18, 2026", "Apr 18, 2026", "May 18, 2026"]
    assert [c.amount for c in charges] == ["$512.50"] * 3
    assert (warning, method) == ("", "Visa ••••4242")


def test_quarterly_autopay_charges_three_months_every_three_months(year, db):
    member = year.members["quarterly"]
    charge_days = monthly(D(2026, 3, 18), 4, step=3)
    assert autopay_story(db, member) == [(day, 3 * PREMIUM, PaymentStatus.SUCCEEDED) for day in charge_days]
    mandate = mandate_of(db, member.account_id)
    assert [(r.period, r.attempts) for r in runs_of(db, mandate.id)] == [
        (dates.first_of_month(d), 1) for d in charge_days
    ]
    assert dated(db, member, "autopay_notice") == [day - dt.timedelta(days=3) for day in charge_days]
    assert reminder_days(db, member) == [] and fee_story(db, member) == []
    assert year.history["quarterly"] == [(FIRST_DAY, ACTIVE, None, None)]
    assert ledger.balance(db, member.account_id) == PREMIUM
    charges, warning, _method = year.previews["quarterly"]
    assert [c.date for c in charges] == ["Mar 18, 2026", "Jun 18, 2026", "Sep 18, 2026"]
    assert [c.amount for c in charges] == ["$1,537.50"] * 3 and warning == ""


def test_fixed_autopay_short_of_the_premium_is_warned_then_falls_behind_and_ends(year, db):
    member = year.members["fixed"]
    _charges, warning, _method = year.previews["fixed"]
    assert "$400.00 doesn't match your plan's requirements" in warning and "$512.50" in warning
    # $112.50 short every month, plus a late fee on each invoice left unpaid 15 days after its due
    # date: Active again after each charge clears the oldest invoice, until one charge no longer does.
    assert year.history["fixed"] == [
        (FIRST_DAY, ACTIVE, None, None),
        (D(2026, 3, 24), GRACE, D(2026, 4, 22), None),
        (D(2026, 4, 18), ACTIVE, None, None),
        (D(2026, 4, 24), GRACE, D(2026, 5, 23), None),
        (D(2026, 5, 18), ACTIVE, None, None),
        (D(2026, 5, 24), GRACE, D(2026, 6, 22), None),
        (D(2026, 6, 23), TERMINATED, D(2026, 6, 22), D(2026, 5, 31)),
    ]
    before_end = [row for row in autopay_story(db, member) if row[0] <= D(2026, 6, 23)]
    assert before_end == [(day, FIXED, PaymentStatus.SUCCEEDED) for day in monthly(D(2026, 3, 18), 4)]
    assert fee_story(db, member) == [
        (D(2026, 4, 7), LATE_FEE, D(2026, 3, 23)),
        (D(2026, 5, 8), LATE_FEE, D(2026, 4, 23)),
        (D(2026, 6, 7), LATE_FEE, D(2026, 5, 23)),
    ]
    assert delinquency_notices(db, member) == {
        "past_due_warning": [D(2026, 3, 24), D(2026, 4, 24), D(2026, 5, 24)],
        "termination_warning": [D(2026, 4, 8), D(2026, 5, 9), D(2026, 6, 8)],
        "terminated": [D(2026, 6, 23)],
    }
    assert reminder_days(db, member) == []  # on Automatic Payments: no reminders by default
    assert len(mails(db, member, "late_fee")) == 3 and len(mails(db, member, "terminated")) == 1


def test_automatic_payments_stop_once_coverage_has_ended(year, db):
    member = year.members["fixed"]
    assert [row[0] for row in autopay_story(db, member)] == monthly(D(2026, 3, 18), 4)  # none after Jun 23
    assert ledger.balance(db, member.account_id) > 0  # what's still owed, no credit piled up


def test_no_pre_debit_notice_once_coverage_has_ended(year, db):
    member = year.members["fixed"]
    assert dated(db, member, "autopay_notice") == [D(2026, 3, 15), D(2026, 4, 15), D(2026, 5, 15), D(2026, 6, 15)]


def test_declining_card_is_retried_after_3_and_7_days_then_autopay_pauses(year, db):
    member = year.members["declining"]
    assert autopay_story(db, member) == [
        (day, PREMIUM, PaymentStatus.DECLINED) for day in (D(2026, 3, 18), D(2026, 3, 21), D(2026, 3, 28))
    ]
    assert {p.reason_code for p in payments_of(db, member.account_id, "autopay")} == {"card_declined"}
    mandate = mandate_of(db, member.account_id)
    assert [(r.period, r.attempts, r.status, r.last_code) for r in runs_of(db, mandate.id)] == [
        (D(2026, 3, 1), 3, "failed", "card_declined")
    ]
    assert mandate.status == "paused"
    failed = notices_of(db, member.user_id, "autopay_failed")
    assert [(on(n.created_at), n.title) for n in failed] == [
        (D(2026, 3, 18), "Automatic payment failed"),
        (D(2026, 3, 21), "Automatic payment failed"),
        (D(2026, 3, 28), "Automatic Payments paused"),
    ]
    assert "We'll try again on Mar 21, 2026" in failed[0].body and "We'll try again on Mar 28, 2026" in failed[1].body
    assert len(mails(db, member, "payment_declined")) == 3 and len(mails(db, member, "autopay_failed")) == 3
    # Paused: reminders come back (May's invoice), the missed April premium runs its course.
    assert reminder_days(db, member) == expected_reminders([D(2026, 4, 23)])
    assert year.history["declining"] == [
        (FIRST_DAY, ACTIVE, None, None),
        (D(2026, 3, 24), GRACE, D(2026, 4, 22), None),
        (D(2026, 4, 23), TERMINATED, D(2026, 4, 22), D(2026, 3, 31)),
    ]
    assert fee_story(db, member) == [(D(2026, 4, 7), LATE_FEE, D(2026, 3, 23))]


def test_expired_card_is_a_hard_decline_paused_at_once_and_never_retried(year, db):
    member = year.members["expired"]
    assert autopay_story(db, member) == [(D(2026, 3, 18), PREMIUM, PaymentStatus.DECLINED)]
    mandate = mandate_of(db, member.account_id)
    assert [(r.attempts, r.status, r.last_code, r.next_attempt_on) for r in runs_of(db, mandate.id)] == [
        (1, "failed", "expired_card", None)
    ]
    assert mandate.status == "paused"
    assert [(on(n.created_at), n.title) for n in notices_of(db, member.user_id, "autopay_failed")] == [
        (D(2026, 3, 18), "Automatic Payments paused")
    ]
    # Reminders resume the moment Automatic Payments stop: April's 2-day reminder, then May's.
    assert reminder_days(db, member) == [(D(2026, 3, 21), "Premium due in 2 days")] + expected_reminders(
        [D(2026, 4, 23)]
    )
    assert year.history["expired"][-1] == (D(2026, 4, 23), TERMINATED, D(2026, 4, 22), D(2026, 3, 31))


def test_bank_autopay_returned_r01_is_retried_then_paused_and_the_member_told(year, db):
    member = year.members["r01"]
    debits = payments_of(db, member.account_id, "autopay")
    # Mar 18 (Wed) returned Mar 20 → retried Mar 23 (Mon), returned Mar 25 → retried Apr 1 with May's
    # premium now due too, returned Apr 3 → paused.
    assert [(d.payment_date, d.amount_cents, d.status, d.reason_code) for d in debits] == [
        (D(2026, 3, 18), PREMIUM, PaymentStatus.RETURNED, "R01"),
        (D(2026, 3, 23), PREMIUM, PaymentStatus.RETURNED, "R01"),
        (D(2026, 4, 1), 2 * PREMIUM, PaymentStatus.RETURNED, "R01"),
    ]
    for debit in debits:
        kinds = db.exec(
            select(LedgerEntry.kind).where(LedgerEntry.payment_id == debit.id).order_by(LedgerEntry.id)
        ).all()
        assert list(kinds) == [EntryKind.PAYMENT, EntryKind.REVERSAL]
        assert processor_charges(db, debit.idempotency_key) == 1
    returned = mails(db, member, "payment_returned")
    assert [on(m.created_at) for m in returned] == [D(2026, 3, 20), D(2026, 3, 25), D(2026, 4, 3)]
    assert "(R01)" in returned[0].body
    failed = notices_of(db, member.user_id, "autopay_failed")
    assert [(on(n.created_at), n.title) for n in failed] == [
        (D(2026, 3, 20), "Automatic payment returned"),
        (D(2026, 3, 25), "Automatic payment returned"),
        (D(2026, 4, 3), "Automatic Payments paused"),
    ]
    assert "We'll try again on Mar 23, 2026" in failed[0].body
    mandate = mandate_of(db, member.account_id)
    assert mandate.status == "paused"
    assert [(r.period, r.attempts, r.status, r.last_code) for r in runs_of(db, mandate.id)] == [
        (D(2026, 3, 1), 3, "failed", "R01")
    ]
    assert fee_story(db, member) == [(D(2026, 4, 7), LATE_FEE, D(2026, 3, 23))]
    assert year.history["r01"][-1][1:] == (TERMINATED, D(2026, 4, 22), D(2026, 3, 31))


def test_payment_plan_installments_are_charged_and_hold_off_termination(year, db):
    member = year.members["plan"]
    assert year.plan_offer.past_due_cents == PREMIUM and year.plan_offer.choices == [2, 3, 4, 5, 6]
    plan = db.exec(select(PaymentPlan).where(PaymentPlan.billing_account_id == member.account_id)).one()
    assert (plan.status, plan.total_cents) == (PlanStatus.COMPLETED, PREMIUM)
    installments = db.exec(
        select(PlanInstallment).where(PlanInstallment.plan_id == plan.id).order_by(PlanInstallment.ordinal)
    ).all()
    assert [(i.due_on, i.amount_cents, i.status) for i in installments] == [
        (D(2026, 4, 1), 17084, "paid"),
        (D(2026, 5, 1), 17083, "paid"),
        (D(2026, 6, 1), 17083, "paid"),
    ]
    charged = payments_of(db, member.account_id, "plan")
    assert [(p.payment_date, p.amount_cents, p.status) for p in charged] == [
        (i.due_on, i.amount_cents, PaymentStatus.SUCCEEDED) for i in installments
    ]
    assert dated(db, member, "plan_created") == [D(2026, 4, 1)]
    assert dated(db, member, "plan_completed") == [D(2026, 6, 1)]
    # Grace ended Apr 22, but the plan covers April: no late fee on it and no Termination Warning
    # for it. It covers nothing else, though: May's premium, due Apr 23, went unpaid beside the
    # plan, so it got its late fee and its own 30-day deadline (May 23, warned May 9). Coverage
    # then ends on the last day of the last paid month — April, which the plan goes on paying.
    assert year.history["plan"] == [
        (FIRST_DAY, ACTIVE, None, None),
        (D(2026, 3, 24), GRACE, D(2026, 4, 22), None),
        (D(2026, 5, 24), TERMINATED, D(2026, 4, 22), D(2026, 4, 30)),
    ]
    assert fee_story(db, member) == [(D(2026, 5, 8), LATE_FEE, D(2026, 4, 23))]  # May's only
    assert delinquency_notices(db, member) == {
        "past_due_warning": [D(2026, 3, 24)],
        "termination_warning": [D(2026, 5, 9)],
        "terminated": [D(2026, 5, 24)],
    }
    warning = notices_of(db, member.user_id, "termination_warning")[0]
    assert warning.body.startswith("Your coverage will end unless we receive $543.50 by May 23, 2026.")
    assert "Your payment plan doesn't cover this amount" in warning.body


def test_subsidized_member_who_never_pays_gets_three_months_of_grace(year, db):
    member = year.members["subsidized"]
    assert year.history["subsidized"] == [
        (FIRST_DAY, ACTIVE, None, None),
        (D(2026, 3, 24), GRACE, D(2026, 6, 30), None),
        (D(2026, 7, 1), TERMINATED, D(2026, 6, 30), D(2026, 4, 30)),  # the last day of April, the first unpaid month
    ]
    assert delinquency_notices(db, member) == {
        "past_due_warning": [D(2026, 3, 24)],
        "termination_warning": [D(2026, 6, 16)],
        "terminated": [D(2026, 7, 1)],
    }
    warning = notices_of(db, member.user_id, "past_due_warning")[0]
    assert "3-month grace period" in warning.body and "Jun 30, 2026" in warning.body
    # One fee per invoice unpaid 15 days after its due date, none once coverage has ended.
    assert fee_story(db, member) == [
        (D(2026, 4, 7), LATE_FEE, D(2026, 3, 23)),
        (D(2026, 5, 8), LATE_FEE, D(2026, 4, 23)),
        (D(2026, 6, 7), LATE_FEE, D(2026, 5, 23)),
    ]
    due = due_dates(db, member, D(2026, 3, 23), D(2026, 6, 23))
    assert due == [D(2026, 3, 23), D(2026, 4, 23), D(2026, 5, 23), D(2026, 6, 23)]
    assert reminder_days(db, member) == expected_reminders(due)
    assert dated(db, member, "past_due") == [d + dt.timedelta(days=1) for d in due]
    assert len(mails(db, member, "payment_reminder")) == len(reminder_days(db, member))


def test_unsubsidized_member_who_never_pays_gets_a_30_day_delinquency_grace(year, db):
    member = year.members["unsubsidized"]
    assert year.history["unsubsidized"] == [
        (FIRST_DAY, ACTIVE, None, None),
        (D(2026, 3, 24), GRACE, D(2026, 4, 22), None),  # the missed Mar 23 due date + 30 days
        (D(2026, 4, 23), TERMINATED, D(2026, 4, 22), D(2026, 3, 31)),  # the day before April, the first unpaid month
    ]
    assert delinquency_notices(db, member) == {
        "past_due_warning": [D(2026, 3, 24)],
        "termination_warning": [D(2026, 4, 8)],
        "terminated": [D(2026, 4, 23)],
    }
    assert "Your new due date is Apr 22, 2026" in notices_of(db, member.user_id, "past_due_warning")[0].body
    assert fee_story(db, member) == [(D(2026, 4, 7), LATE_FEE, D(2026, 3, 23))]
    assert reminder_days(db, member) == expected_reminders([D(2026, 3, 23), D(2026, 4, 23)])
    assert db.get(BillingAccount, member.account_id).coverage_status == TERMINATED
    # No invoice for a month after coverage ended was issued once the account was terminated.
    months = db.exec(
        select(Invoice.coverage_month)
        .where(Invoice.billing_account_id == member.account_id)
        .order_by(Invoice.coverage_month)
    ).all()
    assert months[-1] == D(2026, 5, 1)  # issued Apr 1, before the termination


def test_no_reminders_or_past_due_notices_after_coverage_has_ended(year, db):
    late = {}
    for name in ("subsidized", "unsubsidized", "plan", "declining", "expired", "fixed", "r01"):
        member = year.members[name]
        ended = dated(db, member, "terminated")[0]
        late[name] = [
            (on(n.created_at), n.kind)
            for n in notices_of(db, member.user_id)
            if n.kind in ("payment_reminder", "past_due") and on(n.created_at) > ended
        ]
    assert late == {name: [] for name in late}


def test_manual_payer_gets_two_reminders_per_invoice_and_stays_active(year, db):
    member = year.members["manual"]
    binder, *due = due_dates(db, member, FIRST_DAY, LAST_DAY)
    # Enrolled Mar 10: the binder is due 10 days after it was issued, and paid at once.
    assert binder == FIRST_DAY + dt.timedelta(days=10)
    assert len(due) == 12 and {d.day for d in due} == {23}
    assert reminder_days(db, member) == expected_reminders(due)
    reminder = notices_of(db, member.user_id, "payment_reminder")[0]
    assert reminder.body.startswith("Your April 2026 premium of $512.50 is due Mar 23, 2026.")
    assert len(mails(db, member, "payment_reminder")) == 24
    assert [p.payment_date for p in payments_of(db, member.account_id, "member")][1:] == due
    assert fee_story(db, member) == [] and dated(db, member, "past_due") == []
    assert year.history["manual"] == [(FIRST_DAY, ACTIVE, None, None)]


# ---- the whole year at once -------------------------------------------------------------------


def test_the_year_charged_each_autopay_period_at_most_three_times_and_each_processor_key_once(year, db):
    attempts = collections.Counter()
    for name in ("monthly", "quarterly", "fixed", "declining", "expired", "r01"):
        for payment in payments_of(db, year.members[name].account_id, "autopay"):
            attempts[(name, dates.first_of_month(payment.payment_date))] += 1
            assert processor_charges(db, payment.idempotency_key) == 1
    assert max(attempts.values()) == 3 and attempts[("declining", D(2026, 3, 1))] == 3
    assert attempts[("r01", D(2026, 3, 1))] == 2 and attempts[("r01", D(2026, 4, 1))] == 1  # one run, 3 attempts
    # Charged (a bank debit counts when sent) and declined attempts, as the job reported them.
    assert sum(s.autopay_charged for s in year.summaries) == 12 + 4 + 4 + 3  # monthly, quarterly, fixed, r01
    assert sum(s.autopay_failed for s in year.summaries) == 3 + 1  # declining, expired
    assert sum(s.plan_charged for s in year.summaries) == 3


def test_the_year_added_at_most_one_late_fee_per_invoice_at_the_configured_amount(year, db):
    fees = db.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.LATE_FEE)).all()
    per_invoice = collections.Counter(fee.invoice_id for fee in fees)
    assert len(fees) == 3 + 1 + 1 + 1 + 3 + 1 + 1  # fixed, declining, expired, r01, subsidized, unsubsidized, plan
    assert set(per_invoice.values()) == {1}
    assert {fee.amount_cents for fee in fees} == {LATE_FEE}
    for fee in fees:
        invoice = db.get(Invoice, fee.invoice_id)
        assert fee.effective_on >= invoice.due_on + dt.timedelta(days=15)
    assert sum(s.fees for s in year.summaries) == len(fees)


def test_the_year_sent_each_reminder_once(year, db):
    for name, member in year.members.items():
        reminders = reminder_days(db, member)
        assert len(reminders) == len(set(reminders)), name
    sent = db.exec(select(Notification.id).where(Notification.kind.in_(["payment_reminder", "past_due"]))).all()
    assert sum(s.reminders for s in year.summaries) == len(sent)
