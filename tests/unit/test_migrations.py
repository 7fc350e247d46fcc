"""The alembic migrations build exactly the schema models.py declares, and upgrade an existing
database without losing its rows."""

from __future__ import annotations

import os
import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import hcpay_app.models  # noqa: F401
from hcpay_app import migrations
from hcpay_app.db import engine_for
from tests.support import services


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrations.upgrade(url)
    with engine_for(url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def test_upgrade_keeps_existing_rows(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    command.upgrade(migrations.alembic_config(url), "0001")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO member (member_number, first_name, last_name, date_of_birth, ssn_encrypted, ssn_index, "
            "ssn_last4, email, zip_code, created_at, updated_at) VALUES ('100000000009', 'Ana', 'Lee', '1980-01-01', "
            "'v1:x', 'idx', '1234', 'ana@example.com', '02110', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        db.execute(
            "INSERT INTO billingaccount (account_number, member_id, plan_name, monthly_premium_cents, subsidized, "
            "coverage_start, coverage_status) VALUES ('500000009', 1, 'Plan', 12345, 0, '2026-01-01', 'active')"
        )
    migrations.upgrade(url)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT first_name FROM member").fetchall() == [("Ana",)]
        assert db.execute("SELECT monthly_premium_cents, grace_ends_on FROM billingaccount").fetchall() == [
            (12345, None)
        ]
        assert db.execute("SELECT count(*) FROM invoice").fetchone() == (0,)


def test_the_run_database_matches_the_models(db_url):
    """The same check on the database this run uses (PostgreSQL under HCPAY_TEST_DATABASE=postgresql)."""
    with engine_for(db_url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


@pytest.mark.skipif(os.environ.get("HCPAY_TEST_DATABASE") != "postgresql", reason="PostgreSQL run only")
def test_upgrade_keeps_existing_rows_on_postgresql(request):
    admin_url, _template = request.getfixturevalue("postgres_template")
    url = services.create_database(admin_url, f"upgrade_{os.getpid()}")
    command.upgrade(migrations.alembic_config(url), "0001")
    with engine_for(url).begin() as db:
        db.execute(
            text(
                "INSERT INTO member (member_number, first_name, last_name, date_of_birth, ssn_encrypted, ssn_index, "
                "ssn_last4, email, zip_code, created_at, updated_at) VALUES ('100000000009', 'Ana', 'Lee', '1980-01-01', "
                "'v1:x', 'idx', '1234', 'ana@example.com', '02110', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        db.execute(
            text(
                "INSERT INTO billingaccount (account_number, member_id, plan_name, monthly_premium_cents, subsidized, "
                "coverage_start, coverage_status) VALUES ('500000009', 1, 'Plan', 12345, false, '2026-01-01', 'active')"
            )
        )
    migrations.upgrade(url)
    with engine_for(url).connect() as db:
        assert db.execute(text("SELECT first_name, name_key FROM member")).all() == [("Ana", "ana lee")]
        assert db.execute(text("SELECT monthly_premium_cents, grace_ends_on FROM billingaccount")).all() == [
            (12345, None)
        ]
        assert db.execute(text("SELECT count(*) FROM invoice")).scalar() == 0
    engine_for(url).dispose()
    services.drop_database(admin_url, f"upgrade_{os.getpid()}")


def _fresh_database(request, tmp_path, name: str) -> tuple[str, object]:
    """(URL of an empty database on this run's backend, cleanup)."""
    if os.environ.get("HCPAY_TEST_DATABASE") != "postgresql":
        return f"sqlite:///{tmp_path / f'{name}.db'}", lambda: None
    admin_url, _template = request.getfixturevalue("postgres_template")
    db_name = f"{name}_{os.getpid()}"
    url = services.create_database(admin_url, db_name)

    def cleanup() -> None:
        engine_for(url).dispose()
        services.drop_database(admin_url, db_name)

    return url, cleanup


def _insert_member_and_account(db) -> None:
    """Member 1 (Ana Lee) and her billing account 1, as the older schemas these tests start from hold them."""
    db.execute(
        text(
            "INSERT INTO member (member_number, first_name, last_name, name_key, date_of_birth, ssn_encrypted, "
            "ssn_index, ssn_last4, email, zip_code, created_at, updated_at) VALUES ('100000000009', 'Ana', 'Lee', "
            "'ana lee', '1980-01-01', 'v1:x', 'idx', '1234', 'ana@example.com', '02110', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')"
        )
    )
    db.execute(
        text(
            "INSERT INTO billingaccount (account_number, member_id, plan_name, monthly_premium_cents, subsidized, "
            "coverage_start, coverage_status) VALUES ('500000009', 1, 'Plan', 12345, false, '2026-01-01', 'active')"
        )
    )


def test_tickets_opened_before_follow_ups_existed_survive_the_upgrade_and_the_way_back(request, tmp_path):
    """0007 adds `supportticket.follows_ticket_id`: older tickets follow nothing, and downgrading
    keeps them."""
    url, cleanup = _fresh_database(request, tmp_path, "follows")
    try:
        command.upgrade(migrations.alembic_config(url), "0006")
        with engine_for(url).begin() as db:
            _insert_member_and_account(db)
            db.execute(
                text(
                    'INSERT INTO "user" (member_id, username, username_key, email, password_hash, role, '
                    "password_changed_at, created_at) VALUES (1, 'ana', 'ana', 'ana@example.com', 'x', 'member', "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            db.execute(
                text(
                    "INSERT INTO supportticket (ticket_number, user_id, billing_account_id, topic, status, created_at, "
                    "updated_at) VALUES ('T-AAAAAAAA', 1, 1, 'other', 'closed', '2026-01-02 00:00:00', '2026-01-02 00:00:00')"
                )
            )
        migrations.upgrade(url)
        with engine_for(url).begin() as db:
            assert db.execute(text("SELECT ticket_number, status, follows_ticket_id FROM supportticket")).all() == [
                ("T-AAAAAAAA", "closed", None)
            ]
            db.execute(
                text(
                    "INSERT INTO supportticket (ticket_number, user_id, billing_account_id, topic, status, follows_ticket_id, "
                    "created_at, updated_at) VALUES ('T-BBBBBBBB', 1, 1, 'other', 'open', 1, '2026-01-03 00:00:00', "
                    "'2026-01-03 00:00:00')"
                )
            )
        command.downgrade(migrations.alembic_config(url), "0006")
        with engine_for(url).connect() as db:
            assert db.execute(text("SELECT ticket_number, status FROM supportticket ORDER BY id")).all() == [
                ("T-AAAAAAAA", "closed"),
                ("T-BBBBBBBB", "open"),
            ]
        engine_for(url).dispose()
    finally:
        cleanup()


def test_payments_made_before_refunds_existed_survive_the_upgrade_and_the_way_back(request, tmp_path):
    """0011 adds refunds, refund requests and disputes: every existing payment has nothing refunded
    (`refunded_cents` 0) and every ledger entry names no refund; downgrading keeps them."""
    url, cleanup = _fresh_database(request, tmp_path, "refunds")
    try:
        command.upgrade(migrations.alembic_config(url), "0010")
        with engine_for(url).begin() as db:
            _insert_member_and_account(db)
            db.execute(
                text(
                    "INSERT INTO payment (reference, billing_account_id, amount_cents, method_kind, method_label, status, "
                    "payment_date, source, created_at, updated_at) VALUES ('HC-AAAA-BBBB-CCCC', 1, 5000, 'card', "
                    "'Visa ••••4242', 'succeeded', '2026-01-05', 'member', '2026-01-05 00:00:00', '2026-01-05 00:00:00')"
                )
            )
            db.execute(
                text(
                    "INSERT INTO ledgerentry (billing_account_id, kind, amount_cents, effective_on, created_at, "
                    "payment_id, description) VALUES (1, 'payment', -5000, '2026-01-05', '2026-01-05 00:00:00', 1, 'x')"
                )
            )
        migrations.upgrade(url)
        with engine_for(url).connect() as db:
            assert db.execute(text("SELECT reference, refunded_cents FROM payment")).all() == [("HC-AAAA-BBBB-CCCC", 0)]
            assert db.execute(text("SELECT amount_cents, refund_id FROM ledgerentry")).all() == [(-5000, None)]
            assert db.execute(text("SELECT count(*) FROM refund")).scalar() == 0
        command.downgrade(migrations.alembic_config(url), "0010")
        with engine_for(url).connect() as db:
            assert db.execute(text("SELECT reference, amount_cents FROM payment")).all() == [
                ("HC-AAAA-BBBB-CCCC", 5000)
            ]
            assert db.execute(text("SELECT amount_cents FROM ledgerentry")).all() == [(-5000,)]
        engine_for(url).dispose()
    finally:
        cleanup()
