"""The alembic migrations build exactly the schema models.py declares, and upgrade an existing
database without losing its rows."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import hcpay_app.models  # noqa: F401
from hcpay_app import migrations
from hcpay_app.db import engine_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import services  # noqa: E402


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
        assert db.execute("SELECT monthly_premium_cents, grace_ends_on FROM billingaccount").fetchall() == [(12345, None)]
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
        db.execute(text(
            "INSERT INTO member (member_number, first_name, last_name, date_of_birth, ssn_encrypted, ssn_index, "
            "ssn_last4, email, zip_code, created_at, updated_at) VALUES ('100000000009', 'Ana', 'Lee', '1980-01-01', "
            "'v1:x', 'idx', '1234', 'ana@example.com', '02110', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        db.execute(text(
            "INSERT INTO billingaccount (account_number, member_id, plan_name, monthly_premium_cents, subsidized, "
            "coverage_start, coverage_status) VALUES ('500000009', 1, 'Plan', 12345, false, '2026-01-01', 'active')"))
    migrations.upgrade(url)
    with engine_for(url).connect() as db:
        assert db.execute(text("SELECT first_name, name_key FROM member")).all() == [("Ana", "ana lee")]
        assert db.execute(text("SELECT monthly_premium_cents, grace_ends_on FROM billingaccount")).all() == [(12345, None)]
        assert db.execute(text("SELECT count(*) FROM invoice")).scalar() == 0
    engine_for(url).dispose()
    services.drop_database(admin_url, f"upgrade_{os.getpid()}")
