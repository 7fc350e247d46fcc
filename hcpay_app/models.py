"""Every table of the portal — the one source of truth for the schema.

Money is integer cents. Member dates are `date`; timestamps are aware UTC `datetime`.
Secrets are never stored in the clear: SSNs are encrypted with a keyed blind index beside them,
and every token or code is kept only as a hash.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from hcpay_app.i18n.languages import Language


class EnumText(TypeDecorator):
    """A StrEnum kept as its plain text value (the column stays VARCHAR, so no data migration).
    Writing a value outside the enum fails loudly; reading gives the enum member back (or the raw
    text, for a value an older release wrote and this one no longer knows)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value


def enum_field(enum: type[StrEnum], length: int, **kwargs):
    """A model field holding one of `enum`'s values."""
    return Field(sa_type=EnumText(enum, length), **kwargs)


class NoticeKind(StrEnum):
    """What a notice (in the portal) or an email is about: one vocabulary for both."""

    ACCOUNT_CREATED = "account_created"
    AUTOPAY_CHANGE = "autopay_change"
    AUTOPAY_CHARGED = "autopay_charged"
    AUTOPAY_FAILED = "autopay_failed"
    AUTOPAY_NOTICE = "autopay_notice"
    CARD_EXPIRING = "card_expiring"
    DUPLICATE_REGISTRATION = "duplicate_registration"
    EMAIL_CHANGED = "email_changed"
    LATE_FEE = "late_fee"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    PAST_DUE = "past_due"
    PAST_DUE_WARNING = "past_due_warning"
    PAYMENT_CANCELED = "payment_canceled"
    PAYMENT_CANCELED_BY_SUPPORT = "payment_canceled_by_support"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_DISPUTED = "payment_disputed"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_RECEIPT = "payment_receipt"
    PAYMENT_REMINDER = "payment_reminder"
    PAYMENT_RETURNED = "payment_returned"
    PAYMENT_SCHEDULED = "payment_scheduled"
    PAYMENT_SETTLED = "payment_settled"
    DISPUTE_CLOSED = "dispute_closed"
    PLAN_COMPLETED = "plan_completed"
    PLAN_CREATED = "plan_created"
    PLAN_ENDED = "plan_ended"
    REFUND_DECLINED = "refund_declined"
    REFUND_FAILED = "refund_failed"
    REFUND_ISSUED = "refund_issued"
    REFUND_REQUESTED = "refund_requested"
    TERMINATED = "terminated"
    TERMINATION_WARNING = "termination_warning"
    TICKET_RECEIVED = "ticket_received"
    TICKET_REPLY = "ticket_reply"
    USERNAME_REMINDER = "username_reminder"
    VERIFICATION_CODE = "verification_code"


class MandateStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELED = "canceled"


class AmountRule(StrEnum):
    FULL = "full"
    FIXED = "fixed"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class AutopayRunStatus(StrEnum):
    CHARGING = "charging"
    PAID = "paid"
    RETRYING = "retrying"
    FAILED = "failed"


class PlanStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ENDED = "ended"


class InstallmentStatus(StrEnum):
    DUE = "due"
    PAID = "paid"
    MISSED = "missed"


class CoverageStatus(StrEnum):
    PENDING_FIRST_PAYMENT = "pending_first_payment"
    ACTIVE = "active"
    IN_GRACE = "in_grace"
    TERMINATED = "terminated"


class Role(StrEnum):
    MEMBER = "member"
    SUPPORT = "support"


class Member(SQLModel, table=True):
    """An enrolled person as the Health Connector's roster knows them."""

    id: int | None = Field(default=None, primary_key=True)
    member_number: str = Field(max_length=12, unique=True, index=True)
    first_name: str = Field(max_length=60)
    last_name: str = Field(max_length=60)
    # "first last", case-, accent- and apostrophe-folded, for staff search.
    name_key: str = Field(default="", max_length=130, index=True)
    date_of_birth: dt.date
    ssn_encrypted: str = Field(max_length=200)
    ssn_index: str = Field(max_length=64, unique=True, index=True)
    ssn_last4: str = Field(max_length=4)
    email: str = Field(max_length=254)
    zip_code: str = Field(max_length=10)
    created_at: dt.datetime
    updated_at: dt.datetime


