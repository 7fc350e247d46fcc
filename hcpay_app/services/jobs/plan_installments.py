"""The daily job's payment plans: charge due installments from the plan's method, mark paid and
missed ones, and complete or end a plan — each plan's change claimed by a conditional UPDATE, so
of two jobs at once only one tells the member."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app import routes
from hcpay_app.db import session_scope
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    BillingAccount,
    InstallmentStatus,
    NoticeKind,
    PaymentMethod,
    PaymentPlan,
    PaymentSource,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
)
from hcpay_app.services.accounts import notices
from hcpay_app.services.billing import plan_standing
from hcpay_app.services.jobs import charge_queue
from hcpay_app.services.payments import checkout
from hcpay_app.services.recurring import templates


def _claim_plan(session: Session, plan_id: int, status: str, now: dt.datetime) -> bool:
    """Move an active plan to `status` in the caller's transaction — a conditional UPDATE, so of
    two jobs that read the plan as active only one completes (or ends) it and tells the member."""
    values = {"status": status, "ended_at": now} if status == PlanStatus.ENDED else {"status": status}
    claimed = session.exec(
        update(PaymentPlan)
        .where(PaymentPlan.id == plan_id, PaymentPlan.status == PlanStatus.ACTIVE)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _charge(session: Session, plan: PaymentPlan, row: PlanInstallment, *, today: dt.date, now: dt.datetime):
    """Charge one due installment from the plan's method (its own key: at most once)."""
    return checkout.charge_saved_method(
        session,
        account=session.get(BillingAccount, plan.billing_account_id),
        method=session.get(PaymentMethod, plan.payment_method_id),
        amount_cents=row.amount_cents,
        idempotency_key=f"plan-{plan.id}-{row.ordinal}",
        source=PaymentSource.PLAN,
        note=Msg("Payment plan installment {number}", number=row.ordinal),
        now=now,
        today=today,
    )


def charge_installment(installment_id: str, *, today: dt.date, now: dt.datetime) -> None:
    """The queue's task: charge a due installment of an active plan."""
    with session_scope() as session:
        row = session.get(PlanInstallment, int(installment_id))
        plan = session.get(PaymentPlan, row.plan_id) if row else None
        if plan is None or plan.status != PlanStatus.ACTIVE or not plan.payment_method_id:
            return
        if row.status == InstallmentStatus.DUE and row.due_on <= today:
            _charge(session, plan, row, today=today, now=now)


def _charge_due(session: Session, *, today: dt.date, now: dt.datetime, progress=None) -> None:
    """Every due installment of an active plan, charged on the task queue (a set-based listing)."""
    due = session.exec(
        select(PlanInstallment.id)
        .join(PaymentPlan, PaymentPlan.id == PlanInstallment.plan_id)
        .where(
            PaymentPlan.status == PlanStatus.ACTIVE,
            PaymentPlan.payment_method_id.is_not(None),
            PlanInstallment.status == InstallmentStatus.DUE,
            PlanInstallment.due_on <= today,
        )
    ).all()
    charges = [charge_queue.Charge("installment", str(row_id)) for row_id in due]
    charge_queue.run_all("plan installments", charges, today=today, now=now, progress=progress)


def process(session: Session, *, today: dt.date, now: dt.datetime, progress=None) -> tuple[int, int]:
    """Charge due installments from the plan's method (on the queue), mark paid ones, end plans
    with a missed installment. Returns (charged, ended)."""
    _charge_due(session, today=today, now=now, progress=progress)
    session.expire_all()
    charged = ended = 0
    for plan in session.exec(select(PaymentPlan).where(PaymentPlan.status == PlanStatus.ACTIVE)).all():
        session.refresh(plan)
        if plan.status != PlanStatus.ACTIVE:
            continue  # another job completed or ended it since we listed it
        plan_id = plan.id
        rows = session.exec(
            select(PlanInstallment).where(PlanInstallment.plan_id == plan_id).order_by(PlanInstallment.ordinal)
        ).all()
        for row in rows:
            if row.status == InstallmentStatus.DUE and row.due_on <= today and plan.payment_method_id:
                # Charged on the queue just now: this finds that payment (or charges it, if the
                # queue's task failed), never a second one.
                payment = _charge(session, plan, row, today=today, now=now)
                session.refresh(row)
                if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING):
                    charged += 1
        paid = plan_standing.standing_of(session, plan).toward_plan_cents
        running = 0
        statuses = []
        for row in rows:
            session.refresh(row)
            running += row.amount_cents
            status = row.status
            if status == InstallmentStatus.DUE and paid >= running:
                status = InstallmentStatus.PAID
            elif status == InstallmentStatus.DUE and row.due_on < today:
                status = InstallmentStatus.MISSED
            if status != row.status:  # only from "due", and only if nobody changed it meanwhile
                session.exec(
                    update(PlanInstallment)
                    .where(PlanInstallment.id == row.id, PlanInstallment.status == InstallmentStatus.DUE)
                    .values(status=status)
                    .execution_options(synchronize_session=False)
                )
            statuses.append(status)
        user_id = plan.user_id
        if InstallmentStatus.MISSED in statuses:
            if not _claim_plan(session, plan_id, PlanStatus.ENDED, now):
                session.rollback()  # another job ended it (and told the member) since we read it
                continue
            ended += 1
            notices.notify(
                session, user_id, templates.plan_ended(), kind=NoticeKind.PLAN_ENDED, now=now, link=routes.PAY
            )
        elif all(status == InstallmentStatus.PAID for status in statuses):
            if not _claim_plan(session, plan_id, PlanStatus.COMPLETED, now):
                session.rollback()  # another job completed it (and told the member) since we read it
                continue
            notices.notify(
                session,
                user_id,
                templates.plan_completed(),
                kind=NoticeKind.PLAN_COMPLETED,
                now=now,
                link=routes.HISTORY,
                by_email=False,
            )
        session.commit()
        session.expire_all()  # the conditional UPDATEs bypassed the loaded rows and plan
    return charged, ended
