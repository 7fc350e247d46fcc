"""The daily job's autopay charges, a chunk of claimed runs at a time (the queue's "autopay" task).

What `autopay_runs.attempt_run` does for one run, done for a chunk with a few statements and two
commits instead of some thirty-five statements and four commits a charge:

1. read the chunk's runs, mandates, accounts and methods, work out every amount from the accounts'
   books read together, and write the payments (`batch_charge.record_intents`) — committed, the
   intent record, before the processor hears of them;
2. ask the processor once per charge (its interface is one charge per call), under the queue's rate
   limit — the chunk's calls at once, on the process's bounded pool of calls (`call_pool`);
3. record the answers (`batch_charge.finish_many`), then each run's outcome — claimed with one
   conditional UPDATE … RETURNING per outcome, as `autopay_runs._settle` claims one — the mandates
   moved on or paused, and the members told (`notice_batch.write`); one commit.

Exactly once, as one at a time: anything out of the ordinary — a run whose payment exists already
(interrupted, or a repeated message), a canceled mandate, a removed method, nothing to charge, a
second run of the same account, a payment or run another worker recorded first — is left to
`autopay_runs.attempt_run`, after the chunk's commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging

from sqlalchemy import bindparam, tuple_, update
from sqlmodel import Session, select

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    AutopayMandate,
    AutopayRun,
    AutopayRunStatus,
    BillingAccount,
    MandateStatus,
    NoticeKind,
    Payment,
    PaymentMethod,
    PaymentSource,
    PaymentStatus,
)
from hcpay_app.services.accounts import notice_batch, notices
from hcpay_app.services.adapters.processor import HARD_DECLINES, ChargeResult
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS
from hcpay_app.services.jobs import autopay_runs, call_pool, charge_queue
from hcpay_app.services.payments import batch_charge, checkout
from hcpay_app.services.recurring import autopay, templates

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class _Charge:
    """A run being charged in this chunk, and its payment."""

    run_id: int
    attempts: int
    period: dt.date
    mandate_id: int
    payment: Payment


def attempt_runs(run_ids: str, *, today: dt.date, now: dt.datetime) -> None:
    """The queue's task: charge a chunk of claimed runs ("12,13,14") and record each outcome once."""
    ids = sorted({int(run_id) for run_id in run_ids.split(",") if run_id})
    with session_scope() as session:
        charges, left = _record_intents(session, ids, today=today, now=now)
        session.commit()
    # The chunk's calls at once, on the process's bounded pool: at a processor's latency, one after
    # another a chunk of 250 would take over a minute.
    answered = list(zip(charges, call_pool.map_calls(functools.partial(_ask, now=now), charges), strict=True))
    if answered:
        with session_scope() as session:
            left += _record_outcomes(session, answered, today=today, now=now)
            session.commit()
    for run_id in sorted(left):
        charge_queue.wait_for_rate()
        autopay_runs.attempt_run(str(run_id), today=today, now=now)


def _ask(charge: _Charge, now: dt.datetime) -> ChargeResult | None:
    """The processor's answer, under the queue's rate limit. A call that fails outright counts as
    no answer (the payment stays processing and is asked again later with its key), so one charge's
    failure leaves the chunk's other answers to be recorded."""
    charge_queue.wait_for_rate()
    try:
        return checkout.ask_processor(charge.payment, now)
    except Exception:  # noqa: BLE001 — logged; reconciled by a later job, as with no answer
        log.exception("charge %s failed; a later job asks again", charge.payment.idempotency_key)
        return None


def _record_intents(
    session: Session, run_ids: list[int], *, today: dt.date, now: dt.datetime
) -> tuple[list[_Charge], list[int]]:
    """Step 1: the chunk's payments written as processing. Returns the charges to make, and the
    runs left to `attempt_run`."""
    runs = session.exec(
        select(AutopayRun).where(AutopayRun.id.in_(run_ids), AutopayRun.status == AutopayRunStatus.CHARGING)
    ).all()
    mandates = _by_id(session, AutopayMandate, {run.mandate_id for run in runs})
    accounts = _by_id(session, BillingAccount, {m.billing_account_id for m in mandates.values()})
    methods = _by_id(session, PaymentMethod, {m.payment_method_id for m in mandates.values()})
    keys = {run.id: autopay_runs.attempt_key(run.mandate_id, run.period, run.attempts) for run in runs}
    used = set(session.exec(select(Payment.idempotency_key).where(Payment.idempotency_key.in_(keys.values()))).all())
    left, due, seen_accounts = [], [], set()
    for run in sorted(runs, key=lambda r: r.id):
        mandate = mandates[run.mandate_id]
        method = methods.get(mandate.payment_method_id)
        ordinary = (
            mandate.status != MandateStatus.CANCELED
            and keys[run.id] not in used
            and method is not None
            and method.removed_at is None
            and mandate.billing_account_id not in seen_accounts
        )
        seen_accounts.add(mandate.billing_account_id)
        (due if ordinary else left).append(run)
    amounts = autopay.charge_amounts(
        session, [(mandates[r.mandate_id], accounts[mandates[r.mandate_id].billing_account_id]) for r in due], today
    )
    intents, charging = [], []
    for run in due:
        mandate = mandates[run.mandate_id]
        amount = amounts[mandate.id]
        if amount < MINIMUM_PAYMENT_CENTS:
            left.append(run)  # nothing to charge: `attempt_run` records it so
            continue
        charging.append(run)
        intents.append(
            batch_charge.Intent(
                mandate.billing_account_id,
                methods[mandate.payment_method_id],
                amount,
                keys[run.id],
                PaymentSource.AUTOPAY,
                Msg("Automatic payment (attempt {attempt})", attempt=run.attempts),
            )
        )
    written = batch_charge.record_intents(session, intents, now=now, today=today)
    charges = []
    for run in charging:
        payment = written.get(keys[run.id])
        if payment is None:
            left.append(run)  # another job wrote this attempt's payment first
        else:
            charges.append(_Charge(run.id, run.attempts, run.period, run.mandate_id, payment))
    return charges, [run.id for run in left]


