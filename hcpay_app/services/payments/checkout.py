"""Make a Payment: amounts and dates, methods, submit — exactly once — and what happens after.

A payment is written as "processing" (with its unique idempotency key) before the processor is
called, and finished after. Retries with the same key return the same payment; the processor's
own idempotency makes a re-sent charge return its first result, so an interrupted payment is
reconciled by asking again — never by charging twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    AutopayMandate,
    BillingAccount,
    CoverageStatus,
    Invoice,
    MandateStatus,
    NoticeKind,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
    User,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters import mailer
from hcpay_app.services.adapters.processor import ChargeResult, ChargeStatus, Token, get_processor
from hcpay_app.services.billing import coverage, ledger, paid_notices, summary
from hcpay_app.services.billing import templates as billing_templates
from hcpay_app.services.common import audit, dates, money, read_memo
from hcpay_app.services.common.errors import DomainError, FieldChecks, ValidationError
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.payments import card_guard, charging, method_validation, methods, records, statuses, templates
from hcpay_app.services.payments.templates import DECLINE_MESSAGES, DECLINED_FALLBACK

MAX_DAYS_AHEAD = 60


class KeyReused(DomainError):
    """The same idempotency key came back with different payment details."""


START_AGAIN = Msg("Please start your payment again.")


@dataclasses.dataclass(frozen=True)
class PaymentOptions:
    """What step 1 offers: the amounts to choose from and the limits — from the account's money
    summary, so Make a Payment offers exactly what the dashboard says is due. Every amount is less
    what is already on its way from the bank (it pays the oldest bills first)."""

    account_number: str
    amount_due_cents: int  # past due and due next, less what is clearing
    past_due_cents: int  # past due, less what is clearing
    maximum_cents: int
    latest_date: dt.date
    has_amount_due: bool = False
    has_past_due: bool = False
    current_cents: int = 0  # the bill due next (every bill due that day), less what is clearing
    current_month: dt.date | None = None  # its coverage month (the first, when several bills share the date)
    current_due_on: dt.date | None = None
    owed_cents: int = 0  # everything owed: past due, due next and issued bills not yet due
    first_premium_cents: int = 0  # a new member's first premium (binder), still to pay
    coverage_start: dt.date | None = None
    grace_ends_on: dt.date | None = None
    current_months: tuple[dt.date, ...] = ()  # every coverage month due that day

    @property
    def has_current(self) -> bool:
        return self.current_cents >= MINIMUM_PAYMENT_CENTS

    @property
    def has_first_premium(self) -> bool:
        return self.first_premium_cents >= MINIMUM_PAYMENT_CENTS

    @property
    def has_owed(self) -> bool:
        return self.owed_cents >= MINIMUM_PAYMENT_CENTS

    @property
    def shows_past_due(self) -> bool:
        """The past-due choice, unless it is just the first premium (offered as that)."""
        return self.has_past_due and not (self.has_first_premium and self.past_due_cents == self.first_premium_cents)

    @property
    def shows_current(self) -> bool:
        """The bill due next, unless it is just the first premium (offered as that)."""
        first_is_next = self.has_first_premium and self.past_due_cents == 0
        return self.has_current and not (first_is_next and self.current_cents == self.first_premium_cents)

    @property
    def shows_everything_owed(self) -> bool:
        """ "Everything owed" is a choice of its own only when it adds up more than one item."""
        parts = (self.past_due_cents, self.current_cents, self.first_premium_cents)
        return self.has_owed and self.owed_cents not in parts

    def cents_for(self, choice: object) -> int | None:
        """The amount an itemised choice stands for, or None for "another amount" or junk."""
        return {
            "due": self.amount_due_cents,
            "past_due": self.past_due_cents,
            "current": self.current_cents,
            "all": self.owed_cents,
            "first_premium": self.first_premium_cents,
        }.get(choice if isinstance(choice, str) else "")

    def default_choice(self) -> str:
        """What step 1 starts with: the choice that is exactly what the dashboard calls the amount
        due, if one is; else the first premium, what is past due, the bill due next, everything
        owed; else another amount."""
        shown = (
            ("first_premium", self.has_first_premium),
            ("past_due", self.shows_past_due),
            ("current", self.shows_current),
            ("all", self.shows_everything_owed),
        )
        for choice, offered in shown:
            if offered and self.has_amount_due and self.cents_for(choice) == self.amount_due_cents:
                return choice
        for choice, offered in (*shown, ("all", self.has_owed)):
            if offered:
                return choice
        return "other"


@dataclasses.dataclass(frozen=True)
class MethodChoice:
    """The method a payment will use, held server-side between steps: a token, never a number."""

    kind: str
    token: str
    label: str
    payment_method_id: int | None = None
    save: bool = False
    brand: str = ""
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None
    fingerprint: str = ""  # a new card's keyed fingerprint (card_guard), never the number


@dataclasses.dataclass(frozen=True)
class PaymentResult:
    reference: str
    status: str
    status_label: str
    amount: str
    method: str
    payment_date: str
    message: str
    declined: bool


def options(session: Session, actor: SessionUser, today: dt.date) -> PaymentOptions:
    return account_options(session, access.member_account(session, actor), today)


def _maximum(account: BillingAccount, owed_cents: int) -> int:
    """The most one payment may be: a year of premiums beyond everything owed."""
    return max(12 * account.monthly_premium_cents + owed_cents, MINIMUM_PAYMENT_CENTS)


def maximum_cents(session: Session, account: BillingAccount, today: dt.date) -> int:
    """`account_options(…).maximum_cents` alone, from the account's settled position (what the
    money summary's `owed_cents` adds up) — for callers that need only the limit."""
    return maximum_for(account, ledger.account_position(session, account.id, today, settled=True))


