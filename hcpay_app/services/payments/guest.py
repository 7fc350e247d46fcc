"""Guest payment: pay without logging in, after proving the billing account with its ZIP code and
the member's date of birth. Rate-limited per client and per account; shows only initials and the
amount due. The payment itself is submitted through `submit`, which checks the account again: its
coverage may have ended between verification and the click on "Submit payment".

A guest has no session to come back with, so a payment that went through comes with a receipt link
of its own: a random token, kept only as its hash, bound to that one payment and expiring after
`HCPAY_GUEST_RECEIPT_TTL`. The payer may give an email address for their own copy of the receipt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg, join
from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    GuestReceiptToken,
    Member,
    MethodKind,
    NoticeKind,
    Payment,
    PaymentStatus,
)
from hcpay_app.services.adapters import crypto, mailer
from hcpay_app.services.common import contact, money, ratelimit, validators
from hcpay_app.services.common.errors import (
    FieldChecks,
    NotAllowed,
    NotFound,
    RateLimited,
    ValidationError,
    VerificationFailed,
)
from hcpay_app.services.common.messages import Message
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.payments import card_guard, checkout, statuses

NO_MATCH = Msg("We couldn't find a billing account with those details. Check them against your bill and try again.")
COVERAGE_ENDED = Msg(
    "The coverage on this billing account has ended, so we can't take a payment for it online. "
    "Nothing was charged. Please call Customer Service about your balance or about enrolling again."
)
RECEIPT_NOT_FOUND = Msg("This receipt link has expired or is not valid.")
PER_CLIENT_PER_HOUR = 10
PER_ACCOUNT_PER_HOUR = 5
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-]{40,64}")


def coverage_ended_message() -> str:
    """Why no payment is taken for an ended coverage, with Customer Service's number and hours."""
    return contact.contact_us(COVERAGE_ENDED)


@dataclasses.dataclass(frozen=True)
class GuestAccount:
    account_id: int
    initials: str
    amount_due: str
    amount_due_cents: int
    maximum_cents: int
    account_ending: str = ""  # the billing account's last 4 digits, for "account ending 4321"

    @property
    def amount_prefill(self) -> str:
        """What the amount field starts with: what is due, as plain dollars ("800.00"), or empty."""
        return plain_dollars(self.amount_due_cents) if self.amount_due_cents >= MINIMUM_PAYMENT_CENTS else ""


def plain_dollars(cents: int) -> str:
    """ "1234.50": dollars as a member would type them, exact from cents."""
    whole, part = divmod(max(cents, 0), 100)
    return f"{whole}.{part:02d}"


def clean_account_number(account_number: object) -> str:
    """The billing account number as typed on the first step; raises ValidationError if malformed."""
    number = account_number.strip() if isinstance(account_number, str) else ""
    if not re.fullmatch(r"[0-9]{9}", number):
        message = Msg("Billing account numbers are 9 digits, as shown on your bill.")
        raise ValidationError({"account_number": message}, message)
    return number


def clean_zip(zip_code: object) -> str:
    zip_text = zip_code.strip()[:10] if isinstance(zip_code, str) else ""
    if not re.fullmatch(r"[0-9]{5}", zip_text):
        message = Msg("Enter the 5-digit ZIP code on your account.")
        raise ValidationError({"zip_code": message}, message)
    return zip_text


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
    checks = FieldChecks()
    number = checks.run(lambda: clean_account_number(account_number), "")
    zip_text = checks.run(lambda: clean_zip(zip_code), "")
    born = checks.run(lambda: validators.parse_date(date_of_birth, "date_of_birth", "date of birth"))
    checks.raise_if_any()
    hour = dt.timedelta(hours=1)
    buckets = [(f"guest-ip:{client_key}", PER_CLIENT_PER_HOUR), (f"guest-account:{number}", PER_ACCOUNT_PER_HOUR)]
    if ratelimit.any_reached(session, [(bucket, limit, hour) for bucket, limit in buckets], now=now):
        raise RateLimited(Msg("Too many attempts. For your security, please wait an hour or log in to pay."))
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
        account.account_number[-4:],
    )


class CoverageEnded(NotAllowed):
    """The account's coverage ended after the guest verified it: no payment is taken."""

    def __init__(self, message: str | None = None):
        super().__init__(message or coverage_ended_message())