class BillingAccount(SQLModel, table=True):
    """A premium-billing account: plan, premium and coverage status."""

    id: int | None = Field(default=None, primary_key=True)
    account_number: str = Field(max_length=9, unique=True, index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    plan_name: str = Field(max_length=120)
    monthly_premium_cents: int  # the member's share: what each bill asks them to pay
    # From the roster when it has them: the plan's full premium and the tax credit (APTC or
    # ConnectorCare subsidy) that pays the rest. Shown on bills and the yearly tax summary.
    full_premium_cents: int | None = None
    tax_credit_cents: int | None = None
    subsidized: bool = False
    coverage_start: dt.date
    coverage_status: CoverageStatus = enum_field(CoverageStatus, 32, default=CoverageStatus.PENDING_FIRST_PAYMENT)
    grace_ends_on: dt.date | None = None
    terminated_on: dt.date | None = None


class User(SQLModel, table=True):
    """A portal login. Exists only once the member has verified their identity."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", unique=True)
    username: str = Field(max_length=32)
    username_key: str = Field(max_length=32, unique=True, index=True)
    email: str = Field(max_length=254, index=True)
    password_hash: str = Field(max_length=100)
    role: Role = enum_field(Role, 16, default=Role.MEMBER)
    verified_at: dt.datetime | None = None
    password_changed_at: dt.datetime
    created_at: dt.datetime
    last_login_at: dt.datetime | None = None
    # The language the member reads the portal, emails and documents in (chosen on any page).
    language: Language = enum_field(Language, 8, default=Language.EN)


class LoginThrottle(SQLModel, table=True):
    """Failed log-ins per username key, kept even for unknown names so lockout reveals nothing."""

    id: int | None = Field(default=None, primary_key=True)
    username_key: str = Field(max_length=80, unique=True, index=True)
    failures: int = 0
    window_started_at: dt.datetime
    locked_until: dt.datetime | None = None


class AuthSession(SQLModel, table=True):
    """A server-issued log-in session; the browser holds the raw token, we hold its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None = None


class PendingRegistration(SQLModel, table=True):
    """A Create Account in progress: roster match done, waiting for credentials and the code."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    username: str | None = Field(default=None, max_length=32)
    username_key: str | None = Field(default=None, max_length=32)
    password_hash: str | None = Field(default=None, max_length=100)
    code_hash: str | None = Field(default=None, max_length=64)
    code_expires_at: dt.datetime | None = None
    code_attempts: int = 0
    code_sends: int = 0
    code_sent_at: dt.datetime | None = None
    created_at: dt.datetime
    expires_at: dt.datetime


class PasswordResetToken(SQLModel, table=True):
    """A single-use reset link; dead once used, expired, or the password changed."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class RateLimitHit(SQLModel, table=True):
    """One counted attempt (registration match, recovery request) under a bucket key."""

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=120, index=True)
    at: dt.datetime = Field(index=True)


class OutboundEmail(SQLModel, table=True):
    """The outbox: every email is written here in the same transaction as its cause."""

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=200)
    body: str
    kind: NoticeKind = enum_field(NoticeKind, 40)
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)


class AuditEvent(SQLModel, table=True):
    """Who did what, when — never a secret in `detail`."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    action: str = Field(max_length=60, index=True)
    actor_user_id: int | None = Field(default=None, index=True)
    subject_user_id: int | None = Field(default=None, index=True)
    ip: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", max_length=500)


class EntryKind(StrEnum):
    """Ledger entry kinds. Charges carry an invoice id; money movements don't."""

    PREMIUM = "premium"
    LATE_FEE = "late_fee"
    FEE_WAIVER = "fee_waiver"
    ADJUSTMENT = "adjustment"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    CREDIT = "credit"
    # Money going back (issue 18): a refund paid out of a payment; a card payment the cardholder
    # disputed (taken back like a returned bank debit), the processor's dispute fee (a charge on a
    # bill), and a dispute the portal won (the payment counts again).
    REFUND = "refund"
    DISPUTE = "dispute"
    DISPUTE_FEE = "dispute_fee"
    DISPUTE_WON = "dispute_won"
    # A credit taken by a new bill: a pair (applied −, used +) that records it and sums to zero.
    CREDIT_APPLIED = "credit_applied"