def maximum_for(account: BillingAccount, settled: ledger.AccountPosition) -> int:
    """`maximum_cents` from the account's settled position (read with many others)."""
    return _maximum(account, settled.past_due_cents + settled.next_due_cents + settled.later_cents)


def account_options(session: Session, account: BillingAccount, today: dt.date) -> PaymentOptions:
    """What the account may pay today. Shared within a view or a member event (`read_memo`): the
    amount step asks for it for the amount's limits, then for its warnings."""
    return read_memo.memo(session, ("payment options", account.id, today), lambda: _options(session, account, today))


def _options(session: Session, account: BillingAccount, today: dt.date) -> PaymentOptions:
    money_now = summary.for_account(session, account, today)
    clearing = money_now.processing_cents
    past_due = max(money_now.past_due_cents - clearing, 0)
    current = max(money_now.due_next_cents - max(clearing - money_now.past_due_cents, 0), 0)
    owed = max(money_now.owed_cents - clearing, 0)
    current_months: tuple[dt.date, ...] = ()
    if money_now.due_next_on is not None:
        current_months = tuple(
            session.exec(
                select(Invoice.coverage_month)
                .where(Invoice.billing_account_id == account.id, Invoice.due_on == money_now.due_next_on)
                .order_by(Invoice.coverage_month)
            ).all()
        )
    return PaymentOptions(
        account.account_number,
        money_now.payable_now_cents,
        past_due,
        _maximum(account, money_now.owed_cents),
        today + dt.timedelta(days=MAX_DAYS_AHEAD),
        has_amount_due=money_now.has_amount_due,
        has_past_due=past_due >= MINIMUM_PAYMENT_CENTS,
        current_cents=current,
        current_month=current_months[0] if current_months else None,
        current_due_on=money_now.due_next_on,
        owed_cents=owed,
        first_premium_cents=_first_premium_cents(session, account, money_now, today),
        coverage_start=account.coverage_start,
        grace_ends_on=money_now.grace_ends_on,
        current_months=current_months,
    )


