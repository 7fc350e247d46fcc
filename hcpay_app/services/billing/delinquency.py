"""Missed payments, as insurers handle them: late fees, grace periods, notices and termination.

- Subsidized members get a 3-month grace period; if not cured, coverage ends on the last day of
  the first unpaid month.
- Other members get a Past Due Warning with a new due date (30 days later by default); if not
  cured by then, coverage ends on the last day of the last paid month.
- Paying the past-due balance restores Active (coverage.refresh_after_payment); a current payment
  plan holds off late fees and termination for the invoices it covers. A premium that falls due
  during the plan and goes unpaid beside it gets its late fee, and its own deadline under the same
  grace policy (warned and terminated as above).
- Every status change is claimed with a conditional UPDATE from the status read, so of two jobs
  at once only one makes it and sends its notice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

from sqlalchemy import insert
from sqlmodel import Session, select, update

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    Invoice,
    LedgerEntry,
    NoticeKind,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    User,
)
from hcpay_app.services.accounts import notice_batch, notices
from hcpay_app.services.billing import ledger, plan_standing, templates
from hcpay_app.services.common import dates


@dataclasses.dataclass
class DelinquencyTally:
    fees: int = 0
    status_changes: int = 0
    notices: int = 0


def _user_id(session: Session, account: BillingAccount) -> int | None:
    return session.exec(select(User.id).where(User.member_id == account.member_id)).first()


def assess_late_fees(session: Session, *, today: dt.date, now: dt.datetime) -> int:
    """One late fee per invoice still unpaid N days after its due date (catching up a month).

    Invoices already charged (their once-marker exists) are skipped before any reading; the rest
    are judged set-based (`ledger.unpaid_parts`; a plan is read only for accounts that have one)
    and written in batches: markers claimed with ON CONFLICT DO NOTHING, then the fees and notices
    of the claimed ones — so a rerun or a concurrent job charges no fee twice."""
    settings = get_settings()
    cutoff = today - dt.timedelta(days=settings.late_fee_after_days)
    rows = session.exec(
        select(Invoice.id, Invoice.coverage_month, Invoice.due_on, Invoice.billing_account_id, BillingAccount.member_id)
        .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
        .where(
            Invoice.due_on <= cutoff,
            Invoice.due_on > cutoff - dt.timedelta(days=31),
            BillingAccount.coverage_status != CoverageStatus.TERMINATED,
        )
    ).all()
    charged = notice_batch.used(session, [_fee_key(invoice.id) for invoice in rows])
    rows = [invoice for invoice in rows if _fee_key(invoice.id) not in charged]
    unpaid = ledger.unpaid_parts(session, [(i.billing_account_id, i.id, i.due_on) for i in rows])
    with_plan = set(
        session.exec(select(PaymentPlan.billing_account_id).where(PaymentPlan.status == PlanStatus.ACTIVE)).all()
    )
    owing = [
        invoice
        for invoice in rows
        if unpaid.get(invoice.id, 0) > 0
        # Only an account with a current plan can be protected by one: the rest need no reading.
        and not (
            invoice.billing_account_id in with_plan
            and plan_standing.protects(session, session.get(BillingAccount, invoice.billing_account_id), invoice.id)
        )
    ]
    fees = 0
    owing.sort(key=lambda invoice: _fee_key(invoice.id))  # batches in one order for every job (`claim`)
    for chunk in range(0, len(owing), notice_batch.CHUNK):
        fees += _charge_fees(session, owing[chunk : chunk + notice_batch.CHUNK], today=today, now=now)
        session.commit()
    return fees


def _fee_key(invoice_id: int) -> str:
    return f"late-fee:{invoice_id}"


def _charge_fees(session: Session, owing: list, *, today: dt.date, now: dt.datetime) -> int:
    """The late fees of `owing` (invoice rows with their account and member) whose marker this call
    claims, with their notices, in the caller's transaction. Returns how many were charged."""
    settings = get_settings()
    claimed = notice_batch.claim(session, (_fee_key(invoice.id) for invoice in owing), now)
    mine = [invoice for invoice in owing if _fee_key(invoice.id) in claimed]
    if not mine:
        return 0
    session.execute(
        insert(LedgerEntry.__table__),
        [
            {
                "billing_account_id": invoice.billing_account_id,
                "kind": EntryKind.LATE_FEE,
                "amount_cents": settings.late_fee_cents,
                "effective_on": today,
                "created_at": now,
                "invoice_id": invoice.id,
                "description": _fee_description(invoice.coverage_month),
                "refund_id": None,
                "payment_id": None,
            }
            for invoice in mine
        ],
    )
    users = _user_ids(session, sorted({invoice.member_id for invoice in mine}))
    message = functools.lru_cache(maxsize=64)(templates.late_fee)  # one per coverage month
    notice_batch.write(
        session,
        [
            notice_batch.Notice(
                _fee_key(invoice.id),
                users[invoice.member_id],
                message(invoice.coverage_month, settings.late_fee_after_days, settings.late_fee_cents),
                NoticeKind.LATE_FEE,
                routes.PAY,
                invoice_id=invoice.id,
            )
            for invoice in mine
            if invoice.member_id in users
        ],
        now,
    )
    return len(mine)


