"""Roster import: good rows in, bad rows reported by CSV line, SSNs sealed, and the operator CLI."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from hcpay_app.config import PROJECT_ROOT
from hcpay_app.db import engine_for
from hcpay_app.models import BillingAccount, Member, User
from hcpay_app.services.accounts import recovery
from hcpay_app.services.adapters import crypto
from hcpay_app.services.jobs import roster


def person(n: int, **overrides: str) -> dict[str, str]:
    """Roster record number `n` (distinct member id, SSN and billing account per n)."""
    record = {
        "member_id": f"1000000001{n:02d}",
        "first_name": "Renée",
        "last_name": f"O’Neil-Dubois{'abcdefghijklmnopqrstuvwxyz'[n % 26]}",
        "date_of_birth": "04/15/1985",
        "ssn": f"219-55-{n:04d}",
        "email": f"renee.{n}@example.com",
        "zip": "02134",
        "billing_account": f"6000001{n:02d}",
        "plan_name": "Silver Select PPO",
        "monthly_premium": "$512.50",
        "subsidized": "no",
        "coverage_start": "2025-01-01",
    }
    record.update(overrides)
    return record


def csv_text(records: list[dict[str, str]], columns=roster.COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def run_import(session: Session, records, now, today, **kwargs) -> roster.ImportReport:
    return roster.import_roster(session, csv_text(records, **kwargs), now=now, today=today)


def members(session: Session) -> dict[str, Member]:
    return {m.member_number: m for m in session.exec(select(Member)).all()}


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_good_file_imported(session, now, today):
    report = run_import(session, [person(1), person(2, subsidized="Yes", monthly_premium="89"), person(3)], now, today)
    assert (report.created, report.updated, report.errors) == (3, 0, [])
    assert report.summary() == "3 created, 0 updated, 0 rejected"

    stored = members(session)
    assert set(stored) == {"100000000101", "100000000102", "100000000103"}
    first = stored["100000000101"]
    assert (first.first_name, first.last_name) == ("Renée", "O’Neil-Duboisb")
    assert first.date_of_birth.isoformat() == "1985-04-15"
    assert first.ssn_last4 == "0001"
    assert first.ssn_index == crypto.ssn_blind_index("219550001")
    assert crypto.decrypt_ssn(first.ssn_encrypted, first.member_number) == "219550001"
    accounts = {a.account_number: a for a in session.exec(select(BillingAccount)).all()}
    assert accounts["600000101"].monthly_premium_cents == 51250
    assert accounts["600000101"].subsidized is False
    assert accounts["600000102"].monthly_premium_cents == 8900
    assert accounts["600000102"].subsidized is True
    assert accounts["600000102"].member_id == stored["100000000102"].id
    assert accounts["600000101"].coverage_status == "pending_first_payment"


def test_byte_order_mark_is_ignored(session, now, today):
    report = roster.import_roster(session, "\ufeff" + csv_text([person(1)]), now=now, today=today)
    assert (report.created, report.errors) == (1, [])


BAD_ROWS = [
    (person(1, member_id="12345"), "member_id must be 12 digits"),
    (person(2, ssn="666-12-3456"), "That is not a valid Social Security Number. Check the digits and try again."),
    (person(3, ssn="21955000"), "Enter your 9-digit Social Security Number, like 123-45-6789 or 123456789."),
    (
        person(4, monthly_premium="12.345"),
        "monthly_premium: Use at most two digits after the decimal point, like 125.50.",
    ),
    (person(5, monthly_premium="-5"), "monthly_premium: The amount can't be negative."),
    (person(6, subsidized="maybe"), "subsidized must be yes or no"),
    (person(7, date_of_birth="2099-01-01"), "date_of_birth must be in the past"),
    (person(8, date_of_birth="13/45/1990"), "Enter your date of birth as MM/DD/YYYY, like 04/15/1985."),
    (person(9, coverage_start="soon"), "Enter your coverage start as MM/DD/YYYY, like 04/15/1985."),
    (person(10, first_name="R2D2"), "Your first name can use letters, spaces, hyphens (-) and apostrophes (') only."),
    (person(11, email="not-an-email"), "Enter an email address like name@example.com."),
    (person(12, zip="2134"), "zip must be 5 digits (or ZIP+4)"),
    (person(13, billing_account="12"), "billing_account must be 9 digits"),
    (person(14, plan_name=""), "plan_name must be 1–120 characters"),
]


def test_bad_file_reports_every_row_with_its_line(session, now, today):
    report = run_import(session, [record for record, _ in BAD_ROWS], now, today)
    expected = [(line, reason) for line, (_, reason) in enumerate(BAD_ROWS, start=2)]
    assert report.errors == expected
    assert (report.created, report.updated) == (0, 0)
    assert count(session, Member) == 0 and count(session, BillingAccount) == 0
    assert "  line 2: member_id must be 12 digits" in report.summary().splitlines()
    assert report.summary().startswith(f"0 created, 0 updated, {len(BAD_ROWS)} rejected")


def test_mixed_file_imports_good_rows_and_skips_bad_ones(session, now, today, add_member):
    existing = add_member()  # RENEE: member 123456789012, SSN 219550123, account 987654321
    records = [
        person(1),  # line 2 good
        person(2, member_id="1000000001AB"),  # line 3 bad member id
        person(3),  # line 4 good
        person(4, member_id=person(1)["member_id"]),  # line 5 duplicate member id
        person(5, ssn=person(3)["ssn"]),  # line 6 duplicate SSN
        person(6, billing_account=person(1)["billing_account"]),  # line 7 duplicate account
        person(7, ssn="219-55-0123"),  # line 8 SSN of an existing member
        person(8, billing_account="987654321"),  # line 9 account of another member
        person(9),  # line 10 good
    ]
    report = run_import(session, records, now, today)
    assert report.errors == [
        (3, "member_id must be 12 digits"),
        (5, "member_id appears earlier in this file"),
        (6, "ssn appears earlier in this file"),
        (7, "billing_account appears earlier in this file"),
        (8, "ssn belongs to another member"),
        (9, "billing_account belongs to another member"),
    ]
    assert (report.created, report.updated) == (3, 0)
    assert set(members(session)) == {existing.member_number, "100000000101", "100000000103", "100000000109"}
    # The member whose SSN was claimed by line 8 is untouched.
    session.refresh(existing)
    assert crypto.decrypt_ssn(existing.ssn_encrypted, existing.member_number) == "219550123"
    assert existing.first_name == "Renée"


def test_reimport_updates_the_member(session, now, today):
    run_import(session, [person(1), person(2)], now, today)
    before = members(session)["100000000101"]
    old_cipher, old_index, member_id = before.ssn_encrypted, before.ssn_index, before.id

    changed = person(
        1,
        first_name="Rénee",
        last_name="Dubois",
        monthly_premium="600.00",
        subsidized="y",
        email="new.address@example.com",
    )
    later = now.replace(hour=now.hour + 1)
    report = roster.import_roster(session, csv_text([changed]), now=later, today=today)
    assert (report.created, report.updated, report.errors) == (0, 1, [])

    session.expire_all()
    after = members(session)["100000000101"]
    assert after.id == member_id
    assert (after.first_name, after.last_name, after.email) == ("Rénee", "Dubois", "new.address@example.com")
    assert after.updated_at == later and after.created_at == now
    assert after.ssn_encrypted != old_cipher  # re-sealed with a fresh nonce
    assert after.ssn_index == old_index
    found = session.exec(select(Member).where(Member.ssn_index == crypto.ssn_blind_index("219550001"))).one()
    assert found.id == member_id
    assert crypto.decrypt_ssn(after.ssn_encrypted, after.member_number) == "219550001"
    account = session.exec(select(BillingAccount).where(BillingAccount.account_number == "600000101")).one()
    assert (account.monthly_premium_cents, account.subsidized) == (60000, True)
    assert count(session, Member) == 2 and count(session, BillingAccount) == 2


def test_reimport_with_a_corrected_ssn_moves_the_index(session, now, today):
    run_import(session, [person(1)], now, today)
    report = run_import(session, [person(1, ssn="219-55-0777")], now, today)
    assert (report.created, report.updated, report.errors) == (0, 1, [])
    session.expire_all()
    by_old = session.exec(select(Member).where(Member.ssn_index == crypto.ssn_blind_index("219550001"))).first()
    by_new = session.exec(select(Member).where(Member.ssn_index == crypto.ssn_blind_index("219550777"))).one()
    assert by_old is None
    assert by_new.member_number == "100000000101" and by_new.ssn_last4 == "0777"


def test_missing_column(session, now, today):
    columns = [c for c in roster.COLUMNS if c not in ("zip", "subsidized")]
    report = run_import(session, [person(1)], now, today, columns=columns)
    assert report.errors == [(1, "missing column(s): zip, subsidized")]
    assert report.created == 0 and count(session, Member) == 0


def test_empty_file(session, now, today):
    report = roster.import_roster(session, "", now=now, today=today)
    assert report.errors and report.errors[0][0] == 1 and report.errors[0][1].startswith("missing column(s): member_id")


def test_failure_part_way_writes_nothing(session, now, today, monkeypatch):
    real = crypto.encrypt_ssn
    calls = []

    def flaky(ssn, member_number):
        calls.append(ssn)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(ssn, member_number)

    monkeypatch.setattr(crypto, "encrypt_ssn", flaky)
    with pytest.raises(RuntimeError):
        run_import(session, [person(1), person(2)], now, today)
    assert count(session, Member) == 0 and count(session, BillingAccount) == 0


def test_ssn_is_never_stored_in_plaintext(session, db_path, db_url, now, today):
    run_import(session, [person(1), person(2, ssn="219550002")], now, today)
    session.close()
    engine_for(db_url).dispose()  # checkpoint the WAL into the main file
    stored = b"".join(path.read_bytes() for path in db_path.parent.glob(db_path.name + "*"))
    assert "O’Neil-Duboisb".encode() in stored  # the search really reads the rows …
    for ssn in ("219550001", "219550002"):
        assert ssn.encode() not in stored  # … and no SSN is among them
        assert f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}".encode() not in stored
        assert ssn.encode("utf-16-le") not in stored


# --- the operator CLI --------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hcpay_app", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_import_roster(tmp_path):
    database = Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
    assert not database.exists()  # the CLI creates and migrates it

    bad = tmp_path / "bad.csv"
    bad.write_text(
        csv_text([person(1), person(2, ssn="000-00-0000"), person(3), person(4, subsidized="?")]), encoding="utf-8"
    )
    result = run_cli("import-roster", str(bad))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "2 created, 0 updated, 2 rejected",
        "  line 3: That is not a valid Social Security Number. Check the digits and try again.",
        "  line 5: subsidized must be yes or no",
    ]

    clean = tmp_path / "clean.csv"
    clean.write_text("\ufeff" + csv_text([person(1, plan_name="Gold Access HMO"), person(5)]), encoding="utf-8")
    result = run_cli("import-roster", str(clean))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 created, 1 updated, 0 rejected"

    with Session(engine_for(os.environ["DATABASE_URL"])) as db:  # migrated and filled by the CLI
        assert set(members(db)) == {"100000000101", "100000000103", "100000000105"}
        plan = db.exec(select(BillingAccount.plan_name).where(BillingAccount.account_number == "600000101")).one()
        assert plan == "Gold Access HMO"
    engine_for(os.environ["DATABASE_URL"]).dispose()

    result = run_cli("import-roster", str(tmp_path / "missing.csv"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_a_new_roster_email_is_the_one_email_of_record(session, registered_user, add_member, now, outbox):
    """Re-importing the roster with a new email moves the member's portal log-in to it: reset links
    go to the new address only, the old address is told, and the old address no longer finds the
    account."""
    add_member(email="renee.new@example.com")
    session.expire_all()
    user = session.get(User, registered_user.user_id)
    assert user.email == "renee.new@example.com"
    [told] = outbox("email_changed")
    assert told.to_address == "Renee.ONeil@example.com" and "r•••@example.com" in told.body

    recovery.request_password_reset(session, identifier="renee.oneil", ip="192.0.2.1", now=now)
    assert [m.to_address for m in outbox("password_reset")] == ["renee.new@example.com"]
    recovery.request_password_reset(session, identifier="Renee.ONeil@example.com", ip="192.0.2.2", now=now)
    assert len(outbox("password_reset")) == 1
    recovery.request_password_reset(session, identifier="renee.new@example.com", ip="192.0.2.3", now=now)
    assert [m.to_address for m in outbox("password_reset")] == ["renee.new@example.com"] * 2

    add_member(email="RENEE.NEW@example.com")  # the same address in other case changes nothing
    assert len(outbox("email_changed")) == 1