def _first_premium_cents(session: Session, account: BillingAccount, money_now, today: dt.date) -> int:
    """What is left to pay on a new member's first bill (the binder) — counting a bank debit on
    its way, so nobody is asked to pay it twice."""
    if account.coverage_status != CoverageStatus.PENDING_FIRST_PAYMENT or money_now.first_payment_clearing:
        return 0
    first = session.exec(
        select(Invoice.id).where(Invoice.billing_account_id == account.id).order_by(Invoice.coverage_month)
    ).first()
    if first is None:
        return 0
    position = ledger.statuses_for(session, account.id, [first], today, settled=False).get(first)
    return max(position.unpaid_cents, 0) if position is not None else 0


def choose_amount(
    session: Session, actor: SessionUser, *, choice: object, other_amount: object, payment_date: object, today: dt.date
) -> tuple[int, dt.date]:
    """Step 1: an itemised amount (past due, the bill due next, everything owed, a new member's
    first premium) or another amount; today or a later date."""
    offered = options(session, actor, today)
    checks = FieldChecks()
    cents = offered.cents_for(choice)
    if choice == "other":
        cents = checks.run(
            lambda: method_validation.clean_amount(
                other_amount, maximum_cents=offered.maximum_cents, field="other_amount"
            ),
            0,
        )
    elif cents is None:
        cents = 0
        checks.fail("amount_choice", templates.CHOOSE_AMOUNT)
    if not checks.errors and cents < MINIMUM_PAYMENT_CENTS:
        checks.fail("amount_choice", templates.NOTHING_DUE)
    day = checks.run(lambda: method_validation.clean_payment_date(payment_date, today, max_days_ahead=MAX_DAYS_AHEAD))
    checks.raise_if_any()
    return cents, day


def amount_warnings(
    session: Session, actor: SessionUser, *, amount_cents: int, payment_date: dt.date, today: dt.date
) -> list[str]:
    """Plain warnings for the review (the member may go on): paying more than everything owed,
    or paying a past-due amount on a date after the grace period ends."""
    offered = options(session, actor, today)
    return templates.amount_warnings(
        amount_cents=amount_cents,
        owed_cents=offered.owed_cents,
        past_due_cents=offered.past_due_cents,
        payment_date=payment_date,
        grace_ends_on=offered.grace_ends_on,
    )


@dataclasses.dataclass(frozen=True)
class AfterPayment:
    """What the confirmation says about the account once the payment is made (from the money
    summary): what is left to pay, any credit, the next due date, and whether Automatic Payments
    are set up."""

    balance_left_cents: int
    credit_cents: int
    next_due_on: dt.date | None
    autopay_on: bool


def after_payment(session: Session, actor: SessionUser, today: dt.date) -> AfterPayment:
    account = access.member_account(session, actor)
    money_now = summary.for_account(session, account, today)
    # Nothing unpaid falls due ahead: the next bill is the one for the month after next.
    next_due_on = money_now.due_next_on or dates.due_date(dates.add_months(dates.first_of_month(today), 2))
    autopay = session.exec(
        select(AutopayMandate.id).where(
            AutopayMandate.billing_account_id == account.id, AutopayMandate.status != MandateStatus.CANCELED
        )
    ).first()
    return AfterPayment(
        max(money_now.owed_cents - money_now.processing_cents, 0),
        money_now.credit_cents,
        next_due_on,
        autopay is not None,
    )


def new_card(
    *, card_number: object, expiry: object, cvc: object, name: object, billing_zip: object, save: bool, today: dt.date
) -> MethodChoice:
    """Step 2, a new card: validate, hand it to the processor, keep only the token."""
    checks = FieldChecks()
    number, brand = checks.run(lambda: method_validation.clean_card_number(card_number), ("", ""))
    month, year = checks.run(lambda: method_validation.clean_expiry(expiry, today), (0, 0))
    code = checks.run(lambda: method_validation.clean_cvc(cvc, brand))
    holder = checks.run(lambda: method_validation.clean_holder_name(name, "card_name"))
    zip_code = checks.run(lambda: method_validation.clean_zip(billing_zip))
    checks.raise_if_any()
    token = get_processor().tokenize_card(number, brand, month, year, code, holder, zip_code)
    return dataclasses.replace(_choice(token, save), fingerprint=card_guard.fingerprint(number))


