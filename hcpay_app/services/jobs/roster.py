"""Roster import: the Health Connector's enrollment feed, as CSV.

Every row is validated first; bad rows are reported with their line number and skipped; the good
rows are then written in one transaction, so a failure part-way leaves nothing half-written.
Re-importing a member (same member_id) updates them. A new member's bills are issued at once (see
`billing.invoicing`): what they owe shows the day they are imported.

Optional columns `full_premium` and `aptc` give the plan's full premium and the tax credit (APTC or
ConnectorCare subsidy); `monthly_premium` is always the member's share. Files without them import
as before.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterable

from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.models import BillingAccount, Member, NoticeKind, User
from hcpay_app.services.accounts import templates
from hcpay_app.services.adapters import crypto, mailer
from hcpay_app.services.billing import invoicing
from hcpay_app.services.common import money, validators
from hcpay_app.services.common.errors import ValidationError

COLUMNS = (
    "member_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "ssn",
    "email",
    "zip",
    "billing_account",
    "plan_name",
    "monthly_premium",
    "subsidized",
    "coverage_start",
)
OPTIONAL_COLUMNS = ("full_premium", "aptc")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


@dataclasses.dataclass(frozen=True)
class RosterRow:
    line: int
    member_number: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    ssn: str
    email: str
    zip_code: str
    account_number: str
    plan_name: str
    monthly_premium_cents: int
    subsidized: bool
    coverage_start: dt.date
    full_premium_cents: int | None = None
    tax_credit_cents: int | None = None


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.created} created, {self.updated} updated, {len(self.errors)} rejected"]
        lines += [f"  line {line}: {reason}" for line, reason in self.errors]
        return "\n".join(lines)


def _first_error(exc: ValidationError) -> str:
    return next(iter(exc.errors.values()))


def parse_row(line: int, raw: dict[str, str | None], today: dt.date) -> RosterRow:
    """One CSV record → a clean row; raises ValueError with the reason."""
    get = {key: (raw.get(key) or "").strip() for key in COLUMNS + OPTIONAL_COLUMNS}
    if not re.fullmatch(r"[0-9]{12}", get["member_id"]):
        raise ValueError("member_id must be 12 digits")
    if not re.fullmatch(r"[0-9]{9}", get["billing_account"]):
        raise ValueError("billing_account must be 9 digits")
    if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", get["zip"]):
        raise ValueError("zip must be 5 digits (or ZIP+4)")
    if not get["plan_name"] or len(get["plan_name"]) > 120:
        raise ValueError("plan_name must be 1–120 characters")
    subsidized = get["subsidized"].casefold()
    if subsidized not in _YES | _NO:
        raise ValueError("subsidized must be yes or no")
    try:
        first = validators.clean_name(get["first_name"], "first_name", "first name")
        last = validators.clean_name(get["last_name"], "last_name", "last name")
        born = validators.parse_date(get["date_of_birth"], "date_of_birth", "date of birth")
        ssn = validators.clean_ssn(get["ssn"])
        email = validators.clean_email(get["email"])
        start = validators.parse_date(get["coverage_start"], "coverage_start", "coverage start")
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from None
    if born >= today:
        raise ValueError("date_of_birth must be in the past")
    try:
        premium = money.parse_dollars(get["monthly_premium"])
    except money.AmountError as exc:
        raise ValueError(f"monthly_premium: {exc}") from None
    full_premium, tax_credit = _optional_dollars(get, "full_premium"), _optional_dollars(get, "aptc")
    if (full_premium is None) != (tax_credit is None):
        raise ValueError("full_premium and aptc go together: give both or neither")
    if full_premium is not None and full_premium - tax_credit != premium:
        raise ValueError("full_premium minus aptc must equal monthly_premium (the member's share)")
    return RosterRow(
        line,
        get["member_id"],
        first,
        last,
        born,
        ssn,
        email,
        get["zip"],
        get["billing_account"],
        get["plan_name"],
        premium,
        subsidized in _YES,
        start,
        full_premium,
        tax_credit,
    )


def _optional_dollars(get: dict[str, str], column: str) -> int | None:
    if not get[column]:
        return None
    try:
        return money.parse_dollars(get[column])
    except money.AmountError as exc:
        raise ValueError(f"{column}: {exc}") from None


def read_csv(text: str, today: dt.date) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    """Parse a roster file: the good rows and (line, reason) for each bad one."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)}")]
    rows: list[RosterRow] = []
    errors: list[tuple[int, str]] = []
    seen_members: set[str] = set()
    seen_accounts: set[str] = set()
    seen_ssns: set[str] = set()
    for raw in reader:
        line = reader.line_num
        try:
            row = parse_row(line, raw, today)
            for value, seen, label in (
                (row.member_number, seen_members, "member_id"),
                (row.account_number, seen_accounts, "billing_account"),
                (row.ssn, seen_ssns, "ssn"),
            ):
                if value in seen:
                    raise ValueError(f"{label} appears earlier in this file")
            seen_members.add(row.member_number)
            seen_accounts.add(row.account_number)
            seen_ssns.add(row.ssn)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        rows.append(row)
    return rows, errors


