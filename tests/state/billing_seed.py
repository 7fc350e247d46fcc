"""Billing history for the state tests: invoices, payments and ledger entries written through the
services, on a pinned clock, for the seeded members ALICE and BOB of `state_harness`.

`state_harness` must be imported first (it sets the test environment before hcpay_app loads);
importing `ALICE`/`BOB` from it below does that.

The clock is pinned to NOW (Tue Nov 24, 2026, noon in Boston), so every date below is fixed:

- Alice (coverage from Jan 2026, $450.00 a month): 12 invoices (Jan–Dec 2026, the last one due
  Nov 23), 10 successful $450.00 payments (one per month, Dec 20 2025 … Sep 20 2026), a pending
  $100.00 bank payment (Jun 5), two declined payments (Oct 20 and Nov 20, newer than her last
  success), a canceled one (Jul 1) and a scheduled one (Dec 1, the newest row). Ledger: billed
  $5,400.00, paid $4,600.00, so $800.00 is owed and all of it is past due. 27 history rows.
- Bob (coverage from Jan 2026, $615.00 a month): 12 invoices, one successful payment of the whole
  year ($7,380.00, Nov 2) and a declined one after it (Nov 10). Nothing owed, nothing past due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount, Payment, PaymentStatus
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.payments import records
from tests.state.state_harness import ALICE, BOB, Person, seeded_once
from tests.support.bills import issue_as_scheduled

NOW = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)  # 12:00 PM ET
TODAY = dt.date(2026, 11, 24)


def pin_clock(now: dt.datetime = NOW) -> None:
    """Move the app's one clock so that `clock.utcnow()` reads `now` (the `db` fixture resets it)."""
    clock.shift(now - clock.utcnow())


@dataclasses.dataclass
class MemberBilling:
    account_id: int
    succeeded: list[str]  # oldest first
    pending: list[str]
    declined: list[str]  # oldest first
    canceled: list[str]
    scheduled: list[str]
    invoices: int

    @property
    def references(self) -> list[str]:
        return [*self.succeeded, *self.pending, *self.declined, *self.canceled, *self.scheduled]

    @property
    def latest_succeeded(self) -> str:
        return self.succeeded[-1]

    @property
    def history_rows(self) -> int:
        """Rows of the unfiltered history: every payment plus every non-payment ledger entry."""
        return len(self.references) + self.invoices


@dataclasses.dataclass
class Billing:
    alice: MemberBilling
    bob: MemberBilling


def account_of(person: Person) -> BillingAccount:
    with session_scope() as s:
        return s.exec(select(BillingAccount).where(BillingAccount.account_number == person.account_number)).one()


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=dt.UTC)


def _pay(
    s,
    account: BillingAccount,
    cents: int,
    on: dt.date,
    status: str,
    *,
    kind: str = "card",
    label: str = "Visa ••••4242",
    reason: str | None = None,
) -> Payment:
    payment = records.create(
        s,
        account_id=account.id,
        amount_cents=cents,
        method_kind=kind,
        method_label=label,
        payment_date=on,
        status=status,
        now=min(_at(on), NOW),
        note=reason or "",
    )
    if reason:
        payment.reason_code, payment.reason_message = "card_declined", reason
        s.add(payment)
    if status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING):
        ledger.post_payment(s, payment, effective_on=on, now=min(_at(on), NOW))
        coverage.refresh_after_payment(s, account, on)
    s.flush()
    return payment


def _member(person: Person, plan: list[tuple[int, dt.date, str]]) -> MemberBilling:
    with session_scope() as s:
        account = s.exec(select(BillingAccount).where(BillingAccount.account_number == person.account_number)).one()
        invoices = issue_as_scheduled(s, account, today=TODAY, now=NOW)
        made = {
            status: []
            for status in (
                PaymentStatus.SUCCEEDED,
                PaymentStatus.PENDING,
                PaymentStatus.DECLINED,
                PaymentStatus.CANCELED,
                PaymentStatus.SCHEDULED,
            )
        }
        for cents, on, status in sorted(plan, key=lambda p: p[1]):
            kind, label = (
                ("bank", "Checking ••••6789") if status == PaymentStatus.PENDING else ("card", "Visa ••••4242")
            )
            reason = "Your card was declined. Nothing was charged." if status == PaymentStatus.DECLINED else None
            made[status].append(_pay(s, account, cents, on, status, kind=kind, label=label, reason=reason).reference)
        s.commit()
        return MemberBilling(
            account.id,
            made[PaymentStatus.SUCCEEDED],
            made[PaymentStatus.PENDING],
            made[PaymentStatus.DECLINED],
            made[PaymentStatus.CANCELED],
            made[PaymentStatus.SCHEDULED],
            invoices,
        )


ALICE_PLAN = [
    *[(45000, dt.date(2026 - (m == 0), 12 if m == 0 else m, 20), PaymentStatus.SUCCEEDED) for m in range(10)],
    (10000, dt.date(2026, 6, 5), PaymentStatus.PENDING),
    (45000, dt.date(2026, 7, 1), PaymentStatus.CANCELED),
    (45000, dt.date(2026, 10, 20), PaymentStatus.DECLINED),
    (80000, dt.date(2026, 11, 20), PaymentStatus.DECLINED),
    (80000, dt.date(2026, 12, 1), PaymentStatus.SCHEDULED),
]
BOB_PLAN = [
    (12 * 61500, dt.date(2026, 11, 2), PaymentStatus.SUCCEEDED),
    (61500, dt.date(2026, 11, 10), PaymentStatus.DECLINED),
]


def seed_billing() -> Billing:
    """Pin the clock and give Alice and Bob the billing history described above (committed)."""
    pin_clock()
    return Billing(alice=_member(ALICE, ALICE_PLAN), bob=_member(BOB, BOB_PLAN))


@pytest.fixture
def billing(db: str, tmp_path_factory: pytest.TempPathFactory) -> Billing:
    """`seed_billing` on this test's database: seeded once per run and copied afterwards (seeding
    was most of a billing test's time), with the clock pinned again."""
    seeded = seeded_once("billing", db, tmp_path_factory, seed_billing)
    pin_clock()
    return seeded