@functools.lru_cache(maxsize=64)
def _fee_description(coverage_month: dt.date) -> str:
    """The fee's ledger line, as `ledger.post` stores it (English; translated when shown)."""
    return str(Msg("Late fee: {month} premium unpaid", month=Dated(coverage_month, "month")))[:200]


def _user_ids(session: Session, member_ids: list[int]) -> dict[int, int]:
    """The login of each member (one at most), read in one query per chunk."""
    found: dict[int, int] = {}
    for chunk in range(0, len(member_ids), notice_batch.CHUNK):
        part = member_ids[chunk : chunk + notice_batch.CHUNK]
        for member_id, user_id in session.exec(select(User.member_id, User.id).where(User.member_id.in_(part))).all():
            found[member_id] = user_id
    return found


def _newest_past_due(session: Session, account_id: int, today: dt.date) -> int | None:
    """The newest bill in the past-due balance: oldest-first allocation pays it last, so a notice
    about the balance that carries it resolves once the whole balance is paid."""
    past_due = [
        p.invoice_id for p in ledger.positions(session, account_id, today) if p.status == ledger.InvoiceStatus.PAST_DUE
    ]
    return past_due[-1] if past_due else None


def _first_unpaid_month(position: ledger.AccountPosition) -> dt.date | None:
    if position.oldest_unpaid_due_on is None:
        return None
    return dates.first_of_month(dates.add_months(position.oldest_unpaid_due_on, 1))


def _end_of_month(month: dt.date) -> dt.date:
    return dates.add_months(month, 1) - dt.timedelta(days=1)


def _deadline_beside_plan(account: BillingAccount, unpaid: plan_standing.Beside) -> dt.date:
    """When an unpaid premium the current plan doesn't cover ends coverage: the grace policy
    applied to that premium alone (30 days after its due date, or the end of the 3-month grace
    that starts with its month)."""
    settings = get_settings()
    if account.subsidized:
        return _end_of_month(dates.add_months(unpaid.coverage_month, settings.subsidized_grace_months - 1))
    return unpaid.due_on + dt.timedelta(days=settings.unsubsidized_grace_days)