class Invoice(SQLModel, table=True):
    """One coverage month's bill. Its amount and status follow from the ledger."""

    __table_args__ = (
        UniqueConstraint("billing_account_id", "coverage_month"),
        Index("ix_invoice_account_due", "billing_account_id", "due_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    coverage_month: dt.date
    issued_on: dt.date
    due_on: dt.date
    premium_cents: int
    # The account's full premium and tax credit when the bill was issued, if the roster had them.
    full_premium_cents: int | None = None
    tax_credit_cents: int | None = None
    created_at: dt.datetime


class LedgerEntry(SQLModel, table=True):
    """A signed amount in cents: positive adds to what the member owes, negative pays it down.
    The balance is always the sum of these rows."""

    __table_args__ = (
        Index("ix_ledger_account_date", "billing_account_id", "effective_on", "id"),
        Index("ix_ledger_account_invoice", "billing_account_id", "invoice_id", "amount_cents"),
        # A payment is posted once and reversed at most once, whatever retries happen.
        UniqueConstraint("payment_id", "kind", name="uq_ledger_payment_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id")
    kind: EntryKind = enum_field(EntryKind, 20)
    amount_cents: int
    effective_on: dt.date
    created_at: dt.datetime
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    description: str = Field(default="", max_length=200)
    # A refund's entry names its refund (a payment may be refunded in several parts).
    refund_id: int | None = Field(default=None, foreign_key="refund.id", index=True)


class PaymentStatus(StrEnum):
    SCHEDULED = "scheduled"
    PROCESSING = "processing"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    RETURNED = "returned"
    CANCELED = "canceled"
    DISPUTED = "disputed"


class PaymentSource(StrEnum):
    """Who or what started a payment."""

    MEMBER = "member"
    GUEST = "guest"
    AUTOPAY = "autopay"
    PLAN = "plan"
    DEMO = "demo"


class MethodKind(StrEnum):
    CARD = "card"
    BANK = "bank"


class Payment(SQLModel, table=True):
    """One attempt to pay, with its public reference number. Only the masked method is kept."""

    __table_args__ = (Index("ix_payment_account_date", "billing_account_id", "payment_date", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=24, unique=True, index=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    amount_cents: int
    method_kind: MethodKind = enum_field(MethodKind, 10)
    method_label: str = Field(max_length=60)
    status: PaymentStatus = enum_field(PaymentStatus, 16, index=True)
    payment_date: dt.date
    expected_settle_on: dt.date | None = None
    reason_code: str | None = Field(default=None, max_length=20)
    reason_message: str | None = Field(default=None, max_length=300)
    idempotency_key: str | None = Field(default=None, max_length=64, unique=True)
    source: PaymentSource = enum_field(PaymentSource, 16, default=PaymentSource.MEMBER)
    payment_method_id: int | None = Field(default=None, foreign_key="paymentmethod.id", index=True)
    # The processor's token for the method (never a card or account number), kept so a scheduled
    # or interrupted payment can be charged or reconciled later.
    processor_token: str | None = Field(default=None, max_length=80)
    processor_ref: str | None = Field(default=None, max_length=80)
    # What has been refunded of it, pending refunds included: raised by one conditional UPDATE that
    # refuses to pass `amount_cents`, so two refunds at once can never return more than was paid.
    refunded_cents: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime


class PaymentEvent(SQLModel, table=True):
    """The timeline of a payment, as the member sees it on its status page."""

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    at: dt.datetime
    status: PaymentStatus = enum_field(PaymentStatus, 16)
    note: str = Field(default="", max_length=300)


class PaymentMethod(SQLModel, table=True):
    """A saved card or bank account: the processor's token and what a member needs to recognise
    it. Never a full card or account number, never a CVC."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: MethodKind = enum_field(MethodKind, 10)
    processor_token: str = Field(max_length=80)
    brand: str = Field(max_length=30)  # "Visa", "Mastercard", … or "Checking" / "Savings"
    last4: str = Field(max_length=4)
    exp_month: int | None = None
    exp_year: int | None = None
    nickname: str = Field(default="", max_length=40)
    is_default: bool = False
    created_at: dt.datetime
    removed_at: dt.datetime | None = None


class SandboxCharge(SQLModel, table=True):
    """The sandbox processor's own record of charges (a real processor keeps this on its side).
    Its unique idempotency key makes a retried charge return the first result."""

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    processor_ref: str = Field(max_length=80, unique=True)
    token: str = Field(max_length=80)
    amount_cents: int
    outcome: str = Field(max_length=30)
    created_at: dt.datetime


class OnceMarker(SQLModel, table=True):
    """Something that must happen at most once (a reminder per invoice and offset, a late fee per
    invoice, an autopay notice per period…). Inserting the key in the same transaction as the
    action makes it exactly once, even when two daily jobs run at the same time."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    created_at: dt.datetime


class Notification(SQLModel, table=True):
    """The notifications center: every notice a member gets in the portal (also sent by email)."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: NoticeKind = enum_field(NoticeKind, 40)
    title: str = Field(max_length=120)
    body: str = Field(max_length=1000)
    # The page that acts on it (a path inside the portal, e.g. "/pay" or "/payment?reference=…").
    link: str = Field(default="", max_length=200)
    # The bill it is about, so a past-due notice resolves once that bill is paid.
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    created_at: dt.datetime
    read_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


class ReminderPreference(SQLModel, table=True):
    """Settings → Reminders. Without a row, reminders are on (email and in-app, 7 and 2 days
    ahead) for members without autopay."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    enabled: bool = True
    by_email: bool = True
    in_app: bool = True
    days_before: str = Field(default="7,2", max_length=40)
    updated_at: dt.datetime


class AutopayMandate(SQLModel, table=True):
    """Settings → Automatic Payments: what to charge, from which method, how often."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    payment_method_id: int = Field(foreign_key="paymentmethod.id")
    amount_rule: AmountRule = enum_field(AmountRule, 10)
    fixed_amount_cents: int | None = None
    frequency: Frequency = enum_field(Frequency, 10)
    charge_day: int
    status: MandateStatus = enum_field(MandateStatus, 10, index=True)
    paused_until: dt.date | None = None
    next_charge_on: dt.date | None = None
    authorized_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime


class AutopayRun(SQLModel, table=True):
    """One period's charge of a mandate. Unique per (mandate, period): it can never charge twice."""

    __table_args__ = (UniqueConstraint("mandate_id", "period", name="uq_autopay_mandate_period"),)

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="autopaymandate.id", index=True)
    period: dt.date
    attempts: int = 0
    status: AutopayRunStatus = enum_field(AutopayRunStatus, 12)
    next_attempt_on: dt.date | None = None
    last_payment_id: int | None = Field(default=None, foreign_key="payment.id")
    last_code: str | None = Field(default=None, max_length=30)
    created_at: dt.datetime
    updated_at: dt.datetime


class PaymentPlan(SQLModel, table=True):
    """A self-service plan splitting a past-due balance into monthly installments."""

    id: int | None = Field(default=None, primary_key=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    payment_method_id: int | None = Field(default=None, foreign_key="paymentmethod.id")
    total_cents: int
    status: PlanStatus = enum_field(PlanStatus, 12)
    accepted_at: dt.datetime
    ended_at: dt.datetime | None = None


class PlanInstallment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "ordinal"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="paymentplan.id", index=True)
    ordinal: int  # 1st, 2nd, … installment
    due_on: dt.date
    amount_cents: int
    status: InstallmentStatus = enum_field(InstallmentStatus, 10)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")


class TicketStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class SupportTicket(SQLModel, table=True):
    """Contact support: a member's request, with a public ticket number. A member who writes again
    about a closed request gets a new ticket that follows the closed one."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_number: str = Field(max_length=16, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    topic: str = Field(max_length=40)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    status: TicketStatus = enum_field(TicketStatus, 10, default=TicketStatus.OPEN, index=True)
    follows_ticket_id: int | None = Field(default=None, foreign_key="supportticket.id", index=True)
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="supportticket.id", index=True)
    author_user_id: int = Field(foreign_key="user.id")
    from_support: bool = False
    body: str = Field(max_length=2000)
    created_at: dt.datetime


class GuestReceiptToken(SQLModel, table=True):
    """A guest's link to the receipt of the one payment they just made (guests have no session):
    random, kept only as its hash, for that payment only, and short-lived."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    created_at: dt.datetime
    expires_at: dt.datetime


class StaffFactor(SQLModel, table=True):
    """A staff member's TOTP authenticator: the secret sealed with AES-GCM (never in the clear),
    when enrolment was confirmed, and the last time step a code was accepted (each code once). A
    secret being enrolled waits in `pending_secret_encrypted`: the one in use keeps working until
    the new one is confirmed."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True, index=True)
    secret_encrypted: str | None = Field(default=None, max_length=200)
    pending_secret_encrypted: str | None = Field(default=None, max_length=200)
    enrolled_at: dt.datetime | None = None
    last_step: int | None = None


class StaffEnrolToken(SQLModel, table=True):
    """A single-use, expiring enrolment link printed by `create-staff`; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class StaffRecoveryCode(SQLModel, table=True):
    """One single-use recovery code of a staff member, kept only as a keyed hash."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: dt.datetime | None = None


class RefundStatus(StrEnum):
    PENDING = "pending"
    REFUNDED = "refunded"
    FAILED = "failed"


class Refund(SQLModel, table=True):
    """Money paid back out of one settled payment, to its original method (a card refund or an ACH
    credit), with its own reference number (`RF-…`). Unique per idempotency key: a double click or
    a retried request refunds once."""

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=24, unique=True, index=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    amount_cents: int
    status: RefundStatus = enum_field(RefundStatus, 12, index=True)
    reason: str = Field(max_length=300)
    idempotency_key: str = Field(max_length=64, unique=True)
    # The staff member who issued it; None when the daily job refunded a terminated member's credit.
    staff_user_id: int | None = Field(default=None, foreign_key="user.id")
    refund_request_id: int | None = Field(default=None, foreign_key="refundrequest.id", index=True)
    processor_ref: str | None = Field(default=None, max_length=80)
    failure_code: str | None = Field(default=None, max_length=30)
    created_at: dt.datetime
    updated_at: dt.datetime


class RefundRequestStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"


class RefundRequest(SQLModel, table=True):
    """A member's request to have their credit paid back: a support ticket carries the
    conversation; staff approve (the refund is issued) or decline it with a reason."""

    id: int | None = Field(default=None, primary_key=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    ticket_id: int = Field(foreign_key="supportticket.id", index=True)
    amount_cents: int
    status: RefundRequestStatus = enum_field(RefundRequestStatus, 12, index=True)
    decided_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    decision_reason: str | None = Field(default=None, max_length=300)
    created_at: dt.datetime
    decided_at: dt.datetime | None = None


class DisputeStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Dispute(SQLModel, table=True):
    """A cardholder's dispute (chargeback) of a card payment, as the processor reported it. One per
    payment; its outcome (won or lost) is applied once."""

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=24, unique=True, index=True)
    payment_id: int = Field(foreign_key="payment.id", unique=True)
    billing_account_id: int = Field(foreign_key="billingaccount.id", index=True)
    processor_dispute_ref: str = Field(max_length=80, unique=True)
    amount_cents: int
    fee_cents: int = 0
    reason: str = Field(max_length=60)
    status: DisputeStatus = enum_field(DisputeStatus, 8, index=True)
    opened_on: dt.date
    closed_on: dt.date | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