def new_bank(
    *,
    routing_number: object,
    account_number: object,
    confirm_account_number: object,
    account_type: object,
    name: object,
    save: bool,
) -> MethodChoice:
    """Step 2, a new bank account (bank transfer / direct debit)."""
    checks = FieldChecks()
    routing = checks.run(lambda: method_validation.clean_routing(routing_number))
    account = checks.run(lambda: method_validation.clean_account_number(account_number, confirm_account_number))
    kind = checks.run(lambda: method_validation.clean_account_type(account_type))
    holder = checks.run(lambda: method_validation.clean_holder_name(name, "account_name"))
    checks.raise_if_any()
    return _choice(get_processor().tokenize_bank(routing, account, kind, holder), save)


def _choice(token: Token, save: bool) -> MethodChoice:
    return MethodChoice(
        token.kind,
        token.token,
        methods.label(token.kind, token.brand, token.last4),
        None,
        bool(save),
        token.brand,
        token.last4,
        token.exp_month,
        token.exp_year,
    )


def saved_method(session: Session, actor: SessionUser, method_id: object) -> MethodChoice:
    """Step 2, a saved card or bank account (direct debit) — only the member's own."""
    method = methods._own(session, actor, method_id)
    return MethodChoice(
        method.kind, method.processor_token, methods.label(method.kind, method.brand, method.last4), method.id
    )


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def invoices_to_pay(session: Session, actor: SessionUser, amount_cents: int, today: dt.date) -> list[str]:
    """For the review step: which invoices this amount would pay, oldest first."""
    account = access.member_account(session, actor)
    remaining = amount_cents
    lines = []
    for position in ledger.positions(session, account.id, today):
        if remaining <= 0:
            break
        if position.unpaid_cents <= 0:
            continue
        share = min(remaining, position.unpaid_cents)
        remaining -= share
        lines.append(
            Msg(
                "{month} premium — {amount}",
                month=Dated(position.coverage_month, "month"),
                amount=money.format_cents(share),
            )
        )
    if remaining > 0:
        lines.append(Msg("Credit toward future premiums — {amount}", amount=money.format_cents(remaining)))
    return lines


def _result(payment: Payment) -> PaymentResult:
    declined = payment.status == PaymentStatus.DECLINED
    return PaymentResult(
        payment.reference,
        payment.status,
        statuses.LABELS.get(payment.status, payment.status),
        money.format_cents(payment.amount_cents),
        payment.method_label,
        Dated(payment.payment_date),
        (statuses.reason_text(payment.reason_message) or "") if declined else statuses.explain(payment),
        declined,
    )


def submit(
    session: Session,
    actor: SessionUser,
    *,
    idempotency_key: object,
    amount_cents: int,
    payment_date: dt.date,
    choice: MethodChoice,
    now: dt.datetime,
    today: dt.date,
    source: PaymentSource = PaymentSource.MEMBER,
    payer: card_guard.Payer | None = None,
) -> PaymentResult:
    """Submit a member's payment exactly once per idempotency key; returns how it went. With
    `payer` (who is paying, from the server), declines are counted and capped (`card_guard`)."""
    account = access.member_account(session, actor)
    return _submit(
        session,
        account,
        actor,
        idempotency_key=idempotency_key,
        amount_cents=amount_cents,
        payment_date=payment_date,
        choice=choice,
        now=now,
        today=today,
        source=source,
        payer=payer,
    )