def _claim(session: Session, account: BillingAccount, read_as: str, **values) -> bool:
    """Change the account's coverage in the caller's transaction if it still has the status this
    job read (a conditional UPDATE): of two jobs at once only one changes it and sends the notice."""
    claimed = session.exec(
        update(BillingAccount)
        .where(BillingAccount.id == account.id, BillingAccount.coverage_status == read_as)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def move_coverage(session: Session, *, today: dt.date, now: dt.datetime) -> DelinquencyTally:
    """Enter grace when a premium goes unpaid, warn before it ends, terminate if not cured."""
    settings = get_settings()
    tally = DelinquencyTally()
    recently_due = session.exec(
        select(Invoice.billing_account_id)
        .where(Invoice.due_on < today, Invoice.due_on >= today - dt.timedelta(days=7))
        .distinct()
    ).all()
    in_grace = session.exec(
        select(BillingAccount.id).where(BillingAccount.coverage_status == CoverageStatus.IN_GRACE)
    ).all()
    # A returned payment can make an older invoice past due again, long after its due date.
    returned = session.exec(
        select(Payment.billing_account_id)
        .where(Payment.status == PaymentStatus.RETURNED, Payment.updated_at >= now - dt.timedelta(days=7))
        .distinct()
    ).all()
    for account_id in sorted(set(recently_due) | set(in_grace) | set(returned)):
        account = session.get(BillingAccount, account_id)
        session.refresh(account)
        status, grace_ends_on = account.coverage_status, account.grace_ends_on  # as this job reads them
        position = ledger.account_position(session, account.id, today)
        user_id = _user_id(session, account)
        if status == CoverageStatus.ACTIVE and position.past_due_cents > 0:
            first_unpaid = _first_unpaid_month(position)
            if account.subsidized:
                grace_ends_on = _end_of_month(dates.add_months(first_unpaid, settings.subsidized_grace_months - 1))
                warning = templates.past_due_warning_subsidized(
                    settings.subsidized_grace_months, position.past_due_cents, grace_ends_on
                )
            else:
                # A new due date 30 days after the missed one — but never one already gone (after
                # downtime), so the member always gets real time and a Termination Warning.
                grace_ends_on = max(
                    position.oldest_unpaid_due_on + dt.timedelta(days=settings.unsubsidized_grace_days),
                    today + dt.timedelta(days=settings.termination_warning_days),
                )
                warning = templates.past_due_warning(position.past_due_cents, grace_ends_on)
            if not _claim(
                session, account, status, coverage_status=CoverageStatus.IN_GRACE, grace_ends_on=grace_ends_on
            ):
                session.rollback()  # another job moved it (and sent the notice) since we read it
                continue
            if user_id:
                notices.notify(
                    session,
                    user_id,
                    warning,
                    kind=NoticeKind.PAST_DUE_WARNING,
                    now=now,
                    link=routes.PAY,
                    invoice_id=_newest_past_due(session, account.id, today),
                )
                tally.notices += 1
            session.commit()
            session.expire(account)
            tally.status_changes += 1
            continue
        if status != CoverageStatus.IN_GRACE or grace_ends_on is None:
            continue
        if position.past_due_cents == 0:
            if not _claim(session, account, status, coverage_status=CoverageStatus.ACTIVE, grace_ends_on=None):
                session.rollback()
                continue
            session.commit()
            session.expire(account)
            tally.status_changes += 1
            continue
        # The deadline, what must be paid by then, and the first month that goes unpaid. A current
        # plan holds off termination for what it covers; premiums unpaid beside it keep their own.
        plan = plan_standing.standing(session, account.id)
        if plan is None:
            deadline, owed, first_unpaid = grace_ends_on, position.past_due_cents, _first_unpaid_month(position)
            newest = None
        else:
            overdue = plan.overdue_beside(today)
            if not overdue:
                continue  # all of the past-due balance is the plan's: no warning, no termination
            deadline = _deadline_beside_plan(account, overdue[0])
            owed, first_unpaid = sum(b.unpaid_cents for b in overdue), overdue[0].coverage_month
            newest = overdue[-1].invoice_id
        warn_on = deadline - dt.timedelta(days=settings.termination_warning_days)
        if warn_on <= today <= deadline and user_id:
            message = templates.termination_warning(owed, deadline, beside_a_plan=plan is not None)

            def warning(s: Session, message=message, user_id=user_id, account=account, newest=newest) -> None:
                notices.notify(
                    s,
                    user_id,
                    message,
                    kind=NoticeKind.TERMINATION_WARNING,
                    now=now,
                    link=routes.PAY,
                    invoice_id=newest or _newest_past_due(s, account.id, today),
                )

            tally.notices += notices.run_once(session, f"termination-warning:{account.id}:{deadline}", now, warning)
        if today > deadline:
            terminated_on = _end_of_month(first_unpaid) if account.subsidized else first_unpaid - dt.timedelta(days=1)
            if not _claim(
                session, account, status, coverage_status=CoverageStatus.TERMINATED, terminated_on=terminated_on
            ):
                session.rollback()  # another job ended it (and sent the notice) since we read it
                continue
            if user_id:
                notices.notify(
                    session,
                    user_id,
                    templates.terminated(deadline, terminated_on),
                    kind=NoticeKind.TERMINATED,
                    now=now,
                    link=routes.SUPPORT,
                )
                tally.notices += 1
            session.commit()
            session.expire(account)
            tally.status_changes += 1
    return tally
