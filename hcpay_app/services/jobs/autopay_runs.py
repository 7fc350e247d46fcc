"""The daily job's Automatic Payments: resume paused mandates, charge each due (mandate, period)
once, retry failures, send pre-debit and card-expiry notices, and count a returned debit as a failed
attempt.

Each (mandate, period) has one AutopayRun row under a unique constraint, and every attempt's
payment carries its own idempotency key: two jobs at once, or the same job twice, charge a period
at most once."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    AutopayMandate,
    AutopayRun,
    AutopayRunStatus,
    BillingAccount,
    CoverageStatus,
    MandateStatus,
    MethodKind,
    NoticeKind,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
)
from hcpay_app.services.accounts import notice_batch, notices
from hcpay_app.services.adapters.processor import HARD_DECLINES
from hcpay_app.services.common import bulk, dates
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.jobs import charge_queue
from hcpay_app.services.payments import checkout, methods
from hcpay_app.services.recurring import autopay, templates


@dataclasses.dataclass
class AutopayTally:
    charged: int = 0
    failed: int = 0
    notices: int = 0
    unanswered: int = 0  # the processor gave no answer yet: finished by a later run


# A run still "charging" this long after its last touch was interrupted (a crash, or a processor
# that gave no answer): the next job finishes it with the same idempotency key.
STALE_CHARGING = dt.timedelta(minutes=2)
# Runs claimed per statement (and commit): short enough that a concurrent job waits little.
CLAIM_CHUNK = 5000
# Runs charged per message at most (`autopay_batch`: two commits a chunk).
CHARGE_CHUNK = 250


def _advance(mandate: AutopayMandate, run: AutopayRun) -> None:
    """Move to the next period — once per run, even when a retry after a returned debit succeeds."""
    if dates.first_of_month(mandate.next_charge_on) <= run.period:
        mandate.next_charge_on = dates.add_months(mandate.next_charge_on, autopay.FREQUENCY_MONTHS[mandate.frequency])


def attempt_key(mandate_id: int, period: dt.date, attempt: int) -> str:
    """An attempt's idempotency key: the processor charges it at most once."""
    return f"autopay-{mandate_id}-{period:%Y%m}-{attempt}"


