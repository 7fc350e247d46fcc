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

from sqlmodel import Session, select, update

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    Invoice,
    NoticeKind,
    Payment,
    PaymentStatus,
    User,
)
from hcpay_app.services.accounts import notices
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
    """One late fee per invoice still unpaid N days after its due date (catching up a month)."""
    settings = get_settings()
    cutoff = today - dt.timedelta(days=settings.late_fee_after_days)
    rows = session.exec(
        select(Invoice, BillingAccount)
        .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
        .where(
            Invoice.due_on <= cutoff,
            Invoice.due_on > cutoff - dt.timedelta(days=31),
            BillingAccount.coverage_status != CoverageStatus.TERMINATED,
        )
    ).all()
    fees = 0
    for invoice, account in rows:
        position = ledger.statuses_for(session, account.id, [invoice.id], today).get(invoice.id)
        if position is None or position.unpaid_cents <= 0 or plan_standing.protects(session, account, invoice.id):
            continue
        user_id = _user_id(session, account)

        def fee(s: Session, invoice=invoice, account=account, user_id=user_id) -> None:
            ledger.post(
                s,
                account_id=account.id,
                kind=EntryKind.LATE_FEE,
                amount_cents=settings.late_fee_cents,
                effective_on=today,
                now=now,
                invoice_id=invoice.id,
                description=Msg("Late fee: {month} premium unpaid", month=Dated(invoice.coverage_month, "month")),
            )
            if user_id:
                message = templates.late_fee(
                    invoice.coverage_month, settings.late_fee_after_days, settings.late_fee_cents
                )
                notices.notify(
                    s, user_id, message, kind=NoticeKind.LATE_FEE, now=now, link=routes.PAY, invoice_id=invoice.id
                )

        fees += notices.run_once(session, f"late-fee:{invoice.id}", now, fee)
    return fees


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
