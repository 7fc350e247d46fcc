"""Settings → Automatic Payments, and the daily job's autopay duties.

Each (mandate, period) has one AutopayRun row under a unique constraint, and every attempt's
payment carries its own idempotency key: two jobs at once, or the same job twice, charge a
period at most once. Failures are retried after 3 and 7 days (configurable), never after a hard
decline; after the last failure the mandate pauses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, update

from hcpay_app.config import get_settings
from hcpay_app.models import AutopayMandate, AutopayRun, BillingAccount, CoverageStatus, Payment, PaymentMethod, PaymentStatus
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.common import audit, dates, money
from hcpay_app.services.billing import ledger
from hcpay_app.services.payments import checkout, methods
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.common.errors import DomainError, NotFound, ValidationError
from hcpay_app.services.adapters.processor import HARD_DECLINES

ACTIVE, PAUSED, CANCELED = "active", "paused", "canceled"
FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3}
AUTHORIZATION = (
    "I authorize Health Connector to charge the payment method shown on the dates and for the amounts "
    "described above until I cancel. I can change, pause or cancel Automatic Payments in Settings at any "
    "time before a charge date."
)


@dataclasses.dataclass(frozen=True)
class ChargePreview:
    date: str
    amount: str


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


def default_charge_day() -> int:
    """A few days before the due date."""
    return max(1, get_settings().invoice_due_day - 5)


def first_charge_on(charge_day: int, today: dt.date) -> dt.date:
    this_month = today.replace(day=min(charge_day, 28))
    return this_month if this_month > today else dates.add_months(this_month, 1)


def charge_amount(session: Session, mandate: AutopayMandate, account: BillingAccount, today: dt.date) -> int:
    """Full rule: what is due now (quarterly adds the next two months' premium); fixed: as set."""
    if mandate.amount_rule == "fixed":
        return mandate.fixed_amount_cents or 0
    due = ledger.account_position(session, account.id, today).amount_due_cents
    extra_months = FREQUENCY_MONTHS[mandate.frequency] - 1
    return due + extra_months * account.monthly_premium_cents


def _validate(session: Session, actor: SessionUser, *, method_id: object, amount_rule: object, fixed_amount: object,
              frequency: object, charge_day: object) -> tuple[PaymentMethod, str, int | None, str, int]:
    errors: dict[str, str] = {}
    method = None
    try:
        method = methods._own(session, actor, method_id)
    except NotFound:
        errors["method"] = "Choose a saved card or bank account (add one under Payment methods)."
    if amount_rule not in ("full", "fixed"):
        errors["amount_rule"] = "Choose the amount to pay each time."
    fixed = None
    if amount_rule == "fixed":
        try:
            fixed = money.parse_dollars(fixed_amount)
            if fixed < 100:
                errors["fixed_amount"] = "The smallest automatic payment is $1.00."
        except money.AmountError as exc:
            errors["fixed_amount"] = str(exc)
    if frequency not in FREQUENCY_MONTHS:
        errors["frequency"] = "Choose monthly or quarterly."
    # At most two ASCII digits: int() of a huge or non-ASCII digit string raises instead of refusing.
    day = charge_day if type(charge_day) is int else (
        int(charge_day) if isinstance(charge_day, str) and charge_day.isascii() and charge_day.isdigit()
        and len(charge_day) <= 2 else 0)
    if not 1 <= day <= 28:
        errors["charge_day"] = "Choose a charge day from 1 to 28."
    if errors:
        raise ValidationError(errors)
    return method, amount_rule, fixed, frequency, day


def preview(session: Session, actor: SessionUser, *, method_id: object, amount_rule: object, fixed_amount: object,
            frequency: object, charge_day: object, today: dt.date) -> tuple[list[ChargePreview], str, str]:
    """The next three charges, a warning when a fixed amount won't cover the premium, and the
    method's label."""
    account = access.member_account(session, actor)
    method, rule, fixed, freq, day = _validate(session, actor, method_id=method_id, amount_rule=amount_rule,
                                               fixed_amount=fixed_amount, frequency=frequency, charge_day=charge_day)
    months = FREQUENCY_MONTHS[freq]
    first = first_charge_on(day, today)
    due_now = ledger.account_position(session, account.id, today).amount_due_cents
    charges = []
    for n in range(3):
        when = dates.add_months(first, n * months)
        if rule == "fixed":
            amount = fixed
        else:
            amount = (max(due_now, account.monthly_premium_cents) if n == 0 else account.monthly_premium_cents) + (months - 1) * account.monthly_premium_cents
        charges.append(ChargePreview(dates.short_date(when), money.format_cents(amount)))
    warning = ""
    needed = months * account.monthly_premium_cents
    if rule == "fixed" and fixed < needed:
        warning = (f"{money.format_cents(fixed)} doesn't match your plan's requirements: your premium for each "
                   f"{'month' if months == 1 else 'quarter'} is {money.format_cents(needed)}. The difference will "
                   "remain due and may lead to late fees or loss of coverage.")
    return charges, warning, methods.label(method.kind, method.brand, method.last4)


def _live(session: Session, account: BillingAccount) -> AutopayMandate | None:
    return session.exec(select(AutopayMandate).where(AutopayMandate.billing_account_id == account.id,
                                                     AutopayMandate.status != CANCELED)).first()


def activate(session: Session, actor: SessionUser, *, method_id: object, amount_rule: object, fixed_amount: object,
             frequency: object, charge_day: object, accepted: object, now: dt.datetime, today: dt.date) -> MandateView:
    """Turn Automatic Payments on (or replace the current set-up). The member must accept the
    authorization."""
    account = access.member_account(session, actor)
    method, rule, fixed, freq, day = _validate(session, actor, method_id=method_id, amount_rule=amount_rule,
                                               fixed_amount=fixed_amount, frequency=frequency, charge_day=charge_day)
    if accepted is not True:
        raise ValidationError({"accept": "Please read and accept the authorization to continue."})
    previous = _live(session, account)
    if previous is not None:
        previous.status, previous.updated_at = CANCELED, now
        session.add(previous)
    mandate = AutopayMandate(user_id=actor.user_id, billing_account_id=account.id, payment_method_id=method.id,
                             amount_rule=rule, fixed_amount_cents=fixed, frequency=freq, charge_day=day, status=ACTIVE,
                             next_charge_on=first_charge_on(day, today), authorized_at=now, created_at=now, updated_at=now)
    session.add(mandate)
    session.flush()
    verb = "updated" if previous is not None else "turned on"
    _confirm(session, mandate, f"Automatic Payments {verb}", now)
    audit.record(session, "autopay_" + ("updated" if previous else "activated"), now=now, actor_user_id=actor.user_id,
                 subject_user_id=actor.user_id)
    session.commit()
    return view(session, mandate)


def _confirm(session: Session, mandate: AutopayMandate, title: str, now: dt.datetime) -> None:
    v = view(session, mandate)
    body = f"{title}.\n\nMethod: {v.method}\nAmount: {v.amount_text}\nFrequency: {v.frequency}\n"
    if v.next_charge:
        body += f"Next charge: {v.next_charge}\n"
    if v.paused_until:
        body += f"Paused until: {v.paused_until}\n"
    body += "\nYou can change, pause or cancel Automatic Payments in Settings."
    notices.notify(session, mandate.user_id, kind="autopay_change", title=title, body=body, now=now)


def _own_mandate(session: Session, actor: SessionUser) -> AutopayMandate:
    account = access.member_account(session, actor)
    mandate = _live(session, account)
    if mandate is None:
        raise NotFound("Automatic Payments are off.")
    return mandate


def pause(session: Session, actor: SessionUser, *, until: object, now: dt.datetime, today: dt.date) -> MandateView:
    mandate = _own_mandate(session, actor)
    try:
        resume_on = dt.date.fromisoformat(until) if isinstance(until, str) else None
    except ValueError:
        resume_on = None
    if resume_on is None or not today < resume_on <= today + dt.timedelta(days=366):
        raise ValidationError({"paused_until": "Choose a date within the next year to resume on."})
    mandate.status, mandate.paused_until, mandate.updated_at = PAUSED, resume_on, now
    session.add(mandate)
    _confirm(session, mandate, "Automatic Payments paused", now)
    audit.record(session, "autopay_paused", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id)
    session.commit()
    return view(session, mandate)


def _charge_after_resuming(mandate: AutopayMandate, resume_on: dt.date) -> dt.date:
    """The next charge date of a mandate resumed on `resume_on`: its own date if still ahead,
    else the first charge day from `resume_on` on (a charge day that is `resume_on` itself counts)."""
    if mandate.next_charge_on is not None and mandate.next_charge_on >= resume_on:
        return mandate.next_charge_on
    return first_charge_on(mandate.charge_day, resume_on - dt.timedelta(days=1))


def _resume(session: Session, mandate: AutopayMandate, now: dt.datetime, today: dt.date, *, read_as: str) -> bool:
    """Claim the change back to active in the caller's transaction: a conditional UPDATE from the
    status the caller read (`read_as`), so of two jobs (or a job and the member) that read the same
    mandate only one resumes it and confirms it. False — and nothing changed — if another got
    there first."""
    claimed = session.exec(
        update(AutopayMandate)
        .where(AutopayMandate.id == mandate.id, AutopayMandate.status == read_as)
        .values(status=ACTIVE, paused_until=None, updated_at=now,
                next_charge_on=_charge_after_resuming(mandate, today))
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    session.refresh(mandate)  # the values just written, in this transaction
    return True


def resume(session: Session, actor: SessionUser, *, now: dt.datetime, today: dt.date) -> MandateView:
    mandate = _own_mandate(session, actor)
    if not _resume(session, mandate, now, today, read_as=mandate.status):
        # Changed since we read it (the daily job resumed it, or another tab paused it): no second
        # confirmation; show what it is now, or ask the member to look again.
        session.rollback()
        mandate = _own_mandate(session, actor)
        if mandate.status == ACTIVE:
            return view(session, mandate)
        raise DomainError("Your Automatic Payments settings just changed. Please check them and try again.")
    _confirm(session, mandate, "Automatic Payments resumed", now)
    audit.record(session, "autopay_resumed", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id)
    session.commit()
    return view(session, mandate)


def cancel(session: Session, actor: SessionUser, *, now: dt.datetime) -> None:
    mandate = _own_mandate(session, actor)
    mandate.status, mandate.updated_at = CANCELED, now
    session.add(mandate)
    notices.notify(session, mandate.user_id, kind="autopay_change", title="Automatic Payments canceled",
                   body="Automatic Payments are now off. Remember to pay your premium by each due date.", now=now)
    audit.record(session, "autopay_canceled", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id)
    session.commit()


def view(session: Session, mandate: AutopayMandate) -> MandateView:
    method = session.get(PaymentMethod, mandate.payment_method_id)
    amount = ("The full amount due" if mandate.amount_rule == "full"
              else money.format_cents(mandate.fixed_amount_cents or 0))
    status_text = {"active": "On", "paused": "Paused", "canceled": "Off"}[mandate.status]
    return MandateView(
        status=mandate.status, status_text=status_text, method=methods.label(method.kind, method.brand, method.last4),
        amount_rule=mandate.amount_rule, amount_text=amount, frequency=mandate.frequency.title(),
        charge_day=mandate.charge_day,
        next_charge=dates.short_date(mandate.next_charge_on) if mandate.next_charge_on and mandate.status == ACTIVE else "",
        paused_until=dates.short_date(mandate.paused_until) if mandate.paused_until else "", method_id=method.id,
        fixed_amount=f"{(mandate.fixed_amount_cents or 0) / 100:.2f}" if mandate.fixed_amount_cents else "",
    )


def current(session: Session, actor: SessionUser) -> MandateView | None:
    mandate = _live(session, access.member_account(session, actor))
    return view(session, mandate) if mandate else None


def status_text(session: Session, account: BillingAccount) -> str:
    """For the dashboard: "Off", "On — next charge Dec 18, 2026" or "Paused until …"."""
    mandate = _live(session, account)
    if mandate is None:
        return "Off"
    if mandate.status == PAUSED:
        return f"Paused until {dates.short_date(mandate.paused_until)}" if mandate.paused_until else "Paused"
    return f"On — next charge {dates.short_date(mandate.next_charge_on)}" if mandate.next_charge_on else "On"


# ---- the daily job ----------------------------------------------------------------------------

@dataclasses.dataclass
class AutopayTally:
    charged: int = 0
    failed: int = 0
    notices: int = 0


def _advance(mandate: AutopayMandate, run: AutopayRun) -> None:
    """Move to the next period — once per run, even when a retry after a returned debit succeeds."""
    if dates.first_of_month(mandate.next_charge_on) <= run.period:
        mandate.next_charge_on = dates.add_months(mandate.next_charge_on, FREQUENCY_MONTHS[mandate.frequency])


def _attempt(session: Session, run: AutopayRun, mandate: AutopayMandate, *, now: dt.datetime, today: dt.date,
             tally: AutopayTally) -> None:
    """Charge one attempt of a claimed run and record the outcome (the run is already claimed)."""
    settings = get_settings()
    account = session.get(BillingAccount, mandate.billing_account_id)
    method = session.get(PaymentMethod, mandate.payment_method_id)
    amount = charge_amount(session, mandate, account, today)
    if amount < 100 or method is None or method.removed_at is not None:
        run.status, run.updated_at = "paid" if amount < 100 else "failed", now
        if method is None or method.removed_at is not None:
            mandate.status = PAUSED
            notices.notify(session, mandate.user_id, kind="autopay_failed", title="Automatic payment not made",
                           body="Your Automatic Payments method was removed, so we paused Automatic Payments. "
                                "Choose a new method in Settings → Automatic Payments.", now=now)
        else:
            _advance(mandate, run)
        session.add_all([run, mandate])
        session.commit()
        return
    key = f"autopay-{mandate.id}-{run.period:%Y%m}-{run.attempts}"
    payment = checkout.charge_saved_method(session, account=account, method=method, amount_cents=amount,
                                           idempotency_key=key, source="autopay",
                                           note=f"Automatic payment (attempt {run.attempts})", now=now, today=today)
    session.refresh(run)
    session.refresh(mandate)
    run.last_payment_id, run.updated_at = payment.id, now
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING):
        run.status = "paid"
        _advance(mandate, run)
        tally.charged += 1
        notices.notify(session, mandate.user_id, kind="autopay_charged", title="Automatic payment made",
                       body=f"We charged {money.format_cents(amount)} to {payment.method_label}. "
                            f"Reference number: {payment.reference}.", now=now, by_email=False)
    else:
        tally.failed += 1
        run.last_code = payment.reason_code
        retries = settings.autopay_retry_days
        hard = payment.reason_code in HARD_DECLINES
        if hard or run.attempts > len(retries):
            run.status, run.next_attempt_on = "failed", None
            mandate.status, mandate.updated_at = PAUSED, now
            _advance(mandate, run)
            notices.notify(session, mandate.user_id, kind="autopay_failed", title="Automatic Payments paused",
                           body=f"Your automatic payment of {money.format_cents(amount)} failed: {payment.reason_message} "
                                "We've paused Automatic Payments. Please make a payment and update your method in "
                                "Settings → Automatic Payments.", now=now)
        else:
            run.status = "retrying"
            run.next_attempt_on = today + dt.timedelta(days=retries[run.attempts - 1])
            notices.notify(session, mandate.user_id, kind="autopay_failed", title="Automatic payment failed",
                           body=f"Your automatic payment of {money.format_cents(amount)} failed: {payment.reason_message} "
                                f"We'll try again on {dates.short_date(run.next_attempt_on)}.", now=now)
    session.add_all([run, mandate])
    session.commit()


def run_due(session: Session, *, today: dt.date, now: dt.datetime) -> AutopayTally:
    """Resume paused mandates whose date has come, charge due mandates once per period, retry."""
    tally = AutopayTally()
    for mandate in session.exec(select(AutopayMandate).where(AutopayMandate.status == PAUSED,
                                                             AutopayMandate.paused_until <= today)).all():
        if not _resume(session, mandate, now, today, read_as=PAUSED):
            session.rollback()  # another job resumed it (and confirmed it) since we listed it
            continue
        _confirm(session, mandate, "Automatic Payments resumed", now)
        session.commit()
    due = session.exec(select(AutopayMandate.id, AutopayMandate.next_charge_on)
                       .join(BillingAccount, BillingAccount.id == AutopayMandate.billing_account_id)
                       .where(AutopayMandate.status == ACTIVE, AutopayMandate.next_charge_on <= today,
                              BillingAccount.coverage_status != CoverageStatus.TERMINATED)).all()
    for mandate_id, listed_charge_on in due:
        mandate = session.get(AutopayMandate, mandate_id)
        session.refresh(mandate)
        if mandate.status != ACTIVE or mandate.next_charge_on != listed_charge_on:
            continue  # another job charged it (and moved it on) since we listed it
        run = AutopayRun(mandate_id=mandate.id, period=dates.first_of_month(listed_charge_on), attempts=1,
                         status="charging", created_at=now, updated_at=now)
        session.add(run)
        try:
            session.commit()  # the claim: only one job gets (mandate, period)
        except IntegrityError:
            session.rollback()
            continue
        _attempt(session, run, mandate, now=now, today=today, tally=tally)
    retry_ids = session.exec(select(AutopayRun.id).where(AutopayRun.status == "retrying",
                                                         AutopayRun.next_attempt_on <= today)).all()
    for run_id in retry_ids:
        run = session.get(AutopayRun, run_id)
        claimed = session.exec(update(AutopayRun).where(AutopayRun.id == run_id, AutopayRun.status == "retrying",
                                                        AutopayRun.attempts == run.attempts)
                               .values(status="charging", attempts=run.attempts + 1, updated_at=now))
        session.commit()
        if claimed.rowcount != 1:
            continue
        session.refresh(run)
        mandate = session.get(AutopayMandate, run.mandate_id)
        if mandate.status == CANCELED:
            run.status = "failed"
            session.add(run)
            session.commit()
            continue
        _attempt(session, run, mandate, now=now, today=today, tally=tally)
    return tally


def send_notices(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Pre-debit notices N days ahead, and a card-expiry notice 30 days ahead — once each.

    A mandate paused until a date counts too: if it resumes on or before its next charge day and
    that day falls within the notice period, the member hears about the charge beforehand, as for
    any active mandate (the same once-key, so resuming doesn't announce it again)."""
    settings = get_settings()
    sent = 0
    horizon = today + dt.timedelta(days=settings.autopay_notice_days)
    live = (select(AutopayMandate).join(BillingAccount, BillingAccount.id == AutopayMandate.billing_account_id)
            .where(BillingAccount.coverage_status != CoverageStatus.TERMINATED))
    upcoming = [(m.id, m.next_charge_on) for m in session.exec(live.where(
        AutopayMandate.status == ACTIVE, AutopayMandate.next_charge_on > today,
        AutopayMandate.next_charge_on <= horizon)).all()]
    for paused in session.exec(live.where(AutopayMandate.status == PAUSED, AutopayMandate.paused_until.is_not(None),
                                          AutopayMandate.paused_until <= horizon)).all():
        charge_on = _charge_after_resuming(paused, max(paused.paused_until, today))
        if today < charge_on <= horizon:
            upcoming.append((paused.id, charge_on))
    for mandate_id, charge_on in sorted(upcoming):
        mandate = session.get(AutopayMandate, mandate_id)
        account = session.get(BillingAccount, mandate.billing_account_id)
        amount = charge_amount(session, mandate, account, today)
        method = view(session, mandate).method

        def pre_debit(s: Session, mandate=mandate, amount=amount, method=method, charge_on=charge_on) -> None:
            notices.notify(s, mandate.user_id, kind="autopay_notice", title="Upcoming automatic payment",
                           body=f"On {dates.short_date(charge_on)} we'll charge {money.format_cents(amount)} to {method} "
                                "for your Health Connector premium. To change it, go to Settings → Automatic Payments.",
                           now=now)

        sent += notices.run_once(session, f"autopay-notice:{mandate.id}:{charge_on:%Y%m%d}", now, pre_debit)
    expiring = session.exec(select(AutopayMandate, PaymentMethod).join(PaymentMethod, PaymentMethod.id == AutopayMandate.payment_method_id)
                            .join(BillingAccount, BillingAccount.id == AutopayMandate.billing_account_id)
                            .where(AutopayMandate.status == ACTIVE, PaymentMethod.kind == "card",
                                   BillingAccount.coverage_status != CoverageStatus.TERMINATED)).all()
    for mandate, method in expiring:
        if not (method.exp_month and method.exp_year and mandate.next_charge_on):
            continue
        expires = dates.add_months(dt.date(method.exp_year, method.exp_month, 1), 1) - dt.timedelta(days=1)
        if expires >= mandate.next_charge_on or today < expires - dt.timedelta(days=settings.card_expiry_notice_days):
            continue

        def expiry(s: Session, mandate=mandate, method=method, expires=expires) -> None:
            notices.notify(s, mandate.user_id, kind="card_expiring", title="Your card for Automatic Payments is expiring",
                           body=f"{methods.label(method.kind, method.brand, method.last4)} expires {expires:%m/%Y}, before "
                                f"your next automatic payment on {dates.short_date(mandate.next_charge_on)}. Add a new "
                                "card in Settings → Payment methods and choose it for Automatic Payments.", now=now)

        sent += notices.run_once(session, f"card-expiry:{mandate.id}:{method.id}:{expires:%Y%m}", now, expiry)
    return sent


def payment_returned(session: Session, payment: Payment, *, today: dt.date, now: dt.datetime) -> None:
    """A bank returned an automatic payment: it counts as a failed attempt for its period — retried
    after 3 and 7 days unless the return is final (closed or unknown account), then paused."""
    run = session.exec(select(AutopayRun).where(AutopayRun.last_payment_id == payment.id)).first()
    if run is None:
        return
    mandate = session.get(AutopayMandate, run.mandate_id)
    retries = get_settings().autopay_retry_days
    run.last_code, run.updated_at = payment.reason_code, now
    amount = money.format_cents(payment.amount_cents)
    if payment.reason_code in HARD_DECLINES or run.attempts > len(retries) or mandate.status == CANCELED:
        run.status, run.next_attempt_on = "failed", None
        if mandate.status == ACTIVE:
            mandate.status, mandate.updated_at = PAUSED, now
        notices.notify(session, mandate.user_id, kind="autopay_failed", title="Automatic Payments paused",
                       body=f"Your bank returned your automatic payment of {amount}: {payment.reason_message} "
                            "We've paused Automatic Payments. Please make a payment and check your bank details in "
                            "Settings → Automatic Payments.", now=now)
    else:
        run.status = "retrying"
        run.next_attempt_on = today + dt.timedelta(days=retries[run.attempts - 1])
        notices.notify(session, mandate.user_id, kind="autopay_failed", title="Automatic payment returned",
                       body=f"Your bank returned your automatic payment of {amount}: {payment.reason_message} "
                            f"We'll try again on {dates.short_date(run.next_attempt_on)}.", now=now)
    session.add_all([run, mandate])
