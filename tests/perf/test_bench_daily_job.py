"""Benchmark: the daily job over 100,000 billing accounts on SQLite — invoices for every account,
autopay charges for 10% of them and 7-day reminders for the members without autopay — next to a
raw SQL insert of the same number of ledger rows in the same run. Goal: ≤ 60 s, ratio ≤ 10×."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time

from sqlalchemy import insert
from sqlmodel import Session, func, select

from hcpay_app import migrations
from hcpay_app.config import get_settings
from hcpay_app.db import get_engine
from hcpay_app.models import (
    AutopayMandate,
    BillingAccount,
    LedgerEntry,
    Member,
    Notification,
    Payment,
    PaymentMethod,
    User,
)
from hcpay_app.services.jobs import daily

ACCOUNTS = int(os.environ.get("HCPAY_BENCH_ACCOUNTS", "100000"))
RUN_DAY = dt.date(2027, 3, 1)
NOW = dt.datetime(2027, 3, 1, 11, 0, tzinfo=dt.UTC)


def _populate(session: Session, accounts: int = ACCOUNTS, autopay_every: int = 10) -> None:
    """Members, accounts starting next month, portal users for half, autopay for one in
    `autopay_every` of them (of the users: member numbers ≡ 1 modulo it)."""
    start = dt.date(2027, 4, 1)
    session.execute(
        insert(Member),
        [
            {
                "member_number": f"{i:012d}",
                "first_name": "Bench",
                "last_name": f"M{i}",
                "date_of_birth": dt.date(1980, 1, 1),
                "ssn_encrypted": "x",
                "ssn_index": f"i{i}",
                "ssn_last4": "0000",
                "email": f"m{i}@example.com",
                "zip_code": "02110",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(1, accounts + 1)
        ],
    )
    session.execute(
        insert(BillingAccount),
        [
            {
                "account_number": f"{i:09d}",
                "member_id": i,
                "plan_name": "Silver",
                "monthly_premium_cents": 40000,
                "subsidized": i % 3 == 0,
                "coverage_start": start,
                "coverage_status": "active",
            }
            for i in range(1, accounts + 1)
        ],
    )
    session.execute(
        insert(User),
        [
            {
                "member_id": i,
                "username": f"u{i}",
                "username_key": f"u{i}",
                "email": f"m{i}@example.com",
                "password_hash": "x",
                "role": "member",
                "password_changed_at": NOW,
                "created_at": NOW,
            }
            for i in range(1, accounts + 1, 2)
        ],
    )
    users = session.exec(select(User.id, User.member_id)).all()
    autopay = [(uid, member_id) for uid, member_id in users if member_id % autopay_every == 1 % autopay_every]
    session.execute(
        insert(PaymentMethod),
        [
            {
                "user_id": uid,
                "kind": "card",
                "processor_token": f"sbx_card_ok_bench{uid}",
                "brand": "Visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": 2030,
                "is_default": True,
                "created_at": NOW,
            }
            for uid, _ in autopay
        ],
    )
    methods = dict(session.exec(select(PaymentMethod.user_id, PaymentMethod.id)).all())
    session.execute(
        insert(AutopayMandate),
        [
            {
                "user_id": uid,
                "billing_account_id": member_id,
                "payment_method_id": methods[uid],
                "amount_rule": "full",
                "frequency": "monthly",
                "charge_day": 1,
                "status": "active",
                "next_charge_on": RUN_DAY,
                "authorized_at": NOW,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for uid, member_id in autopay
        ],
    )
    session.commit()


def _raw_insert_seconds(rows: int, path: str) -> float:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE ledger (account INTEGER, kind TEXT, amount INTEGER, effective_on TEXT, created_at TEXT)")
    start = time.perf_counter()
    db.executemany(
        "INSERT INTO ledger VALUES (?, 'premium', 40000, '2027-03-01', '2027-03-01 11:00:00')",
        ((i,) for i in range(rows)),
    )
    db.commit()
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def test_daily_job_over_many_accounts(record, tmp_path, monkeypatch):
    monkeypatch.setenv("HCPAY_INVOICE_DUE_DAY", "8")  # so today's new invoices are 7 days from due: reminders too
    get_settings.cache_clear()
    migrations.upgrade()
    with Session(get_engine()) as session:
        _populate(session)
    start = time.perf_counter()
    summary = daily.run_daily(RUN_DAY, NOW)
    job_seconds = time.perf_counter() - start
    with Session(get_engine()) as session:
        ledger_rows = session.exec(select(func.count()).select_from(LedgerEntry)).one()
        charges = session.exec(select(func.count()).select_from(Payment).where(Payment.source == "autopay")).one()
        reminders = session.exec(
            select(func.count()).select_from(Notification).where(Notification.kind == "payment_reminder")
        ).one()
    raw = _raw_insert_seconds(ledger_rows, str(tmp_path / "raw.db"))
    record(
        "daily_job_100k",
        {
            "accounts": ACCOUNTS,
            "invoices": summary.invoices,
            "autopay_charges": charges,
            "reminders": reminders,
            "ledger_rows_written": ledger_rows,
            "job_seconds": round(job_seconds, 1),
            "accounts_per_second": round(ACCOUNTS / job_seconds),
            "raw_insert_seconds": round(raw, 2),
            "ratio": round(job_seconds / raw, 1),
            "goal_seconds": 60,
            "goal_ratio": 10,
            "summary": summary.line(),
        },
    )
