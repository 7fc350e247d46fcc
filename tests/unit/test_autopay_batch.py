"""The daily job's autopay charges recorded a chunk at a time (`jobs.autopay_batch`) leave exactly
the rows the one-at-a-time path (`autopay_runs.attempt_run`) leaves: the same day is run on two
copies of one database, once each way, and every row either writes is compared — payments and
their timelines, the ledger, coverage, runs and mandates, notices and emails in each member's
language, the processor's charges. Only what is random by design (a payment's reference number,
the processor's reference) is named by the payment's idempotency key instead."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    AutopayMandate,
    AutopayRun,
    AutopayRunStatus,
    BillingAccount,
    CoverageStatus,
    LedgerEntry,
    NoticeKind,
    Notification,
    OnceMarker,
    OutboundEmail,
    Payment,
    PaymentEvent,
    PaymentStatus,
    SandboxCharge,
)
from hcpay_app.services.accounts import profile
from hcpay_app.services.adapters import processor
from hcpay_app.services.jobs import autopay_batch, autopay_runs, charge_queue, daily
from tests.support.together import run_together
from tests.unit.autopay_helpers import (
    billed,
    emails_to,
    enroll,
    pay_binder,
    roster_row,
    save_bank,
    save_card,
    turn_on,
)
from tests.unit.billing_helpers import pay
from tests.unit.conftest import ON_POSTGRES
from tests.unit.payment_helpers import BANKS, CARDS, at
from tests.unit.test_charge_queue import autopay_members, charged_once_each

CHARGE_DAY = dt.date(2026, 3, 18)
RETRY_DAY = CHARGE_DAY + dt.timedelta(days=3)  # the first retry of a declined charge


def one_at_a_time(run_ids: str, *, today: dt.date, now: dt.datetime) -> None:
    """The queue's "autopay" task as it was: each run of the chunk through `attempt_run`."""
    for run_id in run_ids.split(","):
        autopay_runs.attempt_run(run_id, today=today, now=now)


def build(session: Session) -> None:
    """Members whose charge day takes every branch: cards that succeed, decline (to retry) and are
    expired (paused); a bank debit; a first payment still owed (coverage starts with it); a member in
    grace; fixed and quarterly terms; nothing to charge (a credit); Spanish and Portuguese readers."""
    members = [enroll(session, roster_row(n)) for n in range(11)]
    for n in (0, 3, 4, 5, 6, 7, 8, 9, 10):
        pay_binder(session, members[n])
    billed(session, members[1])
    billed(session, members[2])
    cards = {3: CARDS["insufficient_funds"], 4: CARDS["expired_card"]}
    for n, member in enumerate(members):
        method = (
            save_bank(session, member, BANKS["settle"])
            if n == 2
            else save_card(session, member, cards.get(n, CARDS["ok"]))
        )
        terms = {5: {"rule": "fixed", "fixed": "100.00"}, 6: {"frequency": "quarterly"}}.get(n, {})
        turn_on(session, member, method, **terms)
    pay(session, session.get(BillingAccount, members[9].account_id), 300_000, dt.date(2026, 3, 10))  # a credit
    profile.set_language(session, members[7].who, "es")
    profile.set_language(session, members[10].who, "pt")
    in_grace = session.get(BillingAccount, members[8].account_id)
    in_grace.coverage_status, in_grace.grace_ends_on = CoverageStatus.IN_GRACE, dt.date(2026, 5, 31)
    session.add(in_grace)
    session.commit()


