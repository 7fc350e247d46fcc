"""Settings → Automatic Payments: the preview, turning them on (only with the authorization
accepted and the member's own method), pausing until a date, resuming and canceling, each change
confirmed to the member. What the daily job charges is `jobs.autopay_runs`."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, func, select, update

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    AmountRule,
    AutopayMandate,
    AutopayRun,
    AutopayRunStatus,
    BillingAccount,
    Frequency,
    Invoice,
    MandateStatus,
    NoticeKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import invoicing, ledger, summary
from hcpay_app.services.common import audit, dates, money
from hcpay_app.services.common.errors import DomainError, NotFound, ValidationError
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.payments import checkout, methods
from hcpay_app.services.recurring import templates

FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}
AUTHORIZATION = Msg(
    "I authorize Health Connector to charge the payment method shown on the dates and for the amounts "
    "described above until I cancel. I can change, pause or cancel Automatic Payments in Settings at any "
    "time before a charge date."
)
FREQUENCY_LABELS = {Frequency.MONTHLY: Msg("Monthly"), Frequency.QUARTERLY: Msg("Quarterly")}


@dataclasses.dataclass(frozen=True)
class ChargePreview:
    date: str
    amount: str
    note: str = ""  # e.g. "Nothing to charge: already paid or covered by your credit"


@dataclasses.dataclass(frozen=True)
class Review:
    """Every term of a set-up, in words, for the review step before the member accepts it."""

    charges: list[ChargePreview]
    warning: str
    method: str
    amount_rule: str  # "The full amount due each time" / "A fixed $400.00 each time"
    frequency: str  # "Monthly" / "Quarterly (every 3 months)"
    charge_day: str  # "The 18th of every month"
    first_charge: str  # "Mar 18, 2026: $512.50"
    counts: str  # how credits and payments already made are counted


@dataclasses.dataclass(frozen=True)
class MandateView:
    status: str
    status_text: str
    method: str
    amount_rule: str
    amount_text: str
    frequency: str
    charge_day: int
    next_charge: str
    paused_until: str
    method_id: int
    fixed_amount: str
    pay_by_hand: str = ""  # while paused: the charge(s) skipped and that the member pays by hand


def default_charge_day() -> int:
    """A few days before the due date."""
    return max(1, get_settings().invoice_due_day - 5)


def first_charge_on(charge_day: int, today: dt.date) -> dt.date:
    this_month = today.replace(day=min(charge_day, 28))
    return this_month if this_month > today else dates.add_months(this_month, 1)


def one_time_maximum(session: Session, account: BillingAccount, today: dt.date) -> int:
    """The most one payment may be (Make a Payment's limit): no automatic payment is set, or
    charged, above it."""
    return checkout.maximum_cents(session, account, today)


def charge_amount(session: Session, mandate: AutopayMandate, account: BillingAccount, today: dt.date) -> int:
    """Full rule: what is due now (quarterly adds the next two months' premium), less any credit;
    fixed: as set. Never above the stored terms, nor above the one-time maximum."""
    full = mandate.amount_rule != AmountRule.FIXED
    balance = ledger.balance(session, account.id) if full else 0  # pending debits count as paid
    return _amount(mandate, account, balance, one_time_maximum(session, account, today))


def charge_amounts(
    session: Session, due: list[tuple[AutopayMandate, BillingAccount]], today: dt.date
) -> dict[int, int]:
    """`charge_amount` of many mandates (by mandate id), from their accounts' books read together."""
    books = ledger.books_for(session, [account.id for _mandate, account in due])
    return {
        mandate.id: _amount(
            mandate,
            account,
            books[account.id].balance_cents,
            checkout.maximum_for(account, books[account.id].position(today, settled=True)),
        )
        for mandate, account in due
    }


def _amount(mandate: AutopayMandate, account: BillingAccount, balance_cents: int, maximum_cents: int) -> int:
    if mandate.amount_rule == AmountRule.FIXED:
        amount = mandate.fixed_amount_cents or 0
    else:
        extra_months = FREQUENCY_MONTHS[mandate.frequency] - 1
        amount = max(balance_cents + extra_months * account.monthly_premium_cents, 0)
    return min(amount, maximum_cents)


def project_charges(
    session: Session,
    account: BillingAccount,
    *,
    rule: str,
    fixed_cents: int | None,
    months: int,
    charge_days: list[dt.date],
    today: dt.date,
) -> list[int]:
    """What each of `charge_days` (ascending, after `today`) would charge, as the daily job will work
    it out: from today's balance (credits and payments already made, a debit on its way counted as
    paid), plus each bill issued by that day, less payments scheduled by then and the charges
    before it."""
    balance = ledger.account_position(session, account.id, today).balance_cents
    billed = set(session.exec(select(Invoice.coverage_month).where(Invoice.billing_account_id == account.id)).all())
    last_month = dates.first_of_month(account.terminated_on) if account.terminated_on else None
    scheduled = session.exec(
        select(Payment.payment_date, func.sum(Payment.amount_cents))
        .where(Payment.billing_account_id == account.id, Payment.status == PaymentStatus.SCHEDULED)
        .group_by(Payment.payment_date)
    ).all()
    counted: set[dt.date] = set()
    amounts = []
    for day in charge_days:
        for month in invoicing.months_billable(account.coverage_start, day, last_month):
            if month not in billed:
                billed.add(month)
                balance += account.monthly_premium_cents
        for paid_on, cents in scheduled:
            if paid_on <= day and paid_on not in counted:
                counted.add(paid_on)
                balance -= int(cents)
        if rule == AmountRule.FIXED:
            amount = fixed_cents or 0
        else:
            amount = max(balance + (months - 1) * account.monthly_premium_cents, 0)
        # The job charges nothing below the minimum (the period counts as paid).
        amount = amount if amount >= MINIMUM_PAYMENT_CENTS else 0
        balance -= amount
        amounts.append(amount)
    return amounts


def check_terms(*, amount_rule: object, fixed_amount: object, frequency: object, charge_day: object) -> None:
    """The set-up's terms without the method (before a new card or bank account is saved for it)."""
    errors: dict[str, str] = {}
    _check_terms(errors, amount_rule, fixed_amount, frequency, charge_day)
    if errors:
        raise ValidationError(errors)


def _check_terms(
    errors: dict[str, str], amount_rule: object, fixed_amount: object, frequency: object, charge_day: object
) -> tuple[int | None, int]:
    if amount_rule not in tuple(AmountRule):
        errors["amount_rule"] = Msg("Choose the amount to pay each time.")
    fixed = None
    if amount_rule == AmountRule.FIXED:
        try:
            fixed = money.parse_dollars(fixed_amount)
            if fixed < MINIMUM_PAYMENT_CENTS:
                errors["fixed_amount"] = Msg(
                    "The smallest automatic payment is {amount}.",
                    amount=money.format_cents(MINIMUM_PAYMENT_CENTS),
                )
        except money.AmountError as exc:
            errors["fixed_amount"] = str(exc)
    if frequency not in FREQUENCY_MONTHS:
        errors["frequency"] = Msg("Choose monthly or quarterly.")
    # At most two ASCII digits: int() of a huge or non-ASCII digit string raises instead of refusing.
    day = (
        charge_day
        if type(charge_day) is int
        else (
            int(charge_day)
            if isinstance(charge_day, str) and charge_day.isascii() and charge_day.isdigit() and len(charge_day) <= 2
            else 0
        )
    )
    if not 1 <= day <= 28:
        errors["charge_day"] = Msg("Choose a charge day from 1 to 28.")
    return fixed, day


def _validate(
    session: Session,
    actor: SessionUser,
    *,
    method_id: object,
    amount_rule: object,
    fixed_amount: object,
    frequency: object,
    charge_day: object,
    today: dt.date,
) -> tuple[PaymentMethod, str, int | None, str, int]:
    errors: dict[str, str] = {}
    method = None
    try:
        method = methods._own(session, actor, method_id)
    except NotFound:
        errors["method"] = templates.NO_METHOD
    fixed, day = _check_terms(errors, amount_rule, fixed_amount, frequency, charge_day)
    if fixed is not None and "fixed_amount" not in errors:
        most = one_time_maximum(session, access.member_account(session, actor), today)
        if fixed > most:
            errors["fixed_amount"] = templates.fixed_above_maximum(most)
    if errors:
        raise ValidationError(errors)
    return method, amount_rule, fixed, frequency, day


def review(
    session: Session,
    actor: SessionUser,
    *,
    method_id: object,
    amount_rule: object,
    fixed_amount: object,
    frequency: object,
    charge_day: object,
    today: dt.date,
) -> Review:
    """Every term of a set-up in words: the method, the amount rule, how often, the charge day, the
    first charge (date and amount) and the next three charges — counting credits and payments
    already made — and a warning when a fixed amount won't cover the premium."""
    account = access.member_account(session, actor)
    method, rule, fixed, freq, day = _validate(
        session,
        actor,
        method_id=method_id,
        amount_rule=amount_rule,
        fixed_amount=fixed_amount,
        frequency=frequency,
        charge_day=charge_day,
        today=today,
    )
    months = FREQUENCY_MONTHS[freq]
    first = first_charge_on(day, today)
    days = [dates.add_months(first, n * months) for n in range(3)]
    amounts = project_charges(
        session, account, rule=rule, fixed_cents=fixed, months=months, charge_days=days, today=today
    )
    charges = [
        ChargePreview(Dated(when), money.format_cents(amount), "" if amount else templates.CREDIT_COVERS)
        for when, amount in zip(days, amounts, strict=True)
    ]
    warning = ""
    needed = months * account.monthly_premium_cents
    if rule == AmountRule.FIXED and fixed < needed:
        if months == 1:
            warning = Msg(
                "{fixed} doesn't match your plan's requirements: your premium for each month is {needed}. The "
                "difference will remain due and may lead to late fees or loss of coverage.",
                fixed=money.format_cents(fixed),
                needed=money.format_cents(needed),
            )
        else:
            warning = Msg(
                "{fixed} doesn't match your plan's requirements: your premium for each quarter is {needed}. The "
                "difference will remain due and may lead to late fees or loss of coverage.",
                fixed=money.format_cents(fixed),
                needed=money.format_cents(needed),
            )
    credit = ledger.account_position(session, account.id, today).credit_cents
    counts = (
        templates.COUNTS_CREDIT.format(credit=money.format_cents(credit))
        if credit and rule == AmountRule.FULL
        else (templates.COUNTS_PAYMENTS if rule == AmountRule.FULL else "")
    )
    return Review(
        charges=charges,
        warning=warning,
        method=methods.label(method.kind, method.brand, method.last4),
        amount_rule=templates.amount_rule_text(rule, fixed),
        frequency=templates.frequency_text(months),
        charge_day=templates.charge_day_text(day, months),
        first_charge=templates.first_charge_text(first, amounts[0]),
        counts=counts,
    )


def preview(
    session: Session,
    actor: SessionUser,
    *,
    method_id: object,
    amount_rule: object,
    fixed_amount: object,
    frequency: object,
    charge_day: object,
    today: dt.date,
) -> tuple[list[ChargePreview], str, str]:
    """The next three charges, a warning when a fixed amount won't cover the premium, and the
    method's label (`review` has every term)."""
    terms = review(
        session,
        actor,
        method_id=method_id,
        amount_rule=amount_rule,
        fixed_amount=fixed_amount,
        frequency=frequency,
        charge_day=charge_day,
        today=today,
    )
    return terms.charges, terms.warning, terms.method


def _live(session: Session, account: BillingAccount) -> AutopayMandate | None:
    return session.exec(
        select(AutopayMandate).where(
            AutopayMandate.billing_account_id == account.id, AutopayMandate.status != MandateStatus.CANCELED
        )
    ).first()


def activate(
    session: Session,
    actor: SessionUser,
    *,
    method_id: object,
    amount_rule: object,
    fixed_amount: object,
    frequency: object,
    charge_day: object,
    accepted: object,
    now: dt.datetime,
    today: dt.date,
) -> MandateView:
    """Turn Automatic Payments on (or replace the current set-up). The member must accept the
    authorization."""
    account = access.member_account(session, actor)
    method, rule, fixed, freq, day = _validate(
        session,
        actor,
        method_id=method_id,
        amount_rule=amount_rule,
        fixed_amount=fixed_amount,
        frequency=frequency,
        charge_day=charge_day,
        today=today,
    )
    if accepted is not True:
        raise ValidationError({"accept": Msg("Please read and accept the authorization to continue.")})
    previous = _live(session, account)
    if previous is not None:
        previous.status, previous.updated_at = MandateStatus.CANCELED, now
        session.add(previous)
    mandate = AutopayMandate(
        user_id=actor.user_id,
        billing_account_id=account.id,
        payment_method_id=method.id,
        amount_rule=rule,
        fixed_amount_cents=fixed,
        frequency=freq,
        charge_day=day,
        status=MandateStatus.ACTIVE,
        next_charge_on=first_charge_on(day, today),
        authorized_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(mandate)
    session.flush()
    title = Msg("Automatic Payments updated") if previous is not None else Msg("Automatic Payments turned on")
    confirm_change(session, mandate, title, now)
    audit.record(
        session,
        "autopay_" + ("updated" if previous else "activated"),
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
    )
    session.commit()
    return view(session, mandate)


def confirm_change(
    session: Session, mandate: AutopayMandate, title: str, now: dt.datetime, *, today: dt.date | None = None
) -> None:
    v = view(session, mandate, today=today)
    message = templates.autopay_changed(
        title,
        method=v.method,
        amount=v.amount_text,
        frequency=v.frequency,
        next_charge=v.next_charge,
        paused_until=v.paused_until,
        pay_by_hand=v.pay_by_hand,
    )
    notices.notify(session, mandate.user_id, message, kind=NoticeKind.AUTOPAY_CHANGE, now=now, link=routes.AUTOPAY)


def _own_mandate(session: Session, actor: SessionUser) -> AutopayMandate:
    account = access.member_account(session, actor)
    mandate = _live(session, account)
    if mandate is None:
        raise NotFound(Msg("Automatic Payments are off."))
    return mandate


def pause(session: Session, actor: SessionUser, *, until: object, now: dt.datetime, today: dt.date) -> MandateView:
    mandate = _own_mandate(session, actor)
    resume_on = clean_pause_date(until, today)
    mandate.status, mandate.paused_until, mandate.updated_at = MandateStatus.PAUSED, resume_on, now
    session.add(mandate)
    confirm_change(session, mandate, Msg("Automatic Payments paused"), now, today=today)
    audit.record(session, "autopay_paused", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id)
    session.commit()
    return view(session, mandate, today=today)


def clean_pause_date(until: object, today: dt.date) -> dt.date:
    """The date a pause runs to: after today, within the next year (`last_pause_date`)."""
    try:
        resume_on = dt.date.fromisoformat(until) if isinstance(until, str) else None
    except ValueError:
        resume_on = None
    last = last_pause_date(today)
    if resume_on is None or not today < resume_on <= last:
        raise ValidationError({"paused_until": templates.pause_date_refused(today, last)})
    return resume_on


def last_pause_date(today: dt.date) -> dt.date:
    """The latest date a pause may run to (within the next year)."""
    return today + dt.timedelta(days=366)


def pause_rules(today: dt.date) -> str:
    """The rules for a pause date, shown under the field before any error."""
    return templates.pause_rules(today, last_pause_date(today))


def skipped_while_paused(session: Session, mandate: AutopayMandate, today: dt.date) -> list[tuple[dt.date, int]]:
    """The charge days a pause until `mandate.paused_until` skips (from today on), each with what it
    would have charged: the member pays those by hand."""
    if mandate.paused_until is None or mandate.next_charge_on is None:
        return []
    months = FREQUENCY_MONTHS[mandate.frequency]
    days = []
    on, n = mandate.next_charge_on, 0
    while on < mandate.paused_until and len(days) < 14:
        if on >= today:
            days.append(on)
        n += 1
        on = dates.add_months(mandate.next_charge_on, n * months)
    if not days:
        return []
    account = session.get(BillingAccount, mandate.billing_account_id)
    amounts = project_charges(
        session,
        account,
        rule=mandate.amount_rule,
        fixed_cents=mandate.fixed_amount_cents,
        months=months,
        charge_days=days,
        today=today,
    )
    return [(on, cents) for on, cents in zip(days, amounts, strict=True) if cents]


def _pay_by_hand(session: Session, mandate: AutopayMandate, today: dt.date) -> str:
    if mandate.status != MandateStatus.PAUSED:
        return ""
    if mandate.paused_until is not None:
        return templates.skipped_charges(skipped_while_paused(session, mandate, today))
    account = session.get(BillingAccount, mandate.billing_account_id)
    failed = session.exec(
        select(Payment.payment_date, Payment.amount_cents)
        .join(AutopayRun, AutopayRun.last_payment_id == Payment.id)
        .where(AutopayRun.mandate_id == mandate.id, AutopayRun.status == AutopayRunStatus.FAILED)
        .order_by(AutopayRun.period.desc())
    ).first()
    due = summary.for_account(session, account, today).payable_now_cents
    return templates.paused_without_date(due, tuple(failed) if failed else None)


def charge_after_resuming(mandate: AutopayMandate, resume_on: dt.date) -> dt.date:
    """The next charge date of a mandate resumed on `resume_on`: its own date if still ahead,
    else the first charge day from `resume_on` on (a charge day that is `resume_on` itself counts)."""
    if mandate.next_charge_on is not None and mandate.next_charge_on >= resume_on:
        return mandate.next_charge_on
    return first_charge_on(mandate.charge_day, resume_on - dt.timedelta(days=1))


def claim_resume(session: Session, mandate: AutopayMandate, now: dt.datetime, today: dt.date, *, read_as: str) -> bool:
    """Claim the change back to active in the caller's transaction: a conditional UPDATE from the
    status the caller read (`read_as`), so of two jobs (or a job and the member) that read the same
    mandate only one resumes it and confirms it. False — and nothing changed — if another got
    there first."""
    claimed = session.exec(
        update(AutopayMandate)
        .where(AutopayMandate.id == mandate.id, AutopayMandate.status == read_as)
        .values(
            status=MandateStatus.ACTIVE,
            paused_until=None,
            updated_at=now,
            next_charge_on=charge_after_resuming(mandate, today),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    session.refresh(mandate)  # the values just written, in this transaction
    return True


def resume(session: Session, actor: SessionUser, *, now: dt.datetime, today: dt.date) -> MandateView:
    mandate = _own_mandate(session, actor)
    if not claim_resume(session, mandate, now, today, read_as=mandate.status):
        # Changed since we read it (the daily job resumed it, or another tab paused it): no second
        # confirmation; show what it is now, or ask the member to look again.
        session.rollback()
        mandate = _own_mandate(session, actor)
        if mandate.status == MandateStatus.ACTIVE:
            return view(session, mandate)
        raise DomainError(Msg("Your Automatic Payments settings just changed. Please check them and try again."))
    confirm_change(session, mandate, Msg("Automatic Payments resumed"), now)
    audit.record(session, "autopay_resumed", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id)
    session.commit()
    return view(session, mandate)


def cancel(session: Session, actor: SessionUser, *, now: dt.datetime) -> None:
    mandate = _own_mandate(session, actor)
    mandate.status, mandate.updated_at = MandateStatus.CANCELED, now
    session.add(mandate)
    notices.notify(
        session,
        mandate.user_id,
        templates.autopay_canceled(),
        kind=NoticeKind.AUTOPAY_CHANGE,
        now=now,
        link=routes.AUTOPAY,
    )
    audit.record(session, "autopay_canceled", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id)
    session.commit()


def view(session: Session, mandate: AutopayMandate, *, today: dt.date | None = None) -> MandateView:
    """The arrangement as the member reads it; with `today`, a paused one also says what the member
    pays by hand."""
    method = session.get(PaymentMethod, mandate.payment_method_id)
    amount = (
        Msg("The full amount due")
        if mandate.amount_rule == AmountRule.FULL
        else money.format_cents(mandate.fixed_amount_cents or 0)
    )
    status_text = {
        MandateStatus.ACTIVE: Msg("On"),
        MandateStatus.PAUSED: Msg("Paused"),
        MandateStatus.CANCELED: Msg("Off"),
    }[mandate.status]
    return MandateView(
        status=mandate.status,
        status_text=status_text,
        method=methods.label(method.kind, method.brand, method.last4),
        amount_rule=mandate.amount_rule,
        amount_text=amount,
        frequency=FREQUENCY_LABELS.get(mandate.frequency, mandate.frequency.title()),
        charge_day=mandate.charge_day,
        next_charge=Dated(mandate.next_charge_on)
        if mandate.next_charge_on and mandate.status == MandateStatus.ACTIVE
        else "",
        paused_until=Dated(mandate.paused_until) if mandate.paused_until else "",
        method_id=method.id,
        fixed_amount=f"{(mandate.fixed_amount_cents or 0) / 100:.2f}" if mandate.fixed_amount_cents else "",
        pay_by_hand=_pay_by_hand(session, mandate, today) if today is not None else "",
    )


def current(session: Session, actor: SessionUser, today: dt.date | None = None) -> MandateView | None:
    mandate = _live(session, access.member_account(session, actor))
    return view(session, mandate, today=today) if mandate else None


def status_text(session: Session, account: BillingAccount) -> str:
    """For the dashboard: "Off", "On — next charge Dec 18, 2026" or "Paused until …"."""
    mandate = _live(session, account)
    if mandate is None:
        return Msg("Off")
    if mandate.status == MandateStatus.PAUSED:
        if mandate.paused_until:
            return Msg("Paused until {day}", day=mandate.paused_until)
        return Msg("Paused")
    if mandate.next_charge_on:
        return Msg("On — next charge {day}", day=mandate.next_charge_on)
    return Msg("On")