def clean_payer_email(raw: object, field: str = "payer_email") -> str:
    """The optional address the payer wants their own receipt at: "" when left blank."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    return validators.clean_email(raw, field)


def authorization(
    *,
    method_kind: str,
    amount_cents: int,
    method_label: str,
    account_ending: str,
    today: dt.date,
    contact_details: contact.SupportContact | None = None,
) -> str:
    """The words the payer agrees to on the review: amount, date, the masked method and billing
    account, and how to revoke (a bank debit) or dispute (a card charge) — with the number to call."""
    details = contact_details or contact.support_contact()
    amount, day = money.format_cents(amount_cents), Dated(today)
    if account_ending:
        billing = Msg("billing account ending {last4}", last4=account_ending)
    else:
        billing = Msg("this billing account")
    if details.hours:
        call = Msg(
            "{name} at {phone} ({hours})", name=contact.CUSTOMER_SERVICE, phone=details.phone, hours=details.hours
        )
    else:
        call = Msg("{name} at {phone}", name=contact.CUSTOMER_SERVICE, phone=details.phone)
    words = {"amount": amount, "method": method_label, "day": day, "billing": billing, "call": call}
    if method_kind == MethodKind.BANK:
        return Msg(
            "By selecting Submit payment, you authorize the Health Connector to make a one-time electronic "
            "debit of {amount} from your {method} on {day}, for {billing}. You confirm you may "
            "authorize debits from this bank account. To revoke this authorization, call {call} before "
            "the debit is sent to your bank. A debit that comes back unpaid may be charged again by your bank.",
            **words,
        )
    return Msg(
        "By selecting Submit payment, you authorize the Health Connector to charge {amount} to your "
        "{method} on {day}, for {billing}. This is a one-time charge. If you did not mean to make "
        "it, or to question it, call {call}.",
        **words,
    )


@dataclasses.dataclass(frozen=True)
class GuestResult(checkout.PaymentResult):
    """How a guest payment went, plus the raw receipt token (shown once, only to this payer)."""

    receipt_token: str = ""
    emailed_to: str = ""


def submit(
    session: Session,
    *,
    account_id: int,
    idempotency_key: object,
    amount_cents: int,
    choice: checkout.MethodChoice,
    now: dt.datetime,
    today: dt.date,
    payer_email: object = "",
    payer: card_guard.Payer | None = None,
    language: str | None = None,
) -> GuestResult:
    """Submit a verified guest's payment, checking first that the account's coverage hasn't ended
    since `verify` (the daily job may have terminated it meanwhile). Refused, nothing is charged or
    written. A payment already made with this idempotency key is still reported as made.

    A payment that went through (paid, or a bank debit on its way) comes with a new receipt token;
    the first time, the payer's own receipt is emailed to `payer_email` when they gave one (the
    account holder gets theirs from checkout as always), in `language` (the page's: a guest has no
    login to keep one on)."""
    email = clean_payer_email(payer_email)
    account = session.get(BillingAccount, account_id) if type(account_id) is int else None
    if account is not None:
        session.refresh(account)  # the status now, not as this session first read it
        made = (
            isinstance(idempotency_key, str)
            and session.exec(select(Payment.id).where(Payment.idempotency_key == idempotency_key)).first() is not None
        )
        if account.coverage_status == CoverageStatus.TERMINATED and not made:
            raise CoverageEnded()
    result = checkout.submit_guest(
        session,
        account_id=account_id,
        idempotency_key=idempotency_key,
        amount_cents=amount_cents,
        choice=choice,
        now=now,
        today=today,
        payer=payer,
    )
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(checkout.PaymentResult)}
    payment = session.exec(select(Payment).where(Payment.reference == result.reference)).first()
    if result.declined or payment is None or payment.status not in RECEIPT_STATUSES:
        return GuestResult(**fields)
    first_time = (
        session.exec(select(GuestReceiptToken.id).where(GuestReceiptToken.payment_id == payment.id)).first() is None
    )
    token = issue_receipt_token(session, payment, now=now)
    account = session.get(BillingAccount, payment.billing_account_id)
    holder = session.get(Member, account.member_id)
    if email and first_time and email.casefold() != holder.email.casefold():  # the holder gets theirs anyway
        mailer.enqueue_message(
            session,
            to=email,
            message=payer_receipt(payment, account.account_number[-4:]),
            kind=NoticeKind.PAYMENT_PENDING if payment.status == PaymentStatus.PENDING else NoticeKind.PAYMENT_RECEIPT,
            now=now,
            language=language,
        )
    session.commit()
    return GuestResult(**fields, receipt_token=token, emailed_to=email if first_time else "")


# What a guest receipt covers: money received, or a bank debit on its way.
RECEIPT_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)


def payer_receipt(payment: Payment, account_ending: str) -> Message:
    """The payer's own copy: the payment only — no name, no balance, nothing about the account
    beyond its last 4 digits."""
    cleared = payment.status == PaymentStatus.SUCCEEDED
    if cleared:
        subject = Msg("Your Health Connector payment receipt {reference}", reference=payment.reference)
    else:
        subject = Msg("We received your Health Connector payment {reference}", reference=payment.reference)
    body = join(
        "\n",
        [
            Msg("Thank you for your payment."),
            "",
            Msg("Reference number: {reference}", reference=payment.reference),
            Msg("Amount: {amount}", amount=money.format_cents(payment.amount_cents)),
            Msg("Paid with: {method}", method=payment.method_label),
            Msg("Payment date: {day}", day=Dated(payment.payment_date)),
            Msg("For: billing account ending {last4}", last4=account_ending),
            Msg("Status: {status}", status=statuses.LABELS.get(payment.status, payment.status)),
            "",
            statuses.explain(payment),
            Msg("Keep this email for your records."),
        ],
    )
    return Message(subject, body)


def issue_receipt_token(session: Session, payment: Payment, *, now: dt.datetime) -> str:
    """A new receipt link token for this payment, in the caller's transaction: returns the raw
    token (never stored); the table keeps its hash, the payment and when it expires."""
    raw = crypto.new_token()
    ttl = dt.timedelta(seconds=get_settings().guest_receipt_ttl)
    session.add(
        GuestReceiptToken(
            token_hash=crypto.hash_token(raw), payment_id=payment.id, created_at=now, expires_at=now + ttl
        )
    )
    return raw


def receipt_payment(session: Session, token: object, *, now: dt.datetime) -> tuple[Payment, BillingAccount]:
    """The payment a receipt token opens, while it is valid. Anything else — a malformed, unknown
    or expired token, or a payment that is no longer paid or on its way — reads as not found."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        raise NotFound(RECEIPT_NOT_FOUND)
    row = session.exec(
        select(GuestReceiptToken).where(GuestReceiptToken.token_hash == crypto.hash_token(token))
    ).first()
    if row is None or _aware(row.expires_at) <= now:
        raise NotFound(RECEIPT_NOT_FOUND)
    payment = session.get(Payment, row.payment_id)
    if payment is None or payment.status not in RECEIPT_STATUSES:
        raise NotFound(RECEIPT_NOT_FOUND)
    return payment, session.get(BillingAccount, payment.billing_account_id)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
