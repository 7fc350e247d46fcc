"""Benchmark: server time for the dashboard plus the first history page, for a member with
10,000 ledger rows next to one with 100, in the same run (goal: ratio ≤ 2×)."""

from __future__ import annotations

import datetime as dt
import platform
import statistics
import time

from sqlalchemy import insert
from sqlmodel import Session, select

from hcpay_app import clock, migrations
from hcpay_app.db import get_engine
from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    Member,
    Payment,
    User,
)
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.common import dates, references
from hcpay_app.services.overview import dashboard
from hcpay_app.services.payments import history

NOW = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)
REPEATS = 40


def _member_with_rows(session: Session, n: int, ledger_rows: int) -> SessionUser:
    """A member whose ledger has `ledger_rows` rows: a premium per month going back as far as
    needed, and many payments between them (each with its Payment row)."""
    member = Member(
        member_number=f"{n:012d}",
        first_name="Bench",
        last_name=f"Member{n}",
        date_of_birth=dt.date(1980, 1, 1),
        ssn_encrypted="x",
        ssn_index=f"bench-{n}",
        ssn_last4="0000",
        email=f"bench{n}@example.com",
        zip_code="02110",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(member)
    session.flush()
    invoices_wanted = max(1, ledger_rows // 4)
    first_month = dates.add_months(dt.date(2026, 12, 1), -(invoices_wanted - 1))
    account = BillingAccount(
        account_number=f"{n:09d}",
        member_id=member.id,
        plan_name="Silver",
        monthly_premium_cents=40000,
        coverage_start=first_month,
        coverage_status="active",
    )
    session.add(account)
    session.flush()
    user = User(
        member_id=member.id,
        username=f"bench{n}",
        username_key=f"bench{n}",
        email=member.email,
        password_hash="x",
        password_changed_at=NOW,
        created_at=NOW,
    )
    session.add(user)
    session.flush()
    months = [dates.add_months(first_month, i) for i in range(invoices_wanted)]
    session.execute(
        insert(Invoice),
        [
            {
                "billing_account_id": account.id,
                "coverage_month": m,
                "issued_on": dates.issue_date(m),
                "due_on": dates.due_date(m),
                "premium_cents": 40000,
                "created_at": NOW,
            }
            for m in months
        ],
    )
    invoice_ids = session.exec(
        select(Invoice.id, Invoice.issued_on).where(Invoice.billing_account_id == account.id)
    ).all()
    session.execute(
        insert(LedgerEntry),
        [
            {
                "billing_account_id": account.id,
                "kind": EntryKind.PREMIUM,
                "amount_cents": 40000,
                "effective_on": issued,
                "created_at": NOW,
                "invoice_id": invoice_id,
                "description": "Premium",
            }
            for invoice_id, issued in invoice_ids
        ],
    )
    payments_wanted = ledger_rows - len(invoice_ids)
    per_payment = 40000 * len(invoice_ids) // max(payments_wanted, 1) or 1
    payment_rows = []
    for i in range(payments_wanted):
        day = months[min(i * len(months) // max(payments_wanted, 1), len(months) - 1)] - dt.timedelta(days=10)
        payment_rows.append(
            {
                "reference": references.new_reference(),
                "billing_account_id": account.id,
                "amount_cents": per_payment,
                "method_kind": "card",
                "method_label": "Visa ••••4242",
                "status": "succeeded",
                "payment_date": day,
                "source": "member",  # a PaymentSource: the column refuses anything else
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    session.execute(insert(Payment), payment_rows)
    paid = session.exec(
        select(Payment.id, Payment.payment_date, Payment.amount_cents).where(Payment.billing_account_id == account.id)
    ).all()
    session.execute(
        insert(LedgerEntry),
        [
            {
                "billing_account_id": account.id,
                "kind": EntryKind.PAYMENT,
                "amount_cents": -amount,
                "effective_on": day,
                "created_at": NOW,
                "payment_id": pid,
                "description": "Payment",
            }
            for pid, day, amount in paid
        ],
    )
    session.commit()
    return SessionUser(user.id, member.id, user.username, "member", 0, NOW)


def _time_dashboard_and_history(actor: SessionUser) -> list[float]:
    samples = []
    for _ in range(REPEATS):
        with Session(get_engine()) as session:
            start = time.perf_counter()
            dashboard.view(session, actor, TODAY)
            history.page(session, actor, page_number=1, today=TODAY)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def test_dashboard_and_first_history_page_scale_with_history(record):
    migrations.upgrade()
    with Session(get_engine()) as session:
        small = _member_with_rows(session, 1, 100)
        large = _member_with_rows(session, 2, 10_000)
        counted = {
            who: session.exec(
                select(LedgerEntry.id).join(BillingAccount).where(BillingAccount.member_id == actor.member_id)
            ).all()
            for who, actor in (("small", small), ("large", large))
        }
    assert len(counted["small"]) == 100 and len(counted["large"]) == 10_000
    _time_dashboard_and_history(small)  # warm caches and the connection pool
    small_ms = _time_dashboard_and_history(small)
    large_ms = _time_dashboard_and_history(large)
    p50_small, p50_large = statistics.median(small_ms), statistics.median(large_ms)
    record(
        "history_dashboard_10k_vs_100",
        {
            "ledger_rows_small": 100,
            "ledger_rows_large": 10_000,
            "repeats": REPEATS,
            "p50_ms_100_rows": round(p50_small, 2),
            "p50_ms_10000_rows": round(p50_large, 2),
            "p95_ms_100_rows": round(sorted(small_ms)[int(REPEATS * 0.95) - 1], 2),
            "p95_ms_10000_rows": round(sorted(large_ms)[int(REPEATS * 0.95) - 1], 2),
            "ratio_p50": round(p50_large / p50_small, 2),
            "goal_ratio": 2.0,
            "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
            "date": clock.utcnow().date().isoformat(),
        },
    )
