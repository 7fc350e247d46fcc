"""Demo data for `make run`: a roster of a few dozen members, some with portal accounts.

Deterministic, so the README can name its logins: María López owes her two newest bills (one past
due once its date has gone, the next one due after it), Member 04 has a credit, and Jordan Avery —
unclaimed, for Create Account — is new, with coverage starting in two months and his first premium
(the binder) to pay. The members' past bills are written as the daily job would have issued them,
month by month on the calendar.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlmodel import Session, func, select

from hcpay_app.config import get_settings
from hcpay_app.models import BillingAccount, Member, MethodKind, PaymentSource, PaymentStatus, User
from hcpay_app.services.adapters import passwords
from hcpay_app.services.billing import coverage, invoicing, ledger
from hcpay_app.services.common import dates, validators
from hcpay_app.services.jobs import roster
from hcpay_app.services.payments import records

DEMO_PASSWORD = "Harbor-Lantern-Maple-42"
READY_LOGIN = {"username": "maria.lopez", "member_number": "100000000001"}
CREDIT_LOGIN = {"username": "member04", "member_number": "100000000004"}
CREDIT_CENTS = 4000  # what Member 04 paid over their newest bill
UNCLAIMED = {
    "first_name": "Jordan",
    "last_name": "Avery",
    "date_of_birth": dt.date(1988, 7, 14),
    "ssn": "212-48-7731",
    "email": "jordan.avery@example.com",
}
PLANS = (
    ("ConnectorCare Plan 2A", [0, 5000, 8900]),
    ("Bronze Saver HMO", [31200, 35400, 38900]),
    ("Silver Select PPO", [46800, 51250, 55900]),
    ("Gold Access HMO", [61500, 68800]),
)
FIRST = [
    "Aisha",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiroshi",
    "Ines",
    "Jamal",
    "Kateřina",
    "Liam",
    "Mei",
    "Nadia",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tomás",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoë",
    "Anne-Marie",
    "Seán",
    "Lucía",
    "Noah",
    "Fatima",
    "Diego",
]
LAST = [
    "Okafor",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "García",
    "Haddad",
    "Smith-Jones",
    "Tanaka",
    "Silva",
    "Washington",
    "Novák",
    "Murphy",
    "Chen",
    "Rahman",
    "Price",
    "Patel",
    "Fitzgerald",
    "Martínez",
    "Levi",
    "Ferreira",
    "Iyer",
    "Dubois",
    "Li",
    "Hernández",
    "Demir",
    "Müller",
    "Leblanc",
    "Ó Súilleabháin",
    "Romero",
    "Johnson",
    "Al-Sayed",
    "Ramírez",
]


def _ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area == 666:
            continue
        candidate = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        try:
            return validators.clean_ssn(candidate)
        except Exception:  # noqa: BLE001 — draw again until stdnum accepts it
            continue


def demo_rows(today: dt.date) -> list[roster.RosterRow]:
    """The demo roster: the ready login, the unclaimed identity and 34 more members."""
    rng = random.Random(2026)
    rows = [
        roster.RosterRow(
            1,
            READY_LOGIN["member_number"],
            "María",
            "López",
            dt.date(1979, 3, 22),
            "318-62-4470",
            "maria.lopez@example.com",
            "02134",
            "500000001",
            "Silver Select PPO",
            51250,
            False,
            dates.add_months(dates.first_of_month(today), -17),
        ),
        roster.RosterRow(
            2,
            "100000000002",
            UNCLAIMED["first_name"],
            UNCLAIMED["last_name"],
            UNCLAIMED["date_of_birth"],
            validators.clean_ssn(UNCLAIMED["ssn"]),
            UNCLAIMED["email"],
            "01608",
            "500000002",
            "ConnectorCare Plan 2A",
            8900,
            True,
            dates.add_months(dates.first_of_month(today), 2),
        ),
    ]
    used = {rows[0].ssn, rows[1].ssn}
    for n in range(3, 37):
        first, last = FIRST[(n * 7) % len(FIRST)], LAST[(n * 11) % len(LAST)]
        ssn = _ssn(rng)
        while ssn in used:
            ssn = _ssn(rng)
        used.add(ssn)
        plan, premiums = PLANS[n % len(PLANS)]
        subsidized = plan.startswith("ConnectorCare")
        born = dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        email = f"{validators.name_key(first).replace(' ', '')}.{n}@example.com".replace("'", "")
        rows.append(
            roster.RosterRow(
                n,
                f"1000000000{n:02d}",
                first,
                last,
                born,
                ssn,
                email,
                f"0{rng.randint(1000, 2799):04d}",
                f"5000000{n:02d}",
                plan,
                rng.choice(premiums),
                subsidized,
                dates.add_months(dates.first_of_month(today), -rng.randint(1, 17)),
            )
        )
    return rows


def seed(session: Session, *, now: dt.datetime, today: dt.date) -> roster.ImportReport:
    """Load the demo roster and give every third member (and the ready login) a portal account."""
    report = roster.ImportReport()
    rows = demo_rows(today)
    roster.apply_rows(session, rows, report, now, today, bill=False)
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    claimed = {READY_LOGIN["member_number"]: READY_LOGIN["username"]}
    claimed.update(
        {row.member_number: f"member{row.member_number[-2:]}" for row in rows[2:] if (row.line - 1) % 3 == 0}
    )
    for member_number, username in claimed.items():
        member = session.exec(select(Member).where(Member.member_number == member_number)).one()
        taken = session.exec(
            select(User.id).where((User.member_id == member.id) | (User.username_key == username.casefold()))
        ).first()
        if taken:
            continue
        session.add(
            User(
                member_id=member.id,
                username=username,
                username_key=username.casefold(),
                email=member.email,
                password_hash=password_hash,
                verified_at=now,
                password_changed_at=now,
                created_at=now,
            )
        )
    session.commit()
    demo_accounts = [row.account_number for row in rows]
    for account in session.exec(select(BillingAccount).where(BillingAccount.account_number.in_(demo_accounts))).all():
        _history(session, account, random.Random(account.account_number), today=today, now=now)
    session.commit()
    return report


CARD = (MethodKind.CARD, "Visa ••••4242")
BANK = (MethodKind.BANK, "Checking ••••6789")


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 17, 0, tzinfo=dt.UTC)


def _pay(
    session: Session,
    account: BillingAccount,
    amount: int,
    day: dt.date,
    method: tuple[str, str],
    *,
    today: dt.date,
    returned: bool = False,
) -> None:
    """A past payment as the real flow would have left it: timeline, ledger, and any return."""
    kind, label = method
    day = min(day, today)
    at = _noon(day)
    first = PaymentStatus.PENDING if kind == MethodKind.BANK else PaymentStatus.SUCCEEDED
    payment = records.create(
        session,
        account_id=account.id,
        amount_cents=amount,
        method_kind=kind,
        method_label=label,
        payment_date=day,
        status=first,
        now=at,
        source=PaymentSource.DEMO,
        note="Submitted online",
    )
    ledger.post_payment(session, payment, effective_on=day, now=at)
    if kind == MethodKind.BANK:
        settle = dates.add_business_days(day, get_settings().bank_settle_business_days)
        payment.expected_settle_on = settle
        if settle > today:
            session.add(payment)
        elif returned:
            payment.reason_code = "R01"
            payment.reason_message = "There weren't enough funds in the account (R01)."
            records.move(session, payment, PaymentStatus.RETURNED, now=_noon(settle), note="Returned by your bank: R01")
            ledger.post_reversal(
                session, payment, effective_on=settle, now=_noon(settle), reason="insufficient funds (R01)"
            )
        else:
            records.move(session, payment, PaymentStatus.SUCCEEDED, now=_noon(settle), note="Settled")


def _history(
    session: Session, account: BillingAccount, rng: random.Random, *, today: dt.date, now: dt.datetime
) -> None:
    """Up to 18 months of realistic history: bills issued on their calendar dates, payments mostly
    on time, some late, a partial payment, one returned bank debit; some members still owe their
    newest bill (María her two newest), Member 04 paid a little more than owed."""
    if session.exec(
        select(func.count()).select_from(ledger.LedgerEntry).where(ledger.LedgerEntry.billing_account_id == account.id)
    ).one():
        return
    for month in dates.months_to_invoice(account.coverage_start, today):
        issued = dates.issue_date(month)
        invoicing.issue_due_invoices(session, account, today=issued, now=_noon(issued))
    invoicing.issue_due_invoices(session, account, today=today, now=now)  # a new member's binder
    invoices = ledger.positions(session, account.id, today)
    method = CARD if rng.random() < 0.6 else BANK
    maria = account.account_number == "500000001"
    in_credit = account.account_number == "500000004"
    newly_enrolled = account.coverage_start > today  # Jordan: nothing paid yet
    leave_unpaid = (rng.random() < 0.2 or maria or newly_enrolled) and not in_credit
    paid_through = invoices[:-2] if maria else invoices[:-1]
    for index, invoice in enumerate(paid_through):
        amount = invoice.amount_cents
        if amount == 0:
            continue
        style = rng.random()
        if index == 3 and method == BANK:
            _pay(session, account, amount, invoice.due_on - dt.timedelta(days=2), BANK, today=today, returned=True)
            _pay(session, account, amount, invoice.due_on + dt.timedelta(days=6), CARD, today=today)
        elif style < 0.1 and amount > 200:
            half = amount // 2
            _pay(session, account, half, invoice.due_on - dt.timedelta(days=1), method, today=today)
            _pay(session, account, amount - half, invoice.due_on + dt.timedelta(days=9), method, today=today)
        elif style < 0.25:
            _pay(session, account, amount, invoice.due_on + dt.timedelta(days=rng.randint(3, 20)), method, today=today)
        else:
            _pay(session, account, amount, invoice.due_on - dt.timedelta(days=rng.randint(0, 10)), method, today=today)
    # Most members have paid their newest invoice; some (and the README's ready login) still owe it.
    if invoices and not leave_unpaid and invoices[-1].amount_cents:
        last = invoices[-1]
        on = min(last.due_on - dt.timedelta(days=rng.randint(0, 5)), today)
        if in_credit:  # by card, so the credit has cleared
            _pay(session, account, last.amount_cents + CREDIT_CENTS, on, CARD, today=today)
        else:
            _pay(session, account, last.amount_cents, on, method, today=today)
    coverage.refresh_after_payment(session, account, today)


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Member)).one() == 0