def submit_guest(
    session: Session,
    *,
    account_id: int,
    idempotency_key: object,
    amount_cents: int,
    choice: MethodChoice,
    now: dt.datetime,
    today: dt.date,
    payer: card_guard.Payer | None = None,
) -> PaymentResult:
    """A guest payment (no log-in) for an account already verified by `guest.verify`: same
    idempotency, processor and receipt; no saved methods, paid today."""
    account = session.get(BillingAccount, account_id) if type(account_id) is int else None
    if account is None or choice.payment_method_id is not None or choice.save:
        raise ValidationError({"submit": START_AGAIN})
    result = _submit(
        session,
        account,
        None,
        idempotency_key=idempotency_key,
        amount_cents=amount_cents,
        payment_date=today,
        choice=choice,
        now=now,
        today=today,
        source=PaymentSource.GUEST,
        payer=payer,
    )
    # Why a card failed is what a card tester wants to learn: guests get one message for all.
    return dataclasses.replace(result, message=card_guard.GUEST_DECLINED) if result.declined else result


def _submit(
    session: Session,
    account: BillingAccount,
    actor: SessionUser | None,
    *,
    idempotency_key: object,
    amount_cents: int,
    payment_date: dt.date,
    choice: MethodChoice,
    now: dt.datetime,
    today: dt.date,
    source: PaymentSource,
    payer: card_guard.Payer | None = None,
) -> PaymentResult:
    if not isinstance(idempotency_key, str) or not 16 <= len(idempotency_key) <= 64:
        raise ValidationError({"submit": Msg("Please review your payment again before submitting.")})
    existing = session.exec(select(Payment).where(Payment.idempotency_key == idempotency_key)).first()
    if existing is not None:
        return _replay(existing, account, amount_cents, choice)
    offered = account_options(session, account, today)
    if type(amount_cents) is not int or not MINIMUM_PAYMENT_CENTS <= amount_cents <= offered.maximum_cents:
        raise ValidationError({"amount": Msg("Please choose the amount again.")})
    method_validation.clean_payment_date(payment_date.isoformat(), today, max_days_ahead=MAX_DAYS_AHEAD)
    if payer is not None:  # before anything reaches the processor
        payer = dataclasses.replace(payer, account_id=account.id, card_fingerprint=choice.fingerprint)
        card_guard.check(session, payer, now=now)
    method_id = choice.payment_method_id
    if actor is None and (method_id is not None or choice.save):
        raise ValidationError({"submit": START_AGAIN})
    if method_id is not None:
        saved_method(session, actor, method_id)  # still the member's own, and not removed
    elif choice.save:
        token = Token(choice.token, choice.kind, choice.brand, choice.last4, choice.exp_month, choice.exp_year)
        method_id = methods.save(session, actor, token, now=now).id
    scheduled = payment_date > today
    try:
        payment = records.create(
            session,
            account_id=account.id,
            amount_cents=amount_cents,
            method_kind=choice.kind,
            method_label=choice.label,
            payment_date=payment_date,
            status=PaymentStatus.SCHEDULED if scheduled else PaymentStatus.PROCESSING,
            now=now,
            source=source,
            user_id=actor.user_id if actor else None,
            idempotency_key=idempotency_key,
            note=statuses.NOTE_SCHEDULED if scheduled else statuses.NOTE_SUBMITTED,
            payment_method_id=method_id,
            processor_token=choice.token,
        )
        audit.record(
            session,
            "payment_submitted" if actor else "guest_payment_submitted",
            now=now,
            actor_user_id=actor.user_id if actor else None,
            subject_user_id=actor.user_id if actor else None,
            detail=f"{payment.reference} {money.format_cents(amount_cents)} {choice.label}",
        )
        session.commit()
    except IntegrityError:
        # Another request with the same key got there first: that payment is the one.
        session.rollback()
        existing = session.exec(select(Payment).where(Payment.idempotency_key == idempotency_key)).one()
        return _replay(existing, account, amount_cents, choice)
    if scheduled:
        _email(session, account, payment, NoticeKind.PAYMENT_SCHEDULED, now)
        session.commit()
        return _result(payment)
    charge(session, payment, now=now, today=today)
    if payer is not None and payment.status == PaymentStatus.DECLINED:
        card_guard.record_decline(session, payer, now=now)
        session.commit()
    return _result(payment)