def _settle(session: Session, run: AutopayRun, status: AutopayRunStatus, now: dt.datetime) -> bool:
    """Record a run's outcome in the caller's transaction, if it is still this attempt's to record:
    a conditional UPDATE, so of two workers given the same run (a repeated message, a job finishing
    an interrupted one) only one advances the mandate and tells the member."""
    claimed = session.exec(
        update(AutopayRun)
        .where(
            AutopayRun.id == run.id,
            AutopayRun.status == AutopayRunStatus.CHARGING,
            AutopayRun.attempts == run.attempts,
        )
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.rollback()
        return False
    session.refresh(run)
    return True


def _attempt(
    session: Session, run: AutopayRun, mandate: AutopayMandate, *, now: dt.datetime, today: dt.date, tally: AutopayTally
) -> None:
    """Charge one attempt of a claimed run and record the outcome once (safe to repeat: the
    attempt's payment has its own idempotency key, and the outcome is claimed by `_settle`)."""
    settings = get_settings()
    account = session.get(BillingAccount, mandate.billing_account_id)
    method = session.get(PaymentMethod, mandate.payment_method_id)
    key = attempt_key(mandate.id, run.period, run.attempts)
    charged_before = session.exec(select(Payment).where(Payment.idempotency_key == key)).first()
    # An interrupted attempt is finished for the amount it asked, whatever is owed by now.
    amount = charged_before.amount_cents if charged_before else autopay.charge_amount(session, mandate, account, today)
    if charged_before is None and (amount < MINIMUM_PAYMENT_CENTS or method is None or method.removed_at is not None):
        removed = method is None or method.removed_at is not None
        if not _settle(session, run, AutopayRunStatus.FAILED if removed else AutopayRunStatus.PAID, now):
            return
        session.refresh(mandate)
        if removed:
            mandate.status = MandateStatus.PAUSED
            notices.notify(
                session,
                mandate.user_id,
                templates.autopay_method_removed(),
                kind=NoticeKind.AUTOPAY_FAILED,
                now=now,
                link=routes.AUTOPAY,
            )
        else:
            _advance(mandate, run)
        session.add(mandate)
        session.commit()
        return
    payment = checkout.charge_saved_method(
        session,
        account=account,
        method=method,
        amount_cents=amount,
        idempotency_key=key,
        source=PaymentSource.AUTOPAY,
        note=Msg("Automatic payment (attempt {attempt})", attempt=run.attempts),
        now=now,
        today=today,
    )
    session.refresh(run)
    if payment.status == PaymentStatus.PROCESSING:  # no answer yet: still "charging", finished later
        tally.unanswered += 1
        session.exec(
            update(AutopayRun)
            .where(AutopayRun.id == run.id, AutopayRun.status == AutopayRunStatus.CHARGING)
            .values(last_payment_id=payment.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return
    succeeded = payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)
    retries = settings.autopay_retry_days
    final = succeeded or payment.reason_code in HARD_DECLINES or run.attempts > len(retries)
    status = AutopayRunStatus.PAID if succeeded else AutopayRunStatus.FAILED if final else AutopayRunStatus.RETRYING
    if not _settle(session, run, status, now):
        return  # another worker recorded this attempt
    session.refresh(mandate)
    run.last_payment_id = payment.id
    if succeeded:
        _advance(mandate, run)
        tally.charged += 1
        notices.notify(
            session,
            mandate.user_id,
            templates.autopay_charged(amount, payment.method_label, payment.reference),
            kind=NoticeKind.AUTOPAY_CHARGED,
            now=now,
            link=notices.payment_link(payment.reference),
            by_email=False,
        )
    else:
        tally.failed += 1
        run.last_code = payment.reason_code
        if final:
            run.next_attempt_on = None
            mandate.status, mandate.updated_at = MandateStatus.PAUSED, now
            _advance(mandate, run)
            notices.notify(
                session,
                mandate.user_id,
                templates.autopay_failed_and_paused(amount, payment.reason_message or ""),
                kind=NoticeKind.AUTOPAY_FAILED,
                now=now,
                link=routes.AUTOPAY,
            )
        else:
            run.next_attempt_on = today + dt.timedelta(days=retries[run.attempts - 1])
            message = templates.autopay_failed_will_retry(amount, payment.reason_message or "", run.next_attempt_on)
            notices.notify(
                session, mandate.user_id, message, kind=NoticeKind.AUTOPAY_FAILED, now=now, link=routes.AUTOPAY
            )
    session.add_all([run, mandate])
    session.commit()


def _claim_interrupted(session: Session, *, now: dt.datetime) -> list[int]:
    """Runs left "charging" by a crash or an unanswered charge, claimed for this job by a
    conditional UPDATE of their last touch (of two jobs, one takes each)."""
    stale = session.exec(
        select(AutopayRun.id, AutopayRun.updated_at).where(
            AutopayRun.status == AutopayRunStatus.CHARGING, AutopayRun.updated_at <= now - STALE_CHARGING
        )
    ).all()
    claimed_ids = []
    for run_id, touched in stale:
        claimed = session.exec(
            update(AutopayRun)
            .where(
                AutopayRun.id == run_id,
                AutopayRun.status == AutopayRunStatus.CHARGING,
                AutopayRun.updated_at == touched,
            )
            .values(updated_at=now)
        )
        session.commit()
        if claimed.rowcount == 1:
            claimed_ids.append(run_id)
    return claimed_ids


def _resume_paused(session: Session, *, today: dt.date, now: dt.datetime) -> None:
    for mandate in session.exec(
        select(AutopayMandate).where(
            AutopayMandate.status == MandateStatus.PAUSED, AutopayMandate.paused_until <= today
        )
    ).all():
        if not autopay.claim_resume(session, mandate, now, today, read_as=MandateStatus.PAUSED):
            session.rollback()  # another job resumed it (and confirmed it) since we listed it
            continue
        autopay.confirm_change(session, mandate, "Automatic Payments resumed", now)
        session.commit()


def _claim_due(session: Session, *, today: dt.date, now: dt.datetime) -> list[int]:
    """One run per due (mandate, period): the claim. Inserted set-based under the unique
    (mandate, period) key with ON CONFLICT DO NOTHING RETURNING id, so only the runs this job
    inserted come back — a period claimed by another job, or charged already, is skipped."""
    due = session.exec(
        select(AutopayMandate.id, AutopayMandate.next_charge_on)
        .join(BillingAccount, BillingAccount.id == AutopayMandate.billing_account_id)
        .where(
            AutopayMandate.status == MandateStatus.ACTIVE,
            AutopayMandate.next_charge_on <= today,
            BillingAccount.coverage_status != CoverageStatus.TERMINATED,
        )
    ).all()
    runs = [
        {
            "mandate_id": mandate_id,
            "period": dates.first_of_month(listed_charge_on),
            "attempts": 1,
            "status": AutopayRunStatus.CHARGING,
            "next_attempt_on": None,
            "last_payment_id": None,
            "last_code": None,
            "created_at": now,
            "updated_at": now,
        }
        for mandate_id, listed_charge_on in sorted(due)  # one order for every job: no deadlock between two
    ]
    claimed_ids: list[int] = []
    for chunk in range(0, len(runs), CLAIM_CHUNK):
        part = runs[chunk : chunk + CLAIM_CHUNK]
        unique = ["mandate_id", "period"]
        claimed_ids += bulk.insert_new(session, AutopayRun, part, unique=unique, returning=AutopayRun.id)
        session.commit()  # the claim: only one job gets (mandate, period)
    return sorted(claimed_ids)


def _claim_retries(session: Session, *, today: dt.date, now: dt.datetime) -> list[int]:
    """Failed attempts whose retry day has come, moved to their next attempt (conditional UPDATE)."""
    due = session.exec(
        select(AutopayRun.id, AutopayRun.attempts).where(
            AutopayRun.status == AutopayRunStatus.RETRYING, AutopayRun.next_attempt_on <= today
        )
    ).all()
    claimed_ids = []
    for run_id, attempts in due:
        claimed = session.exec(
            update(AutopayRun)
            .where(
                AutopayRun.id == run_id,
                AutopayRun.status == AutopayRunStatus.RETRYING,
                AutopayRun.attempts == attempts,
            )
            .values(status=AutopayRunStatus.CHARGING, attempts=attempts + 1, updated_at=now)
        )
        session.commit()
        if claimed.rowcount == 1:
            claimed_ids.append(run_id)
    return claimed_ids


def attempt_run(run_id: str, *, today: dt.date, now: dt.datetime) -> None:
    """The queue's task: make a claimed run's attempt and record its outcome, once."""
    with session_scope() as session:
        run = session.get(AutopayRun, int(run_id))
        if run is None or run.status != AutopayRunStatus.CHARGING:
            return  # recorded already (a repeated message)
        mandate = session.get(AutopayMandate, run.mandate_id)
        if mandate.status == MandateStatus.CANCELED:
            if _settle(session, run, AutopayRunStatus.FAILED, now):
                session.commit()
            return
        _attempt(session, run, mandate, now=now, today=today, tally=AutopayTally())


def _tally(session: Session, run_ids: list[int]) -> AutopayTally:
    """What the batch's runs came to, read back (the workers may be other processes)."""
    tally = AutopayTally()
    for start in range(0, len(run_ids), 5000):
        rows = session.exec(
            select(AutopayRun.status, AutopayRun.last_payment_id).where(
                AutopayRun.id.in_(run_ids[start : start + 5000])
            )
        ).all()
        for status, payment_id in rows:
            if status == AutopayRunStatus.CHARGING:
                tally.unanswered += 1
            elif payment_id is not None and status == AutopayRunStatus.PAID:
                tally.charged += 1
            elif payment_id is not None:
                tally.failed += 1
    return tally


def run_due(session: Session, *, today: dt.date, now: dt.datetime, progress=None) -> AutopayTally:
    """Claim the day's attempts — interrupted runs, due mandates once per period, retries — and
    charge them on the task queue."""
    run_ids = _claim_interrupted(session, now=now)
    _resume_paused(session, today=today, now=now)
    run_ids += _claim_due(session, today=today, now=now)
    run_ids += _claim_retries(session, today=today, now=now)
    # A message per chunk of runs, charged and recorded together (`autopay_batch`); enough chunks
    # that every thread of the pool has some, so a slow processor is still asked many at a time.
    per_chunk = charge_queue.chunk_size(len(run_ids), CHARGE_CHUNK)
    chunks = [run_ids[start : start + per_chunk] for start in range(0, len(run_ids), per_chunk)]
    charges = [charge_queue.Charge("autopay", ",".join(map(str, chunk)), len(chunk)) for chunk in chunks]
    charge_queue.run_all("automatic payments", charges, today=today, now=now, progress=progress)
    session.expire_all()
    return _tally(session, run_ids)


def send_notices(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """Pre-debit notices N days ahead, and a card-expiry notice 30 days ahead — once each.

    A mandate paused until a date counts too: if it resumes on or before its next charge day and
    that day falls within the notice period, the member hears about the charge beforehand, as for
    any active mandate (the same once-key, so resuming doesn't announce it again)."""
    settings = get_settings()
    sent = 0
    horizon = today + dt.timedelta(days=settings.autopay_notice_days)
    live = (
        select(AutopayMandate)
        .join(BillingAccount, BillingAccount.id == AutopayMandate.billing_account_id)
        .where(BillingAccount.coverage_status != CoverageStatus.TERMINATED)
    )
    upcoming = [
        (m.id, m.next_charge_on)
        for m in session.exec(
            live.where(
                AutopayMandate.status == MandateStatus.ACTIVE,
                AutopayMandate.next_charge_on > today,
                AutopayMandate.next_charge_on <= horizon,
            )
        ).all()
    ]
    for paused in session.exec(
        live.where(
            AutopayMandate.status == MandateStatus.PAUSED,
            AutopayMandate.paused_until.is_not(None),
            AutopayMandate.paused_until <= horizon,
        )
    ).all():
        charge_on = autopay.charge_after_resuming(paused, max(paused.paused_until, today))
        if today < charge_on <= horizon:
            upcoming.append((paused.id, charge_on))
    batch = []
    done = notice_batch.used(session, [_notice_key(mandate_id, charge_on) for mandate_id, charge_on in upcoming])
    for mandate_id, charge_on in sorted(upcoming):
        if _notice_key(mandate_id, charge_on) in done:
            continue  # announced already: nothing to read
        mandate = session.get(AutopayMandate, mandate_id)
        account = session.get(BillingAccount, mandate.billing_account_id)
        amount = autopay.charge_amount(session, mandate, account, today)
        method = autopay.view(session, mandate).method
        batch.append(
            notice_batch.Notice(
                _notice_key(mandate_id, charge_on),
                mandate.user_id,
                templates.upcoming_charge(charge_on, amount, method),
                NoticeKind.AUTOPAY_NOTICE,
                routes.AUTOPAY,
            )
        )
    # Columns, not ORM objects: every active card mandate is looked at, every day.
    expiring = session.exec(
        select(
            AutopayMandate.id,
            AutopayMandate.user_id,
            AutopayMandate.next_charge_on,
            PaymentMethod.id.label("method_id"),
            PaymentMethod.kind,
            PaymentMethod.brand,
            PaymentMethod.last4,
            PaymentMethod.exp_month,
            PaymentMethod.exp_year,
        )
        .join(PaymentMethod, PaymentMethod.id == AutopayMandate.payment_method_id)
        .join(BillingAccount, BillingAccount.id == AutopayMandate.billing_account_id)
        .where(
            AutopayMandate.status == MandateStatus.ACTIVE,
            PaymentMethod.kind == MethodKind.CARD,
            BillingAccount.coverage_status != CoverageStatus.TERMINATED,
        )
    ).all()
    for card in expiring:
        if not (card.exp_month and card.exp_year and card.next_charge_on):
            continue
        expires = dates.add_months(dt.date(card.exp_year, card.exp_month, 1), 1) - dt.timedelta(days=1)
        if expires >= card.next_charge_on or today < expires - dt.timedelta(days=settings.card_expiry_notice_days):
            continue
        label = methods.label(card.kind, card.brand, card.last4)
        message = templates.card_expiring(label, expires, card.next_charge_on)
        batch.append(
            notice_batch.Notice(
                f"card-expiry:{card.id}:{card.method_id}:{expires:%Y%m}",
                card.user_id,
                message,
                NoticeKind.CARD_EXPIRING,
                routes.SETTINGS,
            )
        )
    # Written set-based, each behind its once-marker (ON CONFLICT DO NOTHING): a rerun or a
    # concurrent job announces nothing twice.
    batch.sort(key=lambda notice: notice.key)  # batches in one order for every job (`notice_batch.claim`)
    for chunk in range(0, len(batch), notice_batch.CHUNK):
        sent += len(notice_batch.send_once(session, batch[chunk : chunk + notice_batch.CHUNK], now))
        session.commit()
    return sent


def _notice_key(mandate_id: int, charge_on: dt.date) -> str:
    return f"autopay-notice:{mandate_id}:{charge_on:%Y%m%d}"


def payment_returned(session: Session, payment: Payment, *, today: dt.date, now: dt.datetime) -> str:
    """A bank returned an automatic payment: it counts as a failed attempt for its period — tried
    again after the configured gaps unless the return is final (closed or unknown account), then
    paused. Leaves a notice in the portal and returns what it means for Automatic Payments, for
    the one "returned" email (the member gets one email about one return)."""
    run = session.exec(select(AutopayRun).where(AutopayRun.last_payment_id == payment.id)).first()
    if run is None:
        return ""
    mandate = session.get(AutopayMandate, run.mandate_id)
    retries = get_settings().autopay_retry_days
    run.last_code, run.updated_at = payment.reason_code, now
    if payment.reason_code in HARD_DECLINES or run.attempts > len(retries) or mandate.status == MandateStatus.CANCELED:
        run.status, run.next_attempt_on = AutopayRunStatus.FAILED, None
        if mandate.status == MandateStatus.ACTIVE:
            mandate.status, mandate.updated_at = MandateStatus.PAUSED, now
        message = templates.autopay_returned_and_paused(payment.amount_cents, payment.reason_message or "")
    else:
        run.status = AutopayRunStatus.RETRYING
        run.next_attempt_on = today + dt.timedelta(days=retries[run.attempts - 1])
        message = templates.autopay_returned_will_retry(
            payment.amount_cents, payment.reason_message or "", run.next_attempt_on
        )
    notices.notify(
        session, mandate.user_id, message, kind=NoticeKind.AUTOPAY_FAILED, now=now, link=routes.AUTOPAY, by_email=False
    )
    session.add_all([run, mandate])
    return message.body