def rows(url: str) -> dict[str, list]:
    """Every row the job may write, as comparable tuples (ids of new rows left out)."""
    with Session(engine_for(url)) as session:
        payments = session.exec(select(Payment)).all()
        name = {p.id: p.idempotency_key or str(p.id) for p in payments}
        names = {p.reference: f"<{name[p.id]}>" for p in payments}

        def plain(text: str | None) -> str | None:
            for reference, key in names.items():
                text = text.replace(reference, key) if text else text
            return text

        def columns(row, *, leave: tuple[str, ...] = ("id",)) -> tuple:
            return tuple((k, v) for k, v in sorted(row.model_dump().items()) if k not in leave)

        found = {
            "payment": [
                (*columns(p, leave=("id", "reference", "processor_ref")), p.processor_ref is not None) for p in payments
            ],
            "event": [
                (name[e.payment_id], *columns(e, leave=("id", "payment_id")))
                for e in session.exec(select(PaymentEvent))
            ],
            "ledger": [
                (name.get(e.payment_id), plain(e.description), *columns(e, leave=("id", "payment_id", "description")))
                for e in session.exec(select(LedgerEntry))
            ],
            "account": [columns(a, leave=()) for a in session.exec(select(BillingAccount))],
            "mandate": [columns(m, leave=()) for m in session.exec(select(AutopayMandate))],
            "run": [
                (name.get(r.last_payment_id), *columns(r, leave=("id", "last_payment_id")))
                for r in session.exec(select(AutopayRun))
            ],
            "notice": [
                (plain(n.title), plain(n.body), plain(n.link), *columns(n, leave=("id", "title", "body", "link")))
                for n in session.exec(select(Notification))
            ],
            "email": [
                (plain(e.subject), plain(e.body), *columns(e, leave=("id", "subject", "body")))
                for e in session.exec(select(OutboundEmail))
            ],
            "marker": [m.key for m in session.exec(select(OnceMarker))],
            "processor": [columns(c, leave=("id", "processor_ref")) for c in session.exec(select(SandboxCharge))],
        }
    engine_for(url).dispose()
    return {table: sorted(found[table], key=repr) for table in found}


def switch_to(monkeypatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    processor.get_processor.cache_clear()


@pytest.mark.skipif(ON_POSTGRES, reason="copies the SQLite file (the paths' rows are dialect-free)")
def test_the_batch_path_writes_exactly_what_one_at_a_time_writes(session, db_url, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HCPAY_JOB_WORKER_THREADS", "2")  # chunks of several runs, two at once
    get_settings.cache_clear()
    build(session)
    session.close()
    engine_for(db_url).dispose()
    twin_url = f"sqlite:///{tmp_path / 'one_at_a_time.db'}"
    source, target = sqlite3.connect(db_url.removeprefix("sqlite:///")), sqlite3.connect(tmp_path / "one_at_a_time.db")
    source.backup(target)
    source.close(), target.close()

    for day in (CHARGE_DAY, RETRY_DAY):
        daily.run_daily(day, at(day))
    monkeypatch.setitem(charge_queue.HANDLERS, "autopay", (__name__, "one_at_a_time"))
    switch_to(monkeypatch, twin_url)
    for day in (CHARGE_DAY, RETRY_DAY):
        daily.run_daily(day, at(day))

    batch, single = rows(db_url), rows(twin_url)
    for table in single:
        assert batch[table] == single[table], table
    # The day took every branch it was meant to.
    with Session(engine_for(db_url)) as check:
        statuses = set(
            check.exec(
                select(PaymentEvent.status)
                .join(Payment, Payment.id == PaymentEvent.payment_id)
                .where(Payment.source == "autopay")
            )
        )
        runs = set(check.exec(select(AutopayRun.status)))
        accounts = set(check.exec(select(BillingAccount.coverage_status)))
    engine_for(db_url).dispose()
    assert statuses == {
        PaymentStatus.PROCESSING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PENDING,
        PaymentStatus.DECLINED,
    }
    assert runs == {AutopayRunStatus.PAID, AutopayRunStatus.FAILED, AutopayRunStatus.RETRYING}
    assert CoverageStatus.IN_GRACE not in accounts


def test_one_chunk_delivered_twice_at_once_charges_and_tells_once(session):
    """A repeated message while the first is still being worked: of the two, one writes each
    payment; the other finds it written and finishes nothing twice."""
    members = autopay_members(session, 4)
    run_ids = autopay_runs._claim_due(session, today=CHARGE_DAY, now=at(CHARGE_DAY))
    chunk = ",".join(map(str, run_ids))
    errors = run_together(2, lambda: autopay_batch.attempt_runs(chunk, today=CHARGE_DAY, now=at(CHARGE_DAY)))
    assert errors == []
    charged_once_each(session, members)
    for member in members:
        assert len(emails_to(session, member.email, NoticeKind.PAYMENT_RECEIPT)) == 1