def _replay(existing: Payment, account: BillingAccount, amount_cents: int, choice: MethodChoice) -> PaymentResult:
    if (
        existing.billing_account_id != account.id
        or existing.amount_cents != amount_cents
        or existing.processor_token != choice.token
    ):
        raise KeyReused(Msg("This payment was already submitted with different details. Please start a new payment."))
    return _result(existing)


def charge_saved_method(
    session: Session,
    *,
    account: BillingAccount,
    method: PaymentMethod,
    amount_cents: int,
    idempotency_key: str,
    source: str,
    note: str,
    now: dt.datetime,
    today: dt.date,
) -> Payment:
    """Charge a saved method for the portal itself (autopay, payment-plan installments): the same
    write-processing-first, idempotent path as a member's own payment."""
    existing = session.exec(select(Payment).where(Payment.idempotency_key == idempotency_key)).first()
    if existing is not None:
        if existing.status == PaymentStatus.PROCESSING:  # its charge got no answer: ask again, same key
            charge(session, existing, now=now, today=today, member_waiting=False)
            session.refresh(existing)
        return existing
    try:
        payment = records.create(
            session,
            account_id=account.id,
            amount_cents=amount_cents,
            method_kind=method.kind,
            method_label=methods.label(method.kind, method.brand, method.last4),
            payment_date=today,
            status=PaymentStatus.PROCESSING,
            now=now,
            source=source,
            user_id=method.user_id,
            idempotency_key=idempotency_key,
            note=note,
            payment_method_id=method.id,
            processor_token=method.processor_token,
        )
        session.commit()
    except IntegrityError:
        # Another job inserted this key first: that payment is the one.
        session.rollback()
        return session.exec(select(Payment).where(Payment.idempotency_key == idempotency_key)).one()
    charge(session, payment, now=now, today=today, member_waiting=False)
    session.refresh(payment)
    return payment


def charge(
    session: Session, payment: Payment, *, now: dt.datetime, today: dt.date, member_waiting: bool = True
) -> ChargeResult | None:
    """Call the processor for a payment already marked processing, and finish it. With no answer
    (timeouts, rate limit) it stays processing, for the reconciler; returns None then."""
    result = ask_processor(payment, now)
    if result is not None:
        finish(session, payment, result, now=now, today=today, member_waiting=member_waiting)
    return result


def ask_processor(payment: Payment, now: dt.datetime) -> ChargeResult | None:
    """The processor's answer for a payment marked processing (asked again on a timeout, with its
    own key), or None when it gave none."""
    return charging.charge(
        get_processor(), payment.processor_token or "", payment.amount_cents, payment.idempotency_key, now
    )