def _record_outcomes(
    session: Session, answered: list[tuple[_Charge, ChargeResult | None]], *, today: dt.date, now: dt.datetime
) -> list[int]:
    """Step 3: the answers, then each run's outcome, once. Returns the runs left to `attempt_run`."""
    unanswered = [charge for charge, result in answered if result is None]
    if unanswered:  # no answer yet: still "charging", finished by a later job with the same key
        session.execute(
            update(AutopayRun.__table__)
            .where(AutopayRun.id == bindparam("b_run"), AutopayRun.status == AutopayRunStatus.CHARGING)
            .values(last_payment_id=bindparam("b_payment"), updated_at=now),
            [{"b_run": c.run_id, "b_payment": c.payment.id} for c in unanswered],
        )
    results = [(charge.payment, result) for charge, result in answered if result is not None]
    finished = {p.id for p in batch_charge.finish_many(session, results, now=now, today=today)}
    charges = [charge for charge, result in answered if result is not None]
    # A payment another worker finished first: its run is recorded the one-at-a-time way.
    left = [c.run_id for c in charges if c.payment.id not in finished]
    charges = [c for c in charges if c.payment.id in finished]
    retries = get_settings().autopay_retry_days
    outcome = {}
    for charge in charges:
        payment = charge.payment
        succeeded = payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING)
        final = succeeded or payment.reason_code in HARD_DECLINES or charge.attempts > len(retries)
        outcome[charge.run_id] = (
            AutopayRunStatus.PAID if succeeded else AutopayRunStatus.FAILED if final else AutopayRunStatus.RETRYING
        )
    settled = _settle(session, charges, outcome, now)
    charges = [c for c in charges if c.run_id in settled]
    if not charges:
        return left
    mandates = _by_id(session, AutopayMandate, {c.mandate_id for c in charges}, fresh=True)
    paid_rows, failed_rows, told = [], [], []
    for charge in charges:
        payment, mandate = charge.payment, mandates[charge.mandate_id]
        status = outcome[charge.run_id]
        if status == AutopayRunStatus.PAID:
            paid_rows.append({"b_run": charge.run_id, "b_payment": payment.id})
            autopay_runs._advance(mandate, charge)
            message = templates.autopay_charged(payment.amount_cents, payment.method_label, payment.reference)
            link, by_email, kind = notices.payment_link(payment.reference), False, NoticeKind.AUTOPAY_CHARGED
        else:
            retry_on = None
            if status == AutopayRunStatus.FAILED:
                mandate.status, mandate.updated_at = MandateStatus.PAUSED, now
                autopay_runs._advance(mandate, charge)
                message = templates.autopay_failed_and_paused(payment.amount_cents, payment.reason_message or "")
            else:
                retry_on = today + dt.timedelta(days=retries[charge.attempts - 1])
                reason = payment.reason_message or ""
                message = templates.autopay_failed_will_retry(payment.amount_cents, reason, retry_on)
            failed_rows.append(
                {"b_run": charge.run_id, "b_payment": payment.id, "b_code": payment.reason_code, "b_next": retry_on}
            )
            link, by_email, kind = routes.AUTOPAY, True, NoticeKind.AUTOPAY_FAILED
        told.append(notice_batch.Notice("", mandate.user_id, message, kind, link, by_email=by_email))
    runs = update(AutopayRun.__table__).where(AutopayRun.id == bindparam("b_run"))
    if paid_rows:
        session.execute(runs.values(last_payment_id=bindparam("b_payment")), paid_rows)
    if failed_rows:
        values = {"last_payment_id": bindparam("b_payment"), "last_code": bindparam("b_code")}
        session.execute(runs.values(**values, next_attempt_on=bindparam("b_next")), failed_rows)
    session.flush()  # the mandates moved on or paused
    notice_batch.write(session, told, now)
    return left


def _settle(
    session: Session, charges: list[_Charge], outcome: dict[int, AutopayRunStatus], now: dt.datetime
) -> set[int]:
    """`autopay_runs._settle` of many runs: each outcome claimed by a conditional UPDATE of the runs
    still charging at this attempt, RETURNING those this call claimed (another worker that recorded
    one first leaves it out)."""
    claimed: set[int] = set()
    for status in sorted(set(outcome.values())):
        attempts = sorted((c.run_id, c.attempts) for c in charges if outcome[c.run_id] == status)
        claimed.update(
            session.execute(
                update(AutopayRun.__table__)
                .where(
                    tuple_(AutopayRun.id, AutopayRun.attempts).in_(attempts),
                    AutopayRun.status == AutopayRunStatus.CHARGING,
                )
                .values(status=status, updated_at=now)
                .returning(AutopayRun.id)
            ).scalars()
        )
    return claimed


def _by_id(session: Session, model, ids: set[int], *, fresh: bool = False) -> dict:
    query = select(model).where(model.id.in_(sorted(ids)))
    if fresh:  # as the database has it now, not as this session last saw it
        query = query.execution_options(populate_existing=True)
    return {row.id: row for row in session.exec(query).all()}