def _conflict(session: Session, row: RosterRow) -> str | None:
    """Why this row can't be applied without breaking another member's record, if it can't."""
    holder = session.exec(
        select(Member.member_number).where(Member.ssn_index == crypto.ssn_blind_index(row.ssn))
    ).first()
    if holder is not None and holder != row.member_number:
        return "ssn belongs to another member"
    account = session.exec(select(BillingAccount).where(BillingAccount.account_number == row.account_number)).first()
    if account is not None:
        owner = session.get(Member, account.member_id)
        if owner.member_number != row.member_number:
            return "billing_account belongs to another member"
    return None


def _keep_one_email_of_record(session: Session, member: Member, new_email: str, now: dt.datetime) -> None:
    """The roster's email is the member's one email of record: when it changes, their portal log-in
    follows it (so codes and reset links never go to the old address), and the old address is told."""
    old_email = member.email
    if not old_email or old_email.casefold() == new_email.casefold() or member.id is None:
        return
    users = session.exec(select(User).where(User.member_id == member.id)).all()
    for user in users:
        user.email = new_email
        session.add(user)
    if users:
        mailer.enqueue_message(
            session,
            to=old_email,
            message=templates.email_changed(member.first_name, crypto.mask_email(new_email)),
            kind=NoticeKind.EMAIL_CHANGED,
            now=now,
        )


def apply_rows(
    session: Session,
    rows: Iterable[RosterRow],
    report: ImportReport,
    now: dt.datetime,
    today: dt.date | None = None,
    *,
    bill: bool = True,
) -> None:
    """Upsert members and billing accounts and issue every bill each account should have by `today`
    (default: `now`'s date in the portal's time zone), then commit once. `bill=False` is for demo
    data, which writes a past history of bills itself."""
    today = today or clock.local_date(now)
    for row in rows:
        reason = _conflict(session, row)
        if reason:
            report.errors.append((row.line, reason))
            continue
        member = session.exec(select(Member).where(Member.member_number == row.member_number)).first()
        if member is None:
            member = Member(
                member_number=row.member_number,
                created_at=now,
                updated_at=now,
                first_name="",
                last_name="",
                date_of_birth=row.date_of_birth,
                ssn_encrypted="",
                ssn_index="",
                ssn_last4="",
                email="",
                zip_code="",
            )
            report.created += 1
        else:
            report.updated += 1
        _keep_one_email_of_record(session, member, row.email, now)
        member.first_name, member.last_name = row.first_name, row.last_name
        member.name_key = validators.name_key(f"{row.first_name} {row.last_name}")
        member.date_of_birth, member.email, member.zip_code = row.date_of_birth, row.email, row.zip_code
        member.ssn_encrypted = crypto.encrypt_ssn(row.ssn, row.member_number)
        member.ssn_index, member.ssn_last4 = crypto.ssn_blind_index(row.ssn), row.ssn[-4:]
        member.updated_at = now
        session.add(member)
        session.flush()
        account = session.exec(
            select(BillingAccount).where(BillingAccount.account_number == row.account_number)
        ).first()
        if account is None:
            account = BillingAccount(
                account_number=row.account_number,
                member_id=member.id,
                plan_name="",
                monthly_premium_cents=0,
                coverage_start=row.coverage_start,
            )
        account.plan_name, account.monthly_premium_cents = row.plan_name, row.monthly_premium_cents
        account.full_premium_cents, account.tax_credit_cents = row.full_premium_cents, row.tax_credit_cents
        account.subsidized, account.coverage_start = row.subsidized, row.coverage_start
        session.add(account)
        session.flush()
        if bill:
            invoicing.issue_due_invoices(session, account, today=today, now=now)
    session.commit()


def import_roster(session: Session, text: str, *, now: dt.datetime, today: dt.date) -> ImportReport:
    """Import a whole roster file. Returns the counts and the rejected lines."""
    rows, errors = read_csv(text, today)
    report = ImportReport(errors=errors)
    try:
        apply_rows(session, rows, report, now, today)
    except Exception:
        session.rollback()
        raise
    report.errors.sort()
    return report