def finish(
    session: Session,
    payment: Payment,
    result: ChargeResult,
    *,
    now: dt.datetime,
    today: dt.date,
    member_waiting: bool = True,
) -> None:
    """Record the processor's answer: ledger, coverage, timeline and email, in one transaction.
    Only a payment still marked processing is finished, so two finishers can't both post it."""
    final = {ChargeStatus.DECLINED: PaymentStatus.DECLINED, ChargeStatus.PENDING: PaymentStatus.PENDING}.get(
        result.status, PaymentStatus.SUCCEEDED
    )
    claimed = session.exec(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.PROCESSING)
        .values(status=final, processor_ref=result.processor_ref, updated_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        session.refresh(payment)
        return
    session.refresh(payment)
    account = session.get(BillingAccount, payment.billing_account_id)
    if result.status == ChargeStatus.DECLINED:
        payment.reason_code = result.code
        payment.reason_message = DECLINE_MESSAGES.get(result.code, DECLINE_MESSAGES[DECLINED_FALLBACK])
        records.move(session, payment, PaymentStatus.DECLINED, now=now, note=payment.reason_message)
        if not member_waiting or payment.source != PaymentSource.MEMBER:
            # Nobody is looking at the screen (a scheduled date, autopay, reconciliation): tell them.
            _email(session, account, payment, NoticeKind.PAYMENT_DECLINED, now)
    else:
        pending = result.status == ChargeStatus.PENDING
        if pending:
            payment.expected_settle_on = dates.add_business_days(today, get_settings().bank_settle_business_days)
        ledger.post_payment(session, payment, effective_on=today, now=now)
        records.move(
            session,
            payment,
            PaymentStatus.PENDING if pending else PaymentStatus.SUCCEEDED,
            now=now,
            note=statuses.NOTE_SENT if pending else statuses.NOTE_APPROVED,
        )
        coverage.refresh_after_payment(session, account, today)
        _email(session, account, payment, NoticeKind.PAYMENT_PENDING if pending else NoticeKind.PAYMENT_RECEIPT, now)
        if not pending:
            # Money received: notices about the bills it paid in full resolve with it. (A bank debit
            # resolves them when it clears: jobs.settlement.)
            paid_notices.resolve_for_account(session, account.id, now=now)
            if payment.source != PaymentSource.AUTOPAY:  # autopay leaves its own "Automatic payment made"
                notice_member(session, account, payment, NoticeKind.PAYMENT_RECEIPT, now=now)
    session.commit()


def email_member(
    session: Session, account: BillingAccount, payment: Payment, kind: str, *, now: dt.datetime, lead: str = ""
) -> None:
    """Queue one of the payment emails (receipt, canceled, …) to the member, in the caller's
    transaction; `lead` is a paragraph saying why, put first."""
    _email(session, account, payment, kind, now, lead=lead)


def notice_member(
    session: Session, account: BillingAccount, payment: Payment, kind: NoticeKind, *, now: dt.datetime
) -> None:
    """The notice in the portal (its email goes separately) that a payment was received, cleared
    or returned, for the account's member if they have a portal login, in the caller's
    transaction. It links to the payment's status page — or, for a returned one, to Make a Payment."""
    user_id = session.exec(select(User.id).where(User.member_id == account.member_id)).first()
    if user_id is None:
        return
    link = routes.PAY if kind == NoticeKind.PAYMENT_RETURNED else notices.payment_link(payment.reference)
    message = templates.payment_notice(kind, payment)
    notices.notify(session, user_id, message, kind=kind, now=now, link=link, by_email=False)


def _email(
    session: Session, account: BillingAccount, payment: Payment, kind: NoticeKind, now: dt.datetime, lead: str = ""
) -> None:
    member = access.account_member(session, account)
    account_now = billing_templates.summary_text(summary.for_account(session, account, clock.local_date(now)))
    message = templates.payment_email(
        kind,
        payment,
        first_name=member.first_name,
        account_number=account.account_number,
        lead=lead,
        account_now=account_now,
    )
    mailer.enqueue_message(session, to=member.email, message=message, kind=kind, now=now)


def cancel_scheduled(session: Session, actor: SessionUser, reference: object, *, now: dt.datetime) -> PaymentResult:
    """Cancel a scheduled payment of the member's own before it runs."""
    payment, account = access.own_payment(session, actor, reference)
    if not records.claim_scheduled(session, payment, now):
        raise ValidationError(
            {"cancel": Msg("This payment can no longer be canceled: it has already run or was canceled.")}
        )
    records.move(session, payment, PaymentStatus.CANCELED, now=now, note=statuses.NOTE_CANCELED_BY_YOU)
    audit.record(
        session,
        "payment_canceled",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=payment.reference,
    )
    _email(session, account, payment, NoticeKind.PAYMENT_CANCELED, now)
    session.commit()
    return _result(payment)


def scheduled_for(session: Session, actor: SessionUser) -> list[PaymentResult]:
    account = access.member_account(session, actor)
    rows = session.exec(
        select(Payment)
        .where(Payment.billing_account_id == account.id, Payment.status == PaymentStatus.SCHEDULED)
        .order_by(Payment.payment_date)
    ).all()
    return [_result(p) for p in rows]


def payment_for_reference(session: Session, actor: SessionUser, reference: object) -> PaymentResult:
    payment, _account = access.own_payment(session, actor, reference)
    return _result(payment)
