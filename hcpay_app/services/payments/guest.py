"""Guest payment: pay without logging in, after proving the billing account with its ZIP code and
the member's date of birth. Rate-limited per client and per account; shows only initials and the
amount due. The payment itself is submitted through `submit`, which checks the account again: its
coverage may have ended between verification and the click on "Submit payment"."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlmodel import Session, select

from hcpay_app.models import BillingAccount, CoverageStatus, Member, Payment
from hcpay_app.services.common import money, ratelimit, validators
from hcpay_app.services.common.errors import (
    FieldChecks,
    NotAllowed,
    RateLimited,
    VerificationFailed,
)
from hcpay_app.services.payments import checkout

NO_MATCH = "We couldn't find a billing account with those details. Check them against your bill and try again."
COVERAGE_ENDED = (
    "The coverage on this billing account has ended, so we can't take a payment for it online. "
    "Nothing was charged. Please call Customer Service about your balance or about enrolling again."
)
PER_CLIENT_PER_HOUR = 10
PER_ACCOUNT_PER_HOUR = 5


@dataclasses.dataclass(frozen=True)
class GuestAccount:
    account_id: int
    initials: str
    amount_due: str
    amount_due_cents: int
    maximum_cents: int


def verify(
    session: Session,
    *,
    account_number: object,
    zip_code: object,
    date_of_birth: object,
    client_key: str,
    now: dt.datetime,
    today: dt.date,
) -> GuestAccount:
    number = account_number.strip() if isinstance(account_number, str) else ""
    zip_text = zip_code.strip()[:10] if isinstance(zip_code, str) else ""
    checks = FieldChecks()
    if not re.fullmatch(r"[0-9]{9}", number):
        checks.fail("account_number", "Billing account numbers are 9 digits, as shown on your bill.")
    if not re.fullmatch(r"[0-9]{5}", zip_text):
        checks.fail("zip_code", "Enter the 5-digit ZIP code on your account.")
    born = checks.run(lambda: validators.parse_date(date_of_birth, "date_of_birth", "date of birth"))
    checks.raise_if_any()
    hour = dt.timedelta(hours=1)
    buckets = [(f"guest-ip:{client_key}", PER_CLIENT_PER_HOUR), (f"guest-account:{number}", PER_ACCOUNT_PER_HOUR)]
    if any(ratelimit.exceeded(session, bucket, limit, now=now, window=hour) for bucket, limit in buckets):
        raise RateLimited("Too many attempts. For your security, please wait an hour or log in to pay.")
    row = session.exec(
        select(BillingAccount, Member)
        .join(Member, Member.id == BillingAccount.member_id)
        .where(BillingAccount.account_number == number)
    ).first()
    matches = row is not None and row[1].zip_code[:5] == zip_text and row[1].date_of_birth == born
    if not matches or row[0].coverage_status == CoverageStatus.TERMINATED:
        for bucket, _limit in buckets:
            ratelimit.hit(session, bucket, now=now)
        session.commit()
        raise VerificationFailed(NO_MATCH)
    account, member = row
    offered = checkout.account_options(session, account, today)
    return GuestAccount(
        account.id,
        f"{member.first_name[:1]}. {member.last_name[:1]}.",
        money.format_cents(offered.amount_due_cents),
        offered.amount_due_cents,
        offered.maximum_cents,
    )


class CoverageEnded(NotAllowed):
    """The account's coverage ended after the guest verified it: no payment is taken."""

    def __init__(self, message: str = COVERAGE_ENDED):
        super().__init__(message)


def submit(
    session: Session,
    *,
    account_id: int,
    idempotency_key: object,
    amount_cents: int,
    choice: checkout.MethodChoice,
    now: dt.datetime,
    today: dt.date,
) -> checkout.PaymentResult:
    """Submit a verified guest's payment, checking first that the account's coverage hasn't ended
    since `verify` (the daily job may have terminated it meanwhile). Refused, nothing is charged or
    written. A payment already made with this idempotency key is still reported as made."""
    account = session.get(BillingAccount, account_id) if type(account_id) is int else None
    if account is not None:
        session.refresh(account)  # the status now, not as this session first read it
        made = (
            isinstance(idempotency_key, str)
            and session.exec(select(Payment.id).where(Payment.idempotency_key == idempotency_key)).first() is not None
        )
        if account.coverage_status == CoverageStatus.TERMINATED and not made:
            raise CoverageEnded()
    return checkout.submit_guest(
        session,
        account_id=account_id,
        idempotency_key=idempotency_key,
        amount_cents=amount_cents,
        choice=choice,
        now=now,
        today=today,
    )
